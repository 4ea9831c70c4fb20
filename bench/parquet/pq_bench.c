/*
 * pq_bench.c - decode every column of a Parquet file (or dataset) with
 * Feast's reader and report rows and wall seconds as one JSON line. Batches
 * are freed as they arrive (the reader materializes each column into Arrow
 * layout; nothing is aggregated). Usage: pq_bench PATH THREADS [BATCH_ROWS]
 *
 * With PQ_BENCH_RETAIN=1 glibc is told to keep freed memory (mmap and trim
 * thresholds at 1 GiB) instead of returning every freed batch to the kernel
 * and faulting fresh zeroed pages in for the next one (what the CLI does;
 * worth 5-10 % now that the reader reuses its own buffers). Measured both
 * ways: the default is what a library user gets.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feast/parquet.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: pq_bench PATH THREADS [BATCH_ROWS]\n");
    return 2;
  }
  const char *retain = getenv("PQ_BENCH_RETAIN");
  if (retain && *retain == '1') {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  }
  feast_parquet_dataset_options o;
  memset(&o, 0, sizeof o);
  o.read.threads = atoi(argv[2]);
  if (argc > 3) o.read.batch_rows = atoll(argv[3]);
  feast_error err;
  double t0 = now();
  feast_batch_source *src;
  if (feast_parquet_dataset_open(argv[1], &o, &src, &err)) {
    fprintf(stderr, "pq_bench: %s\n", err.message);
    return 1;
  }
  int64_t expect = feast_parquet_dataset_num_rows(src), rows = 0;
  for (;;) {
    feast_batch *b;
    if (src->next(src, &b, &err)) {
      fprintf(stderr, "pq_bench: %s\n", err.message);
      return 1;
    }
    if (!b) break;
    rows += b->num_rows;
    feast_batch_free(b);
  }
  src->close(src);
  double secs = now() - t0;
  if (rows != expect) {
    fprintf(stderr, "pq_bench: %lld rows, footers say %lld\n", (long long)rows, (long long)expect);
    return 1;
  }
  printf("{\"rows\": %lld, \"seconds\": %.4f}\n", (long long)rows, secs);
  return 0;
}
