/*
 * pit.c - the point-in-time join index: entity rows mapped to key ids,
 * candidate feature rows kept as struct-of-arrays (key id, event ts,
 * created ts, source reference), then sorted per key and probed.
 *
 * Order inside a key: (event ts, created ts, reference) ascending, so the
 * last row with event ts <= entity ts is the winner: latest event, then
 * latest created, then the later row in source order. A null created ts
 * sorts before every real one. Rows with a null event ts never match.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "engine/pit.h"

typedef struct pit_row {
  int64_t ts, cts, ref;
} pit_row;

/* Streaming mode: an entity row's best candidate so far (ref -1: none). */
typedef struct pit_best {
  int64_t ets, ts, cts, ref;
} pit_best;

/* Keys with at most this many entity rows are joined in streaming mode. */
#define PIT_STREAM_MAX_ROWS 32

struct pit_index {
  pit_cfg cfg;
  pit_dict *dict;
  int64_t n_ent;
  int32_t *ekid;
  int64_t *ets;
  int64_t n, cap; /* kept feature rows */
  int32_t *fkid;
  pit_row *frow;
  /* Streaming mode (every key has few entity rows): entity rows grouped by
   * key id, by timestamp inside a key, each holding its best candidate;
   * feature rows update them as they arrive and are not kept. */
  bool stream;
  bool aux; /* int keys: the dict slot holds start << 5 | (count - 1) (one miss less per feature row) */
  int64_t *estart; /* key id k: positions [estart[k], estart[k + 1]) */
  int64_t *eorder; /* position -> entity row */
  pit_best *best;
  void *best_mem; /* what to free for best */
};

/* Int keys: put each key's (first position, count) and the event-time
 * window its entity rows can use into its dict slot, so a feature row costs
 * one miss, and none more when it falls outside the window. False when out
 * of memory (the plain streaming path still works). */
static bool set_key_windows(pit_index *x) {
  int64_t K = pit_dict_size(x->dict);
  const int64_t *cnt = x->estart;
  uint32_t *aux = feast_malloc((size_t)(K + 1) * sizeof *aux);
  int64_t *lo = feast_malloc((size_t)(K + 1) * sizeof *lo), *hi = feast_malloc((size_t)(K + 1) * sizeof *hi);
  bool ok = aux && lo && hi;
  if (ok) {
    int64_t age = x->cfg.has_max_age ? x->cfg.max_age : INT64_MAX; /* max_age >= 0 */
    for (int64_t k = 0; k < K; k++) {
      aux[k] = (uint32_t)(cnt[k] << 5 | (cnt[k + 1] - cnt[k] - 1));
      /* a feature row can only win an entity row of its key at or after its
       * event time and at most max_age later: outside [first - max_age,
       * last] it wins none */
      int64_t first = x->best[cnt[k]].ets;
      lo[k] = first < INT64_MIN + age ? INT64_MIN : first - age;
      hi[k] = x->best[cnt[k + 1] - 1].ets;
    }
    pit_dict_set_aux(x->dict, aux, lo, hi);
  }
  feast_free(aux);
  feast_free(lo);
  feast_free(hi);
  return ok;
}

/* Streaming mode setup: counting sort of the entity rows by key id, then by
 * timestamp inside each key. Keeps the sort mode when a key has too many
 * entity rows (a feature row visits every entity row of its key that it can
 * win, so hot keys would cost entity rows x feature rows). */
static bool stream_setup(pit_index *x) {
  int64_t K = pit_dict_size(x->dict);
  int64_t *cnt = feast_calloc((size_t)K + 2, sizeof *cnt);
  if (!cnt) return false;
  for (int64_t r = 0; r < x->n_ent; r++)
    if (x->ekid[r] >= 0 && ++cnt[x->ekid[r] + 1] > PIT_STREAM_MAX_ROWS) {
      feast_free(cnt);
      return true; /* not an error: the sort mode is used */
    }
  for (int64_t k = 0; k < K; k++) cnt[k + 1] += cnt[k];
  int64_t n = cnt[K];
  x->eorder = feast_malloc((size_t)(n + 1) * sizeof *x->eorder);
  x->best = feast_table_alloc((size_t)(n + 1) * sizeof *x->best, &x->best_mem);
  int64_t *pos = feast_malloc((size_t)(K + 1) * sizeof *pos);
  if (!x->eorder || !x->best || !pos) {
    feast_free(pos);
    feast_free(cnt);
    return false;
  }
  memcpy(pos, cnt, (size_t)(K + 1) * sizeof *pos);
  for (int64_t r = 0; r < x->n_ent; r++)
    if (x->ekid[r] >= 0) x->eorder[pos[x->ekid[r]]++] = r;
  feast_free(pos);
  for (int64_t k = 0; k < K; k++) {
    int64_t *o = x->eorder + cnt[k], m = cnt[k + 1] - cnt[k];
    for (int64_t i = 1; i < m; i++) { /* insertion sort by timestamp: runs are short */
      int64_t v = o[i], j = i;
      while (j > 0 && x->ets[o[j - 1]] > x->ets[v]) {
        o[j] = o[j - 1];
        j--;
      }
      o[j] = v;
    }
  }
  for (int64_t p = 0; p < n; p++) x->best[p] = (pit_best){x->ets[x->eorder[p]], 0, 0, -1};
  x->estart = cnt;
  x->stream = true;
  /* every key of the dict has 1..32 entity rows (keys come from entity rows) */
  x->aux = pit_dict_is_int(x->dict) && n < ((int64_t)1 << 27) && set_key_windows(x);
  return true;
}

/* A feature row (key id, event ts, created ts, ref) offered to the entity
 * rows of its key: it becomes the best of every row it can win. */
static inline void stream_offer(pit_index *x, int64_t p, int64_t end, int64_t t, int64_t ct, int64_t ref) {
  bool has_age = x->cfg.has_max_age;
  uint64_t age = (uint64_t)x->cfg.max_age;
  for (pit_best *b = x->best + p, *e = x->best + end; b < e; b++) {
    if (b->ets < t) continue;
    if (has_age && (uint64_t)b->ets - (uint64_t)t > age) break; /* later entity rows are later still */
    if (b->ref < 0 || t > b->ts || (t == b->ts && (ct > b->cts || (ct == b->cts && ref > b->ref)))) {
      b->ts = t;
      b->cts = ct;
      b->ref = ref;
    }
  }
}

feast_code pit_batches_push(pit_batches *l, feast_batch *b, feast_error *err) {
  if (l->n == l->cap) {
    int64_t cap = l->cap ? l->cap * 2 : 16;
    feast_batch **p = feast_realloc(l->b, (size_t)cap * sizeof *p);
    if (!p) {
      feast_batch_free(b);
      return feast_fail(err, FEAST_E_NOMEM, "out of memory listing batches");
    }
    l->b = p;
    l->cap = cap;
  }
  l->b[l->n++] = b;
  l->rows += b->num_rows;
  return FEAST_OK;
}

void pit_batches_clear(pit_batches *l) {
  for (int64_t i = 0; i < l->n; i++) feast_batch_free(l->b[i]);
  feast_free(l->b);
  memset(l, 0, sizeof *l);
}

static size_t array_bytes(const feast_array *a) {
  if (!a) return 0;
  size_t n = (size_t)a->capacity * (size_t)feast_dtype_byte_width(a->type) + (size_t)a->data_capacity;
  if (a->validity) n += (size_t)(a->capacity + 7) / 8;
  if (a->offsets) n += (size_t)(a->capacity + 1) * 4;
  if (a->type.id == FEAST_DT_BOOL) n += (size_t)(a->capacity + 7) / 8;
  if (!a->capacity) n += (size_t)a->length * (size_t)feast_dtype_byte_width(a->type) + (size_t)a->data_len;
  return n + sizeof *a + array_bytes(a->child);
}

size_t pit_batch_bytes(const feast_batch *b) {
  size_t n = sizeof *b;
  for (int i = 0; i < b->num_columns; i++) n += array_bytes(b->columns[i]);
  return n;
}

feast_code pit_keycols_of(const feast_batch *b, int n, const char *const *names, pit_keycols *k, feast_error *err) {
  if (n > PIT_MAX_KEYS) return feast_fail(err, FEAST_E_UNSUPPORTED, "more than %d entity columns", PIT_MAX_KEYS);
  k->n = n;
  for (int i = 0; i < n; i++) {
    int c = feast_batch_find(b, names[i]);
    if (c < 0) return feast_fail(err, FEAST_E_SCHEMA, "column '%s' is missing", names[i]);
    k->col[i] = b->columns[c];
  }
  return FEAST_OK;
}

static const feast_array *ts_col(const feast_batch *b, const char *name, feast_error *err) {
  int c = feast_batch_find(b, name);
  if (c < 0) {
    feast_fail(err, FEAST_E_SCHEMA, "timestamp column '%s' is missing", name);
    return NULL;
  }
  const feast_array *a = b->columns[c];
  if (a->type.id != FEAST_DT_TIMESTAMP && a->type.id != FEAST_DT_DATE32) {
    feast_fail(err, FEAST_E_SCHEMA, "column '%s' is not a timestamp", name);
    return NULL;
  }
  return a;
}

feast_code pit_index_new(const pit_cfg *cfg, const pit_batches *ent, pit_index **out, feast_error *err) {
  pit_index *x = feast_calloc(1, sizeof *x);
  if (!x) return feast_fail(err, FEAST_E_NOMEM, "out of memory building a join index");
  x->cfg = *cfg;
  x->n_ent = ent->rows;
  x->ekid = feast_malloc((size_t)(ent->rows + 1) * sizeof(int32_t));
  x->ets = feast_malloc((size_t)(ent->rows + 1) * sizeof(int64_t));
  feast_code rc = FEAST_OK;
  if (!x->ekid || !x->ets) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory building a join index");
  int64_t r = 0;
  for (int64_t bi = 0; !rc && bi < ent->n; bi++) {
    const feast_batch *b = ent->b[bi];
    pit_keycols k;
    const feast_array *ts = NULL;
    if ((rc = pit_keycols_of(b, cfg->n_keys, cfg->entity_keys, &k, err))) break;
    if (!(ts = ts_col(b, cfg->entity_ts, err))) {
      rc = err->code;
      break;
    }
    if (!x->dict && !(x->dict = pit_dict_new(ent->rows, pit_key_is_int(&k)))) {
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory building a key dictionary");
      break;
    }
    enum { AHEAD = 16 }; /* inserts are cache misses too: prefetch their slots */
    for (int64_t i = 0; i < b->num_rows; i++, r++) {
      if (i + AHEAD < b->num_rows) pit_dict_prefetch(x->dict, &k, i + AHEAD);
      int32_t id = feast_array_is_valid(ts, i) ? pit_dict_id(x->dict, &k, i, true) : -1;
      if (id == -2) {
        rc = feast_fail(err, FEAST_E_NOMEM, "out of memory building a key dictionary");
        break;
      }
      x->ekid[r] = id;
      x->ets[r] = id >= 0 ? pit_ts(ts, i, cfg->ns) : 0;
    }
  }
  if (!rc && !x->dict && !(x->dict = pit_dict_new(0, true)))
    rc = feast_fail(err, FEAST_E_NOMEM, "out of memory building a key dictionary");
  if (!rc && !stream_setup(x)) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory building a join index");
  if (rc) {
    pit_index_free(x);
    return rc;
  }
  *out = x;
  return FEAST_OK;
}

static bool same_entity_side(const pit_cfg *a, const pit_cfg *b) {
  if (a->n_keys != b->n_keys || a->ns != b->ns || strcmp(a->entity_ts, b->entity_ts) != 0) return false;
  for (int i = 0; i < a->n_keys; i++)
    if (strcmp(a->entity_keys[i], b->entity_keys[i]) != 0) return false;
  return true;
}

bool pit_index_rebind(pit_index *x, const pit_cfg *cfg) {
  if (!same_entity_side(&x->cfg, cfg)) return false;
  x->cfg = *cfg;
  x->n = 0;
  if (!x->stream) return true; /* the probe already emptied the candidate rows */
  int64_t n = x->estart[pit_dict_size(x->dict)];
  for (int64_t p = 0; p < n; p++) x->best[p].ref = -1;
  if (x->aux) x->aux = set_key_windows(x); /* max_age may differ */
  return true;
}

/* Is a (timestamp) column's raw int64 value already in the compare unit? */
static bool raw_ts(const feast_array *a, bool ns) {
  return a->type.id == FEAST_DT_TIMESTAMP && a->type.unit == (ns ? FEAST_UNIT_NS : FEAST_UNIT_US);
}

/* pit_index_add for one integer key column: keys are looked up a block at a
 * time (pit_dict_find_int64 prefetches the slots), timestamps in the compare
 * unit are read raw. Returns the new row count; room was reserved. */
static int64_t add_int_keys(pit_index *x, const pit_keycols *k, const feast_array *ts, const feast_array *cts,
                            int64_t batch_no, int64_t rows) {
  enum { BLOCK = 1024 };
  int64_t tmp[BLOCK], tstmp[BLOCK];
  int32_t ids[BLOCK];
  const feast_array *kc = k->col[0];
  bool ns = x->cfg.ns, kraw = kc->type.id == FEAST_DT_INT64 || kc->type.id == FEAST_DT_UINT64;
  bool traw = raw_ts(ts, ns), craw = cts && raw_ts(cts, ns);
  const int64_t *tv = ts->values, *cv = cts ? cts->values : NULL;
  int64_t lo = x->cfg.lo, hi = x->cfg.hi, n = x->n;
  for (int64_t s = 0; s < rows; s += BLOCK) {
    int64_t m = rows - s < BLOCK ? rows - s : BLOCK;
    const int64_t *keys = tmp;
    if (kraw)
      keys = (const int64_t *)kc->values + s;
    else
      for (int64_t i = 0; i < m; i++) tmp[i] = feast_array_get_int(kc, s + i);
    if (x->aux) {
      /* one miss for the slot (prefetched by the lookup), one for the key's
       * entity rows, prefetched AHEAD rows before they are offered */
      enum { AHEAD = 16 };
      uint32_t *aux = (uint32_t *)ids;
      const int64_t *times = tstmp;
      if (traw)
        times = tv + s;
      else
        for (int64_t i = 0; i < m; i++) tstmp[i] = feast_array_is_valid(ts, s + i) ? pit_ts(ts, s + i, ns) : 0;
      pit_dict_find_int64_aux(x->dict, keys, times, m, aux);
      /* the rows in their key's window (a minority), listed without a branch
       * to mispredict; their entity rows are then prefetched AHEAD ahead.
       * The key's window lies inside [lo, hi], so that test is done too. */
      int32_t sel[BLOCK];
      int64_t nsel = 0;
      for (int64_t r = 0; r < m; r++) {
        sel[nsel] = (int32_t)r;
        nsel += aux[r] != UINT32_MAX;
      }
      for (int64_t q = 0; q < nsel && q < AHEAD; q++) __builtin_prefetch(&x->best[aux[sel[q]] >> 5]);
      for (int64_t q = 0; q < nsel; q++) {
        if (q + AHEAD < nsel) __builtin_prefetch(&x->best[aux[sel[q + AHEAD]] >> 5]);
        uint32_t a = aux[sel[q]];
        int64_t i = s + sel[q];
        if (!feast_array_is_valid(kc, i) || !feast_array_is_valid(ts, i)) continue;
        int64_t t = times[sel[q]];
        int64_t ct = !cts                          ? 0
                     : !feast_array_is_valid(cts, i) ? INT64_MIN
                     : craw                          ? cv[i]
                                                     : pit_ts(cts, i, ns);
        int64_t p = a >> 5;
        stream_offer(x, p, p + (a & 31) + 1, t, ct, PIT_REF(batch_no, i));
        n++;
      }
      continue;
    }
    pit_dict_find_int64(x->dict, keys, m, ids);
    if (x->stream) {
      /* two dependent misses per row (key start, then its entity rows): prefetch each level a block ahead */
      for (int64_t r = 0; r < m; r++)
        if (ids[r] >= 0) __builtin_prefetch(&x->estart[ids[r]]);
      for (int64_t r = 0; r < m; r++)
        if (ids[r] >= 0) __builtin_prefetch(&x->best[x->estart[ids[r]]]);
      for (int64_t r = 0; r < m; r++) {
        int64_t i = s + r;
        int32_t id = ids[r];
        if (id < 0 || !feast_array_is_valid(kc, i) || !feast_array_is_valid(ts, i)) continue;
        int64_t t = traw ? tv[i] : pit_ts(ts, i, ns);
        if (t < lo || t > hi) continue;
        int64_t ct = !cts                          ? 0
                     : !feast_array_is_valid(cts, i) ? INT64_MIN
                     : craw                          ? cv[i]
                                                     : pit_ts(cts, i, ns);
        stream_offer(x, x->estart[id], x->estart[id + 1], t, ct, PIT_REF(batch_no, i));
        n++;
      }
      continue;
    }
    for (int64_t r = 0; r < m; r++) {
      int64_t i = s + r;
      int32_t id = ids[r];
      if (id < 0 || !feast_array_is_valid(kc, i) || !feast_array_is_valid(ts, i)) continue;
      int64_t t = traw ? tv[i] : pit_ts(ts, i, ns);
      if (t < lo || t > hi) continue;
      x->fkid[n] = id;
      x->frow[n].ts = t;
      x->frow[n].cts = !cts                          ? 0
                       : !feast_array_is_valid(cts, i) ? INT64_MIN
                       : craw                          ? cv[i]
                                                       : pit_ts(cts, i, ns);
      x->frow[n].ref = PIT_REF(batch_no, i);
      n++;
    }
  }
  return n;
}

feast_code pit_index_add(pit_index *x, const feast_batch *b, int64_t batch_no, int64_t *kept, feast_error *err) {
  *kept = 0;
  if (b->num_rows == 0) return FEAST_OK;
  pit_keycols k;
  feast_code rc = pit_keycols_of(b, x->cfg.n_keys, x->cfg.source_keys, &k, err);
  if (rc) return rc;
  const feast_array *ts = ts_col(b, x->cfg.event_ts, err), *cts = NULL;
  if (!ts) return err->code;
  if (x->cfg.created_ts && !(cts = ts_col(b, x->cfg.created_ts, err))) return err->code;
  if (!x->stream && x->n + b->num_rows > x->cap) {
    int64_t cap = x->cap ? x->cap : 4096;
    while (cap < x->n + b->num_rows) cap *= 2;
    int32_t *kid = feast_realloc(x->fkid, (size_t)cap * sizeof *kid);
    if (kid) x->fkid = kid;
    pit_row *row = kid ? feast_realloc(x->frow, (size_t)cap * sizeof *row) : NULL;
    if (!row) return feast_fail(err, FEAST_E_NOMEM, "out of memory indexing %lld feature rows", (long long)cap);
    x->frow = row;
    x->cap = cap;
  }
  bool ns = x->cfg.ns;
  int64_t n = x->n;
  if (pit_dict_is_int(x->dict) && pit_key_is_int(&k)) {
    n = add_int_keys(x, &k, ts, cts, batch_no, b->num_rows);
  } else {
    for (int64_t i = 0; i < b->num_rows; i++) {
      if (!feast_array_is_valid(ts, i)) continue;
      int64_t t = pit_ts(ts, i, ns);
      if (t < x->cfg.lo || t > x->cfg.hi) continue;
      int32_t id = pit_dict_id(x->dict, &k, i, false);
      if (id < 0) continue;
      if (x->stream) {
        int64_t ct = cts ? (feast_array_is_valid(cts, i) ? pit_ts(cts, i, ns) : INT64_MIN) : 0;
        stream_offer(x, x->estart[id], x->estart[id + 1], t, ct, PIT_REF(batch_no, i));
        n++;
        continue;
      }
      x->fkid[n] = id;
      x->frow[n].ts = t;
      x->frow[n].cts = cts ? (feast_array_is_valid(cts, i) ? pit_ts(cts, i, ns) : INT64_MIN) : 0;
      x->frow[n].ref = PIT_REF(batch_no, i);
      n++;
    }
  }
  *kept = n - x->n;
  x->n = n;
  return FEAST_OK;
}

size_t pit_index_estimate(int64_t n_ent) {
  size_t n = n_ent > 0 ? (size_t)n_ent : 0, slots = 16;
  while (slots < n + n / 2 + 1) slots *= 2;
  /* per entity row: key id, timestamp, order, best candidate, run start, and
   * the setup's temporaries; the dictionary, at most a direct table twice
   * its slot count, all of 32-byte entries */
  return n * (4 + 8 + 8 + sizeof(pit_best) + 8 + 36) + slots * 32 * 3;
}

size_t pit_index_bytes(const pit_index *x) {
  if (x->stream)
    return (size_t)x->n_ent * (12 + sizeof(int64_t) + sizeof(pit_best)) +
           (size_t)(pit_dict_size(x->dict) + 1) * sizeof(int64_t) + pit_dict_bytes(x->dict);
  return (size_t)x->n_ent * 12 + (size_t)x->cap * (sizeof(int32_t) + sizeof(pit_row)) +
         (x->dict ? pit_dict_bytes(x->dict) : 0);
}

void pit_index_free(pit_index *x) {
  if (!x) return;
  pit_dict_free(x->dict);
  feast_free(x->ekid);
  feast_free(x->ets);
  feast_free(x->fkid);
  feast_free(x->frow);
  feast_free(x->estart);
  feast_free(x->eorder);
  feast_free(x->best_mem);
  feast_free(x);
}

/* ---- sort and probe ---- */

static inline bool row_less(const pit_row *a, const pit_row *b) {
  if (a->ts != b->ts) return a->ts < b->ts;
  if (a->cts != b->cts) return a->cts < b->cts;
  return a->ref < b->ref;
}

static int row_cmp(const void *pa, const void *pb) {
  const pit_row *a = pa, *b = pb;
  return row_less(a, b) ? -1 : row_less(b, a) ? 1 : 0;
}

typedef struct probe_ctx {
  pit_index *x;
  pit_row *sorted;
  int64_t *start; /* run of key id k: [start[k], start[k + 1]) */
  int64_t *win;
  int64_t matched[64];
  int64_t chunk;
} probe_ctx;

static void sort_runs(void *p, int64_t lo, int64_t hi) {
  probe_ctx *c = p;
  for (int64_t k = lo; k < hi; k++) {
    pit_row *r = c->sorted + c->start[k];
    int64_t n = c->start[k + 1] - c->start[k];
    if (n <= 16) {
      for (int64_t i = 1; i < n; i++) {
        pit_row v = r[i];
        int64_t j = i;
        while (j > 0 && row_less(&v, &r[j - 1])) {
          r[j] = r[j - 1];
          j--;
        }
        r[j] = v;
      }
    } else {
      qsort(r, (size_t)n, sizeof *r, row_cmp);
    }
  }
}

static void probe_rows(void *p, int64_t lo, int64_t hi) {
  probe_ctx *c = p;
  const pit_index *x = c->x;
  int64_t matched = 0;
  for (int64_t r = lo; r < hi; r++) {
    int32_t k = x->ekid[r];
    c->win[r] = -1;
    if (k < 0) continue;
    int64_t a = c->start[k], b = c->start[k + 1], e = x->ets[r];
    /* first index in [a, b) with ts > e; the one before it is the candidate */
    while (a < b) {
      int64_t m = a + (b - a) / 2;
      if (c->sorted[m].ts <= e)
        a = m + 1;
      else
        b = m;
    }
    if (a == c->start[k]) continue;
    const pit_row *w = &c->sorted[a - 1];
    if (x->cfg.has_max_age) {
      /* e - max_age <= ts, written to avoid overflow */
      if (w->ts < e && (uint64_t)e - (uint64_t)w->ts > (uint64_t)x->cfg.max_age) continue;
    }
    c->win[r] = w->ref;
    matched++;
  }
  int slot = (int)(lo / (c->chunk ? c->chunk : 1));
  if (slot > 63) slot = 63;
  __atomic_add_fetch(&c->matched[slot], matched, __ATOMIC_RELAXED);
}

feast_code pit_index_probe(pit_index *x, int64_t *win, int64_t *matched, feast_error *err) {
  int64_t K = pit_dict_size(x->dict);
  if (x->stream) { /* the answers are ready: put them in entity order */
    int64_t m = 0;
    for (int64_t r = 0; r < x->n_ent; r++) win[r] = -1;
    for (int64_t p = 0; p < x->estart[K]; p++) {
      win[x->eorder[p]] = x->best[p].ref;
      m += x->best[p].ref >= 0;
    }
    *matched = m;
    x->n = 0;
    return FEAST_OK;
  }
  probe_ctx c;
  memset(&c, 0, sizeof c);
  c.x = x;
  c.win = win;
  c.start = feast_calloc((size_t)K + 2, sizeof(int64_t));
  c.sorted = feast_malloc((size_t)(x->n + 1) * sizeof(pit_row));
  if (!c.start || !c.sorted) {
    feast_free(c.start);
    feast_free(c.sorted);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory sorting %lld feature rows", (long long)x->n);
  }
  /* counting sort by key id: start[k + 1] counts, prefix sums, scatter */
  for (int64_t i = 0; i < x->n; i++) c.start[x->fkid[i] + 1]++;
  for (int64_t k = 0; k < K; k++) c.start[k + 1] += c.start[k];
  int64_t *pos = feast_malloc((size_t)(K + 1) * sizeof(int64_t));
  if (!pos) {
    feast_free(c.start);
    feast_free(c.sorted);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory sorting %lld feature rows", (long long)x->n);
  }
  memcpy(pos, c.start, (size_t)(K + 1) * sizeof(int64_t));
  for (int64_t i = 0; i < x->n; i++) c.sorted[pos[x->fkid[i]]++] = x->frow[i];
  feast_free(pos);
  /* the unsorted copy is no longer needed: give its memory back early */
  feast_free(x->fkid);
  feast_free(x->frow);
  x->fkid = NULL;
  x->frow = NULL;
  x->cap = 0;
  feast_code rc = pit_parallel(x->cfg.threads, K, sort_runs, &c, err);
  int threads = x->cfg.threads > 0 ? x->cfg.threads : 1;
  c.chunk = (x->n_ent + threads - 1) / threads;
  if (!rc) rc = pit_parallel(threads, x->n_ent, probe_rows, &c, err);
  int64_t m = 0;
  for (int i = 0; i < 64; i++) m += c.matched[i];
  *matched = m;
  feast_free(c.start);
  feast_free(c.sorted);
  x->n = 0;
  return rc;
}

/* ---- threads ---- */

typedef struct par_job {
  void (*fn)(void *, int64_t, int64_t);
  void *ctx;
  int64_t lo, hi;
} par_job;

static void *par_main(void *p) {
  par_job *j = p;
  j->fn(j->ctx, j->lo, j->hi);
  return NULL;
}

feast_code pit_parallel(int threads, int64_t n, void (*fn)(void *ctx, int64_t lo, int64_t hi), void *ctx,
                        feast_error *err) {
  if (threads > 64) threads = 64;
  if (threads <= 1 || n < 4096) {
    fn(ctx, 0, n);
    return FEAST_OK;
  }
  par_job jobs[64];
  pthread_t tid[64];
  bool started[64] = {false};
  int64_t chunk = (n + threads - 1) / threads;
  for (int t = 0; t < threads; t++) {
    jobs[t].fn = fn;
    jobs[t].ctx = ctx;
    jobs[t].lo = t * chunk < n ? t * chunk : n;
    jobs[t].hi = (t + 1) * chunk < n ? (t + 1) * chunk : n;
  }
  for (int t = 1; t < threads; t++) started[t] = pthread_create(&tid[t], NULL, par_main, &jobs[t]) == 0;
  for (int t = 0; t < threads; t++)
    if (!started[t]) par_main(&jobs[t]); /* a thread that could not start runs here */
  for (int t = 1; t < threads; t++)
    if (started[t]) pthread_join(tid[t], NULL);
  (void)err;
  return FEAST_OK;
}
