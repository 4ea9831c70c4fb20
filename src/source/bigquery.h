/*
 * bigquery.h - what the BigQuery connector shares with the pushdown of
 * historical retrieval (bigquery_pit.c) and the push to offline: resolving
 * a BigQuerySource to something readable, SQL literals, and reading a
 * table back through the Storage Read API.
 */
#ifndef FEAST_SOURCE_BIGQUERY_H
#define FEAST_SOURCE_BIGQUERY_H

#include <stdbool.h>

#include "base/buf.h"
#include "cloud/gcp/bq_api.h"
#include "feast/arrow.h"
#include "feast/spec.h"

/* A BigQuerySource resolved: a table (tables.get) or a query (its
 * dry-run schema). Views and external tables are read as queries. */
typedef struct feast_bq_source {
  bool is_query;
  feast_bq_ref table;  /* when !is_query */
  char *sql;           /* the query, or SELECT * FROM `view` (owned) */
  char *project;       /* where jobs for it run (owned) */
  feast_bq_table meta; /* columns, partitioning, size */
  char label[2600];    /* "BigQuery source p.d.t" for messages */
} feast_bq_source;

/* The caller owns *out: release it with feast_bq_source_clear. */
feast_code feast_bq_source_resolve(feast_bq *c, const feast_data_source *s, feast_bq_source *out, feast_error *err);
void feast_bq_source_clear(feast_bq_source *s);

/* The source's columns (NULL/0 = all, else those named that exist) as a
 * batch with no rows, typed by bigquery_types.h; a column of a type this
 * build cannot read is FEAST_E_UNSUPPORTED. The caller owns *out: release
 * it with feast_batch_free. */
feast_code feast_bq_schema_batch(const feast_bq_source *src, const char *const *columns, int ncols, feast_batch **out,
                                 feast_error *err);

/* A source made by feast_bigquery_rows_open that has not been read yet:
 * its table or query (borrowed, valid until the source is closed), so a
 * pushed-down retrieval can use the rows in place. NULL otherwise. */
const feast_bq_source *feast_bq_rows_pending(const feast_batch_source *src);

/* "TIMESTAMP '2021-04-12 10:59:42.123456+00:00'" (or DATE / DATETIME for a
 * column of that type), clamped to BigQuery's range. */
void feast_bq_sql_time_literal(feast_ts ts, const char *bq_type, char *out, size_t cap);
/* Append a backquoted identifier (backquotes inside are refused). */
feast_code feast_bq_sql_ident(feast_buf *b, const char *name, feast_error *err);
/* Append a string literal, escaped. */
feast_code feast_bq_sql_string(feast_buf *b, const char *s, feast_error *err);

/* The predicate that keeps event times in [lo, hi] (either unbounded at
 * FEAST_TS_MIN / FEAST_TS_MAX) on the source's event timestamp column and,
 * when it has one, its date partition column; "" when neither bound. */
feast_code feast_bq_window_predicate(const feast_bq_source *src, const feast_data_source *s, feast_ts lo, feast_ts hi,
                                     feast_buf *out, feast_error *err);

/* Read a table (all of `columns`, NULL = all) through the Storage Read API
 * as a batch source; `drop` deletes it after. */
feast_code feast_bq_read_table(feast_bq *c, const feast_bq_ref *table, const feast_bq_table *meta,
                               const char *const *columns, int ncols, const char *restriction, int threads,
                               int64_t ahead_bytes, bool drop, const char *label, feast_batch_source **out,
                               feast_error *err);

/* Run `sql` into an anonymous result (or `dest`) and read it back. */
feast_code feast_bq_read_query(feast_bq *c, const char *project, const char *sql, int threads, int64_t ahead_bytes,
                               const char *label, feast_batch_source **out, feast_bq_job *job, feast_error *err);

/* A TableFieldSchema array (JSON) for a batch's columns (bigquery_types.h). */
feast_code feast_bq_fields_json(const feast_batch *b, feast_buf *out, feast_error *err);

/* Load `batches` and then what `rows` yields (either may be empty) into
 * `dest` with one load job of Parquet written by our writer: appended or
 * replacing the table, created with the columns of `schema` when missing,
 * expiring at `expires` (0 = never). */
feast_code feast_bq_load_batches(feast_bq *c, const feast_bq_ref *dest, const feast_batch *schema,
                                 feast_batch_source *rows, feast_batch *const *batches, size_t n_batches, bool append,
                                 feast_ts expires, int64_t *loaded, feast_bq_job *job, feast_error *err);

#endif
