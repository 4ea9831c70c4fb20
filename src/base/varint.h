/*
 * varint.h - unsigned LEB128 varints (7 bits a byte, low groups first), the
 * integer encoding of Thrift's compact protocol, Parquet's RLE and delta
 * headers, and protobuf (format/proto/wire.h builds the protobuf wire format
 * on these). Inline: they sit on decoding hot paths.
 */
#ifndef FEAST_BASE_VARINT_H
#define FEAST_BASE_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define FEAST_VARINT_MAX 10 /* bytes a uint64_t can take */

/* Read a varint at *pp (not past end) and advance *pp. On truncated input,
 * or one longer than 10 bytes or past 64 bits, sets *ok = 0, leaves *pp and
 * returns 0. */
static inline uint64_t feast_varint_read(const uint8_t **pp, const uint8_t *end, int *ok) {
  const uint8_t *p = *pp;
  /* One byte holds most protobuf tags, lengths and small values: no loop. */
  if (p < end && *p < 0x80) {
    *pp = p + 1;
    return *p;
  }
  uint64_t v = 0;
  /* Ten bytes of room: the end need not be checked byte by byte. */
  if (end - p >= FEAST_VARINT_MAX) {
    for (int i = 0; i < FEAST_VARINT_MAX; i++) {
      uint8_t b = p[i];
      v |= (uint64_t)(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) {
        *pp = p + i + 1;
        return v;
      }
    }
    *ok = 0;
    return 0;
  }
  for (int shift = 0; shift < 64; shift += 7) {
    if (p >= end) break;
    uint8_t b = *p++;
    if (shift == 63 && b > 1) break;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *pp = p;
      return v;
    }
  }
  *ok = 0;
  return 0;
}

/* True when a varint that feast_varint_read took from [start, after) does
 * not fit 64 bits: ten bytes whose last carries more than the top bit (the
 * bits past 64 are dropped by the read). Protobuf calls that malformed. */
static inline int feast_varint_overflows(const uint8_t *start, const uint8_t *after) {
  return after - start == FEAST_VARINT_MAX && after[-1] > 1;
}

/* Write v into out (FEAST_VARINT_MAX bytes of room); returns the length. */
static inline size_t feast_varint_write(uint8_t *out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return n;
}

#endif
