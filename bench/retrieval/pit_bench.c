/*
 * pit_bench.c - times feast_historical_retrieve on in-memory data shaped like
 * the benchmark in the issue: E entity rows, F feature rows, K keys (int64),
 * timestamps in one day, one created column, two features (double, int64).
 * Usage: pit_bench [E F K threads memory_limit_bytes]. Prints seconds and
 * peak RSS. Data generation is excluded from the time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "feast/retrieval.h"

typedef struct src {
  feast_batch_source base;
  feast_batch **b;
  int n, i;
} src;
static feast_code nx(feast_batch_source *s, feast_batch **out, feast_error *e) {
  (void)e;
  src *v = (src *)s;
  *out = v->i < v->n ? v->b[v->i] : NULL;
  if (*out) v->b[v->i++] = NULL;
  return FEAST_OK;
}
static void cl(feast_batch_source *s) { free(s); }

static uint64_t st = 88172645463325252ULL;
static uint64_t rnd(void) { st ^= st << 13; st ^= st >> 7; st ^= st << 17; return st; }
static const int64_t DAY = 86400LL * 1000000;

static feast_batch **make(int64_t rows, int64_t keys, int features, int *nb) {
  int64_t per = 65536;
  *nb = (int)((rows + per - 1) / per);
  feast_batch **bs = calloc((size_t)*nb + 1, sizeof *bs);
  feast_error err;
  for (int b = 0; b < *nb; b++) {
    int64_t n = rows - b * per < per ? rows - b * per : per;
    int ncol = features ? 5 : 2;
    feast_batch *x = feast_batch_new(ncol);
    x->num_rows = n;
    feast_array *c[5];
    c[0] = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(0));
    c[1] = feast_array_new(feast_dtype_timestamp(FEAST_UNIT_US, true), feast_dtype_make(0));
    if (features) {
      c[2] = feast_array_new(feast_dtype_timestamp(FEAST_UNIT_US, true), feast_dtype_make(0));
      c[3] = feast_array_new(feast_dtype_make(FEAST_DT_DOUBLE), feast_dtype_make(0));
      c[4] = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(0));
    }
    for (int k = 0; k < ncol; k++) feast_array_reserve(c[k], n, 0, &err);
    for (int64_t i = 0; i < n; i++) {
      ((int64_t *)c[0]->values)[i] = (int64_t)(rnd() % (uint64_t)keys);
      ((int64_t *)c[1]->values)[i] = 1600000000LL * 1000000 + (int64_t)(rnd() % (uint64_t)DAY);
      if (features) {
        ((int64_t *)c[2]->values)[i] = ((int64_t *)c[1]->values)[i] + (int64_t)(rnd() % 1000);
        ((double *)c[3]->values)[i] = (double)(rnd() % 100000) / 7.0;
        ((int64_t *)c[4]->values)[i] = (int64_t)(rnd() % 1000000);
      }
    }
    const char *fn[5] = {"driver_id", "event_timestamp", "created", "conv_rate", "trips"};
    for (int k = 0; k < ncol; k++) {
      c[k]->length = n;
      feast_batch_set_column(x, k, fn[k], c[k], &err);
    }
    bs[b] = x;
  }
  return bs;
}

static feast_batch **feat;
static int nfeat;
static feast_code open_src(void *ctx, const feast_feature_table_spec *t, const char *const *cols, int n, feast_ts lo,
                           feast_ts hi, feast_batch_source **out, feast_error *err) {
  (void)ctx, (void)t, (void)cols, (void)n, (void)lo, (void)hi, (void)err;
  src *s = calloc(1, sizeof *s);
  s->base.next = nx;
  s->base.close = cl;
  s->b = feat;
  s->n = nfeat;
  *out = &s->base;
  return FEAST_OK;
}

static feast_code schema_fn(void *ctx, const feast_feature_table_spec *t, feast_batch **out, feast_error *err) {
  (void)ctx, (void)t, (void)err;
  int nb;
  uint64_t keep = st;
  feast_batch **one = make(0, 1, 1, &nb);
  st = keep;
  *out = feast_batch_new(5);
  (*out)->num_rows = 0;
  /* make(0) yields no batch; build the columns by hand */
  const char *fn[5] = {"driver_id", "event_timestamp", "created", "conv_rate", "trips"};
  feast_dtype ty[5] = {feast_dtype_make(FEAST_DT_INT64), feast_dtype_timestamp(FEAST_UNIT_US, true),
                       feast_dtype_timestamp(FEAST_UNIT_US, true), feast_dtype_make(FEAST_DT_DOUBLE),
                       feast_dtype_make(FEAST_DT_INT64)};
  for (int k = 0; k < 5; k++) feast_batch_set_column(*out, k, fn[k], feast_array_new(ty[k], feast_dtype_make(0)), err);
  free(one);
  return FEAST_OK;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  int64_t E = argc > 1 ? atoll(argv[1]) : 1000000, F = argc > 2 ? atoll(argv[2]) : 10000000,
          K = argc > 3 ? atoll(argv[3]) : 1000000;
  int threads = argc > 4 ? atoi(argv[4]) : 0;
  size_t limit = argc > 5 ? (size_t)atoll(argv[5]) : 0;
  int ne;
  feast_batch **ent = make(E, K, 0, &ne);
  feat = make(F, K, 1, &nfeat);
  feast_feature_table_spec spec;
  memset(&spec, 0, sizeof spec);
  char *ents[] = {"driver_id"};
  feast_feature_spec fs[2] = {{"conv_rate", FEAST_VT_DOUBLE, {0, NULL}}, {"trips", FEAST_VT_INT64, {0, NULL}}};
  spec.name = "driver_stats";
  spec.n_entities = 1;
  spec.entities = ents;
  spec.n_features = 2;
  spec.features = fs;
  spec.has_max_age = true;
  spec.max_age = 3600LL * 1000000;
  spec.batch_source.event_timestamp_column = "event_timestamp";
  spec.batch_source.created_timestamp_column = "created";
  feast_value_type et[] = {FEAST_VT_INT64};
  feast_retrieval_table tab = {&spec, et};
  src es = {{nx, NULL}, ent, ne, 0};
  const char *refs[] = {"driver_stats:conv_rate", "driver_stats:trips"};
  feast_retrieval_request req;
  memset(&req, 0, sizeof req);
  req.entities = &es.base;
  req.refs = refs;
  req.n_refs = 2;
  req.tables = &tab;
  req.n_tables = 1;
  req.open_source = open_src;
  req.source_schema = schema_fn;
  req.threads = threads;
  req.memory_limit = limit;
  /* the schema probe would consume a batch of the one-shot source: give a schema callback */
  feast_error err;
  double t0 = now();
  feast_batch_source *out;
  feast_retrieval_summary sum;
  if (feast_historical_retrieve(&req, &out, &sum, &err)) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  int64_t rows = 0, valid = 0;
  feast_batch *b;
  while (!out->next(out, &b, &err) && b) {
    rows += b->num_rows;
    valid += b->num_rows - b->columns[2]->null_count;
    feast_batch_free(b);
  }
  double t1 = now();
  out->close(out);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("entity_rows=%lld feature_rows=%lld keys=%lld matched=%lld spilled=%d seconds=%.3f peak_rss_mb=%.0f\n",
         (long long)rows, (long long)F, (long long)K, (long long)sum.matched, sum.tables_spilled, t1 - t0,
         ru.ru_maxrss / 1024.0);
  (void)valid;
  return 0;
}
