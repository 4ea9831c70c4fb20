/*
 * arrow_ipc.c - the Arrow IPC reader of arrow_ipc.h: a bounds-checked
 * flatbuffer walker for Message, Schema, Field and RecordBatch (field
 * numbers from Arrow's format/Message.fbs and Schema.fbs), and the copy of
 * each field's buffers into a feast_array.
 */
#include "format/arrow/arrow_ipc.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "model/array_internal.h"

#define MAX_DEPTH 32
#define MAX_FIELDS 100000

/* ---- flatbuffers ---- */

typedef struct fbuf {
  const uint8_t *p;
  size_t n;
} fbuf;

typedef struct ftab {
  size_t pos, vt;
  size_t vsize;
} ftab;

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static bool has(const fbuf *b, size_t pos, size_t len) { return pos <= b->n && len <= b->n - pos; }

static bool table_at(const fbuf *b, size_t pos, ftab *t) {
  if (!has(b, pos, 4)) return false;
  int64_t vt = (int64_t)pos - (int32_t)le32(b->p + pos);
  if (vt < 0 || !has(b, (size_t)vt, 4)) return false;
  size_t vsize = le16(b->p + vt);
  if (vsize < 4 || (vsize & 1) || !has(b, (size_t)vt, vsize)) return false;
  size_t tsize = le16(b->p + vt + 2);
  if (!has(b, pos, tsize < 4 ? 4 : tsize)) return false;
  t->pos = pos;
  t->vt = (size_t)vt;
  t->vsize = vsize;
  return true;
}

/* The position of field `slot` of table t, or 0 when absent. */
static size_t slot(const fbuf *b, const ftab *t, int s, size_t size) {
  size_t at = 4 + 2 * (size_t)s;
  if (at + 2 > t->vsize) return 0;
  size_t off = le16(b->p + t->vt + at);
  if (!off || !has(b, t->pos + off, size)) return 0;
  return t->pos + off;
}

static int64_t get_int(const fbuf *b, const ftab *t, int s, size_t size, int64_t dflt) {
  size_t at = slot(b, t, s, size);
  if (!at) return dflt;
  switch (size) {
  case 1: return (int8_t)b->p[at];
  case 2: return (int16_t)le16(b->p + at);
  case 4: return (int32_t)le32(b->p + at);
  default: return (int64_t)le64(b->p + at);
  }
}

/* Follow the offset in field `s` to what it points at. */
static bool deref(const fbuf *b, const ftab *t, int s, size_t *out) {
  size_t at = slot(b, t, s, 4);
  if (!at) return false;
  uint64_t target = (uint64_t)at + le32(b->p + at);
  if (target >= b->n) return false;
  *out = (size_t)target;
  return true;
}

static bool sub_table(const fbuf *b, const ftab *t, int s, ftab *out) {
  size_t pos;
  return deref(b, t, s, &pos) && table_at(b, pos, out);
}

/* A vector in field s: its element count and the first element's position. */
static bool vec(const fbuf *b, const ftab *t, int s, size_t elem, size_t *len, size_t *first) {
  size_t pos;
  if (!deref(b, t, s, &pos) || !has(b, pos, 4)) return false;
  uint64_t n = le32(b->p + pos);
  if (n > (b->n - pos - 4) / (elem ? elem : 1)) return false;
  *len = (size_t)n;
  *first = pos + 4;
  return true;
}

static bool str(const fbuf *b, const ftab *t, int s, const char **p, size_t *len) {
  size_t first;
  if (!vec(b, t, s, 1, len, &first)) return false;
  *p = (const char *)b->p + first;
  return true;
}

/* Element i of a vector of tables. */
static bool vec_table(const fbuf *b, size_t first, size_t i, ftab *out) {
  size_t at = first + 4 * i;
  if (!has(b, at, 4)) return false;
  uint64_t target = (uint64_t)at + le32(b->p + at);
  return target < b->n && table_at(b, (size_t)target, out);
}

/* ---- schema ---- */

enum { T_NULL = 1, T_INT, T_FLOAT, T_BINARY, T_UTF8, T_BOOL, T_DECIMAL, T_DATE, T_TIME, T_TIMESTAMP, T_INTERVAL,
       T_LIST, T_STRUCT, T_UNION, T_FIXED_BINARY };

typedef struct ifield {
  char *name;
  feast_dtype type;
  struct ifield *child; /* LIST */
} ifield;

struct feast_ipc_reader {
  const char *name;
  int nfields;
  ifield *fields;
  feast_batch *schema;
  int64_t batches;
};

static void field_free(ifield *f) {
  if (!f) return;
  feast_free(f->name);
  if (f->child) {
    field_free(f->child);
    feast_free(f->child);
  }
}

static void schema_clear(feast_ipc_reader *r) {
  for (int i = 0; i < r->nfields; i++) field_free(&r->fields[i]);
  feast_free(r->fields);
  r->fields = NULL;
  r->nfields = 0;
  feast_batch_free(r->schema);
  r->schema = NULL;
}

void feast_ipc_reader_free(feast_ipc_reader *r) {
  if (!r) return;
  schema_clear(r);
  feast_free(r);
}

feast_code feast_ipc_reader_new(const char *name, feast_ipc_reader **out, feast_error *err) {
  feast_ipc_reader *r = feast_calloc(1, sizeof *r);
  if (!r) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  r->name = name ? name : "Arrow IPC stream";
  *out = r;
  return FEAST_OK;
}

static feast_code parse_field(feast_ipc_reader *r, const fbuf *b, const ftab *ft, int depth, ifield *out,
                              feast_error *err) {
  memset(out, 0, sizeof *out);
  const char *nm = "";
  size_t nlen = 0;
  str(b, ft, 0, &nm, &nlen);
  if (!(out->name = feast_strndup(nm, nlen))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (depth > MAX_DEPTH) return feast_fail(err, FEAST_E_CORRUPT, "%s: fields nested deeper than %d", r->name, MAX_DEPTH);
  if (slot(b, ft, 4, 4)) return feast_fail(err, FEAST_E_UNSUPPORTED, "%s: field %s is dictionary-encoded", r->name, out->name);
  int kind = (int)(uint8_t)get_int(b, ft, 2, 1, 0);
  ftab tt;
  bool have_t = sub_table(b, ft, 3, &tt);
  if (kind != T_NULL && kind != T_BINARY && kind != T_UTF8 && kind != T_BOOL && kind != T_LIST && !have_t)
    return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s has no type table", r->name, out->name);
  switch (kind) {
  case T_INT: {
    int64_t bits = get_int(b, &tt, 0, 4, 0);
    bool sign = get_int(b, &tt, 1, 1, 0) != 0;
    feast_dtype_id id = bits == 8    ? (sign ? FEAST_DT_INT8 : FEAST_DT_UINT8)
                        : bits == 16 ? (sign ? FEAST_DT_INT16 : FEAST_DT_UINT16)
                        : bits == 32 ? (sign ? FEAST_DT_INT32 : FEAST_DT_UINT32)
                        : bits == 64 ? (sign ? FEAST_DT_INT64 : FEAST_DT_UINT64)
                                     : FEAST_DT_NULL;
    if (id == FEAST_DT_NULL) return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s: int of %lld bits", r->name, out->name, (long long)bits);
    out->type = feast_dtype_make(id);
    break;
  }
  case T_FLOAT: {
    int64_t prec = get_int(b, &tt, 0, 2, 0);
    if (prec < 0 || prec > 2) return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s: float precision %lld", r->name, out->name, (long long)prec);
    out->type = feast_dtype_make(prec == 0 ? FEAST_DT_FLOAT16 : prec == 1 ? FEAST_DT_FLOAT : FEAST_DT_DOUBLE);
    break;
  }
  case T_BINARY: out->type = feast_dtype_make(FEAST_DT_BINARY); break;
  case T_UTF8: out->type = feast_dtype_make(FEAST_DT_STRING); break;
  case T_BOOL: out->type = feast_dtype_make(FEAST_DT_BOOL); break;
  case T_DECIMAL: {
    int64_t bits = get_int(b, &tt, 2, 4, 128);
    if (bits != 128) return feast_fail(err, FEAST_E_UNSUPPORTED, "%s: field %s is a %lld-bit decimal", r->name, out->name, (long long)bits);
    out->type = feast_dtype_make(FEAST_DT_DECIMAL128);
    out->type.width = (int32_t)get_int(b, &tt, 0, 4, 0);
    out->type.scale = (int32_t)get_int(b, &tt, 1, 4, 0);
    break;
  }
  case T_DATE:
    out->type = get_int(b, &tt, 0, 2, 1) == 0 ? feast_dtype_make(FEAST_DT_DATE32) : feast_dtype_timestamp(FEAST_UNIT_MS, true);
    break;
  case T_TIME: {
    int64_t unit = get_int(b, &tt, 0, 2, 1), bits = get_int(b, &tt, 1, 4, 32);
    if (unit < 0 || unit > 3 || (bits != 32 && bits != 64) || (bits == 32) != (unit <= 1))
      return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s: time unit %lld of %lld bits", r->name, out->name,
                        (long long)unit, (long long)bits);
    out->type = feast_dtype_make(bits == 32 ? FEAST_DT_TIME32 : FEAST_DT_TIME64);
    out->type.unit = (uint8_t)unit;
    break;
  }
  case T_TIMESTAMP: {
    int64_t unit = get_int(b, &tt, 0, 2, 0);
    if (unit < 0 || unit > 3) return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s: timestamp unit %lld", r->name, out->name, (long long)unit);
    const char *tz;
    size_t tzlen = 0;
    bool zoned = str(b, &tt, 1, &tz, &tzlen) && tzlen > 0;
    out->type = feast_dtype_timestamp((feast_time_unit)unit, zoned);
    break;
  }
  case T_FIXED_BINARY: {
    int64_t w = get_int(b, &tt, 0, 4, 0);
    if (w <= 0 || w > (1 << 20)) return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s: fixed width %lld", r->name, out->name, (long long)w);
    out->type = feast_dtype_make(FEAST_DT_FIXED_BINARY);
    out->type.width = (int32_t)w;
    break;
  }
  case T_LIST: {
    size_t n, first;
    ftab ct;
    if (!vec(b, ft, 5, 4, &n, &first) || n != 1 || !vec_table(b, first, 0, &ct))
      return feast_fail(err, FEAST_E_CORRUPT, "%s: list field %s needs exactly one child", r->name, out->name);
    if (!(out->child = feast_calloc(1, sizeof *out->child))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    feast_code rc = parse_field(r, b, &ct, depth + 1, out->child, err);
    if (rc) return rc;
    if (out->child->type.id == FEAST_DT_LIST)
      return feast_fail(err, FEAST_E_UNSUPPORTED, "%s: field %s is a list of lists", r->name, out->name);
    out->type = feast_dtype_make(FEAST_DT_LIST);
    break;
  }
  default:
    return feast_fail(err, FEAST_E_UNSUPPORTED, "%s: field %s has Arrow type %d, which feast does not read", r->name,
                      out->name, kind);
  }
  return FEAST_OK;
}

static feast_code parse_schema(feast_ipc_reader *r, const fbuf *b, const ftab *st, feast_error *err) {
  if (get_int(b, st, 0, 2, 0) != 0) return feast_fail(err, FEAST_E_UNSUPPORTED, "%s: big-endian data", r->name);
  size_t n = 0, first = 0;
  if (!vec(b, st, 1, 4, &n, &first) && slot(b, st, 1, 4))
    return feast_fail(err, FEAST_E_CORRUPT, "%s: the schema's fields are out of bounds", r->name);
  if (n > MAX_FIELDS) return feast_fail(err, FEAST_E_TOO_BIG, "%s: a schema of %zu fields", r->name, n);
  ifield *fields = feast_calloc(n + 1, sizeof *fields);
  if (!fields) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = FEAST_OK;
  size_t done = 0;
  for (; !rc && done < n; done++) {
    ftab ft;
    if (!vec_table(b, first, done, &ft)) rc = feast_fail(err, FEAST_E_CORRUPT, "%s: schema field %zu is out of bounds", r->name, done);
    else rc = parse_field(r, b, &ft, 0, &fields[done], err);
  }
  feast_batch *sb = rc ? NULL : feast_batch_new((int)n);
  if (!rc && !sb) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; !rc && i < n; i++) {
    feast_array *a = feast_array_new(fields[i].type, fields[i].child ? fields[i].child->type : feast_dtype_make(FEAST_DT_NULL));
    rc = a ? feast_batch_set_column(sb, (int)i, fields[i].name, a, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  if (!rc && r->schema) { /* a repeated schema (each BigQuery emulator batch is a whole stream) must be the same */
    bool same = r->nfields == (int)n;
    for (size_t i = 0; same && i < n; i++)
      same = strcmp(r->fields[i].name, fields[i].name) == 0 && feast_dtype_equal(r->fields[i].type, fields[i].type) &&
             (!fields[i].child || feast_dtype_equal(r->fields[i].child->type, fields[i].child->type));
    if (!same) rc = feast_fail(err, FEAST_E_CORRUPT, "%s: a schema message differs from the first one", r->name);
  }
  if (rc || r->schema) {
    for (size_t i = 0; i < done; i++) field_free(&fields[i]);
    feast_free(fields);
    feast_batch_free(sb);
    return rc;
  }
  r->fields = fields;
  r->nfields = (int)n;
  r->schema = sb;
  return FEAST_OK;
}

/* ---- record batches ---- */

typedef struct body {
  const uint8_t *p;
  size_t n;
  const fbuf *meta;
  size_t nodes, nodes_n; /* FieldNode structs: length, null_count (16 bytes) */
  size_t bufs, bufs_n;   /* Buffer structs: offset, length (16 bytes) */
  size_t ni, bi;
} body;

static feast_code next_node(feast_ipc_reader *r, body *bd, const char *name, int64_t *len, int64_t *nulls,
                            feast_error *err) {
  if (bd->ni >= bd->nodes_n) return feast_fail(err, FEAST_E_CORRUPT, "%s: no field node for %s", r->name, name);
  const uint8_t *p = bd->meta->p + bd->nodes + 16 * bd->ni++;
  *len = (int64_t)le64(p);
  *nulls = (int64_t)le64(p + 8);
  if (*len < 0 || *len > INT32_MAX || *nulls < 0 || *nulls > *len)
    return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s: length %lld with %lld nulls", r->name, name, (long long)*len,
                      (long long)*nulls);
  return FEAST_OK;
}

static feast_code next_buf(feast_ipc_reader *r, body *bd, const char *name, const uint8_t **p, size_t *n,
                           feast_error *err) {
  if (bd->bi >= bd->bufs_n) return feast_fail(err, FEAST_E_CORRUPT, "%s: no buffer for %s", r->name, name);
  const uint8_t *q = bd->meta->p + bd->bufs + 16 * bd->bi++;
  uint64_t off = le64(q), len = le64(q + 8);
  if (off > bd->n || len > bd->n - off)
    return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s: buffer %zu (offset %llu, %llu bytes) is outside the body of %zu",
                      r->name, name, bd->bi - 1, (unsigned long long)off, (unsigned long long)len, bd->n);
  *p = bd->p + off;
  *n = (size_t)len;
  return FEAST_OK;
}

static size_t bits_bytes(int64_t n) { return (size_t)((n + 7) / 8); }

static feast_code read_array(feast_ipc_reader *r, body *bd, const ifield *f, feast_array **out, feast_error *err);

/* Fill `a` (empty, of f's type) with `len` rows from the next buffers.
 * Every size is checked against the buffers before anything is allocated,
 * so a message cannot make us allocate more than it holds. */
static feast_code fill(feast_ipc_reader *r, body *bd, const ifield *f, feast_array *a, feast_error *err) {
  int64_t len = 0, nulls = 0;
  feast_code rc = next_node(r, bd, f->name, &len, &nulls, err);
  const uint8_t *vp = NULL, *p = NULL;
  size_t vn = 0, n = 0;
  if (!rc) rc = next_buf(r, bd, f->name, &vp, &vn, err);
  if (!rc) rc = next_buf(r, bd, f->name, &p, &n, err); /* values, or offsets */
  if (rc) return rc;
  if (nulls && vn < bits_bytes(len))
    return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s: a validity bitmap of %zu bytes for %lld rows", r->name, f->name, vn,
                      (long long)len);
  int w = feast_dtype_byte_width(a->type);
  bool var = a->type.id == FEAST_DT_STRING || a->type.id == FEAST_DT_BINARY || a->type.id == FEAST_DT_LIST;
  size_t need = a->type.id == FEAST_DT_BOOL ? bits_bytes(len) : var ? (len ? (size_t)(len + 1) * 4 : 0) : (size_t)len * (size_t)w;
  if (!var && a->type.id != FEAST_DT_BOOL && w <= 0)
    return feast_fail(err, FEAST_E_INTERNAL, "%s: field %s: no reader for its type", r->name, f->name);
  if (n < need)
    return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s: %zu %s bytes for %lld rows", r->name, f->name, n,
                      var ? "offset" : "value", (long long)len);
  if ((rc = feast_array_reserve_uninit(a, len, 0, err))) return rc;
  if (nulls) {
    if (!(a->validity = feast_malloc(bits_bytes(a->capacity)))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    memset(a->validity, 0xff, bits_bytes(a->capacity));
    memcpy(a->validity, vp, bits_bytes(len));
  }
  if (!var) {
    if (need) memcpy(a->values, p, need);
  } else {
    int32_t base = len ? (int32_t)le32(p) : 0, prev = base;
    if (base < 0) return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s: a negative first offset", r->name, f->name);
    for (int64_t i = 0; i <= len && len; i++) {
      int32_t o = (int32_t)le32(p + 4 * i);
      if (o < prev) return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s: offsets go backwards at row %lld", r->name, f->name, (long long)i + 1);
      a->offsets[i] = o - base;
      prev = o;
    }
    if (!len) a->offsets[0] = 0;
    int64_t span = (int64_t)prev - base;
    if (a->type.id == FEAST_DT_LIST) {
      feast_array *c = NULL;
      if ((rc = read_array(r, bd, f->child, &c, err))) return rc;
      if (c->length < (int64_t)prev) {
        long long items = (long long)c->length;
        feast_array_free(c);
        return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s: offsets reach %d, the items have %lld", r->name, f->name, prev,
                          items);
      }
      if (base != 0 || c->length != span) { /* keep only the items the rows use */
        feast_array *s = feast_array_new(c->type, feast_dtype_make(FEAST_DT_NULL));
        rc = s ? feast_array_append_range(s, c, base, span, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
        feast_array_free(c);
        if (rc) {
          feast_array_free(s);
          return rc;
        }
        c = s;
      }
      feast_array_free(a->child);
      a->child = c;
    } else {
      const uint8_t *dp;
      size_t dn;
      if ((rc = next_buf(r, bd, f->name, &dp, &dn, err))) return rc;
      if ((size_t)prev > dn)
        return feast_fail(err, FEAST_E_CORRUPT, "%s: field %s: offsets reach %d, the data has %zu bytes", r->name, f->name, prev, dn);
      if ((rc = feast_array_reserve_uninit(a, 0, span, err))) return rc;
      if (span) memcpy(a->data, dp + base, (size_t)span);
      a->data_len = span;
    }
  }
  a->length = len;
  a->null_count = nulls;
  return FEAST_OK;
}

static feast_code read_array(feast_ipc_reader *r, body *bd, const ifield *f, feast_array **out, feast_error *err) {
  feast_array *a = feast_array_new(f->type, f->child ? f->child->type : feast_dtype_make(FEAST_DT_NULL));
  if (!a) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = fill(r, bd, f, a, err);
  if (rc) {
    feast_array_free(a);
    return rc;
  }
  *out = a;
  return FEAST_OK;
}

static feast_code read_batch(feast_ipc_reader *r, const fbuf *b, const ftab *bt, const uint8_t *bodyp, size_t body_n,
                             feast_batch **out, feast_error *err) {
  if (!r->schema) return feast_fail(err, FEAST_E_CORRUPT, "%s: a record batch before any schema", r->name);
  if (slot(b, bt, 3, 4)) return feast_fail(err, FEAST_E_UNSUPPORTED, "%s: a compressed record batch", r->name);
  int64_t length = get_int(b, bt, 0, 8, 0);
  if (length < 0 || length > INT32_MAX) return feast_fail(err, FEAST_E_CORRUPT, "%s: a record batch of %lld rows", r->name, (long long)length);
  body bd = {bodyp, body_n, b, 0, 0, 0, 0, 0, 0};
  if (!vec(b, bt, 1, 16, &bd.nodes_n, &bd.nodes)) bd.nodes_n = 0;
  if (!vec(b, bt, 2, 16, &bd.bufs_n, &bd.bufs)) bd.bufs_n = 0;
  feast_batch *batch = feast_batch_new(r->nfields);
  if (!batch) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = FEAST_OK;
  for (int i = 0; !rc && i < r->nfields; i++) {
    feast_array *a;
    if (!(rc = read_array(r, &bd, &r->fields[i], &a, err))) {
      if (a->length != length) {
        rc = feast_fail(err, FEAST_E_CORRUPT, "%s: field %s has %lld rows in a batch of %lld", r->name, r->fields[i].name,
                        (long long)a->length, (long long)length);
        feast_array_free(a);
      } else {
        rc = feast_batch_set_column(batch, i, r->fields[i].name, a, err);
      }
    }
  }
  batch->num_rows = length;
  if (rc) {
    feast_batch_free(batch);
    return rc;
  }
  *out = batch;
  return FEAST_OK;
}

feast_code feast_ipc_read(feast_ipc_reader *r, const uint8_t *p, size_t n,
                          feast_code (*emit)(void *ctx, feast_batch *b, feast_error *err), void *ctx,
                          feast_error *err) {
  size_t pos = 0;
  while (pos < n) {
    if (n - pos < 4) return feast_fail(err, FEAST_E_CORRUPT, "%s: %zu stray bytes at offset %zu", r->name, n - pos, pos);
    uint32_t len = le32(p + pos);
    pos += 4;
    if (len == 0xFFFFFFFFu) { /* continuation marker, then the length */
      if (n - pos < 4) return feast_fail(err, FEAST_E_CORRUPT, "%s: a message length cut off at offset %zu", r->name, pos);
      len = le32(p + pos);
      pos += 4;
    }
    if (len == 0) break; /* end of stream */
    if (len > n - pos) return feast_fail(err, FEAST_E_CORRUPT, "%s: a message of %u bytes at offset %zu runs past the end", r->name, len, pos);
    fbuf meta = {p + pos, len};
    ftab msg;
    if (!has(&meta, 0, 4) || !table_at(&meta, le32(meta.p), &msg))
      return feast_fail(err, FEAST_E_CORRUPT, "%s: the message at offset %zu is not a flatbuffer", r->name, pos);
    int version = (int)get_int(&meta, &msg, 0, 2, 0);
    int kind = (int)(uint8_t)get_int(&meta, &msg, 1, 1, 0);
    int64_t body_len = get_int(&meta, &msg, 3, 8, 0);
    pos += len;
    if (body_len < 0 || (uint64_t)body_len > n - pos)
      return feast_fail(err, FEAST_E_CORRUPT, "%s: a message body of %lld bytes at offset %zu runs past the end", r->name,
                        (long long)body_len, pos);
    if (version < 3) return feast_fail(err, FEAST_E_UNSUPPORTED, "%s: metadata version %d (before Arrow 1.0)", r->name, version);
    ftab hdr;
    if (!sub_table(&meta, &msg, 2, &hdr)) return feast_fail(err, FEAST_E_CORRUPT, "%s: a message without a header", r->name);
    feast_code rc = FEAST_OK;
    if (kind == 1) {
      rc = parse_schema(r, &meta, &hdr, err);
    } else if (kind == 3) {
      feast_batch *b = NULL;
      rc = read_batch(r, &meta, &hdr, p + pos, (size_t)body_len, &b, err);
      if (!rc) {
        r->batches++;
        rc = emit(ctx, b, err);
      }
    } else if (kind == 2) {
      rc = feast_fail(err, FEAST_E_UNSUPPORTED, "%s: dictionary batches are not read", r->name);
    } else {
      rc = feast_fail(err, FEAST_E_UNSUPPORTED, "%s: a message of kind %d", r->name, kind);
    }
    if (rc) return rc;
    pos += (size_t)body_len;
  }
  return FEAST_OK;
}

const feast_batch *feast_ipc_schema(const feast_ipc_reader *r) { return r->schema; }
