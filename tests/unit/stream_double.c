/*
 * stream_double.c - the in-memory stream source of the engine tests (see
 * stream_double.h).
 */
#include "stream_double.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feast/array.h"

#define MAX_BATCHES 4096

typedef struct sd {
  feast_stream_source base;
  const sd_msg *msgs;
  size_t n, next;
  sd_options o;
  int polls, commits, commit_calls;
  uint64_t seq;
  size_t end_of[MAX_BATCHES]; /* per seq: messages delivered through it */
  size_t committed;
  feast_stream_batch batch;
  feast_stream_origin origins[64];
  feast_stream_bad bad[64];
  char offsets[64][24], raws[64][32];
  char pos_value[24];
  feast_stream_position pos;
} sd;

static feast_code sd_poll(feast_stream_source *self, int64_t max, int timeout_ms, const feast_stream_batch **out,
                          feast_error *err) {
  (void)timeout_ms;
  sd *d = (sd *)self;
  d->polls++;
  if (d->o.fatal_at_poll && d->polls == d->o.fatal_at_poll)
    return feast_fail(err, FEAST_E_SERVER, "double: poll %d fails for good", d->polls);
  if (d->o.retry_every_poll && d->polls % d->o.retry_every_poll == 0)
    return feast_fail_retriable(err, FEAST_E_CONNECT, "double: poll %d: broker unreachable", d->polls);
  feast_batch_free(d->batch.rows);
  memset(&d->batch, 0, sizeof d->batch);
  size_t take = (size_t)(d->o.per_poll ? d->o.per_poll : 3);
  if ((int64_t)take > max) take = (size_t)max;
  if (take > d->n - d->next) take = d->n - d->next;
  if (take > 64) take = 64;
  ots_row rows[64];
  bool null_entity[64];
  size_t nr = 0;
  for (size_t i = 0; i < take; i++) {
    const sd_msg *m = &d->msgs[d->next + i];
    snprintf(d->offsets[i], sizeof d->offsets[i], "%zu", d->next + i);
    snprintf(d->raws[i], sizeof d->raws[i], "msg-%zu", d->next + i);
    feast_stream_origin o = {"p0", d->offsets[i], (const uint8_t *)d->raws[i], strlen(d->raws[i])};
    if (m->undecodable) {
      d->bad[d->batch.n_bad++] = (feast_stream_bad){o, "double: cannot decode", "double"};
      continue;
    }
    d->origins[nr] = o;
    null_entity[nr] = m->null_entity;
    rows[nr++] = m->row;
  }
  d->next += take;
  d->batch.rows = ots_batch(rows, nr);
  feast_array *drv = d->batch.rows->columns[0];
  for (size_t i = 0; i < nr; i++) {
    if (!null_entity[i]) continue;
    if (!drv->validity) {
      drv->validity = calloc(1, (size_t)(nr + 7) / 8 + 8);
      memset(drv->validity, 0xff, (nr + 7) / 8);
    }
    feast_bit_set(drv->validity, (int64_t)i, false);
    drv->null_count++;
  }
  d->batch.origins = d->origins;
  d->batch.bad = d->bad;
  d->batch.messages = (int64_t)take;
  if (take) {
    d->batch.seq = ++d->seq;
    if (d->seq < MAX_BATCHES) d->end_of[d->seq] = d->next;
  }
  *out = &d->batch;
  return FEAST_OK;
}

static feast_code sd_commit(feast_stream_source *self, uint64_t seq, feast_error *err) {
  sd *d = (sd *)self;
  d->commit_calls++;
  if (d->o.retry_every_commit && d->commit_calls % d->o.retry_every_commit == 0)
    return feast_fail_retriable(err, FEAST_E_TIMEOUT, "double: commit timed out");
  if (seq > d->seq || seq >= MAX_BATCHES || d->end_of[seq] < d->committed)
    return feast_fail(err, FEAST_E_INTERNAL, "double: commit of seq %llu out of order", (unsigned long long)seq);
  d->committed = d->end_of[seq];
  d->commits++;
  if (d->o.on_commit) d->o.on_commit(d->o.ctx, d->msgs, d->committed);
  return FEAST_OK;
}

static feast_code sd_positions(feast_stream_source *self, uint64_t seq, const char **scope,
                               const feast_stream_position **items, size_t *n, feast_error *err) {
  (void)err;
  sd *d = (sd *)self;
  snprintf(d->pos_value, sizeof d->pos_value, "%zu", seq < MAX_BATCHES ? d->end_of[seq] : 0);
  d->pos = (feast_stream_position){"p0", d->pos_value};
  *scope = "double";
  *items = &d->pos;
  *n = 1;
  return FEAST_OK;
}

static feast_code sd_lag(feast_stream_source *self, feast_stream_lag *out, size_t max, size_t *n, feast_error *err) {
  (void)err;
  sd *d = (sd *)self;
  *n = 1;
  if (max) {
    snprintf(out[0].partition, sizeof out[0].partition, "p0");
    out[0].position = (int64_t)d->next;
    out[0].end = (int64_t)d->n;
    out[0].lag = (int64_t)(d->n - d->next);
  }
  return FEAST_OK;
}

static bool sd_caught_up(feast_stream_source *self) {
  sd *d = (sd *)self;
  return d->next == d->n;
}

static void sd_close(feast_stream_source *self) {
  sd *d = (sd *)self;
  feast_batch_free(d->batch.rows);
  free(d);
}

feast_stream_source *sd_open(const sd_msg *msgs, size_t n, const sd_options *o) {
  sd *d = calloc(1, sizeof *d);
  d->base = (feast_stream_source){sd_poll, sd_commit, NULL, sd_lag, sd_caught_up, sd_close};
  if (o) d->o = *o;
  if (d->o.positions) d->base.positions = sd_positions;
  d->msgs = msgs;
  d->n = n;
  return &d->base;
}

size_t sd_committed(const feast_stream_source *s) { return ((const sd *)s)->committed; }
int sd_commits(const feast_stream_source *s) { return ((const sd *)s)->commits; }
int sd_polls(const feast_stream_source *s) { return ((const sd *)s)->polls; }
