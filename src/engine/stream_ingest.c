/*
 * stream_ingest.c - the stream consumer loop (see feast/stream_ingest.h):
 * poll, dead-letter what does not decode, feed the ingestion engine, and on
 * each flush make dead letters durable, write the rows (with the
 * connector's positions) and only then commit the source.
 */
#include "feast/stream_ingest.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "engine/ingest_internal.h"

#define DEFAULT_ROWS 10000
#define DEFAULT_DELAY_MS 1000
#define POLL_SLICE_MS 100 /* the longest a poll waits, so stop requests are seen */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000

typedef struct consumer {
  feast_stream_source *src;
  const feast_stream_ingest_options *o;
  feast_ingestion *in;
  feast_stream_counters c; /* this thread's copy; published to `live` */
  feast_stream_counters *live;
  const feast_stream_batch *batch; /* the batch being fed (for row origins) */
  uint64_t fed_seq;                /* the last batch fed */
  int64_t pending_messages;        /* since the last flush */
  int64_t rejected_before;         /* ingestion's rejected count at the last publish */
} consumer;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static bool stopping(const consumer *k) { return k->o->should_stop && k->o->should_stop(k->o->stop_ctx); }

void feast_stream_counters_load(const feast_stream_counters *live, feast_stream_counters *out) {
  const int64_t *from = (const int64_t *)(const void *)live;
  int64_t *to = (int64_t *)(void *)out;
  for (size_t i = 0; i < sizeof *live / sizeof(int64_t); i++) to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
}

/* Counters are all 64-bit words, so they are published word by word. */
_Static_assert(sizeof(feast_stream_counters) % sizeof(int64_t) == 0, "counters are 64-bit words");

static void publish(consumer *k) {
  const feast_ingest_summary *s = feast_ingestion_summary(k->in);
  k->c.rows = s->read;
  k->c.written = s->written;
  k->c.skipped_older = s->skipped_older;
  k->c.rejected = s->rejected;
  if (!k->live) return;
  const int64_t *from = (const int64_t *)(const void *)&k->c;
  const int64_t *base = (const int64_t *)(const void *)k->o->base;
  int64_t *to = (int64_t *)(void *)k->live;
  size_t seq_word = offsetof(feast_stream_counters, committed_seq) / sizeof(int64_t);
  for (size_t i = 0; i < sizeof k->c / sizeof(int64_t); i++)
    __atomic_store_n(&to[i], from[i] + (base && i != seq_word ? base[i] : 0), __ATOMIC_RELAXED);
}

/* A row the ingestion engine rejected: to the dead letters, with where it
 * came from. */
static void row_rejected(void *ctx, const feast_batch *b, int64_t row, int64_t source_row, const char *reason) {
  (void)b;
  (void)source_row;
  consumer *k = ctx;
  const char *cause = strstr(reason, "entity") && strstr(reason, "is null") ? "null entity key"
                      : strstr(reason, "event timestamp")                  ? "null event timestamp"
                                                                           : "row rule";
  if (k->o->dead_letter && k->batch->origins)
    k->o->dead_letter(k->o->dead_letter_ctx, &k->batch->origins[row], cause, reason);
}

/* Wait out a retriable failure. false when asked to stop meanwhile. */
static bool backoff(consumer *k, int *delay_ms) {
  k->c.retries++;
  publish(k);
  for (int waited = 0; waited < *delay_ms; waited += POLL_SLICE_MS) {
    if (stopping(k)) return false;
    sleep_ms(POLL_SLICE_MS);
  }
  *delay_ms = *delay_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : *delay_ms * 2;
  return true;
}

/* Dead letters durable, rows (and positions) written, then the commit; each
 * step retried while its failure is retriable. */
static feast_code flush_and_commit(consumer *k, feast_error *err) {
  feast_code rc = FEAST_OK;
  int delay = BACKOFF_FIRST_MS;
  if (feast_ingestion_pending(k->in)) k->c.flushes++;
  for (;;) {
    rc = k->o->dead_letter_flush ? k->o->dead_letter_flush(k->o->dead_letter_ctx, err) : FEAST_OK;
    if (!rc) {
      feast_online_positions pos = {0};
      const feast_stream_position *items = NULL;
      if (k->src->positions && k->fed_seq)
        rc = k->src->positions(k->src, k->fed_seq, &pos.scope, &items, &pos.n, err);
      /* feast_stream_position and feast_online_position are the same pair */
      pos.items = (const feast_online_position *)(const void *)items;
      if (!rc) rc = feast_ingestion_flush_positions(k->in, pos.n ? &pos : NULL, err);
    }
    if (!rc && k->fed_seq > k->c.committed_seq) {
      rc = k->src->commit(k->src, k->fed_seq, err);
      if (!rc) {
        k->c.commits++;
        k->c.committed_seq = k->fed_seq;
      }
    }
    if (!rc || !err->retriable || !backoff(k, &delay)) break;
  }
  k->pending_messages = 0;
  publish(k);
  if (!rc && k->o->progress) k->o->progress(k->o->progress_ctx, &k->c);
  return rc;
}

_Static_assert(sizeof(feast_stream_position) == sizeof(feast_online_position), "the same pair");

feast_code feast_stream_ingest(feast_online_store *store, const feast_feature_table_spec *table,
                               const feast_entity_spec *entities, size_t n_entities, feast_stream_source *src,
                               const feast_stream_ingest_options *opts, feast_stream_counters *live, feast_error *err) {
  feast_stream_ingest_options none = {0};
  consumer k = {.src = src, .o = opts ? opts : &none, .live = live};
  int64_t max_rows = k.o->max_batch_rows > 0 ? k.o->max_batch_rows : DEFAULT_ROWS;
  int max_delay = k.o->max_batch_delay_ms > 0 ? k.o->max_batch_delay_ms : DEFAULT_DELAY_MS;
  feast_ingest_options io = {0};
  io.project = k.o->project;
  io.source = &table->stream_source;
  io.dead_letter = row_rejected;
  io.dead_letter_ctx = &k;
  feast_code rc = feast_ingestion_begin(store, table, entities, n_entities, &io, &k.in, err);
  if (rc) return rc;
  int64_t last_flush = now_ms();
  int delay = BACKOFF_FIRST_MS;
  while (!rc) {
    if (stopping(&k)) break;
    if (k.o->until_caught_up && src->caught_up(src)) break;
    int64_t now = now_ms(), due = last_flush + max_delay;
    int wait = k.pending_messages && due - now < POLL_SLICE_MS ? (int)(due > now ? due - now : 0) : POLL_SLICE_MS;
    const feast_stream_batch *b = NULL;
    rc = src->poll(src, max_rows - k.pending_messages, wait, &b, err);
    if (rc) {
      if (err->retriable && backoff(&k, &delay)) rc = FEAST_OK;
      else if (err->retriable) rc = FEAST_OK, b = NULL; /* asked to stop while waiting */
      if (!rc && stopping(&k)) break;
      continue;
    }
    delay = BACKOFF_FIRST_MS;
    k.c.messages += b->messages;
    k.c.undecodable += (int64_t)b->n_bad;
    for (size_t i = 0; i < b->n_bad && k.o->dead_letter; i++)
      k.o->dead_letter(k.o->dead_letter_ctx, &b->bad[i].origin, b->bad[i].cause ? b->bad[i].cause : "undecodable",
                       b->bad[i].reason);
    if (b->rows && b->rows->num_rows) {
      k.batch = b;
      rc = feast_ingestion_feed(k.in, b->rows, err);
      k.batch = NULL;
      if (rc) {
        feast_error_prefix(err, "table %s: ", table->name);
        break;
      }
    }
    if (b->seq) k.fed_seq = b->seq;
    k.pending_messages += b->messages;
    if (k.pending_messages >= max_rows || (k.pending_messages && now_ms() >= last_flush + max_delay)) {
      rc = flush_and_commit(&k, err);
      last_flush = now_ms();
    } else if (b->messages) {
      publish(&k);
    }
  }
  /* What was fed is made durable and committed even when stopping on an
   * error; the first error is the one reported. */
  feast_error ferr;
  feast_code frc = flush_and_commit(&k, rc ? &ferr : err);
  if (!rc) rc = frc;
  feast_ingestion_free(k.in);
  return rc;
}
