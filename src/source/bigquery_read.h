/*
 * bigquery_read.h - a BigQuery table read as a feast_batch_source through
 * the Storage Read API: one read session (selected fields, a row
 * restriction), its streams read by worker threads at once, each response
 * decoded into a batch (Arrow IPC by format/arrow, or Avro rows by
 * format/avro), and the
 * batches handed out through a bounded queue, so memory stays at a few
 * responses per worker however large the table.
 *
 * Batches come in the order the streams deliver them: a BigQuery table has
 * no row order. The source is used by one thread at a time (its workers are
 * its own); close() stops the workers and cancels their calls.
 */
#ifndef FEAST_SOURCE_BIGQUERY_READ_H
#define FEAST_SOURCE_BIGQUERY_READ_H

#include <stdbool.h>
#include <stdint.h>

#include "cloud/gcp/bq_api.h"
#include "feast/arrow.h"

typedef struct feast_bq_reader_options {
  feast_bq *client;               /* borrowed; the reader takes its own reference */
  const feast_bq_ref *table;      /* a table (not a view) */
  const feast_bq_table *meta;     /* its schema (tables.get, or a query's result schema) */
  const char *const *columns;     /* source columns; NULL/0 = every field */
  int ncols;
  const char *row_restriction;    /* NULL = every row */
  int streams;                    /* streams to ask for; 0 = the client's read_streams */
  int threads;                    /* streams read at once; 0 = streams */
  int64_t ahead_bytes;            /* decoded bytes queued ahead of the consumer; 0 = 4 responses per worker */
  bool drop_table;                /* delete the table when the source closes (a temporary result) */
  const char *label;              /* for messages: "batch source p:d.t" */
  int format;                     /* FEAST_BQ_ARROW or FEAST_BQ_AVRO (bq_storage.h); 0 = bigquery.read_format */
} feast_bq_reader_options;

/* Open the session and start the workers. A column the table lacks is
 * FEAST_E_SCHEMA naming it and listing the table's; one of a type this
 * build cannot read is FEAST_E_UNSUPPORTED (bigquery_types.h). The caller
 * owns *out: release it with (*out)->close(*out). */
feast_code feast_bq_reader_open(const feast_bq_reader_options *o, feast_batch_source **out, feast_error *err);

/* Whether src is a reader of this module; its session's estimated row
 * count (or the table's) when it is, else -1. */
bool feast_bq_reader_is(const feast_batch_source *src);
int64_t feast_bq_reader_num_rows(const feast_batch_source *src);

/* Statistics of a reader so far: rows, response bytes, streams. */
typedef struct feast_bq_reader_stats {
  int64_t rows;
  int64_t bytes;
  int streams;
  int64_t estimated_bytes_scanned;
} feast_bq_reader_stats;
void feast_bq_reader_get_stats(const feast_batch_source *src, feast_bq_reader_stats *out);

/* The empty batch of the columns a reader yields (names and types as read). */
feast_code feast_bq_reader_schema(const feast_batch_source *src, feast_batch **out, feast_error *err);

#endif
