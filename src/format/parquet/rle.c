/*
 * rle.c - the RLE/bit-packed hybrid decoder and bulk bit unpacking.
 * Bit-packed runs are unpacked eight values at a time with one 64-bit load
 * per value (fast path), falling back to a zero-padded copy near the end of
 * the input so nothing is read out of bounds.
 */
#include <string.h>

#include "base/varint.h"
#include "format/parquet/encodings.h"

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* The body for one width; always inlined with a constant w so the shifts
 * and masks are immediates and the 8 values unroll. */
static inline __attribute__((always_inline)) void unpack8_w(const uint8_t *p, const int w, uint32_t *out) {
  const uint64_t mask = w == 32 ? 0xffffffffu : ((1u << w) - 1);
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    unsigned bit = (unsigned)(i * w);
    out[i] = (uint32_t)((load64(p + (bit >> 3)) >> (bit & 7)) & mask);
  }
}

void pq_unpack8(const uint8_t *p, int w, uint32_t *out) {
  switch (w) {
  case 0: memset(out, 0, 8 * sizeof *out); return;
#define W(n) \
  case n: unpack8_w(p, n, out); return;
  W(1) W(2) W(3) W(4) W(5) W(6) W(7) W(8) W(9) W(10) W(11) W(12) W(13) W(14) W(15) W(16)
  W(17) W(18) W(19) W(20) W(21) W(22) W(23) W(24) W(25) W(26) W(27) W(28) W(29) W(30) W(31) W(32)
#undef W
  default: return;
  }
}

/* Unpack a group whose w bytes may be the last of the input (needs 8 bytes of slack). */
static void unpack8_safe(const uint8_t *p, size_t avail, int w, uint32_t *out) {
  if (avail >= (size_t)w + 8) {
    pq_unpack8(p, w, out);
    return;
  }
  uint8_t tmp[48] = {0};
  memcpy(tmp, p, avail < (size_t)w ? avail : (size_t)w);
  pq_unpack8(tmp, w, out);
}

void pq_rle_init(pq_rle *d, const uint8_t *p, size_t n, int bit_width) {
  d->p = p;
  d->end = p + n;
  d->bit_width = bit_width;
  d->rle_left = d->bp_left = 0;
  d->rle_value = 0;
  d->bp_idx = 8;
}

/* Starts the next run; 0 when the input is exhausted or malformed. */
static int next_run(pq_rle *d) {
  int ok = 1;
  if (d->p >= d->end) return 0;
  uint64_t h = feast_varint_read(&d->p, d->end, &ok);
  if (!ok) return 0;
  if (h & 1) {
    uint64_t groups = h >> 1;
    if (groups == 0 || groups > (1u << 26)) return 0;
    uint64_t bytes = groups * (uint64_t)d->bit_width;
    uint64_t avail = (uint64_t)(d->end - d->p);
    /* Some writers truncate the padding of the last run: keep whole values only. */
    uint64_t values = groups * 8;
    if (bytes > avail) values = d->bit_width ? avail * 8 / (uint64_t)d->bit_width : values;
    if (values == 0) return 0;
    d->bp_left = (uint32_t)values;
    d->bp_idx = 8;
  } else {
    uint64_t count = h >> 1;
    if (count == 0 || count > UINT32_MAX) return 0;
    int nbytes = (d->bit_width + 7) / 8;
    if (d->end - d->p < nbytes) return 0;
    uint32_t v = 0;
    for (int i = 0; i < nbytes; i++) v |= (uint32_t)d->p[i] << (8 * i);
    d->p += nbytes;
    if (d->bit_width < 32 && (v >> d->bit_width)) return 0;
    d->rle_value = v;
    d->rle_left = (uint32_t)count;
  }
  return 1;
}

int64_t pq_rle_get(pq_rle *d, uint32_t *out, int64_t n) {
  int64_t got = 0;
  const int w = d->bit_width;
  while (got < n) {
    if (d->rle_left) {
      int64_t k = d->rle_left < (uint64_t)(n - got) ? d->rle_left : n - got;
      uint32_t v = d->rle_value;
      for (int64_t i = 0; i < k; i++) out[got + i] = v;
      got += k;
      d->rle_left -= (uint32_t)k;
      continue;
    }
    if (d->bp_left) {
      /* Drain a partially used group first. */
      while (d->bp_idx < 8 && d->bp_left && got < n) {
        out[got++] = d->bp_buf[d->bp_idx++];
        d->bp_left--;
      }
      /* Whole groups straight into the output. */
      while (d->bp_left >= 8 && n - got >= 8) {
        size_t avail = (size_t)(d->end - d->p);
        unpack8_safe(d->p, avail, w, out + got);
        d->p += (size_t)w <= avail ? (size_t)w : avail;
        got += 8;
        d->bp_left -= 8;
      }
      if (d->bp_left && got < n && d->bp_idx == 8) {
        size_t avail = (size_t)(d->end - d->p);
        unpack8_safe(d->p, avail, w, d->bp_buf);
        d->p += (size_t)w <= avail ? (size_t)w : avail;
        d->bp_idx = 0;
      }
      continue;
    }
    if (!next_run(d)) break;
  }
  return got;
}

int pq_bitpacked_msb(const uint8_t *p, size_t len, int w, uint32_t *out, int64_t n) {
  uint64_t bit = 0;
  if ((uint64_t)n * (uint64_t)w > (uint64_t)len * 8) return 0;
  for (int64_t i = 0; i < n; i++) {
    uint32_t v = 0;
    for (int b = 0; b < w; b++, bit++) v = (v << 1) | ((p[bit >> 3] >> (7 - (bit & 7))) & 1);
    out[i] = v;
  }
  return 1;
}
