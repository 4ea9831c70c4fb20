/*
 * schema.c - turns the footer's flattened schema tree into top-level
 * columns: the feast_dtype of each (from physical, converted and logical
 * types), its leaf chunk index, its definition/repetition levels, and the
 * list shape (3-level, legacy 2-level, bare repeated). Structs, maps and
 * nested lists are marked unsupported with a reason instead of failing the
 * open, so the other columns stay readable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "format/parquet/parquet_format.h"
#include "format/parquet/reader.h"

typedef struct walker {
  const pq_meta *m;
  int pos;   /* next schema element */
  int leaf;  /* next leaf index */
  int depth;
  int bad;
} walker;

/* Skips the subtree at w->pos, counting its leaves. */
static int skip_subtree(walker *w) {
  if (w->pos >= w->m->nschema || ++w->depth > 64) {
    w->bad = 1;
    return 0;
  }
  const pq_schema_elem *e = &w->m->schema[w->pos++];
  int leaves = 0;
  if (e->num_children <= 0) {
    leaves = 1;
    w->leaf++;
  } else {
    for (int i = 0; i < e->num_children && !w->bad; i++) leaves += skip_subtree(w);
  }
  w->depth--;
  return leaves;
}

static void unsupported(pq_column *c, const char *fmt, const char *detail) {
  c->unsupported = 1;
  snprintf(c->why, sizeof c->why, fmt, c->name, detail);
}

/* The dtype and conversion for a leaf; 0 when unsupported (c->why set). */
static int leaf_type(const pq_schema_elem *e, pq_column *c, feast_dtype *t) {
  int phys = e->type, lt = e->logical, ct = e->converted;
  c->phys = phys;
  c->type_length = e->type_length;
  c->conv = PQ_CV_DIRECT;
  *t = feast_dtype_make(FEAST_DT_NULL);
  if (phys == PQ_FIXED_LEN_BYTE_ARRAY && (e->type_length <= 0 || e->type_length > (1 << 20))) {
    unsupported(c, "column %s: %s", "FIXED_LEN_BYTE_ARRAY without a valid length");
    return 0;
  }
  /* decimals first: they span several physical types */
  if (lt == PQ_LT_DECIMAL || (lt <= 0 && ct == PQ_CT_DECIMAL)) {
    int prec = lt == PQ_LT_DECIMAL ? e->lt_precision : e->precision;
    int scale = lt == PQ_LT_DECIMAL ? e->lt_scale : e->scale;
    feast_dtype d = {FEAST_DT_DECIMAL128, 0, 0, prec, scale};
    *t = d;
    switch (phys) {
    case PQ_INT32: c->conv = PQ_CV_DEC_I32; return 1;
    case PQ_INT64: c->conv = PQ_CV_DEC_I64; return 1;
    case PQ_FIXED_LEN_BYTE_ARRAY:
      if (e->type_length > 16) break;
      c->conv = PQ_CV_DEC_BE;
      return 1;
    case PQ_BYTE_ARRAY: c->conv = PQ_CV_DEC_BE; return 1;
    default: break;
    }
    unsupported(c, "column %s: %s", "DECIMAL on this physical type or wider than 128 bits");
    return 0;
  }
  switch (phys) {
  case PQ_BOOLEAN:
    *t = feast_dtype_make(FEAST_DT_BOOL);
    c->conv = PQ_CV_BOOL;
    return 1;
  case PQ_INT32: {
    int bits = 32, sign = 1;
    if (lt == PQ_LT_INTEGER) bits = e->lt_bit_width, sign = e->lt_signed;
    else if (lt == PQ_LT_DATE || (lt <= 0 && ct == PQ_CT_DATE)) {
      *t = feast_dtype_make(FEAST_DT_DATE32);
      return 1;
    } else if ((lt == PQ_LT_TIME && e->lt_unit == 0) || (lt <= 0 && ct == PQ_CT_TIME_MILLIS)) {
      feast_dtype d = {FEAST_DT_TIME32, FEAST_UNIT_MS, 0, 0, 0};
      *t = d;
      return 1;
    } else if (lt <= 0) {
      switch (ct) {
      case PQ_CT_INT_8: bits = 8; break;
      case PQ_CT_INT_16: bits = 16; break;
      case PQ_CT_UINT_8: bits = 8, sign = 0; break;
      case PQ_CT_UINT_16: bits = 16, sign = 0; break;
      case PQ_CT_UINT_32: sign = 0; break;
      default: break;
      }
    }
    static const int ids[2][3] = {{FEAST_DT_UINT8, FEAST_DT_UINT16, FEAST_DT_UINT32},
                                  {FEAST_DT_INT8, FEAST_DT_INT16, FEAST_DT_INT32}};
    int k = bits == 8 ? 0 : bits == 16 ? 1 : 2;
    *t = feast_dtype_make((feast_dtype_id)ids[sign ? 1 : 0][k]);
    c->conv = k == 0 ? PQ_CV_I32_TO_I8 : k == 1 ? PQ_CV_I32_TO_I16 : PQ_CV_DIRECT;
    return 1;
  }
  case PQ_INT64:
    if (lt == PQ_LT_TIMESTAMP) {
      *t = feast_dtype_timestamp(e->lt_unit == 0 ? FEAST_UNIT_MS : e->lt_unit == 1 ? FEAST_UNIT_US : FEAST_UNIT_NS,
                                 e->lt_utc);
    } else if (lt <= 0 && (ct == PQ_CT_TIMESTAMP_MILLIS || ct == PQ_CT_TIMESTAMP_MICROS)) {
      *t = feast_dtype_timestamp(ct == PQ_CT_TIMESTAMP_MILLIS ? FEAST_UNIT_MS : FEAST_UNIT_US, 1);
    } else if (lt == PQ_LT_TIME || (lt <= 0 && ct == PQ_CT_TIME_MICROS)) {
      feast_dtype d = {FEAST_DT_TIME64, lt == PQ_LT_TIME && e->lt_unit == 2 ? FEAST_UNIT_NS : FEAST_UNIT_US, 0, 0, 0};
      *t = d;
    } else if ((lt == PQ_LT_INTEGER && !e->lt_signed) || (lt <= 0 && ct == PQ_CT_UINT_64)) {
      *t = feast_dtype_make(FEAST_DT_UINT64);
    } else {
      *t = feast_dtype_make(FEAST_DT_INT64);
    }
    return 1;
  case PQ_INT96:
    *t = feast_dtype_timestamp(FEAST_UNIT_NS, 0);
    c->conv = PQ_CV_INT96;
    return 1;
  case PQ_FLOAT: *t = feast_dtype_make(FEAST_DT_FLOAT); return 1;
  case PQ_DOUBLE: *t = feast_dtype_make(FEAST_DT_DOUBLE); return 1;
  case PQ_BYTE_ARRAY:
    c->conv = PQ_CV_BYTES;
    if (lt == PQ_LT_STRING || lt == PQ_LT_ENUM || lt == PQ_LT_JSON ||
        (lt <= 0 && (ct == PQ_CT_UTF8 || ct == PQ_CT_ENUM || ct == PQ_CT_JSON)))
      *t = feast_dtype_make(FEAST_DT_STRING);
    else
      *t = feast_dtype_make(FEAST_DT_BINARY);
    return 1;
  case PQ_FIXED_LEN_BYTE_ARRAY:
    if (lt == PQ_LT_FLOAT16 && e->type_length == 2) {
      *t = feast_dtype_make(FEAST_DT_FLOAT16);
      return 1;
    }
    *t = feast_dtype_make(FEAST_DT_FIXED_BINARY);
    t->width = e->type_length;
    return 1;
  default: break;
  }
  unsupported(c, "column %s: %s", "unknown physical type");
  return 0;
}

static int is_list_group(const pq_schema_elem *e) { return e->logical == PQ_LT_LIST || e->converted == PQ_CT_LIST; }

/* Builds one top-level column at w->pos. */
static void build_column(walker *w, pq_column *c) {
  const pq_meta *m = w->m;
  int start = w->pos;
  const pq_schema_elem *e = &m->schema[start];
  c->name = e->name;
  c->leaf = w->leaf;
  c->nleaves = skip_subtree(w);
  if (w->bad) return;
  feast_dtype t;
  if (e->num_children <= 0) {
    if (!leaf_type(e, c, &t)) return;
    if (e->repetition == PQ_REPEATED) { /* bare repeated primitive: a required list of required values */
      c->is_list = 1;
      c->max_rep = 1;
      c->max_def = 1;
      c->list_def = 0;
      c->elem = t;
      c->type = feast_dtype_make(FEAST_DT_LIST);
      return;
    }
    c->max_def = e->repetition == PQ_OPTIONAL;
    c->type = c->elem = t;
    return;
  }
  if (e->logical == PQ_LT_MAP || e->converted == PQ_CT_MAP || e->converted == PQ_CT_MAP_KEY_VALUE) {
    unsupported(c, "column %s: %s", "MAP columns are not supported");
    return;
  }
  if (!is_list_group(e) || e->num_children != 1) {
    unsupported(c, "column %s: %s", "struct (group) columns are not supported");
    return;
  }
  if (e->repetition == PQ_REPEATED) {
    unsupported(c, "column %s: %s", "a repeated LIST group is not supported");
    return;
  }
  int d0 = e->repetition == PQ_OPTIONAL;
  const pq_schema_elem *rep = &m->schema[start + 1];
  if (rep->repetition != PQ_REPEATED) {
    unsupported(c, "column %s: %s", "a LIST whose child is not repeated");
    return;
  }
  const pq_schema_elem *leaf;
  int elem_opt = 0;
  if (rep->num_children <= 0) {
    leaf = rep; /* legacy 2-level list */
  } else {
    char tuple[300];
    snprintf(tuple, sizeof tuple, "%s_tuple", e->name);
    if (rep->num_children != 1 || strcmp(rep->name, "array") == 0 || strcmp(rep->name, tuple) == 0) {
      unsupported(c, "column %s: %s", "lists of structs are not supported");
      return;
    }
    leaf = &m->schema[start + 2];
    if (leaf->num_children > 0 || leaf->repetition == PQ_REPEATED) {
      unsupported(c, "column %s: %s", "nested lists are not supported");
      return;
    }
    elem_opt = leaf->repetition == PQ_OPTIONAL;
  }
  if (!leaf_type(leaf, c, &t)) return;
  c->is_list = 1;
  c->max_rep = 1;
  c->list_def = d0;
  c->elem_optional = elem_opt;
  c->max_def = d0 + 1 + elem_opt;
  c->elem = t;
  c->type = feast_dtype_make(FEAST_DT_LIST);
}

static int cmp_name(const void *a, const void *b) {
  return strcmp((*(const pq_column *const *)a)->name, (*(const pq_column *const *)b)->name);
}

/* Columns are found by name: two of one name would silently read the
 * first, so such a file is refused (issue 15). */
static feast_code unique_names(const feast_parquet_file *f, feast_error *err) {
  if (f->ncols < 2) return FEAST_OK;
  const pq_column **v = feast_malloc(sizeof *v * (size_t)f->ncols);
  if (!v) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int i = 0; i < f->ncols; i++) v[i] = &f->cols[i];
  qsort(v, (size_t)f->ncols, sizeof *v, cmp_name);
  feast_code rc = FEAST_OK;
  for (int i = 1; i < f->ncols && !rc; i++)
    if (strcmp(v[i]->name, v[i - 1]->name) == 0) {
      int a = (int)(v[i - 1] - f->cols) + 1, b = (int)(v[i] - f->cols) + 1;
      rc = feast_fail(err, FEAST_E_SCHEMA, "column '%s' appears twice in the schema (columns %d and %d)", v[i]->name,
                      a < b ? a : b, a < b ? b : a);
    }
  feast_free(v);
  return rc;
}

feast_code pq_schema_build(feast_parquet_file *f, feast_error *err) {
  const pq_meta *m = f->meta;
  const pq_schema_elem *root = &m->schema[0];
  if (root->num_children < 0 || root->num_children > m->nschema)
    return feast_fail(err, FEAST_E_CORRUPT, "schema root claims %d children", root->num_children);
  f->ncols = root->num_children;
  f->cols = feast_calloc((size_t)(f->ncols ? f->ncols : 1), sizeof *f->cols);
  if (!f->cols) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  walker w = {m, 1, 0, 0, 0};
  for (int i = 0; i < f->ncols; i++) {
    build_column(&w, &f->cols[i]);
    if (w.bad) return feast_fail(err, FEAST_E_CORRUPT, "schema tree is malformed (children past the end)");
  }
  if (w.pos != m->nschema)
    return feast_fail(err, FEAST_E_CORRUPT, "schema has %d elements but the tree uses %d", m->nschema, w.pos);
  feast_code rc = unique_names(f, err);
  if (rc) return rc;
  f->nleaves = w.leaf;
  for (int i = 0; i < f->ncols; i++) {
    pq_column *c = &f->cols[i];
    if (c->unsupported) continue;
    if (c->phys < 0 || c->phys > PQ_FIXED_LEN_BYTE_ARRAY) unsupported(c, "column %s: %s", "unknown physical type");
  }
  for (int g = 0; g < m->nrow_groups; g++)
    if (m->row_groups[g].ncolumns != f->nleaves)
      return feast_fail(err, FEAST_E_CORRUPT, "row group %d has %d column chunks, the schema has %d leaves", g,
                        m->row_groups[g].ncolumns, f->nleaves);
  return FEAST_OK;
}
