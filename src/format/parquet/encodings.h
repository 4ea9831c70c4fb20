/*
 * encodings.h - Parquet value and level encodings: the RLE/bit-packed
 * hybrid (levels, dictionary indices, booleans), legacy BIT_PACKED levels,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY. Every
 * decoder is bounds-checked against its input; a short input decodes fewer
 * values and the caller reports the page as corrupt.
 */
#ifndef FEAST_PARQUET_ENCODINGS_H
#define FEAST_PARQUET_ENCODINGS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "feast/error.h"

typedef struct pq_rle {
  const uint8_t *p, *end;
  int bit_width;
  uint32_t rle_left;  /* values left in the current RLE run */
  uint32_t rle_value;
  uint32_t bp_left;   /* values left in the current bit-packed run */
  uint32_t bp_buf[8]; /* an unpacked group of 8 */
  int bp_idx;         /* next value in bp_buf (8 = refill) */
} pq_rle;

void pq_rle_init(pq_rle *d, const uint8_t *p, size_t n, int bit_width);
/* Decode up to n values; returns how many were decoded (fewer = input ended). */
int64_t pq_rle_get(pq_rle *d, uint32_t *out, int64_t n);

/* Unpack 8 values of width w (<= 32) from w bytes at p (LSB first). */
void pq_unpack8(const uint8_t *p, int w, uint32_t *out);

/* Legacy BIT_PACKED (MSB first) levels: n values of width w from p[0..len). */
int pq_bitpacked_msb(const uint8_t *p, size_t len, int w, uint32_t *out, int64_t n);

/* DELTA_BINARY_PACKED: decodes every value (up to `max_values`) into *out
 * (int64, grown in `scratch`); *count gets the number and *used the bytes
 * consumed. */
feast_code pq_delta_decode(const uint8_t *p, size_t len, int64_t max_values, feast_buf *scratch, int64_t **out,
                           int64_t *count, size_t *used, feast_error *err);

/* Byte-array pages decoded to offsets + contiguous data. */
typedef struct pq_byte_arrays {
  int64_t n;
  const uint32_t *offsets; /* n + 1 */
  const uint8_t *data;
} pq_byte_arrays;

feast_code pq_delta_length_decode(const uint8_t *p, size_t len, int64_t max_values, feast_buf *ints,
                                  feast_buf *offs, pq_byte_arrays *out, feast_error *err);
feast_code pq_delta_byte_array_decode(const uint8_t *p, size_t len, int64_t max_values, feast_buf *ints,
                                      feast_buf *offs, feast_buf *data, pq_byte_arrays *out, feast_error *err);

#endif
