/*
 * source.c - data sources as batch sources: file sources through the
 * Parquet dataset reader, user files through the CSV or Parquet readers.
 */
#include "feast/source.h"

#include <string.h>
#include <strings.h>

#include "engine/source_internal.h"
#include "feast/parquet.h"

static feast_code file_source_check(const feast_data_source *s, feast_error *err) {
  if (s->type == FEAST_SOURCE_FILE && s->file.file_url) return FEAST_OK;
  if (s->type == FEAST_SOURCE_BIGQUERY)
    return feast_fail(err, FEAST_E_UNSUPPORTED,
                      "BigQuery batch source %s: reading BigQuery is not available in this build; "
                      "export the table to Parquet and register a file source",
                      s->bigquery.table_ref ? s->bigquery.table_ref : "");
  return feast_fail(err, FEAST_E_INVALID, "the batch source is not a file source");
}

feast_code feast_source_open(const feast_data_source *s, const char *const *columns, int ncols, bool prune,
                             feast_ts lo, feast_ts hi, feast_batch_source **out, feast_error *err) {
  return feast_source_open_bounded(s, columns, ncols, prune, lo, hi, 0, 0, out, err);
}

feast_code feast_source_open_bounded(const feast_data_source *s, const char *const *columns, int ncols, bool prune,
                                     feast_ts lo, feast_ts hi, int threads, int64_t ahead_bytes,
                                     feast_batch_source **out, feast_error *err) {
  feast_code rc = file_source_check(s, err);
  if (rc) return rc;
  feast_parquet_range ranges[2];
  int nranges = 0;
  if (prune) {
    ranges[nranges++] = (feast_parquet_range){s->event_timestamp_column, lo, hi};
    if (s->date_partition_column) ranges[nranges++] = (feast_parquet_range){s->date_partition_column, lo, hi};
  }
  feast_parquet_dataset_options o;
  memset(&o, 0, sizeof o);
  o.columns = columns;
  o.ncolumns = ncols;
  o.ranges = ranges;
  o.nranges = nranges;
  o.date_partition_column = s->date_partition_column;
  o.read.threads = threads;
  o.read.max_ahead_bytes = ahead_bytes;
  rc = feast_parquet_dataset_open(s->file.file_url, &o, out, err);
  return rc ? feast_error_prefix(err, "batch source %s: ", s->file.file_url) : FEAST_OK;
}

feast_code feast_source_schema(const feast_data_source *s, feast_batch **out, feast_error *err) {
  feast_batch_source *src;
  feast_code rc = feast_source_open(s, NULL, 0, false, 0, 0, &src, err);
  if (rc) return rc;
  rc = feast_parquet_source_schema(src, out, err);
  src->close(src);
  return rc;
}

int64_t feast_source_num_rows(const feast_batch_source *src) { return feast_parquet_dataset_num_rows(src); }

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static feast_code copy_schema(const feast_batch *from, feast_batch **out, feast_error *err) {
  feast_batch *b = feast_batch_new(from->num_columns);
  if (!b) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int i = 0; i < from->num_columns; i++) {
    const feast_array *c = from->columns[i];
    feast_array *e = feast_array_new(c->type, c->child ? c->child->type : feast_dtype_make(FEAST_DT_NULL));
    feast_code rc =
        e ? feast_batch_set_column(b, i, from->names[i], e, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (rc) {
      feast_batch_free(b);
      return rc;
    }
  }
  *out = b;
  return FEAST_OK;
}

feast_code feast_rows_open(const char *path, const feast_csv_column_type *types, int ntypes, feast_batch_source **out,
                           feast_batch **schema, feast_error *err) {
  feast_code rc;
  if (ends_with(path, ".csv")) {
    feast_csv_options o;
    feast_csv_options_init(&o);
    o.types = types;
    o.num_types = ntypes;
    if ((rc = feast_csv_open(path, &o, out, err))) return rc;
    rc = copy_schema(feast_csv_schema(*out), schema, err);
  } else {
    if ((rc = feast_parquet_dataset_open(path, NULL, out, err))) return rc;
    rc = feast_parquet_source_schema(*out, schema, err);
  }
  if (rc) (*out)->close(*out);
  return rc;
}
