/*
 * codec_decompress.c - page decompression for every Parquet codec we read.
 * The page header gives the exact output size, so every codec decodes into
 * a caller-sized buffer and anything that does not fill it exactly is
 * FEAST_E_CORRUPT. LZ4 (the deprecated codec) is tried as Hadoop framing,
 * then LZ4 frame, then a raw block, the order parquet-mr and Arrow use.
 */
#include <brotli/decode.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "format/parquet/codec.h"
#include "format/parquet/parquet_format.h"

const char *pq_codec_name(int codec) {
  switch (codec) {
  case PQ_CODEC_UNCOMPRESSED: return "UNCOMPRESSED";
  case PQ_CODEC_SNAPPY: return "SNAPPY";
  case PQ_CODEC_GZIP: return "GZIP";
  case PQ_CODEC_LZO: return "LZO";
  case PQ_CODEC_BROTLI: return "BROTLI";
  case PQ_CODEC_LZ4: return "LZ4";
  case PQ_CODEC_ZSTD: return "ZSTD";
  case PQ_CODEC_LZ4_RAW: return "LZ4_RAW";
  default: return "UNKNOWN";
  }
}

static feast_code bad(feast_error *err, int codec, const char *why) {
  return feast_fail(err, FEAST_E_CORRUPT, "%s page data does not decompress: %s", pq_codec_name(codec), why);
}

/* gzip/zlib streams, including several concatenated gzip members. */
static feast_code inflate_all(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len, feast_error *err) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return feast_fail(err, FEAST_E_NOMEM, "zlib init failed");
  zs.next_in = (Bytef *)in;
  zs.avail_in = (uInt)in_len;
  zs.next_out = out;
  zs.avail_out = (uInt)out_len;
  feast_code rc = FEAST_OK;
  for (;;) {
    int z = inflate(&zs, Z_FINISH);
    if (z == Z_STREAM_END) {
      if (zs.avail_in > 0 && zs.avail_out > 0) { /* another member follows */
        if (inflateReset(&zs) != Z_OK) {
          rc = bad(err, PQ_CODEC_GZIP, "reset failed");
          break;
        }
        continue;
      }
      break;
    }
    if (z == Z_BUF_ERROR && zs.avail_out == 0) break; /* checked below */
    rc = bad(err, PQ_CODEC_GZIP, zs.msg ? zs.msg : "invalid stream");
    break;
  }
  if (!rc && zs.avail_out != 0) rc = bad(err, PQ_CODEC_GZIP, "fewer bytes than the page header says");
  inflateEnd(&zs);
  return rc;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hadoop's BlockCompressorStream framing: [BE32 raw size][BE32 block size][block]... */
static int lz4_hadoop(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len) {
  size_t ip = 0, op = 0;
  while (ip < in_len) {
    if (in_len - ip < 8) return 0;
    uint32_t raw = be32(in + ip), comp = be32(in + ip + 4);
    ip += 8;
    if (comp > in_len - ip || raw > out_len - op) return 0;
    int n = LZ4_decompress_safe((const char *)in + ip, (char *)out + op, (int)comp, (int)raw);
    if (n < 0 || (uint32_t)n != raw) return 0;
    ip += comp;
    op += raw;
  }
  return op == out_len;
}

static int lz4_frame(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len) {
  if (in_len < 4 || !(in[0] == 0x04 && in[1] == 0x22 && in[2] == 0x4d && in[3] == 0x18)) return 0;
  LZ4F_dctx *d;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION))) return 0;
  size_t ip = 0, op = 0;
  int ok = 0;
  for (;;) {
    size_t src = in_len - ip, dst = out_len - op;
    size_t r = LZ4F_decompress(d, out + op, &dst, in + ip, &src, NULL);
    if (LZ4F_isError(r)) break;
    ip += src;
    op += dst;
    if (r == 0) {
      ok = op == out_len;
      break;
    }
    if (src == 0 && dst == 0) break;
  }
  LZ4F_freeDecompressionContext(d);
  return ok;
}

void pq_dctx_free(pq_dctx *d) {
  if (!d) return;
  ZSTD_freeDCtx(d->zstd);
  d->zstd = NULL;
}

feast_code pq_decompress(int codec, pq_dctx *ctx, const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len,
                         feast_error *err) {
  if (out_len > INT32_MAX || in_len > INT32_MAX) return bad(err, codec, "page larger than 2 GiB");
  switch (codec) {
  case PQ_CODEC_UNCOMPRESSED:
    if (in_len != out_len) return bad(err, codec, "sizes differ");
    if (out_len) memcpy(out, in, out_len);
    return FEAST_OK;
  case PQ_CODEC_SNAPPY: {
    size_t n = 0;
    if (snappy_uncompressed_length((const char *)in, in_len, &n) != SNAPPY_OK || n != out_len)
      return bad(err, codec, "length does not match the page header");
    n = out_len;
    if (snappy_uncompress((const char *)in, in_len, (char *)out, &n) != SNAPPY_OK || n != out_len)
      return bad(err, codec, "invalid stream");
    return FEAST_OK;
  }
  case PQ_CODEC_GZIP: return inflate_all(in, in_len, out, out_len, err);
  case PQ_CODEC_ZSTD: {
    /* One-shot decode straight into the page buffer (no window buffer),
     * with a reused context; it handles concatenated frames and frames
     * without a content size as long as the output fits. */
    ZSTD_DCtx *d = ctx ? ctx->zstd : NULL;
    if (!d) {
      d = ZSTD_createDCtx();
      if (!d) return feast_fail(err, FEAST_E_NOMEM, "zstd init failed");
      if (ctx) ctx->zstd = d;
    }
    size_t r = ZSTD_decompressDCtx(d, out, out_len, in, in_len);
    feast_code rc = FEAST_OK;
    if (ZSTD_isError(r)) {
      rc = ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall ? bad(err, codec, "more bytes than the page header says")
                                                                : bad(err, codec, ZSTD_getErrorName(r));
    } else if (r != out_len) {
      rc = bad(err, codec, "fewer bytes than the page header says");
    }
    if (!ctx) ZSTD_freeDCtx(d);
    return rc;
  }
  case PQ_CODEC_LZ4_RAW: {
    int n = LZ4_decompress_safe((const char *)in, (char *)out, (int)in_len, (int)out_len);
    if (n < 0 || (size_t)n != out_len) return bad(err, codec, "invalid block or wrong size");
    return FEAST_OK;
  }
  case PQ_CODEC_LZ4: {
    if (lz4_hadoop(in, in_len, out, out_len)) return FEAST_OK;
    if (lz4_frame(in, in_len, out, out_len)) return FEAST_OK;
    int n = LZ4_decompress_safe((const char *)in, (char *)out, (int)in_len, (int)out_len);
    if (n >= 0 && (size_t)n == out_len) return FEAST_OK;
    return bad(err, codec, "neither Hadoop-framed, LZ4 frame nor raw block");
  }
  case PQ_CODEC_BROTLI: {
    size_t n = out_len;
    if (BrotliDecoderDecompress(in_len, in, &n, out) != BROTLI_DECODER_RESULT_SUCCESS || n != out_len)
      return bad(err, codec, "invalid stream or wrong size");
    return FEAST_OK;
  }
  default:
    return feast_fail(err, FEAST_E_UNSUPPORTED, "compression codec %s (%d) is not supported", pq_codec_name(codec),
                      codec);
  }
}
