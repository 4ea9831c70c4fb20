/*
 * stream_ingest_test.c - the stream consumer loop against the in-memory
 * double (stream_double.h) and a real LMDB store: the final state is the
 * latest row per key; at every commit, what it covers is already durable;
 * retriable failures are waited out, fatal ones stop without committing
 * what was not written; dead letters carry origins; stop requests and
 * positions. Expected states are computed here from the messages.
 */
#include <stdlib.h>
#include <string.h>

#include "feast/stream_ingest.h"
#include "online/backend.h"
#include "online/lmdb.h"
#include "online_support.h"
#include "stream_double.h"
#include "test.h"

#define T0 INT64_C(1618000000000000)
#define NKEYS 37

typedef struct fixture {
  feast_online_store *store;
  feast_feature_table_spec t;
  feast_entity_spec e;
  int commit_checks, commit_failures;
} fixture;

static void fixture_open(fixture *f, const char *name) {
  char path[4200];
  snprintf(path, sizeof path, "lmdb:%s/%s", test_tmpdir(), name);
  feast_error err;
  memset(f, 0, sizeof *f);
  CHECK_OK(feast_online_store_open(path, NULL, &f->store, &err), &err);
  ots_driver_table(&f->t, &f->e, "trips_stream", 0);
  /* the stream source has the batch source's columns and mapping */
  f->t.has_stream_source = true;
  f->t.stream_source.type = FEAST_SOURCE_KAFKA;
  f->t.stream_source.event_timestamp_column = strdup("event_timestamp");
  f->t.stream_source.created_timestamp_column = strdup("created");
  feast_map_set(&f->t.stream_source.field_mapping, "driver_id", "driver", &err);
}

static void fixture_close(fixture *f) {
  ots_specs_clear(&f->t, &f->e);
  feast_online_store_free(f->store);
}

/* The stored event time of every key (0 = absent). */
static void stored(fixture *f, feast_ts *ev) {
  feast_error err;
  char rows[NKEYS][32];
  const char *rp[NKEYS];
  for (int k = 0; k < NKEYS; k++) {
    snprintf(rows[k], sizeof rows[k], "driver_id=%d", k);
    rp[k] = rows[k];
  }
  feast_batch *eb = NULL;
  CHECK_OK(feast_entity_rows_from_strings(rp, NKEYS, &eb, &err), &err);
  feast_online_table_request tq = {&f->t, 0, NULL};
  feast_online_request q = {"p", 1, &tq, 1, &f->e, eb, T0 + 1000000000};
  feast_online_result *r = NULL;
  CHECK_OK(feast_online_read(f->store, &q, &r, &err), &err);
  for (int k = 0; k < NKEYS; k++) ev[k] = r ? feast_online_result_event_ts(r, 2, (size_t)k) : -1;
  feast_online_result_free(r);
  feast_batch_free(eb);
}

/* The latest (event, created) per key among msgs[0..n) that make rows. */
static void expected(const sd_msg *msgs, size_t n, feast_ts *ev) {
  feast_ts cr[NKEYS];
  for (int k = 0; k < NKEYS; k++) ev[k] = 0, cr[k] = 0;
  for (size_t i = 0; i < n; i++) {
    const sd_msg *m = &msgs[i];
    if (m->undecodable || m->null_entity) continue;
    int k = (int)m->row.driver;
    /* created times go through a millisecond column (ots_batch) */
    feast_ts c = m->row.cr / 1000 * 1000;
    if (!ev[k] || m->row.ev > ev[k] || (m->row.ev == ev[k] && c > cr[k])) ev[k] = m->row.ev, cr[k] = c;
  }
}

static void on_commit(void *ctx, const sd_msg *msgs, size_t covered) {
  fixture *f = ctx;
  feast_ts want[NKEYS], got[NKEYS];
  expected(msgs, covered, want);
  stored(f, got);
  f->commit_checks++;
  for (int k = 0; k < NKEYS; k++)
    if (want[k] && got[k] < want[k]) f->commit_failures++;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* Random messages: ties in event time broken by created time, out-of-order
 * rows, a few undecodable and a few with null entities. */
static sd_msg *random_messages(size_t n) {
  sd_msg *m = calloc(n, sizeof *m);
  for (size_t i = 0; i < n; i++) {
    m[i].row.driver = (int64_t)(next_rand() % NKEYS);
    m[i].row.ev = T0 + (int64_t)(next_rand() % 20) * 1000000;
    m[i].row.cr = T0 + (int64_t)(next_rand() % 5) * 1000;
    m[i].row.trips = (int64_t)i;
    m[i].undecodable = next_rand() % 23 == 0;
    m[i].null_entity = !m[i].undecodable && next_rand() % 29 == 0;
  }
  return m;
}

typedef struct letters {
  int n;
  int null_entity;
  char first[256];
} letters;

static void dead_letter(void *ctx, const feast_stream_origin *o, const char *cause, const char *reason) {
  letters *l = ctx;
  (void)cause;
  if (!l->n) snprintf(l->first, sizeof l->first, "%s/%s %.*s: %s", o->partition, o->offset, (int)o->raw_len, o->raw, reason);
  if (strstr(reason, "is null")) l->null_entity++;
  l->n++;
}

static void run_and_check(const sd_options *so, int64_t max_rows, size_t n) {
  fixture f;
  fixture_open(&f, "run");
  sd_msg *msgs = random_messages(n);
  sd_options o = *so;
  o.on_commit = on_commit;
  o.ctx = &f;
  feast_stream_source *src = sd_open(msgs, n, &o);
  letters l = {0};
  feast_stream_ingest_options io = {0};
  io.project = "p";
  io.max_batch_rows = max_rows;
  io.until_caught_up = true;
  io.dead_letter = dead_letter;
  io.dead_letter_ctx = &l;
  feast_stream_counters live = {0}, c;
  feast_error err;
  CHECK_OK(feast_stream_ingest(f.store, &f.t, &f.e, 1, src, &io, &live, &err), &err);
  feast_stream_counters_load(&live, &c);
  feast_ts want[NKEYS], got[NKEYS];
  expected(msgs, n, want);
  stored(&f, got);
  for (int k = 0; k < NKEYS; k++) CHECK_INT(got[k], want[k]);
  size_t bad = 0, nulls = 0;
  for (size_t i = 0; i < n; i++) bad += msgs[i].undecodable, nulls += msgs[i].null_entity;
  CHECK_INT(c.messages, n);
  CHECK_INT(c.undecodable, bad);
  CHECK_INT(c.rejected, nulls);
  CHECK_INT(c.rows, n - bad);
  CHECK_INT(l.n, bad + nulls);
  CHECK_INT(l.null_entity, nulls);
  CHECK_CONTAINS(l.first, "p0/");
  CHECK_INT(sd_committed(src), n);
  CHECK_INT(c.commits, sd_commits(src));
  CHECK(f.commit_checks > 1);
  CHECK_INT(f.commit_failures, 0);
  if (so->retry_every_poll || so->retry_every_commit) CHECK(c.retries > 0);
  src->close(src);
  free(msgs);
  fixture_close(&f);
}

static void latest_wins_and_commits_are_durable(void) {
  sd_options o = {0};
  o.per_poll = 5;
  run_and_check(&o, 40, 600);
}

static void retriable_failures_are_waited_out(void) {
  sd_options o = {0};
  o.per_poll = 7;
  o.retry_every_poll = 9;
  o.retry_every_commit = 4;
  run_and_check(&o, 25, 200);
}

/* A fatal poll: what was fed before it is written and committed, nothing
 * after it is. */
static void fatal_failure_commits_only_what_is_durable(void) {
  fixture f;
  fixture_open(&f, "fatal");
  size_t n = 300;
  sd_msg *msgs = random_messages(n);
  sd_options o = {.per_poll = 4, .fatal_at_poll = 30, .on_commit = on_commit, .ctx = &f};
  feast_stream_source *src = sd_open(msgs, n, &o);
  feast_stream_ingest_options io = {.project = "p", .max_batch_rows = 1000, .until_caught_up = true};
  feast_error err;
  CHECK_INT(feast_stream_ingest(f.store, &f.t, &f.e, 1, src, &io, NULL, &err), FEAST_E_SERVER);
  CHECK_CONTAINS(err.message, "fails for good");
  CHECK_INT(sd_committed(src), 29 * 4); /* the 29 polls before the failure, flushed at the end */
  CHECK_INT(f.commit_failures, 0);
  feast_ts want[NKEYS], got[NKEYS];
  expected(msgs, 29 * 4, want);
  stored(&f, got);
  for (int k = 0; k < NKEYS; k++) CHECK_INT(got[k], want[k]);
  src->close(src);
  free(msgs);
  fixture_close(&f);
}

typedef struct stop_after {
  const feast_stream_source *src;
  int polls;
} stop_after;

static bool stop_now(void *ctx) {
  stop_after *s = ctx;
  return sd_polls(s->src) >= s->polls;
}

/* A stop request finishes the batch in hand: fed, flushed, committed. */
static void stop_flushes_and_commits(void) {
  fixture f;
  fixture_open(&f, "stop");
  size_t n = 500;
  sd_msg *msgs = random_messages(n);
  sd_options o = {.per_poll = 3, .on_commit = on_commit, .ctx = &f};
  feast_stream_source *src = sd_open(msgs, n, &o);
  stop_after st = {src, 10};
  feast_stream_ingest_options io = {.project = "p", .max_batch_rows = 1000, .should_stop = stop_now, .stop_ctx = &st};
  feast_error err;
  CHECK_OK(feast_stream_ingest(f.store, &f.t, &f.e, 1, src, &io, NULL, &err), &err);
  CHECK_INT(sd_committed(src), 30);
  CHECK_INT(sd_commits(src), 1);
  feast_ts want[NKEYS], got[NKEYS];
  expected(msgs, 30, want);
  stored(&f, got);
  for (int k = 0; k < NKEYS; k++) CHECK_INT(got[k], want[k]);
  src->close(src);
  free(msgs);
  fixture_close(&f);
}

static feast_code read_position(void *ctx, const char *name, const char *value, feast_error *err) {
  (void)err;
  if (strcmp(name, "p0") == 0) snprintf(ctx, 32, "%s", value);
  return FEAST_OK;
}

/* Positions the connector keeps in the online store are written with the
 * rows (LMDB: in their transaction): after the run they name the end. */
static void positions_are_stored_with_rows(void) {
  fixture f;
  fixture_open(&f, "positions");
  size_t n = 120;
  sd_msg *msgs = random_messages(n);
  sd_options o = {.per_poll = 6, .positions = true, .on_commit = on_commit, .ctx = &f};
  feast_stream_source *src = sd_open(msgs, n, &o);
  feast_stream_ingest_options io = {.project = "p", .max_batch_rows = 30, .until_caught_up = true};
  feast_error err;
  CHECK_OK(feast_stream_ingest(f.store, &f.t, &f.e, 1, src, &io, NULL, &err), &err);
  char pos[32] = "";
  CHECK_OK(f.store->ops->get_positions(f.store, "double", read_position, pos, &err), &err);
  CHECK_STR(pos, "120");
  CHECK_INT(f.commit_failures, 0);
  size_t records;
  CHECK_OK(feast_lmdb_verify(f.store, &records, &err), &err);
  src->close(src);
  free(msgs);
  fixture_close(&f);
}

TEST_MAIN(T(latest_wins_and_commits_are_durable), T(retriable_failures_are_waited_out),
          T(fatal_failure_commits_only_what_is_durable), T(stop_flushes_and_commits), T(positions_are_stored_with_rows))
