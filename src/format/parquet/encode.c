/*
 * encode.c - the RLE/bit-packed hybrid encoder and the writer's dictionary.
 *
 * Hybrid encoding: a run of 8 or more equal values becomes an RLE run
 * (header run<<1, then the value in ceil(bit_width/8) little-endian
 * bytes); anything else goes into bit-packed groups of 8 (header
 * groups<<1|1). Only the final group may be padded, because readers know
 * the value count from the page header.
 */
#include "format/parquet/encode.h"

#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "base/varint.h"

int pq_bit_width(uint64_t max_value) {
  int w = 0;
  while (max_value) {
    w++;
    max_value >>= 1;
  }
  return w;
}

static feast_code put_varint(feast_buf *out, uint64_t v, feast_error *err) {
  uint8_t tmp[FEAST_VARINT_MAX];
  return feast_buf_append(out, tmp, feast_varint_write(tmp, v), err);
}

/* Generic over the value width through a getter, instantiated twice. */
#define RLE_ENCODER(NAME, T)                                                                                           \
  static size_t NAME##_run(const T *v, size_t i, size_t n) {                                                           \
    size_t j = i + 1;                                                                                                  \
    while (j < n && v[j] == v[i]) j++;                                                                                 \
    return j - i;                                                                                                      \
  }                                                                                                                    \
  feast_code NAME(const T *v, size_t n, int bit_width, feast_buf *out, feast_error *err) {                             \
    size_t vbytes = (size_t)(bit_width + 7) / 8;                                                                       \
    size_t i = 0;                                                                                                      \
    feast_code rc;                                                                                                     \
    while (i < n) {                                                                                                    \
      size_t run = NAME##_run(v, i, n);                                                                                \
      if (run >= 8) {                                                                                                  \
        if ((rc = put_varint(out, (uint64_t)run << 1, err))) return rc;                                                \
        uint8_t b[4];                                                                                                  \
        uint32_t x = (uint32_t)v[i];                                                                                   \
        for (size_t k = 0; k < vbytes; k++) b[k] = (uint8_t)(x >> (8 * k));                                            \
        if ((rc = feast_buf_append(out, b, vbytes, err))) return rc;                                                   \
        i += run;                                                                                                      \
        continue;                                                                                                      \
      }                                                                                                                \
      /* Literal groups of 8 until a long run starts at a group boundary. */                                          \
      size_t start = i, groups = 0;                                                                                    \
      while (i < n) {                                                                                                  \
        if (groups > 0 && NAME##_run(v, i, n < i + 8 ? n : i + 8) >= 8) break;                                         \
        i = i + 8 < n ? i + 8 : n;                                                                                     \
        groups++;                                                                                                      \
      }                                                                                                                \
      if ((rc = put_varint(out, (uint64_t)groups << 1 | 1, err))) return rc;                                           \
      size_t nbytes = groups * (size_t)bit_width;                                                                      \
      if ((rc = feast_buf_reserve(out, nbytes, err))) return rc;                                                       \
      uint8_t *dst = out->data + out->len;                                                                             \
      memset(dst, 0, nbytes);                                                                                          \
      uint64_t acc = 0;                                                                                                \
      int bits = 0;                                                                                                    \
      size_t o = 0;                                                                                                    \
      for (size_t k = start; k < start + groups * 8; k++) {                                                            \
        uint64_t x = k < n ? (uint64_t)v[k] : 0;                                                                       \
        acc |= x << bits;                                                                                              \
        bits += bit_width;                                                                                             \
        while (bits >= 8) {                                                                                            \
          dst[o++] = (uint8_t)acc;                                                                                     \
          acc >>= 8;                                                                                                   \
          bits -= 8;                                                                                                   \
        }                                                                                                              \
      }                                                                                                                \
      out->len += nbytes;                                                                                              \
    }                                                                                                                  \
    return FEAST_OK;                                                                                                   \
  }

RLE_ENCODER(pq_rle_encode_u32, uint32_t)
RLE_ENCODER(pq_rle_encode_u8, uint8_t)

/* ---- dictionary ---- */

void pq_dict_init(pq_dict *d, int byte_array) {
  memset(d, 0, sizeof *d);
  feast_buf_init(&d->plain, FEAST_BUF_UNLIMITED);
  d->byte_array = byte_array;
}

void pq_dict_free(pq_dict *d) {
  int ba = d->byte_array;
  feast_buf_free(&d->plain);
  feast_free(d->slots);
  feast_free(d->starts);
  feast_free(d->lens);
  pq_dict_init(d, ba);
}

void pq_dict_reset(pq_dict *d) {
  feast_buf_reset(&d->plain);
  if (d->slots) memset(d->slots, 0, d->nslots * sizeof *d->slots);
  d->count = 0;
}

static feast_code rehash(pq_dict *d, feast_error *err) {
  uint32_t n = d->nslots ? d->nslots * 2 : 1024;
  uint32_t *s = feast_calloc(n, sizeof *s);
  if (!s) return feast_fail(err, FEAST_E_NOMEM, "out of memory growing a dictionary");
  for (uint32_t i = 0; i < d->count; i++) {
    uint64_t h = feast_hash64(d->plain.data + d->starts[i], d->lens[i], 0);
    uint32_t k = (uint32_t)h & (n - 1);
    while (s[k]) k = (k + 1) & (n - 1);
    s[k] = i + 1;
  }
  feast_free(d->slots);
  d->slots = s;
  d->nslots = n;
  return FEAST_OK;
}

feast_code pq_dict_insert(pq_dict *d, const void *p, size_t n, uint32_t *index, feast_error *err) {
  feast_code rc;
  if ((d->count + 1) * 2 > d->nslots && (rc = rehash(d, err))) return rc;
  uint64_t h = feast_hash64(p, n, 0);
  uint32_t k = (uint32_t)h & (d->nslots - 1);
  while (d->slots[k]) {
    uint32_t i = d->slots[k] - 1;
    if (d->lens[i] == n && memcmp(d->plain.data + d->starts[i], p, n) == 0) {
      *index = i;
      return FEAST_OK;
    }
    k = (k + 1) & (d->nslots - 1);
  }
  if (d->count == d->cap) {
    uint32_t cap = d->cap ? d->cap * 2 : 256;
    uint32_t *ns = feast_realloc(d->starts, cap * sizeof *ns);
    if (!ns) return feast_fail(err, FEAST_E_NOMEM, "out of memory growing a dictionary");
    d->starts = ns;
    uint32_t *nl = feast_realloc(d->lens, cap * sizeof *nl);
    if (!nl) return feast_fail(err, FEAST_E_NOMEM, "out of memory growing a dictionary");
    d->lens = nl;
    d->cap = cap;
  }
  if (d->plain.len + n + 4 > UINT32_MAX) return feast_fail(err, FEAST_E_TOO_BIG, "dictionary larger than 4 GiB");
  if (d->byte_array) {
    uint8_t len4[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
    if ((rc = feast_buf_append(&d->plain, len4, 4, err))) return rc;
  }
  d->starts[d->count] = (uint32_t)d->plain.len;
  d->lens[d->count] = (uint32_t)n;
  if ((rc = feast_buf_append(&d->plain, p, n, err))) return rc;
  d->slots[k] = d->count + 1;
  *index = d->count++;
  return FEAST_OK;
}
