/*
 * ingest.c - batch ingestion: validate, window, dedup per entity key, then a
 * conditional ("only if newer") write to the online store. Per batch, all
 * rows are encoded into one arena (keys as RedisKeyV2 bytes, features as
 * feast.types.Value bytes), deduplicated through an open-addressing table
 * of key bytes, and the winners written in chunks.
 */
#include "feast/ingest.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/hash.h"
#include "engine/ingest_schema.h"
#include "format/feastproto.h"
#include "online/store.h"

#define VALUE_MAX ((size_t)64 << 20) /* one serialized value or key */

typedef struct prow {
  const uint8_t *key;
  size_t key_len;
  feast_ts ev, cr;
  const uint8_t **vals;
  size_t *lens;
} prow;

typedef struct batch_ctx {
  feast_arena *arena;
  feast_buf scratch;
  const feast_batch *b;
  const feast_ingest_options *opts;
  feast_ingest_summary *sum;
} batch_ctx;

static void reject(batch_ctx *c, int64_t row, int64_t source_row, const char *reason) {
  c->sum->rejected++;
  if (!c->sum->first_reject[0]) {
    char *d = c->sum->first_reject;
    size_t cap = sizeof c->sum->first_reject;
    int k = snprintf(d, cap, "row %lld: ", (long long)source_row);
    size_t used = k > 0 && (size_t)k < cap ? (size_t)k : 0, rl = strlen(reason);
    if (rl > cap - 1 - used) rl = cap - 1 - used;
    memcpy(d + used, reason, rl);
    d[used + rl] = 0;
  }
  if (c->opts->dead_letter) c->opts->dead_letter(c->opts->dead_letter_ctx, c->b, row, source_row, reason);
}

/* Encode row r of a column into the arena; FEAST_E_INVALID = a bad row. */
static feast_code encode(batch_ctx *c, const feast_array *a, int64_t r, feast_value_type vt, const uint8_t **out,
                         size_t *len, feast_error *err) {
  feast_buf_reset(&c->scratch);
  feast_code rc = feast_pb_value_from_array(a, r, vt, &c->scratch, err);
  if (rc) return rc;
  *len = c->scratch.len;
  *out = NULL;
  if (!*len) return FEAST_OK;
  uint8_t *p = feast_arena_alloc(c->arena, *len);
  if (!p) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  memcpy(p, c->scratch.data, *len);
  *out = p;
  return FEAST_OK;
}

/* Build the prow of row r; returns FEAST_E_INVALID with a reason for a row
 * to reject, FEAST_OK with *skip set for a row outside the window. */
static feast_code build_row(batch_ctx *c, const feast_feature_table_spec *t, const ingest_cols *cols, const char *project,
                            int64_t r, prow *pr, int *skip, feast_error *err) {
  *skip = 0;
  for (size_t k = 0; k < cols->n_entities; k++)
    if (!feast_array_is_valid(cols->entity_cols[k], r))
      return feast_fail(err, FEAST_E_INVALID, "entity %s (column %s) is null", cols->entity_names[k], cols->entity_colnames[k]);
  if (!feast_array_is_valid(cols->event_col, r)) return feast_fail(err, FEAST_E_INVALID, "event timestamp is null");
  pr->ev = feast_array_get_ts_us(cols->event_col, r);
  pr->cr = cols->created_col && feast_array_is_valid(cols->created_col, r) ? feast_array_get_ts_us(cols->created_col, r)
                                                                            : FEAST_TS_MIN;
  if ((c->opts->has_start && pr->ev < c->opts->start) || (c->opts->has_end && pr->ev >= c->opts->end)) {
    *skip = 1;
    return FEAST_OK;
  }
  size_t ne = cols->n_entities;
  const uint8_t **ev = feast_arena_alloc(c->arena, (ne + 1) * sizeof *ev);
  size_t *el = feast_arena_alloc(c->arena, (ne + 1) * sizeof *el);
  pr->vals = feast_arena_alloc(c->arena, (t->n_features + 1) * sizeof *pr->vals);
  pr->lens = feast_arena_alloc(c->arena, (t->n_features + 1) * sizeof *pr->lens);
  if (!ev || !el || !pr->vals || !pr->lens) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = FEAST_OK;
  for (size_t k = 0; k < ne && !rc; k++) {
    rc = encode(c, cols->entity_cols[k], r, cols->entity_types[k], &ev[k], &el[k], err);
    if (rc) feast_error_prefix(err, "entity %s: ", cols->entity_names[k]);
  }
  if (rc) return rc;
  feast_buf_reset(&c->scratch);
  if ((rc = feast_pb_redis_key(project, ne, cols->entity_names, ev, el, &c->scratch, err))) return rc;
  uint8_t *key = feast_arena_alloc(c->arena, c->scratch.len);
  if (!key) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  memcpy(key, c->scratch.data, c->scratch.len);
  pr->key = key;
  pr->key_len = c->scratch.len;
  for (size_t f = 0; f < t->n_features && !rc; f++) {
    rc = encode(c, cols->feature_cols[f], r, t->features[f].value_type, &pr->vals[f], &pr->lens[f], err);
    if (rc) feast_error_prefix(err, "feature %s: ", t->features[f].name);
  }
  return rc;
}

static feast_code write_winners(feast_online_store *s, const feast_feature_table_spec *t, const prow *rows,
                                const int64_t *win, size_t n_win, const feast_ingest_options *o,
                                feast_ingest_summary *sum, feast_error *err) {
  feast_store_table st = {t->name, t->n_features, NULL, t->has_max_age, t->max_age};
  const char **names = feast_calloc(t->n_features + 1, sizeof *names);
  size_t chunk = strcmp(s->ops->kind, "lmdb") == 0 ? n_win : (o->write_chunk ? o->write_chunk : 500);
  if (!chunk) chunk = 1;
  feast_store_row *sr = feast_calloc(chunk, sizeof *sr);
  uint8_t *written = feast_calloc(chunk, 1);
  feast_code rc = FEAST_OK;
  if (!names || !sr || !written) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t f = 0; f < t->n_features && !rc; f++) names[f] = t->features[f].name;
  st.features = names;
  for (size_t off = 0; off < n_win && !rc; off += chunk) {
    size_t m = n_win - off < chunk ? n_win - off : chunk;
    for (size_t i = 0; i < m; i++) {
      const prow *p = &rows[win[off + i]];
      sr[i] = (feast_store_row){p->key, p->key_len, p->ev, p->cr, p->vals, p->lens};
    }
    memset(written, 0, m);
    rc = s->ops->write(s, &st, sr, m, written, err);
    for (size_t i = 0; i < m; i++) {
      if (written[i]) sum->written++;
      else if (!rc) sum->skipped_older++;
    }
  }
  feast_free(names);
  feast_free(sr);
  feast_free(written);
  if (rc) feast_error_prefix(err, "table %s: writing to the %s store: ", t->name, s->ops->kind);
  return rc;
}

static feast_code ingest_one(feast_online_store *s, const feast_feature_table_spec *t, const feast_entity_spec *ents,
                             size_t n_ents, const feast_batch *b, const feast_ingest_options *o, feast_ingest_summary *sum,
                             feast_error *err) {
  const feast_data_source *src = o->source ? o->source : &t->batch_source;
  const char *project = o->project && *o->project ? o->project : "default";
  ingest_cols cols;
  feast_code rc = ingest_cols_resolve(t, src, ents, n_ents, b, &cols, err);
  if (rc) return rc;
  int64_t n = b->num_rows;
  size_t cap = 16;
  while (cap < (size_t)n * 2) cap <<= 1;
  batch_ctx c = {feast_arena_new(0), {0}, b, o, sum};
  feast_buf_init(&c.scratch, VALUE_MAX);
  prow *rows = feast_calloc((size_t)n + 1, sizeof *rows);
  int64_t *slots = feast_malloc(cap * sizeof *slots);
  int64_t *win = feast_malloc(((size_t)n + 1) * sizeof *win); /* slot positions, first-seen order */
  size_t n_win = 0;
  if (!c.arena || !rows || !slots || !win) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  else memset(slots, 0xff, cap * sizeof *slots);
  feast_error row_err;
  for (int64_t r = 0; r < n && !rc; r++) {
    int64_t source_row = sum->read++;
    int skip;
    feast_code brc = build_row(&c, t, &cols, project, r, &rows[r], &skip, &row_err);
    if (brc == FEAST_E_INVALID) {
      reject(&c, r, source_row, row_err.message);
      continue;
    }
    if (brc) {
      rc = brc;
      *err = row_err;
      break;
    }
    if (skip) {
      sum->out_of_window++;
      continue;
    }
    size_t pos = (size_t)feast_hash64(rows[r].key, rows[r].key_len, 0) & (cap - 1);
    for (;;) {
      int64_t cur = slots[pos];
      if (cur < 0) {
        slots[pos] = r;
        win[n_win++] = (int64_t)pos;
        break;
      }
      const prow *o2 = &rows[cur];
      if (o2->key_len == rows[r].key_len && memcmp(o2->key, rows[r].key, o2->key_len) == 0) {
        if (feast_row_newer(rows[r].ev, rows[r].cr, o2->ev, o2->cr)) slots[pos] = r;
        sum->skipped_older++;
        break;
      }
      pos = (pos + 1) & (cap - 1);
    }
  }
  if (!rc) {
    for (size_t i = 0; i < n_win; i++) win[i] = slots[win[i]];
    rc = write_winners(s, t, rows, win, n_win, o, sum, err);
  }
  feast_free(rows);
  feast_free(slots);
  feast_free(win);
  feast_buf_free(&c.scratch);
  feast_arena_free(c.arena);
  ingest_cols_clear(&cols);
  return rc;
}

feast_code feast_ingest_batch(feast_online_store *store, const feast_feature_table_spec *table,
                              const feast_entity_spec *entities, size_t n_entities, const feast_batch *batch,
                              const feast_ingest_options *opts, feast_ingest_summary *summary, feast_error *err) {
  feast_ingest_options none = {0};
  return ingest_one(store, table, entities, n_entities, batch, opts ? opts : &none, summary, err);
}

feast_code feast_ingest(feast_online_store *store, const feast_feature_table_spec *table,
                        const feast_entity_spec *entities, size_t n_entities, feast_batch_source *src,
                        const feast_ingest_options *opts, feast_ingest_summary *summary, feast_error *err) {
  memset(summary, 0, sizeof *summary);
  for (;;) {
    feast_batch *b = NULL;
    feast_code rc = src->next(src, &b, err);
    if (rc) return feast_error_prefix(err, "reading the source of table %s: ", table->name);
    if (!b) return FEAST_OK;
    rc = feast_ingest_batch(store, table, entities, n_entities, b, opts, summary, err);
    feast_batch_free(b);
    if (rc) return rc;
  }
}
