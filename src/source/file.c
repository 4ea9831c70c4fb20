/*
 * file.c - the file connector: a FileSource's fileUrl (a Parquet file,
 * folder, glob or hive-partitioned tree) read by the Parquet dataset
 * reader, with the event-time window pruning row groups (by their
 * statistics) and date partitions. s3:// URLs are listed and read by
 * ranges through s3_source.c.
 */
#include <string.h>

#include "feast/parquet.h"
#include "source/connector.h"
#include "source/s3_source.h"

static feast_code file_url(const feast_data_source *s, feast_error *err) {
  if (!s->file.file_url || !*s->file.file_url) return feast_fail(err, FEAST_E_INVALID, "the file source has no fileUrl");
  return FEAST_OK;
}

/* Messages name the files the reader tried; callers add what the source is. */
static feast_code open_dataset(const feast_data_source *s, const feast_batch_read *r, int first_only,
                               feast_batch_source **out, feast_error *err) {
  feast_code rc = file_url(s, err);
  if (rc) return rc;
  feast_parquet_range ranges[2];
  int nranges = 0;
  if (r->prune) {
    ranges[nranges++] = (feast_parquet_range){s->event_timestamp_column, r->lo, r->hi};
    if (s->date_partition_column) ranges[nranges++] = (feast_parquet_range){s->date_partition_column, r->lo, r->hi};
  }
  feast_parquet_dataset_options o;
  memset(&o, 0, sizeof o);
  o.columns = r->columns;
  o.ncolumns = r->ncols;
  o.ranges = ranges;
  o.nranges = nranges;
  o.date_partition_column = s->date_partition_column;
  o.read.threads = r->threads;
  o.read.max_ahead_bytes = r->ahead_bytes;
  if (feast_s3_is_url(s->file.file_url)) o.fs = feast_s3_parquet_fs();
  o.first_file_only = first_only;
  return feast_parquet_dataset_open(s->file.file_url, &o, out, err);
}

static feast_code file_open(const feast_data_source *s, const feast_batch_read *r, feast_batch_source **out,
                            feast_error *err) {
  feast_code rc = open_dataset(s, r, 0, out, err);
  return rc ? feast_error_prefix(err, "batch source %s: ", s->file.file_url) : FEAST_OK;
}

/* Footers only: no row group is decoded, so no decoding threads. */
static feast_code file_schema(const feast_data_source *s, const char *const *columns, int ncols, feast_batch **out,
                              feast_error *err) {
  feast_batch_read r = {columns, ncols, false, 0, 0, 1, 0};
  feast_batch_source *src;
  /* On S3 every footer is a request: the schema is the first object's, and
   * the others are checked against it when they are read. */
  feast_code rc = open_dataset(s, &r, feast_s3_is_url(s->file.file_url), &src, err);
  if (rc) return rc;
  rc = feast_parquet_source_schema(src, out, err);
  src->close(src);
  return rc;
}

const feast_connector feast_file_connector = {
    .name = "file",
    .type = FEAST_SOURCE_FILE,
    .open_batch = file_open,
    .schema = file_schema,
    .num_rows = feast_parquet_dataset_num_rows,
};
