/*
 * stream.h - stream sources (Kafka, Kinesis): the contract between a stream
 * connector and the ingestion engine that consumes it.
 *
 * A stream source is a subscription to every partition (Kafka) or shard
 * (Kinesis) of one feature table's stream source. The engine calls
 *
 *   poll -> feed the rows to ingestion -> ... -> flush to the online store
 *        -> commit(seq of the last batch fed)
 *
 * and the contract that makes this "at least once" is:
 *
 *   - poll hands out a batch that the source owns until the next poll or
 *     close (the engine copies what it keeps); each batch has a sequence
 *     number, increasing by one per batch with rows or bad messages;
 *   - commit(seq) promises that every row of every batch up to seq is
 *     durable in the online store; only then may the connector store its
 *     positions (Kafka offsets, Kinesis checkpoints). Nothing polled after
 *     seq is covered, so a crash replays at most what was not committed,
 *     and replaying is harmless because an online write keeps the newer
 *     (event, created) row;
 *   - after a rebalance takes a partition away, positions of that partition
 *     are no longer committed (its new owner consumes the rest again).
 *
 * Errors: a poll or commit that fails with err->retriable set (broker or
 * network down, throttling) may be called again after a backoff and loses
 * nothing; any other failure ends the subscription. A message that does not
 * decode is not an error of the poll: it is reported in the batch (`bad`),
 * for the dead-letter sink, and the stream goes on.
 */
#ifndef FEAST_STREAM_H
#define FEAST_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feast/array.h"
#include "feast/error.h"
#include "feast/export.h"
#include "feast/time.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where one message came from: partition or shard, and its offset or
 * sequence number, as text a person can look up ("3", "2093...").
 * `raw` is the message value as received. Borrowed from the batch. */
typedef struct feast_stream_origin {
  const char *partition;
  const char *offset;
  const uint8_t *raw;
  size_t raw_len;
} feast_stream_origin;

/* A message the connector could not decode into a row. */
typedef struct feast_stream_bad {
  feast_stream_origin origin;
  const char *reason; /* names the field and byte offset where it can */
  const char *cause;  /* a short label to count dead letters by ("truncated"); NULL = "undecodable" */
} feast_stream_bad;

typedef struct feast_stream_batch {
  uint64_t seq;              /* 0 when the batch is empty */
  feast_batch *rows;         /* the decoded rows, columns named as the source's columns; may have 0 rows */
  const feast_stream_origin *origins; /* one per row */
  size_t n_bad;
  const feast_stream_bad *bad;
  int64_t messages; /* rows + bad */
} feast_stream_batch;

/* A position a connector keeps in the online store (a Kinesis shard and
 * its last sequence number). */
typedef struct feast_stream_position {
  const char *name;
  const char *value;
} feast_stream_position;

/* The position of one partition or shard against its end. */
typedef struct feast_stream_lag {
  char partition[64];
  int64_t position; /* next offset to read; -1 unknown */
  int64_t end;      /* high watermark; -1 unknown */
  int64_t lag;      /* end - position, or -1 */
} feast_stream_lag;

/* A stream source is used by one thread at a time (its consumer). */
typedef struct feast_stream_source feast_stream_source;
struct feast_stream_source {
  /* Wait up to timeout_ms for messages and return what arrived, at most
   * max_messages. *out is never NULL on success (it may hold no rows).
   * Borrowed: valid until the next poll or close. */
  feast_code (*poll)(feast_stream_source *self, int64_t max_messages, int timeout_ms, const feast_stream_batch **out,
                     feast_error *err);
  /* Every row of batches up to `seq` is durable: positions may be stored. */
  feast_code (*commit)(feast_stream_source *self, uint64_t seq, feast_error *err);
  /* Optional (NULL for connectors that commit elsewhere, as Kafka does to
   * its broker): the positions that batches up to `seq` reach, for the
   * engine to store in the online store with the rows (in the same
   * transaction where the store can). Borrowed: valid until the next call
   * on the source. */
  feast_code (*positions)(feast_stream_source *self, uint64_t seq, const char **scope,
                          const feast_stream_position **items, size_t *n, feast_error *err);
  /* Fills up to `max` entries; *n gets how many partitions there are. */
  feast_code (*lag)(feast_stream_source *self, feast_stream_lag *out, size_t max, size_t *n, feast_error *err);
  /* Has every partition reached the end it had when the source opened?
   * (for --until-caught-up; a partition added later is not waited for) */
  bool (*caught_up)(feast_stream_source *self);
  void (*close)(feast_stream_source *self); /* frees self too; commits nothing */
};

#ifdef __cplusplus
}
#endif
#endif
