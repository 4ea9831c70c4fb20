/*
 * array.c - building, reading and gathering Arrow-layout columns.
 * Growth doubles capacities; a bitmap is allocated lazily on the first null.
 */
#include "feast/array.h"

#include <string.h>

#include "base/alloc.h"
#include "model/array_internal.h"

static bool is_var(feast_dtype t) { return t.id == FEAST_DT_STRING || t.id == FEAST_DT_BINARY; }
static size_t bitmap_bytes(int64_t rows) { return (size_t)((rows + 7) / 8); }

feast_array *feast_array_new(feast_dtype type, feast_dtype child_type) {
  feast_array *a = feast_calloc(1, sizeof *a);
  if (!a) return NULL;
  a->type = type;
  if (type.id == FEAST_DT_LIST) {
    a->child = feast_array_new(child_type, feast_dtype_make(FEAST_DT_NULL));
    if (!a->child) {
      feast_free(a);
      return NULL;
    }
  }
  return a;
}

void feast_array_free(feast_array *a) {
  if (!a) return;
  feast_free(a->validity);
  feast_free(a->values);
  feast_free(a->offsets);
  feast_free(a->data);
  feast_array_free(a->child);
  feast_free(a);
}

/* zero = 0 leaves new capacity uninitialized (for decoders that overwrite it). */
static feast_code grow(void **buf, size_t new_bytes, size_t old_bytes, int zero, feast_error *err) {
  void *p = feast_realloc(*buf, new_bytes);
  if (!p) return feast_fail(err, FEAST_E_NOMEM, "out of memory growing a column to %zu bytes", new_bytes);
  if (zero && new_bytes > old_bytes) memset((char *)p + old_bytes, 0, new_bytes - old_bytes);
  *buf = p;
  return FEAST_OK;
}

static feast_code reserve(feast_array *a, int64_t rows, int64_t data_bytes, int zero, feast_error *err) {
  if (rows < 0 || data_bytes < 0 || a->length > INT32_MAX - rows)
    return feast_fail(err, FEAST_E_TOO_BIG, "a column batch cannot hold more than %d rows", INT32_MAX);
  int64_t need = a->length + rows;
  if (need > a->capacity || a->capacity == 0) {
    int64_t cap = a->capacity ? a->capacity : 64;
    while (cap < need) cap *= 2;
    feast_code rc;
    if (a->validity && (rc = grow((void **)&a->validity, bitmap_bytes(cap), bitmap_bytes(a->capacity), 1, err)))
      return rc;
    int w = feast_dtype_byte_width(a->type);
    if (a->type.id == FEAST_DT_BOOL) {
      if ((rc = grow(&a->values, bitmap_bytes(cap), bitmap_bytes(a->capacity), 1, err))) return rc;
    } else if (w > 0) {
      if ((rc = grow(&a->values, (size_t)cap * (size_t)w, (size_t)a->capacity * (size_t)w, zero, err))) return rc;
    }
    if (is_var(a->type) || a->type.id == FEAST_DT_LIST) {
      size_t old = a->offsets ? (size_t)(a->capacity + 1) * 4 : 0;
      if ((rc = grow((void **)&a->offsets, (size_t)(cap + 1) * 4, old, zero, err))) return rc;
    }
    a->capacity = cap;
  }
  if (is_var(a->type) && (a->data_len + data_bytes > a->data_capacity || !a->data)) {
    if (a->data_len + data_bytes > INT32_MAX)
      return feast_fail(err, FEAST_E_TOO_BIG, "a string column batch cannot hold more than 2 GiB");
    int64_t cap = a->data_capacity ? a->data_capacity : 256;
    while (cap < a->data_len + data_bytes) cap *= 2;
    feast_code rc = grow((void **)&a->data, (size_t)cap, (size_t)a->data_capacity, zero, err);
    if (rc) return rc;
    a->data_capacity = cap;
  }
  return FEAST_OK;
}

feast_code feast_array_reserve(feast_array *a, int64_t rows, int64_t data_bytes, feast_error *err) {
  return reserve(a, rows, data_bytes, 1, err);
}

feast_code feast_array_reserve_uninit(feast_array *a, int64_t rows, int64_t data_bytes, feast_error *err) {
  return reserve(a, rows, data_bytes, 0, err);
}

/* Marks row `a->length` valid or not, creating the bitmap on the first null. */
static feast_code set_validity(feast_array *a, bool valid, feast_error *err) {
  if (!valid && !a->validity) {
    a->validity = feast_malloc(bitmap_bytes(a->capacity));
    if (!a->validity) return feast_fail(err, FEAST_E_NOMEM, "out of memory allocating a validity bitmap");
    memset(a->validity, 0xff, bitmap_bytes(a->capacity));
  }
  if (a->validity) feast_bit_set(a->validity, a->length, valid);
  if (!valid) a->null_count++;
  return FEAST_OK;
}

static void close_offsets(feast_array *a) {
  if (a->offsets) {
    int32_t end = a->type.id == FEAST_DT_LIST ? (int32_t)a->child->length : (int32_t)a->data_len;
    a->offsets[a->length + 1] = end;
  }
}

feast_code feast_array_append_null(feast_array *a, feast_error *err) {
  feast_code rc = feast_array_reserve(a, 1, 0, err);
  if (rc || (rc = set_validity(a, false, err))) return rc;
  int w = feast_dtype_byte_width(a->type);
  if (w > 0) memset((char *)a->values + a->length * w, 0, (size_t)w);
  close_offsets(a);
  a->length++;
  return FEAST_OK;
}

feast_code feast_array_append_bool(feast_array *a, bool v, feast_error *err) {
  if (a->type.id != FEAST_DT_BOOL) return feast_fail(err, FEAST_E_INTERNAL, "append_bool on a non-bool column");
  feast_code rc = feast_array_reserve(a, 1, 0, err);
  if (rc || (rc = set_validity(a, true, err))) return rc;
  feast_bit_set(a->values, a->length, v);
  a->length++;
  return FEAST_OK;
}

feast_code feast_array_append_int(feast_array *a, int64_t v, feast_error *err) {
  feast_code rc = feast_array_reserve(a, 1, 0, err);
  if (rc || (rc = set_validity(a, true, err))) return rc;
  void *p = (char *)a->values + a->length * feast_dtype_byte_width(a->type);
  switch ((feast_dtype_id)a->type.id) {
  case FEAST_DT_INT8:
  case FEAST_DT_UINT8: *(int8_t *)p = (int8_t)v; break;
  case FEAST_DT_INT16:
  case FEAST_DT_UINT16: *(int16_t *)p = (int16_t)v; break;
  case FEAST_DT_INT32:
  case FEAST_DT_UINT32:
  case FEAST_DT_DATE32:
  case FEAST_DT_TIME32: *(int32_t *)p = (int32_t)v; break;
  case FEAST_DT_INT64:
  case FEAST_DT_UINT64:
  case FEAST_DT_TIME64:
  case FEAST_DT_TIMESTAMP: *(int64_t *)p = v; break;
  default: return feast_fail(err, FEAST_E_INTERNAL, "append_int on a non-integer column");
  }
  a->length++;
  return FEAST_OK;
}

feast_code feast_array_append_double(feast_array *a, double v, feast_error *err) {
  if (a->type.id != FEAST_DT_FLOAT && a->type.id != FEAST_DT_DOUBLE)
    return feast_fail(err, FEAST_E_INTERNAL, "append_double on a non-floating column");
  feast_code rc = feast_array_reserve(a, 1, 0, err);
  if (rc || (rc = set_validity(a, true, err))) return rc;
  if (a->type.id == FEAST_DT_FLOAT)
    ((float *)a->values)[a->length] = (float)v;
  else
    ((double *)a->values)[a->length] = v;
  a->length++;
  return FEAST_OK;
}

feast_code feast_array_append_bytes(feast_array *a, const void *p, size_t n, feast_error *err) {
  if (a->type.id == FEAST_DT_FIXED_BINARY) {
    if ((int64_t)n != a->type.width)
      return feast_fail(err, FEAST_E_INVALID, "value of %zu bytes for a fixed_binary(%d) column", n, a->type.width);
    feast_code rc = feast_array_reserve(a, 1, 0, err);
    if (rc || (rc = set_validity(a, true, err))) return rc;
    if (n) memcpy((char *)a->values + a->length * a->type.width, p, n);
    a->length++;
    return FEAST_OK;
  }
  if (!is_var(a->type)) return feast_fail(err, FEAST_E_INTERNAL, "append_bytes on a non-binary column");
  feast_code rc = feast_array_reserve(a, 1, (int64_t)n, err);
  if (rc || (rc = set_validity(a, true, err))) return rc;
  if (n) memcpy(a->data + a->data_len, p, n);
  a->data_len += (int64_t)n;
  close_offsets(a);
  a->length++;
  return FEAST_OK;
}

feast_code feast_array_append_list_end(feast_array *a, feast_error *err) {
  if (a->type.id != FEAST_DT_LIST) return feast_fail(err, FEAST_E_INTERNAL, "append_list_end on a non-list column");
  feast_code rc = feast_array_reserve(a, 1, 0, err);
  if (rc || (rc = set_validity(a, true, err))) return rc;
  close_offsets(a);
  a->length++;
  return FEAST_OK;
}

int64_t feast_array_get_int(const feast_array *a, int64_t i) {
  const void *v = a->values;
  switch ((feast_dtype_id)a->type.id) {
  case FEAST_DT_INT8: return ((const int8_t *)v)[i];
  case FEAST_DT_UINT8: return ((const uint8_t *)v)[i];
  case FEAST_DT_INT16: return ((const int16_t *)v)[i];
  case FEAST_DT_UINT16: return ((const uint16_t *)v)[i];
  case FEAST_DT_INT32:
  case FEAST_DT_DATE32:
  case FEAST_DT_TIME32: return ((const int32_t *)v)[i];
  case FEAST_DT_UINT32: return ((const uint32_t *)v)[i];
  case FEAST_DT_INT64:
  case FEAST_DT_UINT64:
  case FEAST_DT_TIME64:
  case FEAST_DT_TIMESTAMP: return ((const int64_t *)v)[i];
  case FEAST_DT_BOOL: return feast_bit_get(v, i);
  default: return 0;
  }
}

double feast_array_get_double(const feast_array *a, int64_t i) {
  if (a->type.id == FEAST_DT_FLOAT) return ((const float *)a->values)[i];
  if (a->type.id == FEAST_DT_DOUBLE) return ((const double *)a->values)[i];
  if (a->type.id == FEAST_DT_FLOAT16) {
    uint16_t h = ((const uint16_t *)a->values)[i];
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double s = (h & 0x8000) ? -1.0 : 1.0;
    if (e == 0) return s * m * (1.0 / 16777216.0); /* 2^-24 */
    if (e == 31) return m ? (0.0 / 0.0) : s * (1.0 / 0.0);
    double f = 1.0 + m / 1024.0;
    return e >= 15 ? s * f * (double)(1 << (e - 15)) : s * f / (double)(1 << (15 - e));
  }
  return (double)feast_array_get_int(a, i);
}

const uint8_t *feast_array_get_bytes(const feast_array *a, int64_t i, size_t *len) {
  if (a->type.id == FEAST_DT_FIXED_BINARY) {
    *len = (size_t)a->type.width;
    return (const uint8_t *)a->values + i * a->type.width;
  }
  *len = (size_t)(a->offsets[i + 1] - a->offsets[i]);
  return a->data + a->offsets[i];
}

int64_t feast_array_get_ts_us(const feast_array *a, int64_t i) {
  int64_t v = feast_array_get_int(a, i);
  if (a->type.id == FEAST_DT_DATE32) return v * 86400 * INT64_C(1000000);
  switch (a->type.unit) {
  case FEAST_UNIT_S: return v * 1000000;
  case FEAST_UNIT_MS: return v * 1000;
  case FEAST_UNIT_NS: return v >= 0 ? v / 1000 : -((-v + 999) / 1000); /* floor */
  default: return v;
  }
}

feast_code feast_array_append_range(feast_array *dst, const feast_array *src, int64_t offset, int64_t n,
                                    feast_error *err) {
  if (!feast_dtype_equal(dst->type, src->type))
    return feast_fail(err, FEAST_E_INTERNAL, "append_range between columns of different types");
  int64_t bytes = 0;
  if (is_var(src->type) && n > 0) bytes = src->offsets[offset + n] - src->offsets[offset];
  feast_code rc = feast_array_reserve(dst, n, bytes, err);
  if (rc) return rc;
  for (int64_t k = 0; k < n; k++) {
    int64_t i = offset + k;
    bool valid = feast_array_is_valid(src, i);
    if (!valid || dst->validity) {
      if ((rc = set_validity(dst, valid, err))) return rc;
    }
    int w = feast_dtype_byte_width(src->type);
    if (src->type.id == FEAST_DT_BOOL) {
      feast_bit_set(dst->values, dst->length, feast_bit_get(src->values, i));
    } else if (w > 0) {
      memcpy((char *)dst->values + dst->length * w, (const char *)src->values + i * w, (size_t)w);
    } else if (is_var(src->type)) {
      int32_t len = src->offsets[i + 1] - src->offsets[i];
      memcpy(dst->data + dst->data_len, src->data + src->offsets[i], (size_t)len);
      dst->data_len += len;
      dst->offsets[dst->length + 1] = (int32_t)dst->data_len;
    } else if (src->type.id == FEAST_DT_LIST) {
      int32_t start = src->offsets[i], len = src->offsets[i + 1] - start;
      if ((rc = feast_array_append_range(dst->child, src->child, start, len, err))) return rc;
      dst->offsets[dst->length + 1] = (int32_t)dst->child->length;
    }
    dst->length++;
  }
  return FEAST_OK;
}

feast_code feast_array_take(const feast_array *a, const int64_t *idx, int64_t n, feast_array **out,
                            feast_error *err) {
  feast_array *r = feast_array_new(a->type, a->child ? a->child->type : feast_dtype_make(FEAST_DT_NULL));
  if (!r) return feast_fail(err, FEAST_E_NOMEM, "out of memory gathering a column");
  feast_code rc = feast_array_reserve(r, n, 0, err);
  int w = feast_dtype_byte_width(a->type);
  /* fixed-width values are copied with typed stores into the reserved room
   * (the spill partitioner takes every row of every source batch) */
  bool fixed = (w == 1 || w == 2 || w == 4 || w == 8) && a->type.id != FEAST_DT_BOOL &&
               a->type.id != FEAST_DT_FIXED_BINARY;
  for (int64_t k = 0; !rc && k < n; k++) {
    int64_t i = idx[k];
    if (i < 0 || !feast_array_is_valid(a, i)) {
      rc = feast_array_append_null(r, err);
    } else if (fixed) {
      feast_array_push_fixed(r, a, i, w);
    } else {
      rc = feast_array_append_range(r, a, i, 1, err);
    }
  }
  if (rc) {
    feast_array_free(r);
    return rc;
  }
  *out = r;
  return FEAST_OK;
}

feast_batch *feast_batch_new(int num_columns) {
  feast_batch *b = feast_calloc(1, sizeof *b);
  if (!b) return NULL;
  b->names = feast_calloc((size_t)num_columns + 1, sizeof(char *));
  b->columns = feast_calloc((size_t)num_columns + 1, sizeof(feast_array *));
  if (!b->names || !b->columns) {
    feast_free(b->names);
    feast_free(b->columns);
    feast_free(b);
    return NULL;
  }
  b->num_columns = num_columns;
  return b;
}

void feast_batch_free(feast_batch *b) {
  if (!b) return;
  for (int i = 0; i < b->num_columns; i++) {
    feast_free(b->names[i]);
    feast_array_free(b->columns[i]);
  }
  feast_free(b->names);
  feast_free(b->columns);
  feast_free(b);
}

feast_code feast_batch_set_column(feast_batch *b, int i, const char *name, feast_array *col, feast_error *err) {
  if (i < 0 || i >= b->num_columns) {
    feast_array_free(col);
    return feast_fail(err, FEAST_E_INTERNAL, "column index %d out of range", i);
  }
  char *copy = feast_strdup(name);
  if (!copy) {
    feast_array_free(col);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory naming a column");
  }
  feast_free(b->names[i]);
  feast_array_free(b->columns[i]);
  b->names[i] = copy;
  b->columns[i] = col;
  return FEAST_OK;
}

int feast_batch_find(const feast_batch *b, const char *name) {
  for (int i = 0; i < b->num_columns; i++)
    if (b->names[i] && strcmp(b->names[i], name) == 0) return i;
  return -1;
}
