/*
 * store.h - a feature store: one project of a configured repository (its
 * registry, online store and batch sources) behind one handle. This is the
 * API the CLI and the Python SDK call; the engines below it (retrieval.h,
 * ingest.h, online.h) take specs and sources explicitly.
 *
 * Threads: a feast_store handle is thread-safe. Historical retrieval,
 * online reads and ingestion may run on many threads at once through one
 * handle; they read specs from an immutable registry snapshot that the
 * handle swaps when the registry's revision moves. Exceptions, marked
 * below: feast_store_registry's handle and feast_store_entity_column_types.
 */
#ifndef FEAST_STORE_H
#define FEAST_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "feast/arrow.h"
#include "feast/config.h"
#include "feast/csv.h"
#include "feast/error.h"
#include "feast/export.h"
#include "feast/ingest.h"
#include "feast/online.h"
#include "feast/registry.h"
#include "feast/retrieval.h"
#include "feast/stream_ingest.h"

typedef struct feast_store feast_store;

/* Open the repository configured by `config_path`: a feature_store.yaml, or
 * a repository folder (its feature_store.yaml, else the defaults for that
 * folder). NULL looks for $FEAST_CONFIG, then ./feature_store.yaml, else uses
 * the defaults for the current folder. `project` NULL = the configuration's project. The
 * registry is opened now; the online store on first use. The caller owns
 * *out: release it with feast_store_free. */
FEAST_API feast_code feast_store_open(const char *config_path, const char *project, feast_store **out,
                                      feast_error *err);
FEAST_API void feast_store_free(feast_store *s); /* accepts NULL */

/* Make `s` use `owner`'s online store (opened on first use by either)
 * instead of opening its own: several projects of one repository in one
 * process, where LMDB allows one open environment. `owner` must outlive
 * `s`; call before `s` touches its online store. */
FEAST_API void feast_store_share_online(feast_store *s, feast_store *owner);

/* How often at most the store checks the registry's revision to pick up
 * specs applied elsewhere (another process, another handle): 0, the
 * default, checks on every call; a server sets a few hundred ms. */
FEAST_API void feast_store_set_registry_refresh(feast_store *s, int interval_ms);

/* Borrowed: valid until the store is freed. The registry handle is for one
 * thread at a time, and not while other threads use the store (a server
 * opens a registry of its own for writes). */
FEAST_API const feast_config *feast_store_get_config(const feast_store *s);
FEAST_API const char *feast_store_project(const feast_store *s);
FEAST_API feast_registry *feast_store_registry(feast_store *s);
/* The online store, opened on first call. Borrowed: valid until the store
 * is freed. */
FEAST_API feast_code feast_store_online(feast_store *s, feast_online_store **out, feast_error *err);

/* The online store URI the configuration describes (lmdb:PATH,
 * redis://HOST:PORT, redis-cluster://H:P,...). */
FEAST_API feast_code feast_config_online_uri(const feast_config *cfg, char *uri, size_t size, feast_error *err);

typedef struct feast_historical_options {
  const char *entity_ts_column; /* NULL = "event_timestamp" */
  size_t memory_limit;          /* 0 = a quarter of RAM */
  int threads;                  /* join and source decoding threads; 0 = every core (decoding: at most 2) */
  const char *spill_dir;        /* NULL = $TMPDIR or /tmp */
  feast_retrieval_progress_fn progress;
  void *progress_ctx;
} feast_historical_options;

/* Point-in-time join of `entities` (read to the end during the call; the
 * caller closes it) with the tables `refs` ("table:feature") name. Every
 * problem (unknown tables or features, missing columns, wrong types) is
 * reported at once before any work. The caller owns *out: release it with
 * (*out)->close(*out); feast_retrieval_schema(*out) describes its columns. opts and summary may
 * be NULL. */
FEAST_API feast_code feast_store_get_historical_features(feast_store *s, const char *const *refs, size_t n_refs,
                                                         feast_batch_source *entities,
                                                         const feast_historical_options *opts, feast_batch_source **out,
                                                         feast_retrieval_summary *summary, feast_error *err);
/* The same with Arrow streams on both sides (for the Python SDK). Takes
 * ownership of `entities`; the caller owns *out: release it with its release
 * callback. */
FEAST_API feast_code feast_store_get_historical_features_arrow(feast_store *s, const char *const *refs, size_t n_refs,
                                                               struct ArrowArrayStream *entities,
                                                               const feast_historical_options *opts,
                                                               struct ArrowArrayStream *out, feast_error *err);

/* The types a CSV of entity rows should read its columns as: each
 * referenced table's entities by their declared types and the timestamp
 * column as a timestamp. Fills up to `max` entries of `types` and returns
 * how many; the names are borrowed: valid until the next call or
 * feast_store_free. One thread at a time. */
FEAST_API int feast_store_entity_column_types(feast_store *s, const char *const *refs, size_t n_refs,
                                              const char *ts_column, feast_csv_column_type *types, int max);

/* Latest values for `entity_rows` (one column per entity name; typed, or
 * STRING parsed to the declared types) of the features `refs` name
 * ("table:feature", "table:*" for all), ages measured from `at`. The caller
 * owns *out: release it with feast_online_result_free. */
FEAST_API feast_code feast_store_get_online_features(feast_store *s, const char *const *refs, size_t n_refs,
                                                     const feast_batch *entity_rows, feast_ts at,
                                                     feast_online_result **out, feast_error *err);

/* Open `table`'s batch source reading the columns ingestion needs, pruned to
 * the window in `opts` (NULL = no window). The caller closes *out. */
FEAST_API feast_code feast_store_open_table_source(feast_store *s, const char *table, const feast_ingest_options *opts,
                                                   feast_batch_source **out, feast_error *err);

/* Ingest `rows` (NULL = the table's batch source, read with projection and
 * window pruning) into the online store. opts->project is ignored (the
 * store's project is used). */
FEAST_API feast_code feast_store_ingest(feast_store *s, const char *table, feast_batch_source *rows,
                                        const feast_ingest_options *opts, feast_ingest_summary *summary,
                                        feast_error *err);

/* ---- stream ingestion ---- */

/* Overrides of feature_store.yaml's streams: section; zero values keep it. */
typedef struct feast_stream_run_options {
  const char *start_from; /* "earliest", "latest" or a timestamp: for a group with no committed position */
  const char *group_id;   /* NULL = "feast-<project>-<table>" */
  int64_t max_batch_rows;
  int max_batch_delay_ms;
  const char *dead_letter_path; /* a folder for Parquet dead letters; NULL = the config's sink, else none */
  bool until_caught_up;
  /* Polled between batches: true finishes the batch in hand (flush, commit)
   * and returns. Called from the consuming thread. */
  bool (*should_stop)(void *ctx);
  void *stop_ctx;
  /* After every flush (from the consuming thread): counters and the lag of
   * each partition or shard (borrowed: valid during the call). */
  void (*progress)(void *ctx, const char *table, const feast_stream_counters *c, const feast_stream_lag *lag,
                   size_t n_lag);
  void *progress_ctx;
  /* Why a subscription was reopened (a spec change), for the log. */
  void (*notice)(void *ctx, const char *table, const char *message);
  /* At the end, once per cause: the dead letters made durable with that
   * cause ("truncated", "null entity key", ...). Called with progress_ctx. */
  void (*dead_letters)(void *ctx, const char *table, const char *cause, int64_t n);
} feast_stream_run_options;

/* Consume `table`'s stream source into the online store until caught up
 * (when asked), should_stop, or a failure that is not retriable (at least
 * once: feast/stream_ingest.h). When the table's spec changes while it
 * runs, the batch in hand is committed and the subscription reopened with
 * the new spec (`notice` says so); when the table is deleted, it stops with
 * an error. Thread-safe: one call per table, on as many threads as there
 * are tables. `live` (may be NULL) is kept up to date while it runs. */
FEAST_API feast_code feast_store_stream_ingest(feast_store *s, const char *table, const feast_stream_run_options *opts,
                                               feast_stream_counters *live, feast_error *err);

#endif

