/*
 * avro_plan.c - compiling (writer, reader, columns) into instructions (see
 * avro_plan.h). The wanted columns become a small tree over the reader's
 * fields; the compiler then walks the writer schema in byte order, and at
 * each writer field either emits the reads that fill the columns below the
 * reader field it resolves to, or emits a skip. Reader fields the writer
 * lacks become constant stores of their defaults. Every path through the
 * code stores exactly one value into every column, which is what lets the
 * decoder undo a bad datum by cutting each column back to the row count.
 */
#include "format/avro/avro_plan.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "format/avro/avro_resolve.h"

#define MAX_CODE (1u << 20) /* instructions; a schema that expands past this is refused */

/* ---- what a reader type can be stored as ---- */

static bool target_ok(feast_dtype t) {
  switch ((feast_dtype_id)t.id) {
  case FEAST_DT_BOOL:
  case FEAST_DT_INT32:
  case FEAST_DT_INT64:
  case FEAST_DT_FLOAT:
  case FEAST_DT_DOUBLE:
  case FEAST_DT_STRING:
  case FEAST_DT_BINARY:
  case FEAST_DT_FIXED_BINARY:
  case FEAST_DT_DATE32:
  case FEAST_DT_TIMESTAMP: return true;
  default: return false;
  }
}

static const char *fits_desc(const feast_avro_node *r) {
  switch (r->kind) {
  case FEAST_AVRO_BOOLEAN: return "bool";
  case FEAST_AVRO_INT: return r->logical == FEAST_AVRO_LT_DATE ? "date32, int32, int64 or timestamp" : "int32 or int64";
  case FEAST_AVRO_LONG: return "int64 or timestamp";
  case FEAST_AVRO_FLOAT: return "float or double";
  case FEAST_AVRO_DOUBLE: return "double";
  case FEAST_AVRO_STRING:
  case FEAST_AVRO_ENUM: return "string";
  case FEAST_AVRO_BYTES: return "binary";
  case FEAST_AVRO_FIXED: return "binary or fixed_binary of its size";
  case FEAST_AVRO_ARRAY: return "a list";
  default: return "nothing";
  }
}

static bool scalar_storable(const feast_avro_node *r, feast_dtype t) {
  feast_dtype_id id = (feast_dtype_id)t.id;
  if (!target_ok(t)) return false;
  switch (r->kind) {
  case FEAST_AVRO_NULL: return true;
  case FEAST_AVRO_BOOLEAN: return id == FEAST_DT_BOOL;
  case FEAST_AVRO_INT:
    if (id == FEAST_DT_INT32 || id == FEAST_DT_INT64) return true;
    return r->logical == FEAST_AVRO_LT_DATE && (id == FEAST_DT_DATE32 || id == FEAST_DT_TIMESTAMP);
  case FEAST_AVRO_LONG: return id == FEAST_DT_INT64 || id == FEAST_DT_TIMESTAMP;
  case FEAST_AVRO_FLOAT: return id == FEAST_DT_FLOAT || id == FEAST_DT_DOUBLE;
  case FEAST_AVRO_DOUBLE: return id == FEAST_DT_DOUBLE;
  case FEAST_AVRO_STRING:
  case FEAST_AVRO_ENUM: return id == FEAST_DT_STRING;
  case FEAST_AVRO_BYTES: return id == FEAST_DT_BINARY;
  case FEAST_AVRO_FIXED: return id == FEAST_DT_BINARY || (id == FEAST_DT_FIXED_BINARY && t.width == r->size);
  default: return false;
  }
}

bool feast_avro_storable(const feast_avro_node *r, feast_dtype type, feast_dtype child, char *why, size_t size) {
  char d[160], tn[64];
  if (r->kind == FEAST_AVRO_UNION) {
    for (size_t i = 0; i < r->n; i++)
      if (!feast_avro_storable(r->branches[i], type, child, why, size)) return false;
    return true;
  }
  if (r->kind == FEAST_AVRO_NULL) return true;
  if (r->kind == FEAST_AVRO_RECORD) {
    if (r->n)
      snprintf(why, size, "record %s is not a value: name one of its fields (path.%s)", r->name, r->fields[0].name);
    else
      snprintf(why, size, "record %s is not a value and has no fields", r->name);
    return false;
  }
  if (r->kind == FEAST_AVRO_MAP) {
    snprintf(why, size, "%s: maps are not supported as columns", feast_avro_describe(r, d, sizeof d));
    return false;
  }
  if (type.id == FEAST_DT_LIST) {
    if (r->kind != FEAST_AVRO_ARRAY) {
      snprintf(why, size, "%s cannot be stored as a list column (it fits %s)", feast_avro_describe(r, d, sizeof d),
               fits_desc(r));
      return false;
    }
    const feast_avro_node *it = r->items;
    if (feast_avro_unwrap_nullable(it)->kind == FEAST_AVRO_ARRAY || child.id == FEAST_DT_LIST) {
      snprintf(why, size, "%s: lists of lists are not supported", feast_avro_describe(r, d, sizeof d));
      return false;
    }
    if (!feast_avro_storable(it, child, feast_dtype_make(FEAST_DT_NULL), why, size)) {
      char inner[320];
      snprintf(inner, sizeof inner, "%s", why);
      snprintf(why, size, "items: %s", inner);
      return false;
    }
    return true;
  }
  if (!scalar_storable(r, type)) {
    snprintf(why, size, "%s cannot be stored as %s (it fits %s)", feast_avro_describe(r, d, sizeof d),
             feast_dtype_name(type, tn, sizeof tn), fits_desc(r));
    return false;
  }
  return true;
}

/* ---- growable arrays for the compiler ---- */

typedef struct vec {
  void *data;
  size_t n, cap, elem;
} vec;

static void *vec_push(vec *v) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 16;
    void *p = feast_realloc(v->data, cap * v->elem);
    if (!p) return NULL;
    v->data = p;
    v->cap = cap;
  }
  void *slot = (char *)v->data + v->n * v->elem;
  memset(slot, 0, v->elem);
  v->n++;
  return slot;
}

/* ---- the column tree over reader fields ---- */

typedef struct want {
  const feast_avro_field *rf; /* the reader field */
  int col;                    /* >= 0: this field is column col */
  struct want *kids;          /* else: wanted fields of its record */
  size_t n_kids, cap_kids;
} want;

typedef struct leaf {
  uint32_t slot;
  feast_dtype type, child;
  uint32_t child_slot;
} leaf;

typedef struct cc {
  feast_arena *arena;
  vec code, jumps, scales, enums, consts, strings;
  const feast_avro_column *cols;
  uint32_t *child_slot; /* per column: its elements' slot, or FEAST_AVRO_NO_SLOT */
  char path[512];
  uint32_t path_id; /* strings index of path, or UINT32_MAX until needed */
  size_t last_skip; /* index of a SKIP_FIXED that the next one may join, or SIZE_MAX */
  feast_error *err;
} cc;

static feast_code oom(cc *c) { return feast_fail(c->err, FEAST_E_NOMEM, "out of memory compiling an Avro plan"); }

static void want_free(want *w) {
  for (size_t i = 0; i < w->n_kids; i++) want_free(&w->kids[i]);
  feast_free(w->kids);
}

static want *want_kid(want *w, const feast_avro_field *rf) {
  for (size_t i = 0; i < w->n_kids; i++)
    if (w->kids[i].rf == rf) return &w->kids[i];
  if (w->n_kids == w->cap_kids) {
    size_t cap = w->cap_kids ? w->cap_kids * 2 : 4;
    want *k = feast_realloc(w->kids, cap * sizeof *k);
    if (!k) return NULL;
    w->kids = k;
    w->cap_kids = cap;
  }
  want *k = &w->kids[w->n_kids++];
  memset(k, 0, sizeof *k);
  k->rf = rf;
  k->col = -1;
  return k;
}

static feast_code add_column(cc *c, want *root, const feast_avro_node *reader, int col) {
  const feast_avro_column *fc = &c->cols[col];
  const char *path = fc->path;
  if (!path || !*path) return feast_fail(c->err, FEAST_E_INVALID, "column %d has no name", col);
  want *w = root;
  const feast_avro_node *cur = reader;
  const char *part = path;
  for (;;) {
    const char *dot = strchr(part, '.');
    size_t len = dot ? (size_t)(dot - part) : strlen(part);
    const feast_avro_node *r = feast_avro_unwrap_nullable(cur);
    char d[160];
    if (r->kind != FEAST_AVRO_RECORD)
      return feast_fail(c->err, FEAST_E_SCHEMA, "column '%s': not in the Avro schema ('%.*s' is %s, not a record)", path,
                        (int)(part - path - 1), path, feast_avro_describe(cur, d, sizeof d));
    const feast_avro_field *f = feast_avro_record_field(r, part, len);
    if (!f)
      return feast_fail(c->err, FEAST_E_SCHEMA, "column '%s': not in the Avro schema (no field '%.*s' in record %s)", path,
                        (int)len, part, r->name);
    want *k = want_kid(w, f);
    if (!k) return oom(c);
    if (k->col >= 0 || (!dot && k->n_kids))
      return feast_fail(c->err, FEAST_E_INVALID, "column '%s' is asked for twice (or with one of its fields)", path);
    if (!dot) {
      char why[400];
      if (!feast_avro_storable(f->type, fc->type, fc->child, why, sizeof why))
        return feast_fail(c->err, FEAST_E_SCHEMA, "column '%s': %s", path, why);
      k->col = col;
      return FEAST_OK;
    }
    w = k;
    cur = f->type;
    part = dot + 1;
  }
}

/* ---- emitting ---- */

static feast_code intern(cc *c, const char *s, uint32_t *id) {
  const char **slot = vec_push(&c->strings);
  if (!slot || !(*slot = feast_arena_strdup(c->arena, s))) return oom(c);
  *id = (uint32_t)(c->strings.n - 1);
  return FEAST_OK;
}

static feast_code emit(cc *c, feast_avro_op op, uint32_t slot, uint32_t arg, uint32_t arg2, size_t *at) {
  if (op == FEAST_AOP_SKIP_FIXED && c->last_skip != SIZE_MAX) {
    feast_avro_ins *prev = (feast_avro_ins *)c->code.data + c->last_skip;
    if ((uint64_t)prev->arg + arg <= UINT32_MAX) {
      prev->arg += arg;
      if (at) *at = c->last_skip;
      return FEAST_OK;
    }
  }
  if (c->code.n >= MAX_CODE)
    return feast_fail(c->err, FEAST_E_TOO_BIG, "the Avro schemas compile to more than %u instructions", MAX_CODE);
  if (c->path_id == UINT32_MAX) {
    feast_code rc = intern(c, c->path, &c->path_id);
    if (rc) return rc;
  }
  feast_avro_ins *in = vec_push(&c->code);
  if (!in) return oom(c);
  in->op = (uint8_t)op;
  in->slot = slot;
  in->arg = arg;
  in->arg2 = arg2;
  in->path = c->path_id;
  c->last_skip = op == FEAST_AOP_SKIP_FIXED ? c->code.n - 1 : SIZE_MAX;
  if (at) *at = c->code.n - 1;
  return FEAST_OK;
}

static feast_avro_ins *ins_at(cc *c, size_t i) { return (feast_avro_ins *)c->code.data + i; }

/* A place later code jumps to: nothing may be merged across it. */
static void label(cc *c) { c->last_skip = SIZE_MAX; }

static size_t push_path(cc *c, const char *part, bool dotted) {
  size_t base = strlen(c->path);
  snprintf(c->path + base, sizeof c->path - base, "%s%s", dotted && base ? "." : "", part);
  c->path_id = UINT32_MAX;
  return base;
}
static void pop_path(cc *c, size_t base) {
  c->path[base] = 0;
  c->path_id = UINT32_MAX;
}

static feast_code fail_op(cc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static feast_code fail_op(cc *c, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  uint32_t id;
  feast_code rc = intern(c, msg, &id);
  return rc ? rc : emit(c, FEAST_AOP_FAIL, FEAST_AVRO_NO_SLOT, id, 0, NULL);
}

/* Least bytes a value of w takes (saturating), for the array item guard. */
static uint32_t min_size(const feast_avro_node *w, int depth) {
  if (depth > 64) return 1;
  switch (w->kind) {
  case FEAST_AVRO_NULL: return 0;
  case FEAST_AVRO_FLOAT: return 4;
  case FEAST_AVRO_DOUBLE: return 8;
  case FEAST_AVRO_FIXED: return (uint32_t)w->size;
  case FEAST_AVRO_RECORD: {
    uint64_t s = 0;
    for (size_t i = 0; i < w->n && s < (1u << 20); i++) s += min_size(w->fields[i].type, depth + 1);
    return s > (1u << 20) ? (1u << 20) : (uint32_t)s;
  }
  default: return 1;
  }
}

static feast_code compile_skip(cc *c, const feast_avro_node *w);

static feast_code compile_array_shell(cc *c, const feast_avro_node *w, uint32_t slot, size_t *at) {
  return emit(c, FEAST_AOP_ARRAY, slot, 0, min_size(w->items, 0), at);
}

static feast_code close_array(cc *c, size_t at) {
  feast_code rc = emit(c, FEAST_AOP_END, FEAST_AVRO_NO_SLOT, 0, 0, NULL);
  if (rc) return rc;
  ins_at(c, at)->arg = (uint32_t)c->code.n;
  label(c);
  return FEAST_OK;
}

static feast_code compile_skip(cc *c, const feast_avro_node *w) {
  feast_code rc = FEAST_OK;
  switch (w->kind) {
  case FEAST_AVRO_NULL: return FEAST_OK;
  case FEAST_AVRO_BOOLEAN: return emit(c, FEAST_AOP_SKIP_FIXED, FEAST_AVRO_NO_SLOT, 1, 0, NULL);
  case FEAST_AVRO_INT:
  case FEAST_AVRO_ENUM: return emit(c, FEAST_AOP_SKIP_INT, FEAST_AVRO_NO_SLOT, 0, 0, NULL);
  case FEAST_AVRO_LONG: return emit(c, FEAST_AOP_SKIP_LONG, FEAST_AVRO_NO_SLOT, 0, 0, NULL);
  case FEAST_AVRO_FLOAT: return emit(c, FEAST_AOP_SKIP_FIXED, FEAST_AVRO_NO_SLOT, 4, 0, NULL);
  case FEAST_AVRO_DOUBLE: return emit(c, FEAST_AOP_SKIP_FIXED, FEAST_AVRO_NO_SLOT, 8, 0, NULL);
  case FEAST_AVRO_BYTES:
  case FEAST_AVRO_STRING: return emit(c, FEAST_AOP_SKIP_BYTES, FEAST_AVRO_NO_SLOT, 0, 0, NULL);
  case FEAST_AVRO_FIXED:
    return w->size ? emit(c, FEAST_AOP_SKIP_FIXED, FEAST_AVRO_NO_SLOT, (uint32_t)w->size, 0, NULL) : FEAST_OK;
  case FEAST_AVRO_RECORD:
    for (size_t i = 0; i < w->n && !rc; i++) {
      size_t base = push_path(c, w->fields[i].name, true);
      rc = compile_skip(c, w->fields[i].type);
      pop_path(c, base);
    }
    return rc;
  case FEAST_AVRO_ARRAY:
  case FEAST_AVRO_MAP: {
    size_t at;
    size_t base = push_path(c, w->kind == FEAST_AVRO_ARRAY ? "[]" : "{}", false);
    if (!(rc = compile_array_shell(c, w, FEAST_AVRO_NO_SLOT, &at))) {
      if (w->kind == FEAST_AVRO_MAP) ins_at(c, at)->flags = FEAST_AFLAG_MAP;
      label(c);
      if (!(rc = compile_skip(c, w->items))) rc = close_array(c, at);
    }
    pop_path(c, base);
    return rc;
  }
  case FEAST_AVRO_UNION: {
    size_t at, base_j = c->jumps.n;
    if ((rc = emit(c, FEAST_AOP_UNION, FEAST_AVRO_NO_SLOT, (uint32_t)base_j, (uint32_t)w->n, &at))) return rc;
    for (size_t i = 0; i < w->n; i++)
      if (!vec_push(&c->jumps)) return oom(c);
    size_t *ends = feast_calloc(w->n, sizeof *ends);
    if (!ends) return oom(c);
    for (size_t i = 0; i < w->n && !rc; i++) {
      label(c);
      ((uint32_t *)c->jumps.data)[base_j + i] = (uint32_t)c->code.n;
      if (!(rc = compile_skip(c, w->branches[i]))) rc = emit(c, FEAST_AOP_JUMP, FEAST_AVRO_NO_SLOT, 0, 0, &ends[i]);
    }
    for (size_t i = 0; i < w->n && !rc; i++) ins_at(c, ends[i])->arg = (uint32_t)c->code.n;
    label(c);
    feast_free(ends);
    return rc;
  }
  }
  return feast_fail(c->err, FEAST_E_INTERNAL, "compile_skip: kind %d", (int)w->kind);
}

/* ---- time units ---- */

enum { U_DAYS = -1 };

static int src_unit(const feast_avro_node *w, const feast_avro_node *r) {
  feast_avro_logical lt = w->logical != FEAST_AVRO_LT_NONE ? w->logical : r->logical;
  switch (lt) {
  case FEAST_AVRO_LT_DATE: return U_DAYS;
  case FEAST_AVRO_LT_TIMESTAMP_MILLIS:
  case FEAST_AVRO_LT_LOCAL_MILLIS: return FEAST_UNIT_MS;
  case FEAST_AVRO_LT_TIMESTAMP_NANOS:
  case FEAST_AVRO_LT_LOCAL_NANOS: return FEAST_UNIT_NS;
  default: return FEAST_UNIT_US; /* timestamp-micros, and a plain long */
  }
}

static int64_t ns_per(int unit) {
  switch (unit) {
  case U_DAYS: return INT64_C(86400000000000);
  case FEAST_UNIT_S: return INT64_C(1000000000);
  case FEAST_UNIT_MS: return INT64_C(1000000);
  case FEAST_UNIT_US: return INT64_C(1000);
  default: return 1;
  }
}

static feast_avro_scale scale_for(int from, int to) {
  feast_avro_scale s = {1, 1};
  int64_t a = ns_per(from), b = ns_per(to);
  if (a >= b)
    s.mul = a / b;
  else
    s.div = b / a;
  return s;
}

/* floor(v / d) and v * m with overflow: the decoder's arithmetic, shared
 * with defaults. */
static bool apply_scale(feast_avro_scale s, int64_t v, int64_t *out) {
  if (s.div > 1) {
    int64_t q = v / s.div;
    if ((v % s.div) < 0) q--;
    *out = q;
    return true;
  }
  return !__builtin_mul_overflow(v, s.mul, out);
}

static feast_code add_scale(cc *c, feast_avro_scale s, uint32_t *id) {
  feast_avro_scale *p = vec_push(&c->scales);
  if (!p) return oom(c);
  *p = s;
  *id = (uint32_t)(c->scales.n - 1);
  return FEAST_OK;
}

/* ---- constants (defaults) ---- */

static feast_code bad_default(cc *c, const feast_json_value *j, const feast_avro_node *r, const char *why) {
  char d[160];
  (void)j;
  return feast_fail(c->err, FEAST_E_INVALID, "field %s: the default does not fit %s: %s", c->path,
                    feast_avro_describe(r, d, sizeof d), why);
}

/* A JSON string whose code points are all <= 255 as bytes (the
 * specification's encoding of bytes and fixed defaults). */
static feast_code json_bytes(cc *c, const feast_json_value *j, const feast_avro_node *r, const uint8_t **out, size_t *len) {
  uint8_t *b = feast_arena_alloc(c->arena, j->len + 1);
  if (!b) return oom(c);
  size_t n = 0;
  for (size_t i = 0; i < j->len;) {
    uint8_t ch = (uint8_t)j->str[i];
    if (ch < 0x80) {
      b[n++] = ch;
      i++;
    } else if ((ch & 0xE0) == 0xC0 && i + 1 < j->len && ch <= 0xC3) {
      b[n++] = (uint8_t)(((ch & 0x1F) << 6) | ((uint8_t)j->str[i + 1] & 0x3F));
      i += 2;
    } else {
      return bad_default(c, j, r, "bytes defaults hold characters U+0000 to U+00FF only");
    }
  }
  *out = b;
  *len = n;
  return FEAST_OK;
}

static feast_code make_const(cc *c, const feast_avro_node *r, const feast_json_value *j, feast_dtype t, feast_dtype child,
                             feast_avro_const *out);

static bool const_fits(cc *c, const feast_avro_node *r, const feast_json_value *j, feast_dtype t, feast_dtype child,
                       feast_avro_const *out) {
  feast_error saved = *c->err;
  feast_code rc = make_const(c, r, j, t, child, out);
  if (rc == FEAST_E_INVALID) {
    *c->err = saved;
    return false;
  }
  return rc == FEAST_OK;
}

static feast_code make_const(cc *c, const feast_avro_node *r, const feast_json_value *j, feast_dtype t, feast_dtype child,
                             feast_avro_const *out) {
  memset(out, 0, sizeof *out);
  switch (r->kind) {
  case FEAST_AVRO_UNION:
    /* The specification ties a union's default to its first branch; any
     * branch the value fits is accepted, first match first. */
    for (size_t i = 0; i < r->n; i++)
      if (const_fits(c, r->branches[i], j, t, child, out)) return FEAST_OK;
    if (c->err->code == FEAST_E_NOMEM) return FEAST_E_NOMEM;
    return bad_default(c, j, r, "no branch of the union takes it");
  case FEAST_AVRO_NULL:
    if (j->kind != FEAST_JSON_NULL) return bad_default(c, j, r, "expected null");
    out->kind = FEAST_ACONST_NULL;
    return FEAST_OK;
  case FEAST_AVRO_BOOLEAN:
    if (j->kind != FEAST_JSON_TRUE && j->kind != FEAST_JSON_FALSE) return bad_default(c, j, r, "expected true or false");
    out->kind = FEAST_ACONST_BOOL;
    out->i = j->kind == FEAST_JSON_TRUE;
    return FEAST_OK;
  case FEAST_AVRO_INT:
  case FEAST_AVRO_LONG: {
    int64_t v;
    if (j->kind != FEAST_JSON_NUMBER || !feast_json_number_int64(j->str, j->len, &v))
      return bad_default(c, j, r, "expected an integer");
    if (r->kind == FEAST_AVRO_INT && (v < INT32_MIN || v > INT32_MAX)) return bad_default(c, j, r, "out of int range");
    out->kind = FEAST_ACONST_INT;
    out->i = v;
    if (t.id == FEAST_DT_TIMESTAMP && !apply_scale(scale_for(src_unit(r, r), t.unit), v, &out->i))
      return bad_default(c, j, r, "the timestamp is out of range");
    return FEAST_OK;
  }
  case FEAST_AVRO_FLOAT:
  case FEAST_AVRO_DOUBLE: {
    double d;
    if (j->kind == FEAST_JSON_NUMBER && feast_json_number_double(j->str, j->len, &d)) {
    } else if (j->kind == FEAST_JSON_STRING && strcmp(j->str, "NaN") == 0) {
      d = NAN;
    } else if (j->kind == FEAST_JSON_STRING && strcmp(j->str, "Infinity") == 0) {
      d = INFINITY;
    } else if (j->kind == FEAST_JSON_STRING && strcmp(j->str, "-Infinity") == 0) {
      d = -INFINITY;
    } else {
      return bad_default(c, j, r, "expected a number");
    }
    out->kind = FEAST_ACONST_DOUBLE;
    out->d = r->kind == FEAST_AVRO_FLOAT ? (double)(float)d : d;
    return FEAST_OK;
  }
  case FEAST_AVRO_STRING:
    if (j->kind != FEAST_JSON_STRING) return bad_default(c, j, r, "expected a string");
    out->kind = FEAST_ACONST_BYTES;
    out->bytes = (const uint8_t *)j->str;
    out->len = j->len;
    return FEAST_OK;
  case FEAST_AVRO_BYTES:
  case FEAST_AVRO_FIXED: {
    if (j->kind != FEAST_JSON_STRING) return bad_default(c, j, r, "expected a string of bytes");
    out->kind = FEAST_ACONST_BYTES;
    feast_code rc = json_bytes(c, j, r, &out->bytes, &out->len);
    if (rc) return rc;
    if (r->kind == FEAST_AVRO_FIXED && out->len != (size_t)r->size) return bad_default(c, j, r, "wrong length");
    return FEAST_OK;
  }
  case FEAST_AVRO_ENUM:
    if (j->kind == FEAST_JSON_STRING)
      for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->symbols[i], j->str) == 0) {
          out->kind = FEAST_ACONST_BYTES;
          out->bytes = (const uint8_t *)r->symbols[i];
          out->len = strlen(r->symbols[i]);
          return FEAST_OK;
        }
    return bad_default(c, j, r, "expected one of the enum's symbols");
  case FEAST_AVRO_ARRAY: {
    if (j->kind != FEAST_JSON_ARRAY) return bad_default(c, j, r, "expected an array");
    feast_avro_const *items = feast_arena_calloc(c->arena, (j->len + 1) * sizeof *items);
    if (!items) return oom(c);
    for (size_t i = 0; i < j->len; i++) {
      feast_code rc = make_const(c, r->items, &j->items[i], child, feast_dtype_make(FEAST_DT_NULL), &items[i]);
      if (rc) return rc;
    }
    out->kind = FEAST_ACONST_LIST;
    out->items = items;
    out->len = j->len;
    return FEAST_OK;
  }
  default: return bad_default(c, j, r, "records and maps are not column values");
  }
}

static feast_code emit_const(cc *c, const feast_avro_node *r, const feast_json_value *j, const leaf *lf) {
  feast_avro_const *k = vec_push(&c->consts);
  if (!k) return oom(c);
  size_t id = c->consts.n - 1;
  feast_avro_const tmp;
  feast_code rc = make_const(c, r, j, lf->type, lf->child, &tmp);
  if (rc) return rc;
  ((feast_avro_const *)c->consts.data)[id] = tmp;
  return emit(c, FEAST_AOP_CONST, lf->slot, (uint32_t)id, 0, NULL);
}

/* ---- values ---- */

static leaf leaf_of(cc *c, int col) {
  leaf l = {(uint32_t)col, c->cols[col].type, c->cols[col].child, c->child_slot[col]};
  return l;
}

static feast_code emit_nulls(cc *c, const want *w, const leaf *lf) {
  if (lf) return emit(c, FEAST_AOP_NULL, lf->slot, 0, 0, NULL);
  for (size_t i = 0; i < w->n_kids; i++) {
    const want *k = &w->kids[i];
    feast_code rc;
    if (k->col >= 0) {
      leaf l = leaf_of(c, k->col);
      rc = emit_nulls(c, NULL, &l);
    } else {
      rc = emit_nulls(c, k, NULL);
    }
    if (rc) return rc;
  }
  return FEAST_OK;
}

static feast_code emit_default(cc *c, const feast_avro_node *r, const feast_json_value *j, const want *w);

/* The defaults of a wanted record's wanted fields, from its default object. */
static feast_code emit_record_default(cc *c, const feast_avro_node *r, const feast_json_value *j, const want *w) {
  if (r->kind == FEAST_AVRO_UNION) {
    for (size_t i = 0; i < r->n; i++) {
      const feast_avro_node *b = r->branches[i];
      if (b->kind == FEAST_AVRO_NULL && j->kind == FEAST_JSON_NULL) return emit_nulls(c, w, NULL);
      if (b->kind == FEAST_AVRO_RECORD && j->kind == FEAST_JSON_OBJECT) return emit_record_default(c, b, j, w);
    }
    return bad_default(c, j, r, "no branch of the union takes it");
  }
  if (r->kind != FEAST_AVRO_RECORD || j->kind != FEAST_JSON_OBJECT) return bad_default(c, j, r, "expected an object");
  for (size_t i = 0; i < w->n_kids; i++) {
    const want *k = &w->kids[i];
    const feast_json_value *m = feast_json_get(j, k->rf->name);
    if (!m) m = k->rf->default_value;
    size_t base = push_path(c, k->rf->name, true);
    feast_code rc = m ? emit_default(c, k->rf->type, m, k)
                      : feast_fail(c->err, FEAST_E_SCHEMA, "field %s: the default of its record leaves it out and it has no default",
                                   c->path);
    pop_path(c, base);
    if (rc) return rc;
  }
  return FEAST_OK;
}

static feast_code emit_default(cc *c, const feast_avro_node *r, const feast_json_value *j, const want *w) {
  if (w->col >= 0) {
    leaf l = leaf_of(c, w->col);
    return emit_const(c, r, j, &l);
  }
  return emit_record_default(c, r, j, w);
}

static feast_code compile_value(cc *c, const feast_avro_node *w, const feast_avro_node *r, const want *wt, const leaf *lf);

static feast_code compile_fields(cc *c, const feast_avro_node *w, const feast_avro_node *r, const want *wt) {
  bool *filled = feast_calloc(wt->n_kids + 1, sizeof *filled);
  if (!filled) return oom(c);
  feast_code rc = FEAST_OK;
  for (size_t i = 0; i < w->n && !rc; i++) {
    const feast_avro_field *wf = &w->fields[i];
    const feast_avro_field *rf = feast_avro_reader_field(r, wf->name);
    size_t k = 0;
    while (rf && k < wt->n_kids && wt->kids[k].rf != rf) k++;
    size_t base = push_path(c, wf->name, true);
    if (rf && k < wt->n_kids && !filled[k]) {
      filled[k] = true;
      const want *kid = &wt->kids[k];
      if (kid->col >= 0) {
        leaf l = leaf_of(c, kid->col);
        rc = compile_value(c, wf->type, rf->type, NULL, &l);
      } else {
        rc = compile_value(c, wf->type, rf->type, kid, NULL);
      }
    } else {
      rc = compile_skip(c, wf->type);
    }
    pop_path(c, base);
  }
  for (size_t k = 0; k < wt->n_kids && !rc; k++) {
    if (filled[k]) continue;
    const want *kid = &wt->kids[k];
    size_t base = push_path(c, kid->rf->name, true);
    if (!kid->rf->default_value)
      rc = feast_fail(c->err, FEAST_E_SCHEMA, "field %s: not in the writer's record %s and has no default", c->path,
                      w->name);
    else
      rc = emit_default(c, kid->rf->type, kid->rf->default_value, kid);
    pop_path(c, base);
  }
  feast_free(filled);
  return rc;
}

static feast_code emit_store(cc *c, const feast_avro_node *w, const feast_avro_node *r, const leaf *lf) {
  feast_dtype_id t = (feast_dtype_id)lf->type.id;
  feast_avro_kind wk = w->kind;
  feast_avro_op op;
  uint32_t arg = 0;
  feast_code rc;
  switch (r->kind) {
  case FEAST_AVRO_BOOLEAN: op = FEAST_AOP_BOOL; break;
  case FEAST_AVRO_INT:
  case FEAST_AVRO_LONG:
    if (t == FEAST_DT_TIMESTAMP) {
      if ((rc = add_scale(c, scale_for(src_unit(w, r), lf->type.unit), &arg))) return rc;
      op = wk == FEAST_AVRO_INT ? FEAST_AOP_INT_TS : FEAST_AOP_LONG_TS;
    } else if (t == FEAST_DT_INT64) {
      op = wk == FEAST_AVRO_INT ? FEAST_AOP_INT_I64 : FEAST_AOP_LONG_I64;
    } else {
      op = FEAST_AOP_INT_I32; /* int32, date32: only an int reads as an int */
    }
    break;
  case FEAST_AVRO_FLOAT:
    if (t == FEAST_DT_FLOAT)
      op = wk == FEAST_AVRO_INT ? FEAST_AOP_INT_F32 : wk == FEAST_AVRO_LONG ? FEAST_AOP_LONG_F32 : FEAST_AOP_FLOAT_F32;
    else
      op = wk == FEAST_AVRO_INT    ? FEAST_AOP_INT_F64_VIA_F32
           : wk == FEAST_AVRO_LONG ? FEAST_AOP_LONG_F64_VIA_F32
                                   : FEAST_AOP_FLOAT_F64;
    break;
  case FEAST_AVRO_DOUBLE:
    op = wk == FEAST_AVRO_INT    ? FEAST_AOP_INT_F64
         : wk == FEAST_AVRO_LONG ? FEAST_AOP_LONG_F64
         : wk == FEAST_AVRO_FLOAT ? FEAST_AOP_FLOAT_F64
                                  : FEAST_AOP_DOUBLE_F64;
    break;
  case FEAST_AVRO_STRING: op = FEAST_AOP_STRING; break;
  case FEAST_AVRO_BYTES: op = FEAST_AOP_BYTES; break;
  case FEAST_AVRO_FIXED:
    op = t == FEAST_DT_FIXED_BINARY ? FEAST_AOP_FIXED_FB : FEAST_AOP_FIXED_VAR;
    arg = (uint32_t)w->size;
    break;
  case FEAST_AVRO_ENUM: {
    feast_avro_enum_map *m = vec_push(&c->enums);
    if (!m) return oom(c);
    size_t id = c->enums.n - 1;
    int32_t *to = feast_arena_alloc(c->arena, (w->n + 1) * sizeof *to);
    uint32_t *lens = feast_arena_alloc(c->arena, (r->n + 1) * sizeof *lens);
    if (!to || !lens) return oom(c);
    for (size_t i = 0; i < w->n; i++) {
      to[i] = r->enum_default;
      for (size_t k = 0; k < r->n; k++)
        if (strcmp(w->symbols[i], r->symbols[k]) == 0) to[i] = (int32_t)k;
    }
    for (size_t k = 0; k < r->n; k++) lens[k] = (uint32_t)strlen(r->symbols[k]);
    m = (feast_avro_enum_map *)c->enums.data + id;
    m->n_writer = (uint32_t)w->n;
    m->to_reader = to;
    m->symbols = r->symbols;
    m->lens = lens;
    m->writer_symbols = w->symbols;
    op = FEAST_AOP_ENUM;
    arg = (uint32_t)id;
    break;
  }
  case FEAST_AVRO_ARRAY: {
    size_t at;
    size_t base = push_path(c, "[]", false);
    if ((rc = compile_array_shell(c, w, lf->slot, &at))) return rc;
    label(c);
    leaf item = {lf->child_slot, lf->child, feast_dtype_make(FEAST_DT_NULL), FEAST_AVRO_NO_SLOT};
    if (!(rc = compile_value(c, w->items, r->items, NULL, &item))) rc = close_array(c, at);
    pop_path(c, base);
    return rc;
  }
  default: return feast_fail(c->err, FEAST_E_INTERNAL, "field %s: no store for %s", c->path, feast_avro_kind_name(r->kind));
  }
  return emit(c, op, lf->slot, arg, 0, NULL);
}

/* w is not a union. */
static feast_code compile_branch(cc *c, const feast_avro_node *w, const feast_avro_node *r, const want *wt, const leaf *lf) {
  const feast_avro_node *rb = feast_avro_reader_branch(w, r);
  if (!rb) {
    char a[160], b[160];
    return fail_op(c, "the datum's union branch %s cannot be read as reader %s", feast_avro_describe(w, a, sizeof a),
                   feast_avro_describe(r, b, sizeof b));
  }
  if (w->kind == FEAST_AVRO_NULL) return emit_nulls(c, wt, lf);
  if (wt) return compile_fields(c, w, rb, wt);
  return emit_store(c, w, rb, lf);
}

static feast_code compile_value(cc *c, const feast_avro_node *w, const feast_avro_node *r, const want *wt, const leaf *lf) {
  if (w->kind != FEAST_AVRO_UNION) return compile_branch(c, w, r, wt, lf);
  size_t at, base_j = c->jumps.n;
  feast_code rc = emit(c, FEAST_AOP_UNION, FEAST_AVRO_NO_SLOT, (uint32_t)base_j, (uint32_t)w->n, &at);
  if (rc) return rc;
  for (size_t i = 0; i < w->n; i++)
    if (!vec_push(&c->jumps)) return oom(c);
  size_t *ends = feast_calloc(w->n, sizeof *ends);
  if (!ends) return oom(c);
  for (size_t i = 0; i < w->n && !rc; i++) {
    label(c);
    ((uint32_t *)c->jumps.data)[base_j + i] = (uint32_t)c->code.n;
    if (!(rc = compile_branch(c, w->branches[i], r, wt, lf))) rc = emit(c, FEAST_AOP_JUMP, FEAST_AVRO_NO_SLOT, 0, 0, &ends[i]);
  }
  for (size_t i = 0; i < w->n && !rc; i++) ins_at(c, ends[i])->arg = (uint32_t)c->code.n;
  label(c);
  feast_free(ends);
  return rc;
}

/* ---- the plan ---- */

static void *to_arena(cc *c, vec *v) {
  size_t bytes = (v->n ? v->n : 1) * v->elem;
  void *p = feast_arena_alloc(c->arena, bytes);
  if (p && v->n) memcpy(p, v->data, v->n * v->elem);
  feast_free(v->data);
  v->data = NULL;
  return p;
}

feast_code feast_avro_plan_compile(const feast_avro_node *writer, const feast_avro_node *reader,
                                   const feast_avro_column *cols, size_t n_cols, feast_avro_plan **out,
                                   feast_error *err) {
  *out = NULL;
  if (reader->kind != FEAST_AVRO_RECORD) {
    char d[160];
    return feast_fail(err, FEAST_E_SCHEMA, "the reader schema must be a record, found %s",
                      feast_avro_describe(reader, d, sizeof d));
  }
  if (n_cols >= FEAST_AVRO_NO_SLOT / 2) return feast_fail(err, FEAST_E_TOO_BIG, "too many columns");
  feast_code rc = feast_avro_resolve_check(writer, reader, err);
  if (rc) return rc;
  cc c;
  memset(&c, 0, sizeof c);
  c.err = err;
  c.cols = cols;
  c.path_id = UINT32_MAX;
  c.last_skip = SIZE_MAX;
  c.code.elem = sizeof(feast_avro_ins);
  c.jumps.elem = sizeof(uint32_t);
  c.scales.elem = sizeof(feast_avro_scale);
  c.enums.elem = sizeof(feast_avro_enum_map);
  c.consts.elem = sizeof(feast_avro_const);
  c.strings.elem = sizeof(const char *);
  feast_avro_plan *p = feast_calloc(1, sizeof *p);
  c.arena = feast_arena_new(0);
  c.child_slot = feast_calloc(n_cols + 1, sizeof *c.child_slot);
  want root;
  memset(&root, 0, sizeof root);
  root.col = -1;
  if (!p || !c.arena || !c.child_slot) rc = oom(&c);
  /* slots: the columns, then each list column's elements */
  size_t n_slots = n_cols;
  int32_t *parent = rc ? NULL : feast_arena_alloc(c.arena, (2 * n_cols + 1) * sizeof *parent);
  if (!rc && !parent) rc = oom(&c);
  for (size_t i = 0; i < n_cols && !rc; i++) {
    parent[i] = -1;
    c.child_slot[i] = FEAST_AVRO_NO_SLOT;
    if (cols[i].type.id == FEAST_DT_LIST) {
      c.child_slot[i] = (uint32_t)n_slots;
      parent[n_slots++] = (int32_t)i;
    }
  }
  for (size_t i = 0; i < n_cols && !rc; i++) rc = add_column(&c, &root, reader, (int)i);
  if (!rc) rc = compile_value(&c, writer, reader, &root, NULL);
  if (!rc) rc = emit(&c, FEAST_AOP_END, FEAST_AVRO_NO_SLOT, 0, 0, NULL);
  if (!rc) {
    p->arena = c.arena;
    p->n_code = c.code.n;
    p->code = to_arena(&c, &c.code);
    p->jumps = to_arena(&c, &c.jumps);
    p->scales = to_arena(&c, &c.scales);
    p->enums = to_arena(&c, &c.enums);
    p->consts = to_arena(&c, &c.consts);
    p->strings = to_arena(&c, &c.strings);
    p->n_columns = n_cols;
    p->columns = feast_arena_calloc(c.arena, (n_cols + 1) * sizeof *p->columns);
    p->n_slots = n_slots;
    p->slot_parent = parent;
    if (!p->code || !p->jumps || !p->scales || !p->enums || !p->consts || !p->strings || !p->columns) rc = oom(&c);
    for (size_t i = 0; i < n_cols && !rc; i++) {
      p->columns[i] = cols[i];
      if (!(p->columns[i].path = feast_arena_strdup(c.arena, cols[i].path))) rc = oom(&c);
    }
  }
  want_free(&root);
  feast_free(c.child_slot);
  feast_free(c.code.data);
  feast_free(c.jumps.data);
  feast_free(c.scales.data);
  feast_free(c.enums.data);
  feast_free(c.consts.data);
  feast_free(c.strings.data);
  if (rc) {
    feast_arena_free(c.arena);
    feast_free(p);
    return rc;
  }
  *out = p;
  return FEAST_OK;
}

void feast_avro_plan_free(feast_avro_plan *p) {
  if (!p) return;
  feast_arena_free(p->arena);
  feast_free(p);
}

size_t feast_avro_plan_size(const feast_avro_plan *p) { return p->n_code; }
