/*
 * source.h - opening the rows a feature table's data source describes, and
 * files of rows given by users.
 *
 * Every source type has a connector (src/source/): file sources (Parquet
 * files, folders, globs, hive partitions) are batch sources; Kafka and
 * Kinesis sources are stream sources (feast/stream.h); BigQuery sources are
 * batch sources where this build has the BigQuery connector. Opening a
 * source of a type this build cannot read fails with FEAST_E_UNSUPPORTED
 * naming the source.
 */
#ifndef FEAST_SOURCE_H
#define FEAST_SOURCE_H

#include <stdbool.h>

#include "feast/arrow.h"
#include "feast/csv.h"
#include "feast/error.h"
#include "feast/export.h"
#include "feast/spec.h"
#include "feast/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Open batch source `s` reading source `columns` (NULL/0 = all) and, when
 * `prune`, skipping row groups and date partitions that cannot hold an
 * event time in [lo, hi] (rows inside kept ones are not filtered). The
 * caller owns *out: release it with (*out)->close(*out). */
FEAST_API feast_code feast_source_open(const feast_data_source *s, const char *const *columns, int ncols, bool prune,
                                       feast_ts lo, feast_ts hi, feast_batch_source **out, feast_error *err);

/* The source's columns as a batch with no rows (reads only metadata:
 * footers, table schemas). The caller owns *out: release it with
 * feast_batch_free. */
FEAST_API feast_code feast_source_schema(const feast_data_source *s, feast_batch **out, feast_error *err);

/* The number of rows a source from feast_source_open will yield before
 * row filtering, when cheaply known (Parquet footers), else -1. */
FEAST_API int64_t feast_source_num_rows(const feast_batch_source *src);

/* A file source's fileUrl is a path or file:// URL in which `*`, `?` and
 * `[...]` are glob(7) patterns, unless escaped with a backslash (`\*`,
 * `\?`, `\[`, and `\\` for a backslash). Writes `path` escaped so it
 * means only itself, NUL-terminated, into out[0..size); returns the length
 * it needs (without the NUL), like snprintf. */
FEAST_API size_t feast_file_url_escape(const char *path, char *out, size_t size);
/* The inverse for a fileUrl without patterns: true with the path it names
 * in out (file:// dropped, escapes removed); false when it is a pattern
 * (or does not fit). */
FEAST_API bool feast_file_url_literal(const char *url, char *out, size_t size);

/* How a stream subscription is opened. Zero-initialize, then set. */
typedef struct feast_stream_options {
  /* The columns to decode, and their types, come from the table's
   * entities (entity_types[i] for table->entities[i]), features and
   * timestamp columns, through the source's field_mapping. */
  const feast_feature_table_spec *table;
  const feast_value_type *entity_types;
  const char *project;  /* NULL = "default"; names the default consumer group */
  const char *group_id; /* NULL = "feast-<project>-<table>" */
  /* Where a group with no committed position starts: "earliest",
   * "latest" (NULL: as Feast 0.9 did) or an RFC 3339 timestamp. */
  const char *start;
  const feast_map *settings; /* connector settings from feature_store.yaml; NULL = none */
  const char *schema_registry_url; /* Confluent-framed Avro messages; NULL = raw datums */
  /* Kinesis: streams.kinesis of feature_store.yaml (endpoint_url,
   * get_records_limit, idle_interval_ms, min_interval_ms,
   * max_queued_records); NULL = the defaults. */
  const feast_map *kinesis_settings;
  /* The `aws:` section of feature_store.yaml (region, credentials,
   * endpoints, HTTP limits: docs/aws.md); NULL = the environment only. */
  const feast_map *aws;
  /* Where the connector reads the positions it keeps beside the rows
   * (Kinesis checkpoints); NULL = none kept (start from `start`). */
  struct feast_online_store *online;
} feast_stream_options;

/* Subscribe to stream source `s` (every partition or shard). The caller
 * owns *out: release it with (*out)->close(*out). */
FEAST_API feast_code feast_stream_open(const feast_data_source *s, const feast_stream_options *o,
                                       feast_stream_source **out, feast_error *err);

/* Open a file of rows: a .csv file (column types in `types` override the
 * inference) or a Parquet file, folder or glob. *schema is a batch with no
 * rows describing the columns. The caller owns *schema and *out: release
 * them with feast_batch_free and (*out)->close(*out). */
FEAST_API feast_code feast_rows_open(const char *path, const feast_csv_column_type *types, int ntypes,
                                     feast_batch_source **out, feast_batch **schema, feast_error *err);

#ifdef __cplusplus
}
#endif
#endif
