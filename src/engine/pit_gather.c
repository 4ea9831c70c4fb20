/*
 * pit_gather.c - building output feature columns from the winning rows.
 *
 * Only winners are copied, at the very end, so the join itself never moves
 * feature values. The fast path copies fixed-width values of the same type
 * straight into a reserved buffer; everything else (strings, lists, safe
 * widenings int32 -> int64, float -> double, timestamp units) goes row by
 * row through pit_append_converted.
 */

#include "base/alloc.h"
#include "engine/pit.h"

feast_code pit_append_converted(feast_array *dst, const feast_array *src, int64_t i, feast_error *err) {
  if (!feast_array_is_valid(src, i)) return feast_array_append_null(dst, err);
  int w = feast_dtype_byte_width(dst->type);
  if ((w == 4 || w == 8) && dst->length < dst->capacity && dst->type.id != FEAST_DT_FIXED_BINARY &&
      feast_dtype_equal(dst->type, src->type)) { /* the common case, one row at a time */
    feast_array_push_fixed(dst, src, i, w);
    return FEAST_OK;
  }
  if (feast_dtype_equal(dst->type, src->type) &&
      (dst->type.id != FEAST_DT_LIST || feast_dtype_equal(dst->child->type, src->child->type)))
    return feast_array_append_range(dst, src, i, 1, err);
  switch ((feast_dtype_id)dst->type.id) {
  case FEAST_DT_INT64:
  case FEAST_DT_INT32: return feast_array_append_int(dst, feast_array_get_int(src, i), err);
  case FEAST_DT_DOUBLE:
  case FEAST_DT_FLOAT: return feast_array_append_double(dst, feast_array_get_double(src, i), err);
  case FEAST_DT_TIMESTAMP: {
    int64_t us = feast_array_get_ts_us(src, i);
    int64_t v = us;
    switch (dst->type.unit) {
    case FEAST_UNIT_S: v = us / 1000000; break;
    case FEAST_UNIT_MS: v = us / 1000; break;
    case FEAST_UNIT_NS: v = us * 1000; break;
    default: break;
    }
    return feast_array_append_int(dst, v, err);
  }
  case FEAST_DT_LIST: {
    if (src->type.id != FEAST_DT_LIST) break;
    for (int32_t j = src->offsets[i]; j < src->offsets[i + 1]; j++) {
      feast_code rc = pit_append_converted(dst->child, src->child, j, err);
      if (rc) return rc;
    }
    return feast_array_append_list_end(dst, err);
  }
  default: break;
  }
  char a[64], b[64];
  return feast_fail(err, FEAST_E_SCHEMA, "cannot convert %s to %s", feast_dtype_name(src->type, a, sizeof a),
                    feast_dtype_name(dst->type, b, sizeof b));
}

/* Row r is an independent random read into the source batches (entity
 * order is not source order), so the per-batch column is resolved once up
 * front and same-typed fixed-width values are copied with typed loads. */
feast_code pit_gather(feast_array *dst, const pit_batches *feat, const char *col, const int64_t *win, int64_t n,
                      feast_error *err) {
  feast_code rc = feast_array_reserve(dst, n, 0, err);
  if (rc) return rc;
  int w = feast_dtype_byte_width(dst->type);
  const feast_array **cols = feast_malloc((size_t)(feat->n + 1) * sizeof *cols);
  bool *fast = feast_malloc((size_t)(feat->n + 1) * sizeof *fast);
  if (!cols || !fast) {
    feast_free(cols);
    feast_free(fast);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory gathering column '%s'", col);
  }
  for (int64_t bi = 0; bi < feat->n; bi++) {
    const feast_batch *b = feat->b[bi];
    int c = feast_batch_find(b, col);
    if (c < 0) {
      feast_free(cols);
      feast_free(fast);
      return feast_fail(err, FEAST_E_SCHEMA, "column '%s' is missing from a source batch", col);
    }
    cols[bi] = b->columns[c];
    fast[bi] = w > 0 && dst->type.id != FEAST_DT_FIXED_BINARY && dst->type.id != FEAST_DT_BOOL &&
               feast_dtype_equal(dst->type, cols[bi]->type);
  }
  enum { AHEAD = 16 }; /* reads in flight: each is a cache miss */
  for (int64_t r = 0; r < n; r++) {
    if (r + AHEAD < n && win[r + AHEAD] >= 0) {
      const feast_array *a = cols[PIT_REF_BATCH(win[r + AHEAD])];
      int64_t j = PIT_REF_ROW(win[r + AHEAD]);
      if (w > 0) __builtin_prefetch((const char *)a->values + j * w);
      if (a->validity) __builtin_prefetch(a->validity + j / 8);
    }
    int64_t ref = win[r];
    if (ref < 0) {
      if ((rc = feast_array_append_null(dst, err))) break;
      continue;
    }
    int64_t bi = PIT_REF_BATCH(ref), i = PIT_REF_ROW(ref);
    const feast_array *src = cols[bi];
    if (fast[bi] && feast_array_is_valid(src, i)) {
      feast_array_push_fixed(dst, src, i, w); /* reserve was done above for all n rows */
    } else if ((rc = pit_append_converted(dst, src, i, err))) {
      break;
    }
  }
  feast_free(cols);
  feast_free(fast);
  return rc;
}
