/*
 * hash.c - a 64-bit multiply-fold hash (8 bytes a step, 128-bit products),
 * MurmurHash3 x86_32 as published by its author, and CRC-32C.
 */
#include "base/hash.h"

#include <pthread.h>
#include <string.h>

static inline uint64_t load64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static inline uint64_t fold(uint64_t a, uint64_t b) {
  __uint128_t r = (__uint128_t)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

#define K0 0xa0761d6478bd642fULL
#define K1 0xe7037ed1a0b428dbULL
#define K2 0x8ebc6af09c88c6e3ULL

uint64_t feast_hash64(const void *data, size_t len, uint64_t seed) {
  const unsigned char *p = data;
  uint64_t h = seed ^ K0 ^ (uint64_t)len;
  while (len >= 16) {
    h = fold(load64(p) ^ K1, load64(p + 8) ^ h);
    p += 16;
    len -= 16;
  }
  if (len >= 8) {
    h = fold(load64(p) ^ K1, h ^ K2);
    p += 8;
    len -= 8;
  }
  uint64_t tail = 0;
  memcpy(&tail, p, len);
  h = fold(tail ^ K2 ^ len, h ^ K1);
  return fold(h, K0);
}

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

uint32_t feast_murmur3_32(const void *data, size_t len, uint32_t seed) {
  const unsigned char *p = data;
  const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
  uint32_t h = seed;
  size_t nblocks = len / 4;
  for (size_t i = 0; i < nblocks; i++) {
    uint32_t k = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                 (uint32_t)p[4 * i + 3] << 24;
    k *= c1;
    k = rotl32(k, 15);
    k *= c2;
    h ^= k;
    h = rotl32(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  const unsigned char *tail = p + nblocks * 4;
  uint32_t k = 0;
  switch (len & 3) {
  case 3: k ^= (uint32_t)tail[2] << 16; /* fall through */
  case 2: k ^= (uint32_t)tail[1] << 8;  /* fall through */
  case 1:
    k ^= tail[0];
    k *= c1;
    k = rotl32(k, 15);
    k *= c2;
    h ^= k;
  }
  h ^= (uint32_t)len;
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

/* Built once, before any thread reads it (pthread_once orders the writes). */
static uint32_t crc32c_lut[256];
static int crc32c_hw;
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void crc32c_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int j = 0; j < 8; j++) c = (c >> 1) ^ (0x82f63b78 & (0u - (c & 1)));
    crc32c_lut[i] = c;
  }
#if defined(__x86_64__) && defined(__GNUC__)
  crc32c_hw = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t crc32c_table(uint32_t crc, const unsigned char *p, size_t len) {
  while (len--) crc = crc32c_lut[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The SSE4.2 crc32 instruction computes exactly CRC-32C, 8 bytes a step:
 * LMDB records are checksummed on every write and read. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p, size_t len) {
  uint64_t c = crc;
  for (; len >= 8; p += 8, len -= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
  }
  uint32_t c32 = (uint32_t)c;
  for (; len; p++, len--) c32 = __builtin_ia32_crc32qi(c32, *p);
  return c32;
}
#endif

uint32_t feast_crc32c(uint32_t crc, const void *data, size_t len) {
  crc = ~crc;
  pthread_once(&crc32c_once, crc32c_init);
#if defined(__x86_64__) && defined(__GNUC__)
  if (crc32c_hw) return ~crc32c_sse42(crc, data, len);
#endif
  return ~crc32c_table(crc, data, len);
}
