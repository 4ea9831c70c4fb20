/*
 * encode.h - value and level encoders for the Parquet writer: the
 * RLE/bit-packed hybrid (definition/repetition levels, dictionary
 * indices), plain bit-packing of booleans, and the dictionary that maps
 * plain-encoded values to indices. All of them append to feast_bufs and
 * work on whole arrays of values, so no call allocates per value.
 */
#ifndef FEAST_PARQUET_ENCODE_H
#define FEAST_PARQUET_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "feast/error.h"

/* Bits needed to store values 0..max_value (0 for max_value 0). */
int pq_bit_width(uint64_t max_value);

/* Append the RLE/bit-packed hybrid encoding of v[0..n) with `bit_width`
 * bits per value (no length prefix, no bit-width byte). */
feast_code pq_rle_encode_u32(const uint32_t *v, size_t n, int bit_width, feast_buf *out, feast_error *err);
feast_code pq_rle_encode_u8(const uint8_t *v, size_t n, int bit_width, feast_buf *out, feast_error *err);

/* A dictionary of plain-encoded values. Every value is a byte string (the
 * plain encoding of an INT32 is its 4 bytes; of a BYTE_ARRAY, the 4-byte
 * length and the bytes), so one table serves every physical type, and the
 * dictionary page payload is simply `plain`. */
typedef struct pq_dict {
  feast_buf plain;    /* the values, plain-encoded, in index order */
  uint32_t *slots;    /* open addressing: index + 1, 0 = empty */
  uint32_t *starts;   /* byte offset of each entry's value bytes in plain */
  uint32_t *lens;     /* byte length of each entry's value */
  uint32_t nslots;    /* power of two */
  uint32_t count;
  uint32_t cap;
  int byte_array;     /* entries get a 4-byte length prefix in plain */
} pq_dict;

/* byte_array: 1 for BYTE_ARRAY columns (plain encoding carries lengths). */
void pq_dict_init(pq_dict *d, int byte_array);
void pq_dict_free(pq_dict *d);
void pq_dict_reset(pq_dict *d);
/* Index of value p[0..n) (the value bytes, without a length prefix),
 * inserting it if new. */
feast_code pq_dict_insert(pq_dict *d, const void *p, size_t n, uint32_t *index, feast_error *err);

#endif
