/*
 * retrieval.h - historical retrieval: the point-in-time join that builds
 * training sets ("get historical features").
 *
 * For every entity row and every referenced feature table, the engine picks
 * the table's source row with the same entity key and
 *     entity_ts - max_age <= event_ts <= entity_ts
 * (no lower bound when the table has no max_age), the latest event_ts, then
 * the latest created_ts, then the later row in source order. Its features
 * fill the row; no candidate gives nulls. Entity rows are never dropped,
 * merged or reordered. See docs/retrieval.md for every rule.
 *
 * Inputs are feast_batch_sources (any reader); the feature tables' sources
 * are opened through a callback so the caller decides how (Parquet dataset
 * reader with projection and time-range pruning). Memory is bounded by
 * `memory_limit`: larger inputs are partitioned by entity-key hash into
 * temporary files and joined partition by partition, with the same result.
 */
#ifndef FEAST_RETRIEVAL_H
#define FEAST_RETRIEVAL_H

#include <stddef.h>
#include <stdint.h>

#include "feast/array.h"
#include "feast/arrow.h"
#include "feast/error.h"
#include "feast/export.h"
#include "feast/spec.h"

/* One feature table the request may reference. */
typedef struct feast_retrieval_table {
  const feast_feature_table_spec *spec; /* borrowed for the call */
  /* The value type of each of spec->entities (same order), from the
   * registry's entity specs. */
  const feast_value_type *entity_types;
} feast_retrieval_table;

/* Open the batch source of `table` reading only `columns` (source column
 * names, after field_mapping; NULL = every column) and, where the source can
 * prune, only rows with ts_lo <= event_ts <= ts_hi (microseconds; the engine
 * filters rows itself too, so pruning may be coarse). The engine closes the
 * source. */
typedef feast_code (*feast_retrieval_open_fn)(void *ctx, const feast_feature_table_spec *table,
                                              const char *const *columns, int n_columns, feast_ts ts_lo,
                                              feast_ts ts_hi, feast_batch_source **out, feast_error *err);

/* Optional: the schema of the table's batch source as a batch with zero
 * rows (a Parquet footer read). The engine frees it. When NULL, the engine
 * opens the source with every column and reads its first batch. */
typedef feast_code (*feast_retrieval_schema_fn)(void *ctx, const feast_feature_table_spec *table, feast_batch **out,
                                                feast_error *err);

/* Progress: phase is "entities", "read <table>", "join <table>",
 * "spill <table>"; done/total count rows (total -1 when unknown). Called
 * from the calling thread only. */
typedef void (*feast_retrieval_progress_fn)(void *ctx, const char *phase, int64_t done, int64_t total);

typedef struct feast_retrieval_request {
  /* Entity rows. Read to the end during feast_historical_retrieve; the
   * caller keeps ownership and closes it afterwards. */
  feast_batch_source *entities;
  const char *entity_ts_column; /* NULL = "event_timestamp" */

  size_t n_refs;
  const char *const *refs; /* "table:feature" */

  size_t n_tables;
  const feast_retrieval_table *tables; /* every table refs may name */

  feast_retrieval_open_fn open_source;
  feast_retrieval_schema_fn source_schema; /* optional */
  void *source_ctx;

  size_t memory_limit;   /* bytes; 0 = a quarter of physical memory */
  int threads;           /* 0 = the number of online cores */
  const char *spill_dir; /* NULL = $TMPDIR, else /tmp */
  int spill_partitions;  /* 0 = 64; used only when spilling */

  feast_retrieval_progress_fn progress; /* optional */
  void *progress_ctx;
} feast_retrieval_request;

typedef struct feast_retrieval_summary {
  int64_t entity_rows;
  int64_t source_rows;   /* feature rows read, all tables */
  int64_t matched;       /* (entity row, table) pairs that found a feature row */
  int n_tables;
  int tables_spilled;    /* tables joined through temporary files */
  int partitions;        /* spill partitions per spilled table */
  double seconds;        /* time spent inside feast_historical_retrieve */
} feast_retrieval_summary;

/* Run the join. Every problem with the request (unknown table or feature,
 * missing or wrongly typed columns in the entity rows or a source) is
 * reported at once, one per line, before any work: FEAST_E_NOT_FOUND when
 * only references are unknown, FEAST_E_SCHEMA otherwise.
 *
 * On success *out yields the output batches in entity-row order: every
 * entity column as it came, then `table__feature` per reference (tables in
 * first-reference order, features in reference order). Output batches have
 * the entity input's batch boundaries. The caller owns *out: release it with
 * (*out)->close(*out); it does not borrow from `req`. `summary` may be NULL. */
FEAST_API feast_code feast_historical_retrieve(const feast_retrieval_request *req, feast_batch_source **out,
                                               feast_retrieval_summary *summary, feast_error *err);

/* The same, exported as an Arrow C stream (for the Python SDK). The caller
 * owns *out: release it with its release callback. */
FEAST_API feast_code feast_historical_retrieve_stream(const feast_retrieval_request *req, struct ArrowArrayStream *out,
                                                      feast_retrieval_summary *summary, feast_error *err);

/* The output schema of a source returned by feast_historical_retrieve: a
 * batch with zero rows. Borrowed: valid until the source is closed. */
FEAST_API const feast_batch *feast_retrieval_schema(const feast_batch_source *out);

#endif
