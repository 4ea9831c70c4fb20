/*
 * codec_compress.c - page compression for the Parquet writer (pq_compress
 * in codec.h). Each codec writes straight into the output buffer after
 * reserving its worst-case bound. GZIP is a real gzip stream (zlib with
 * the gzip wrapper), as the Parquet spec requires; LZ4_RAW is a bare LZ4
 * block. The legacy Hadoop-framed LZ4 codec and LZO are not written.
 */
#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#include <string.h>

#include "format/parquet/codec.h"
#include "format/parquet/parquet_format.h"

feast_code pq_compress(int codec, int level, const uint8_t *in, size_t in_len, feast_buf *out, feast_error *err) {
  feast_code rc;
  switch (codec) {
  case PQ_CODEC_UNCOMPRESSED: return feast_buf_append(out, in, in_len, err);
  case PQ_CODEC_SNAPPY: {
    size_t bound = snappy_max_compressed_length(in_len);
    if ((rc = feast_buf_reserve(out, bound, err))) return rc;
    size_t n = bound;
    if (snappy_compress((const char *)in, in_len, (char *)out->data + out->len, &n) != SNAPPY_OK)
      return feast_fail(err, FEAST_E_INTERNAL, "snappy compression failed");
    out->len += n;
    return FEAST_OK;
  }
  case PQ_CODEC_ZSTD: {
    size_t bound = ZSTD_compressBound(in_len);
    if ((rc = feast_buf_reserve(out, bound, err))) return rc;
    size_t n = ZSTD_compress(out->data + out->len, bound, in, in_len, level ? level : 3);
    if (ZSTD_isError(n)) return feast_fail(err, FEAST_E_INTERNAL, "zstd compression failed: %s", ZSTD_getErrorName(n));
    out->len += n;
    return FEAST_OK;
  }
  case PQ_CODEC_LZ4_RAW: {
    if (in_len > (size_t)LZ4_MAX_INPUT_SIZE) return feast_fail(err, FEAST_E_TOO_BIG, "page too large for LZ4");
    int bound = LZ4_compressBound((int)in_len);
    if ((rc = feast_buf_reserve(out, (size_t)bound, err))) return rc;
    int n = LZ4_compress_default((const char *)in, (char *)out->data + out->len, (int)in_len, bound);
    if (n <= 0 && in_len > 0) return feast_fail(err, FEAST_E_INTERNAL, "lz4 compression failed");
    out->len += (size_t)n;
    return FEAST_OK;
  }
  case PQ_CODEC_GZIP: {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* windowBits 15 + 16 selects the gzip wrapper. */
    if (deflateInit2(&zs, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return feast_fail(err, FEAST_E_NOMEM, "zlib initialisation failed");
    size_t bound = deflateBound(&zs, (uLong)in_len) + 32;
    if ((rc = feast_buf_reserve(out, bound, err))) {
      deflateEnd(&zs);
      return rc;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)in_len;
    zs.next_out = out->data + out->len;
    zs.avail_out = (uInt)bound;
    int zrc = deflate(&zs, Z_FINISH);
    size_t n = bound - zs.avail_out;
    deflateEnd(&zs);
    if (zrc != Z_STREAM_END) return feast_fail(err, FEAST_E_INTERNAL, "gzip compression failed (%d)", zrc);
    out->len += n;
    return FEAST_OK;
  }
  default: return feast_fail(err, FEAST_E_UNSUPPORTED, "writing Parquet codec %d is not supported", codec);
  }
}
