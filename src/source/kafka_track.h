/*
 * kafka_track.h - what a Kafka consumer must remember to commit at least
 * once across rebalances, kept apart from librdkafka so it can be tested
 * alone: for each partition it owns, the next offset each handed-out batch
 * reaches; what commit(seq) may store; the end (high watermark) each
 * partition had when the subscription opened, for caught_up(); and the
 * position and latest high watermark, for the lag.
 *
 * Rules: a batch's offsets are recorded only for partitions assigned when
 * the batch is handed out; a revoked partition forgets its pending offsets,
 * so nothing of it is committed by this consumer again (its new owner reads
 * from the last commit: duplicates at most, never a loss); commit(seq)
 * takes, per partition, the highest offset of the batches up to seq, and
 * keeps it wanted until a commit succeeds.
 */
#ifndef FEAST_SOURCE_KAFKA_TRACK_H
#define FEAST_SOURCE_KAFKA_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feast/error.h"

#define FEAST_KAFKA_MAX_PARTITIONS 65536

typedef struct feast_kafka_pending {
  uint64_t seq;
  int64_t next; /* the offset after the batch's last message of this partition */
} feast_kafka_pending;

typedef struct feast_kafka_part {
  bool known;    /* in the topic when the subscription opened */
  bool assigned; /* ours now */
  int64_t end_at_open; /* high watermark at open; -1 unknown */
  int64_t position;    /* next offset to read; -1 unknown */
  int64_t end;         /* latest high watermark seen; -1 unknown */
  int64_t committed;   /* the last offset committed (or found committed); -1 none */
  int64_t want;        /* covered by a commit(seq) and not yet stored; -1 none */
  size_t n_pending, head, cap;
  feast_kafka_pending *pending; /* ring of batches not yet covered by a commit */
} feast_kafka_part;

typedef struct feast_kafka_track {
  int n; /* partitions 0..n-1 */
  feast_kafka_part *parts;
} feast_kafka_track;

/* One entry of what to commit. */
typedef struct feast_kafka_commit {
  int32_t partition;
  int64_t offset; /* the next offset to read */
} feast_kafka_commit;

feast_code feast_kafka_track_init(feast_kafka_track *t, int n_partitions, feast_error *err);
void feast_kafka_track_free(feast_kafka_track *t);

/* The partition's end when the subscription opened (marks it known). */
void feast_kafka_track_set_end_at_open(feast_kafka_track *t, int32_t p, int64_t end);
/* Assigned, reading from `position` (-1 unknown), with `committed` (-1
 * none) already stored. Grows the table for a partition added later. */
feast_code feast_kafka_track_assign(feast_kafka_track *t, int32_t p, int64_t position, int64_t committed,
                                    feast_error *err);
/* Taken away: pending offsets are dropped. */
void feast_kafka_track_revoke(feast_kafka_track *t, int32_t p);
void feast_kafka_track_revoke_all(feast_kafka_track *t);

/* Batch `seq` holds partition p's messages up to `last_offset`. Ignored
 * for a partition not assigned. */
feast_code feast_kafka_track_record(feast_kafka_track *t, uint64_t seq, int32_t p, int64_t last_offset,
                                    feast_error *err);
void feast_kafka_track_set_end(feast_kafka_track *t, int32_t p, int64_t end);

/* What commit(seq) must store: fills out[0..*n) (room for t->n entries). */
size_t feast_kafka_track_to_commit(feast_kafka_track *t, uint64_t seq, feast_kafka_commit *out);
/* The broker stored these offsets. */
void feast_kafka_track_committed(feast_kafka_track *t, const feast_kafka_commit *c, size_t n);

/* Every assigned partition known at open has reached its end at open,
 * and something is assigned. */
bool feast_kafka_track_caught_up(const feast_kafka_track *t);
/* Assigned partitions. */
int feast_kafka_track_assigned(const feast_kafka_track *t);

#endif
