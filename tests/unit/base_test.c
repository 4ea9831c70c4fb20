/*
 * base_test.c - errors, buffers, arenas, hashes, time parsing.
 */
#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/hash.h"
#include "feast/time.h"
#include "test.h"

static void error_prefix_and_append(void) {
  feast_error err;
  feast_error_clear(&err);
  CHECK_INT(feast_fail(&err, FEAST_E_CORRUPT, "column %s: bad page", "x"), FEAST_E_CORRUPT);
  feast_error_prefix(&err, "file %s: ", "a.parquet");
  CHECK_STR(err.message, "file a.parquet: column x: bad page");
  feast_error_append(&err, "second problem");
  CHECK_STR(err.message, "file a.parquet: column x: bad page\nsecond problem");
  CHECK_STR(feast_strerror(FEAST_E_TOO_BIG), "limit exceeded");
}

static void error_truncates(void) {
  feast_error err;
  char big[FEAST_ERROR_MAX * 2];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  feast_fail(&err, FEAST_E_INVALID, "%s", big);
  CHECK_INT(strlen(err.message), FEAST_ERROR_MAX - 1);
  CHECK(strcmp(err.message + FEAST_ERROR_MAX - 4, "...") == 0);
}

static void buf_caps_growth(void) {
  feast_buf b;
  feast_error err;
  feast_buf_init(&b, 10);
  CHECK_OK(feast_buf_append(&b, "0123456789", 10, &err), &err);
  CHECK_INT(feast_buf_append(&b, "x", 1, &err), FEAST_E_TOO_BIG);
  CHECK_INT(b.len, 10);
  feast_buf_free(&b);
  feast_buf_init(&b, FEAST_BUF_UNLIMITED);
  for (int i = 0; i < 1000; i++) CHECK_OK(feast_buf_printf(&b, &err, "%d,", i), &err);
  CHECK(strncmp(feast_buf_cstr(&b, &err), "0,1,2,", 6) == 0);
  feast_buf_free(&b);
}

static void buf_reports_oom(void) {
  feast_buf b;
  feast_error err;
  feast_buf_init(&b, FEAST_BUF_UNLIMITED);
  feast_alloc_fail_after(0);
  CHECK_INT(feast_buf_append(&b, "abc", 3, &err), FEAST_E_NOMEM);
  feast_alloc_fail_after(-1);
  CHECK_INT(b.len, 0);
  feast_buf_free(&b);
}

static void arena_allocates_and_resets(void) {
  feast_arena *a = feast_arena_new(128);
  CHECK(a != NULL);
  char *s = feast_arena_strdup(a, "hello");
  CHECK_STR(s, "hello");
  void *big = feast_arena_alloc(a, 10000); /* larger than a chunk */
  CHECK(big != NULL);
  memset(big, 1, 10000);
  for (int i = 0; i < 100; i++) CHECK(((uintptr_t)feast_arena_alloc(a, 7) & 15) == 0);
  feast_arena_reset(a);
  CHECK_INT(feast_arena_used(a), 0);
  CHECK(feast_arena_alloc(a, 64) != NULL);
  feast_arena_free(a);
}

static void murmur3_matches_feast_vectors(void) {
  /* Feast 0.9's Redis hash field for driver_trips:rating. */
  CHECK_INT(feast_murmur3_32("driver_trips:rating", 19, 0), 0x9ecb008a);
  CHECK_INT(feast_murmur3_32("", 0, 0), 0);
  CHECK_INT(feast_murmur3_32("", 0, 1), 0x514e28b7);
}

static void hash64_spreads(void) {
  CHECK(feast_hash64("a", 1, 0) != feast_hash64("b", 1, 0));
  CHECK(feast_hash64("abcdefghijklmnopq", 17, 0) != feast_hash64("abcdefghijklmnopr", 17, 0));
  CHECK(feast_hash64("abc", 3, 0) == feast_hash64("abc", 3, 0));
  CHECK_INT(feast_crc32c(0, "123456789", 9), 0xe3069283);
  /* Lengths around the 8-byte steps, and incremental use, agree. */
  char buf[64];
  for (int i = 0; i < 64; i++) buf[i] = (char)(i * 37 + 1);
  for (size_t n = 0; n < 64; n++) CHECK_INT(feast_crc32c(feast_crc32c(0, buf, n / 2), buf + n / 2, n - n / 2), feast_crc32c(0, buf, n));
  /* RFC 3720 (iSCSI) CRC-32C vectors: 32 zero bytes, 32 0xff bytes, 0x00..0x1f. */
  unsigned char v[32];
  memset(v, 0, 32);
  CHECK_INT(feast_crc32c(0, v, 32), 0x8a9136aa);
  memset(v, 0xff, 32);
  CHECK_INT(feast_crc32c(0, v, 32), 0x62a8ab43);
  for (int i = 0; i < 32; i++) v[i] = (unsigned char)i;
  CHECK_INT(feast_crc32c(0, v, 32), 0x46dd794e);
}

static void ts_parse_forms(void) {
  feast_error err;
  feast_ts ts;
  CHECK_OK(feast_ts_parse("2021-04-12T10:59:42Z", &ts, &err), &err);
  CHECK_INT(ts, INT64_C(1618225182) * 1000000);
  CHECK_OK(feast_ts_parse("2021-04-12 10:59:42.123456", &ts, &err), &err);
  CHECK_INT(ts, INT64_C(1618225182123456));
  CHECK_OK(feast_ts_parse("2021-04-12T12:59:42.5+02:00", &ts, &err), &err);
  CHECK_INT(ts, INT64_C(1618225182500000));
  CHECK_OK(feast_ts_parse("2021-04-12", &ts, &err), &err);
  CHECK_INT(ts, INT64_C(1618185600) * 1000000);
  CHECK_OK(feast_ts_parse("1600000000", &ts, &err), &err);
  CHECK_INT(ts, INT64_C(1600000000) * 1000000);
  CHECK_OK(feast_ts_parse("1969-12-31T23:59:59.999999Z", &ts, &err), &err);
  CHECK_INT(ts, -1);
  CHECK_INT(feast_ts_parse("2021-02-30", &ts, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "'2021-02-30' is not a timestamp");
  CHECK_INT(feast_ts_parse("yesterday", &ts, &err), FEAST_E_INVALID);
}

static void ts_format_round_trips(void) {
  char buf[FEAST_TS_STRLEN];
  CHECK_STR(feast_ts_format(INT64_C(1618225182123456), buf, sizeof buf), "2021-04-12T10:59:42.123456Z");
  CHECK_STR(feast_ts_format(0, buf, sizeof buf), "1970-01-01T00:00:00Z");
  CHECK_STR(feast_ts_format(-1, buf, sizeof buf), "1969-12-31T23:59:59.999999Z");
  feast_error err;
  for (int64_t t = -INT64_C(5000000000000000); t < INT64_C(5000000000000000); t += INT64_C(123456789012345)) {
    feast_ts back;
    feast_ts_format(t, buf, sizeof buf);
    CHECK_OK(feast_ts_parse(buf, &back, &err), &err);
    CHECK_INT(back, t);
  }
}

static void duration_parse_and_format(void) {
  feast_error err;
  feast_duration d;
  char buf[32];
  CHECK_OK(feast_duration_parse("3600s", &d, &err), &err);
  CHECK_INT(d, INT64_C(3600000000));
  CHECK_OK(feast_duration_parse("0.5s", &d, &err), &err);
  CHECK_INT(d, 500000);
  CHECK_OK(feast_duration_parse("1.000001s", &d, &err), &err);
  CHECK_INT(d, 1000001);
  CHECK_STR(feast_duration_format(d, buf, sizeof buf), "1.000001s");
  CHECK_OK(feast_duration_parse("1h30m", &d, &err), &err);
  CHECK_INT(d, INT64_C(5400000000));
  CHECK_STR(feast_duration_format(d, buf, sizeof buf), "5400s");
  CHECK_STR(feast_duration_format(1500000, buf, sizeof buf), "1.500s");
  CHECK_INT(feast_duration_parse("10 minutes", &d, &err), FEAST_E_INVALID);
  CHECK_INT(feast_duration_parse("", &d, &err), FEAST_E_INVALID);
}

TEST_MAIN(T(error_prefix_and_append), T(error_truncates), T(buf_caps_growth), T(buf_reports_oom),
          T(arena_allocates_and_resets), T(murmur3_matches_feast_vectors), T(hash64_spreads), T(ts_parse_forms),
          T(ts_format_round_trips), T(duration_parse_and_format))
