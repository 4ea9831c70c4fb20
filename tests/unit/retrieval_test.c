/*
 * retrieval_test.c - the point-in-time join against a brute-force reference
 * computed here by scanning every source row for every entity row, on random
 * data full of ties, nulls, duplicates and max_age edges; the same data
 * forced through spill files; boundaries; and error reporting.
 */
#include <fcntl.h>
#include <unistd.h>

#include "feast/retrieval.h"

#include "base/alloc.h"
#include "engine/pit.h"
#include "engine/spill.h"
#include "test.h"

/* ---- small helpers ---- */

static uint64_t rng_state;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static int rn(int n) { return (int)(rnd() % (uint64_t)n); }

static feast_array *col(feast_dtype t) { return feast_array_new(t, feast_dtype_make(FEAST_DT_INT64)); }
static feast_dtype ts_us(void) { return feast_dtype_timestamp(FEAST_UNIT_US, true); }

static feast_array *copy_array(const feast_array *a) {
  feast_error err;
  feast_array *c = feast_array_new(a->type, a->child ? a->child->type : feast_dtype_make(FEAST_DT_NULL));
  if (feast_array_append_range(c, a, 0, a->length, &err)) abort();
  return c;
}

/* Copy of b with only `cols` (all when NULL). */
static feast_batch *copy_batch(const feast_batch *b, const char *const *cols, int n) {
  feast_error err;
  int m = cols ? 0 : b->num_columns;
  if (cols)
    for (int i = 0; i < n; i++) m += feast_batch_find(b, cols[i]) >= 0;
  feast_batch *c = feast_batch_new(m);
  c->num_rows = b->num_rows;
  int k = 0;
  for (int i = 0; i < b->num_columns; i++) {
    bool want = !cols;
    for (int j = 0; cols && j < n; j++) want |= strcmp(cols[j], b->names[i]) == 0;
    if (want) feast_batch_set_column(c, k++, b->names[i], copy_array(b->columns[i]), &err);
  }
  return c;
}

/* A source yielding copies of a list of batches. */
typedef struct vec_source {
  feast_batch_source base;
  feast_batch **b;
  int n, i;
  const char *const *cols;
  int ncols;
} vec_source;

static feast_code vec_next(feast_batch_source *s, feast_batch **out, feast_error *err) {
  (void)err;
  vec_source *v = (vec_source *)s;
  *out = v->i < v->n ? copy_batch(v->b[v->i++], v->cols, v->ncols) : NULL;
  return FEAST_OK;
}
static void vec_close(feast_batch_source *s) { free(s); }
static feast_batch_source *vec_new(feast_batch **b, int n, const char *const *cols, int ncols) {
  vec_source *v = calloc(1, sizeof *v);
  v->base.next = vec_next;
  v->base.close = vec_close;
  v->b = b;
  v->n = n;
  v->cols = cols;
  v->ncols = ncols;
  return &v->base;
}

/* ---- the fixture: four tables ---- */

#define MAXB 8
#define NT 4
typedef struct fixture {
  feast_feature_table_spec spec[NT];
  feast_value_type etypes[NT][2];
  feast_retrieval_table tables[NT];
  feast_batch *src[NT][MAXB];
  int nsrc[NT];
  int64_t kmul, kadd; /* integer key k is stored as k * kmul + kadd */
  feast_batch *ent[MAXB];
  int nent;
  int opens;
} fixture;

static feast_code open_source(void *ctx, const feast_feature_table_spec *t, const char *const *cols, int n,
                              feast_ts lo, feast_ts hi, feast_batch_source **out, feast_error *err) {
  (void)lo, (void)hi, (void)err;
  fixture *fx = ctx;
  for (int i = 0; i < NT; i++)
    if (strcmp(fx->spec[i].name, t->name) == 0) {
      fx->opens++;
      *out = vec_new(fx->src[i], fx->nsrc[i], cols, n);
      return FEAST_OK;
    }
  return feast_fail(err, FEAST_E_NOT_FOUND, "no such table");
}

static void add_feature(feast_feature_table_spec *t, const char *name, feast_value_type vt) {
  t->features = feast_realloc(t->features, (t->n_features + 1) * sizeof *t->features);
  memset(&t->features[t->n_features], 0, sizeof *t->features);
  t->features[t->n_features].name = feast_strdup(name);
  t->features[t->n_features].value_type = vt;
  t->n_features++;
}

static void set_entities(feast_feature_table_spec *t, const char *a, const char *b) {
  t->n_entities = b ? 2 : 1;
  t->entities = feast_calloc(2, sizeof(char *));
  t->entities[0] = feast_strdup(a);
  if (b) t->entities[1] = feast_strdup(b);
}

static void fixture_specs(fixture *fx) {
  feast_error err;
  memset(fx, 0, sizeof *fx);
  /* drv: driver_id read from column "driver"; FLOAT column as DOUBLE, INT32 as INT64; created column */
  feast_feature_table_spec *t = &fx->spec[0];
  t->name = feast_strdup("drv");
  set_entities(t, "driver_id", NULL);
  add_feature(t, "rating", FEAST_VT_DOUBLE);
  add_feature(t, "trips", FEAST_VT_INT64);
  add_feature(t, "name", FEAST_VT_STRING);
  t->has_max_age = true;
  t->max_age = 30;
  t->batch_source.event_timestamp_column = feast_strdup("event_timestamp");
  t->batch_source.created_timestamp_column = feast_strdup("created");
  feast_map_set(&t->batch_source.field_mapping, "driver_id", "driver", &err);
  feast_map_set(&t->batch_source.field_mapping, "trips", "trip_count", &err);
  fx->etypes[0][0] = FEAST_VT_INT64;
  /* cust: string key, ms timestamps, list feature, no created column, no max_age */
  t = &fx->spec[1];
  t->name = feast_strdup("cust");
  set_entities(t, "customer", NULL);
  add_feature(t, "score", FEAST_VT_DOUBLE);
  add_feature(t, "tags", FEAST_VT_INT64_LIST);
  add_feature(t, "seen", FEAST_VT_UNIX_TIMESTAMP);
  t->batch_source.event_timestamp_column = feast_strdup("ts");
  fx->etypes[1][0] = FEAST_VT_STRING;
  /* pair: two-column key */
  t = &fx->spec[2];
  t->name = feast_strdup("pair");
  set_entities(t, "driver_id", "customer");
  add_feature(t, "v", FEAST_VT_INT64);
  t->has_max_age = true;
  t->max_age = 10;
  t->batch_source.event_timestamp_column = feast_strdup("event_timestamp");
  t->batch_source.created_timestamp_column = feast_strdup("created");
  fx->etypes[2][0] = FEAST_VT_INT64;
  fx->etypes[2][1] = FEAST_VT_STRING;
  /* drv2: the same entity as drv (so the join index is carried over from drv
   * to it), a longer max_age (windows left from drv would lose rows), no
   * created column */
  t = &fx->spec[3];
  t->name = feast_strdup("drv2");
  set_entities(t, "driver_id", NULL);
  add_feature(t, "w", FEAST_VT_INT64);
  t->has_max_age = true;
  t->max_age = 45;
  t->batch_source.event_timestamp_column = feast_strdup("event_timestamp");
  fx->etypes[3][0] = FEAST_VT_INT64;
  fx->kmul = 1;
  for (int i = 0; i < NT; i++) {
    fx->tables[i].spec = &fx->spec[i];
    fx->tables[i].entity_types = fx->etypes[i];
  }
}

static void fixture_free(fixture *fx) {
  for (int i = 0; i < NT; i++) {
    feast_feature_table_spec_clear(&fx->spec[i]);
    for (int b = 0; b < fx->nsrc[i]; b++) feast_batch_free(fx->src[i][b]);
  }
  for (int b = 0; b < fx->nent; b++) feast_batch_free(fx->ent[b]);
}

static const char *cust_name(int k, char *buf) {
  snprintf(buf, 16, "c%d", k);
  return buf;
}

static feast_batch *batch_of(int n, const char **names, feast_array **cols, int64_t rows) {
  feast_error err;
  feast_batch *b = feast_batch_new(n);
  b->num_rows = rows;
  for (int i = 0; i < n; i++) feast_batch_set_column(b, i, names[i], cols[i], &err);
  return b;
}

/* Random data over small domains so that keys repeat, times tie, and
 * max_age edges are hit exactly. */
static void fixture_data(fixture *fx, int keys, int span, int max_rows) {
  feast_error err;
  char buf[16];
  fx->nent = 1 + rn(MAXB - 1);
  for (int b = 0; b < fx->nent; b++) {
    int64_t n = rn(max_rows + 1);
    feast_array *c[4] = {col(feast_dtype_make(FEAST_DT_INT32)), col(feast_dtype_make(FEAST_DT_INT64)),
                         col(feast_dtype_make(FEAST_DT_STRING)), col(ts_us())};
    for (int64_t i = 0; i < n; i++) {
      feast_array_append_int(c[0], b * 1000 + i, &err);
      if (rn(15) == 0) feast_array_append_null(c[1], &err);
      else feast_array_append_int(c[1], rn(keys) * fx->kmul + fx->kadd, &err);
      if (rn(15) == 0) feast_array_append_null(c[2], &err);
      else feast_array_append_bytes(c[2], cust_name(rn(keys), buf), strlen(buf), &err);
      if (rn(30) == 0) feast_array_append_null(c[3], &err);
      else feast_array_append_int(c[3], 1000 + rn(span), &err);
    }
    const char *names[4] = {"label", "driver_id", "customer", "event_timestamp"};
    fx->ent[b] = batch_of(4, names, c, n);
  }
  for (int t = 0; t < NT; t++) {
    fx->nsrc[t] = 1 + rn(MAXB - 1);
    for (int b = 0; b < fx->nsrc[t]; b++) {
      int64_t n = rn(max_rows * 3 + 1);
      int64_t ts_lo = 1000 - 40;
      if (t == 0) {
        feast_array *c[6] = {col(feast_dtype_make(FEAST_DT_INT64)), col(ts_us()), col(ts_us()),
                             col(feast_dtype_make(FEAST_DT_FLOAT)), col(feast_dtype_make(FEAST_DT_INT32)),
                             col(feast_dtype_make(FEAST_DT_STRING))};
        for (int64_t i = 0; i < n; i++) {
          if (rn(20) == 0) feast_array_append_null(c[0], &err);
          else feast_array_append_int(c[0], rn(keys + 2) * fx->kmul + fx->kadd, &err);
          if (rn(40) == 0) feast_array_append_null(c[1], &err);
          else feast_array_append_int(c[1], ts_lo + rn(span + 60), &err);
          if (rn(20) == 0) feast_array_append_null(c[2], &err);
          else feast_array_append_int(c[2], rn(4), &err);
          if (rn(10) == 0) feast_array_append_null(c[3], &err);
          else feast_array_append_double(c[3], rn(1000) / 8.0, &err);
          feast_array_append_int(c[4], rn(100000), &err);
          snprintf(buf, sizeof buf, "n%d", rn(1000));
          feast_array_append_bytes(c[5], buf, strlen(buf), &err);
        }
        const char *names[6] = {"driver", "event_timestamp", "created", "rating", "trip_count", "name"};
        fx->src[t][b] = batch_of(6, names, c, n);
      } else if (t == 1) {
        feast_array *c[5] = {col(feast_dtype_make(FEAST_DT_STRING)), col(feast_dtype_timestamp(FEAST_UNIT_NS, false)),
                             col(feast_dtype_make(FEAST_DT_DOUBLE)), col(feast_dtype_make(FEAST_DT_LIST)),
                             col(feast_dtype_timestamp(FEAST_UNIT_MS, true))};
        for (int64_t i = 0; i < n; i++) {
          if (rn(20) == 0) feast_array_append_null(c[0], &err);
          else feast_array_append_bytes(c[0], cust_name(rn(keys + 2), buf), strlen(buf), &err);
          feast_array_append_int(c[1], (ts_lo + rn(span + 60)) * 1000 + rn(3) * 400, &err);
          feast_array_append_double(c[2], rn(1000) / 4.0, &err);
          if (rn(8) == 0) {
            feast_array_append_null(c[3], &err);
          } else {
            int m = rn(4);
            for (int k = 0; k < m; k++) feast_array_append_int(c[3]->child, rn(50), &err);
            feast_array_append_list_end(c[3], &err);
          }
          feast_array_append_int(c[4], rn(1000000), &err);
        }
        const char *names[5] = {"customer", "ts", "score", "tags", "seen"};
        fx->src[t][b] = batch_of(5, names, c, n);
      } else if (t == 3) {
        feast_array *c[3] = {col(feast_dtype_make(FEAST_DT_INT64)), col(ts_us()), col(feast_dtype_make(FEAST_DT_INT64))};
        for (int64_t i = 0; i < n; i++) {
          if (rn(20) == 0) feast_array_append_null(c[0], &err);
          else feast_array_append_int(c[0], rn(keys + 2) * fx->kmul + fx->kadd, &err);
          feast_array_append_int(c[1], ts_lo + rn(span + 60), &err);
          feast_array_append_int(c[2], rn(1000), &err);
        }
        const char *names[3] = {"driver_id", "event_timestamp", "w"};
        fx->src[t][b] = batch_of(3, names, c, n);
      } else {
        feast_array *c[5] = {col(feast_dtype_make(FEAST_DT_INT64)), col(feast_dtype_make(FEAST_DT_STRING)), col(ts_us()),
                             col(ts_us()), col(feast_dtype_make(FEAST_DT_INT64))};
        for (int64_t i = 0; i < n; i++) {
          feast_array_append_int(c[0], rn(keys) * fx->kmul + fx->kadd, &err);
          feast_array_append_bytes(c[1], cust_name(rn(keys), buf), strlen(buf), &err);
          feast_array_append_int(c[2], ts_lo + rn(span + 60), &err);
          feast_array_append_int(c[3], rn(3), &err);
          if (rn(10) == 0) feast_array_append_null(c[4], &err);
          else feast_array_append_int(c[4], (int64_t)(rnd() >> 2), &err);
        }
        const char *names[5] = {"driver_id", "customer", "event_timestamp", "created", "v"};
        fx->src[t][b] = batch_of(5, names, c, n);
      }
    }
  }
}

/* ---- the reference ---- */

static bool same_key_val(const feast_array *a, int64_t i, const feast_array *b, int64_t j) {
  if (!feast_array_is_valid(a, i) || !feast_array_is_valid(b, j)) return false;
  if (a->type.id == FEAST_DT_STRING) {
    size_t la, lb;
    const uint8_t *pa = feast_array_get_bytes(a, i, &la), *pb = feast_array_get_bytes(b, j, &lb);
    return la == lb && memcmp(pa, pb, la) == 0;
  }
  return feast_array_get_int(a, i) == feast_array_get_int(b, j);
}

static const feast_array *by_name(const feast_batch *b, const char *n) {
  int i = feast_batch_find(b, n);
  return i >= 0 ? b->columns[i] : NULL;
}

/* The winning (batch, row) for entity row (eb, ei) in table t, or -1. */
static int64_t reference(const fixture *fx, int t, const feast_batch *eb, int64_t ei) {
  const feast_feature_table_spec *s = &fx->spec[t];
  const feast_array *ets = by_name(eb, "event_timestamp");
  if (!feast_array_is_valid(ets, ei)) return -1;
  int64_t e = feast_array_get_ts_us(ets, ei);
  int64_t best = -1, bts = 0, bcts = 0;
  for (int b = 0; b < fx->nsrc[t]; b++) {
    const feast_batch *sb = fx->src[t][b];
    const feast_array *ts = by_name(sb, s->batch_source.event_timestamp_column);
    const feast_array *cts = s->batch_source.created_timestamp_column ? by_name(sb, s->batch_source.created_timestamp_column) : NULL;
    for (int64_t j = 0; j < sb->num_rows; j++) {
      bool match = true;
      for (size_t k = 0; k < s->n_entities; k++)
        match &= same_key_val(by_name(eb, s->entities[k]), ei,
                              by_name(sb, feast_source_column(&s->batch_source, s->entities[k])), j);
      if (!match || !feast_array_is_valid(ts, j)) continue;
      int64_t v = feast_array_get_ts_us(ts, j);
      if (v > e || (s->has_max_age && v < e - s->max_age)) continue;
      int64_t c = cts && feast_array_is_valid(cts, j) ? feast_array_get_ts_us(cts, j) : INT64_MIN;
      if (best < 0 || v > bts || (v == bts && c >= bcts)) { /* later source rows win ties */
        best = (int64_t)b << 32 | j;
        bts = v;
        bcts = c;
      }
    }
  }
  return best;
}

/* Is value row i of out equal to source row j of src (after conversion)? */
static bool same_value(const feast_array *out, int64_t i, const feast_array *src, int64_t j) {
  bool vo = feast_array_is_valid(out, i), vs = src && j >= 0 && feast_array_is_valid(src, j);
  if (vo != vs) return false;
  if (!vo) return true;
  switch (out->type.id) {
  case FEAST_DT_DOUBLE: return feast_array_get_double(out, i) == feast_array_get_double(src, j);
  case FEAST_DT_TIMESTAMP: return feast_array_get_ts_us(out, i) == feast_array_get_ts_us(src, j);
  case FEAST_DT_STRING: return same_key_val(out, i, src, j);
  case FEAST_DT_LIST: {
    int32_t n = out->offsets[i + 1] - out->offsets[i];
    if (n != src->offsets[j + 1] - src->offsets[j]) return false;
    for (int32_t k = 0; k < n; k++)
      if (!same_value(out->child, out->offsets[i] + k, src->child, src->offsets[j] + k)) return false;
    return true;
  }
  default: return feast_array_get_int(out, i) == feast_array_get_int(src, j);
  }
}

static const char *const REFS[] = {"pair:v",     "drv:rating", "drv2:w",    "cust:tags",
                                   "drv:name",   "cust:score", "drv:trips", "cust:seen"};
#define NREFS 8

/* Runs the retrieval and checks every output value against the reference. */
static void run_and_compare(fixture *fx, size_t memory_limit, int threads, int parts, bool expect_spill) {
  feast_error err;
  feast_retrieval_request req;
  memset(&req, 0, sizeof req);
  req.entities = vec_new(fx->ent, fx->nent, NULL, 0);
  req.refs = REFS;
  req.n_refs = NREFS;
  req.tables = fx->tables;
  req.n_tables = NT;
  req.open_source = open_source;
  req.source_ctx = fx;
  req.memory_limit = memory_limit;
  req.threads = threads;
  req.spill_partitions = parts;
  feast_batch_source *out = NULL;
  feast_retrieval_summary sum;
  feast_code rc = feast_historical_retrieve(&req, &out, &sum, &err);
  req.entities->close(req.entities);
  CHECK_OK(rc, &err);
  if (rc) return;
  CHECK_INT(sum.tables_spilled > 0, expect_spill);
  const feast_batch *schema = feast_retrieval_schema(out);
  static const char *const cols[] = {"label",      "driver_id", "customer",   "event_timestamp", "pair__v",    "drv__rating",
                                     "drv__name", "drv__trips", "drv2__w", "cust__tags",      "cust__score", "cust__seen"};
  CHECK_INT(schema->num_columns, 12);
  for (int c = 0; c < 12 && c < schema->num_columns; c++) CHECK_STR(schema->names[c], cols[c]);
  /* feature column -> (table, source column) */
  static const struct { int t; const char *src; } fmap[] = {{2, "v"},  {0, "rating"}, {0, "name"},  {0, "trip_count"},
                                                            {3, "w"}, {1, "tags"},   {1, "score"}, {1, "seen"}};
  int64_t matched = 0, rows = 0;
  for (int eb = 0;; eb++) {
    feast_batch *b = NULL;
    CHECK_OK(out->next(out, &b, &err), &err);
    if (!b) {
      CHECK_INT(eb, fx->nent);
      break;
    }
    CHECK(eb < fx->nent);
    if (eb >= fx->nent) {
      feast_batch_free(b);
      break;
    }
    const feast_batch *in = fx->ent[eb];
    CHECK_INT(b->num_rows, in->num_rows);
    CHECK_INT(b->num_columns, 12);
    for (int c = 0; c < 4; c++)
      for (int64_t i = 0; i < in->num_rows; i++) CHECK(same_value(b->columns[c], i, in->columns[c], i) || c == 3);
    for (int64_t i = 0; i < in->num_rows; i++) {
      int64_t win[NT];
      for (int t = 0; t < NT; t++) {
        win[t] = reference(fx, t, in, i);
        matched += win[t] >= 0;
      }
      for (int f = 0; f < NREFS; f++) {
        int t = fmap[f].t;
        const feast_array *src = NULL;
        int64_t j = -1;
        if (win[t] >= 0) {
          src = by_name(fx->src[t][win[t] >> 32], fmap[f].src);
          j = win[t] & 0xffffffff;
        }
        if (!same_value(b->columns[4 + f], i, src, j)) {
          fprintf(stderr, "  batch %d row %lld column %s differs\n", eb, (long long)i, b->names[4 + f]);
          test_failures_in_case++;
          break;
        }
      }
    }
    rows += b->num_rows;
    feast_batch_free(b);
  }
  CHECK_INT(sum.entity_rows, rows);
  CHECK_INT(sum.matched, matched);
  out->close(out);
}

static void randomized_matches_reference(void) {
  for (int seed = 1; seed <= 40 && !test_failures_in_case; seed++) {
    rng_state = 0x9e3779b97f4a7c15ULL * (uint64_t)seed;
    fixture fx;
    fixture_specs(&fx);
    if (seed % 4 == 0) { /* sparse, negative keys */
      fx.kmul = 1000003;
      fx.kadd = -((int64_t)1 << 40);
    }
    fixture_data(&fx, 1 + seed % 9, 1 + seed % 50, 60);
    run_and_compare(&fx, 0, 1 + seed % 2, 0, false);
    fixture_free(&fx);
  }
}

/* Many keys with few entity rows each: the engine's streaming join mode
 * (src/engine/pit.c), with small time spans so ties on event time abound. */
static void few_rows_per_key_matches_reference(void) {
  for (int seed = 1; seed <= 30 && !test_failures_in_case; seed++) {
    rng_state = 0x2545f4914f6cdd1dULL * (uint64_t)seed;
    fixture fx;
    fixture_specs(&fx);
    if (seed % 3 == 0) { /* sparse, negative keys: hashed, not looked up in a direct table */
      fx.kmul = 1000003;
      fx.kadd = -((int64_t)1 << 40);
    }
    fixture_data(&fx, 400 + seed * 10, 5 + seed % 20, 80);
    run_and_compare(&fx, 0, 1 + seed % 2, 0, false);
    fixture_free(&fx);
  }
}

static void larger_run_with_threads(void) {
  rng_state = 12345;
  fixture fx;
  fixture_specs(&fx);
  fixture_data(&fx, 300, 400, 3000);
  run_and_compare(&fx, 0, 2, 0, false);
  fixture_free(&fx);
}

static void spilled_run_matches_reference(void) {
  for (int seed = 1; seed <= 12 && !test_failures_in_case; seed++) {
    rng_state = 0x51ed27ULL * (uint64_t)seed + 7;
    fixture fx;
    fixture_specs(&fx);
    fixture_data(&fx, 2 + seed * 7, 20 + seed, 200);
    /* 1 byte: entity rows and every table go through files */
    run_and_compare(&fx, 1, 2, 1 + seed % 9, true);
    fixture_free(&fx);
  }
  /* a limit the entity rows fit in but the sources do not */
  rng_state = 99;
  fixture fx;
  fixture_specs(&fx);
  fixture_data(&fx, 50, 100, 1500);
  run_and_compare(&fx, 200000, 2, 5, true);
  fixture_free(&fx);
}

static int reads_reported;
static void count_reads(void *ctx, const char *phase, int64_t done, int64_t total) {
  (void)ctx, (void)done, (void)total;
  if (strncmp(phase, "read ", 5) == 0) reads_reported++;
}

static void one_table_fixture(fixture *fx, const int64_t *ts, int n, const int64_t *cts, bool with_created,
                              int64_t max_age);

/* The x column of a one-table retrieval over `ent`, with a memory limit. */
static feast_array *retrieve_x(fixture *fx, feast_batch *ent, size_t limit, feast_retrieval_summary *sum) {
  feast_error err;
  feast_retrieval_request req;
  memset(&req, 0, sizeof req);
  req.entities = vec_new(&ent, 1, NULL, 0);
  const char *refs[] = {"t:x"};
  req.refs = refs;
  req.n_refs = 1;
  req.tables = fx->tables;
  req.n_tables = 1;
  req.open_source = open_source;
  req.source_ctx = fx;
  req.memory_limit = limit;
  req.progress = count_reads;
  feast_batch_source *out = NULL;
  feast_array *x = NULL;
  feast_code rc = feast_historical_retrieve(&req, &out, sum, &err);
  CHECK_OK(rc, &err);
  feast_batch *b = NULL;
  if (!rc) CHECK_OK(out->next(out, &b, &err), &err);
  if (b) {
    x = b->columns[2];
    b->columns[2] = NULL;
    feast_batch_free(b);
  }
  if (out) out->close(out);
  req.entities->close(req.entities);
  return x;
}

/* A limit the join index fits in but the source does not: the in-memory
 * attempt starts reading (it reports progress), gives up and spills, with
 * the in-memory answer. A limit below the index's estimate spills at once. */
static void spill_after_starting_in_memory(void) {
  enum { N = 2000, ROWS = 12500 };
  fixture fx;
  const int64_t none[] = {0};
  one_table_fixture(&fx, none, 0, NULL, true, 300);
  feast_batch_free(fx.src[0][0]);
  feast_error err;
  size_t src_bytes = 0;
  for (int b = 0; b < MAXB; b++) {
    feast_array *c[4] = {col(feast_dtype_make(FEAST_DT_INT64)), col(ts_us()), col(ts_us()),
                         col(feast_dtype_make(FEAST_DT_INT64))};
    for (int i = 0; i < ROWS; i++) {
      int64_t r = (int64_t)b * ROWS + i;
      feast_array_append_int(c[0], r % N, &err);
      feast_array_append_int(c[1], 1000 + (r * 7919) % 1500, &err);
      feast_array_append_int(c[2], r % 3, &err);
      feast_array_append_int(c[3], r, &err);
    }
    const char *names[4] = {"id", "ts", "cr", "x"};
    fx.src[0][b] = batch_of(4, names, c, ROWS);
    src_bytes += pit_batch_bytes(fx.src[0][b]);
  }
  fx.nsrc[0] = MAXB;
  feast_array *c[2] = {col(feast_dtype_make(FEAST_DT_INT64)), col(ts_us())};
  for (int i = 0; i < N; i++) {
    feast_array_append_int(c[0], i, &err);
    feast_array_append_int(c[1], 1500 + i % 1000, &err);
  }
  const char *names[2] = {"id", "event_timestamp"};
  feast_batch *ent = batch_of(2, names, c, N);
  /* the entity rows are counted at most twice over (copies may have spare capacity) */
  size_t limit = 2 * pit_batch_bytes(ent) + N * 8 + pit_index_estimate(N);
  CHECK(src_bytes > limit); /* else this would not spill at all */
  feast_retrieval_summary mem, spilled, direct;
  reads_reported = 0;
  feast_array *want = retrieve_x(&fx, ent, 0, &mem);
  CHECK_INT(mem.tables_spilled, 0);
  reads_reported = 0;
  feast_array *got = retrieve_x(&fx, ent, limit, &spilled);
  CHECK_INT(spilled.tables_spilled, 1);
  CHECK(reads_reported > 0);
  reads_reported = 0;
  feast_array *got2 = retrieve_x(&fx, ent, pit_index_estimate(N) / 2, &direct);
  CHECK_INT(direct.tables_spilled, 1);
  CHECK_INT(reads_reported, 0);
  CHECK(mem.matched > N / 2);
  CHECK_INT(spilled.matched, mem.matched);
  CHECK_INT(direct.matched, mem.matched);
  for (int64_t i = 0; want && got && got2 && i < N; i++) {
    CHECK(same_value(got, i, want, i));
    CHECK(same_value(got2, i, want, i));
  }
  feast_array_free(want);
  feast_array_free(got);
  feast_array_free(got2);
  feast_batch_free(ent);
  fixture_free(&fx);
}

/* ---- boundaries ---- */

static void one_table_fixture(fixture *fx, const int64_t *ts, int n, const int64_t *cts, bool with_created,
                              int64_t max_age) {
  feast_error err;
  memset(fx, 0, sizeof *fx);
  feast_feature_table_spec *t = &fx->spec[0];
  t->name = feast_strdup("t");
  set_entities(t, "id", NULL);
  add_feature(t, "x", FEAST_VT_INT64);
  t->has_max_age = max_age >= 0;
  t->max_age = max_age;
  t->batch_source.event_timestamp_column = feast_strdup("ts");
  if (with_created) t->batch_source.created_timestamp_column = feast_strdup("cr");
  fx->etypes[0][0] = FEAST_VT_INT64;
  fx->tables[0].spec = t;
  fx->tables[0].entity_types = fx->etypes[0];
  for (int s = 1; s < NT; s++) fx->spec[s].name = feast_strdup(s == 1 ? "unused1" : s == 2 ? "unused2" : "unused3");
  feast_array *c[4] = {col(feast_dtype_make(FEAST_DT_INT64)), col(ts_us()), col(ts_us()),
                       col(feast_dtype_make(FEAST_DT_INT64))};
  for (int i = 0; i < n; i++) {
    feast_array_append_int(c[0], 7, &err);
    feast_array_append_int(c[1], ts[i], &err);
    feast_array_append_int(c[2], cts ? cts[i] : 0, &err);
    feast_array_append_int(c[3], i, &err);
  }
  const char *names[4] = {"id", "ts", "cr", "x"};
  fx->src[0][0] = batch_of(4, names, c, n);
  fx->nsrc[0] = 1;
}

static feast_time_unit lookup_unit = FEAST_UNIT_US;

/* x of the winner for one entity row (id 7) at time e; -1 for null. */
static int64_t one_lookup(fixture *fx, int64_t e) {
  feast_error err;
  feast_array *c[2] = {col(feast_dtype_make(FEAST_DT_INT64)), col(feast_dtype_timestamp(lookup_unit, true))};
  feast_array_append_int(c[0], 7, &err);
  feast_array_append_int(c[1], e, &err);
  const char *names[2] = {"id", "event_timestamp"};
  feast_batch *eb = batch_of(2, names, c, 1);
  feast_array *x = retrieve_x(fx, eb, 0, NULL);
  int64_t r = !x ? -2 : feast_array_is_valid(x, 0) ? feast_array_get_int(x, 0) : -1;
  feast_array_free(x);
  feast_batch_free(eb);
  return r;
}

static void max_age_edges(void) {
  fixture fx;
  const int64_t ts[] = {900, 1000};
  one_table_fixture(&fx, ts, 2, NULL, false, 100);
  CHECK_INT(one_lookup(&fx, 1000), 1); /* exact event time */
  CHECK_INT(one_lookup(&fx, 999), 0);  /* entity_ts - max_age == event_ts: inside */
  CHECK_INT(one_lookup(&fx, 1000 + 1), 1);
  CHECK_INT(one_lookup(&fx, 1100), 1);
  CHECK_INT(one_lookup(&fx, 1101), -1); /* one microsecond past */
  CHECK_INT(one_lookup(&fx, 899), -1);  /* before every row */
  fixture_free(&fx);
  one_table_fixture(&fx, ts, 2, NULL, false, -1); /* no max_age: no lower bound */
  CHECK_INT(one_lookup(&fx, 1000000000), 1);
  fixture_free(&fx);
}

static void ties_break_by_created_then_order(void) {
  fixture fx;
  const int64_t ts[] = {10, 10, 10, 10}, cts[] = {5, 9, 9, 1};
  one_table_fixture(&fx, ts, 4, cts, true, -1);
  CHECK_INT(one_lookup(&fx, 10), 2); /* created 9 twice: the later row */
  fixture_free(&fx);
  one_table_fixture(&fx, ts, 4, cts, false, -1);
  CHECK_INT(one_lookup(&fx, 10), 3); /* no created column: the last row */
  fixture_free(&fx);
}

static void nanoseconds_compare_exactly(void) {
  fixture fx;
  const int64_t ts[] = {1000000, 1000700}; /* ns */
  one_table_fixture(&fx, ts, 2, NULL, false, 1);
  fx.src[0][0]->columns[1]->type.unit = FEAST_UNIT_NS;
  lookup_unit = FEAST_UNIT_NS;
  CHECK_INT(one_lookup(&fx, 1000500), 0);  /* same microsecond, but earlier in ns: row 1 is in its future */
  CHECK_INT(one_lookup(&fx, 1000700), 1);
  CHECK_INT(one_lookup(&fx, 1001000), 1);  /* max_age 1 us = 1000 ns: 1000700 >= 1000000 */
  CHECK_INT(one_lookup(&fx, 1001701), -1); /* one ns past the edge */
  lookup_unit = FEAST_UNIT_US;             /* entity in us: sources compared in us (ns floored) */
  CHECK_INT(one_lookup(&fx, 1000), 1);
  fixture_free(&fx);
}

/* ---- errors ---- */

static void errors_reported_together(void) {
  fixture fx;
  rng_state = 5;
  fixture_specs(&fx);
  fixture_data(&fx, 5, 10, 10);
  /* break the drv source: drop "name", make trip_count a string */
  for (int b = 0; b < fx.nsrc[0]; b++) {
    feast_batch *sb = fx.src[0][b];
    feast_error err;
    feast_batch_set_column(sb, feast_batch_find(sb, "name"), "nom", copy_array(by_name(sb, "name")), &err);
    feast_batch_set_column(sb, feast_batch_find(sb, "trip_count"), "trip_count", copy_array(by_name(sb, "name" ) ? by_name(sb, "name") : by_name(sb, "nom")), &err);
  }
  /* the entity rows lose "customer" */
  for (int b = 0; b < fx.nent; b++) {
    feast_error err;
    feast_batch_set_column(fx.ent[b], 2, "cust", copy_array(fx.ent[b]->columns[2]), &err);
  }
  const char *refs[] = {"drv:rating", "nope:x", "drv:nothing", "drv:name", "drv:trips", "cust:score", "bad"};
  feast_retrieval_request req;
  memset(&req, 0, sizeof req);
  req.entities = vec_new(fx.ent, fx.nent, NULL, 0);
  req.refs = refs;
  req.n_refs = 7;
  req.tables = fx.tables;
  req.n_tables = 3;
  req.open_source = open_source;
  req.source_ctx = &fx;
  req.entity_ts_column = "when";
  feast_error err;
  feast_batch_source *out = NULL;
  CHECK_INT(feast_historical_retrieve(&req, &out, NULL, &err), FEAST_E_SCHEMA);
  CHECK(out == NULL);
  CHECK_CONTAINS(err.message, "unknown feature table 'nope'");
  CHECK_CONTAINS(err.message, "feature table 'drv' has no feature 'nothing'");
  CHECK_CONTAINS(err.message, "'bad' is not of the form table:feature");
  CHECK_CONTAINS(err.message, "the entity rows has no timestamp column 'when'");
  CHECK_CONTAINS(err.message, "the entity rows has no column 'customer'");
  CHECK_CONTAINS(err.message, "the source of feature table 'drv' has no column 'name'");
  CHECK_CONTAINS(err.message, "column 'trip_count' is string, expected INT64");
  req.entities->close(req.entities);
  /* only unknown references: NOT_FOUND */
  const char *refs2[] = {"nope:x"};
  req.refs = refs2;
  req.n_refs = 1;
  req.entity_ts_column = NULL;
  req.entities = vec_new(fx.ent, fx.nent, NULL, 0);
  CHECK_INT(feast_historical_retrieve(&req, &out, NULL, &err), FEAST_E_NOT_FOUND);
  req.entities->close(req.entities);
  fixture_free(&fx);
}

static void stream_export_works(void) {
  fixture fx;
  const int64_t ts[] = {900, 1000};
  one_table_fixture(&fx, ts, 2, NULL, false, 100);
  feast_error err;
  feast_array *c[2] = {col(feast_dtype_make(FEAST_DT_INT64)), col(ts_us())};
  feast_array_append_int(c[0], 7, &err);
  feast_array_append_int(c[1], 950, &err);
  const char *names[2] = {"id", "event_timestamp"};
  feast_batch *eb = batch_of(2, names, c, 1);
  feast_retrieval_request req;
  memset(&req, 0, sizeof req);
  req.entities = vec_new(&eb, 1, NULL, 0);
  const char *refs[] = {"t:x"};
  req.refs = refs;
  req.n_refs = 1;
  req.tables = fx.tables;
  req.n_tables = 1;
  req.open_source = open_source;
  req.source_ctx = &fx;
  struct ArrowArrayStream st;
  CHECK_OK(feast_historical_retrieve_stream(&req, &st, NULL, &err), &err);
  struct ArrowSchema s;
  struct ArrowArray a;
  CHECK_INT(st.get_schema(&st, &s), 0);
  CHECK_INT(s.n_children, 3);
  CHECK_STR(s.children[2]->name, "t__x");
  CHECK_INT(st.get_next(&st, &a), 0);
  CHECK_INT(a.length, 1);
  feast_batch *back = NULL;
  CHECK_OK(feast_batch_import(&s, &a, &back, &err), &err);
  if (back) CHECK_INT(feast_array_get_int(back->columns[2], 0), 0);
  feast_batch_free(back);
  a.release(&a);
  CHECK_INT(st.get_next(&st, &a), 0);
  CHECK(a.release == NULL);
  s.release(&s);
  st.release(&st);
  req.entities->close(req.entities);
  feast_batch_free(eb);
  fixture_free(&fx);
}

/* A spill file damaged between writing and reading back (a bad disk) is
 * reported, never read as rows (issue 15): every batch carries a CRC-32C.
 * The file is unlinked at creation, so it is reached through /proc. */
static void damaged_spill_file_is_an_error(void) {
  feast_error err;
  spill_file *f;
  CHECK_OK(spill_open(test_tmpdir(), &f, &err), &err);
  feast_batch *b = feast_batch_new(1);
  feast_array *a = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(FEAST_DT_NULL));
  for (int i = 0; i < 100; i++) feast_array_append_int(a, i * 7, &err);
  feast_batch_set_column(b, 0, "x", a, &err);
  b->num_rows = 100;
  CHECK_OK(spill_write(f, b, &err), &err);
  CHECK_OK(spill_write(f, b, &err), &err);
  CHECK_OK(spill_rewind(f, &err), &err);
  /* find the deleted file among our descriptors and flip one bit of batch 2's values */
  char link[64], target[512];
  int fd = -1;
  for (int i = 3; i < 1024 && fd < 0; i++) {
    snprintf(link, sizeof link, "/proc/self/fd/%d", i);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n > 0 && (target[n] = 0, strstr(target, "feast-spill-"))) fd = open(link, O_RDWR);
  }
  CHECK(fd >= 0);
  off_t at = (off_t)(spill_bytes(f) / 2 + spill_bytes(f) / 4);
  uint8_t byte;
  CHECK(pread(fd, &byte, 1, at) == 1);
  byte ^= 0x10;
  CHECK(pwrite(fd, &byte, 1, at) == 1);
  close(fd);
  feast_batch *got = NULL;
  CHECK_OK(spill_read(f, &got, &err), &err); /* batch 1 is whole */
  CHECK(got && got->num_rows == 100 && feast_array_get_int(got->columns[0], 99) == 693);
  feast_batch_free(got);
  got = NULL;
  CHECK_INT(spill_read(f, &got, &err), FEAST_E_CORRUPT);
  CHECK(got == NULL);
  CHECK_CONTAINS(err.message, "batch 2 is damaged");
  spill_close(f);
  feast_batch_free(b);
}

TEST_MAIN(T(damaged_spill_file_is_an_error), T(max_age_edges), T(ties_break_by_created_then_order), T(nanoseconds_compare_exactly), T(randomized_matches_reference), T(few_rows_per_key_matches_reference),
          T(larger_run_with_threads), T(spilled_run_matches_reference), T(spill_after_starting_in_memory), T(errors_reported_together),
          T(stream_export_works))
