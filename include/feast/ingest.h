/*
 * ingest.h - batch ingestion into an online store.
 *
 * Rows from a batch source go through: field mapping (feast_source_column)
 * -> a type check of every needed column against the table spec (before any
 * write) -> row validation (entity values and event timestamp present) ->
 * the time window -> dedup per entity key within each batch, and across the
 * batches pending a write-out (latest event timestamp, ties broken by the latest
 * created timestamp; exact ties keep the first row seen) -> a write that
 * replaces a stored row only when the new (event_ts, created_ts) is newer.
 * Each key's write is atomic: a failure part-way leaves only whole rows.
 *
 * Column types must match the spec exactly, except for these widenings:
 * INT32 -> INT64, FLOAT -> DOUBLE, a timestamp of any unit ->
 * UNIX_TIMESTAMP (also inside lists). Event and created timestamp columns
 * may be timestamps of any unit or DATE32.
 */
#ifndef FEAST_INGEST_H
#define FEAST_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "feast/array.h"
#include "feast/arrow.h"
#include "feast/error.h"
#include "feast/export.h"
#include "feast/online.h"
#include "feast/spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called once per rejected row. `row` is 0-based within `batch`;
 * `source_row` counts across the whole source. `reason` and `batch` are
 * valid only during the call. */
typedef void (*feast_dead_letter_fn)(void *ctx, const feast_batch *batch, int64_t row, int64_t source_row,
                                     const char *reason);

typedef struct feast_ingest_options {
  const char *project; /* NULL = "default" */
  /* Where field_mapping and the timestamp column names come from; NULL =
   * the table's batch_source (pass &table->stream_source for streams). */
  const feast_data_source *source;
  bool has_start;      /* window: start <= event_ts */
  feast_ts start;
  bool has_end; /* window: event_ts < end */
  feast_ts end;
  feast_dead_letter_fn dead_letter;
  void *dead_letter_ctx;
  size_t write_chunk; /* Redis: keys per write call (grouped by slot, sent as multi-key scripts); 0 = 262144. LMDB commits each write-out in one transaction */
  /* feast_ingest also deduplicates across consecutive batches: the winning
   * rows are kept (encoded) until about this many bytes are pending, then
   * written, and at the end of the source. 0 = 256 MiB. Set
   * write_each_batch for sources that never end (streams), so each batch is
   * written before the next one is read. */
  size_t dedup_bytes;
  bool write_each_batch;
  /* Rows the source will yield, when known (feast_source_num_rows): sizes
   * feast_ingest's dedup table up front. 0 = unknown. */
  int64_t expected_rows;
} feast_ingest_options;

typedef struct feast_ingest_summary {
  int64_t read;          /* rows read from the source */
  int64_t written;       /* keys written to the store */
  int64_t skipped_older; /* rows that lost to a newer row, in the batch or in the store */
  int64_t rejected;      /* invalid rows (sent to the dead-letter callback) */
  int64_t out_of_window; /* rows outside [start, end) */
  char first_reject[256]; /* the first rejection's reason, "" when none */
} feast_ingest_summary;

/* An ingestion in progress, step by step, for sources of every shape: feed
 * batches (each is validated, windowed and deduplicated into the pending
 * winners at once; the caller may free it after the call), flush (every
 * row fed so far is then durable in the online store), feed more. A batch
 * run feeds until its source ends; a stream consumer flushes before it
 * commits its source positions (feast/stream.h). Feeding writes out by
 * itself when opts->dedup_bytes are pending, or after every batch with
 * opts->write_each_batch.
 *
 * `store`, `table`, `entities` (declared types of the table's entities)
 * and what `opts` points to are borrowed: they must outlive the
 * ingestion. One ingestion is used by one thread at a time; several may
 * write to one store at once. */
typedef struct feast_ingestion feast_ingestion;

/* The caller owns *out and releases it with feast_ingestion_free (which
 * does not flush). */
FEAST_API feast_code feast_ingestion_begin(feast_online_store *store, const feast_feature_table_spec *table,
                                           const feast_entity_spec *entities, size_t n_entities,
                                           const feast_ingest_options *opts, feast_ingestion **out,
                                           feast_error *err);
FEAST_API feast_code feast_ingestion_feed(feast_ingestion *in, const feast_batch *batch, feast_error *err);
FEAST_API feast_code feast_ingestion_flush(feast_ingestion *in, feast_error *err);
/* Keys waiting for the next write-out. */
FEAST_API size_t feast_ingestion_pending(const feast_ingestion *in);
/* What happened so far. Borrowed: valid until the next call on `in`. */
FEAST_API const feast_ingest_summary *feast_ingestion_summary(const feast_ingestion *in);
FEAST_API void feast_ingestion_free(feast_ingestion *in); /* accepts NULL */

/* Ingest every batch of `src` into the store for `table`. `entities` gives
 * the declared types of the table's entities. The source stays the
 * caller's (not closed). The summary is filled even on failure (what was
 * done before the failure). */
FEAST_API feast_code feast_ingest(feast_online_store *store, const feast_feature_table_spec *table,
                                  const feast_entity_spec *entities, size_t n_entities, feast_batch_source *src,
                                  const feast_ingest_options *opts, feast_ingest_summary *summary, feast_error *err);

/* The same for one batch already in memory; summary counts are added to. */
FEAST_API feast_code feast_ingest_batch(feast_online_store *store, const feast_feature_table_spec *table,
                                        const feast_entity_spec *entities, size_t n_entities, const feast_batch *batch,
                                        const feast_ingest_options *opts, feast_ingest_summary *summary,
                                        feast_error *err);

#ifdef __cplusplus
}
#endif
#endif
