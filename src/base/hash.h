/*
 * hash.h - hashing. feast_hash64 is the fast general-purpose hash for hash
 * tables and spill partitioning; feast_murmur3_32 exists because Feast's
 * Redis layout names hash fields by murmur3_32("table:feature", seed 0).
 */
#ifndef FEAST_BASE_HASH_H
#define FEAST_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t feast_hash64(const void *data, size_t len, uint64_t seed);
/* Mix a 64-bit integer key (a good finalizer, for int64 entity keys). */
static inline uint64_t feast_hash_u64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}
uint32_t feast_murmur3_32(const void *data, size_t len, uint32_t seed);
uint32_t feast_crc32c(uint32_t crc, const void *data, size_t len);

#endif
