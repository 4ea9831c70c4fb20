/*
 * online.h - online stores and online reads.
 *
 * An online store keeps the latest row per (project, feature table, entity
 * key): LMDB (embedded, the default), Redis, or Redis Cluster. The Redis
 * layout is byte-compatible with Feast 0.9 (docs/online.md), so Feast's
 * serving and SDK read what we write and vice versa.
 *
 * feast_online_read answers "the latest value of these features for these
 * entity rows" with a status per value, as Feast Serving does.
 */
#ifndef FEAST_ONLINE_H
#define FEAST_ONLINE_H

#include <stddef.h>
#include <stdint.h>

#include "feast/array.h"
#include "feast/error.h"
#include "feast/export.h"
#include "feast/spec.h"
#include "feast/time.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct feast_online_store feast_online_store;

/* Zero-initialize, then set what you need; 0 means the default. */
typedef struct feast_online_options {
  size_t lmdb_map_size;   /* LMDB map size in bytes; default 1 GiB (sparse) */
  int connect_timeout_ms; /* Redis: default 2000 */
  int command_timeout_ms; /* Redis: default 5000 */
  int max_retries;        /* Redis: reconnects/redirects per command; default 5 */
  int retry_backoff_ms;   /* Redis: first back-off, doubled per retry (max 1 s); default 20 */
} feast_online_options;

/* Open a store by URI:
 *   "lmdb:PATH" / "lmdb://PATH" / a plain PATH  - an LMDB directory (created)
 *   "redis://HOST:PORT"                         - one Redis server
 *   "redis-cluster://HOST:PORT[,HOST:PORT...]"  - a Redis Cluster (seed nodes)
 * `opts` may be NULL. The caller owns *out: release it with
 * feast_online_store_free. A handle is thread-safe: many threads may read
 * and write through it at once (LMDB readers renew transactions from a
 * pool; Redis calls take pooled connections). Open one handle per store
 * and process (LMDB forbids opening one environment twice in a process). */
FEAST_API feast_code feast_online_store_open(const char *uri, const feast_online_options *opts,
                                             feast_online_store **out, feast_error *err);
FEAST_API void feast_online_store_free(feast_online_store *s); /* accepts NULL */
/* "lmdb", "redis" or "redis_cluster". Static storage. */
FEAST_API const char *feast_online_store_kind(const feast_online_store *s);

/* Counters of the recoveries a Redis store made (all 0 for LMDB). */
typedef struct feast_online_stats {
  int64_t reconnects;
  int64_t retries;
  int64_t moved;        /* MOVED redirects followed */
  int64_t ask;          /* ASK redirects followed */
  int64_t slot_refreshes;
} feast_online_stats;
FEAST_API void feast_online_store_stats(const feast_online_store *s, feast_online_stats *out);

/* Feast's GetOnlineFeaturesResponse.FieldStatus numbering. */
typedef enum feast_field_status {
  FEAST_STATUS_INVALID = 0,
  FEAST_STATUS_PRESENT = 1,
  FEAST_STATUS_NULL_VALUE = 2,
  FEAST_STATUS_NOT_FOUND = 3,
  FEAST_STATUS_OUTSIDE_MAX_AGE = 4
} feast_field_status;
/* "PRESENT" etc. Static storage. */
FEAST_API const char *feast_field_status_name(feast_field_status s);

typedef struct feast_online_table_request {
  const feast_feature_table_spec *table; /* its entities, features, max_age */
  size_t n_features;                     /* 0 = every feature of the table */
  const char *const *features;           /* feature names, in output order */
} feast_online_table_request;

typedef struct feast_online_request {
  const char *project; /* NULL = "default" */
  size_t n_tables;
  const feast_online_table_request *tables;
  /* Declared types of (at least) every entity the tables use. */
  size_t n_entities;
  const feast_entity_spec *entities;
  /* One column per entity name, one row per entity row. Columns may be
   * typed (INT64 for an INT64 entity; INT32 widens) or STRING, which is
   * parsed to the entity's declared type. */
  const feast_batch *entity_rows;
  feast_ts at_ts; /* ages for max_age are measured from here */
} feast_online_request;

/* A result is immutable: any number of threads may read it at once. */
typedef struct feast_online_result feast_online_result;

/* Read the requested features for every entity row. Each table's key is
 * built from that table's own entities, so one request may mix tables with
 * different entity sets. The result has one "name" per entity column (in
 * entity_rows order) then one per feature ("table__feature", request order),
 * and one value per entity row. A missing key or feature is NOT_FOUND; an
 * empty stored value is NULL_VALUE; a row older than max_age at at_ts is
 * OUTSIDE_MAX_AGE (value null). The caller owns *out: release it with
 * feast_online_result_free. */
FEAST_API feast_code feast_online_read(feast_online_store *s, const feast_online_request *req,
                                       feast_online_result **out, feast_error *err);
FEAST_API void feast_online_result_free(feast_online_result *r); /* accepts NULL */

FEAST_API size_t feast_online_result_num_names(const feast_online_result *r);
FEAST_API size_t feast_online_result_num_rows(const feast_online_result *r);
/* Valid while r lives. */
FEAST_API const char *feast_online_result_name(const feast_online_result *r, size_t name);
FEAST_API feast_field_status feast_online_result_status(const feast_online_result *r, size_t name, size_t row);
/* The stored event time; 0 for entities and values that are not found. */
FEAST_API feast_ts feast_online_result_event_ts(const feast_online_result *r, size_t name, size_t row);
/* The serialized feast.types.Value (length 0 = null). Valid while r lives. */
FEAST_API const uint8_t *feast_online_result_value(const feast_online_result *r, size_t name, size_t row,
                                                   size_t *len);

/* The Feast HTTP feature server's JSON:
 * {"metadata":{"feature_names":[...]},"results":[{"values":[...],
 *  "statuses":[...],"event_timestamps":[...]},...]}
 * *out is NUL-terminated; the caller owns *out: release it with free(). */
FEAST_API feast_code feast_online_result_to_json(const feast_online_result *r, char **out, size_t *len,
                                                 feast_error *err);

/* A serialized feast.types.Value as JSON, as in the document above: null,
 * a number, a string, true/false or an array; bytes as base64. *out is
 * NUL-terminated; the caller owns *out: release it with free(). */
FEAST_API feast_code feast_value_to_json(const uint8_t *value, size_t len, char **out, size_t *out_len,
                                         feast_error *err);

/* Entity rows from text: each row is "name=value[,name=value...]" and every
 * row names the same entities. Produces STRING columns (feast_online_read
 * parses them to the declared types). The caller owns *out: release it with
 * feast_batch_free. */
FEAST_API feast_code feast_entity_rows_from_strings(const char *const *rows, size_t n_rows, feast_batch **out,
                                                    feast_error *err);

#ifdef __cplusplus
}
#endif
#endif
