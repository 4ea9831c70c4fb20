/*
 * proto_decode.c - the decoding loop of proto_decode.h.
 *
 * A message is read into per-row scratch state first: one slot per column
 * holding the last value seen (strings as pointers into the message, so a
 * value given twice costs nothing), seen bits per column and per nested
 * message, and the case of each oneof. Only repeated fields append straight
 * to their list's child array, and a bad message truncates those back.
 * When the message is read to its end, every column gets its row (value,
 * default or null) in one pass; a failure in that pass takes back the
 * columns already written, so no column ever holds a partial row.
 *
 * Nesting follows the plan only (a message not on a wanted path is skipped
 * as bytes), so the recursion is as deep as the deepest wanted path.
 */
#include "format/proto/proto_decode.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/utf8_check.h"
#include "format/proto/wire.h"
#include "model/array_internal.h"

/* google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
#define TS_MIN_SECONDS INT64_C(-62135596800)
#define TS_MAX_SECONDS INT64_C(253402300799)

typedef struct slot {
  uint64_t v;       /* the value; Timestamp seconds */
  const uint8_t *p; /* string/bytes: into the message */
  uint32_t n;
  int32_t nanos; /* Timestamp */
  uint32_t at;   /* offset of the field's last key, for errors found at commit */
} slot;

/* Why the message in hand is bad. */
typedef struct msg_fail {
  feast_code code;
  const char *cause;
  size_t offset;
  char reason[360];
} msg_fail;

enum { R_OK = 0, R_BAD = -1, R_FATAL = -2 };

struct feast_proto_decoder {
  const feast_proto_plan *plan;
  slot *slots;
  uint64_t *leaf_seen, *node_seen;
  int leaf_words, node_words;
  uint32_t *oneof_case;
  feast_array **cols; /* per leaf, for the call in hand */
  /* Fixed-width singular leaves (8- and 4-byte values, BOOL bits) are
   * written straight into their column at index `row`, room the call
   * reserved: that slot is scratch until the row is committed, so a bad
   * message needs no undo there, and only unset ones need work at commit.
   * Their columns' lengths are set once, at the end of the call. */
  uint8_t *direct; /* per leaf: 8, 4, 1 (bit) or 0 (kept in the slot) */
  void **vals;     /* per leaf: its column's values, for the call in hand */
  int64_t row;     /* the row being decoded, an index into every column */
  int *later;      /* leaves committed through commit_leaf (not direct) */
  int n_later;
  uint64_t *direct_mask;
  const uint8_t *msg_start;
  msg_fail fail;
  feast_error *err; /* the call's, for fatal failures */
  feast_code fatal_rc;
  feast_error scratch;
  feast_proto_reject *rejects;
  size_t n_rejects, cap_rejects;
  uint64_t *present; /* leaf_words per row of the last call */
  int64_t present_rows, present_cap;
};

static inline void bit_on(uint64_t *w, int i) { w[i >> 6] |= UINT64_C(1) << (i & 63); }
static inline void bit_off(uint64_t *w, int i) { w[i >> 6] &= ~(UINT64_C(1) << (i & 63)); }
static inline bool bit_is(const uint64_t *w, int i) { return (w[i >> 6] >> (i & 63)) & 1; }

/* ---- failures ---- */

/* Names the field at fault: a wanted column's path, a nested message on a
 * wanted path, or a field the plan does not read. */
static void where(const feast_proto_decoder *d, const feast_proto_node *nd, const feast_proto_action *a, uint32_t field,
                  char *buf, size_t size) {
  const feast_proto_plan *plan = d->plan;
  if (a && a->op >= FEAST_POP_VARINT && a->op <= FEAST_POP_WRAPPER)
    snprintf(buf, size, "%s (field %u of %s)", plan->leaves[a->target].path, a->field, nd->message);
  else if (a && a->op == FEAST_POP_MESSAGE)
    snprintf(buf, size, "%s (field %u of %s)", plan->nodes[a->target].path, a->field, nd->message);
  else if (field)
    snprintf(buf, size, "field %u of %s%s%s (not a wanted column)", field, nd->message, *nd->path ? " at " : "", nd->path);
  else
    snprintf(buf, size, "message %s%s%s", nd->message, *nd->path ? " at " : "", nd->path);
}

static int bad(feast_proto_decoder *d, const feast_proto_node *nd, const feast_proto_action *a, uint32_t field,
               const uint8_t *at, feast_code code, const char *cause, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
static int bad(feast_proto_decoder *d, const feast_proto_node *nd, const feast_proto_action *a, uint32_t field,
               const uint8_t *at, feast_code code, const char *cause, const char *fmt, ...) {
  char who[160], what[150];
  where(d, nd, a, field, who, sizeof who);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  d->fail.code = code;
  d->fail.cause = cause;
  d->fail.offset = (size_t)(at - d->msg_start);
  snprintf(d->fail.reason, sizeof d->fail.reason, "%s at byte %zu: %s", who, d->fail.offset, what);
  return R_BAD;
}

static int fatal(feast_proto_decoder *d, feast_code rc) {
  d->fatal_rc = rc;
  return R_FATAL;
}

static const char *varint_cause(const uint8_t *p, const uint8_t *end) {
  return strcmp(feast_wire_varint_error(p, end), "truncated varint") == 0 ? "truncated" : "bad varint";
}

/* The wanted column (or nested message) a field number stands for, to name
 * it in an error. */
static const feast_proto_action *named_action(const feast_proto_node *nd, uint32_t field) {
  for (size_t i = 4; i < nd->n_actions; i++)
    if (nd->actions[i].field == field && nd->actions[i].op != FEAST_POP_ONEOF) return &nd->actions[i];
  return NULL;
}

/* ---- list elements, appended to a list column's child ---- */

static inline int child_room(feast_proto_decoder *d, feast_array *c, int64_t rows) {
  if (c->length + rows <= c->capacity && c->capacity) return R_OK;
  feast_code rc = feast_array_reserve_uninit(c, rows, 0, d->err);
  if (c->length == 0 && c->offsets) c->offsets[0] = 0; /* even when a later buffer failed */
  if (rc) return fatal(d, rc);
  return R_OK;
}

static inline int push_bytes(feast_proto_decoder *d, feast_array *c, const void *p, size_t n) {
  if (child_room(d, c, 1)) return R_FATAL;
  if (c->data_len + (int64_t)n > c->data_capacity || !c->data) {
    feast_code rc = feast_array_reserve_uninit(c, 0, (int64_t)n, d->err);
    if (rc) return fatal(d, rc);
  }
  if (n) memcpy(c->data + c->data_len, p, n);
  c->data_len += (int64_t)n;
  c->offsets[++c->length] = (int32_t)c->data_len;
  return R_OK;
}

/* An enum number's name, or its decimal digits in buf. */
static const char *enum_name(const feast_proto_enum_names *e, int32_t v, char *buf, size_t *len) {
  if (v >= e->min && v <= e->max && e->names[v - e->min]) {
    *len = e->lens[v - e->min];
    return e->names[v - e->min];
  }
  size_t lo = 0, hi = e->n_sparse;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (e->sparse_numbers[mid] == v) {
      *len = strlen(e->sparse_names[mid]);
      return e->sparse_names[mid];
    }
    if (e->sparse_numbers[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  *len = (size_t)snprintf(buf, 16, "%d", (int)v);
  return buf;
}

/* Timestamp parts -> microseconds; false when out of protobuf's range. */
static inline bool ts_to_us(int64_t seconds, int32_t nanos, int64_t *us) {
  if (seconds < TS_MIN_SECONDS || seconds > TS_MAX_SECONDS || nanos < 0 || nanos > 999999999) return false;
  *us = seconds * 1000000 + nanos / 1000;
  return true;
}

static inline bool ts_int_to_us(const feast_proto_leaf *l, int64_t v, int64_t *us) {
  int64_t r;
  if (l->ts_div > 1) r = v >= 0 ? v / l->ts_div : -((-(v + 1)) / l->ts_div) - 1; /* floor */
  else if (__builtin_mul_overflow(v, l->ts_mul, &r)) return false;
  if (r < TS_MIN_SECONDS * 1000000 || r > TS_MAX_SECONDS * 1000000 + 999999) return false;
  *us = r;
  return true;
}

/* One list element from a wire integer (or the bytes of a string). */
static int push_elem(feast_proto_decoder *d, const feast_proto_node *nd, const feast_proto_action *a, const uint8_t *at,
                     uint64_t v) {
  const feast_proto_leaf *l = &d->plan->leaves[a->target];
  feast_array *c = d->cols[a->target]->child;
  switch (l->elem_store) {
  case FEAST_PSTORE_W8:
  case FEAST_PSTORE_TS: /* already microseconds */
    if (child_room(d, c, 1)) return R_FATAL;
    ((uint64_t *)c->values)[c->length++] = v;
    return R_OK;
  case FEAST_PSTORE_W4:
    if (child_room(d, c, 1)) return R_FATAL;
    ((uint32_t *)c->values)[c->length++] = (uint32_t)v;
    return R_OK;
  case FEAST_PSTORE_BIT:
    if (child_room(d, c, 1)) return R_FATAL;
    feast_bit_set(c->values, c->length++, v != 0);
    return R_OK;
  case FEAST_PSTORE_ENUM: {
    char buf[16];
    size_t n;
    const char *s = enum_name(l->enums, (int32_t)v, buf, &n);
    return push_bytes(d, c, s, n);
  }
  case FEAST_PSTORE_TS_INT: {
    int64_t us;
    if (!ts_int_to_us(l, (int64_t)v, &us))
      return bad(d, nd, a, 0, at, FEAST_E_INVALID, "timestamp out of range", "%lld is out of the timestamp range",
                 (long long)(int64_t)v);
    if (child_room(d, c, 1)) return R_FATAL;
    ((int64_t *)c->values)[c->length++] = us;
    return R_OK;
  }
  default:
    return bad(d, nd, a, 0, at, FEAST_E_INTERNAL, "internal", "no element store %d", l->elem_store);
  }
}

/* ---- scalar values ---- */

static inline uint64_t convert(uint8_t conv, uint64_t v) {
  switch (conv) {
  case FEAST_PCONV_I32: return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
  case FEAST_PCONV_U32: return v & 0xFFFFFFFFu;
  case FEAST_PCONV_BOOL: return v != 0;
  case FEAST_PCONV_ZZ32: return (uint64_t)(int64_t)feast_wire_zigzag32((uint32_t)v);
  case FEAST_PCONV_ZZ64: return (uint64_t)feast_wire_zigzag64(v);
  default: return v;
  }
}

/* A singular scalar's value: into its column (direct leaves) or its slot. */
static inline void keep(feast_proto_decoder *d, int li, uint64_t v, const uint8_t *at) {
  switch (d->direct[li]) {
  case 8: ((uint64_t *)d->vals[li])[d->row] = v; break;
  case 4: ((uint32_t *)d->vals[li])[d->row] = (uint32_t)v; break;
  case 1: feast_bit_set(d->vals[li], d->row, v != 0); break;
  default:
    d->slots[li].v = v;
    d->slots[li].at = (uint32_t)(at - d->msg_start);
  }
}

/* The value a direct leaf holds so far in this row (for a wrapper's merge). */
static inline uint64_t kept_value(const feast_proto_decoder *d, int li) {
  switch (d->direct[li]) {
  case 8: return ((const uint64_t *)d->vals[li])[d->row];
  case 4: return ((const uint32_t *)d->vals[li])[d->row];
  case 1: return feast_bit_get(d->vals[li], d->row);
  default: return d->slots[li].v;
  }
}

/* Clear what a oneof member set: a column, or a nested message's subtree. */
static void clear_member(feast_proto_decoder *d, int oneof, uint32_t field) {
  const feast_proto_plan *plan = d->plan;
  for (int i = 0; i < plan->oneof_members_n[oneof]; i++) {
    const struct feast_proto_oneof_member *m = &plan->oneof_members[oneof][i];
    if (m->field != field) continue;
    if (m->leaf >= 0) bit_off(d->leaf_seen, m->leaf);
    if (m->node >= 0) {
      const feast_proto_node *nd = &plan->nodes[m->node];
      for (int k = nd->node_begin; k < nd->node_end; k++) bit_off(d->node_seen, k);
      for (int k = nd->leaf_begin; k < nd->leaf_end; k++) {
        bit_off(d->leaf_seen, k);
        if (plan->leaves[k].store == FEAST_PSTORE_LIST) {
          /* the elements appended since the row began */
          feast_array *col = d->cols[k], *c = col->child;
          c->length = col->offsets[col->length];
          if (c->offsets) c->data_len = c->offsets[c->length];
        }
      }
      for (int k = nd->oneof_begin; k < nd->oneof_end; k++) d->oneof_case[k] = 0;
    }
  }
}

static inline void set_case(feast_proto_decoder *d, int oneof, uint32_t field) {
  uint32_t cur = d->oneof_case[oneof];
  if (cur != field) {
    if (cur) clear_member(d, oneof, cur);
    d->oneof_case[oneof] = field;
  }
}

/* Skip a value of wire type wt whose key began at `at`. */
static const uint8_t *skip_value(feast_proto_decoder *d, const feast_proto_node *nd, uint32_t field, int wt,
                                 const uint8_t *at, const uint8_t *p, const uint8_t *end, int *rc) {
  uint64_t v;
  const uint8_t *q;
  switch (wt) {
  case FEAST_WIRE_VARINT:
    if (!(q = feast_wire_varint_at(p, end, &v)))
      *rc = bad(d, nd, NULL, field, at, FEAST_E_CORRUPT, varint_cause(p, end), "%s", feast_wire_varint_error(p, end));
    return q;
  case FEAST_WIRE_I64:
    if (end - p < 8) break;
    return p + 8;
  case FEAST_WIRE_I32:
    if (end - p < 4) break;
    return p + 4;
  case FEAST_WIRE_LEN:
    if (!(q = feast_wire_varint_at(p, end, &v))) {
      *rc = bad(d, nd, NULL, field, at, FEAST_E_CORRUPT, "truncated", "length: %s", feast_wire_varint_error(p, end));
      return NULL;
    }
    if (v > (uint64_t)(end - q)) {
      *rc = bad(d, nd, NULL, field, at, FEAST_E_CORRUPT, "bad length", "length %llu past the end of its message",
                (unsigned long long)v);
      return NULL;
    }
    return q + v;
  case FEAST_WIRE_SGROUP: {
    feast_wire w = feast_wire_make(p, (size_t)(end - p));
    if (feast_wire_skip(&w, field, FEAST_WIRE_SGROUP, &d->scratch)) {
      *rc = bad(d, nd, NULL, field, at, FEAST_E_CORRUPT, "bad group", "group: %s", d->scratch.message);
      return NULL;
    }
    return w.p;
  }
  default: break;
  }
  *rc = bad(d, nd, NULL, field, at, FEAST_E_CORRUPT, "truncated", "truncated %s", wt == FEAST_WIRE_I64 ? "fixed64" : "fixed32");
  return NULL;
}

/* The payload of a length-delimited field whose key began at `at`. */
static inline const uint8_t *len_payload(feast_proto_decoder *d, const feast_proto_node *nd,
                                         const feast_proto_action *a, const uint8_t *at, const uint8_t *p,
                                         const uint8_t *end, uint64_t *n, int *rc) {
  const uint8_t *q;
  if (p < end && *p < 0x80) {
    *n = *p;
    q = p + 1;
  } else if (!(q = feast_wire_varint_at(p, end, n))) {
    *rc = bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "truncated", "length: %s", feast_wire_varint_error(p, end));
    return NULL;
  }
  if (*n > (uint64_t)(end - q)) {
    *rc = bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "bad length", "length %llu past the end of its message",
              (unsigned long long)*n);
    return NULL;
  }
  return q;
}

/* A Timestamp's fields into *seconds and *nanos (merging into what they hold). */
static int read_timestamp(feast_proto_decoder *d, const feast_proto_node *nd, const feast_proto_action *a,
                          const uint8_t *at, const uint8_t *p, const uint8_t *end, int64_t *seconds, int32_t *nanos) {
  while (p < end) {
    const uint8_t *kat = p;
    uint64_t key, v;
    const uint8_t *q = feast_wire_varint_at(p, end, &key);
    if (!q) return bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "bad key", "Timestamp key: %s", feast_wire_varint_error(p, end));
    p = q;
    uint32_t field = (uint32_t)(key >> 3);
    int wt = (int)(key & 7);
    if (key >> 32 || field == 0 || wt > 5)
      return bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "bad key", "Timestamp has an invalid field key %llu",
                 (unsigned long long)key);
    if (field == 1 || field == 2) {
      if (wt != FEAST_WIRE_VARINT)
        return bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "bad wire type", "Timestamp.%s has wire type %d, not varint",
                   field == 1 ? "seconds" : "nanos", wt);
      if (!(q = feast_wire_varint_at(p, end, &v)))
        return bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "truncated", "Timestamp.%s: %s", field == 1 ? "seconds" : "nanos",
                   feast_wire_varint_error(p, end));
      p = q;
      if (field == 1) *seconds = (int64_t)v;
      else *nanos = (int32_t)(uint32_t)v;
    } else {
      if (wt == FEAST_WIRE_EGROUP)
        return bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "bad group", "end-group key with no group open in a Timestamp");
      int rc = R_OK;
      if (!(p = skip_value(d, nd, field, wt, kat, p, end, &rc))) return rc;
    }
  }
  return R_OK;
}

/* A wrapper's field 1 into *v / (*sp, *sn), merging. */
static int read_wrapper(feast_proto_decoder *d, const feast_proto_node *nd, const feast_proto_action *a,
                        const uint8_t *at, const uint8_t *p, const uint8_t *end, uint64_t *v, const uint8_t **sp,
                        uint32_t *sn) {
  while (p < end) {
    const uint8_t *kat = p;
    uint64_t key, x;
    const uint8_t *q = feast_wire_varint_at(p, end, &key);
    if (!q) return bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "bad key", "wrapper key: %s", feast_wire_varint_error(p, end));
    p = q;
    uint32_t field = (uint32_t)(key >> 3);
    int wt = (int)(key & 7);
    if (key >> 32 || field == 0 || wt > 5)
      return bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "bad key", "wrapper has an invalid field key %llu",
                 (unsigned long long)key);
    if (field != 1) {
      if (wt == FEAST_WIRE_EGROUP)
        return bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "bad group", "end-group key with no group open in a wrapper");
      int rc = R_OK;
      if (!(p = skip_value(d, nd, field, wt, kat, p, end, &rc))) return rc;
      continue;
    }
    if (wt != a->wire)
      return bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "bad wire type", "wrapper value has wire type %d, not %d", wt, a->wire);
    switch (wt) {
    case FEAST_WIRE_VARINT:
      if (!(q = feast_wire_varint_at(p, end, &x)))
        return bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "truncated", "wrapper value: %s", feast_wire_varint_error(p, end));
      *v = convert(a->conv, x);
      p = q;
      break;
    case FEAST_WIRE_I32:
      if (end - p < 4) return bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "truncated", "truncated fixed32 wrapper value");
      *v = convert(a->conv, feast_wire_le32(p));
      p += 4;
      break;
    case FEAST_WIRE_I64:
      if (end - p < 8) return bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "truncated", "truncated fixed64 wrapper value");
      *v = feast_wire_le64(p);
      p += 8;
      break;
    default: { /* LEN: StringValue, BytesValue */
      uint64_t n;
      int rc = R_OK;
      if (!(q = len_payload(d, nd, a, at, p, end, &n, &rc))) return rc;
      size_t bad_at;
      if (a->utf8 && !feast_utf8_valid(q, (size_t)n, &bad_at))
        return bad(d, nd, a, 0, at, FEAST_E_INVALID, "invalid utf-8", "string is not valid UTF-8 (byte %zu of %llu)",
                   bad_at, (unsigned long long)n);
      *sp = q;
      *sn = (uint32_t)n;
      p = q + n;
    }
    }
  }
  return R_OK;
}

/* One planned field of message node `ni`, whose key began at `at` and whose
 * value starts at p. Returns the position after the value, or NULL. */
static int read_node(feast_proto_decoder *d, int ni, const uint8_t *p, const uint8_t *end);

static const uint8_t *do_action(feast_proto_decoder *d, const feast_proto_node *nd, const feast_proto_action *a,
                                uint64_t key, const uint8_t *at, const uint8_t *p, const uint8_t *end, int *rc) {
  uint64_t v, n;
  const uint8_t *q;
  slot *s;
  switch (a->op) {
  case FEAST_POP_SKIP:
    return skip_value(d, nd, (uint32_t)(key >> 3), (int)(key & 7), at, p, end, rc);
  case FEAST_POP_BAD_WIRE:
    *rc = bad(d, nd, named_action(nd, (uint32_t)(key >> 3)), (uint32_t)(key >> 3), at, FEAST_E_CORRUPT,
              "bad wire type", "wire type %d does not match the field's declared type", (int)(key & 7));
    return NULL;
  case FEAST_POP_FIELD0:
    *rc = bad(d, nd, NULL, 0, at, FEAST_E_CORRUPT, "bad key", (key >> 3) == 0 ? "field number 0 (key %llu)" : "invalid wire type in key %llu",
              (unsigned long long)key);
    return NULL;
  case FEAST_POP_END_GROUP:
    *rc = bad(d, nd, NULL, (uint32_t)(key >> 3), at, FEAST_E_CORRUPT, "bad group", "end-group key with no group open");
    return NULL;
  case FEAST_POP_ONEOF:
    set_case(d, a->oneof, a->field);
    return skip_value(d, nd, a->field, (int)(key & 7), at, p, end, rc);
  default: break;
  }
  if (a->oneof >= 0) set_case(d, a->oneof, a->field);
  switch (a->op) {
  case FEAST_POP_VARINT:
    if (p < end && *p < 0x80) {
      v = *p;
      q = p + 1;
    } else if (!(q = feast_wire_varint_at(p, end, &v))) {
      *rc = bad(d, nd, a, 0, at, FEAST_E_CORRUPT, varint_cause(p, end), "%s", feast_wire_varint_error(p, end));
      return NULL;
    }
    v = convert(a->conv, v);
    break;
  case FEAST_POP_FIXED32:
    if (end - p < 4) {
      *rc = bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "truncated", "truncated fixed32");
      return NULL;
    }
    v = convert(a->conv, feast_wire_le32(p));
    q = p + 4;
    break;
  case FEAST_POP_FIXED64:
    if (end - p < 8) {
      *rc = bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "truncated", "truncated fixed64");
      return NULL;
    }
    v = feast_wire_le64(p);
    q = p + 8;
    break;
  case FEAST_POP_BYTES: {
    if (!(q = len_payload(d, nd, a, at, p, end, &n, rc))) return NULL;
    size_t bad_at;
    if (a->utf8 && !feast_utf8_valid(q, (size_t)n, &bad_at)) {
      *rc = bad(d, nd, a, 0, at, FEAST_E_INVALID, "invalid utf-8", "string is not valid UTF-8 (byte %zu of %llu)",
                bad_at, (unsigned long long)n);
      return NULL;
    }
    bit_on(d->leaf_seen, a->target);
    if (a->repeated) {
      if ((*rc = push_bytes(d, d->cols[a->target]->child, q, (size_t)n))) return NULL;
    } else {
      s = &d->slots[a->target];
      s->p = q;
      s->n = (uint32_t)n;
    }
    return q + n;
  }
  case FEAST_POP_PACKED: {
    if (!(q = len_payload(d, nd, a, at, p, end, &n, rc))) return NULL;
    const uint8_t *r = q, *rend = q + n;
    bit_on(d->leaf_seen, a->target);
    int size = a->wire == FEAST_WIRE_I32 ? 4 : a->wire == FEAST_WIRE_I64 ? 8 : 0;
    if (size && n % (uint64_t)size) {
      *rc = bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "bad packed run", "packed run of %llu bytes is not a multiple of %d",
                (unsigned long long)n, size);
      return NULL;
    }
    /* room for every element at once: n / size of them, or at most n varints */
    if ((*rc = child_room(d, d->cols[a->target]->child, (int64_t)(size ? n / (uint64_t)size : n)))) return NULL;
    while (r < rend) {
      uint64_t e;
      if (size == 4) e = convert(a->conv, feast_wire_le32(r)), r += 4;
      else if (size == 8) e = feast_wire_le64(r), r += 8;
      else if (*r < 0x80) e = convert(a->conv, *r++);
      else {
        const uint8_t *t = feast_wire_varint_at(r, rend, &e);
        if (!t) {
          *rc = bad(d, nd, a, 0, at, FEAST_E_CORRUPT, "bad packed run", "packed element at byte %zu: %s",
                    (size_t)(r - d->msg_start), feast_wire_varint_error(r, rend));
          return NULL;
        }
        r = t;
        e = convert(a->conv, e);
      }
      if ((*rc = push_elem(d, nd, a, at, e))) return NULL;
    }
    return rend;
  }
  case FEAST_POP_TIMESTAMP: {
    if (!(q = len_payload(d, nd, a, at, p, end, &n, rc))) return NULL;
    if (a->repeated) {
      int64_t sec = 0, us;
      int32_t ns = 0;
      if ((*rc = read_timestamp(d, nd, a, at, q, q + n, &sec, &ns))) return NULL;
      if (!ts_to_us(sec, ns, &us)) {
        *rc = bad(d, nd, a, 0, at, FEAST_E_INVALID, "timestamp out of range",
                  "Timestamp {seconds: %lld, nanos: %d} is out of range", (long long)sec, (int)ns);
        return NULL;
      }
      bit_on(d->leaf_seen, a->target);
      if ((*rc = push_elem(d, nd, a, at, (uint64_t)us))) return NULL;
      return q + n;
    }
    s = &d->slots[a->target];
    if (!bit_is(d->leaf_seen, a->target)) s->v = 0, s->nanos = 0;
    int64_t sec = (int64_t)s->v;
    if ((*rc = read_timestamp(d, nd, a, at, q, q + n, &sec, &s->nanos))) return NULL;
    s->v = (uint64_t)sec;
    s->at = (uint32_t)(at - d->msg_start);
    bit_on(d->leaf_seen, a->target);
    return q + n;
  }
  case FEAST_POP_WRAPPER: {
    if (!(q = len_payload(d, nd, a, at, p, end, &n, rc))) return NULL;
    if (a->repeated) {
      uint64_t x = 0;
      const uint8_t *sp = (const uint8_t *)"";
      uint32_t sn = 0;
      if ((*rc = read_wrapper(d, nd, a, at, q, q + n, &x, &sp, &sn))) return NULL;
      bit_on(d->leaf_seen, a->target);
      const feast_proto_leaf *l = &d->plan->leaves[a->target];
      if (l->elem_store == FEAST_PSTORE_VAR) *rc = push_bytes(d, d->cols[a->target]->child, sp, sn);
      else *rc = push_elem(d, nd, a, at, x);
      return *rc ? NULL : q + n;
    }
    s = &d->slots[a->target];
    bool was = bit_is(d->leaf_seen, a->target);
    if (!was) s->p = (const uint8_t *)"", s->n = 0;
    uint64_t x = was ? kept_value(d, a->target) : 0;
    if ((*rc = read_wrapper(d, nd, a, at, q, q + n, &x, &s->p, &s->n))) return NULL;
    keep(d, a->target, x, at);
    bit_on(d->leaf_seen, a->target);
    return q + n;
  }
  case FEAST_POP_MESSAGE:
    if (!(q = len_payload(d, nd, a, at, p, end, &n, rc))) return NULL;
    bit_on(d->node_seen, a->target);
    if ((*rc = read_node(d, a->target, q, q + n))) return NULL;
    return q + n;
  default:
    *rc = bad(d, nd, a, 0, at, FEAST_E_INTERNAL, "internal", "unknown action %d", a->op);
    return NULL;
  }
  /* a scalar: one value kept, or one element appended */
  bit_on(d->leaf_seen, a->target);
  if (a->repeated) {
    if ((*rc = push_elem(d, nd, a, at, v))) return NULL;
  } else {
    keep(d, a->target, v, at);
  }
  return q;
}

static const feast_proto_action *lookup_slow(const feast_proto_node *nd, uint64_t key) {
  uint32_t field = (uint32_t)(key >> 3);
  int wt = (int)(key & 7);
  if (key >> 32 || field == 0 || wt > 5) return &nd->actions[FEAST_POP_FIELD0];
  size_t lo = 0, hi = nd->n_sparse;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (nd->sparse[mid].key == key) return &nd->actions[nd->sparse[mid].action];
    if (nd->sparse[mid].key < key) lo = mid + 1;
    else hi = mid;
  }
  return &nd->actions[wt == FEAST_WIRE_EGROUP ? FEAST_POP_END_GROUP : FEAST_POP_SKIP];
}

static int read_node(feast_proto_decoder *d, int ni, const uint8_t *p, const uint8_t *end) {
  const feast_proto_node *nd = &d->plan->nodes[ni];
  int rc = R_OK;
  /* Held in locals: the stores below go through uint64_t pointers, which
   * the compiler must otherwise assume to alias every one of these. */
  const uint16_t *dispatch = nd->dispatch;
  const feast_proto_action *actions = nd->actions;
  const uint32_t key_limit = nd->key_limit;
  slot *const slots = d->slots;
  void *const *vals = d->vals;
  uint64_t *const seen_bits = d->leaf_seen;
  const int64_t row = d->row;
  while (p < end) {
    const uint8_t *at = p;
    uint64_t key;
    if (*p < 0x80) {
      key = *p++;
    } else {
      const uint8_t *q = feast_wire_varint_at(p, end, &key);
      if (!q)
        return bad(d, nd, NULL, 0, at, FEAST_E_CORRUPT, varint_cause(p, end), "field key: %s",
                   feast_wire_varint_error(p, end));
      p = q;
    }
    const feast_proto_action *a = key < key_limit ? &actions[dispatch[key]] : lookup_slow(nd, key);
    /* The common cases inline; anything unusual (a long length, a malformed
     * value, a Timestamp with other fields) goes to do_action from the
     * value's start, which redoes it in full and reports errors. */
    slot *s = &slots[a->target];
    uint64_t v;
    const uint8_t *q;
    switch (a->fast) {
    case FEAST_PFAST_VARINT_RAW:
    case FEAST_PFAST_VARINT_I32:
    case FEAST_PFAST_VARINT_BOOL:
      if (p < end && *p < 0x80) v = *p, q = p + 1;
      else if (!(q = feast_wire_varint_at(p, end, &v))) break;
      v = a->fast == FEAST_PFAST_VARINT_RAW ? v
          : a->fast == FEAST_PFAST_VARINT_I32 ? (uint64_t)(int64_t)(int32_t)(uint32_t)v
                                              : v != 0;
      goto value;
    case FEAST_PFAST_FIXED32:
      if (end - p < 4) break;
      v = feast_wire_le32(p);
      q = p + 4;
      goto value;
    case FEAST_PFAST_FIXED64:
      if (end - p < 8) break;
      v = feast_wire_le64(p);
      q = p + 8;
      goto value;
    case FEAST_PFAST_BYTES:
      if (p >= end || *p >= 0x80 || *p > end - p - 1) break;
      v = *p;
      q = p + 1;
      if (a->utf8 && !feast_utf8_valid_inline(q, (size_t)v)) break;
      s->p = q;
      s->n = (uint32_t)v;
      q += v;
      s->at = (uint32_t)(at - d->msg_start);
      goto kept;
    case FEAST_PFAST_TIMESTAMP: {
      if (p >= end || *p >= 0x80 || *p > end - p - 1) break;
      const uint8_t *r = p + 1, *tend = r + *p;
      bool seen = bit_is(seen_bits, a->target);
      int64_t sec = seen ? (int64_t)s->v : 0;
      int32_t ns = seen ? s->nanos : 0;
      while (r < tend) {
        uint8_t k = *r;
        const uint8_t *t;
        if ((k != 0x08 && k != 0x10) || !(t = feast_wire_varint_at(r + 1, tend, &v))) break;
        if (k == 0x08) sec = (int64_t)v;
        else ns = (int32_t)(uint32_t)v;
        r = t;
      }
      if (r < tend) break;
      s->v = (uint64_t)sec;
      s->nanos = ns;
      s->at = (uint32_t)(at - d->msg_start);
      q = tend;
      goto kept;
    }
    default: break;
    }
    if (!(p = do_action(d, nd, a, key, at, p, end, &rc))) return rc;
    continue;
  value:
    switch (a->direct) {
    case 8: ((uint64_t *)vals[a->target])[row] = v; break;
    case 4: ((uint32_t *)vals[a->target])[row] = (uint32_t)v; break;
    case 1: feast_bit_set(vals[a->target], row, v != 0); break;
    default: s->v = v, s->at = (uint32_t)(at - d->msg_start);
    }
  kept:
    bit_on(seen_bits, a->target);
    p = q;
  }
  return R_OK;
}

/* ---- committing a row ---- */

static int ensure_validity(feast_proto_decoder *d, feast_array *c) {
  if (c->validity) return R_OK;
  size_t bytes = (size_t)((c->capacity + 7) / 8);
  c->validity = feast_malloc(bytes ? bytes : 1);
  if (!c->validity) return fatal(d, feast_fail(d->err, FEAST_E_NOMEM, "out of memory allocating a validity bitmap"));
  memset(c->validity, 0xff, bytes ? bytes : 1);
  return R_OK;
}

/* Take back the last row of a column (one this message wrote). */
static void undo_row(feast_array *c) {
  c->length--;
  if (c->validity && !feast_bit_get(c->validity, c->length)) c->null_count--;
  if (c->type.id == FEAST_DT_STRING || c->type.id == FEAST_DT_BINARY) c->data_len = c->offsets[c->length];
  if (c->type.id == FEAST_DT_LIST) {
    c->child->length = c->offsets[c->length];
    if (c->child->offsets) c->child->data_len = c->child->offsets[c->child->length];
  }
}

/* The lists' elements of a message that did not make a row. */
static void drop_elements(feast_proto_decoder *d) {
  const feast_proto_plan *plan = d->plan;
  for (int i = 0; i < plan->n_list_leaves; i++) {
    feast_array *col = d->cols[plan->list_leaves[i]], *c = col->child;
    c->length = col->offsets[col->length];
    if (c->offsets) c->data_len = c->offsets[c->length];
  }
}

static int put_null(feast_proto_decoder *d, feast_array *c) {
  if (ensure_validity(d, c)) return R_FATAL;
  int64_t i = c->length;
  feast_bit_set(c->validity, i, false);
  c->null_count++;
  switch (c->type.id) {
  case FEAST_DT_BOOL: feast_bit_set(c->values, i, false); break;
  case FEAST_DT_STRING:
  case FEAST_DT_BINARY:
  case FEAST_DT_LIST: c->offsets[i + 1] = c->offsets[i]; break;
  default: memset((char *)c->values + i * feast_dtype_byte_width(c->type), 0, (size_t)feast_dtype_byte_width(c->type));
  }
  c->length++;
  return R_OK;
}

static inline int put_bytes(feast_proto_decoder *d, feast_array *c, const void *p, size_t n) {
  if (c->data_len + (int64_t)n > c->data_capacity || !c->data) {
    feast_code rc = feast_array_reserve_uninit(c, 0, (int64_t)n, d->err);
    if (rc) return fatal(d, rc);
  }
  if (n) memcpy(c->data + c->data_len, p, n);
  c->data_len += (int64_t)n;
  c->offsets[c->length + 1] = (int32_t)c->data_len;
  if (c->validity) feast_bit_set(c->validity, c->length, true);
  c->length++;
  return R_OK;
}

static int commit_leaf(feast_proto_decoder *d, int li) {
  const feast_proto_leaf *l = &d->plan->leaves[li];
  feast_array *c = d->cols[li];
  const slot *s = &d->slots[li];
  bool seen = bit_is(d->leaf_seen, li);
  if (!seen && (l->nullable || !bit_is(d->node_seen, l->node))) return put_null(d, c);
  int64_t i = c->length;
  switch (l->store) {
  case FEAST_PSTORE_W8: ((uint64_t *)c->values)[i] = seen ? s->v : 0; break;
  case FEAST_PSTORE_W4: ((uint32_t *)c->values)[i] = seen ? (uint32_t)s->v : 0; break;
  case FEAST_PSTORE_BIT: feast_bit_set(c->values, i, seen && s->v); break;
  case FEAST_PSTORE_VAR: return seen ? put_bytes(d, c, s->p, s->n) : put_bytes(d, c, "", 0);
  case FEAST_PSTORE_ENUM: {
    char buf[16];
    size_t n = strlen(l->enums->default_name);
    const char *name = seen ? enum_name(l->enums, (int32_t)s->v, buf, &n) : l->enums->default_name;
    return put_bytes(d, c, name, n);
  }
  case FEAST_PSTORE_TS: {
    int64_t us = 0;
    if (seen && !ts_to_us((int64_t)s->v, s->nanos, &us)) {
      d->fail.code = FEAST_E_INVALID;
      d->fail.cause = "timestamp out of range";
      d->fail.offset = s->at;
      snprintf(d->fail.reason, sizeof d->fail.reason,
               "%s at byte %u: Timestamp {seconds: %lld, nanos: %d} is out of range (0001-01-01 .. 9999-12-31, nanos "
               "0 .. 999999999)", l->path, s->at, (long long)(int64_t)s->v, (int)s->nanos);
      return R_BAD;
    }
    ((int64_t *)c->values)[i] = us;
    break;
  }
  case FEAST_PSTORE_TS_INT: {
    int64_t us = 0;
    if (seen && !ts_int_to_us(l, (int64_t)s->v, &us)) {
      d->fail.code = FEAST_E_INVALID;
      d->fail.cause = "timestamp out of range";
      d->fail.offset = s->at;
      snprintf(d->fail.reason, sizeof d->fail.reason, "%s at byte %u: %lld is out of the timestamp range", l->path,
               s->at, (long long)(int64_t)s->v);
      return R_BAD;
    }
    ((int64_t *)c->values)[i] = us;
    break;
  }
  case FEAST_PSTORE_LIST: c->offsets[i + 1] = (int32_t)c->child->length; break;
  }
  if (c->validity) feast_bit_set(c->validity, i, true);
  c->length++;
  return R_OK;
}

/* The direct leaves this message did not set get null (an absent parent,
 * explicit presence) or their default. `pass` 0 only makes sure the
 * validity bitmaps exist (the one thing that can fail); pass 1 writes. */
static int unset_direct(feast_proto_decoder *d, int pass) {
  const feast_proto_plan *plan = d->plan;
  for (int w = 0; w < d->leaf_words; w++) {
    uint64_t unset = ~d->leaf_seen[w] & d->direct_mask[w];
    while (unset) {
      int li = w * 64 + __builtin_ctzll(unset);
      unset &= unset - 1;
      const feast_proto_leaf *l = &plan->leaves[li];
      bool null = l->nullable || !bit_is(d->node_seen, l->node);
      feast_array *c = d->cols[li];
      if (pass == 0) {
        if (null && ensure_validity(d, c)) return R_FATAL;
        continue;
      }
      switch (d->direct[li]) {
      case 8: ((uint64_t *)d->vals[li])[d->row] = 0; break;
      case 4: ((uint32_t *)d->vals[li])[d->row] = 0; break;
      default: feast_bit_set(d->vals[li], d->row, false);
      }
      if (null) {
        feast_bit_set(c->validity, d->row, false);
        c->null_count++;
      }
    }
  }
  return R_OK;
}

static int commit_row(feast_proto_decoder *d) {
  bool any_unset = false;
  for (int w = 0; w < d->leaf_words; w++) any_unset |= (~d->leaf_seen[w] & d->direct_mask[w]) != 0;
  int rc = any_unset ? unset_direct(d, 0) : R_OK;
  for (int k = 0; !rc && k < d->n_later; k++) {
    rc = commit_leaf(d, d->later[k]);
    if (rc)
      for (int j = 0; j < k; j++) undo_row(d->cols[d->later[j]]);
  }
  if (rc) {
    drop_elements(d);
    return rc;
  }
  if (any_unset) unset_direct(d, 1);
  return R_OK;
}

/* ---- the call ---- */

feast_code feast_proto_decoder_new(const feast_proto_plan *plan, feast_proto_decoder **out, feast_error *err) {
  *out = NULL;
  feast_proto_decoder *d = feast_calloc(1, sizeof *d);
  if (!d) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  d->plan = plan;
  d->leaf_words = (plan->n_leaves + 63) / 64;
  d->node_words = (plan->n_nodes + 63) / 64;
  if (!d->leaf_words) d->leaf_words = 1;
  d->slots = feast_calloc((size_t)plan->n_leaves + 1, sizeof *d->slots);
  d->leaf_seen = feast_calloc((size_t)d->leaf_words, sizeof *d->leaf_seen);
  d->node_seen = feast_calloc((size_t)d->node_words, sizeof *d->node_seen);
  d->oneof_case = feast_calloc((size_t)plan->n_oneofs + 1, sizeof *d->oneof_case);
  d->cols = feast_calloc((size_t)plan->n_leaves + 1, sizeof *d->cols);
  d->direct = feast_calloc((size_t)plan->n_leaves + 1, sizeof *d->direct);
  d->vals = feast_calloc((size_t)plan->n_leaves + 1, sizeof *d->vals);
  d->later = feast_calloc((size_t)plan->n_leaves + 1, sizeof *d->later);
  d->direct_mask = feast_calloc((size_t)d->leaf_words, sizeof *d->direct_mask);
  if (!d->slots || !d->leaf_seen || !d->node_seen || !d->oneof_case || !d->cols || !d->direct || !d->vals ||
      !d->later || !d->direct_mask) {
    feast_proto_decoder_free(d);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  for (int li = 0; li < plan->n_leaves; li++) {
    uint8_t st = plan->leaves[li].store;
    d->direct[li] = st == FEAST_PSTORE_W8 ? 8 : st == FEAST_PSTORE_W4 ? 4 : st == FEAST_PSTORE_BIT ? 1 : 0;
    if (d->direct[li]) bit_on(d->direct_mask, li);
    else d->later[d->n_later++] = li;
  }
  *out = d;
  return FEAST_OK;
}

void feast_proto_decoder_free(feast_proto_decoder *d) {
  if (!d) return;
  feast_free(d->slots);
  feast_free(d->leaf_seen);
  feast_free(d->node_seen);
  feast_free(d->oneof_case);
  feast_free(d->cols);
  feast_free(d->direct);
  feast_free(d->vals);
  feast_free(d->later);
  feast_free(d->direct_mask);
  feast_free(d->rejects);
  feast_free(d->present);
  feast_free(d);
}

static feast_code check_batch(feast_proto_decoder *d, feast_batch *b, feast_error *err) {
  const feast_proto_plan *plan = d->plan;
  if (b->num_columns != plan->n_columns)
    return feast_fail(err, FEAST_E_INVALID, "batch has %d columns; the plan for %s has %d", b->num_columns,
                      plan->message, plan->n_columns);
  for (int i = 0; i < plan->n_columns; i++) {
    feast_array *a = b->columns[i];
    if (!a || !feast_dtype_equal(a->type, plan->column_types[i]) ||
        (a->type.id == FEAST_DT_LIST && (!a->child || !feast_dtype_equal(a->child->type, plan->column_elems[i]))))
      return feast_fail(err, FEAST_E_INVALID, "batch column %d (%s) is not of the plan's type", i, plan->column_names[i]);
    if (a->length != b->num_rows)
      return feast_fail(err, FEAST_E_INVALID, "batch column %d (%s) has %lld rows, the batch %lld", i,
                        plan->column_names[i], (long long)a->length, (long long)b->num_rows);
    d->cols[plan->column_leaf[i]] = a;
  }
  return FEAST_OK;
}

static feast_code add_reject(feast_proto_decoder *d, size_t index, feast_error *err) {
  if (d->n_rejects == d->cap_rejects) {
    size_t cap = d->cap_rejects ? d->cap_rejects * 2 : 16;
    feast_proto_reject *r = feast_realloc(d->rejects, cap * sizeof *r);
    if (!r) return feast_fail(err, FEAST_E_NOMEM, "out of memory recording a bad message");
    d->rejects = r;
    d->cap_rejects = cap;
  }
  feast_proto_reject *r = &d->rejects[d->n_rejects++];
  r->index = index;
  r->code = d->fail.code;
  r->cause = d->fail.cause;
  r->offset = d->fail.offset;
  snprintf(r->reason, sizeof r->reason, "%s", d->fail.reason);
  return FEAST_OK;
}

feast_code feast_proto_decode(feast_proto_decoder *d, const feast_proto_slice *msgs, size_t n, feast_batch *batch,
                              feast_proto_result *res, feast_error *err) {
  const feast_proto_plan *plan = d->plan;
  memset(res, 0, sizeof *res);
  d->n_rejects = 0;
  d->present_rows = 0;
  d->err = err;
  feast_code rc = check_batch(d, batch, err);
  if (rc) return rc;
  if (n > (size_t)INT32_MAX) return feast_fail(err, FEAST_E_TOO_BIG, "%zu messages in one call", n);
  /* Room for a row per message in every column, and its presence bits. */
  for (int i = 0; i < plan->n_columns && !rc; i++) {
    feast_array *a = batch->columns[i];
    /* offsets[0] = 0 even when a later buffer of the same reserve failed */
    rc = feast_array_reserve_uninit(a, (int64_t)n, 0, err);
    if (a->length == 0 && a->offsets) a->offsets[0] = 0;
    if (!rc && a->child && a->child->length == 0) {
      rc = feast_array_reserve_uninit(a->child, 1, 0, err);
      if (a->child->offsets) a->child->offsets[0] = 0;
    }
  }
  if (!rc && (int64_t)n > d->present_cap) {
    uint64_t *p = feast_realloc(d->present, (n ? n : 1) * (size_t)d->leaf_words * sizeof *p);
    if (!p) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    else d->present = p, d->present_cap = (int64_t)n;
  }
  if (rc) goto out;
  d->row = batch->num_rows;
  for (int li = 0; li < plan->n_leaves; li++) {
    feast_array *c = d->cols[li];
    d->vals[li] = c->values;
    /* rows to come are valid unless a null clears them; the bitmap's new
     * room was zeroed when it grew */
    if (d->direct[li] && c->validity)
      for (int64_t r = c->length; r < c->length + (int64_t)n; r++) feast_bit_set(c->validity, r, true);
  }
  for (size_t k = 0; k < n; k++) {
    const uint8_t *p = msgs[k].data ? msgs[k].data : (const uint8_t *)"";
    d->msg_start = p;
    for (int w = 0; w < d->leaf_words; w++) d->leaf_seen[w] = 0; /* mostly one word: no memset call */
    for (int w = 0; w < d->node_words; w++) d->node_seen[w] = 0;
    if (plan->n_oneofs) memset(d->oneof_case, 0, (size_t)plan->n_oneofs * sizeof *d->oneof_case);
    d->node_seen[0] = 1; /* the top message is always there */
    int r = read_node(d, 0, p, p + msgs[k].len);
    if (r == R_BAD) drop_elements(d);
    else if (r == R_OK) r = commit_row(d);
    else drop_elements(d);
    if (r == R_BAD) {
      if ((rc = add_reject(d, k, err))) goto out;
    } else if (r == R_FATAL) {
      rc = d->fatal_rc ? d->fatal_rc : FEAST_E_NOMEM;
      goto out;
    } else {
      uint64_t *pr = d->present + (size_t)d->present_rows * (size_t)d->leaf_words;
      for (int w = 0; w < d->leaf_words; w++) pr[w] = d->leaf_seen[w];
      d->present_rows++;
      res->rows++;
      d->row++;
    }
    res->done = k + 1;
  }
out:
  batch->num_rows += res->rows;
  for (int li = 0; li < plan->n_leaves; li++)
    if (d->direct[li] && d->cols[li]) d->cols[li]->length = batch->num_rows;
  res->n_rejects = d->n_rejects;
  res->rejects = d->rejects;
  return rc;
}

bool feast_proto_decoder_present(const feast_proto_decoder *d, int64_t row, int column) {
  if (row < 0 || row >= d->present_rows || column < 0 || column >= d->plan->n_columns) return false;
  return bit_is(d->present + (size_t)row * (size_t)d->leaf_words, d->plan->column_leaf[column]);
}
