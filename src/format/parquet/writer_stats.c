/*
 * writer_stats.c - min/max/null_count statistics for pages and column
 * chunks, in each type's Parquet sort order: signed for integers, dates,
 * times and timestamps and decimals; unsigned for uint columns and byte
 * strings; IEEE order without NaN for floats (a zero minimum is written
 * as -0.0 and a zero maximum as +0.0, as the spec asks). The deprecated
 * min/max fields are written only for signed-order types, where old
 * readers interpret them correctly.
 */
#include <math.h>
#include <string.h>

#include "format/parquet/parquet_format.h"
#include "format/parquet/writer_internal.h"

#define PQ_MAX_STAT_BYTES 4096

void pq_stats_init(pq_stats *s, pq_stat_kind kind) {
  memset(s, 0, sizeof *s);
  s->kind = kind;
  feast_buf_init(&s->bmin, FEAST_BUF_UNLIMITED);
  feast_buf_init(&s->bmax, FEAST_BUF_UNLIMITED);
}

void pq_stats_free(pq_stats *s) {
  feast_buf_free(&s->bmin);
  feast_buf_free(&s->bmax);
}

void pq_stats_reset(pq_stats *s) {
  s->has_minmax = false;
  s->null_count = 0;
  feast_buf_reset(&s->bmin);
  feast_buf_reset(&s->bmax);
}

void pq_stats_double(pq_stats *s, double v) {
  if (isnan(v)) return;
  if (!s->has_minmax) {
    s->min.d = s->max.d = v;
    s->has_minmax = true;
  } else if (v < s->min.d) {
    s->min.d = v;
  } else if (v > s->max.d) {
    s->max.d = v;
  }
}

static double half_to_double(uint16_t h) {
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (e == 0) return sign * ldexp(m, -24);
  if (e == 31) return m ? NAN : sign * INFINITY;
  return sign * ldexp(1024 + m, e - 25);
}

void pq_stats_half(pq_stats *s, uint16_t bits) {
  double v = half_to_double(bits);
  if (isnan(v)) return;
  if (!s->has_minmax) {
    s->min.d = s->max.d = v;
    s->hmin = s->hmax = bits;
    s->has_minmax = true;
  } else if (v < s->min.d) {
    s->min.d = v;
    s->hmin = bits;
  } else if (v > s->max.d) {
    s->max.d = v;
    s->hmax = bits;
  }
}

/* <0, 0, >0 like memcmp, in the kind's order. */
static int bytes_cmp(pq_stat_kind kind, const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
  if (kind == PQ_ST_DECIMAL && an == bn && an > 0) {
    uint8_t a0 = a[0] ^ 0x80, b0 = b[0] ^ 0x80; /* two's complement sign flips the order */
    if (a0 != b0) return a0 < b0 ? -1 : 1;
    return memcmp(a + 1, b + 1, an - 1);
  }
  size_t n = an < bn ? an : bn;
  int c = n ? memcmp(a, b, n) : 0;
  if (c) return c;
  return an < bn ? -1 : an > bn ? 1 : 0;
}

static feast_code set_buf(feast_buf *b, const uint8_t *p, size_t n, feast_error *err) {
  feast_buf_reset(b);
  return feast_buf_append(b, p, n, err);
}

feast_code pq_stats_bytes(pq_stats *s, const uint8_t *p, size_t n, feast_error *err) {
  feast_code rc;
  if (!s->has_minmax) {
    if ((rc = set_buf(&s->bmin, p, n, err)) || (rc = set_buf(&s->bmax, p, n, err))) return rc;
    s->has_minmax = true;
    return FEAST_OK;
  }
  if (bytes_cmp(s->kind, p, n, s->bmin.data, s->bmin.len) < 0) return set_buf(&s->bmin, p, n, err);
  if (bytes_cmp(s->kind, p, n, s->bmax.data, s->bmax.len) > 0) return set_buf(&s->bmax, p, n, err);
  return FEAST_OK;
}

feast_code pq_stats_merge(pq_stats *into, const pq_stats *from, feast_error *err) {
  into->null_count += from->null_count;
  if (!from->has_minmax) return FEAST_OK;
  feast_code rc;
  switch (into->kind) {
  case PQ_ST_BOOL:
  case PQ_ST_SIGNED:
    pq_stats_int(into, from->min.i);
    pq_stats_int(into, from->max.i);
    break;
  case PQ_ST_UNSIGNED:
    pq_stats_uint(into, from->min.u);
    pq_stats_uint(into, from->max.u);
    break;
  case PQ_ST_FLOAT:
  case PQ_ST_DOUBLE:
    pq_stats_double(into, from->min.d);
    pq_stats_double(into, from->max.d);
    break;
  case PQ_ST_FLOAT16:
    pq_stats_half(into, from->hmin);
    pq_stats_half(into, from->hmax);
    break;
  case PQ_ST_BYTES:
  case PQ_ST_DECIMAL:
    if ((rc = pq_stats_bytes(into, from->bmin.data, from->bmin.len, err))) return rc;
    if ((rc = pq_stats_bytes(into, from->bmax.data, from->bmax.len, err))) return rc;
    break;
  }
  return FEAST_OK;
}

static size_t put_le(uint8_t *out, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(v >> (8 * i));
  return n;
}

/* The plain encoding of the minimum (want_max 0) or maximum. */
static size_t encode_bound(const pq_stats *s, const pq_leaf *l, int want_max, uint8_t *tmp, const uint8_t **p) {
  *p = tmp;
  switch (s->kind) {
  case PQ_ST_BOOL: tmp[0] = (uint8_t)(want_max ? s->max.i : s->min.i); return 1;
  case PQ_ST_SIGNED:
  case PQ_ST_UNSIGNED: {
    uint64_t v = want_max ? s->max.u : s->min.u;
    return put_le(tmp, v, l->phys == PQ_INT32 ? 4 : 8);
  }
  case PQ_ST_FLOAT: {
    float f = (float)(want_max ? s->max.d : s->min.d);
    if (f == 0.0f) f = want_max ? 0.0f : -0.0f;
    memcpy(tmp, &f, 4);
    return 4;
  }
  case PQ_ST_DOUBLE: {
    double d = want_max ? s->max.d : s->min.d;
    if (d == 0.0) d = want_max ? 0.0 : -0.0;
    memcpy(tmp, &d, 8);
    return 8;
  }
  case PQ_ST_FLOAT16: {
    uint16_t h = want_max ? s->hmax : s->hmin;
    if ((h & 0x7fff) == 0) h = want_max ? 0x0000 : 0x8000;
    return put_le(tmp, h, 2);
  }
  case PQ_ST_BYTES:
  case PQ_ST_DECIMAL: {
    const feast_buf *b = want_max ? &s->bmax : &s->bmin;
    *p = b->data;
    return b->len;
  }
  }
  return 0;
}

void pq_stats_write(tw *w, int16_t id, const pq_stats *s, const pq_leaf *l) {
  uint8_t tmin[16], tmax[16];
  const uint8_t *pmin = NULL, *pmax = NULL;
  size_t nmin = 0, nmax = 0;
  bool minmax = s->has_minmax;
  if (minmax) {
    nmin = encode_bound(s, l, 0, tmin, &pmin);
    nmax = encode_bound(s, l, 1, tmax, &pmax);
    if (nmin > PQ_MAX_STAT_BYTES || nmax > PQ_MAX_STAT_BYTES) minmax = false;
  }
  bool legacy = s->kind == PQ_ST_SIGNED || s->kind == PQ_ST_BOOL || s->kind == PQ_ST_FLOAT || s->kind == PQ_ST_DOUBLE;
  tw_field_struct_begin(w, id);
  if (minmax && legacy) {
    tw_field_binary(w, 1, pmax, nmax);
    tw_field_binary(w, 2, pmin, nmin);
  }
  tw_field_i64(w, 3, s->null_count);
  if (minmax) {
    tw_field_binary(w, 5, pmax, nmax);
    tw_field_binary(w, 6, pmin, nmin);
  }
  tw_struct_end(w);
}
