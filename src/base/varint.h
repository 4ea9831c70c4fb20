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
  uint64_t v = 0;
  const uint8_t *p = *pp;
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
