/*
 * ingest.c - batch ingestion: validate, window, dedup per entity key, then a
 * conditional ("only if newer") write to the online store.
 *
 * Dedup comes before the expensive work: each row's key (RedisKeyV2 bytes)
 * is built in a scratch buffer and looked up in an open-addressing table of
 * pending winners; only a row that wins gets its key copied, and features
 * are encoded (feast.types.Value bytes, into one arena) only for the rows
 * still winning when their batch ends. feast_ingest keeps the table across
 * batches until `dedup_bytes` are pending, so a source with many rows per
 * key is written once per key, not once per batch; the store then sees
 * large writes (one LMDB transaction, multi-key Redis scripts). Writing the
 * maximum of several rows is what writing them one after the other would
 * leave, since each write only replaces an older row; the counts are the
 * same too (each loser counts once in skipped_older).
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
#define DEFAULT_DEDUP_BYTES ((size_t)256 << 20)
#define DEFAULT_CHUNK 262144
#define EMPTY UINT32_MAX

typedef struct pend { /* the winning row of one key */
  uint64_t hash;
  const uint8_t *key;
  size_t key_len;
  feast_ts ev, cr;
  int64_t row;         /* its row in the batch being read; -1 once encoded */
  uint8_t *blob;       /* per feature: u32 length, then the Value bytes */
  size_t blob_cap;     /* bytes at blob, reused when a later winner fits */
} pend;

typedef struct pending {
  feast_arena *arena; /* keys and blobs */
  pend *ents;         /* first-seen order */
  uint32_t *touched;  /* entries whose winner is in the batch being read */
  size_t n, n_touched, ents_cap;
  uint32_t *slots; /* open addressing over ents; EMPTY = free */
  size_t cap;
  size_t bytes; /* roughly what is pending, for dedup_bytes */
} pending;

typedef struct batch_ctx {
  feast_buf scratch, ebuf, kbuf;
  const feast_batch *b;
  const feast_ingest_options *opts;
  feast_ingest_summary *sum;
} batch_ctx;

static feast_code pending_init(pending *p, feast_error *err) {
  memset(p, 0, sizeof *p);
  p->arena = feast_arena_new((size_t)1 << 20);
  p->cap = 1024;
  p->slots = feast_malloc(p->cap * sizeof *p->slots);
  if (!p->arena || !p->slots) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  memset(p->slots, 0xff, p->cap * sizeof *p->slots);
  return FEAST_OK;
}

static void pending_free(pending *p) {
  feast_arena_free(p->arena);
  feast_free(p->ents);
  feast_free(p->touched);
  feast_free(p->slots);
  memset(p, 0, sizeof *p);
}

static void pending_reset(pending *p) {
  feast_arena_reset(p->arena);
  memset(p->slots, 0xff, p->cap * sizeof *p->slots);
  p->n = p->n_touched = p->bytes = 0;
}

/* Room for one more entry: entry arrays and a table at most half full. */
static feast_code pending_grow(pending *p, feast_error *err) {
  if (p->n == p->ents_cap) {
    if (p->n >= EMPTY / 2) return feast_fail(err, FEAST_E_TOO_BIG, "ingest: too many keys pending");
    size_t nc = p->ents_cap ? p->ents_cap * 2 : 1024;
    pend *e = feast_realloc(p->ents, nc * sizeof *e);
    if (!e) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    p->ents = e;
    uint32_t *t = feast_realloc(p->touched, nc * sizeof *t);
    if (!t) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    p->touched = t;
    p->ents_cap = nc;
  }
  if ((p->n + 1) * 2 > p->cap) {
    size_t nc = p->cap * 2;
    uint32_t *s = feast_malloc(nc * sizeof *s);
    if (!s) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    memset(s, 0xff, nc * sizeof *s);
    for (size_t i = 0; i < p->n; i++) {
      size_t pos = (size_t)p->ents[i].hash & (nc - 1);
      while (s[pos] != EMPTY) pos = (pos + 1) & (nc - 1);
      s[pos] = (uint32_t)i;
    }
    feast_free(p->slots);
    p->slots = s;
    p->cap = nc;
  }
  return FEAST_OK;
}

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

/* Validate row r and build its key in c->kbuf. FEAST_E_INVALID = a row to
 * reject (reason in err); FEAST_OK with *skip set = outside the window. */
static feast_code row_key(batch_ctx *c, const feast_feature_table_spec *t, const ingest_cols *cols, const char *project,
                          const bool *is_list, const uint8_t **eptr, size_t *elen, int64_t r, feast_ts *ev, feast_ts *cr,
                          int *skip, feast_error *err) {
  *skip = 0;
  for (size_t k = 0; k < cols->n_entities; k++)
    if (!feast_array_is_valid(cols->entity_cols[k], r))
      return feast_fail(err, FEAST_E_INVALID, "entity %s (column %s) is null", cols->entity_names[k], cols->entity_colnames[k]);
  if (!feast_array_is_valid(cols->event_col, r)) return feast_fail(err, FEAST_E_INVALID, "event timestamp is null");
  *ev = feast_array_get_ts_us(cols->event_col, r);
  *cr = cols->created_col && feast_array_is_valid(cols->created_col, r) ? feast_array_get_ts_us(cols->created_col, r)
                                                                         : FEAST_TS_MIN;
  if ((c->opts->has_start && *ev < c->opts->start) || (c->opts->has_end && *ev >= c->opts->end)) {
    *skip = 1;
    return FEAST_OK;
  }
  feast_code rc = FEAST_OK;
  /* The only feature values that make a row invalid are lists holding a
   * null; check them now so that dedup never picks a row it must reject. */
  for (size_t f = 0; f < t->n_features && !rc; f++) {
    if (!is_list[f]) continue;
    feast_buf_reset(&c->scratch);
    rc = feast_pb_value_from_array(cols->feature_cols[f], r, t->features[f].value_type, &c->scratch, err);
    if (rc) feast_error_prefix(err, "feature %s: ", t->features[f].name);
  }
  size_t ne = cols->n_entities;
  feast_buf_reset(&c->ebuf);
  for (size_t k = 0; k < ne && !rc; k++) {
    elen[k] = c->ebuf.len;
    rc = feast_pb_value_from_array(cols->entity_cols[k], r, cols->entity_types[k], &c->ebuf, err);
    if (rc) feast_error_prefix(err, "entity %s: ", cols->entity_names[k]);
    else elen[k] = c->ebuf.len - elen[k];
  }
  if (rc) return rc;
  for (size_t k = 0, off = 0; k < ne; off += elen[k++]) eptr[k] = c->ebuf.data + off;
  feast_buf_reset(&c->kbuf);
  return feast_pb_redis_key(project, ne, cols->entity_names, eptr, elen, &c->kbuf, err);
}

/* Encode the features of every entry that won in this batch. */
static feast_code encode_touched(batch_ctx *c, pending *pd, const feast_feature_table_spec *t, const ingest_cols *cols,
                                 feast_error *err) {
  for (size_t i = 0; i < pd->n_touched; i++) {
    pend *p = &pd->ents[pd->touched[i]];
    feast_buf_reset(&c->scratch);
    for (size_t f = 0; f < t->n_features; f++) {
      size_t at = c->scratch.len;
      uint32_t len;
      feast_code rc = feast_buf_reserve(&c->scratch, 4, err);
      if (rc) return rc;
      c->scratch.len += 4;
      if ((rc = feast_pb_value_from_array(cols->feature_cols[f], p->row, t->features[f].value_type, &c->scratch, err)))
        return feast_error_prefix(err, "feature %s: ", t->features[f].name);
      len = (uint32_t)(c->scratch.len - at - 4);
      memcpy(c->scratch.data + at, &len, 4);
    }
    if (!p->blob || p->blob_cap < c->scratch.len) {
      p->blob = feast_arena_alloc(pd->arena, c->scratch.len + 1);
      if (!p->blob) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
      p->blob_cap = c->scratch.len;
      pd->bytes += c->scratch.len;
    }
    memcpy(p->blob, c->scratch.data, c->scratch.len);
    p->row = -1;
  }
  pd->n_touched = 0;
  return FEAST_OK;
}

/* Deduplicate one batch into the pending winners. */
static feast_code add_batch(pending *pd, const feast_feature_table_spec *t, const feast_entity_spec *ents, size_t n_ents,
                            const feast_batch *b, const feast_ingest_options *o, feast_ingest_summary *sum,
                            feast_error *err) {
  const feast_data_source *src = o->source ? o->source : &t->batch_source;
  const char *project = o->project && *o->project ? o->project : "default";
  ingest_cols cols;
  feast_code rc = ingest_cols_resolve(t, src, ents, n_ents, b, &cols, err);
  if (rc) return rc;
  batch_ctx c = {{0}, {0}, {0}, b, o, sum};
  feast_buf_init(&c.scratch, VALUE_MAX);
  feast_buf_init(&c.ebuf, VALUE_MAX);
  feast_buf_init(&c.kbuf, VALUE_MAX);
  bool *is_list = feast_calloc(t->n_features + 1, sizeof *is_list);
  const uint8_t **eptr = feast_calloc(cols.n_entities + 1, sizeof *eptr);
  size_t *elen = feast_calloc(cols.n_entities + 1, sizeof *elen);
  if (!is_list || !eptr || !elen) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t f = 0; f < t->n_features && !rc; f++) is_list[f] = cols.feature_cols[f]->type.id == FEAST_DT_LIST;
  feast_error row_err;
  for (int64_t r = 0; r < b->num_rows && !rc; r++) {
    int64_t source_row = sum->read++;
    int skip;
    feast_ts ev = 0, cr = 0;
    feast_code brc = row_key(&c, t, &cols, project, is_list, eptr, elen, r, &ev, &cr, &skip, &row_err);
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
    if ((rc = pending_grow(pd, err))) break;
    uint64_t h = feast_hash64(c.kbuf.data, c.kbuf.len, 0);
    size_t pos = (size_t)h & (pd->cap - 1);
    for (;;) {
      uint32_t cur = pd->slots[pos];
      if (cur == EMPTY) {
        uint8_t *key = feast_arena_alloc(pd->arena, c.kbuf.len);
        if (!key) {
          rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
          break;
        }
        memcpy(key, c.kbuf.data, c.kbuf.len);
        pd->ents[pd->n] = (pend){h, key, c.kbuf.len, ev, cr, r, NULL, 0};
        pd->slots[pos] = (uint32_t)pd->n;
        pd->touched[pd->n_touched++] = (uint32_t)pd->n;
        pd->n++;
        pd->bytes += c.kbuf.len + sizeof(pend) + 3 * sizeof(uint32_t);
        break;
      }
      pend *p = &pd->ents[cur];
      if (p->hash == h && p->key_len == c.kbuf.len && memcmp(p->key, c.kbuf.data, c.kbuf.len) == 0) {
        if (feast_row_newer(ev, cr, p->ev, p->cr)) {
          if (p->row < 0) pd->touched[pd->n_touched++] = cur;
          p->ev = ev;
          p->cr = cr;
          p->row = r;
        }
        sum->skipped_older++;
        break;
      }
      pos = (pos + 1) & (pd->cap - 1);
    }
  }
  if (!rc) rc = encode_touched(&c, pd, t, &cols, err);
  feast_free(is_list);
  feast_free(eptr);
  feast_free(elen);
  feast_buf_free(&c.scratch);
  feast_buf_free(&c.ebuf);
  feast_buf_free(&c.kbuf);
  ingest_cols_clear(&cols);
  return rc;
}

/* Write every pending winner (first-seen order) and empty the table. */
static feast_code flush(feast_online_store *s, const feast_feature_table_spec *t, pending *pd, const feast_ingest_options *o,
                        feast_ingest_summary *sum, feast_error *err) {
  if (!pd->n) return FEAST_OK;
  size_t nf = t->n_features;
  feast_store_table st = {t->name, nf, NULL, t->has_max_age, t->max_age};
  size_t chunk = strcmp(s->ops->kind, "lmdb") == 0 ? pd->n : (o->write_chunk ? o->write_chunk : DEFAULT_CHUNK);
  if (chunk > pd->n) chunk = pd->n;
  const char **names = feast_calloc(nf + 1, sizeof *names);
  feast_store_row *sr = feast_calloc(chunk, sizeof *sr);
  const uint8_t **vals = feast_calloc(chunk * nf + 1, sizeof *vals);
  size_t *lens = feast_calloc(chunk * nf + 1, sizeof *lens);
  uint8_t *written = feast_calloc(chunk, 1);
  feast_code rc = FEAST_OK;
  if (!names || !sr || !vals || !lens || !written) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t f = 0; f < nf && !rc; f++) names[f] = t->features[f].name;
  st.features = names;
  for (size_t off = 0; off < pd->n && !rc; off += chunk) {
    size_t m = pd->n - off < chunk ? pd->n - off : chunk;
    for (size_t i = 0; i < m; i++) {
      const pend *p = &pd->ents[off + i];
      const uint8_t *q = p->blob;
      for (size_t f = 0; f < nf; f++) {
        uint32_t len;
        memcpy(&len, q, 4);
        lens[i * nf + f] = len;
        vals[i * nf + f] = len ? q + 4 : NULL;
        q += 4 + len;
      }
      sr[i] = (feast_store_row){p->key, p->key_len, p->ev, p->cr, vals + i * nf, lens + i * nf};
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
  feast_free(vals);
  feast_free(lens);
  feast_free(written);
  pending_reset(pd);
  if (rc) feast_error_prefix(err, "table %s: writing to the %s store: ", t->name, s->ops->kind);
  return rc;
}

feast_code feast_ingest_batch(feast_online_store *store, const feast_feature_table_spec *table,
                              const feast_entity_spec *entities, size_t n_entities, const feast_batch *batch,
                              const feast_ingest_options *opts, feast_ingest_summary *summary, feast_error *err) {
  feast_ingest_options none = {0};
  if (!opts) opts = &none;
  pending pd;
  feast_code rc = pending_init(&pd, err);
  if (!rc) rc = add_batch(&pd, table, entities, n_entities, batch, opts, summary, err);
  if (!rc) rc = flush(store, table, &pd, opts, summary, err);
  pending_free(&pd);
  return rc;
}

feast_code feast_ingest(feast_online_store *store, const feast_feature_table_spec *table,
                        const feast_entity_spec *entities, size_t n_entities, feast_batch_source *src,
                        const feast_ingest_options *opts, feast_ingest_summary *summary, feast_error *err) {
  feast_ingest_options none = {0};
  if (!opts) opts = &none;
  size_t budget = opts->dedup_bytes ? opts->dedup_bytes : DEFAULT_DEDUP_BYTES;
  memset(summary, 0, sizeof *summary);
  pending pd;
  feast_code rc = pending_init(&pd, err);
  while (!rc) {
    feast_batch *b = NULL;
    if ((rc = src->next(src, &b, err))) {
      feast_error_prefix(err, "reading the source of table %s: ", table->name);
      break;
    }
    if (!b) {
      rc = flush(store, table, &pd, opts, summary, err);
      break;
    }
    rc = add_batch(&pd, table, entities, n_entities, b, opts, summary, err);
    feast_batch_free(b);
    if (!rc && (opts->write_each_batch || pd.bytes >= budget)) rc = flush(store, table, &pd, opts, summary, err);
  }
  pending_free(&pd);
  return rc;
}
