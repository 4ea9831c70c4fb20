/*
 * online_bench.c - batch ingestion throughput and online-read latency for one
 * store URI, on the data set of bench/online/gen.py (driver_hourly: driver_id
 * INT64, f0..f9 cycling DOUBLE/FLOAT/INT64, random event times over 30 days,
 * created = event + random < 1000 s), generated in memory in C with the
 * same shape (the Parquet reader is not merged yet), in batches of BATCH
 * rows (a Parquet row group's worth). Generation is not timed; ingestion is
 * feast_ingest over a source handing out the batches.
 *
 *   online_bench URI [rows] [keys] [batch] [reads]
 *
 * Prints one JSON object per phase for run.sh to collect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "feast/ingest.h"
#include "feast/online.h"

#define START_US INT64_C(1600000000000000)
#define SPAN_US (INT64_C(30) * 86400 * 1000000)

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 11;
static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void die(const char *what, feast_error *err) {
  fprintf(stderr, "%s: %s\n", what, err->message);
  exit(1);
}

static const char *col_names[] = {"driver_id", "event_timestamp", "created", "f0", "f1", "f2", "f3",
                                  "f4",        "f5",              "f6",      "f7", "f8", "f9"};

static feast_batch *make_batch(long n, long keys) {
  feast_error err;
  feast_batch *b = feast_batch_new(13);
  feast_array *cols[13];
  cols[0] = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(0));
  cols[1] = feast_array_new(feast_dtype_timestamp(FEAST_UNIT_US, true), feast_dtype_make(0));
  cols[2] = feast_array_new(feast_dtype_timestamp(FEAST_UNIT_US, true), feast_dtype_make(0));
  for (int f = 0; f < 10; f++)
    cols[3 + f] = feast_array_new(feast_dtype_make(f % 3 == 0 ? FEAST_DT_DOUBLE : f % 3 == 1 ? FEAST_DT_FLOAT : FEAST_DT_INT64),
                                  feast_dtype_make(0));
  for (int c = 0; c < 13; c++)
    if (feast_array_reserve(cols[c], n, 0, &err)) die("reserve", &err);
  for (long i = 0; i < n; i++) {
    int64_t ts = START_US + (int64_t)(rnd() % (uint64_t)SPAN_US);
    feast_array_append_int(cols[0], (int64_t)(rnd() % (uint64_t)keys), &err);
    feast_array_append_int(cols[1], ts, &err);
    feast_array_append_int(cols[2], ts + (int64_t)(rnd() % 1000000000), &err);
    for (int f = 0; f < 10; f++) {
      if (f % 3 == 2) feast_array_append_int(cols[3 + f], (int64_t)(rnd() % 1000000), &err);
      else feast_array_append_double(cols[3 + f], (double)(rnd() >> 11) / 9007199254740992.0, &err);
    }
  }
  for (int c = 0; c < 13; c++)
    if (feast_batch_set_column(b, c, col_names[c], cols[c], &err)) die("batch", &err);
  b->num_rows = n;
  return b;
}

typedef struct mem_source {
  feast_batch_source base;
  feast_batch **batches;
  long n, next;
} mem_source;

static feast_code mem_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  (void)err;
  mem_source *m = (mem_source *)self;
  *out = m->next < m->n ? m->batches[m->next++] : NULL;
  return FEAST_OK;
}

static void read_phase(feast_online_store *s, feast_feature_table_spec *t, feast_entity_spec *e, long keys, long n_keys,
                       long reads) {
  feast_error err;
  double *lat = feast_malloc(sizeof(double) * (size_t)reads), sum = 0;
  feast_online_table_request tq = {t, 0, NULL};
  long found = 0;
  for (long i = 0; i < reads; i++) {
    feast_batch *eb = feast_batch_new(1);
    feast_array *ids = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(0));
    for (long k = 0; k < n_keys; k++) feast_array_append_int(ids, (int64_t)(rnd() % (uint64_t)keys), &err);
    feast_batch_set_column(eb, 0, "driver_id", ids, &err);
    eb->num_rows = n_keys;
    feast_online_request q = {"bench", 1, &tq, 1, e, eb, START_US + SPAN_US};
    feast_online_result *r;
    double a = now_s();
    if (feast_online_read(s, &q, &r, &err)) die("read", &err);
    lat[i] = (now_s() - a) * 1e6;
    sum += lat[i];
    if (feast_online_result_status(r, 1, 0) == FEAST_STATUS_PRESENT) found++;
    feast_online_result_free(r);
    feast_batch_free(eb);
  }
  qsort(lat, (size_t)reads, sizeof *lat, cmp_d);
  printf("{\"phase\": \"read\", \"store\": \"%s\", \"keys_per_read\": %ld, \"features\": 10, \"reads\": %ld, "
         "\"p50_us\": %.1f, \"p99_us\": %.1f, \"reads_per_s\": %.0f, \"first_key_present\": %ld}\n",
         feast_online_store_kind(s), n_keys, reads, lat[reads / 2], lat[reads * 99 / 100], reads / (sum / 1e6), found);
  feast_free(lat);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: online_bench URI [rows] [keys] [batch] [reads]\n");
    return 2;
  }
  long rows = argc > 2 ? atol(argv[2]) : 1000000, keys = argc > 3 ? atol(argv[3]) : 100000,
       batch = argc > 4 ? atol(argv[4]) : 1000000, reads = argc > 5 ? atol(argv[5]) : 20000;
  feast_error err;
  feast_online_store *s;
  feast_online_options oo = {0};
  oo.lmdb_map_size = (size_t)8 << 30;
  if (feast_online_store_open(argv[1], &oo, &s, &err)) die("open", &err);
  feast_entity_spec e = {feast_strdup("driver_id"), FEAST_VT_INT64, NULL, {0}};
  feast_feature_table_spec t;
  memset(&t, 0, sizeof t);
  t.name = feast_strdup("driver_hourly");
  t.n_entities = 1;
  t.entities = feast_calloc(1, sizeof(char *));
  t.entities[0] = feast_strdup("driver_id");
  t.n_features = 10;
  t.features = feast_calloc(10, sizeof *t.features);
  for (int f = 0; f < 10; f++) {
    t.features[f].name = feast_strdup(col_names[3 + f]);
    t.features[f].value_type = f % 3 == 0 ? FEAST_VT_DOUBLE : f % 3 == 1 ? FEAST_VT_FLOAT : FEAST_VT_INT64;
  }
  t.batch_source.event_timestamp_column = feast_strdup("event_timestamp");
  t.batch_source.created_timestamp_column = feast_strdup("created");

  mem_source src = {{mem_next, NULL}, NULL, 0, 0};
  src.n = (rows + batch - 1) / batch;
  src.batches = feast_calloc((size_t)src.n + 1, sizeof *src.batches);
  for (long i = 0; i < src.n; i++) src.batches[i] = make_batch(rows - i * batch < batch ? rows - i * batch : batch, keys);

  feast_ingest_summary sum;
  feast_ingest_options io = {0};
  io.project = "bench";
  double t0 = now_s();
  if (feast_ingest(s, &t, &e, 1, &src.base, &io, &sum, &err)) die("ingest", &err);
  double el = now_s() - t0;
  printf("{\"phase\": \"ingest\", \"store\": \"%s\", \"rows\": %ld, \"keys\": %ld, \"batch\": %ld, \"written\": %lld, "
         "\"skipped_older\": %lld, \"seconds\": %.3f, \"rows_per_s\": %.0f}\n",
         feast_online_store_kind(s), rows, keys, batch, (long long)sum.written, (long long)sum.skipped_older, el, rows / el);
  fflush(stdout);
  feast_free(src.batches);
  read_phase(s, &t, &e, keys, 1, reads);
  read_phase(s, &t, &e, keys, 100, reads / 10 ? reads / 10 : 1);
  feast_feature_table_spec_clear(&t);
  feast_entity_spec_clear(&e);
  feast_online_store_free(s);
  return 0;
}
