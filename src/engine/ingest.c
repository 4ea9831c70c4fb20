/*
 * ingest.c - batch ingestion: validate, window, dedup per entity key, then a
 * conditional ("only if newer") write to the online store.
 *
 * Dedup comes before the expensive work: each row's key is looked up in an
 * open-addressing table of pending winners whose slots hold the winner's
 * (event, created) times, so a losing row costs one cache line (prefetched
 * a block of rows ahead). A single INT32/INT64 entity is looked up by its
 * value; other keys by their RedisKeyV2 bytes, built in a scratch buffer.
 * Only a row that wins gets its key copied (integer keys: built), and features
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
#include "engine/ingest_internal.h"
#include "engine/ingest_schema.h"
#include "format/proto/feastproto.h"
#include "online/backend.h"

#define VALUE_MAX ((size_t)64 << 20) /* one serialized value or key */
#define DEFAULT_DEDUP_BYTES ((size_t)256 << 20)
#define DEFAULT_CHUNK 262144
#define EMPTY UINT32_MAX
#define BLOCK 64 /* rows validated and hashed before their slots are probed */

/* One slot of the open-addressing table: everything a row needs to lose
 * (the common case with many rows per key), so a losing row costs one cache
 * line, fetched ahead of time. */
typedef struct dedup_slot {
  uint64_t id;     /* integer keys: the entity value; else the key's 64-bit hash */
  feast_ts ev, cr; /* the pending winner's times */
  uint32_t idx;    /* into ents; EMPTY = a free slot */
  uint32_t row1;   /* 1 + the winner's row in the batch being read; 0 = encoded */
} dedup_slot;

typedef struct pend { /* the winning row of one key */
  const uint8_t *key; /* RedisKeyV2 bytes; integer keys build it when first encoded */
  size_t key_len;
  uint8_t *blob;    /* per feature: u32 length, then the Value bytes */
  size_t blob_cap;  /* bytes at blob, reused when a later winner fits */
  uint32_t slot;    /* its slot (updated when the table grows) */
} pend;

typedef struct pending {
  feast_arena *arena; /* keys and blobs */
  pend *ents;         /* first-seen order */
  uint32_t *touched;  /* slots whose winner is in the batch being read */
  size_t n, n_touched, ents_cap;
  dedup_slot *slots; /* power-of-two count, at most half full (feast_table_alloc: random probes) */
  void *slots_mem;
  size_t cap;
  size_t bytes;  /* roughly what is pending, for dedup_bytes */
  int int_keys;  /* -1 = not known yet; 1 = one INT32/INT64 entity: the value is the key */
  size_t key_room; /* the longest entity key the online store can hold for this table */
} pending;

typedef struct cand { /* a row of the current block that passed validation */
  int64_t row;
  feast_ts ev, cr;
  uint64_t id;
  size_t key_off, key_len; /* generic keys: in bkeys */
} cand;

typedef struct batch_ctx {
  feast_buf scratch, ebuf, kbuf, bkeys;
  const feast_batch *b;
  const feast_ingest_options *opts;
  feast_ingest_summary *sum;
} batch_ctx;

static inline uint64_t slot_home(const pending *p, uint64_t id) { return p->int_keys == 1 ? feast_hash_u64(id) : id; }

static feast_code pending_init(pending *p, size_t expect_keys, feast_error *err) {
  memset(p, 0, sizeof *p);
  p->int_keys = -1;
  p->arena = feast_arena_new((size_t)1 << 20);
  p->cap = 1024;
  while (p->cap < expect_keys * 2 && p->cap < ((size_t)1 << 31)) p->cap *= 2;
  p->slots = feast_table_alloc(p->cap * sizeof *p->slots, &p->slots_mem);
  if (!p->arena || !p->slots) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  memset(p->slots, 0xff, p->cap * sizeof *p->slots);
  return FEAST_OK;
}

static void pending_free(pending *p) {
  feast_arena_free(p->arena);
  feast_free(p->ents);
  feast_free(p->touched);
  feast_free(p->slots_mem);
  memset(p, 0, sizeof *p);
}

static void pending_reset(pending *p) {
  feast_arena_reset(p->arena);
  memset(p->slots, 0xff, p->cap * sizeof *p->slots);
  p->n = p->n_touched = p->bytes = 0;
}

/* Room for `more` entries: entry arrays and a table at most half full. */
static feast_code pending_grow(pending *p, size_t more, feast_error *err) {
  if (p->n + more > p->ents_cap) {
    if (p->n + more >= EMPTY / 2) return feast_fail(err, FEAST_E_TOO_BIG, "ingest: too many keys pending");
    size_t nc = p->ents_cap ? p->ents_cap : 1024;
    while (nc < p->n + more) nc *= 2;
    pend *e = feast_realloc(p->ents, nc * sizeof *e);
    if (!e) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    p->ents = e;
    uint32_t *t = feast_realloc(p->touched, nc * sizeof *t);
    if (!t) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    p->touched = t;
    p->ents_cap = nc;
  }
  if ((p->n + more) * 2 > p->cap) {
    size_t nc = p->cap * 2;
    while ((p->n + more) * 2 > nc) nc *= 2;
    void *mem;
    dedup_slot *s = feast_table_alloc(nc * sizeof *s, &mem);
    if (!s) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    memset(s, 0xff, nc * sizeof *s);
    for (size_t i = 0; i < p->cap; i++) {
      dedup_slot *o = &p->slots[i];
      if (o->idx == EMPTY) continue;
      size_t pos = (size_t)slot_home(p, o->id) & (nc - 1);
      while (s[pos].idx != EMPTY) pos = (pos + 1) & (nc - 1);
      s[pos] = *o;
      p->ents[o->idx].slot = (uint32_t)pos;
      o->id = pos; /* the old table is dropped below: leave the forwarding address */
    }
    for (size_t i = 0; i < p->n_touched; i++) p->touched[i] = (uint32_t)p->slots[p->touched[i]].id;
    feast_free(p->slots_mem);
    p->slots = s;
    p->slots_mem = mem;
    p->cap = nc;
  }
  return FEAST_OK;
}

static void reject(batch_ctx *c, int64_t row, int64_t source_row, const char *reason) {
  c->sum->rejected++;
  if (!c->sum->first_reject[0]) {
    char *d = c->sum->first_reject;
    size_t cap = sizeof c->sum->first_reject;
    int k = snprintf(d, cap, "row %lld: ", (long long)source_row + 1); /* people count rows from 1 */
    size_t used = k > 0 && (size_t)k < cap ? (size_t)k : 0, rl = strlen(reason);
    if (rl > cap - 1 - used) rl = cap - 1 - used;
    memcpy(d + used, reason, rl);
    d[used + rl] = 0;
  }
  if (c->opts->dead_letter) c->opts->dead_letter(c->opts->dead_letter_ctx, c->b, row, source_row, reason);
}

/* A timestamp column's row in microseconds; the common layout read directly. */
static inline feast_ts ts_at(const feast_array *a, int64_t r) {
  if (a->type.id == FEAST_DT_TIMESTAMP && a->type.unit == FEAST_UNIT_US) return ((const int64_t *)a->values)[r];
  return feast_array_get_ts_us(a, r);
}

static inline int64_t int_at(const feast_array *a, int64_t r) {
  if (a->type.id == FEAST_DT_INT64) return ((const int64_t *)a->values)[r];
  if (a->type.id == FEAST_DT_INT32) return ((const int32_t *)a->values)[r];
  return feast_array_get_int(a, r);
}

/* Bytes per value of a fixed-width numeric column, 0 for the rest. */
static inline int fixed_width(const feast_array *a) {
  switch (a->type.id) {
  case FEAST_DT_INT64: case FEAST_DT_DOUBLE: case FEAST_DT_TIMESTAMP: return 8;
  case FEAST_DT_INT32: case FEAST_DT_FLOAT: return 4;
  default: return 0;
  }
}

/* Append feature f of `row` to c->scratch as u32 length + Value bytes. */
static feast_code put_feature(batch_ctx *c, const feast_array *a, feast_pb_fast kind, feast_value_type vt, int64_t row,
                              feast_error *err) {
  feast_code rc = feast_buf_reserve(&c->scratch, 4 + FEAST_PB_FAST_MAX, err);
  if (rc) return rc;
  uint8_t *d = c->scratch.data + c->scratch.len;
  uint32_t len = 0;
  if (kind != FEAST_PB_FAST_NONE) {
    /* a null is the empty Value */
    if (feast_array_is_valid(a, row)) len = (uint32_t)feast_pb_fast_put(d + 4, kind, vt, a, row);
    memcpy(d, &len, 4);
    c->scratch.len += 4 + len;
    return FEAST_OK;
  }
  size_t at = c->scratch.len;
  c->scratch.len += 4;
  if ((rc = feast_pb_value_from_array(a, row, vt, &c->scratch, err))) return rc;
  len = (uint32_t)(c->scratch.len - at - 4);
  memcpy(c->scratch.data + at, &len, 4);
  return FEAST_OK;
}

/* Row r's entity key bytes in c->kbuf. */
static feast_code build_key(batch_ctx *c, const ingest_cols *cols, const char *project, const uint8_t **eptr,
                            size_t *elen, int64_t r, feast_error *err) {
  size_t ne = cols->n_entities;
  feast_code rc = FEAST_OK;
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

/* Validate row r. FEAST_E_INVALID = a row to reject (reason in err); FEAST_OK
 * with *skip set = outside the window. Generic keys are built in c->kbuf. */
static feast_code row_check(batch_ctx *c, const feast_feature_table_spec *t, const ingest_cols *cols, const char *project,
                            const bool *is_list, bool any_list, bool int_keys, const uint8_t **eptr, size_t *elen,
                            int64_t r, feast_ts *ev, feast_ts *cr, int *skip, feast_error *err) {
  *skip = 0;
  for (size_t k = 0; k < cols->n_entities; k++)
    if (!feast_array_is_valid(cols->entity_cols[k], r))
      return feast_fail(err, FEAST_E_INVALID, "entity %s (column %s) is null", cols->entity_names[k], cols->entity_colnames[k]);
  if (!feast_array_is_valid(cols->event_col, r)) return feast_fail(err, FEAST_E_INVALID, "event timestamp is null");
  *ev = ts_at(cols->event_col, r);
  *cr = cols->created_col && feast_array_is_valid(cols->created_col, r) ? ts_at(cols->created_col, r) : FEAST_TS_MIN;
  if ((c->opts->has_start && *ev < c->opts->start) || (c->opts->has_end && *ev >= c->opts->end)) {
    *skip = 1;
    return FEAST_OK;
  }
  feast_code rc = FEAST_OK;
  /* The only feature values that make a row invalid are lists holding a
   * null; check them now so that dedup never picks a row it must reject. */
  for (size_t f = 0; any_list && f < t->n_features && !rc; f++) {
    if (!is_list[f]) continue;
    feast_buf_reset(&c->scratch);
    rc = feast_pb_value_from_array(cols->feature_cols[f], r, t->features[f].value_type, &c->scratch, err);
    if (rc) feast_error_prefix(err, "feature %s: ", t->features[f].name);
  }
  if (rc || int_keys) return rc;
  return build_key(c, cols, project, eptr, elen, r, err);
}

/* Encode the features (and, for integer keys, the key) of every entry that
 * won in this batch. */
static feast_code encode_touched(batch_ctx *c, pending *pd, const feast_feature_table_spec *t, const ingest_cols *cols,
                                 const char *project, const uint8_t **eptr, size_t *elen, const feast_pb_fast *kinds,
                                 feast_error *err) {
  for (size_t i = 0; i < pd->n_touched; i++) {
    /* Winners sit at random slots and random rows: fetch the slot 16
     * entries ahead, then its entry and the row's features 8 ahead. */
    if (i + 16 < pd->n_touched) __builtin_prefetch(&pd->slots[pd->touched[i + 16]]);
    if (i + 8 < pd->n_touched) {
      const dedup_slot *ahead = &pd->slots[pd->touched[i + 8]];
      int64_t ar = (int64_t)ahead->row1 - 1;
      __builtin_prefetch(&pd->ents[ahead->idx]);
      for (size_t f = 0; f < t->n_features; f++) {
        const feast_array *a = cols->feature_cols[f];
        int w = fixed_width(a);
        if (w) __builtin_prefetch((const uint8_t *)a->values + ar * w);
      }
    }
    dedup_slot *s = &pd->slots[pd->touched[i]];
    pend *p = &pd->ents[s->idx];
    int64_t row = (int64_t)s->row1 - 1;
    feast_code rc;
    if (!p->key) {
      if ((rc = build_key(c, cols, project, eptr, elen, row, err))) return rc;
      uint8_t *key = feast_arena_alloc(pd->arena, c->kbuf.len);
      if (!key) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
      memcpy(key, c->kbuf.data, c->kbuf.len);
      p->key = key;
      p->key_len = c->kbuf.len;
      pd->bytes += c->kbuf.len;
    }
    feast_buf_reset(&c->scratch);
    for (size_t f = 0; f < t->n_features; f++)
      if ((rc = put_feature(c, cols->feature_cols[f], kinds[f], t->features[f].value_type, row, err)))
        return feast_error_prefix(err, "feature %s: ", t->features[f].name);
    if (!p->blob || p->blob_cap < c->scratch.len) {
      p->blob = feast_arena_alloc(pd->arena, c->scratch.len + 1);
      if (!p->blob) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
      p->blob_cap = c->scratch.len;
      pd->bytes += c->scratch.len;
    }
    memcpy(p->blob, c->scratch.data, c->scratch.len);
    s->row1 = 0;
  }
  pd->n_touched = 0;
  return FEAST_OK;
}

/* Look row `x` up; it becomes the key's pending winner when newer. */
static feast_code probe(pending *pd, batch_ctx *c, const cand *x, feast_error *err) {
  size_t mask = pd->cap - 1, pos = (size_t)slot_home(pd, x->id) & mask;
  const uint8_t *kb = c->bkeys.data + x->key_off;
  for (;;) {
    dedup_slot *s = &pd->slots[pos];
    if (s->idx == EMPTY) {
      pend *p = &pd->ents[pd->n];
      memset(p, 0, sizeof *p);
      if (pd->int_keys != 1) {
        uint8_t *key = feast_arena_alloc(pd->arena, x->key_len);
        if (!key) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
        memcpy(key, kb, x->key_len);
        p->key = key;
        p->key_len = x->key_len;
        pd->bytes += x->key_len;
      }
      p->slot = (uint32_t)pos;
      *s = (dedup_slot){x->id, x->ev, x->cr, (uint32_t)pd->n, (uint32_t)(x->row + 1)};
      pd->touched[pd->n_touched++] = (uint32_t)pos;
      pd->n++;
      pd->bytes += sizeof(pend) + 2 * sizeof(dedup_slot) + sizeof(uint32_t);
      return FEAST_OK;
    }
    if (s->id == x->id) {
      const pend *p = &pd->ents[s->idx];
      if (pd->int_keys == 1 || (p->key_len == x->key_len && memcmp(p->key, kb, x->key_len) == 0)) {
        if (feast_row_newer(x->ev, x->cr, s->ev, s->cr)) {
          if (!s->row1) pd->touched[pd->n_touched++] = (uint32_t)pos;
          s->ev = x->ev;
          s->cr = x->cr;
          s->row1 = (uint32_t)(x->row + 1);
        }
        c->sum->skipped_older++;
        return FEAST_OK;
      }
    }
    pos = (pos + 1) & mask;
  }
}

/* Deduplicate one batch into the pending winners: rows go in blocks, each
 * validated and hashed first, its slots prefetched, then probed. */
static feast_code add_batch(pending *pd, const feast_feature_table_spec *t, const feast_entity_spec *ents, size_t n_ents,
                            const feast_batch *b, const feast_ingest_options *o, feast_ingest_summary *sum,
                            feast_error *err) {
  const feast_data_source *src = o->source ? o->source : &t->batch_source;
  const char *project = o->project && *o->project ? o->project : "default";
  if (b->num_rows >= (int64_t)UINT32_MAX - 1)
    return feast_fail(err, FEAST_E_TOO_BIG, "table %s: a batch of %lld rows is too large", t->name, (long long)b->num_rows);
  ingest_cols cols;
  feast_code rc = ingest_cols_resolve(t, src, ents, n_ents, b, &cols, err);
  if (rc) return rc;
  int ik = cols.n_entities == 1 && (cols.entity_types[0] == FEAST_VT_INT64 || cols.entity_types[0] == FEAST_VT_INT32);
  if (pd->int_keys < 0) pd->int_keys = ik;
  if (pd->int_keys != ik) {
    ingest_cols_clear(&cols);
    return feast_fail(err, FEAST_E_INTERNAL, "table %s: entity key kind changed between batches", t->name);
  }
  batch_ctx c = {{0}, {0}, {0}, {0}, b, o, sum};
  feast_buf_init(&c.scratch, VALUE_MAX);
  feast_buf_init(&c.ebuf, VALUE_MAX);
  feast_buf_init(&c.kbuf, VALUE_MAX);
  feast_buf_init(&c.bkeys, VALUE_MAX * 2);
  bool *is_list = feast_calloc(t->n_features + 1, sizeof *is_list);
  feast_pb_fast *kinds = feast_calloc(t->n_features + 1, sizeof *kinds);
  const uint8_t **eptr = feast_calloc(cols.n_entities + 1, sizeof *eptr);
  size_t *elen = feast_calloc(cols.n_entities + 1, sizeof *elen);
  if (!is_list || !kinds || !eptr || !elen) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  bool any_list = false;
  for (size_t f = 0; f < t->n_features && !rc; f++) {
    is_list[f] = cols.feature_cols[f]->type.id == FEAST_DT_LIST;
    kinds[f] = feast_pb_fast_kind(cols.feature_cols[f], t->features[f].value_type);
    any_list |= is_list[f];
  }
  cand blk[BLOCK];
  feast_error row_err;
  for (int64_t r0 = 0; r0 < b->num_rows && !rc; r0 += BLOCK) {
    int64_t end = r0 + BLOCK < b->num_rows ? r0 + BLOCK : b->num_rows;
    if ((rc = pending_grow(pd, BLOCK, err))) break;
    size_t m = 0, mask = pd->cap - 1;
    feast_buf_reset(&c.bkeys);
    for (int64_t r = r0; r < end; r++) {
      int64_t source_row = sum->read++;
      int skip;
      cand *x = &blk[m];
      feast_code brc = row_check(&c, t, &cols, project, is_list, any_list, ik, eptr, elen, r, &x->ev, &x->cr, &skip,
                                 &row_err);
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
      if (!ik && c.kbuf.len > pd->key_room) { /* a row's problem, not the run's (issue 15 #9) */
        snprintf(row_err.message, sizeof row_err.message,
                 "the entity key is %zu bytes; the online store holds keys of at most %zu bytes for table %s",
                 c.kbuf.len, pd->key_room, t->name);
        reject(&c, r, source_row, row_err.message);
        continue;
      }
      x->row = r;
      if (ik) {
        x->id = (uint64_t)int_at(cols.entity_cols[0], r);
        x->key_off = x->key_len = 0;
      } else {
        x->id = feast_hash64(c.kbuf.data, c.kbuf.len, 0);
        x->key_off = c.bkeys.len;
        x->key_len = c.kbuf.len;
        if ((rc = feast_buf_append(&c.bkeys, c.kbuf.data, c.kbuf.len, err))) break;
      }
      __builtin_prefetch(&pd->slots[(size_t)slot_home(pd, x->id) & mask], 1);
      m++;
    }
    for (size_t i = 0; i < m && !rc; i++) rc = probe(pd, &c, &blk[i], err);
  }
  if (!rc) rc = encode_touched(&c, pd, t, &cols, project, eptr, elen, kinds, err);
  feast_free(is_list);
  feast_free(kinds);
  feast_free(eptr);
  feast_free(elen);
  feast_buf_free(&c.scratch);
  feast_buf_free(&c.ebuf);
  feast_buf_free(&c.kbuf);
  feast_buf_free(&c.bkeys);
  ingest_cols_clear(&cols);
  return rc;
}

/* Write every pending winner (first-seen order) and empty the table, with
 * `pos` in the last write where the backend stores positions atomically. */
static feast_code write_out(feast_online_store *s, const feast_feature_table_spec *t, pending *pd,
                            const feast_ingest_options *o, const feast_online_positions *pos, feast_ingest_summary *sum,
                            feast_error *err) {
  if (!pd->n && !pos) return FEAST_OK;
  size_t nf = t->n_features;
  feast_online_table st = {t->name, nf, NULL, t->has_max_age, t->max_age};
  size_t chunk = s->ops->caps & FEAST_ONLINE_CAP_BULK_ORDERED ? pd->n : (o->write_chunk ? o->write_chunk : DEFAULT_CHUNK);
  if (chunk > pd->n) chunk = pd->n;
  const char **names = feast_calloc(nf + 1, sizeof *names);
  feast_online_row *sr = feast_calloc(chunk + 1, sizeof *sr);
  const uint8_t **vals = feast_calloc(chunk * nf + 1, sizeof *vals);
  size_t *lens = feast_calloc(chunk * nf + 1, sizeof *lens);
  uint8_t *written = feast_calloc(chunk + 1, 1);
  feast_code rc = FEAST_OK;
  if (!names || !sr || !vals || !lens || !written) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t f = 0; f < nf && !rc; f++) names[f] = t->features[f].name;
  st.features = names;
  size_t off = 0;
  do {
    size_t m = pd->n - off < chunk ? pd->n - off : chunk;
    for (size_t i = 0; i < m && !rc; i++) {
      const pend *p = &pd->ents[off + i];
      if (i + 8 < m) __builtin_prefetch(&pd->slots[pd->ents[off + i + 8].slot]);
      const dedup_slot *sl = &pd->slots[p->slot];
      const uint8_t *q = p->blob;
      for (size_t f = 0; f < nf; f++) {
        uint32_t len;
        memcpy(&len, q, 4);
        lens[i * nf + f] = len;
        vals[i * nf + f] = len ? q + 4 : NULL;
        q += 4 + len;
      }
      sr[i] = (feast_online_row){p->key, p->key_len, sl->ev, sl->cr, vals + i * nf, lens + i * nf};
    }
    if (rc) break;
    memset(written, 0, m);
    bool last = off + m >= pd->n;
    rc = s->ops->write(s, &st, sr, m, written, last ? pos : NULL, err);
    for (size_t i = 0; i < m; i++) {
      if (written[i]) sum->written++;
      else if (!rc) sum->skipped_older++;
    }
    off += m;
  } while (!rc && off < pd->n);
  feast_free(names);
  feast_free(sr);
  feast_free(vals);
  feast_free(lens);
  feast_free(written);
  /* After a failure the winners stay pending, so a retry writes them again
   * (writing a row twice leaves what writing it once does). */
  if (rc) return feast_error_prefix(err, "table %s: writing to the %s store: ", t->name, s->ops->kind);
  pending_reset(pd);
  return FEAST_OK;
}

/* ---- the step-wise engine ---- */

struct feast_ingestion {
  feast_online_store *store;
  const feast_feature_table_spec *table;
  const feast_entity_spec *entities;
  size_t n_entities;
  feast_ingest_options opts;
  size_t budget;
  pending pd;
  feast_ingest_summary sum;
};

feast_code feast_ingestion_begin(feast_online_store *store, const feast_feature_table_spec *table,
                                 const feast_entity_spec *entities, size_t n_entities,
                                 const feast_ingest_options *opts, feast_ingestion **out, feast_error *err) {
  feast_ingestion *in = feast_calloc(1, sizeof *in);
  if (!in) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  in->store = store;
  in->table = table;
  in->entities = entities;
  in->n_entities = n_entities;
  if (opts) in->opts = *opts;
  in->budget = in->opts.dedup_bytes ? in->opts.dedup_bytes : DEFAULT_DEDUP_BYTES;
  /* Size the table for the rows the source says it holds (Parquet footers),
   * up to what the dedup budget can hold, so it rarely grows. */
  int64_t expect = in->opts.expected_rows > 0 ? in->opts.expected_rows : 0;
  size_t max_keys = in->budget / 128;
  feast_code rc = pending_init(&in->pd, (size_t)expect < max_keys ? (size_t)expect : max_keys, err);
  size_t tl = strlen(table->name) + 1; /* the LMDB key starts with the table's name */
  in->pd.key_room = !store->max_key ? SIZE_MAX : store->max_key > tl ? store->max_key - tl : 0;
  if (rc) {
    feast_ingestion_free(in);
    return rc;
  }
  *out = in;
  return FEAST_OK;
}

feast_code feast_ingestion_feed(feast_ingestion *in, const feast_batch *b, feast_error *err) {
  feast_code rc = add_batch(&in->pd, in->table, in->entities, in->n_entities, b, &in->opts, &in->sum, err);
  if (!rc && (in->opts.write_each_batch || in->pd.bytes >= in->budget)) rc = feast_ingestion_flush(in, err);
  return rc;
}

feast_code feast_ingestion_flush(feast_ingestion *in, feast_error *err) {
  return write_out(in->store, in->table, &in->pd, &in->opts, NULL, &in->sum, err);
}

feast_code feast_ingestion_flush_positions(feast_ingestion *in, const feast_online_positions *pos, feast_error *err) {
  feast_online_store *s = in->store;
  if (s->ops->caps & FEAST_ONLINE_CAP_ATOMIC_POSITIONS) return write_out(s, in->table, &in->pd, &in->opts, pos, &in->sum, err);
  feast_code rc = write_out(s, in->table, &in->pd, &in->opts, NULL, &in->sum, err);
  if (!rc && pos && pos->n) rc = s->ops->put_positions(s, pos, err);
  return rc;
}

size_t feast_ingestion_pending(const feast_ingestion *in) { return in->pd.n; }

const feast_ingest_summary *feast_ingestion_summary(const feast_ingestion *in) { return &in->sum; }

void feast_ingestion_free(feast_ingestion *in) {
  if (!in) return;
  pending_free(&in->pd);
  feast_free(in);
}

/* ---- one-call forms ---- */

feast_code feast_ingest_batch(feast_online_store *store, const feast_feature_table_spec *table,
                              const feast_entity_spec *entities, size_t n_entities, const feast_batch *batch,
                              const feast_ingest_options *opts, feast_ingest_summary *summary, feast_error *err) {
  feast_ingest_options o = {0};
  if (opts) o = *opts;
  if (batch && o.expected_rows <= 0) o.expected_rows = batch->num_rows;
  feast_ingestion *in;
  feast_code rc = feast_ingestion_begin(store, table, entities, n_entities, &o, &in, err);
  if (rc) return rc;
  in->sum = *summary; /* counts are added to */
  rc = feast_ingestion_feed(in, batch, err);
  if (!rc) rc = feast_ingestion_flush(in, err);
  *summary = in->sum;
  feast_ingestion_free(in);
  return rc;
}

feast_code feast_ingest(feast_online_store *store, const feast_feature_table_spec *table,
                        const feast_entity_spec *entities, size_t n_entities, feast_batch_source *src,
                        const feast_ingest_options *opts, feast_ingest_summary *summary, feast_error *err) {
  memset(summary, 0, sizeof *summary);
  feast_ingestion *in;
  feast_code rc = feast_ingestion_begin(store, table, entities, n_entities, opts, &in, err);
  if (rc) return rc;
  while (!rc) {
    feast_batch *b = NULL;
    if ((rc = src->next(src, &b, err))) {
      feast_error_prefix(err, "reading the source of table %s: ", table->name);
      break;
    }
    if (!b) {
      rc = feast_ingestion_flush(in, err);
      break;
    }
    rc = feast_ingestion_feed(in, b, err);
    feast_batch_free(b);
  }
  *summary = in->sum;
  feast_ingestion_free(in);
  return rc;
}
