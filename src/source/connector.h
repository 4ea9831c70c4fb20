/*
 * connector.h - the source connectors behind one small table of functions,
 * the way the online backends sit behind feast_online_backend: the engines
 * and the registry's source check open sources only through this table, and
 * each connector (file.c; bigquery, kafka, kinesis as they arrive) fills it
 * in for its DataSource type.
 *
 * Two shapes, either of which a connector may leave NULL:
 *   - batch: open with a projection, a time range to prune with, a thread
 *     and read-ahead budget, and read feast_batch_source batches; schema()
 *     describes the source's columns from metadata alone (footers, table
 *     schemas) for the check at apply;
 *   - stream: open a subscription (feast/stream.h has the contract).
 */
#ifndef FEAST_SOURCE_CONNECTOR_H
#define FEAST_SOURCE_CONNECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "feast/arrow.h"
#include "feast/source.h"
#include "feast/spec.h"
#include "feast/stream.h"

/* What a batch read asks of a source. */
typedef struct feast_batch_read {
  const char *const *columns; /* source columns to read; NULL/0 = all */
  int ncols;
  bool prune; /* skip what cannot hold an event time in [lo, hi] (row groups, partitions) */
  feast_ts lo, hi;
  int threads;         /* decoding threads; 0 = the connector's default */
  int64_t ahead_bytes; /* cap on what is decoded ahead of the consumer; 0 = none */
} feast_batch_read;

typedef struct feast_connector {
  const char *name; /* "file", "bigquery", "kafka", "kinesis" */
  feast_source_type type;
  feast_code (*open_batch)(const feast_data_source *s, const feast_batch_read *r, feast_batch_source **out,
                           feast_error *err);
  /* The source's columns (NULL/0 = all, else those named) as a batch with
   * no rows; the caller frees it. */
  feast_code (*schema)(const feast_data_source *s, const char *const *columns, int ncols, feast_batch **out,
                       feast_error *err);
  /* Rows a batch source opened here will yield before filtering, when known cheaply; else -1. */
  int64_t (*num_rows)(const feast_batch_source *src);
  feast_code (*open_stream)(const feast_data_source *s, const feast_stream_options *o, feast_stream_source **out,
                            feast_error *err);
} feast_connector;

/* The connector for a source type, or NULL when this build has none. */
const feast_connector *feast_connector_for(feast_source_type type);

/* feast_source_open with the whole read request (threads and read-ahead
 * too): what the engines call. */
feast_code feast_source_open_read(const feast_data_source *s, const feast_batch_read *r, feast_batch_source **out,
                                  feast_error *err);

/* The connectors (each in its own file). */
extern const feast_connector feast_file_connector;
extern const feast_connector feast_bigquery_connector;
extern const feast_connector feast_kafka_connector;
extern const feast_connector feast_kinesis_connector;

#endif
