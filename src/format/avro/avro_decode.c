/*
 * avro_decode.c - the plan interpreter (see avro_decode.h). One switch
 * over flat instructions, values written straight into the columns'
 * buffers. Each store checks its own column's room (a predictable branch),
 * so nothing is reserved per message; a bad datum is undone by cutting
 * every column back to the batch's row count, which works because every
 * path through a plan stores exactly one value per column per datum.
 */
#include "format/avro/avro_decode.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "model/array_internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "avro_decode.c reads Avro's little-endian floats with memcpy: port it for a big-endian host"
#endif

/* Items of arrays whose items take no bytes (arrays of null, of empty
 * records), per datum: more is a bad datum, not a long loop. */
#define ZERO_SIZE_ITEMS (1 << 20)

enum {
  E_OK = 0,
  E_TRUNC,
  E_VARINT,
  E_NEGLEN,
  E_UNION,
  E_ENUM,
  E_ENUM_SYMBOL,
  E_BOOL,
  E_UTF8,
  E_TS,
  E_FAIL,
  E_ITEMS,
  E_TRAILING,
  E_NOMEM,
  E_TOOBIG
};

struct feast_avro_decoder {
  size_t n_cols, n_slots;
  feast_avro_column *cols; /* paths owned */
  feast_array **slots;     /* columns, then list elements */
  int64_t rows;
  feast_avro_bad *bad;
  size_t n_bad, cap_bad;
  feast_arena *bad_arena; /* the bad datums' messages and paths */
  feast_batch *view;      /* peek's batch: names owned, columns borrowed from slots */
};

typedef struct run_state {
  const uint8_t *p, *end;
  feast_array *const *slots;
  const feast_avro_plan *plan;
  int64_t items_left;
  /* where it went wrong */
  uint32_t err_pc;
  const uint8_t *err_at;
  int64_t err_val;
} run_state;

/* ---- bytes ---- */

static inline int rd_u64(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
  const uint8_t *p = *pp;
  if (__builtin_expect(p < end && *p < 0x80, 1)) {
    *out = *p;
    *pp = p + 1;
    return E_OK;
  }
  uint64_t v = 0;
  if (__builtin_expect(end - p >= 8, 1)) {
    /* up to 8 bytes at once: find the last byte (high bit clear), keep the
     * bytes up to it, and squeeze out the continuation bits in three steps */
    uint64_t w;
    memcpy(&w, p, 8);
    uint64_t stops = ~w & UINT64_C(0x8080808080808080);
    if (stops) {
      int bits = __builtin_ctzll(stops) + 1; /* through the last byte's high bit */
      uint64_t x = bits == 64 ? w : w & ((UINT64_C(1) << bits) - 1);
      x = ((x & UINT64_C(0x7f007f007f007f00)) >> 1) | (x & UINT64_C(0x007f007f007f007f));
      x = ((x & UINT64_C(0x3fff00003fff0000)) >> 2) | (x & UINT64_C(0x00003fff00003fff));
      x = ((x & UINT64_C(0x0fffffff00000000)) >> 4) | (x & UINT64_C(0x000000000fffffff));
      *out = x;
      *pp = p + bits / 8;
      return E_OK;
    }
  }
  for (int i = 0; i < 10; i++) {
    if (p >= end) return E_TRUNC;
    uint8_t b = *p++;
    if (i == 9 && b > 1) return E_VARINT;
    v |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *out = v;
      *pp = p;
      return E_OK;
    }
  }
  return E_VARINT;
}

static inline int rd_long(const uint8_t **pp, const uint8_t *end, int64_t *out) {
  uint64_t v;
  int e = rd_u64(pp, end, &v);
  *out = (int64_t)((v >> 1) ^ (~(v & 1) + 1));
  return e;
}

static inline int rd_int(const uint8_t **pp, const uint8_t *end, int32_t *out) {
  const uint8_t *p = *pp;
  uint64_t v;
  int e = rd_u64(&p, end, &v);
  if (e) return e;
  if (v > UINT32_MAX || p - *pp > 5) return E_VARINT;
  *pp = p;
  uint32_t u = (uint32_t)v;
  *out = (int32_t)((u >> 1) ^ (~(u & 1) + 1));
  return E_OK;
}

static bool utf8_ok(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i + 8 <= n) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if (w & UINT64_C(0x8080808080808080)) break;
    i += 8;
  }
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF; /* the second byte's range */
    if (c < 0xC2) return false;
    if (c < 0xE0) {
      need = 1;
    } else if (c < 0xF0) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;  /* overlong */
      if (c == 0xED) hi = 0x9F;  /* surrogates */
    } else if (c < 0xF5) {
      need = 3;
      if (c == 0xF0) lo = 0x90;  /* overlong */
      if (c == 0xF4) hi = 0x8F;  /* past U+10FFFF */
    } else {
      return false;
    }
    if (n - i <= need) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (size_t k = 2; k <= need; k++)
      if ((s[i + k] & 0xC0) != 0x80) return false;
    i += need + 1;
  }
  return true;
}

/* ---- columns ---- */

static __attribute__((noinline)) int grow_rows(feast_array *a) {
  feast_error e;
  if (feast_array_reserve_uninit(a, 1, 0, &e)) return e.code == FEAST_E_TOO_BIG ? E_TOOBIG : E_NOMEM;
  if (a->offsets && a->length == 0) a->offsets[0] = 0;
  return E_OK;
}

static inline int room(feast_array *a) {
  if (__builtin_expect(a->length < a->capacity, 1)) return E_OK;
  return grow_rows(a);
}

static __attribute__((noinline)) int grow_data(feast_array *a, size_t n) {
  feast_error e;
  if ((int64_t)n > INT32_MAX) return E_TOOBIG;
  if (feast_array_reserve_uninit(a, 0, (int64_t)n, &e)) return e.code == FEAST_E_TOO_BIG ? E_TOOBIG : E_NOMEM;
  return E_OK;
}

static inline void mark_valid(feast_array *a) {
  if (a->validity) feast_bit_set(a->validity, a->length, true);
}

static inline int put_i64(feast_array *a, int64_t v) {
  int e = room(a);
  if (e) return e;
  ((int64_t *)a->values)[a->length] = v;
  mark_valid(a);
  a->length++;
  return E_OK;
}

static inline int put_i32(feast_array *a, int32_t v) {
  int e = room(a);
  if (e) return e;
  ((int32_t *)a->values)[a->length] = v;
  mark_valid(a);
  a->length++;
  return E_OK;
}

static inline int put_f32(feast_array *a, float v) {
  int e = room(a);
  if (e) return e;
  ((float *)a->values)[a->length] = v;
  mark_valid(a);
  a->length++;
  return E_OK;
}

static inline int put_f64(feast_array *a, double v) {
  int e = room(a);
  if (e) return e;
  ((double *)a->values)[a->length] = v;
  mark_valid(a);
  a->length++;
  return E_OK;
}

static inline int put_var(feast_array *a, const uint8_t *p, size_t n) {
  int e = room(a);
  if (e) return e;
  if (a->data_len + (int64_t)n > a->data_capacity && (e = grow_data(a, n))) return e;
  memcpy(a->data + a->data_len, p, n);
  a->data_len += (int64_t)n;
  a->offsets[a->length + 1] = (int32_t)a->data_len;
  mark_valid(a);
  a->length++;
  return E_OK;
}

static int put_null(feast_array *a) {
  int e = room(a);
  if (e) return e;
  if (!a->validity) {
    size_t bytes = (size_t)((a->capacity + 7) / 8);
    if (!(a->validity = feast_malloc(bytes))) return E_NOMEM;
    memset(a->validity, 0xff, bytes);
  }
  feast_bit_set(a->validity, a->length, false);
  a->null_count++;
  int w = feast_dtype_byte_width(a->type);
  if (w > 0) memset((char *)a->values + a->length * w, 0, (size_t)w);
  if (a->type.id == FEAST_DT_BOOL) feast_bit_set(a->values, a->length, false);
  if (a->offsets)
    a->offsets[a->length + 1] = a->type.id == FEAST_DT_LIST ? (int32_t)a->child->length : (int32_t)a->data_len;
  a->length++;
  return E_OK;
}

static int append_code(feast_code rc) { return rc == FEAST_OK ? E_OK : rc == FEAST_E_TOO_BIG ? E_TOOBIG : E_NOMEM; }

/* Defaults go through the public appenders: rare, and they know every type. */
static __attribute__((noinline)) int put_const(feast_array *a, const feast_avro_const *k) {
  feast_error e;
  switch (k->kind) {
  case FEAST_ACONST_NULL: return append_code(feast_array_append_null(a, &e));
  case FEAST_ACONST_BOOL: return append_code(feast_array_append_bool(a, k->i != 0, &e));
  case FEAST_ACONST_INT: return append_code(feast_array_append_int(a, k->i, &e));
  case FEAST_ACONST_DOUBLE: return append_code(feast_array_append_double(a, k->d, &e));
  case FEAST_ACONST_BYTES: return append_code(feast_array_append_bytes(a, k->bytes, k->len, &e));
  case FEAST_ACONST_LIST:
    for (size_t i = 0; i < k->len; i++) {
      int r = put_const(a->child, &k->items[i]);
      if (r) return r;
    }
    return append_code(feast_array_append_list_end(a, &e));
  }
  return E_NOMEM;
}

static inline int scale(const feast_avro_scale *s, int64_t v, int64_t *out) {
  if (s->div > 1) {
    int64_t q = v / s->div;
    if ((v % s->div) < 0) q--;
    *out = q;
    return E_OK;
  }
  return __builtin_mul_overflow(v, s->mul, out) ? E_TS : E_OK;
}

/* ---- the interpreter ---- */

#define FAIL(kind, at, val)                                                                                            \
  do {                                                                                                                 \
    s->err_pc = pc;                                                                                                    \
    s->err_at = (at);                                                                                                  \
    s->err_val = (val);                                                                                                \
    return (kind);                                                                                                     \
  } while (0)
#define CHECK_RC(expr)                                                                                                 \
  do {                                                                                                                 \
    int e_ = (expr);                                                                                                   \
    if (__builtin_expect(e_ != E_OK, 0)) FAIL(e_, at, 0);                                                              \
  } while (0)

static int run(run_state *s, uint32_t pc) {
  const feast_avro_ins *code = s->plan->code;
  feast_array *const *slots = s->slots;
  const uint8_t *p = s->p, *const end = s->end;
  for (;;) {
    const feast_avro_ins *in = &code[pc];
    const uint8_t *at = p;
    switch ((feast_avro_op)in->op) {
    case FEAST_AOP_END: s->p = p; return E_OK;
    case FEAST_AOP_JUMP: pc = in->arg; continue;
    case FEAST_AOP_FAIL: FAIL(E_FAIL, at, 0);
    case FEAST_AOP_SKIP_INT: {
      int32_t v;
      CHECK_RC(rd_int(&p, end, &v));
      break;
    }
    case FEAST_AOP_SKIP_LONG: {
      uint64_t v;
      CHECK_RC(rd_u64(&p, end, &v));
      break;
    }
    case FEAST_AOP_SKIP_FIXED:
      if ((size_t)(end - p) < in->arg) FAIL(E_TRUNC, at, 0);
      p += in->arg;
      break;
    case FEAST_AOP_SKIP_BYTES: {
      int64_t n;
      CHECK_RC(rd_long(&p, end, &n));
      if (n < 0) FAIL(E_NEGLEN, at, n);
      if ((uint64_t)n > (uint64_t)(end - p)) FAIL(E_TRUNC, at, n);
      p += n;
      break;
    }
    case FEAST_AOP_UNION: {
      int64_t b;
      CHECK_RC(rd_long(&p, end, &b));
      if (b < 0 || b >= (int64_t)in->arg2) FAIL(E_UNION, at, b);
      pc = s->plan->jumps[in->arg + (uint32_t)b];
      continue;
    }
    case FEAST_AOP_ARRAY: {
      for (;;) {
        const uint8_t *bat = at = p;
        int64_t cnt;
        CHECK_RC(rd_long(&p, end, &cnt));
        if (cnt == 0) break;
        if (cnt < 0) {
          if (cnt == INT64_MIN) FAIL(E_NEGLEN, bat, cnt);
          cnt = -cnt;
          int64_t size;
          CHECK_RC(rd_long(&p, end, &size));
          if (size < 0) FAIL(E_NEGLEN, bat, size);
          if (in->slot == FEAST_AVRO_NO_SLOT) {
            /* skipped: the block says how long it is */
            if ((uint64_t)size > (uint64_t)(end - p)) FAIL(E_TRUNC, bat, size);
            p += size;
            continue;
          }
        }
        if (in->arg2) {
          if ((uint64_t)cnt > (uint64_t)(end - p) / in->arg2) FAIL(E_TRUNC, bat, cnt);
        } else {
          if (cnt > s->items_left) FAIL(E_ITEMS, bat, cnt);
          s->items_left -= cnt;
        }
        for (int64_t i = 0; i < cnt; i++) {
          if (in->flags & FEAST_AFLAG_MAP) {
            const uint8_t *kat = at = p;
            int64_t n;
            CHECK_RC(rd_long(&p, end, &n));
            if (n < 0) FAIL(E_NEGLEN, kat, n);
            if ((uint64_t)n > (uint64_t)(end - p)) FAIL(E_TRUNC, kat, n);
            p += n;
          }
          s->p = p;
          int e = run(s, pc + 1);
          if (e) return e;
          p = s->p;
        }
      }
      if (in->slot != FEAST_AVRO_NO_SLOT) {
        feast_array *a = slots[in->slot];
        CHECK_RC(room(a));
        a->offsets[a->length + 1] = (int32_t)a->child->length;
        mark_valid(a);
        a->length++;
      }
      pc = in->arg;
      continue;
    }
    case FEAST_AOP_NULL: CHECK_RC(put_null(slots[in->slot])); break;
    case FEAST_AOP_CONST: CHECK_RC(put_const(slots[in->slot], &s->plan->consts[in->arg])); break;
    case FEAST_AOP_INT_I32: {
      int32_t v;
      CHECK_RC(rd_int(&p, end, &v));
      CHECK_RC(put_i32(slots[in->slot], v));
      break;
    }
    case FEAST_AOP_INT_I64: {
      int32_t v;
      CHECK_RC(rd_int(&p, end, &v));
      CHECK_RC(put_i64(slots[in->slot], v));
      break;
    }
    case FEAST_AOP_LONG_I64: {
      int64_t v;
      CHECK_RC(rd_long(&p, end, &v));
      CHECK_RC(put_i64(slots[in->slot], v));
      break;
    }
    case FEAST_AOP_INT_TS:
    case FEAST_AOP_LONG_TS: {
      int64_t v, t;
      if (in->op == FEAST_AOP_INT_TS) {
        int32_t i;
        CHECK_RC(rd_int(&p, end, &i));
        v = i;
      } else {
        CHECK_RC(rd_long(&p, end, &v));
      }
      if (scale(&s->plan->scales[in->arg], v, &t)) FAIL(E_TS, at, v);
      CHECK_RC(put_i64(slots[in->slot], t));
      break;
    }
    case FEAST_AOP_INT_F32:
    case FEAST_AOP_INT_F64:
    case FEAST_AOP_INT_F64_VIA_F32: {
      int32_t v;
      CHECK_RC(rd_int(&p, end, &v));
      if (in->op == FEAST_AOP_INT_F32)
        CHECK_RC(put_f32(slots[in->slot], (float)v));
      else
        CHECK_RC(put_f64(slots[in->slot], in->op == FEAST_AOP_INT_F64 ? (double)v : (double)(float)v));
      break;
    }
    case FEAST_AOP_LONG_F32:
    case FEAST_AOP_LONG_F64:
    case FEAST_AOP_LONG_F64_VIA_F32: {
      int64_t v;
      CHECK_RC(rd_long(&p, end, &v));
      if (in->op == FEAST_AOP_LONG_F32)
        CHECK_RC(put_f32(slots[in->slot], (float)v));
      else
        CHECK_RC(put_f64(slots[in->slot], in->op == FEAST_AOP_LONG_F64 ? (double)v : (double)(float)v));
      break;
    }
    case FEAST_AOP_FLOAT_F32:
    case FEAST_AOP_FLOAT_F64: {
      if (end - p < 4) FAIL(E_TRUNC, at, 0);
      float f;
      memcpy(&f, p, 4);
      p += 4;
      if (in->op == FEAST_AOP_FLOAT_F32)
        CHECK_RC(put_f32(slots[in->slot], f));
      else
        CHECK_RC(put_f64(slots[in->slot], (double)f));
      break;
    }
    case FEAST_AOP_DOUBLE_F64: {
      if (end - p < 8) FAIL(E_TRUNC, at, 0);
      double d;
      memcpy(&d, p, 8);
      p += 8;
      CHECK_RC(put_f64(slots[in->slot], d));
      break;
    }
    case FEAST_AOP_BOOL: {
      if (p >= end) FAIL(E_TRUNC, at, 0);
      uint8_t b = *p;
      if (b > 1) FAIL(E_BOOL, at, b);
      p++;
      feast_array *a = slots[in->slot];
      CHECK_RC(room(a));
      feast_bit_set(a->values, a->length, b);
      mark_valid(a);
      a->length++;
      break;
    }
    case FEAST_AOP_STRING:
    case FEAST_AOP_BYTES: {
      int64_t n;
      CHECK_RC(rd_long(&p, end, &n));
      if (n < 0) FAIL(E_NEGLEN, at, n);
      if ((uint64_t)n > (uint64_t)(end - p)) FAIL(E_TRUNC, at, n);
      if (in->op == FEAST_AOP_STRING && !utf8_ok(p, (size_t)n)) FAIL(E_UTF8, at, 0);
      CHECK_RC(put_var(slots[in->slot], p, (size_t)n));
      p += n;
      break;
    }
    case FEAST_AOP_FIXED_VAR:
      if ((size_t)(end - p) < in->arg) FAIL(E_TRUNC, at, 0);
      CHECK_RC(put_var(slots[in->slot], p, in->arg));
      p += in->arg;
      break;
    case FEAST_AOP_FIXED_FB: {
      if ((size_t)(end - p) < in->arg) FAIL(E_TRUNC, at, 0);
      feast_array *a = slots[in->slot];
      CHECK_RC(room(a));
      memcpy((uint8_t *)a->values + a->length * (int64_t)in->arg, p, in->arg);
      mark_valid(a);
      a->length++;
      p += in->arg;
      break;
    }
    case FEAST_AOP_ENUM: {
      int32_t v;
      CHECK_RC(rd_int(&p, end, &v));
      const feast_avro_enum_map *m = &s->plan->enums[in->arg];
      if (v < 0 || (uint32_t)v >= m->n_writer) FAIL(E_ENUM, at, v);
      int32_t r = m->to_reader[v];
      if (r < 0) FAIL(E_ENUM_SYMBOL, at, v);
      CHECK_RC(put_var(slots[in->slot], (const uint8_t *)m->symbols[r], m->lens[r]));
      break;
    }
    default: FAIL(E_FAIL, at, -1);
    }
    pc++;
  }
}

/* ---- undoing a bad datum ---- */

static int64_t count_nulls(const feast_array *a, int64_t from, int64_t to) {
  int64_t n = 0;
  if (a->validity)
    for (int64_t i = from; i < to; i++) n += !feast_bit_get(a->validity, i);
  return n;
}

static void cut(feast_array *a, int64_t rows) {
  if (a->length > rows) {
    a->null_count -= count_nulls(a, rows, a->length);
    a->length = rows;
  }
  if (a->offsets && (a->type.id == FEAST_DT_STRING || a->type.id == FEAST_DT_BINARY)) a->data_len = a->offsets[rows];
  if (a->type.id == FEAST_DT_LIST && a->child) cut(a->child, a->offsets ? a->offsets[rows] : 0);
}

static void rollback(feast_avro_decoder *d) {
  for (size_t i = 0; i < d->n_cols; i++) cut(d->slots[i], d->rows);
}

/* ---- the decoder ---- */

static feast_code new_columns(feast_avro_decoder *d, feast_error *err) {
  size_t s = d->n_cols;
  for (size_t i = 0; i < d->n_cols; i++) {
    feast_array *a = feast_array_new(d->cols[i].type, d->cols[i].child);
    if (!a) return feast_fail(err, FEAST_E_NOMEM, "out of memory creating Avro columns");
    d->slots[i] = a;
    if (a->child) d->slots[s++] = a->child;
  }
  d->rows = 0;
  return FEAST_OK;
}

static void free_columns(feast_avro_decoder *d) {
  for (size_t i = 0; i < d->n_cols; i++) {
    feast_array_free(d->slots[i]);
    d->slots[i] = NULL;
  }
}

feast_code feast_avro_decoder_new(const feast_avro_column *cols, size_t n_cols, feast_avro_decoder **out,
                                  feast_error *err) {
  *out = NULL;
  feast_avro_decoder *d = feast_calloc(1, sizeof *d);
  if (!d) return feast_fail(err, FEAST_E_NOMEM, "out of memory creating an Avro decoder");
  d->n_cols = n_cols;
  d->n_slots = n_cols;
  for (size_t i = 0; i < n_cols; i++) d->n_slots += cols[i].type.id == FEAST_DT_LIST;
  d->cols = feast_calloc(n_cols + 1, sizeof *d->cols);
  d->slots = feast_calloc(d->n_slots + 1, sizeof *d->slots);
  d->bad_arena = feast_arena_new(0);
  feast_code rc = d->cols && d->slots && d->bad_arena ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; i < n_cols && !rc; i++) {
    d->cols[i] = cols[i];
    if (!(d->cols[i].path = feast_strdup(cols[i].path ? cols[i].path : "")))
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  if (!rc) rc = new_columns(d, err);
  if (rc) {
    feast_avro_decoder_free(d);
    return rc;
  }
  *out = d;
  return FEAST_OK;
}

static void drop_view(feast_avro_decoder *d) {
  if (!d->view) return;
  for (int i = 0; i < d->view->num_columns; i++) d->view->columns[i] = NULL;
  feast_batch_free(d->view);
  d->view = NULL;
}

void feast_avro_decoder_free(feast_avro_decoder *d) {
  if (!d) return;
  drop_view(d);
  if (d->slots) free_columns(d);
  for (size_t i = 0; d->cols && i < d->n_cols; i++) feast_free((char *)d->cols[i].path);
  feast_free(d->cols);
  feast_free(d->slots);
  feast_free(d->bad);
  feast_arena_free(d->bad_arena);
  feast_free(d);
}

static feast_code plan_fits(const feast_avro_decoder *d, const feast_avro_plan *plan, feast_error *err) {
  bool ok = plan->n_columns == d->n_cols && plan->n_slots == d->n_slots;
  for (size_t i = 0; ok && i < d->n_cols; i++)
    ok = feast_dtype_equal(plan->columns[i].type, d->cols[i].type) &&
         (d->cols[i].type.id != FEAST_DT_LIST || feast_dtype_equal(plan->columns[i].child, d->cols[i].child));
  return ok ? FEAST_OK
            : feast_fail(err, FEAST_E_INTERNAL, "an Avro plan compiled for other columns was given to this decoder");
}

static const char *reason(int e, int64_t val, char *buf, size_t size, const run_state *s) {
  const feast_avro_ins *in = &s->plan->code[s->err_pc];
  switch (e) {
  case E_TRUNC: snprintf(buf, size, "truncated: the value runs past the end of the datum"); break;
  case E_VARINT:
    snprintf(buf, size, "varint overflow: more bytes than a%s holds",
             in->op == FEAST_AOP_SKIP_INT || in->op == FEAST_AOP_INT_I32 || in->op == FEAST_AOP_INT_I64 ||
                     in->op == FEAST_AOP_ENUM || in->op == FEAST_AOP_INT_TS || in->op == FEAST_AOP_INT_F32 ||
                     in->op == FEAST_AOP_INT_F64 || in->op == FEAST_AOP_INT_F64_VIA_F32
                 ? " 32-bit int"
                 : " 64-bit long");
    break;
  case E_NEGLEN: snprintf(buf, size, "negative length %lld", (long long)val); break;
  case E_UNION: snprintf(buf, size, "bad union index %lld (the union has %u branches)", (long long)val, in->arg2); break;
  case E_ENUM:
    snprintf(buf, size, "bad enum index %lld (the enum has %u symbols)", (long long)val,
             s->plan->enums[in->arg].n_writer);
    break;
  case E_ENUM_SYMBOL:
    snprintf(buf, size, "enum symbol '%s' is not in the reader's enum, which has no default",
             s->plan->enums[in->arg].writer_symbols[val]);
    break;
  case E_BOOL: snprintf(buf, size, "bad boolean byte 0x%02x (only 0 and 1)", (unsigned)val); break;
  case E_UTF8: snprintf(buf, size, "invalid UTF-8 in a string"); break;
  case E_TS: snprintf(buf, size, "timestamp overflow: %lld does not fit the column's unit in 64 bits", (long long)val); break;
  case E_FAIL: snprintf(buf, size, "%s", val < 0 ? "bad instruction" : s->plan->strings[in->arg]); break;
  case E_ITEMS: snprintf(buf, size, "too many array items (%lld) that take no bytes", (long long)val); break;
  default: snprintf(buf, size, "error %d", e);
  }
  return buf;
}

static feast_code add_bad(feast_avro_decoder *d, size_t index, feast_code code, size_t offset, const char *path,
                          const char *message, feast_error *err) {
  if (d->n_bad == d->cap_bad) {
    size_t cap = d->cap_bad ? d->cap_bad * 2 : 16;
    feast_avro_bad *b = feast_realloc(d->bad, cap * sizeof *b);
    if (!b) return feast_fail(err, FEAST_E_NOMEM, "out of memory recording a bad Avro datum");
    d->bad = b;
    d->cap_bad = cap;
  }
  feast_avro_bad *b = &d->bad[d->n_bad];
  b->index = index;
  b->code = code;
  b->offset = offset;
  b->path = feast_arena_strdup(d->bad_arena, path);
  b->message = feast_arena_strdup(d->bad_arena, message);
  if (!b->path || !b->message) return feast_fail(err, FEAST_E_NOMEM, "out of memory recording a bad Avro datum");
  d->n_bad++;
  return FEAST_OK;
}

feast_code feast_avro_decoder_add_bad(feast_avro_decoder *d, size_t index, feast_code code, size_t offset,
                                      const char *message, feast_error *err) {
  return add_bad(d, index, code, offset, "", message, err);
}

/* The message for error e of a datum that starts at `base`; fills *offset and *path. */
static void describe(const run_state *s, int e, const uint8_t *base, const char *of, char *msg, size_t size,
                     size_t *offset, const char **path) {
  char why[512];
  if (e == E_TRAILING) {
    *offset = (size_t)(s->p - base);
    *path = "";
    snprintf(msg, size, "at byte %zu%s: %zu bytes left over after the datum", *offset, of, (size_t)(s->end - s->p));
    return;
  }
  *offset = (size_t)(s->err_at - base);
  *path = s->plan->strings[s->plan->code[s->err_pc].path];
  reason(e, s->err_val, why, sizeof why, s);
  if (**path)
    snprintf(msg, size, "field %s at byte %zu%s: %s", *path, *offset, of, why);
  else
    snprintf(msg, size, "at byte %zu%s: %s", *offset, of, why);
}

static feast_code batch_failure(int e, feast_error *err) {
  return e == E_TOOBIG ? feast_fail(err, FEAST_E_TOO_BIG, "a column of the Avro batch is full (2^31 rows or 2 GiB of data)")
                       : feast_fail(err, FEAST_E_NOMEM, "out of memory decoding Avro");
}

static feast_code code_of(int e) {
  return e == E_TS || e == E_FAIL || e == E_ENUM_SYMBOL ? FEAST_E_INVALID : FEAST_E_CORRUPT;
}

feast_code feast_avro_decode_one(feast_avro_decoder *d, const feast_avro_plan *plan, const void *data, size_t len,
                                 size_t index, feast_error *err) {
  return feast_avro_decode_framed(d, plan, data, len, 0, index, err);
}

feast_code feast_avro_decode_framed(feast_avro_decoder *d, const feast_avro_plan *plan, const void *data, size_t len,
                                    size_t header, size_t index, feast_error *err) {
  if (plan->n_columns != d->n_cols || plan->n_slots != d->n_slots) return plan_fits(d, plan, err);
  const uint8_t *base = data ? data : (const uint8_t *)"";
  if (header > len) header = len;
  run_state s;
  s.p = base + header;
  s.end = base + len;
  s.slots = d->slots;
  s.plan = plan;
  s.items_left = ZERO_SIZE_ITEMS;
  int e = run(&s, 0);
  if (!e && s.p != s.end) e = E_TRAILING;
  if (!e) {
    d->rows++;
    return FEAST_OK;
  }
  rollback(d);
  if (e == E_NOMEM || e == E_TOOBIG) return batch_failure(e, err);
  char msg[1024];
  size_t offset;
  const char *path;
  describe(&s, e, base, "", msg, sizeof msg, &offset, &path);
  return add_bad(d, index, code_of(e), offset, path, msg, err);
}

feast_code feast_avro_decode_datums(feast_avro_decoder *d, const feast_avro_plan *plan, const feast_avro_msg *msgs,
                                    size_t n, size_t *done, feast_error *err) {
  if (done) *done = 0;
  feast_code rc = plan_fits(d, plan, err);
  if (rc) return rc;
  run_state s;
  s.slots = d->slots;
  s.plan = plan;
  for (size_t i = 0; i < n; i++) {
    /* the good datum's path, inline; anything else goes the long way */
    s.p = msgs[i].data ? msgs[i].data : (const uint8_t *)"";
    s.end = s.p + msgs[i].len;
    s.items_left = ZERO_SIZE_ITEMS;
    if (__builtin_expect(run(&s, 0) == E_OK && s.p == s.end, 1)) {
      d->rows++;
    } else {
      rollback(d);
      if ((rc = feast_avro_decode_one(d, plan, msgs[i].data, msgs[i].len, i, err))) return rc;
    }
    if (done) *done = i + 1;
  }
  return FEAST_OK;
}

feast_code feast_avro_decode_block(feast_avro_decoder *d, const feast_avro_plan *plan, const void *data, size_t len,
                                   int64_t count, int64_t *rows, feast_error *err) {
  if (rows) *rows = 0;
  feast_code rc = plan_fits(d, plan, err);
  if (rc) return rc;
  if (count < 0) return feast_fail(err, FEAST_E_CORRUPT, "Avro block: negative datum count %lld", (long long)count);
  run_state s;
  const uint8_t *base = data ? data : (const uint8_t *)"";
  s.p = base;
  s.end = base + len;
  s.slots = d->slots;
  s.plan = plan;
  for (int64_t i = 0; i < count; i++) {
    s.items_left = ZERO_SIZE_ITEMS;
    int e = run(&s, 0);
    if (e) {
      rollback(d);
      if (e == E_NOMEM || e == E_TOOBIG) return batch_failure(e, err);
      char msg[1024];
      size_t offset;
      const char *path;
      describe(&s, e, base, " of the block", msg, sizeof msg, &offset, &path);
      return feast_fail(err, code_of(e), "Avro block: datum %lld of %lld, %s", (long long)i,
                        (long long)count, msg);
    }
    d->rows++;
    if (rows) (*rows)++;
  }
  if (s.p != s.end)
    return feast_fail(err, FEAST_E_CORRUPT, "Avro block: %zu bytes left over after its %lld datums",
                      (size_t)(s.end - s.p), (long long)count);
  return FEAST_OK;
}

int64_t feast_avro_decoder_rows(const feast_avro_decoder *d) { return d->rows; }
size_t feast_avro_decoder_bad_count(const feast_avro_decoder *d) { return d->n_bad; }
const feast_avro_bad *feast_avro_decoder_bad(const feast_avro_decoder *d, size_t i) {
  return i < d->n_bad ? &d->bad[i] : NULL;
}
void feast_avro_decoder_clear_bad(feast_avro_decoder *d) {
  d->n_bad = 0;
  feast_arena_reset(d->bad_arena);
}

feast_code feast_avro_decoder_reserve(feast_avro_decoder *d, int64_t rows, int64_t bytes_per_row, feast_error *err) {
  for (size_t i = 0; i < d->n_cols; i++) {
    feast_array *a = d->slots[i];
    bool var = a->type.id == FEAST_DT_STRING || a->type.id == FEAST_DT_BINARY;
    int64_t more = rows - (a->capacity - a->length);
    if (more < 0) more = 0;
    int64_t bytes = var ? rows * bytes_per_row - (a->data_capacity - a->data_len) : 0;
    if (bytes < 0) bytes = 0;
    if ((more || bytes) && feast_array_reserve_uninit(a, more, bytes, err)) return err->code;
    if (a->offsets && a->length == 0) a->offsets[0] = 0;
  }
  return FEAST_OK;
}

const feast_batch *feast_avro_decoder_peek(feast_avro_decoder *d) {
  if (!d->view) {
    /* not feast_batch_set_column: it frees the array when it fails */
    feast_batch *b = feast_batch_new((int)d->n_cols);
    for (size_t i = 0; b && i < d->n_cols; i++)
      if (!(b->names[i] = feast_strdup(d->cols[i].path))) {
        feast_batch_free(b);
        b = NULL;
      }
    if (!b) return NULL;
    for (size_t i = 0; i < d->n_cols; i++) b->columns[i] = d->slots[i];
    d->view = b;
  }
  d->view->num_rows = d->rows;
  return d->view;
}

static void reset_array(feast_array *a) {
  a->length = 0;
  a->null_count = 0;
  a->data_len = 0;
  /* a bitmap comes back on the next null; until then every row is valid */
  feast_free(a->validity);
  a->validity = NULL;
  if (a->offsets) a->offsets[0] = 0;
  if (a->child) reset_array(a->child);
}

void feast_avro_decoder_reset(feast_avro_decoder *d) {
  for (size_t i = 0; i < d->n_cols; i++) reset_array(d->slots[i]);
  d->rows = 0;
}

feast_code feast_avro_decoder_finish(feast_avro_decoder *d, feast_batch **out, feast_error *err) {
  *out = NULL;
  drop_view(d);
  for (size_t i = 0; i < d->n_cols; i++)
    if (d->slots[i]->length != d->rows)
      return feast_fail(err, FEAST_E_INTERNAL, "Avro decoder: column %s has %lld rows, the batch %lld", d->cols[i].path,
                        (long long)d->slots[i]->length, (long long)d->rows);
  feast_batch *b = feast_batch_new((int)d->n_cols);
  if (!b) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = FEAST_OK;
  for (size_t i = 0; i < d->n_cols; i++) {
    feast_array *a = d->slots[i];
    d->slots[i] = NULL;
    if (!rc) {
      rc = feast_batch_set_column(b, (int)i, d->cols[i].path, a, err);
    } else {
      feast_array_free(a);
    }
  }
  b->num_rows = d->rows;
  feast_code rc2 = new_columns(d, err);
  if (rc || rc2) {
    feast_batch_free(b);
    return rc ? rc : rc2;
  }
  *out = b;
  return FEAST_OK;
}
