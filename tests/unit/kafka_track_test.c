/*
 * kafka_track_test.c - the Kafka consumer's offset bookkeeping
 * (src/source/kafka_track.c) without a broker: what commit(seq) may store,
 * that a revoked partition's pending offsets are never committed, and
 * caught_up against the ends seen at open. The connector itself is tested
 * on a real broker (tests/py/test_stream_kafka.py).
 */
#include "source/kafka_track.h"
#include "test.h"

static void commit_covers_only_batches_up_to_seq(void) {
  feast_kafka_track t;
  feast_error err;
  CHECK_OK(feast_kafka_track_init(&t, 2, &err), &err);
  CHECK_OK(feast_kafka_track_assign(&t, 0, 0, -1, &err), &err);
  CHECK_OK(feast_kafka_track_assign(&t, 1, 5, 5, &err), &err);
  CHECK_OK(feast_kafka_track_record(&t, 1, 0, 9, &err), &err);  /* batch 1: p0 0..9 */
  CHECK_OK(feast_kafka_track_record(&t, 2, 0, 19, &err), &err); /* batch 2: p0 ..19, p1 ..7 */
  CHECK_OK(feast_kafka_track_record(&t, 2, 1, 7, &err), &err);
  feast_kafka_commit c[2];
  size_t n = feast_kafka_track_to_commit(&t, 1, c);
  CHECK_INT(n, 1);
  CHECK_INT(c[0].partition, 0);
  CHECK_INT(c[0].offset, 10);
  /* not confirmed: asked again, the same (and batch 2 now too) */
  n = feast_kafka_track_to_commit(&t, 2, c);
  CHECK_INT(n, 2);
  CHECK_INT(c[0].offset, 20);
  CHECK_INT(c[1].offset, 8);
  feast_kafka_track_committed(&t, c, n);
  CHECK_INT(feast_kafka_track_to_commit(&t, 2, c), 0);
  feast_kafka_track_free(&t);
}

static void revoked_partitions_are_never_committed(void) {
  feast_kafka_track t;
  feast_error err;
  CHECK_OK(feast_kafka_track_init(&t, 2, &err), &err);
  CHECK_OK(feast_kafka_track_assign(&t, 0, 0, -1, &err), &err);
  CHECK_OK(feast_kafka_track_assign(&t, 1, 0, -1, &err), &err);
  CHECK_OK(feast_kafka_track_record(&t, 1, 0, 4, &err), &err);
  CHECK_OK(feast_kafka_track_record(&t, 1, 1, 4, &err), &err);
  feast_kafka_track_revoke(&t, 1);
  CHECK_OK(feast_kafka_track_record(&t, 2, 1, 9, &err), &err); /* a message of a revoked partition */
  feast_kafka_commit c[2];
  size_t n = feast_kafka_track_to_commit(&t, 2, c);
  CHECK_INT(n, 1);
  CHECK_INT(c[0].partition, 0);
  /* given back: starts from the broker's committed offset, nothing pending */
  CHECK_OK(feast_kafka_track_assign(&t, 1, 3, 3, &err), &err);
  CHECK_INT(feast_kafka_track_to_commit(&t, 2, c), 1);
  /* a partition added to the topic later grows the table */
  CHECK_OK(feast_kafka_track_assign(&t, 7, 0, -1, &err), &err);
  CHECK_INT(t.n, 8);
  CHECK_INT(feast_kafka_track_assigned(&t), 3);
  feast_kafka_track_free(&t);
}

static void caught_up_against_ends_at_open(void) {
  feast_kafka_track t;
  feast_error err;
  CHECK_OK(feast_kafka_track_init(&t, 3, &err), &err);
  feast_kafka_track_set_end_at_open(&t, 0, 10);
  feast_kafka_track_set_end_at_open(&t, 1, 0); /* empty */
  feast_kafka_track_set_end_at_open(&t, 2, 5);
  CHECK(!feast_kafka_track_caught_up(&t)); /* nothing assigned yet */
  CHECK_OK(feast_kafka_track_assign(&t, 0, 0, -1, &err), &err);
  CHECK_OK(feast_kafka_track_assign(&t, 1, 0, -1, &err), &err);
  CHECK_OK(feast_kafka_track_assign(&t, 2, 5, 5, &err), &err); /* committed at its end already */
  CHECK(!feast_kafka_track_caught_up(&t));
  CHECK_OK(feast_kafka_track_record(&t, 1, 0, 8, &err), &err);
  CHECK(!feast_kafka_track_caught_up(&t));
  CHECK_OK(feast_kafka_track_record(&t, 2, 0, 9, &err), &err);
  CHECK(feast_kafka_track_caught_up(&t));
  /* messages produced after open are not waited for */
  feast_kafka_track_set_end(&t, 0, 100);
  CHECK(feast_kafka_track_caught_up(&t));
  feast_kafka_track_free(&t);
}

TEST_MAIN(T(commit_covers_only_batches_up_to_seq), T(revoked_partitions_are_never_committed),
          T(caught_up_against_ends_at_open))
