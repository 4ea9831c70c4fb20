/*
 * csv_test.c - the CSV reader: RFC 4180 quoting, line endings, type
 * inference and overrides, nulls, batching, and errors that name the line
 * and the column.
 */
#include "base/alloc.h"
#include "base/buf.h"
#include "feast/csv.h"
#include "test.h"

static feast_batch *read_mem(const char *text, const feast_csv_options *o, feast_error *err, feast_code *rcp) {
  feast_batch_source *src;
  feast_code rc = feast_csv_open_memory(text, strlen(text), "mem.csv", o, &src, err);
  feast_batch *all = NULL;
  if (!rc) {
    feast_batch *b;
    while (!(rc = src->next(src, &b, err)) && b) {
      if (!all) {
        all = b;
      } else {
        for (int c = 0; c < b->num_columns; c++)
          feast_array_append_range(all->columns[c], b->columns[c], 0, b->num_rows, err);
        all->num_rows += b->num_rows;
        feast_batch_free(b);
      }
    }
    src->close(src);
  }
  if (rcp) *rcp = rc;
  if (rc) {
    feast_batch_free(all);
    return NULL;
  }
  return all;
}

static void infers_types_and_nulls(void) {
  feast_error err;
  const char *csv = "id,score,ok,ts,name,empty\n"
                    "1,1.5,true,2021-04-12T10:59:42Z,alice,\n"
                    "2,,FALSE,2021-04-12 10:59:42.123456,,\n"
                    ",3,true,2021-04-12,\"bob\",\n";
  feast_batch *b = read_mem(csv, NULL, &err, NULL);
  CHECK(b != NULL);
  if (!b) return;
  CHECK_INT(b->num_rows, 3);
  CHECK_INT(b->columns[0]->type.id, FEAST_DT_INT64);
  CHECK_INT(b->columns[1]->type.id, FEAST_DT_DOUBLE);
  CHECK_INT(b->columns[2]->type.id, FEAST_DT_BOOL);
  CHECK_INT(b->columns[3]->type.id, FEAST_DT_TIMESTAMP);
  CHECK_INT(b->columns[3]->type.unit, FEAST_UNIT_US);
  CHECK_INT(b->columns[3]->type.utc, 1);
  CHECK_INT(b->columns[4]->type.id, FEAST_DT_STRING);
  CHECK_INT(b->columns[5]->type.id, FEAST_DT_STRING);
  CHECK_INT(feast_array_get_int(b->columns[0], 1), 2);
  CHECK(!feast_array_is_valid(b->columns[0], 2));
  CHECK(!feast_array_is_valid(b->columns[1], 1));
  CHECK(feast_array_get_double(b->columns[1], 2) == 3.0);
  CHECK_INT(feast_array_get_int(b->columns[2], 1), 0);
  CHECK_INT(feast_array_get_ts_us(b->columns[3], 0), INT64_C(1618225182000000));
  CHECK_INT(feast_array_get_ts_us(b->columns[3], 1), INT64_C(1618225182123456));
  CHECK_INT(feast_array_get_ts_us(b->columns[3], 2), INT64_C(1618185600000000));
  size_t n;
  const uint8_t *p = feast_array_get_bytes(b->columns[4], 2, &n);
  CHECK(n == 3 && memcmp(p, "bob", 3) == 0);
  CHECK(!feast_array_is_valid(b->columns[4], 1));
  CHECK_INT(b->columns[5]->null_count, 3);
  feast_batch_free(b);
}

static void quoting_and_line_endings(void) {
  feast_error err;
  const char *csv = "\xEF\xBB\xBF"
                    "a,\"b,c\"\r\n"
                    "\"x, y\",\"line1\nline2\"\r\n"
                    "\"say \"\"hi\"\"\",\"\"\r\n"
                    "\n"
                    "plain,last";
  feast_batch *b = read_mem(csv, NULL, &err, NULL);
  CHECK(b != NULL);
  if (!b) return;
  CHECK_STR(b->names[0], "a");
  CHECK_STR(b->names[1], "b,c");
  CHECK_INT(b->num_rows, 3);
  size_t n;
  const uint8_t *p = feast_array_get_bytes(b->columns[0], 0, &n);
  CHECK(n == 4 && memcmp(p, "x, y", 4) == 0);
  p = feast_array_get_bytes(b->columns[1], 0, &n);
  CHECK(n == 11 && memcmp(p, "line1\nline2", 11) == 0);
  p = feast_array_get_bytes(b->columns[0], 1, &n);
  CHECK(n == 8 && memcmp(p, "say \"hi\"", 8) == 0);
  /* a quoted empty field is an empty string, not a null */
  CHECK(feast_array_is_valid(b->columns[1], 1));
  feast_array_get_bytes(b->columns[1], 1, &n);
  CHECK_INT(n, 0);
  p = feast_array_get_bytes(b->columns[1], 2, &n);
  CHECK(n == 4 && memcmp(p, "last", 4) == 0);
  feast_batch_free(b);
}

static void type_overrides(void) {
  feast_error err;
  feast_csv_column_type types[] = {{"driver_id", feast_dtype_make(FEAST_DT_INT32)},
                                   {"code", feast_dtype_make(FEAST_DT_STRING)},
                                   {"day", feast_dtype_make(FEAST_DT_DATE32)},
                                   {"ts", feast_dtype_timestamp(FEAST_UNIT_NS, true)}};
  feast_csv_options o;
  feast_csv_options_init(&o);
  o.types = types;
  o.num_types = 4;
  feast_batch *b = read_mem("driver_id,code,day,ts\n1001,007,1970-01-02,1970-01-01T00:00:01.5Z\n", &o, &err, NULL);
  CHECK(b != NULL);
  if (!b) return;
  CHECK_INT(b->columns[0]->type.id, FEAST_DT_INT32);
  CHECK_INT(feast_array_get_int(b->columns[0], 0), 1001);
  size_t n;
  const uint8_t *p = feast_array_get_bytes(b->columns[1], 0, &n);
  CHECK(n == 3 && memcmp(p, "007", 3) == 0);
  CHECK_INT(feast_array_get_int(b->columns[2], 0), 1);
  CHECK_INT(feast_array_get_int(b->columns[3], 0), INT64_C(1500000000));
  feast_batch_free(b);

  /* A value that does not fit the given type names line and column. */
  feast_code rc;
  CHECK(read_mem("driver_id,code,day,ts\n1,a,1970-01-01,1970-01-01\n99999999999,b,1970-01-01,1970-01-01\n", &o, &err,
                 &rc) == NULL);
  CHECK_INT(rc, FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "mem.csv: line 3, column 'driver_id'");
  /* An override for a column the file lacks. */
  CHECK(read_mem("a\n1\n", &o, &err, &rc) == NULL);
  CHECK_INT(rc, FEAST_E_SCHEMA);
  CHECK_CONTAINS(err.message, "driver_id");
}

static void batches_are_bounded(void) {
  feast_error err;
  feast_buf text;
  feast_buf_init(&text, FEAST_BUF_UNLIMITED);
  feast_buf_append_str(&text, "k,v\n", &err);
  for (int i = 0; i < 2500; i++) feast_buf_printf(&text, &err, "%d,\"v%d\"\n", i, i);
  feast_csv_options o;
  feast_csv_options_init(&o);
  o.batch_rows = 1000;
  o.sample_rows = 10;
  feast_batch_source *src;
  CHECK_OK(feast_csv_open_memory(text.data, text.len, "big.csv", &o, &src, &err), &err);
  int64_t total = 0, batches = 0, sum = 0;
  feast_batch *b;
  while (!src->next(src, &b, &err) && b) {
    CHECK(b->num_rows <= 1000);
    for (int64_t i = 0; i < b->num_rows; i++) sum += feast_array_get_int(b->columns[0], i);
    total += b->num_rows;
    batches++;
    feast_batch_free(b);
  }
  src->close(src);
  CHECK_INT(total, 2500);
  CHECK_INT(batches, 3);
  CHECK_INT(sum, 2500 * 2499 / 2);
  feast_buf_free(&text);
}

static void errors_name_the_line(void) {
  feast_error err;
  feast_code rc;
  CHECK(read_mem("a,b\n1,2\n3\n", NULL, &err, &rc) == NULL);
  CHECK_INT(rc, FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "mem.csv: line 3: 1 fields, the header has 2");
  CHECK(read_mem("a,b\n1,\"open\n\n", NULL, &err, &rc) == NULL);
  CHECK_INT(rc, FEAST_E_CORRUPT);
  CHECK_CONTAINS(err.message, "line 2");
  CHECK(read_mem("", NULL, &err, &rc) == NULL);
  CHECK_INT(rc, FEAST_E_INVALID);
  CHECK(read_mem("a,a\n1,2\n", NULL, &err, &rc) == NULL);
  CHECK_CONTAINS(err.message, "'a' appears twice");
  CHECK(read_mem("a,b\n\"x\"y,2\n", NULL, &err, &rc) == NULL);
  CHECK_INT(rc, FEAST_E_CORRUPT);
  /* A later row that does not fit the inferred type. */
  feast_csv_options o;
  feast_csv_options_init(&o);
  o.sample_rows = 2;
  CHECK(read_mem("n\n1\n2\nthree\n", &o, &err, &rc) == NULL);
  CHECK_CONTAINS(err.message, "line 4, column 'n': 'three' is not a valid int64");
  o.max_record_bytes = 8;
  CHECK(read_mem("n\n123456789012\n", &o, &err, &rc) == NULL);
  CHECK_INT(rc, FEAST_E_TOO_BIG);
  feast_batch_source *src;
  CHECK_INT(feast_csv_open("/nonexistent/x.csv", NULL, &src, &err), FEAST_E_NOT_FOUND);
  CHECK_CONTAINS(err.message, "/nonexistent/x.csv");
}

static void reads_files(void) {
  feast_error err;
  char path[512];
  snprintf(path, sizeof path, "%s/e.csv", test_tmpdir());
  FILE *f = fopen(path, "w");
  fputs("driver_id,event_timestamp\n1001,2021-04-12T10:59:42Z\n1002,2021-04-12T11:00:00Z\n", f);
  fclose(f);
  feast_batch *b;
  CHECK_OK(feast_csv_read_all(path, NULL, &b, &err), &err);
  CHECK_INT(b->num_rows, 2);
  CHECK_INT(feast_array_get_int(b->columns[0], 1), 1002);
  feast_batch_free(b);
}

/* Issue 15 #5: "1<NUL>9" once read as 1; a NUL in a text field cut it short. */
static void nul_bytes_are_refused(void) {
  static const char num[] = "a,b\n1\0009,x\n";
  static const char txt[] = "a,b\n1,he\0llo\n";
  struct {
    const char *text;
    size_t len;
    const char *msg;
  } cases[] = {{num, sizeof num - 1, "line 2, column 'a': a NUL byte at byte 2"},
               {txt, sizeof txt - 1, "line 2, column 'b': a NUL byte at byte 3"}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    feast_error err;
    feast_batch_source *src;
    CHECK_OK(feast_csv_open_memory(cases[i].text, cases[i].len, "mem.csv", NULL, &src, &err), &err);
    feast_batch *b = NULL;
    CHECK_INT(src->next(src, &b, &err), FEAST_E_INVALID);
    CHECK(b == NULL);
    CHECK_CONTAINS(err.message, cases[i].msg);
    src->close(src);
  }
}

static void out_of_memory_is_reported(void) {
  feast_error err;
  const char *csv = "a,b,c\n1,x,2021-01-01\n2,\"y\",2021-01-02\n";
  int ok = 0;
  for (long n = 0; n < 200 && !ok; n++) {
    feast_alloc_fail_after(n);
    feast_code rc;
    feast_batch *b = read_mem(csv, NULL, &err, &rc);
    feast_alloc_fail_after(-1);
    if (b) {
      ok = 1;
      CHECK_INT(b->num_rows, 2);
      feast_batch_free(b);
    } else {
      CHECK_INT(rc, FEAST_E_NOMEM);
    }
  }
  CHECK(ok);
}

TEST_MAIN(T(infers_types_and_nulls), T(quoting_and_line_endings), T(type_overrides), T(batches_are_bounded),
          T(errors_name_the_line), T(reads_files), T(nul_bytes_are_refused),
          T(out_of_memory_is_reported))
