/*
 * delta.c - DELTA_BINARY_PACKED and the two byte-array encodings built on
 * it (DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY). A page is decoded whole
 * into scratch buffers the column reader reuses; arithmetic wraps in
 * uint64 as the format specifies, so hostile deltas cannot overflow.
 */
#include <string.h>

#include "base/varint.h"
#include "format/parquet/encodings.h"

#define MAX_MINIBLOCKS 1024
#define MAX_BLOCK 65536

static int64_t zz(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* n values of width w (<= 64) LSB-first from p with `avail` bytes (zero-padded past it). */
static void unpack_any(const uint8_t *p, size_t avail, int w, int64_t n, uint64_t *out) {
  if (w == 0) {
    memset(out, 0, (size_t)n * sizeof *out);
    return;
  }
  if (w <= 32) {
    uint32_t tmp[8];
    for (int64_t i = 0; i < n; i += 8) {
      size_t off = (size_t)(i / 8) * (size_t)w;
      uint8_t pad[48] = {0};
      const uint8_t *src = p + off;
      if (off + (size_t)w + 8 > avail) {
        if (off < avail) memcpy(pad, p + off, avail - off < (size_t)w ? avail - off : (size_t)w);
        src = pad;
      }
      pq_unpack8(src, w, tmp);
      for (int k = 0; k < 8 && i + k < n; k++) out[i + k] = tmp[k];
    }
    return;
  }
  uint64_t bit = 0;
  for (int64_t i = 0; i < n; i++) {
    uint64_t v = 0;
    for (int b = 0; b < w; b++, bit++) {
      uint64_t byte = bit >> 3;
      uint64_t x = byte < avail ? (p[byte] >> (bit & 7)) & 1 : 0;
      v |= x << b;
    }
    out[i] = v;
  }
}

feast_code pq_delta_decode(const uint8_t *p, size_t len, int64_t max_values, feast_buf *scratch, int64_t **out,
                           int64_t *count, size_t *used, feast_error *err) {
  const uint8_t *q = p, *end = p + len;
  int ok = 1;
  uint64_t block = feast_varint_read(&q, end, &ok), nmini = feast_varint_read(&q, end, &ok), total = feast_varint_read(&q, end, &ok);
  int64_t first = zz(feast_varint_read(&q, end, &ok));
  if (!ok) return feast_fail(err, FEAST_E_CORRUPT, "DELTA_BINARY_PACKED header is truncated");
  if (block == 0 || block > MAX_BLOCK || block % 128 || nmini == 0 || nmini > MAX_MINIBLOCKS || block % nmini ||
      (block / nmini) % 32)
    return feast_fail(err, FEAST_E_CORRUPT, "DELTA_BINARY_PACKED header has block size %llu and %llu miniblocks",
                      (unsigned long long)block, (unsigned long long)nmini);
  if ((int64_t)total > max_values || total > (uint64_t)INT32_MAX)
    return feast_fail(err, FEAST_E_CORRUPT, "DELTA_BINARY_PACKED holds %llu values, more than the page's %lld",
                      (unsigned long long)total, (long long)max_values);
  uint64_t per_mini = block / nmini;
  feast_buf_reset(scratch);
  feast_code rc = feast_buf_reserve(scratch, (size_t)(total + per_mini) * 8, err);
  if (rc) return rc;
  uint64_t *vals = (uint64_t *)scratch->data;
  uint64_t last = (uint64_t)first;
  int64_t got = 0;
  if (total > 0) vals[got++] = last;
  uint8_t widths[MAX_MINIBLOCKS];
  while ((uint64_t)got < total) {
    uint64_t mind = (uint64_t)zz(feast_varint_read(&q, end, &ok));
    if (!ok || (uint64_t)(end - q) < nmini)
      return feast_fail(err, FEAST_E_CORRUPT, "DELTA_BINARY_PACKED block header is truncated");
    memcpy(widths, q, nmini);
    q += nmini;
    for (uint64_t m = 0; m < nmini && (uint64_t)got < total; m++) {
      int w = widths[m];
      if (w > 64) return feast_fail(err, FEAST_E_CORRUPT, "DELTA_BINARY_PACKED bit width %d", w);
      size_t bytes = (size_t)(per_mini * (uint64_t)w / 8);
      size_t avail = (size_t)(end - q);
      uint64_t take = total - (uint64_t)got < per_mini ? total - (uint64_t)got : per_mini;
      if (avail < bytes && (take * (uint64_t)w + 7) / 8 > avail)
        return feast_fail(err, FEAST_E_CORRUPT, "DELTA_BINARY_PACKED miniblock is truncated");
      unpack_any(q, avail, w, (int64_t)take, vals + got);
      for (uint64_t i = 0; i < take; i++) {
        last += mind + vals[got + i];
        vals[got + i] = last;
      }
      got += (int64_t)take;
      q += bytes <= avail ? bytes : avail;
    }
  }
  *out = (int64_t *)vals;
  *count = (int64_t)total;
  *used = (size_t)(q - p);
  return FEAST_OK;
}

static feast_code lengths_to_offsets(const int64_t *lens, int64_t n, size_t data_avail, feast_buf *offs,
                                     uint32_t **out, feast_error *err) {
  feast_buf_reset(offs);
  feast_code rc = feast_buf_reserve(offs, (size_t)(n + 1) * 4, err);
  if (rc) return rc;
  uint32_t *o = (uint32_t *)offs->data;
  uint64_t pos = 0;
  o[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    if (lens[i] < 0 || (uint64_t)lens[i] > data_avail - pos)
      return feast_fail(err, FEAST_E_CORRUPT, "byte array length %lld runs past the page", (long long)lens[i]);
    pos += (uint64_t)lens[i];
    o[i + 1] = (uint32_t)pos;
  }
  *out = o;
  return FEAST_OK;
}

feast_code pq_delta_length_decode(const uint8_t *p, size_t len, int64_t max_values, feast_buf *ints,
                                  feast_buf *offs, pq_byte_arrays *out, feast_error *err) {
  int64_t *lens, n;
  size_t used;
  feast_code rc = pq_delta_decode(p, len, max_values, ints, &lens, &n, &used, err);
  if (rc) return rc;
  uint32_t *o = NULL;
  if ((rc = lengths_to_offsets(lens, n, len - used, offs, &o, err))) return rc;
  out->n = n;
  out->offsets = o;
  out->data = p + used;
  return FEAST_OK;
}

feast_code pq_delta_byte_array_decode(const uint8_t *p, size_t len, int64_t max_values, feast_buf *ints,
                                      feast_buf *offs, feast_buf *data, pq_byte_arrays *out, feast_error *err) {
  int64_t *tmp, n, m;
  size_t used, used2;
  feast_code rc = pq_delta_decode(p, len, max_values, ints, &tmp, &n, &used, err);
  if (rc) return rc;
  /* The prefix lengths are copied aside: the suffix decode reuses `ints`. */
  feast_buf_reset(offs);
  if ((rc = feast_buf_reserve(offs, (size_t)(n + 1) * 8, err))) return rc;
  int64_t *prefix = (int64_t *)offs->data;
  memcpy(prefix, tmp, (size_t)n * 8);
  int64_t *suffix;
  if ((rc = pq_delta_decode(p + used, len - used, max_values, ints, &suffix, &m, &used2, err))) return rc;
  if (m != n) return feast_fail(err, FEAST_E_CORRUPT, "DELTA_BYTE_ARRAY has %lld prefixes but %lld suffixes",
                                (long long)n, (long long)m);
  const uint8_t *sd = p + used + used2, *send = p + len;
  feast_buf_reset(data);
  /* Offsets go after the prefixes in a second buffer area: reuse ints tail. */
  feast_buf offsb;
  feast_buf_init(&offsb, (size_t)-1);
  if ((rc = feast_buf_reserve(&offsb, (size_t)(n + 1) * 4, err))) return rc;
  uint32_t *o = (uint32_t *)offsb.data;
  o[0] = 0;
  size_t prev_start = 0, prev_len = 0;
  for (int64_t i = 0; i < n; i++) {
    if (prefix[i] < 0 || (uint64_t)prefix[i] > prev_len || suffix[i] < 0 || suffix[i] > send - sd) {
      feast_buf_free(&offsb);
      return feast_fail(err, FEAST_E_CORRUPT, "DELTA_BYTE_ARRAY value %lld has prefix %lld and suffix %lld",
                        (long long)i, (long long)prefix[i], (long long)suffix[i]);
    }
    size_t start = data->len;
    if ((rc = feast_buf_reserve(data, (size_t)(prefix[i] + suffix[i]), err))) {
      feast_buf_free(&offsb);
      return rc;
    }
    if (prefix[i]) memcpy(data->data + start, data->data + prev_start, (size_t)prefix[i]);
    if (suffix[i]) memcpy(data->data + start + prefix[i], sd, (size_t)suffix[i]);
    sd += suffix[i];
    data->len += (size_t)(prefix[i] + suffix[i]);
    if (data->len > UINT32_MAX) {
      feast_buf_free(&offsb);
      return feast_fail(err, FEAST_E_TOO_BIG, "DELTA_BYTE_ARRAY page expands past 4 GiB");
    }
    prev_start = start;
    prev_len = (size_t)(prefix[i] + suffix[i]);
    o[i + 1] = (uint32_t)data->len;
  }
  /* Hand the offsets over in `offs` (prefixes are no longer needed). */
  feast_buf_free(offs);
  *offs = offsb;
  out->n = n;
  out->offsets = o;
  out->data = data->data;
  return FEAST_OK;
}
