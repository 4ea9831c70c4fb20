/*
 * stream_ingest.h - stream ingestion: a stream source (feast/stream.h)
 * consumed into an online store, at least once.
 *
 * The loop: poll the source; send undecodable messages to the dead-letter
 * sink; feed the rows to an ingestion (feast/ingest.h: the same row rules,
 * widenings and dedup as batch ingestion; rows that break a rule go to the
 * dead letters with their partition and offset); once max_batch_rows
 * messages are pending or max_batch_delay_ms has passed, make the dead
 * letters durable, flush the rows (with the connector's positions, where it
 * keeps them in the online store) and only then commit the source up to
 * the last batch fed. A crash replays at most what was not committed, and
 * a replay changes nothing, since an online write keeps the newer (event,
 * created) row: the final state is what exactly-once would give.
 *
 * Retriable failures (feast_error.retriable: a broker or store down) are
 * retried with exponential backoff (100 ms up to 5 s) until they pass or
 * the caller stops; a write that failed is written again before anything
 * is committed. Any other failure flushes and commits what is durable, and
 * returns the error.
 */
#ifndef FEAST_STREAM_INGEST_H
#define FEAST_STREAM_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "feast/error.h"
#include "feast/export.h"
#include "feast/online.h"
#include "feast/spec.h"
#include "feast/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct feast_stream_counters {
  int64_t messages;      /* consumed: rows decoded + messages that did not decode */
  int64_t rows;          /* decoded rows fed to ingestion */
  int64_t written;       /* keys written to the online store */
  int64_t skipped_older; /* rows that lost to a newer row, pending or stored */
  int64_t rejected;      /* decoded rows that broke a row rule (dead-lettered) */
  int64_t undecodable;   /* messages that did not decode (dead-lettered) */
  int64_t flushes;       /* write-outs with rows in them */
  int64_t commits;       /* source commits */
  int64_t retries;       /* retriable failures waited out */
  uint64_t committed_seq; /* the last batch committed */
} feast_stream_counters;

/* A copy of counters that another thread is updating (each field is
 * written atomically by the engine). */
FEAST_API void feast_stream_counters_load(const feast_stream_counters *live, feast_stream_counters *out);

/* Called once per dead letter: a message that did not decode, or a row
 * that broke a row rule. `cause` is a short label to count by (the
 * decoder's, or "null entity key", "null event timestamp", "row rule");
 * `reason` the whole message. Strings and bytes are valid during the call. */
typedef void (*feast_stream_dead_letter_fn)(void *ctx, const feast_stream_origin *origin, const char *cause,
                                            const char *reason);
/* Make every dead letter sent so far durable (before a commit). */
typedef feast_code (*feast_stream_dead_letter_flush_fn)(void *ctx, feast_error *err);

typedef struct feast_stream_ingest_options {
  const char *project;        /* NULL = "default" */
  int64_t max_batch_rows;     /* flush once this many messages are pending; 0 = 10000 */
  int max_batch_delay_ms;     /* flush at least this often while messages arrive; 0 = 1000 */
  bool until_caught_up;       /* return once the source reports caught_up() */
  /* Polled between batches and during backoffs: true finishes the batch in
   * hand (flush, commit) and returns FEAST_OK. NULL = never. */
  bool (*should_stop)(void *ctx);
  void *stop_ctx;
  feast_stream_dead_letter_fn dead_letter; /* NULL = dead letters are only counted */
  feast_stream_dead_letter_flush_fn dead_letter_flush;
  void *dead_letter_ctx;
  /* Counters of earlier runs (a subscription reopened after a spec
   * change), added to what is published to `live`; NULL = none. */
  const feast_stream_counters *base;
  /* Called after every flush, from the consuming thread. */
  void (*progress)(void *ctx, const feast_stream_counters *c);
  void *progress_ctx;
} feast_stream_ingest_options;

/* Consume `src` into `store` for `table` (entities: the declared types of
 * its entities) until the source is caught up (when asked), should_stop
 * says so, or a failure that is not retriable. The source stays the
 * caller's. `live` (may be NULL) is kept up to date while this runs. */
FEAST_API feast_code feast_stream_ingest(feast_online_store *store, const feast_feature_table_spec *table,
                                         const feast_entity_spec *entities, size_t n_entities,
                                         feast_stream_source *src, const feast_stream_ingest_options *opts,
                                         feast_stream_counters *live, feast_error *err);

#ifdef __cplusplus
}
#endif
#endif
