/*
 * s3_read_bench.c - the join's columns of the retrieval benchmark's tables
 * read in-process by our Parquet dataset reader, from a path or an s3://
 * URL, best of N runs: the in-process twin of pyarrow's dataset reader in
 * run.py (process start and set-up excluded on both sides).
 *
 *   s3_read_bench REPEAT THREADS URL:COL,COL,... [URL:COLS ...]
 * prints "<best seconds> <rows>".
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feast/aws.h"
#include "feast/parquet.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4) return fprintf(stderr, "usage: s3_read_bench REPEAT THREADS URL:COLS...\n"), 2;
  /* as the feast binary does (src/cli/main.c): freed batches are reused, not returned to the kernel */
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  int repeat = atoi(argv[1]), threads = atoi(argv[2]);
  double best = 1e30;
  long long rows = 0;
  for (int r = 0; r < repeat; r++) {
    double t0 = now();
    rows = 0;
    for (int a = 3; a < argc; a++) {
      char *spec = strdup(argv[a]), *colon = strrchr(spec, ':');
      const char *cols[64];
      int nc = 0;
      *colon = 0;
      for (char *c = strtok(colon + 1, ","); c && nc < 64; c = strtok(NULL, ",")) cols[nc++] = c;
      feast_parquet_dataset_options o;
      memset(&o, 0, sizeof o);
      o.columns = cols;
      o.ncolumns = nc;
      o.read.threads = threads;
      if (feast_s3_is_url(spec)) o.fs = feast_s3_parquet_fs();
      feast_batch_source *src;
      feast_error err;
      if (feast_parquet_dataset_open(spec, &o, &src, &err)) return fprintf(stderr, "%s\n", err.message), 1;
      for (;;) {
        feast_batch *b;
        if (src->next(src, &b, &err)) return fprintf(stderr, "%s\n", err.message), 1;
        if (!b) break;
        rows += b->num_rows;
        feast_batch_free(b);
      }
      src->close(src);
      free(spec);
    }
    double el = now() - t0;
    if (el < best) best = el;
  }
  printf("%.4f %lld\n", best, rows);
  return 0;
}
