/*
 * value_array_test.c - feast.types.Value bytes into arrays: every type round
 * trips through the encoder the online path writes with
 * (feast_pb_value_from_array); unpacked lists read like packed ones; the
 * wrong type, truncated lists and garbage are refused leaving no half row.
 */
#include "test.h"

#include "base/buf.h"
#include "format/proto/feastproto.h"
#include "format/proto/value_array.h"

/* Encode row `row` of src as vt, decode it into dst. */
static void round_trip(const feast_array *src, int64_t row, feast_value_type vt, feast_array *dst) {
  feast_error err;
  feast_buf b;
  feast_buf_init(&b, 1 << 20);
  CHECK_OK(feast_pb_value_from_array(src, row, vt, &b, &err), &err);
  CHECK_OK(feast_pb_value_append(b.data, b.len, vt, dst, &err), &err);
  feast_buf_free(&b);
}

static void test_scalars_round_trip(void) {
  feast_error err;
  feast_array *i64 = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(FEAST_DT_INT64));
  const int64_t vals[] = {0, -1, 1001, INT64_MIN, INT64_MAX};
  for (int i = 0; i < 5; i++) CHECK_OK(feast_array_append_int(i64, vals[i], &err), &err);
  CHECK_OK(feast_array_append_null(i64, &err), &err);
  feast_array *out = feast_pb_value_array_new(FEAST_VT_INT64);
  for (int i = 0; i < 6; i++) round_trip(i64, i, FEAST_VT_INT64, out);
  CHECK_INT(out->length, 6);
  for (int i = 0; i < 5; i++) CHECK_INT(feast_array_get_int(out, i), vals[i]);
  CHECK(!feast_array_is_valid(out, 5));

  feast_array *f = feast_array_new(feast_dtype_make(FEAST_DT_FLOAT), feast_dtype_make(FEAST_DT_FLOAT));
  CHECK_OK(feast_array_append_double(f, 4.5, &err), &err);
  CHECK_OK(feast_array_append_double(f, -0.25, &err), &err);
  feast_array *fo = feast_pb_value_array_new(FEAST_VT_FLOAT);
  round_trip(f, 0, FEAST_VT_FLOAT, fo);
  round_trip(f, 1, FEAST_VT_FLOAT, fo);
  CHECK(feast_array_get_double(fo, 0) == 4.5 && feast_array_get_double(fo, 1) == -0.25);

  feast_array *s = feast_array_new(feast_dtype_make(FEAST_DT_STRING), feast_dtype_make(FEAST_DT_STRING));
  CHECK_OK(feast_array_append_bytes(s, "h\xc3\xa9llo", 6, &err), &err);
  CHECK_OK(feast_array_append_bytes(s, "", 0, &err), &err);
  feast_array *so = feast_pb_value_array_new(FEAST_VT_STRING);
  round_trip(s, 0, FEAST_VT_STRING, so);
  round_trip(s, 1, FEAST_VT_STRING, so);
  size_t len;
  const uint8_t *p = feast_array_get_bytes(so, 0, &len);
  CHECK(len == 6 && memcmp(p, "h\xc3\xa9llo", 6) == 0);
  feast_array_get_bytes(so, 1, &len);
  CHECK_INT(len, 0);
  CHECK(feast_array_is_valid(so, 1)); /* an empty string is a value, not a null */

  /* a bool and a double, by hand: bool_val = true (field 7), double_val 1.5 (field 5) */
  feast_array *bo = feast_pb_value_array_new(FEAST_VT_BOOL);
  CHECK_OK(feast_pb_value_append((const uint8_t *)"\x38\x01", 2, FEAST_VT_BOOL, bo, &err), &err);
  CHECK_OK(feast_pb_value_append((const uint8_t *)"\x38\x00", 2, FEAST_VT_BOOL, bo, &err), &err);
  CHECK(feast_bit_get(bo->values, 0) && !feast_bit_get(bo->values, 1) && feast_array_is_valid(bo, 1));
  feast_array *d = feast_pb_value_array_new(FEAST_VT_DOUBLE);
  CHECK_OK(feast_pb_value_append((const uint8_t *)"\x29\x00\x00\x00\x00\x00\x00\xf8\x3f", 9, FEAST_VT_DOUBLE, d, &err),
           &err);
  CHECK(feast_array_get_double(d, 0) == 1.5);
  feast_array *arrays[] = {i64, out, f, fo, s, so, bo, d};
  for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++) feast_array_free(arrays[i]);
}

static void test_lists_packed_and_not(void) {
  feast_error err;
  feast_array *out = feast_pb_value_array_new(FEAST_VT_INT64_LIST);
  /* packed [1, 2], unpacked [3, 4], empty list message, null */
  CHECK_OK(feast_pb_value_append((const uint8_t *)"\x72\x04\x0a\x02\x01\x02", 6, FEAST_VT_INT64_LIST, out, &err), &err);
  CHECK_OK(feast_pb_value_append((const uint8_t *)"\x72\x04\x08\x03\x08\x04", 6, FEAST_VT_INT64_LIST, out, &err), &err);
  CHECK_OK(feast_pb_value_append((const uint8_t *)"\x72\x00", 2, FEAST_VT_INT64_LIST, out, &err), &err);
  CHECK_OK(feast_pb_value_append(NULL, 0, FEAST_VT_INT64_LIST, out, &err), &err);
  CHECK_INT(out->length, 4);
  CHECK_INT(out->child->length, 4);
  CHECK_INT(out->offsets[1], 2);
  CHECK_INT(out->offsets[2], 4);
  CHECK_INT(out->offsets[3], 4);
  CHECK(feast_array_is_valid(out, 2) && !feast_array_is_valid(out, 3));
  for (int i = 0; i < 4; i++) CHECK_INT(feast_array_get_int(out->child, i), i + 1);
  /* strings: repeated field 1 */
  feast_array *s = feast_pb_value_array_new(FEAST_VT_STRING_LIST);
  CHECK_OK(feast_pb_value_append((const uint8_t *)"\x62\x06\x0a\x01\x61\x0a\x01\x62", 8, FEAST_VT_STRING_LIST, s, &err),
           &err);
  CHECK_INT(s->child->length, 2);
  feast_array_free(out);
  feast_array_free(s);
}

static void test_bad_values_leave_nothing(void) {
  feast_error err;
  feast_array *a = feast_pb_value_array_new(FEAST_VT_INT64_LIST);
  struct {
    const char *bytes;
    size_t len;
    const char *why;
  } bad[] = {
      {"\x20\x05", 2, "holds type 4"},                       /* an int64_val for an INT64_LIST column */
      {"\x72\x09\x0a\x02\x01", 5, "Value: "},                /* a list message longer than the input */
      {"\x72\x03\x0a\x05\x01", 5, "Value list: "},           /* a packed run longer than its message */
      {"\x72\x05\x0d\x01\x00\x00\x00", 7, "wire type 5"},   /* a fixed32 element in an int64 list */
      {"\x72\x03\x0a\x01\x80", 5, "packed elements"},        /* a varint cut short in a packed run */
      {"\x72\x04\x0a\x02\x01\x02\x20", 7, "Value: "},       /* bytes after the list that are no field */
      {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11, "Value: "},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    feast_code rc = feast_pb_value_append((const uint8_t *)bad[i].bytes, bad[i].len, FEAST_VT_INT64_LIST, a, &err);
    CHECK_INT(rc, FEAST_E_CORRUPT);
    CHECK_CONTAINS(err.message, bad[i].why);
    CHECK_INT(a->length, 0);
    CHECK_INT(a->child->length, 0);
  }
  feast_array *f = feast_pb_value_array_new(FEAST_VT_FLOAT);
  CHECK_INT(feast_pb_value_append((const uint8_t *)"\x30\x01", 2, FEAST_VT_FLOAT, f, &err), FEAST_E_CORRUPT);
  CHECK_INT(f->length, 0);
  feast_array_free(a);
  feast_array_free(f);
}

TEST_MAIN(T(test_scalars_round_trip), T(test_lists_packed_and_not), T(test_bad_values_leave_nothing))
