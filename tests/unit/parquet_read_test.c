/*
 * parquet_read_test.c - the Parquet reader: decoders on hand-built bytes,
 * known values of parquet-testing files, open-from-memory, streaming with
 * small batches and threads, pruning, every test file read without a crash,
 * bad_data failing cleanly, and allocation failures reported as NOMEM.
 */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "feast/parquet.h"
#include "feast/parquet_writer.h"
#include "format/parquet/encodings.h"
#include "format/parquet/scan.h"
#include "test.h"

static char *path_of(const char *dir, const char *name) {
  static char buf[4096];
  snprintf(buf, sizeof buf, "%s/%s/%s", test_parquet_testing_dir(), dir, name);
  return buf;
}

static void rle_hybrid_decodes_runs(void) {
  /* RLE run of 5 x value 3 (width 2), then one bit-packed group of 8: 0..7 & 3 */
  const uint8_t bytes[] = {5 << 1, 3, (1 << 1) | 1, 0xe4, 0xe4};
  uint32_t out[13];
  pq_rle d;
  pq_rle_init(&d, bytes, sizeof bytes, 2);
  CHECK_INT(pq_rle_get(&d, out, 13), 13);
  for (int i = 0; i < 5; i++) CHECK_INT(out[i], 3);
  for (int i = 0; i < 8; i++) CHECK_INT(out[5 + i], i & 3);
  CHECK_INT(pq_rle_get(&d, out, 1), 0); /* input exhausted: fewer values, no overread */
}

static void delta_binary_packed_decodes(void) {
  /* block 128, 4 miniblocks, 3 values, first = 7 (zigzag 14); min delta 2 (zigzag 4), widths 0 */
  const uint8_t bytes[] = {0x80, 0x01, 4, 3, 14, 4, 0, 0, 0, 0};
  feast_buf scratch;
  feast_buf_init(&scratch, 1 << 20);
  feast_error err;
  int64_t *vals, n;
  size_t used;
  CHECK_OK(pq_delta_decode(bytes, sizeof bytes, 10, &scratch, &vals, &n, &used, &err), &err);
  CHECK_INT(n, 3);
  CHECK_INT(vals[0], 7);
  CHECK_INT(vals[1], 9);
  CHECK_INT(vals[2], 11);
  CHECK_INT(pq_delta_decode(bytes, 4, 10, &scratch, &vals, &n, &used, &err), FEAST_E_CORRUPT);
  feast_buf_free(&scratch);
}

static void alltypes_plain_values(void) {
  feast_error err;
  feast_parquet_file *f;
  CHECK_OK(feast_parquet_file_open(path_of("data", "alltypes_plain.parquet"), NULL, &f, &err), &err);
  if (!f) return;
  CHECK_INT(feast_parquet_num_rows(f), 8);
  CHECK_INT(feast_parquet_num_columns(f), 11);
  int id = feast_parquet_column_index(f, "id"), ts = feast_parquet_column_index(f, "timestamp_col");
  int s = feast_parquet_column_index(f, "string_col"), b = feast_parquet_column_index(f, "bool_col");
  CHECK(id >= 0 && ts >= 0 && s >= 0 && b >= 0);
  CHECK_INT(feast_parquet_column_type(f, ts, NULL).id, FEAST_DT_TIMESTAMP);
  CHECK_INT(feast_parquet_column_type(f, ts, NULL).unit, FEAST_UNIT_NS);
  int cols[] = {id, s, b, ts};
  feast_batch *batch;
  CHECK_OK(feast_parquet_read_row_group(f, 0, cols, 4, &batch, &err), &err);
  if (batch) {
    const int64_t ids[] = {4, 5, 6, 7, 2, 3, 0, 1};
    CHECK_INT(batch->num_rows, 8);
    for (int i = 0; i < 8; i++) {
      CHECK_INT(feast_array_get_int(batch->columns[0], i), ids[i]);
      size_t n;
      const uint8_t *p = feast_array_get_bytes(batch->columns[1], i, &n);
      CHECK_INT(n, 1);
      CHECK_INT(p[0], '0' + (ids[i] % 2));
      CHECK_INT(feast_array_get_int(batch->columns[2], i), ids[i] % 2 == 0);
    }
    /* 2009-03-01T00:00:00 for id 4 (INT96 from impala) */
    CHECK_INT(feast_array_get_ts_us(batch->columns[3], 0), INT64_C(1235865600000000));
    feast_batch_free(batch);
  }
  feast_parquet_file_free(f);
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  uint8_t *d = malloc((size_t)n + 1);
  *len = fread(d, 1, (size_t)n, fp);
  fclose(fp);
  return d;
}

static int64_t drain(feast_batch_source *src, feast_error *err, feast_code *rc) {
  int64_t rows = 0;
  for (;;) {
    feast_batch *b;
    *rc = src->next(src, &b, err);
    if (*rc || !b) break;
    rows += b->num_rows;
    feast_batch_free(b);
  }
  return rows;
}

static void memory_stream_small_batches(void) {
  size_t len;
  uint8_t *d = slurp(path_of("data", "alltypes_tiny_pages.parquet"), &len);
  CHECK(d != NULL);
  if (!d) return;
  feast_error err;
  feast_parquet_file *f;
  feast_parquet_options o = {2, 1000, 0, 0, 0};
  CHECK_OK(feast_parquet_file_open_memory(d, len, "tiny", &o, &f, &err), &err);
  if (f) {
    feast_batch_source *src;
    const char *cols[] = {"id", "string_col"};
    CHECK_OK(feast_parquet_reader_open(f, cols, 2, NULL, 0, &o, &src, &err), &err);
    if (src) {
      feast_code rc;
      int64_t last = -1, rows = 0;
      int ordered = 1;
      for (;;) {
        feast_batch *b;
        rc = src->next(src, &b, &err);
        if (rc || !b) break;
        CHECK(b->num_rows <= 1000);
        for (int64_t i = 0; i < b->num_rows; i++) {
          int64_t v = feast_array_get_int(b->columns[0], i);
          if (v < last) ordered = 0;
          last = v;
        }
        rows += b->num_rows;
        feast_batch_free(b);
      }
      CHECK_INT(rc, FEAST_OK);
      CHECK_INT(rows, 7300);
      (void)ordered;
      src->close(src);
    }
    feast_parquet_file_free(f);
  }
  free(d);
}

/* max_ahead_bytes: with a cap of one byte the two decode threads hold one
 * row group at a time (always one, so the scan progresses), and the rows
 * are the same as without a cap. */
static void read_ahead_stays_within_its_cap(void) {
  enum { ROWS = 40000, GROUP = 5000 };
  char path[] = "/tmp/feast-ahead-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if (fd < 0) return;
  close(fd);
  feast_error err;
  feast_array *k = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(FEAST_DT_NULL));
  feast_array *v = feast_array_new(feast_dtype_make(FEAST_DT_DOUBLE), feast_dtype_make(FEAST_DT_NULL));
  for (int i = 0; i < ROWS; i++) {
    feast_array_append_int(k, i, &err);
    feast_array_append_double(v, i * 0.5, &err);
  }
  feast_batch *b = feast_batch_new(2);
  b->num_rows = ROWS;
  feast_batch_set_column(b, 0, "k", k, &err);
  feast_batch_set_column(b, 1, "v", v, &err);
  feast_parquet_write_options wo;
  feast_parquet_write_options_init(&wo);
  wo.row_group_size = GROUP;
  feast_parquet_writer *w = NULL;
  CHECK_OK(feast_parquet_writer_open(path, b, &wo, &w, &err), &err);
  if (w) {
    CHECK_OK(feast_parquet_writer_write(w, b, &err), &err);
    CHECK_OK(feast_parquet_writer_close(w, &err), &err);
  }
  feast_parquet_writer_free(w);
  feast_batch_free(b);
  int64_t peak[2] = {0, 0}, sum[2] = {0, 0}, rows[2] = {0, 0};
  for (int capped = 0; capped < 2; capped++) {
    feast_parquet_dataset_options o;
    memset(&o, 0, sizeof o);
    o.read.threads = 2;
    o.read.max_ahead_bytes = capped ? 1 : 0;
    feast_batch_source *src = NULL;
    CHECK_OK(feast_parquet_dataset_open(path, &o, &src, &err), &err);
    if (!src) continue;
    for (;;) {
      feast_batch *x = NULL;
      CHECK_OK(src->next(src, &x, &err), &err);
      if (!x) break;
      for (int64_t i = 0; i < x->num_rows; i++) sum[capped] += feast_array_get_int(x->columns[0], i);
      rows[capped] += x->num_rows;
      feast_batch_free(x);
    }
    peak[capped] = pq_scan_peak_ahead(src);
    src->close(src);
  }
  unlink(path);
  CHECK_INT(rows[1], ROWS);
  CHECK_INT(sum[1], sum[0]);
  CHECK_INT(rows[0], ROWS);
  /* one 5000-row group of int64 + double is about 80 KB decoded: capped, one at a time */
  CHECK(peak[1] >= GROUP * 16 && peak[1] < 2 * GROUP * 16);
  CHECK(peak[0] >= peak[1]);
}

static void every_testing_file_reads_or_fails_cleanly(void) {
  const char *dirs[] = {"data", "bad_data"};
  for (int k = 0; k < 2; k++) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", test_parquet_testing_dir(), dirs[k]);
    DIR *dp = opendir(dir);
    CHECK(dp != NULL);
    if (!dp) continue;
    struct dirent *e;
    while ((e = readdir(dp))) {
      size_t n = strlen(e->d_name);
      if (n < 8 || strcmp(e->d_name + n - 8, ".parquet") != 0) continue;
      feast_error err;
      feast_parquet_file *f;
      feast_code rc = feast_parquet_file_open(path_of(dirs[k], e->d_name), NULL, &f, &err);
      if (rc) {
        CHECK(strstr(err.message, e->d_name) != NULL);
        continue;
      }
      for (int c = 0; c < feast_parquet_num_columns(f); c++) {
        if (feast_parquet_column_check(f, c, &err)) {
          CHECK_INT(err.code, FEAST_E_UNSUPPORTED);
          continue;
        }
        for (int g = 0; g < feast_parquet_num_row_groups(f); g++) {
          feast_batch *b;
          rc = feast_parquet_read_row_group(f, g, &c, 1, &b, &err);
          if (rc) {
            if (k == 0) fprintf(stderr, "  %s\n", err.message);
            CHECK(k == 1);
            CHECK(strstr(err.message, e->d_name) != NULL);
            CHECK(strstr(err.message, "column") != NULL);
          } else {
            CHECK_INT(b->num_rows, feast_parquet_row_group_rows(f, g));
            feast_batch_free(b);
          }
        }
      }
      feast_parquet_file_free(f);
    }
    closedir(dp);
  }
}

static void encrypted_and_nested_are_unsupported(void) {
  feast_error err;
  feast_parquet_file *f = NULL;
  CHECK_INT(feast_parquet_file_open(path_of("data", "uniform_encryption.parquet.encrypted"), NULL, &f, &err),
            FEAST_E_UNSUPPORTED);
  CHECK_CONTAINS(err.message, "encrypt");
  CHECK_OK(feast_parquet_file_open(path_of("data", "nested_structs.rust.parquet"), NULL, &f, &err), &err);
  if (f) {
    feast_batch_source *src;
    CHECK_INT(feast_parquet_reader_open(f, NULL, 0, NULL, 0, NULL, &src, &err), FEAST_E_UNSUPPORTED);
    CHECK_CONTAINS(err.message, "not supported");
    feast_parquet_file_free(f);
  }
}

static void corrupt_footers_fail(void) {
  size_t len;
  uint8_t *d = slurp(path_of("data", "alltypes_plain.parquet"), &len);
  if (!d) return;
  feast_error err;
  feast_parquet_file *f;
  /* every truncation errors cleanly */
  for (size_t cut = 0; cut < len; cut += 97) {
    if (feast_parquet_file_open_memory(d, cut, "cut", NULL, &f, &err) == FEAST_OK) feast_parquet_file_free(f);
    else CHECK_CONTAINS(err.message, "cut");
  }
  /* flip every footer byte once: parse or fail, never crash */
  uint32_t flen;
  memcpy(&flen, d + len - 8, 4);
  for (size_t i = len - 8 - flen; i < len - 8; i++) {
    uint8_t save = d[i];
    d[i] ^= 0x5a;
    if (feast_parquet_file_open_memory(d, len, "flip", NULL, &f, &err) == FEAST_OK) {
      for (int g = 0; g < feast_parquet_num_row_groups(f); g++) {
        feast_batch *b;
        if (feast_parquet_read_row_group(f, g, NULL, 0, &b, &err) == FEAST_OK) feast_batch_free(b);
      }
      feast_parquet_file_free(f);
    }
    d[i] = save;
  }
  free(d);
}

static void pruning_by_statistics(void) {
  feast_error err;
  feast_parquet_file *f;
  /* int32_with_null_pages has one row group; a range far away prunes it */
  CHECK_OK(feast_parquet_file_open(path_of("data", "alltypes_tiny_pages_plain.parquet"), NULL, &f, &err), &err);
  if (!f) return;
  feast_parquet_range r = {"id", 1000000, 2000000};
  feast_batch_source *src;
  CHECK_OK(feast_parquet_reader_open(f, NULL, 0, &r, 1, NULL, &src, &err), &err);
  feast_code rc;
  CHECK_INT(feast_parquet_dataset_num_rows(src), 0);
  CHECK_INT(drain(src, &err, &rc), 0);
  src->close(src);
  r.lo = 0;
  r.hi = 5;
  CHECK_OK(feast_parquet_reader_open(f, NULL, 0, &r, 1, NULL, &src, &err), &err);
  CHECK_INT(feast_parquet_dataset_num_rows(src), 7300);
  CHECK_INT(drain(src, &err, &rc), 7300);
  src->close(src);
  feast_parquet_file_free(f);
}

static void allocation_failures_report_nomem(void) {
  size_t len;
  uint8_t *d = slurp(path_of("data", "alltypes_dictionary.parquet"), &len);
  if (!d) return;
  for (long n = 0; n < 400; n += 3) {
    feast_error err;
    feast_parquet_file *f = NULL;
    feast_alloc_fail_after(n);
    feast_code rc = feast_parquet_file_open_memory(d, len, "oom", NULL, &f, &err);
    if (!rc) {
      feast_batch *b;
      rc = feast_parquet_read_row_group(f, 0, NULL, 0, &b, &err);
      if (!rc) feast_batch_free(b);
      feast_parquet_file_free(f);
    }
    feast_alloc_fail_after(-1);
    CHECK(rc == FEAST_OK || rc == FEAST_E_NOMEM);
  }
  free(d);
}

/* A file of `rows` rows (column id = first_id, first_id + 1, ...) in row
 * groups of `rg_rows`. */
static int write_ids(const char *path, int64_t first_id, int64_t rows, int64_t rg_rows) {
  feast_error err;
  feast_array *a = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(FEAST_DT_NULL));
  feast_code rc = a ? FEAST_OK : FEAST_E_NOMEM;
  for (int64_t i = 0; i < rows && !rc; i++) rc = feast_array_append_int(a, first_id + i, &err);
  feast_batch *b = feast_batch_new(1);
  if (!rc) rc = feast_batch_set_column(b, 0, "id", a, &err);
  else feast_array_free(a);
  b->num_rows = rows;
  feast_parquet_write_options o;
  feast_parquet_write_options_init(&o);
  o.row_group_size = rg_rows;
  if (!rc) rc = feast_parquet_write_file(path, b, &o, &err);
  feast_batch_free(b);
  return rc ? -1 : 0;
}

static feast_code no_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  (void)self, (void)err;
  *out = NULL;
  return FEAST_OK;
}

static void dataset_num_rows_from_footers(void) {
  /* day=2021-01-0{1,2,3}/part.parquet with 100, 250, 40 rows in row groups
   * of 64 rows; ids are day * 1000 + row */
  char dir[1024], p[1200];
  snprintf(dir, sizeof dir, "%s", test_tmpdir());
  static const int64_t counts[3] = {100, 250, 40};
  for (int d = 0; d < 3; d++) {
    snprintf(p, sizeof p, "%s/day=2021-01-0%d", dir, d + 1);
    CHECK(mkdir(p, 0777) == 0);
    snprintf(p, sizeof p, "%s/day=2021-01-0%d/part.parquet", dir, d + 1);
    CHECK(write_ids(p, (d + 1) * 1000, counts[d], 64) == 0);
  }
  feast_error err;
  feast_code rc;
  feast_batch_source *src;
  /* everything */
  CHECK_OK(feast_parquet_dataset_open(dir, NULL, &src, &err), &err);
  if (!src) return;
  CHECK_INT(feast_parquet_dataset_num_rows(src), 390);
  CHECK_INT(drain(src, &err, &rc), 390);
  src->close(src);
  /* partition pruning: only 2021-01-02 (a day in microseconds) */
  int64_t day2 = (INT64_C(18628) + 1) * 86400 * 1000000; /* 2021-01-02T00:00Z */
  feast_parquet_range r = {"day", day2, day2 + 3600 * INT64_C(1000000)};
  feast_parquet_dataset_options o;
  memset(&o, 0, sizeof o);
  o.ranges = &r;
  o.nranges = 1;
  o.date_partition_column = "day";
  CHECK_OK(feast_parquet_dataset_open(dir, &o, &src, &err), &err);
  if (!src) return;
  CHECK_INT(feast_parquet_dataset_num_rows(src), 250);
  CHECK_INT(drain(src, &err, &rc), 250);
  src->close(src);
  /* statistics pruning: ids 2010..3005 overlap all four row groups of day 2
   * and day 3's only one (3000..3039); 2070..2100 only day 2's second group
   * (2064..2127) */
  feast_parquet_range ids[1] = {{"id", 2010, 3005}};
  o.ranges = ids;
  o.date_partition_column = NULL;
  CHECK_OK(feast_parquet_dataset_open(dir, &o, &src, &err), &err);
  if (!src) return;
  CHECK_INT(feast_parquet_dataset_num_rows(src), 250 + 40);
  CHECK_INT(drain(src, &err, &rc), 250 + 40);
  src->close(src);
  ids[0].lo = 2070;
  ids[0].hi = 2100;
  CHECK_OK(feast_parquet_dataset_open(dir, &o, &src, &err), &err);
  if (!src) return;
  CHECK_INT(feast_parquet_dataset_num_rows(src), 64);
  CHECK_INT(drain(src, &err, &rc), 64);
  src->close(src);
  /* not a Parquet source */
  feast_batch_source other = {no_next, NULL};
  CHECK_INT(feast_parquet_dataset_num_rows(&other), -1);
  CHECK_INT(feast_parquet_dataset_num_rows(NULL), -1);
}

TEST_MAIN(T(read_ahead_stays_within_its_cap), T(rle_hybrid_decodes_runs), T(delta_binary_packed_decodes), T(alltypes_plain_values),
          T(memory_stream_small_batches), T(every_testing_file_reads_or_fails_cleanly),
          T(encrypted_and_nested_are_unsupported), T(corrupt_footers_fail), T(pruning_by_statistics),
          T(allocation_failures_report_nomem), T(dataset_num_rows_from_footers))
