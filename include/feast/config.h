/*
 * config.h - feature_store.yaml, the repository configuration the CLI and
 * the daemons read:
 *
 *   project: driver_ranking            # default "default"
 *   registry: data/registry.db         # SQLite path (relative to this file's
 *                                      # folder) or postgresql://... URL
 *   online_store:                      # default {type: lmdb, path: data/online_store}
 *     type: lmdb | redis | redis_cluster
 *     ...settings of that type
 *   offline_store:                     # optional
 *     type: file | bigquery
 *   streams:                           # optional: stream ingestion (docs/streams.md)
 *     start_from: latest               # earliest | latest | an RFC 3339 timestamp
 *     max_batch_rows: 10000
 *     max_batch_delay: 1s
 *     dead_letter: {type: parquet, path: data/dead_letters}   # or {type: kafka, topic: T}
 *     schema_registry_url: http://...  # Confluent-framed Avro
 *     kafka: {security.protocol: SSL, ...}   # librdkafka properties, passed through
 *   bigquery:                          # optional: BigQuery sources (docs/bigquery.md)
 *     project: my-project              # jobs run (and are billed) here
 *     location: US
 *     endpoint: http://127.0.0.1:9050  # REST API (emulators); no auth unless credentials is given
 *     storage_endpoint: 127.0.0.1:9060 # Storage Read API gRPC (emulators, plaintext)
 *     credentials: key.json            # service-account key or gcloud user credentials file
 *     staging_dataset: feast_staging   # temporary tables (uploaded entity rows, results)
 *     pushdown: auto                   # auto | always | never: the point-in-time join in BigQuery
 *     read_streams: 4                  # Storage Read API streams read at once
 *     read_format: arrow               # arrow | avro
 *   aws:                               # optional: s3:// sources, Kinesis (docs/aws.md)
 *     region: us-east-1
 *     s3_endpoint_url: http://127.0.0.1:5000   # also endpoint_url, profile, credentials, ...
 *   serve:                             # optional: `feast serve` (docs/serve.md)
 *
 * Unknown keys are errors naming the key and its line. Store settings are
 * kept as parsed strings for the modules that use them (lists are joined
 * with commas; redis_cluster startup_nodes given as {host, port} mappings
 * become "host:port"); paths are made absolute.
 */
#ifndef FEAST_CONFIG_H
#define FEAST_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "feast/error.h"
#include "feast/export.h"
#include "feast/spec.h"

typedef struct feast_backend_config {
  char *type;         /* "lmdb", "redis", "redis_cluster"; "file", "bigquery" */
  feast_map settings; /* every other key of the mapping, in file order */
} feast_backend_config;

/* The `streams:` section. Zero values mean the defaults. */
typedef struct feast_stream_config {
  char *start_from;            /* "earliest", "latest" or a timestamp; NULL = latest */
  int64_t max_batch_rows;
  int64_t max_batch_delay_ms;
  feast_backend_config dead_letter; /* type "parquet" (path, absolute) or "kafka" (topic, bootstrap_servers); type NULL = none */
  char *schema_registry_url;
  feast_map kafka; /* librdkafka properties, in file order, checked by the Kafka connector at start */
  feast_map kinesis; /* Kinesis connector settings (docs/aws.md), checked by it at start */
} feast_stream_config;

/* The `bigquery:` section; NULL/0 = the defaults (docs/bigquery.md). */
typedef struct feast_bigquery_config {
  char *project;          /* the project jobs run in; NULL = the table's project */
  char *location;         /* NULL = the dataset's location */
  char *endpoint;         /* REST API base URL; NULL = BIGQUERY_EMULATOR_HOST, else Google's */
  char *storage_endpoint; /* Storage Read API host:port; NULL = BIGQUERY_STORAGE_EMULATOR_HOST, else Google's */
  char *credentials;      /* absolute path of a credentials file; NULL = the application-default chain */
  char *staging_dataset;  /* NULL = "feast_staging" */
  char *pushdown;         /* "auto" (NULL), "always" or "never" */
  int64_t read_streams;   /* 0 = 4 */
  char *read_format;      /* "arrow" (NULL) or "avro": the Storage Read API's format */
} feast_bigquery_config;

typedef struct feast_config {
  char *path;     /* the file read (absolute); NULL when built from defaults */
  char *dir;      /* absolute folder relative paths resolve against */
  char *project;  /* never NULL after a successful load */
  char *registry; /* absolute SQLite path or a postgresql:// URL */
  feast_backend_config online_store;
  bool has_offline_store;
  feast_backend_config offline_store;
  feast_stream_config streams;
  bool has_bigquery;
  feast_bigquery_config bigquery;
  bool has_aws;
  feast_map aws; /* the `aws:` section's keys and values (docs/aws.md) */
  struct serve_config *serve; /* the serve: section (src/serve/serve.h); NULL = not given */
} feast_config;

/* Read `path` (*out is overwritten). The caller owns *out: release it with
 * feast_config_clear. */
FEAST_API feast_code feast_config_load(const char *path, feast_config *out, feast_error *err);
/* The same for text in memory: `name` is used in messages, `dir` is the
 * folder relative paths resolve against. */
FEAST_API feast_code feast_config_parse_text(const char *text, size_t len, const char *name, const char *dir,
                                             feast_config *out, feast_error *err);
/* The configuration of a folder without feature_store.yaml: every default. */
FEAST_API feast_code feast_config_defaults(const char *dir, feast_config *out, feast_error *err);
FEAST_API void feast_config_clear(feast_config *c);

#endif
