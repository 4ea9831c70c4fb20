/*
 * array.h - column batches in the Apache Arrow layout.
 *
 * A feast_array is one column: a validity bitmap (bit i set = row i is not
 * null; NULL when no row is null), a values buffer for fixed-width types (a
 * bitmap for BOOL), int32 offsets (length + 1 of them) plus a data buffer
 * for STRING/BINARY, and int32 offsets plus a child array for LIST. Every
 * reader produces these, every engine consumes them, every writer takes
 * them, and feast_batch_export hands them to Arrow consumers (pyarrow,
 * DuckDB) through the C Data Interface without copying.
 *
 * Ownership: an array owns its buffers and its child; a batch owns its
 * arrays and names. Buffers come from feast_malloc, so code that fills a
 * buffer directly (a Parquet decoder) may grow it with
 * feast_array_reserve and then set `length`, `null_count` and data_len.
 */
#ifndef FEAST_ARRAY_H
#define FEAST_ARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feast/error.h"
#include "feast/export.h"
#include "feast/types.h"

typedef struct feast_array {
  feast_dtype type;
  int64_t length;
  int64_t null_count;
  uint8_t *validity; /* NULL = every row valid */
  void *values;      /* fixed-width values, or the BOOL bitmap */
  int32_t *offsets;  /* STRING, BINARY, LIST */
  uint8_t *data;     /* STRING, BINARY */
  int64_t data_len;  /* bytes used in data */
  struct feast_array *child; /* LIST elements */
  /* Builder state: rows and data bytes the buffers have room for. */
  int64_t capacity;
  int64_t data_capacity;
} feast_array;

typedef struct feast_batch {
  int64_t num_rows;
  int num_columns;
  char **names;          /* owned */
  feast_array **columns; /* owned */
} feast_batch;

/* ---- arrays ---- */

/* An empty array of `type`. For LIST, `child_type` is the element type
 * (ignored otherwise). Returns NULL on out-of-memory. The caller owns the
 * result: release it with feast_array_free. */
FEAST_API feast_array *feast_array_new(feast_dtype type, feast_dtype child_type);
FEAST_API void feast_array_free(feast_array *a); /* accepts NULL */

/* Room for `rows` more rows and `data_bytes` more bytes in data. */
FEAST_API feast_code feast_array_reserve(feast_array *a, int64_t rows, int64_t data_bytes, feast_error *err);

/* Appenders for building columns row by row. Each checks the type family
 * (an integer appender on a string column is FEAST_E_INTERNAL). */
FEAST_API feast_code feast_array_append_null(feast_array *a, feast_error *err);
FEAST_API feast_code feast_array_append_bool(feast_array *a, bool v, feast_error *err);
FEAST_API feast_code feast_array_append_int(feast_array *a, int64_t v, feast_error *err); /* any int/date/time/timestamp */
FEAST_API feast_code feast_array_append_double(feast_array *a, double v, feast_error *err); /* FLOAT or DOUBLE */
FEAST_API feast_code feast_array_append_bytes(feast_array *a, const void *p, size_t n, feast_error *err); /* STRING, BINARY, FIXED_BINARY */
/* LIST: append the elements to a->child, then close the row with this. */
FEAST_API feast_code feast_array_append_list_end(feast_array *a, feast_error *err);

/* Gather: a new array whose row i is row idx[i] of `a`; idx[i] < 0 gives a
 * null row. The caller owns *out: release it with feast_array_free. */
FEAST_API feast_code feast_array_take(const feast_array *a, const int64_t *idx, int64_t n, feast_array **out,
                                      feast_error *err);

/* Append rows [offset, offset + n) of src to dst (same type). */
FEAST_API feast_code feast_array_append_range(feast_array *dst, const feast_array *src, int64_t offset, int64_t n,
                                              feast_error *err);

static inline bool feast_bit_get(const uint8_t *bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }
static inline void feast_bit_set(uint8_t *bits, int64_t i, bool v) {
  if (v)
    bits[i >> 3] |= (uint8_t)(1u << (i & 7));
  else
    bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
}
static inline bool feast_array_is_valid(const feast_array *a, int64_t i) {
  return !a->validity || feast_bit_get(a->validity, i);
}

/* Append src's valid row i to dst, both of the same fixed-width type of w
 * bytes (not BOOL, which is bit-packed), into room already reserved: the
 * per-row fast path of gathers, with no call and no size check. The
 * validity bitmap exists only once a null was appended. */
static inline void feast_array_push_fixed(feast_array *dst, const feast_array *src, int64_t i, int w) {
  char *to = (char *)dst->values + dst->length * w;
  const char *from = (const char *)src->values + i * w;
  switch (w) {
  case 8: *(int64_t *)(void *)to = *(const int64_t *)(const void *)from; break;
  case 4: *(int32_t *)(void *)to = *(const int32_t *)(const void *)from; break;
  default:
    for (int k = 0; k < w; k++) to[k] = from[k];
  }
  if (dst->validity) feast_bit_set(dst->validity, dst->length, true);
  dst->length++;
}

/* Read row i of an integer-family column (any width, signed or not, dates,
 * times, timestamps) as int64. */
FEAST_API int64_t feast_array_get_int(const feast_array *a, int64_t i);
/* Read row i of FLOAT, DOUBLE or FLOAT16 as double. */
FEAST_API double feast_array_get_double(const feast_array *a, int64_t i);
/* STRING/BINARY/FIXED_BINARY row i: a pointer into the array. Borrowed:
 * valid until the array is freed. */
FEAST_API const uint8_t *feast_array_get_bytes(const feast_array *a, int64_t i, size_t *len);
/* A timestamp column's row i in microseconds (feast_ts), whatever its unit;
 * DATE32 counts as midnight UTC. */
FEAST_API int64_t feast_array_get_ts_us(const feast_array *a, int64_t i);

/* ---- batches ---- */

/* An empty batch with room for `num_columns` columns, all NULL. */
FEAST_API feast_batch *feast_batch_new(int num_columns);
FEAST_API void feast_batch_free(feast_batch *b); /* accepts NULL */
/* Put column i. Takes ownership of `col` (even on failure); copies `name`. */
FEAST_API feast_code feast_batch_set_column(feast_batch *b, int i, const char *name, feast_array *col,
                                            feast_error *err);
/* Index of the column called `name`, or -1. */
FEAST_API int feast_batch_find(const feast_batch *b, const char *name);

#endif
