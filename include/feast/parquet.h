/*
 * parquet.h - reading Apache Parquet files and datasets into feast_batch.
 *
 * A feast_parquet_file is one open file (or an in-memory image): its schema
 * as feast_dtypes, row groups, key-value metadata, and row-group reads. A
 * reader (feast_parquet_reader_open) streams bounded batches with column
 * projection and row-group pruning from min/max statistics, decoding row
 * groups ahead on a small thread pool while keeping output order. A dataset
 * (feast_parquet_dataset_open) does the same over a directory, glob or
 * hive-partitioned tree. See docs/parquet.md for types and limits.
 *
 * Errors name the file, row group, column and what is wrong. Valid input
 * this build does not read (encryption, structs, maps, nested lists) is
 * FEAST_E_UNSUPPORTED; damaged input is FEAST_E_CORRUPT; limits are
 * FEAST_E_TOO_BIG.
 */
#ifndef FEAST_PARQUET_H
#define FEAST_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "feast/array.h"
#include "feast/arrow.h"
#include "feast/error.h"
#include "feast/export.h"
#include "feast/types.h"

/* A file is read-only once open: many threads may read its row groups at
 * once. A batch source (reader, dataset) is used by one thread at a time. */
typedef struct feast_parquet_file feast_parquet_file;

typedef struct feast_parquet_options {
  int threads;             /* decoding threads; 0 = online cores, at most 2; 1 = no threads */
  int64_t batch_rows;      /* rows per streamed batch; 0 = 65536 */
  int64_t max_page_bytes;  /* largest (decompressed) page; 0 = 256 MiB */
  int64_t max_chunk_bytes; /* largest compressed column chunk; 0 = 2 GiB */
  /* Decoded bytes the decode-ahead threads may hold, row groups in flight
   * estimated from the footer; 0 = no cap beyond threads + 1 row groups.
   * One row group is always decoded, whatever its size. */
  int64_t max_ahead_bytes;
} feast_parquet_options;

/* A pruning predicate "column in [lo, hi]" (inclusive). For TIMESTAMP and
 * DATE32 columns lo/hi are feast_ts microseconds UTC; for integer columns
 * they are the raw values. Row groups (and partition folders) that cannot
 * hold a matching row are skipped; rows inside a kept row group are NOT
 * filtered: the predicate only prunes. */
typedef struct feast_parquet_range {
  const char *column;
  int64_t lo, hi;
} feast_parquet_range;

/* Open a file. `opts` may be NULL. The caller owns *out: release it with
 * feast_parquet_file_free. */
FEAST_API feast_code feast_parquet_file_open(const char *path, const feast_parquet_options *opts,
                                             feast_parquet_file **out, feast_error *err);
/* Open an in-memory image; `data` must stay valid until the file is freed.
 * `name` (may be NULL) is used in error messages. */
FEAST_API feast_code feast_parquet_file_open_memory(const void *data, size_t len, const char *name,
                                                    const feast_parquet_options *opts, feast_parquet_file **out,
                                                    feast_error *err);
FEAST_API void feast_parquet_file_free(feast_parquet_file *f); /* accepts NULL */

/* Schema: top-level columns. Strings are borrowed: valid until the file is
 * freed. `elem` (may be NULL) receives a LIST column's element type. */
FEAST_API int feast_parquet_num_columns(const feast_parquet_file *f);
FEAST_API const char *feast_parquet_column_name(const feast_parquet_file *f, int i);
FEAST_API feast_dtype feast_parquet_column_type(const feast_parquet_file *f, int i, feast_dtype *elem);
/* Index of the column called `name`, or -1. */
FEAST_API int feast_parquet_column_index(const feast_parquet_file *f, const char *name);
/* FEAST_OK when column i can be read, else FEAST_E_UNSUPPORTED saying why. */
FEAST_API feast_code feast_parquet_column_check(const feast_parquet_file *f, int i, feast_error *err);

FEAST_API int64_t feast_parquet_num_rows(const feast_parquet_file *f);
FEAST_API int feast_parquet_num_row_groups(const feast_parquet_file *f);
FEAST_API int64_t feast_parquet_row_group_rows(const feast_parquet_file *f, int rg);

/* Key-value metadata: count, then key/value i (value may be NULL). Strings
 * are borrowed: valid until the file is freed. feast_parquet_metadata_get
 * returns NULL when absent. */
FEAST_API int feast_parquet_num_metadata(const feast_parquet_file *f);
FEAST_API const char *feast_parquet_metadata_key(const feast_parquet_file *f, int i);
FEAST_API const char *feast_parquet_metadata_value(const feast_parquet_file *f, int i);
FEAST_API const char *feast_parquet_metadata_get(const feast_parquet_file *f, const char *key);

/* Read whole row group `rg`, columns by index (NULL/0 = every column), into
 * one batch. The caller owns *out: release it with feast_batch_free. */
FEAST_API feast_code feast_parquet_read_row_group(const feast_parquet_file *f, int rg, const int *columns, int ncols,
                                                  feast_batch **out, feast_error *err);

/* An empty batch (0 rows) with the columns a reader over `columns` yields.
 * The caller owns *out: release it with feast_batch_free. */
FEAST_API feast_code feast_parquet_schema_batch(const feast_parquet_file *f, const char *const *columns, int ncols,
                                                feast_batch **out, feast_error *err);

/* Stream batches of at most opts->batch_rows rows from `f` (borrowed: it
 * must outlive the source), projecting `columns` by name (NULL/0 = all) and
 * pruning row groups with `ranges`. The caller owns *out: release it with
 * (*out)->close(*out). */
FEAST_API feast_code feast_parquet_reader_open(feast_parquet_file *f, const char *const *columns, int ncols,
                                               const feast_parquet_range *ranges, int nranges,
                                               const feast_parquet_options *opts, feast_batch_source **out,
                                               feast_error *err);

/* A remote file the reader fetches by byte ranges (an S3 object): the
 * footer first, then only the column chunks of the row groups kept, all
 * chunks of a row group in one read_many (which may keep several requests
 * in flight). Local files do not use this: they stay on pread. */
typedef struct feast_parquet_range_read {
  uint64_t offset;
  size_t len;
  void *dst; /* len bytes */
} feast_parquet_range_read;

typedef struct feast_parquet_io {
  void *ctx;
  feast_code (*read)(void *ctx, uint64_t offset, size_t len, void *dst, feast_error *err);
  feast_code (*read_many)(void *ctx, const feast_parquet_range_read *r, size_t n, feast_error *err);
  void (*close)(void *ctx); /* may be NULL */
} feast_parquet_io;

/* Open a file of `size` bytes read through `io` (taken over: closed with
 * the file, or at once on failure). `name` (a URL) is used in messages. */
FEAST_API feast_code feast_parquet_file_open_io(const feast_parquet_io *io, uint64_t size, const char *name,
                                                const feast_parquet_options *opts, feast_parquet_file **out,
                                                feast_error *err);

/* Where the files of a dataset that is not a local path come from (s3://):
 * list() calls add() for every object of the URL (a file, a folder, a
 * glob; hidden and `_` entries already left out) and sets *root to the
 * part of the URL partition folders are parsed below (feast_malloc'd);
 * open() opens one of them. */
typedef feast_code (*feast_parquet_fs_add_fn)(void *actx, const char *url, int64_t size, feast_error *err);
typedef struct feast_parquet_fs {
  void *ctx;
  feast_code (*list)(void *ctx, const char *url, feast_parquet_fs_add_fn add, void *actx, char **root, int *single,
                     feast_error *err);
  feast_code (*open)(void *ctx, const char *url, int64_t size, feast_parquet_io *io, feast_error *err);
} feast_parquet_fs;

typedef struct feast_parquet_dataset_options {
  feast_parquet_options read;
  const char *const *columns; /* projection (NULL = all, partition columns included) */
  int ncolumns;
  const feast_parquet_range *ranges; /* may name file columns or partition columns */
  int nranges;
  /* A partition column holding dates (YYYY-MM-DD...): a range on it prunes
   * whole folders by day. Other partition columns prune by integer value
   * when their values parse as integers. */
  const char *date_partition_column;
  /* Non-NULL: URLs with a scheme other than file:// are read through it. */
  const feast_parquet_fs *fs;
  /* Open the first file only (in name order): the schema from one footer,
   * for remote datasets where every footer is a request. */
  int first_file_only;
} feast_parquet_dataset_options;

/* Open a dataset: a file, a directory (recursive; `_SUCCESS`, `*.crc`,
 * hidden and `_`-prefixed entries are ignored), a glob, or a hive tree
 * `key=value/...`, as a plain path or `file://` URL. Partition keys become
 * STRING columns after the file columns. Every file must have the same
 * column names and types (the error names the first that differs). The
 * caller owns *out: release it with (*out)->close(*out). */
FEAST_API feast_code feast_parquet_dataset_open(const char *url_or_path, const feast_parquet_dataset_options *opts,
                                                feast_batch_source **out, feast_error *err);

/* For a source from feast_parquet_reader_open or feast_parquet_dataset_open:
 * an empty batch with its columns, e.g. for feast_arrow_stream_export. The
 * caller owns *out: release it with feast_batch_free. */
FEAST_API feast_code feast_parquet_source_schema(feast_batch_source *src, feast_batch **out, feast_error *err);

/* For the same sources: how many rows the source will yield in all, from
 * the footers alone (the row counts of the row groups kept after partition
 * and statistics pruning; rows inside a kept row group are not filtered, so
 * this is exact). -1 for a source the Parquet reader did not make. Meant
 * for progress and ETA displays. */
FEAST_API int64_t feast_parquet_dataset_num_rows(const feast_batch_source *src);

#endif
