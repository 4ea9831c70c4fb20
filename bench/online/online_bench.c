/*
 * online_bench.c - ingest throughput and single-row online-read latency for
 * one store URI. Usage: online_bench URI [rows] [keys] [reads]
 * Prints one line per phase; figures go to bench/online/RESULTS.md with the
 * command that produced them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "feast/ingest.h"
#include "feast/online.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void die(const char *what, feast_error *err) {
  fprintf(stderr, "%s: %s\n", what, err->message);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: online_bench URI [rows] [keys] [reads]\n");
    return 2;
  }
  long rows = argc > 2 ? atol(argv[2]) : 200000, keys = argc > 3 ? atol(argv[3]) : 50000,
       reads = argc > 4 ? atol(argv[4]) : 20000;
  feast_error err;
  feast_online_store *s;
  if (feast_online_store_open(argv[1], NULL, &s, &err)) die("open", &err);
  /* table bench: entity id INT64; features f0..f4 DOUBLE, s STRING */
  feast_entity_spec e = {feast_strdup("id"), FEAST_VT_INT64, NULL, {0}};
  feast_feature_table_spec t;
  memset(&t, 0, sizeof t);
  t.name = feast_strdup("bench");
  t.n_entities = 1;
  t.entities = feast_calloc(1, sizeof(char *));
  t.entities[0] = feast_strdup("id");
  t.n_features = 6;
  t.features = feast_calloc(6, sizeof *t.features);
  const char *fn[] = {"f0", "f1", "f2", "f3", "f4", "s"};
  for (int i = 0; i < 6; i++) {
    t.features[i].name = feast_strdup(fn[i]);
    t.features[i].value_type = i < 5 ? FEAST_VT_DOUBLE : FEAST_VT_STRING;
  }
  t.batch_source.event_timestamp_column = feast_strdup("ts");
  const long batch = 10000;
  feast_ingest_summary total = {0};
  double t0 = now_s();
  srand(42);
  for (long off = 0; off < rows; off += batch) {
    long n = rows - off < batch ? rows - off : batch;
    feast_batch *b = feast_batch_new(8);
    feast_array *cols[8];
    cols[0] = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(0));
    cols[1] = feast_array_new(feast_dtype_timestamp(FEAST_UNIT_US, true), feast_dtype_make(0));
    for (int c = 2; c < 7; c++) cols[c] = feast_array_new(feast_dtype_make(FEAST_DT_DOUBLE), feast_dtype_make(0));
    cols[7] = feast_array_new(feast_dtype_make(FEAST_DT_STRING), feast_dtype_make(0));
    for (long i = 0; i < n; i++) {
      feast_array_append_int(cols[0], rand() % keys, &err);
      feast_array_append_int(cols[1], INT64_C(1600000000000000) + (off + i) * 1000, &err);
      for (int c = 2; c < 7; c++) feast_array_append_double(cols[c], (double)(off + i) / (c + 1), &err);
      feast_array_append_bytes(cols[7], "some-category", 13, &err);
    }
    const char *names[] = {"id", "ts", "f0", "f1", "f2", "f3", "f4", "s"};
    for (int c = 0; c < 8; c++) feast_batch_set_column(b, c, names[c], cols[c], &err);
    b->num_rows = n;
    if (feast_ingest_batch(s, &t, &e, 1, b, NULL, &total, &err)) die("ingest", &err);
    feast_batch_free(b);
  }
  double el = now_s() - t0;
  printf("%s ingest: %ld rows (%lld written) in %.2f s = %.0f rows/s\n", feast_online_store_kind(s), rows,
         (long long)total.written, el, rows / el);
  double *lat = feast_malloc(sizeof(double) * (size_t)reads);
  feast_online_table_request tq = {&t, 0, NULL};
  for (long i = 0; i < reads; i++) {
    feast_batch *eb = feast_batch_new(1);
    feast_array *ids = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(0));
    feast_array_append_int(ids, rand() % keys, &err);
    feast_batch_set_column(eb, 0, "id", ids, &err);
    eb->num_rows = 1;
    feast_online_request q = {NULL, 1, &tq, 1, &e, eb, INT64_C(1700000000000000)};
    feast_online_result *r;
    double a = now_s();
    if (feast_online_read(s, &q, &r, &err)) die("read", &err);
    lat[i] = (now_s() - a) * 1e6;
    feast_online_result_free(r);
    feast_batch_free(eb);
  }
  qsort(lat, (size_t)reads, sizeof *lat, cmp_d);
  printf("%s read (1 entity row, 6 features): p50 %.1f us, p99 %.1f us, max %.1f us over %ld reads\n",
         feast_online_store_kind(s), lat[reads / 2], lat[reads * 99 / 100], lat[reads - 1], reads);
  feast_free(lat);
  feast_feature_table_spec_clear(&t);
  feast_entity_spec_clear(&e);
  feast_online_store_free(s);
  return 0;
}
