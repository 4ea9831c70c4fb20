/*
 * array_test.c - building, reading, gathering columns, and the Arrow C Data
 * Interface round trip (export moves buffers, import copies them back).
 */
#include "base/alloc.h"
#include "feast/arrow.h"
#include "test.h"

static feast_dtype dt(feast_dtype_id id) { return feast_dtype_make(id); }

static feast_batch *sample_batch(void) {
  feast_error err;
  feast_array *ids = feast_array_new(dt(FEAST_DT_INT64), dt(FEAST_DT_NULL));
  feast_array *names = feast_array_new(dt(FEAST_DT_STRING), dt(FEAST_DT_NULL));
  feast_array *ts = feast_array_new(feast_dtype_timestamp(FEAST_UNIT_NS, true), dt(FEAST_DT_NULL));
  feast_array *lists = feast_array_new(dt(FEAST_DT_LIST), dt(FEAST_DT_DOUBLE));
  feast_array *flags = feast_array_new(dt(FEAST_DT_BOOL), dt(FEAST_DT_NULL));
  for (int i = 0; i < 100; i++) {
    CHECK_OK(i % 7 == 3 ? feast_array_append_null(ids, &err) : feast_array_append_int(ids, i * 1000, &err), &err);
    char s[16];
    snprintf(s, sizeof s, "n%d", i);
    CHECK_OK(i % 5 == 0 ? feast_array_append_null(names, &err) : feast_array_append_bytes(names, s, strlen(s), &err),
             &err);
    CHECK_OK(feast_array_append_int(ts, (int64_t)i * 1000000123, &err), &err);
    if (i % 4 == 1) {
      CHECK_OK(feast_array_append_null(lists, &err), &err);
    } else {
      for (int k = 0; k < i % 3; k++) CHECK_OK(feast_array_append_double(lists->child, i + k / 10.0, &err), &err);
      CHECK_OK(feast_array_append_list_end(lists, &err), &err);
    }
    CHECK_OK(feast_array_append_bool(flags, i % 2 == 0, &err), &err);
  }
  feast_batch *b = feast_batch_new(5);
  b->num_rows = 100;
  CHECK_OK(feast_batch_set_column(b, 0, "id", ids, &err), &err);
  CHECK_OK(feast_batch_set_column(b, 1, "name", names, &err), &err);
  CHECK_OK(feast_batch_set_column(b, 2, "ts", ts, &err), &err);
  CHECK_OK(feast_batch_set_column(b, 3, "vals", lists, &err), &err);
  CHECK_OK(feast_batch_set_column(b, 4, "flag", flags, &err), &err);
  return b;
}

static void check_sample(const feast_batch *b) {
  CHECK_INT(b->num_rows, 100);
  CHECK_INT(b->num_columns, 5);
  CHECK_STR(b->names[3], "vals");
  const feast_array *ids = b->columns[0], *names = b->columns[1], *ts = b->columns[2], *lists = b->columns[3];
  CHECK_INT(ids->null_count, 14);
  CHECK_INT(names->null_count, 20);
  CHECK_INT(lists->null_count, 25);
  for (int i = 0; i < 100; i++) {
    CHECK(feast_array_is_valid(ids, i) == (i % 7 != 3));
    if (i % 7 != 3) CHECK_INT(feast_array_get_int(ids, i), i * 1000);
    if (i % 5) {
      size_t len;
      const uint8_t *p = feast_array_get_bytes(names, i, &len);
      char s[16];
      snprintf(s, sizeof s, "n%d", i);
      CHECK(len == strlen(s) && memcmp(p, s, len) == 0);
    }
    CHECK_INT(feast_array_get_ts_us(ts, i), (int64_t)i * 1000000123 / 1000);
    if (i % 4 != 1) {
      CHECK_INT(lists->offsets[i + 1] - lists->offsets[i], i % 3);
      for (int k = 0; k < i % 3; k++)
        CHECK(feast_array_get_double(lists->child, lists->offsets[i] + k) == i + k / 10.0);
    }
    CHECK_INT(feast_array_get_int(b->columns[4], i), i % 2 == 0);
  }
}

static void build_and_read(void) {
  feast_batch *b = sample_batch();
  check_sample(b);
  CHECK_INT(feast_batch_find(b, "ts"), 2);
  CHECK_INT(feast_batch_find(b, "nope"), -1);
  feast_batch_free(b);
}

static void take_gathers_and_nulls(void) {
  feast_batch *b = sample_batch();
  feast_error err;
  int64_t idx[] = {99, -1, 0, 3, 3};
  feast_array *names, *lists;
  CHECK_OK(feast_array_take(b->columns[1], idx, 5, &names, &err), &err);
  CHECK_OK(feast_array_take(b->columns[3], idx, 5, &lists, &err), &err);
  size_t len;
  const uint8_t *p = feast_array_get_bytes(names, 0, &len);
  CHECK(len == 3 && memcmp(p, "n99", 3) == 0);
  CHECK(!feast_array_is_valid(names, 1));
  CHECK(!feast_array_is_valid(names, 2)); /* row 0 was null */
  CHECK(feast_array_is_valid(names, 3));
  CHECK_INT(lists->offsets[1] - lists->offsets[0], 0); /* 99 % 3 == 0 */
  CHECK_INT(lists->offsets[4] - lists->offsets[3], 0);
  CHECK_INT(names->null_count, 2);
  /* fixed width: ids (int64, row 3 null), ts (timestamp), flags (bool, bit-packed) */
  int64_t fidx[] = {11, 3, -1, 99, 12, 0};
  feast_array *ids, *ts, *flags;
  CHECK_OK(feast_array_take(b->columns[0], fidx, 6, &ids, &err), &err);
  CHECK_OK(feast_array_take(b->columns[2], fidx, 6, &ts, &err), &err);
  CHECK_OK(feast_array_take(b->columns[4], fidx, 6, &flags, &err), &err);
  CHECK_INT(ids->length, 6);
  CHECK_INT(ids->null_count, 2);
  CHECK_INT(feast_array_get_int(ids, 0), 11000);
  CHECK(!feast_array_is_valid(ids, 1) && !feast_array_is_valid(ids, 2));
  CHECK(feast_array_is_valid(ids, 0) && feast_array_is_valid(ids, 3) && feast_array_is_valid(ids, 5));
  CHECK_INT(feast_array_get_int(ids, 3), 99000);
  CHECK_INT(feast_array_get_int(ids, 4), 12000);
  CHECK_INT(feast_array_get_int(ids, 5), 0);
  CHECK_INT(ts->null_count, 1);
  CHECK_INT(feast_array_get_ts_us(ts, 3), (int64_t)99 * 1000000123 / 1000);
  CHECK(feast_array_is_valid(ts, 1) && !feast_array_is_valid(ts, 2));
  CHECK_INT(feast_array_get_int(flags, 0), 0);
  CHECK_INT(feast_array_get_int(flags, 1), 0);
  CHECK(!feast_array_is_valid(flags, 2));
  CHECK_INT(feast_array_get_int(flags, 3), 0);
  CHECK_INT(feast_array_get_int(flags, 4), 1);
  CHECK_INT(feast_array_get_int(flags, 5), 1);
  feast_array_free(ids);
  feast_array_free(ts);
  feast_array_free(flags);
  feast_array_free(names);
  feast_array_free(lists);
  feast_batch_free(b);
}

static void arrow_round_trip(void) {
  feast_batch *b = sample_batch();
  feast_error err;
  struct ArrowSchema schema;
  struct ArrowArray array;
  CHECK_OK(feast_batch_export(b, &schema, &array, &err), &err);
  CHECK_STR(schema.format, "+s");
  CHECK_STR(schema.children[2]->format, "tsn:UTC");
  CHECK_STR(schema.children[3]->format, "+l");
  CHECK_STR(schema.children[3]->children[0]->format, "g");
  CHECK_INT(array.length, 100);
  CHECK_INT(array.children[1]->null_count, 20);
  feast_batch *back;
  CHECK_OK(feast_batch_import(&schema, &array, &back, &err), &err);
  check_sample(back);
  feast_batch_free(back);
  /* A slice of the struct array imports only its rows. */
  array.offset = 15;
  array.length = 5;
  CHECK_OK(feast_batch_import(&schema, &array, &back, &err), &err);
  CHECK_INT(back->num_rows, 5);
  CHECK_INT(feast_array_get_int(back->columns[0], 0), 15000);
  CHECK(!feast_array_is_valid(back->columns[1], 0)); /* row 15 */
  feast_batch_free(back);
  array.release(&array);
  schema.release(&schema);
  CHECK(array.release == NULL && schema.release == NULL);
}

static void append_reports_oom(void) {
  feast_error err;
  feast_array *a = feast_array_new(dt(FEAST_DT_STRING), dt(FEAST_DT_NULL));
  feast_alloc_fail_after(0);
  CHECK_INT(feast_array_append_bytes(a, "abc", 3, &err), FEAST_E_NOMEM);
  feast_alloc_fail_after(-1);
  CHECK_INT(a->length, 0);
  CHECK_OK(feast_array_append_bytes(a, "abc", 3, &err), &err);
  CHECK_INT(a->length, 1);
  feast_array_free(a);
}

static void export_survives_every_allocation_failure(void) {
  for (long n = 0; n < 40; n++) {
    feast_batch *b = sample_batch();
    feast_error err;
    struct ArrowSchema schema;
    struct ArrowArray array;
    feast_alloc_fail_after(n);
    feast_code rc = feast_batch_export(b, &schema, &array, &err);
    feast_alloc_fail_after(-1);
    if (rc == FEAST_OK) {
      array.release(&array);
      schema.release(&schema);
    } else {
      CHECK_INT(rc, FEAST_E_NOMEM);
      check_sample(b); /* the batch is untouched and still ours */
      feast_batch_free(b);
    }
  }
}

TEST_MAIN(T(build_and_read), T(take_gathers_and_nulls), T(arrow_round_trip), T(append_reports_oom),
          T(export_survives_every_allocation_failure))
