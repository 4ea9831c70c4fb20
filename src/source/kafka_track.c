/*
 * kafka_track.c - per-partition offsets of a Kafka consumer (see
 * kafka_track.h).
 */
#include "source/kafka_track.h"

#include <string.h>

#include "base/alloc.h"

static void part_reset(feast_kafka_part *p) {
  feast_free(p->pending);
  memset(p, 0, sizeof *p);
  p->end_at_open = p->position = p->end = p->committed = p->want = -1;
}

static feast_code grow(feast_kafka_track *t, int n, feast_error *err) {
  if (n <= t->n) return FEAST_OK;
  if (n > FEAST_KAFKA_MAX_PARTITIONS)
    return feast_fail(err, FEAST_E_TOO_BIG, "a topic of more than %d partitions", FEAST_KAFKA_MAX_PARTITIONS);
  feast_kafka_part *np = feast_realloc(t->parts, (size_t)n * sizeof *np);
  if (!np) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int i = t->n; i < n; i++) {
    memset(&np[i], 0, sizeof np[i]);
    part_reset(&np[i]);
  }
  t->parts = np;
  t->n = n;
  return FEAST_OK;
}

feast_code feast_kafka_track_init(feast_kafka_track *t, int n_partitions, feast_error *err) {
  memset(t, 0, sizeof *t);
  return grow(t, n_partitions, err);
}

void feast_kafka_track_free(feast_kafka_track *t) {
  for (int i = 0; i < t->n; i++) feast_free(t->parts[i].pending);
  feast_free(t->parts);
  memset(t, 0, sizeof *t);
}

static feast_kafka_part *part(const feast_kafka_track *t, int32_t p) {
  return p >= 0 && p < t->n ? &t->parts[p] : NULL;
}

void feast_kafka_track_set_end_at_open(feast_kafka_track *t, int32_t p, int64_t end) {
  feast_kafka_part *q = part(t, p);
  if (!q) return;
  q->known = true;
  q->end_at_open = end;
  if (end > q->end) q->end = end;
}

feast_code feast_kafka_track_assign(feast_kafka_track *t, int32_t p, int64_t position, int64_t committed,
                                    feast_error *err) {
  if (p < 0) return feast_fail(err, FEAST_E_INTERNAL, "partition %d", (int)p);
  feast_code rc = grow(t, p + 1, err);
  if (rc) return rc;
  feast_kafka_part *q = &t->parts[p];
  q->assigned = true;
  q->n_pending = q->head = 0;
  q->position = position;
  q->committed = committed;
  q->want = -1;
  return FEAST_OK;
}

void feast_kafka_track_revoke(feast_kafka_track *t, int32_t p) {
  feast_kafka_part *q = part(t, p);
  if (!q) return;
  q->assigned = false;
  q->n_pending = q->head = 0;
  q->want = -1;
  q->committed = -1;
}

void feast_kafka_track_revoke_all(feast_kafka_track *t) {
  for (int i = 0; i < t->n; i++) feast_kafka_track_revoke(t, i);
}

feast_code feast_kafka_track_record(feast_kafka_track *t, uint64_t seq, int32_t p, int64_t last_offset,
                                    feast_error *err) {
  feast_kafka_part *q = part(t, p);
  if (!q || !q->assigned) return FEAST_OK;
  int64_t next = last_offset + 1;
  if (next > q->position) q->position = next;
  if (q->n_pending) {
    feast_kafka_pending *last = &q->pending[(q->head + q->n_pending - 1) % q->cap];
    if (last->seq == seq) {
      if (next > last->next) last->next = next;
      return FEAST_OK;
    }
  }
  if (q->n_pending == q->cap) {
    size_t cap = q->cap ? q->cap * 2 : 8;
    feast_kafka_pending *np = feast_malloc(cap * sizeof *np);
    if (!np) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    for (size_t i = 0; i < q->n_pending; i++) np[i] = q->pending[(q->head + i) % q->cap];
    feast_free(q->pending);
    q->pending = np;
    q->cap = cap;
    q->head = 0;
  }
  q->pending[(q->head + q->n_pending) % q->cap] = (feast_kafka_pending){seq, next};
  q->n_pending++;
  return FEAST_OK;
}

void feast_kafka_track_set_end(feast_kafka_track *t, int32_t p, int64_t end) {
  feast_kafka_part *q = part(t, p);
  if (q && end >= 0) q->end = end;
}

size_t feast_kafka_track_to_commit(feast_kafka_track *t, uint64_t seq, feast_kafka_commit *out) {
  size_t n = 0;
  for (int i = 0; i < t->n; i++) {
    feast_kafka_part *q = &t->parts[i];
    if (!q->assigned) continue;
    while (q->n_pending && q->pending[q->head].seq <= seq) {
      if (q->pending[q->head].next > q->want) q->want = q->pending[q->head].next;
      q->head = (q->head + 1) % q->cap;
      q->n_pending--;
    }
    if (q->want > q->committed) out[n++] = (feast_kafka_commit){i, q->want};
  }
  return n;
}

void feast_kafka_track_committed(feast_kafka_track *t, const feast_kafka_commit *c, size_t n) {
  for (size_t i = 0; i < n; i++) {
    feast_kafka_part *q = part(t, c[i].partition);
    if (q && q->assigned && c[i].offset > q->committed) q->committed = c[i].offset;
  }
}

bool feast_kafka_track_caught_up(const feast_kafka_track *t) {
  int assigned = 0;
  for (int i = 0; i < t->n; i++) {
    const feast_kafka_part *q = &t->parts[i];
    if (!q->assigned) continue;
    assigned++;
    if (!q->known || q->end_at_open <= 0) continue;
    if (q->position < q->end_at_open) return false;
  }
  return assigned > 0;
}

int feast_kafka_track_assigned(const feast_kafka_track *t) {
  int n = 0;
  for (int i = 0; i < t->n; i++) n += t->parts[i].assigned;
  return n;
}
