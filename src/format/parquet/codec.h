/*
 * codec.h - page compression for Parquet, one function each way over the
 * codec libraries (snappy, zlib, zstd, lz4, brotli). Decompression is given
 * the exact expected output size (from the page header) and fails with
 * FEAST_E_CORRUPT when the data does not produce exactly that many bytes.
 */
#ifndef FEAST_PARQUET_CODEC_H
#define FEAST_PARQUET_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "feast/error.h"

/* Decompression state kept across pages (one per column reader, so per
 * worker thread): the zstd context is created on first use and reused,
 * rather than allocating a context and its tables for every page. Zero it
 * to start; release with pq_dctx_free. */
typedef struct pq_dctx {
  void *zstd; /* ZSTD_DCtx */
} pq_dctx;
void pq_dctx_free(pq_dctx *d);

/* Decompress `in` (codec: enum pq_codec) into out[0..out_len); ctx may be NULL. */
feast_code pq_decompress(int codec, pq_dctx *ctx, const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len,
                         feast_error *err);

/* Compress `in` and append the result to `out`; level 0 = the codec's default. */
feast_code pq_compress(int codec, int level, const uint8_t *in, size_t in_len, feast_buf *out, feast_error *err);

/* "SNAPPY" etc. */
const char *pq_codec_name(int codec);

#endif
