/*
 * parquet_write_test.c - the Parquet writer's parts against hand-computed
 * bytes (compact-protocol Thrift, the RLE/bit-packed hybrid, the
 * dictionary), and its error paths: unwritable directories, unsupported
 * types, schema mismatches, out-of-memory, never a partial file left.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "feast/parquet_writer.h"
#include "format/parquet/encode.h"
#include "format/parquet/thrift_write.h"
#include "test.h"

static int bytes_eq(const feast_buf *b, const uint8_t *want, size_t n) {
  if (b->len != n || memcmp(b->data, want, n) != 0) {
    fprintf(stderr, "  got:");
    for (size_t i = 0; i < b->len; i++) fprintf(stderr, " %02x", b->data[i]);
    fprintf(stderr, "\n");
    return 0;
  }
  return 1;
}

static void thrift_compact_encoding(void) {
  feast_error err;
  feast_buf b;
  feast_buf_init(&b, FEAST_BUF_UNLIMITED);
  tw w;
  tw_init(&w, &b, &err);
  tw_struct_begin(&w);
  tw_field_i32(&w, 1, 5);          /* 0x15, zigzag 10 */
  tw_field_string(&w, 3, "ab");    /* delta 2, binary: 0x28, len 2 */
  tw_field_i64(&w, 20, -1);        /* delta 17: long form 0x06, zigzag(20)=40, zigzag(-1)=1 */
  tw_field_bool(&w, 21, true);     /* 0x11 */
  tw_field_struct_begin(&w, 22);   /* 0x1c */
  tw_field_i32(&w, 1, -300);       /* 0x15, zigzag 599 = 0xd7 0x04 */
  tw_struct_end(&w);               /* 0x00 */
  tw_field_list_begin(&w, 23, TW_I32, 2); /* 0x19, 0x25 */
  tw_elem_i32(&w, 1);
  tw_elem_i32(&w, 2);
  tw_field_list_begin(&w, 24, TW_BINARY, 20); /* 0x19, 0xf8, 20 */
  for (int i = 0; i < 20; i++) tw_elem_string(&w, "");
  tw_struct_end(&w);
  CHECK_OK(tw_finish(&w), &err);
  uint8_t want[64] = {0x15, 0x0a, 0x28, 0x02, 'a', 'b', 0x06, 0x28, 0x01, 0x11, 0x1c, 0x15, 0xd7,
                      0x04, 0x00, 0x19, 0x25, 0x02, 0x04, 0x19, 0xf8, 0x14};
  size_t n = 22;
  for (int i = 0; i < 20; i++) want[n++] = 0;
  want[n++] = 0x00;
  CHECK(bytes_eq(&b, want, n));
  feast_buf_free(&b);
}

static void rle_hybrid_encoding(void) {
  feast_error err;
  feast_buf b;
  feast_buf_init(&b, FEAST_BUF_UNLIMITED);
  /* A run of ten 1s, bit width 1: header 10<<1, value byte. */
  uint8_t run[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  CHECK_OK(pq_rle_encode_u8(run, 10, 1, &b, &err), &err);
  CHECK(bytes_eq(&b, (const uint8_t[]){0x14, 0x01}, 2));
  /* Alternating bits: one literal group, LSB first: 0b10101010. */
  feast_buf_reset(&b);
  uint8_t alt[8] = {0, 1, 0, 1, 0, 1, 0, 1};
  CHECK_OK(pq_rle_encode_u8(alt, 8, 1, &b, &err), &err);
  CHECK(bytes_eq(&b, (const uint8_t[]){0x03, 0xaa}, 2));
  /* Three values, bit width 3: one padded literal group of 3 bytes. */
  feast_buf_reset(&b);
  uint32_t three[3] = {1, 2, 7};
  CHECK_OK(pq_rle_encode_u32(three, 3, 3, &b, &err), &err);
  /* bits: 001 010 111 -> byte0 = 0b11 010 001 = 0xd1, byte1 = 0b0000000 1 = 0x01 */
  CHECK(bytes_eq(&b, (const uint8_t[]){0x03, 0xd1, 0x01, 0x00}, 4));
  /* Literal group then a run: 8 mixed values, then twenty 5s (width 3). */
  feast_buf_reset(&b);
  uint32_t mixed[28];
  for (int i = 0; i < 8; i++) mixed[i] = (uint32_t)i;
  for (int i = 8; i < 28; i++) mixed[i] = 5;
  CHECK_OK(pq_rle_encode_u32(mixed, 28, 3, &b, &err), &err);
  /* 0..7 in 3 bits: 0x88 0xc6 0xfa; run header 40, value 5 */
  CHECK(bytes_eq(&b, (const uint8_t[]){0x03, 0x88, 0xc6, 0xfa, 0x28, 0x05}, 6));
  /* Width 16 run value takes two bytes. */
  feast_buf_reset(&b);
  uint32_t wide[9] = {300, 300, 300, 300, 300, 300, 300, 300, 300};
  CHECK_OK(pq_rle_encode_u32(wide, 9, 9, &b, &err), &err);
  CHECK(bytes_eq(&b, (const uint8_t[]){0x12, 0x2c, 0x01}, 3));
  CHECK_INT(pq_bit_width(0), 0);
  CHECK_INT(pq_bit_width(1), 1);
  CHECK_INT(pq_bit_width(3), 2);
  CHECK_INT(pq_bit_width(255), 8);
  feast_buf_free(&b);
}

static void dictionary_indexes(void) {
  feast_error err;
  pq_dict d;
  pq_dict_init(&d, 1);
  uint32_t ix;
  char key[32];
  for (int round = 0; round < 2; round++)
    for (int i = 0; i < 3000; i++) {
      int n = snprintf(key, sizeof key, "k%d", i);
      CHECK_OK(pq_dict_insert(&d, key, (size_t)n, &ix, &err), &err);
      if (ix != (uint32_t)i) {
        CHECK_INT(ix, i);
        break;
      }
    }
  CHECK_INT(d.count, 3000);
  /* plain layout: 4-byte length, bytes */
  CHECK(d.plain.len > 8 && d.plain.data[0] == 2 && d.plain.data[4] == 'k' && d.plain.data[5] == '0');
  CHECK_OK(pq_dict_insert(&d, "", 0, &ix, &err), &err);
  CHECK_INT(ix, 3000);
  pq_dict_free(&d);
}

static feast_batch *small_batch(void) {
  feast_error err;
  feast_batch *b = feast_batch_new(2);
  feast_array *a = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(FEAST_DT_NULL));
  feast_array *s = feast_array_new(feast_dtype_make(FEAST_DT_STRING), feast_dtype_make(FEAST_DT_NULL));
  for (int i = 0; i < 100; i++) {
    feast_array_append_int(a, i, &err);
    if (i % 3)
      feast_array_append_bytes(s, "abc", 3, &err);
    else
      feast_array_append_null(s, &err);
  }
  feast_batch_set_column(b, 0, "id", a, &err);
  feast_batch_set_column(b, 1, "name", s, &err);
  b->num_rows = 100;
  return b;
}

static int dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  if (d) closedir(d);
  return n;
}

static void writes_a_file_with_magic_and_footer(void) {
  feast_error err;
  char path[600], dir[520];
  snprintf(dir, sizeof dir, "%s", test_tmpdir());
  snprintf(path, sizeof path, "%s/a.parquet", dir);
  feast_batch *b = small_batch();
  feast_parquet_kv kv[] = {{"k", "v"}};
  feast_parquet_write_options o;
  feast_parquet_write_options_init(&o);
  o.metadata = kv;
  o.num_metadata = 1;
  o.codec = FEAST_PQ_ZSTD;
  CHECK_OK(feast_parquet_write_file(path, b, &o, &err), &err);
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  if (f) {
    uint8_t head[4], tail[8];
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    CHECK(fread(head, 1, 4, f) == 4 && memcmp(head, "PAR1", 4) == 0);
    fseek(f, size - 8, SEEK_SET);
    CHECK(fread(tail, 1, 8, f) == 8 && memcmp(tail + 4, "PAR1", 4) == 0);
    uint32_t flen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24;
    CHECK(flen > 20 && (long)flen < size - 12);
    fclose(f);
  }
  struct stat st;
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
  CHECK_INT(dir_entries(dir), 1); /* no temp file left beside it */
  feast_batch_free(b);
}

static void unwritable_directory(void) {
  feast_error err;
  feast_batch *b = small_batch();
  CHECK_INT(feast_parquet_write_file("/nonexistent-dir/x.parquet", b, NULL, &err), FEAST_E_IO);
  CHECK_CONTAINS(err.message, "/nonexistent-dir/x.parquet");
  char dir[600];
  snprintf(dir, sizeof dir, "%s/ro", test_tmpdir());
  mkdir(dir, 0555);
  char path[700];
  snprintf(path, sizeof path, "%s/x.parquet", dir);
  if (geteuid() != 0) { /* root ignores directory permissions */
    CHECK_INT(feast_parquet_write_file(path, b, NULL, &err), FEAST_E_IO);
    CHECK_CONTAINS(err.message, dir);
  }
  feast_batch_free(b);
}

static void rejects_bad_schemas(void) {
  feast_error err;
  char path[600], dir[520];
  snprintf(dir, sizeof dir, "%s", test_tmpdir());
  snprintf(path, sizeof path, "%s/bad.parquet", dir);
  /* a null-typed column */
  feast_batch *n = feast_batch_new(1);
  feast_batch_set_column(n, 0, "nothing", feast_array_new(feast_dtype_make(FEAST_DT_NULL), feast_dtype_make(0)), &err);
  CHECK_INT(feast_parquet_write_file(path, n, NULL, &err), FEAST_E_UNSUPPORTED);
  CHECK_CONTAINS(err.message, "'nothing'");
  feast_batch_free(n);
  /* a batch whose column type differs from the schema's */
  feast_batch *a = small_batch();
  feast_parquet_writer *w;
  CHECK_OK(feast_parquet_writer_open(path, a, NULL, &w, &err), &err);
  feast_batch *c = feast_batch_new(2);
  feast_batch_set_column(c, 0, "id", feast_array_new(feast_dtype_make(FEAST_DT_DOUBLE), feast_dtype_make(0)), &err);
  feast_batch_set_column(c, 1, "name", feast_array_new(feast_dtype_make(FEAST_DT_STRING), feast_dtype_make(0)), &err);
  CHECK_OK(feast_parquet_writer_write(w, a, &err), &err);
  CHECK_INT(feast_parquet_writer_write(w, c, &err), FEAST_E_SCHEMA);
  CHECK_CONTAINS(err.message, "column 'id' is double in the batch but int64");
  /* abandoning the writer leaves nothing behind */
  feast_parquet_writer_free(w);
  CHECK_INT(dir_entries(dir), 0);
  feast_batch_free(a);
  feast_batch_free(c);
  feast_parquet_codec c2;
  CHECK_INT(feast_parquet_codec_parse("brotlix", &c2, &err), FEAST_E_INVALID);
  CHECK_OK(feast_parquet_codec_parse("ZSTD", &c2, &err), &err);
  CHECK_INT(c2, FEAST_PQ_ZSTD);
}

static void out_of_memory_leaves_no_file(void) {
  feast_error err;
  char path[600], dir[520];
  snprintf(dir, sizeof dir, "%s", test_tmpdir());
  snprintf(path, sizeof path, "%s/oom.parquet", dir);
  feast_batch *b = small_batch();
  int ok = 0;
  for (long n = 0; n < 400 && !ok; n++) {
    feast_alloc_fail_after(n);
    feast_code rc = feast_parquet_write_file(path, b, NULL, &err);
    feast_alloc_fail_after(-1);
    if (rc == FEAST_OK) {
      ok = 1;
    } else {
      CHECK_INT(rc, FEAST_E_NOMEM);
      CHECK_INT(dir_entries(dir), 0);
    }
  }
  CHECK(ok);
  feast_batch_free(b);
}

/* 20000 rows, columns of different cost (dictionary-friendly ints,
 * distinct doubles with nulls, strings), so columns go to threads. */
static feast_batch *wide_batch(void) {
  feast_error err;
  feast_batch *b = feast_batch_new(4);
  feast_array *a = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(FEAST_DT_NULL));
  feast_array *d = feast_array_new(feast_dtype_make(FEAST_DT_DOUBLE), feast_dtype_make(FEAST_DT_NULL));
  feast_array *s = feast_array_new(feast_dtype_make(FEAST_DT_STRING), feast_dtype_make(FEAST_DT_NULL));
  feast_array *e = feast_array_new(feast_dtype_make(FEAST_DT_INT32), feast_dtype_make(FEAST_DT_NULL));
  char buf[32];
  for (int i = 0; i < 20000; i++) {
    feast_array_append_int(a, i % 97, &err);
    if (i % 11 == 0)
      feast_array_append_null(d, &err);
    else
      feast_array_append_double(d, i * 1.000123, &err);
    int n = snprintf(buf, sizeof buf, "row-%d", i * 7919 % 20000);
    feast_array_append_bytes(s, buf, (size_t)n, &err);
    feast_array_append_int(e, i, &err);
  }
  feast_batch_set_column(b, 0, "k", a, &err);
  feast_batch_set_column(b, 1, "x", d, &err);
  feast_batch_set_column(b, 2, "s", s, &err);
  feast_batch_set_column(b, 3, "i", e, &err);
  b->num_rows = 20000;
  return b;
}

static uint8_t *slurp(const char *path, long *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc((size_t)*len + 1);
  if (p && fread(p, 1, (size_t)*len, f) != (size_t)*len) {
    free(p);
    p = NULL;
  }
  fclose(f);
  return p;
}

/* Columns encoded on threads give the same bytes as one thread, and a
 * failure inside a worker thread is reported and leaves no file. */
static void threads_write_the_same_bytes(void) {
  feast_error err;
  char p1[600], pn[600];
  snprintf(p1, sizeof p1, "%s/one.parquet", test_tmpdir());
  feast_batch *b = wide_batch();
  feast_parquet_write_options o;
  feast_parquet_write_options_init(&o);
  o.codec = FEAST_PQ_ZSTD;
  o.data_page_size = 8192; /* several pages per column, compressed inside the threads */
  o.threads = 1;
  CHECK_OK(feast_parquet_write_file(p1, b, &o, &err), &err);
  long n1 = 0, nn = 0;
  uint8_t *one = slurp(p1, &n1);
  CHECK(one != NULL);
  for (int t = 2; t <= 5; t++) {
    snprintf(pn, sizeof pn, "%s/t%d.parquet", test_tmpdir(), t);
    o.threads = t;
    CHECK_OK(feast_parquet_write_file(pn, b, &o, &err), &err);
    uint8_t *many = slurp(pn, &nn);
    CHECK(many != NULL && nn == n1 && memcmp(one, many, (size_t)n1) == 0);
    free(many);
    remove(pn);
  }
  free(one);
  remove(p1);
  snprintf(pn, sizeof pn, "%s/oom.parquet", test_tmpdir());
  o.threads = 2;
  for (long n = 0; n < 60; n += 3) {
    feast_alloc_fail_after(n);
    feast_code rc = feast_parquet_write_file(pn, b, &o, &err);
    feast_alloc_fail_after(-1);
    CHECK(rc == FEAST_OK || rc == FEAST_E_NOMEM);
    if (rc) CHECK_INT(dir_entries(test_tmpdir()), 0);
    remove(pn);
  }
  feast_batch_free(b);
}

TEST_MAIN(T(thrift_compact_encoding), T(threads_write_the_same_bytes), T(rle_hybrid_encoding), T(dictionary_indexes),
          T(writes_a_file_with_magic_and_footer), T(unwritable_directory), T(rejects_bad_schemas),
          T(out_of_memory_leaves_no_file))
