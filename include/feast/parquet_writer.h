/*
 * parquet_writer.h - writing feast_batches to Apache Parquet files.
 *
 * A writer takes any number of batches with one schema and lays them out in
 * row groups of `row_group_size` rows. The file is written to a temporary
 * name next to `path` ("path.tmp-XXXXXX") and renamed into place by
 * feast_parquet_writer_close after an fsync, so a failed or abandoned write
 * never leaves a partial file at `path`.
 *
 * Every column is OPTIONAL (nulls allowed). Types map to Parquet as:
 *   bool -> BOOLEAN; int8/16/32, uint8/16/32 -> INT32 + INTEGER(bits, signed);
 *   int64, uint64 -> INT64 + INTEGER(64, signed); float, double -> FLOAT, DOUBLE;
 *   string -> BYTE_ARRAY + STRING; binary -> BYTE_ARRAY;
 *   fixed_binary(n) -> FIXED_LEN_BYTE_ARRAY(n); float16 -> FIXED_LEN_BYTE_ARRAY(2) + FLOAT16;
 *   date32 -> INT32 + DATE; time32[s|ms] -> INT32 + TIME(MILLIS) (seconds are
 *   scaled); time64[us|ns] -> INT64 + TIME(MICROS|NANOS);
 *   timestamp[s|ms|us|ns] -> INT64 + TIMESTAMP(MILLIS|MICROS|NANOS, isAdjustedToUTC = utc)
 *   (seconds are scaled to millis); decimal128(p, s) -> FIXED_LEN_BYTE_ARRAY(minimal
 *   bytes for p) + DECIMAL(p, s); list<primitive> -> the standard 3-level LIST.
 */
#ifndef FEAST_PARQUET_WRITER_H
#define FEAST_PARQUET_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "feast/array.h"
#include "feast/error.h"
#include "feast/export.h"

typedef enum feast_parquet_codec {
  FEAST_PQ_UNCOMPRESSED = 0,
  FEAST_PQ_SNAPPY = 1,
  FEAST_PQ_GZIP = 2,
  FEAST_PQ_ZSTD = 6,
  FEAST_PQ_LZ4_RAW = 7
} feast_parquet_codec;

typedef struct feast_parquet_kv {
  const char *key;
  const char *value;
} feast_parquet_kv;

typedef struct feast_parquet_write_options {
  feast_parquet_codec codec; /* default SNAPPY */
  int compression_level;     /* 0 = the codec's default */
  bool no_dictionary;        /* default: dictionary-encode where it pays */
  int64_t dictionary_page_limit; /* bytes; past it a column chunk falls back to PLAIN; 0 = 1 MiB */
  int64_t data_page_size;    /* bytes before a page is cut; 0 = 1 MiB */
  int64_t row_group_size;    /* rows per row group; 0 = 1048576 */
  int data_page_version;     /* 1 (default) or 2 */
  bool no_statistics;        /* default: min/max/null_count per chunk and page */
  const feast_parquet_kv *metadata; /* key-value metadata for the footer (copied) */
  int num_metadata;
  int threads; /* columns encoded and compressed in parallel; 0 = online cores, at most 2; 1 = no threads */
} feast_parquet_write_options;

/* Defaults (all zeros mean the same). */
FEAST_API void feast_parquet_write_options_init(feast_parquet_write_options *o);

/* Parse "snappy", "zstd", "gzip", "lz4" / "lz4_raw", "none" / "uncompressed". */
FEAST_API feast_code feast_parquet_codec_parse(const char *name, feast_parquet_codec *out, feast_error *err);

/* A writer is used by one thread at a time (it runs its own encoding
 * threads). */
typedef struct feast_parquet_writer feast_parquet_writer;

/* Open a writer for batches shaped like `schema` (only its column names and
 * types are used; its rows are NOT written). opts may be NULL. The caller
 * owns *out: release it with feast_parquet_writer_free. Fails with
 * FEAST_E_IO when the directory is not writable and FEAST_E_UNSUPPORTED for
 * a column type Parquet cannot hold (null, list of list). */
FEAST_API feast_code feast_parquet_writer_open(const char *path, const feast_batch *schema,
                                               const feast_parquet_write_options *opts, feast_parquet_writer **out,
                                               feast_error *err);

/* Append a batch's rows. Its columns must match the schema by position,
 * name and type (FEAST_E_SCHEMA otherwise). The batch is not kept. */
FEAST_API feast_code feast_parquet_writer_write(feast_parquet_writer *w, const feast_batch *batch, feast_error *err);

/* Flush the last row group, write the footer, fsync, and rename into place.
 * After a failure nothing is left at the path. Call once. */
FEAST_API feast_code feast_parquet_writer_close(feast_parquet_writer *w, feast_error *err);

/* Free the writer; if it was not closed successfully, removes the temp file. */
FEAST_API void feast_parquet_writer_free(feast_parquet_writer *w);

/* One-shot: open, write `batch`, close. */
FEAST_API feast_code feast_parquet_write_file(const char *path, const feast_batch *batch,
                                              const feast_parquet_write_options *opts, feast_error *err);

#endif
