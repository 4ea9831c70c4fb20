/*
 * online_test.c - the protobuf codec against Feast's test vectors, the LMDB
 * store (basic scenario, schema errors, rejects, window, property test, a
 * kill -9 crash test) and the online read's mixed-entity requests.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/hash.h"
#include "format/proto/feastproto.h"
#include "online/lmdb.h"
#include "online_support.h"
#include "test.h"

#define SEC INT64_C(1000000)
#define T0 (INT64_C(1600000000) * SEC)

static char *hex(const feast_buf *b) {
  static char out[1024];
  out[0] = 0;
  for (size_t i = 0; i < b->len && i < 300; i++) snprintf(out + strlen(out), 4, i ? " %02x" : "%02x", b->data[i]);
  return out;
}

static void vectors_match_feast(void) {
  feast_error err;
  CHECK_INT(feast_murmur3_32("driver_trips:rating", 19, 0), 0x9ecb008a);
  feast_buf v, k, ts;
  feast_buf_init(&v, 1 << 20);
  feast_buf_init(&k, 1 << 20);
  feast_buf_init(&ts, 1 << 20);
  CHECK_OK(feast_pb_value_from_text("1001", 4, FEAST_VT_INT64, &v, &err), &err);
  const char *names[] = {"driver_id"};
  const uint8_t *vals[] = {v.data};
  size_t lens[] = {v.len};
  CHECK_OK(feast_pb_redis_key("default", 1, names, vals, lens, &k, &err), &err);
  CHECK_STR(hex(&k), "0a 07 64 65 66 61 75 6c 74 12 09 64 72 69 76 65 72 5f 69 64 1a 03 20 e9 07");
  CHECK_OK(feast_pb_timestamp(INT64_C(1600000000) * SEC, &ts, &err), &err);
  CHECK_STR(hex(&ts), "08 80 a0 f8 fa 05");
  feast_ts back;
  CHECK_OK(feast_pb_timestamp_parse(ts.data, ts.len, &back, &err), &err);
  CHECK_INT(back, INT64_C(1600000000) * SEC);
  feast_buf_reset(&ts);
  CHECK_OK(feast_pb_timestamp(INT64_C(1600000000) * SEC + 123456, &ts, &err), &err);
  CHECK_OK(feast_pb_timestamp_parse(ts.data, ts.len, &back, &err), &err);
  CHECK_INT(back, INT64_C(1600000000) * SEC + 123456);
  feast_buf_free(&v);
  feast_buf_free(&k);
  feast_buf_free(&ts);
}

/* Each Value type encodes as protoc would (bytes worked out by hand from the
 * protobuf encoding rules) and prints back as JSON. */
static void value_encodings(void) {
  feast_error err;
  feast_buf b, j;
  feast_buf_init(&b, 1 << 20);
  feast_buf_init(&j, 1 << 20);
  struct {
    const char *text;
    feast_value_type vt;
    const char *hex, *json;
  } cases[] = {
      {"-1", FEAST_VT_INT32, "18 ff ff ff ff ff ff ff ff ff 01", "-1"},
      {"0", FEAST_VT_INT64, "20 00", "0"},
      {"1.5", FEAST_VT_DOUBLE, "29 00 00 00 00 00 00 f8 3f", "1.5"},
      {"0.1", FEAST_VT_FLOAT, "35 cd cc cc 3d", "0.1"},
      {"true", FEAST_VT_BOOL, "38 01", "true"},
      {"ab\"", FEAST_VT_STRING, "12 03 61 62 22", "\"ab\\\"\""},
      {"abc", FEAST_VT_BYTES, "0a 03 61 62 63", "\"YWJj\""},
      {"1600000000", FEAST_VT_UNIX_TIMESTAMP, "40 80 a0 f8 fa 05", "1600000000"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    feast_buf_reset(&b);
    feast_buf_reset(&j);
    CHECK_OK(feast_pb_value_from_text(cases[i].text, strlen(cases[i].text), cases[i].vt, &b, &err), &err);
    CHECK_STR(hex(&b), cases[i].hex);
    CHECK_OK(feast_pb_value_to_json(b.data, b.len, &j, &err), &err);
    CHECK_STR(feast_buf_cstr(&j, &err), cases[i].json);
  }
  CHECK_INT(feast_pb_value_from_text("12x", 3, FEAST_VT_INT64, &b, &err), FEAST_E_INVALID);
  CHECK_INT(feast_pb_value_from_text("3000000000", 10, FEAST_VT_INT32, &b, &err), FEAST_E_INVALID);
  /* lists: packed int64, repeated strings, packed floats, empty */
  feast_array *l = feast_array_new(feast_dtype_make(FEAST_DT_LIST), feast_dtype_make(FEAST_DT_INT64));
  feast_array_append_int(l->child, 1, &err);
  feast_array_append_int(l->child, 300, &err);
  feast_array_append_list_end(l, &err);
  feast_array_append_list_end(l, &err);
  feast_buf_reset(&b);
  CHECK_OK(feast_pb_value_from_array(l, 0, FEAST_VT_INT64_LIST, &b, &err), &err);
  CHECK_STR(hex(&b), "72 05 0a 03 01 ac 02");
  feast_buf_reset(&j);
  CHECK_OK(feast_pb_value_to_json(b.data, b.len, &j, &err), &err);
  CHECK_STR(feast_buf_cstr(&j, &err), "[1,300]");
  feast_buf_reset(&b);
  CHECK_OK(feast_pb_value_from_array(l, 1, FEAST_VT_INT64_LIST, &b, &err), &err);
  CHECK_STR(hex(&b), "72 00");
  feast_array_free(l);
  l = feast_array_new(feast_dtype_make(FEAST_DT_LIST), feast_dtype_make(FEAST_DT_STRING));
  feast_array_append_bytes(l->child, "a", 1, &err);
  feast_array_append_bytes(l->child, "", 0, &err);
  feast_array_append_list_end(l, &err);
  feast_array_append_null(l->child, &err);
  feast_array_append_list_end(l, &err);
  feast_buf_reset(&b);
  CHECK_OK(feast_pb_value_from_array(l, 0, FEAST_VT_STRING_LIST, &b, &err), &err);
  CHECK_STR(hex(&b), "62 05 0a 01 61 0a 00");
  feast_buf_reset(&j);
  CHECK_OK(feast_pb_value_to_json(b.data, b.len, &j, &err), &err);
  CHECK_STR(feast_buf_cstr(&j, &err), "[\"a\",\"\"]");
  CHECK_INT(feast_pb_value_from_array(l, 1, FEAST_VT_STRING_LIST, &b, &err), FEAST_E_INVALID);
  feast_array_free(l);
  /* unpacked numeric lists (older writers) parse too; garbage is CORRUPT */
  const uint8_t unpacked[] = {0x72, 0x04, 0x08, 0x01, 0x08, 0x02};
  feast_buf_reset(&j);
  CHECK_OK(feast_pb_value_to_json(unpacked, sizeof unpacked, &j, &err), &err);
  CHECK_STR(feast_buf_cstr(&j, &err), "[1,2]");
  const uint8_t bad[] = {0x72, 0x09, 0x0a};
  CHECK_INT(feast_pb_value_to_json(bad, sizeof bad, &j, &err), FEAST_E_CORRUPT);
  feast_buf_free(&b);
  feast_buf_free(&j);
}

static feast_online_store *open_lmdb(const char *dir) {
  feast_error err;
  feast_online_store *s = NULL;
  char uri[600];
  snprintf(uri, sizeof uri, "lmdb:%s/online", dir);
  CHECK_OK(feast_online_store_open(uri, NULL, &s, &err), &err);
  return s;
}

static void lmdb_basic(void) {
  feast_online_store *s = open_lmdb(test_tmpdir());
  if (!s) return;
  CHECK_STR(feast_online_store_kind(s), "lmdb");
  ots_basic(s, "default", T0, false);
  ots_mixed_calls(s, "mixed", T0);
  feast_online_store_free(s);
}

static void lmdb_property(void) {
  feast_online_store *s = open_lmdb(test_tmpdir());
  if (!s) return;
  ots_property(s, "p", 7, 4);
  ots_property(s, "p", 99, 4);
  feast_online_store_free(s);
}

static int dead_letters;
static void count_dead(void *ctx, const feast_batch *b, int64_t row, int64_t source_row, const char *reason) {
  (void)ctx;
  (void)b;
  (void)row;
  (void)source_row;
  (void)reason;
  dead_letters++;
}

static void schema_errors_before_any_write(void) {
  feast_feature_table_spec t;
  feast_entity_spec e;
  feast_error err;
  feast_online_store *s = open_lmdb(test_tmpdir());
  if (!s) return;
  ots_driver_table(&t, &e, "driver_trips", 0);
  ots_row rows[] = {{1, T0, T0, 1}};
  feast_batch *b = ots_batch(rows, 1);
  /* rating declared DOUBLE accepts FLOAT (widening); declared INT32 rejects it */
  t.features[0].value_type = FEAST_VT_DOUBLE;
  feast_ingest_summary sum = {0};
  CHECK_OK(feast_ingest_batch(s, &t, &e, 1, b, NULL, &sum, &err), &err);
  t.features[0].value_type = FEAST_VT_INT32;
  memset(&sum, 0, sizeof sum);
  CHECK_INT(feast_ingest_batch(s, &t, &e, 1, b, NULL, &sum, &err), FEAST_E_SCHEMA);
  CHECK_CONTAINS(err.message, "column \"rating\" (feature rating): expected INT32, found float");
  CHECK_INT(sum.written, 0);
  t.features[0].value_type = FEAST_VT_FLOAT;
  /* a mapped entity column that is missing */
  feast_map_set(&t.batch_source.field_mapping, "driver_id", "drv", &err);
  CHECK_INT(feast_ingest_batch(s, &t, &e, 1, b, NULL, &sum, &err), FEAST_E_SCHEMA);
  CHECK_CONTAINS(err.message, "column \"drv\" (entity driver_id) is not in the input");
  feast_map_set(&t.batch_source.field_mapping, "driver_id", "driver", &err);
  /* the entity declared STRING does not take an int64 column */
  e.value_type = FEAST_VT_STRING;
  CHECK_INT(feast_ingest_batch(s, &t, &e, 1, b, NULL, &sum, &err), FEAST_E_SCHEMA);
  CHECK_CONTAINS(err.message, "expected STRING, found int64");
  e.value_type = FEAST_VT_INT64;
  feast_batch_free(b);
  ots_specs_clear(&t, &e);
  feast_online_store_free(s);
}

static void rejects_and_window(void) {
  feast_feature_table_spec t;
  feast_entity_spec e;
  feast_error err;
  feast_online_store *s = open_lmdb(test_tmpdir());
  if (!s) return;
  ots_driver_table(&t, &e, "driver_trips", 0);
  ots_row rows[] = {{1, T0, T0, 1}, {2, T0 + 10 * SEC, T0, 2}, {3, T0 - SEC, T0, 4}, {4, T0 + 5 * SEC, T0, 5}};
  feast_batch *b = ots_batch(rows, 4);
  feast_bit_set(b->columns[0]->validity ? b->columns[0]->validity : (b->columns[0]->validity = feast_calloc(1, 1)), 0, 0);
  for (int i = 1; i < 4; i++) feast_bit_set(b->columns[0]->validity, i, 1);
  b->columns[0]->null_count = 1;
  feast_ingest_options o = {0};
  o.has_start = o.has_end = true;
  o.start = T0;
  o.end = T0 + 10 * SEC;
  o.dead_letter = count_dead;
  feast_ingest_summary sum = {0};
  dead_letters = 0;
  CHECK_OK(feast_ingest_batch(s, &t, &e, 1, b, &o, &sum, &err), &err);
  CHECK_INT(sum.read, 4);
  CHECK_INT(sum.rejected, 1);
  CHECK_INT(dead_letters, 1);
  CHECK_CONTAINS(sum.first_reject, "row 1: entity driver_id (column driver) is null");
  CHECK_INT(sum.out_of_window, 2);
  CHECK_INT(sum.written, 1);
  feast_batch_free(b);
  ots_specs_clear(&t, &e);
  feast_online_store_free(s);
}

/* Two tables with different entity sets in one request; entity rows typed. */
static void mixed_entity_tables(void) {
  feast_error err;
  feast_online_store *s = open_lmdb(test_tmpdir());
  if (!s) return;
  feast_feature_table_spec t1, t2;
  feast_entity_spec ents[2];
  ots_driver_table(&t1, &ents[0], "driver_trips", 0);
  /* t2: entities (driver_id, customer_id), one feature `amount` DOUBLE */
  memset(&t2, 0, sizeof t2);
  memset(&ents[1], 0, sizeof ents[1]);
  ents[1].name = feast_strdup("customer_id");
  ents[1].value_type = FEAST_VT_STRING;
  t2.name = feast_strdup("orders");
  t2.n_entities = 2;
  t2.entities = feast_calloc(2, sizeof(char *));
  t2.entities[0] = feast_strdup("driver_id");
  t2.entities[1] = feast_strdup("customer_id");
  t2.n_features = 1;
  t2.features = feast_calloc(1, sizeof *t2.features);
  t2.features[0].name = feast_strdup("amount");
  t2.features[0].value_type = FEAST_VT_DOUBLE;
  t2.batch_source.event_timestamp_column = feast_strdup("ts");
  ots_row rows[] = {{7, T0, T0, 70}};
  feast_batch *b = ots_batch(rows, 1);
  feast_ingest_summary sum = {0};
  CHECK_OK(feast_ingest_batch(s, &t1, ents, 2, b, NULL, &sum, &err), &err);
  feast_batch_free(b);
  b = feast_batch_new(4);
  feast_array *d = feast_array_new(feast_dtype_make(FEAST_DT_INT32), feast_dtype_make(0));
  feast_array *c = feast_array_new(feast_dtype_make(FEAST_DT_STRING), feast_dtype_make(0));
  feast_array *ts = feast_array_new(feast_dtype_timestamp(FEAST_UNIT_NS, false), feast_dtype_make(0));
  feast_array *amt = feast_array_new(feast_dtype_make(FEAST_DT_DOUBLE), feast_dtype_make(0));
  feast_array_append_int(d, 7, &err);
  feast_array_append_bytes(c, "c1", 2, &err);
  feast_array_append_int(ts, T0 * 1000 + 5, &err);
  feast_array_append_double(amt, 12.25, &err);
  feast_batch_set_column(b, 0, "driver_id", d, &err);
  feast_batch_set_column(b, 1, "customer_id", c, &err);
  feast_batch_set_column(b, 2, "ts", ts, &err);
  feast_batch_set_column(b, 3, "amount", amt, &err);
  b->num_rows = 1;
  memset(&sum, 0, sizeof sum);
  CHECK_OK(feast_ingest_batch(s, &t2, ents, 2, b, NULL, &sum, &err), &err);
  CHECK_INT(sum.written, 1);
  feast_batch_free(b);
  const char *rows_txt[] = {"customer_id=c1,driver_id=7", "customer_id=c2,driver_id=7"};
  feast_batch *eb = NULL;
  CHECK_OK(feast_entity_rows_from_strings(rows_txt, 2, &eb, &err), &err);
  const char *f1[] = {"trips"};
  feast_online_table_request tq[] = {{&t2, 0, NULL}, {&t1, 1, f1}};
  feast_online_request q = {NULL, 2, tq, 2, ents, eb, T0};
  feast_online_result *r = NULL;
  CHECK_OK(feast_online_read(s, &q, &r, &err), &err);
  char *json = NULL;
  size_t len;
  if (r) CHECK_OK(feast_online_result_to_json(r, &json, &len, &err), &err);
  CHECK_STR(json, "{\"metadata\":{\"feature_names\":[\"customer_id\",\"driver_id\",\"orders__amount\",\"driver_trips__trips\"]},"
                  "\"results\":[{\"values\":[\"c1\",\"c2\"],\"statuses\":[\"PRESENT\",\"PRESENT\"],\"event_timestamps\":"
                  "[\"1970-01-01T00:00:00Z\",\"1970-01-01T00:00:00Z\"]},{\"values\":[7,7],\"statuses\":[\"PRESENT\",\"PRESENT\"],"
                  "\"event_timestamps\":[\"1970-01-01T00:00:00Z\",\"1970-01-01T00:00:00Z\"]},{\"values\":[12.25,null],"
                  "\"statuses\":[\"PRESENT\",\"NOT_FOUND\"],\"event_timestamps\":[\"2020-09-13T12:26:40Z\",\"1970-01-01T00:00:00Z\"]},"
                  "{\"values\":[70,70],\"statuses\":[\"PRESENT\",\"PRESENT\"],\"event_timestamps\":[\"2020-09-13T12:26:40Z\","
                  "\"2020-09-13T12:26:40Z\"]}]}");
  free(json);
  feast_online_result_free(r);
  /* a feature that does not exist, and an unparseable entity value */
  const char *nof[] = {"nope"};
  tq[1].features = nof;
  CHECK_INT(feast_online_read(s, &q, &r, &err), FEAST_E_NOT_FOUND);
  CHECK_CONTAINS(err.message, "driver_trips:nope");
  feast_batch_free(eb);
  const char *bad_txt[] = {"customer_id=c1,driver_id=seven"};
  CHECK_OK(feast_entity_rows_from_strings(bad_txt, 1, &eb, &err), &err);
  tq[1].features = f1;
  q.entity_rows = eb;
  CHECK_INT(feast_online_read(s, &q, &r, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "\"seven\" is not a valid INT64");
  feast_batch_free(eb);
  ots_specs_clear(&t1, &ents[0]);
  ots_specs_clear(&t2, &ents[1]);
  feast_online_store_free(s);
}

/* A child ingests forever; it is killed with SIGKILL at a random moment,
 * again and again. Every record left must be whole and self-consistent. */
static void lmdb_survives_kill9(void) {
  const char *dir = test_tmpdir();
  char path[600];
  snprintf(path, sizeof path, "lmdb:%s/online", dir);
  srand(1234);
  for (int round = 0; round < 8; round++) {
    pid_t pid = fork();
    if (pid == 0) {
      feast_online_store *s = NULL;
      feast_error err;
      feast_feature_table_spec t;
      feast_entity_spec e;
      if (feast_online_store_open(path, NULL, &s, &err)) _exit(2);
      ots_driver_table(&t, &e, "crash", 0);
      for (int64_t i = (int64_t)round * 1000000;; i++) {
        ots_row rows[64];
        for (int k = 0; k < 64; k++) rows[k] = (ots_row){k * 13 % 200, T0 + i * SEC, T0 + k, i * 64 + k};
        feast_batch *b = ots_batch(rows, 64);
        feast_ingest_summary sum = {0};
        if (feast_ingest_batch(s, &t, &e, 1, b, NULL, &sum, &err)) _exit(3);
        feast_batch_free(b);
      }
    }
    usleep((useconds_t)(2000 + rand() % 40000));
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFSIGNALED(st));
  }
  feast_online_store *s = NULL;
  feast_error err;
  CHECK_OK(feast_online_store_open(path, NULL, &s, &err), &err);
  if (!s) return;
  size_t n = 0;
  CHECK_OK(feast_lmdb_verify(s, &n, &err), &err);
  CHECK(n > 0);
  /* values agree with each other: rating == trips / 2, name == "n<trips>" */
  feast_feature_table_spec t;
  feast_entity_spec e;
  ots_driver_table(&t, &e, "crash", 0);
  const char *q[] = {"driver_id=0", "driver_id=13", "driver_id=26"};
  char *json = ots_read_json(s, "default", &t, &e, q, 3, T0);
  CHECK(json != NULL);
  if (json) {
    long long trips;
    const char *p = strstr(json, "\"crash__trips\"");
    p = p ? strstr(json, "{\"values\":[") : NULL; /* entity */
    p = p ? strstr(p + 1, "{\"values\":[") : NULL;  /* rating */
    double rating = p ? strtod(p + 11, NULL) : -1;
    p = p ? strstr(p + 1, "{\"values\":[") : NULL;  /* trips */
    trips = p ? strtoll(p + 11, NULL, 10) : -1;
    CHECK(trips > 0 && fabs(rating * 2 - (double)trips) <= (double)trips * 1e-6);
    char nm[40];
    snprintf(nm, sizeof nm, "\"n%lld\"", trips);
    if (trips % 7 != 3) CHECK_CONTAINS(json, nm);
  }
  free(json);
  ots_specs_clear(&t, &e);
  feast_online_store_free(s);
}

/* A source of two batches through feast_ingest, then every allocation
 * failing in turn: each run ends in OK or NOMEM, never a crash or a leak. */
typedef struct two_src {
  feast_batch_source base;
  int left;
} two_src;
static feast_code two_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  (void)err;
  two_src *t = (two_src *)self;
  *out = NULL;
  if (t->left-- <= 0) return FEAST_OK;
  ots_row rows[] = {{t->left, T0 + t->left * SEC, T0, 100 + t->left}, {5, T0 + t->left * SEC, T0, 200 + t->left}};
  *out = ots_batch(rows, 2);
  return *out ? FEAST_OK : FEAST_E_NOMEM;
}
static void two_close(feast_batch_source *self) { (void)self; }

static void ingest_source_and_oom(void) {
  feast_feature_table_spec t;
  feast_entity_spec e;
  feast_error err;
  feast_online_store *s = open_lmdb(test_tmpdir());
  if (!s) return;
  ots_driver_table(&t, &e, "src", 0);
  two_src src = {{two_next, two_close}, 2};
  feast_ingest_summary sum;
  CHECK_OK(feast_ingest(s, &t, &e, 1, &src.base, NULL, &sum, &err), &err);
  CHECK_INT(sum.read, 4);
  /* batch 1: keys 1 and 5 at T0+1s; batch 2: keys 0 and 5 at T0, so 5 is older and skipped */
  CHECK_INT(sum.written, 3);
  CHECK_INT(sum.skipped_older, 1);
  ots_row rows[] = {{1, T0 + 50 * SEC, T0, 1}, {2, T0 + 50 * SEC, T0, 2}};
  feast_batch *b = ots_batch(rows, 2);
  int ok = 0, nomem = 0;
  for (long n = 0; n < 200; n++) {
    memset(&sum, 0, sizeof sum);
    feast_alloc_fail_after(n);
    feast_code rc = feast_ingest_batch(s, &t, &e, 1, b, NULL, &sum, &err);
    feast_alloc_fail_after(-1);
    if (rc == FEAST_OK) ok++;
    else if (rc == FEAST_E_NOMEM) nomem++;
    else CHECK_INT(rc, FEAST_E_NOMEM);
    const char *q[] = {"driver_id=1"};
    feast_alloc_fail_after(n);
    feast_batch *eb = NULL;
    feast_online_result *r = NULL;
    feast_online_table_request tq = {&t, 0, NULL};
    if (!feast_entity_rows_from_strings(q, 1, &eb, &err)) {
      feast_online_request rq = {NULL, 1, &tq, 1, &e, eb, T0};
      rc = feast_online_read(s, &rq, &r, &err);
      CHECK(rc == FEAST_OK || rc == FEAST_E_NOMEM);
    }
    feast_alloc_fail_after(-1);
    feast_online_result_free(r);
    feast_batch_free(eb);
  }
  CHECK(ok > 0 && nomem > 0);
  feast_batch_free(b);
  ots_specs_clear(&t, &e);
  feast_online_store_free(s);
}

/* A write large enough for the LMDB write-out's second thread (sort halves,
 * a pipelined encoder): rows in scattered key order, some older than what is
 * stored (skipped), values of varied lengths (some null); then a large write
 * holding one key too long for LMDB, in the middle of the write order, which
 * must fail as a whole and leave the store as it was. */
#define BIG_N 150001
static void big_value(size_t i, size_t f, uint8_t *out, size_t *len) {
  *len = (i + f) % 5 ? (i * 13 + f) % 200 + 1 : 0;
  for (size_t k = 0; k < *len; k++) out[k] = (uint8_t)(i * 31 + f + k);
}

static void lmdb_large_write(void) {
  feast_online_store *s = open_lmdb(test_tmpdir());
  if (!s) return;
  feast_error err;
  const char *names[] = {"a", "b"};
  feast_online_table t = {"big", 2, names, false, 0};
  size_t n = BIG_N;
  char (*keys)[700] = feast_calloc(n, sizeof *keys);
  uint8_t (*vals)[2][256] = feast_calloc(n, sizeof *vals);
  size_t (*lens)[2] = feast_calloc(n, sizeof *lens);
  const uint8_t *(*vp)[2] = feast_calloc(n, sizeof *vp);
  feast_online_row *rows = feast_calloc(n, sizeof *rows);
  uint8_t *written = feast_calloc(n, 1);
  for (size_t i = 0; i < n; i++) {
    snprintf(keys[i], sizeof keys[i], "k%07zu", (i * 7919) % n);
    for (size_t f = 0; f < 2; f++) {
      big_value(i, f, vals[i][f], &lens[i][f]);
      vp[i][f] = lens[i][f] ? vals[i][f] : NULL;
    }
    rows[i] = (feast_online_row){(const uint8_t *)keys[i], strlen(keys[i]), T0, T0, vp[i], lens[i]};
  }
  /* 20000 keys already hold a newer row: written in one small write */
  size_t pre = 0;
  feast_online_row *newer = feast_calloc(n, sizeof *newer);
  for (size_t i = 0; i < 60000; i += 3) {
    newer[pre] = rows[i];
    newer[pre].event_ts = T0 + SEC;
    pre++;
  }
  CHECK_OK(s->ops->write(s, &t, newer, pre, written, NULL, &err), &err);
  CHECK_OK(s->ops->write(s, &t, rows, n, written, NULL, &err), &err);
  size_t nw = 0, bad = 0;
  for (size_t i = 0; i < n; i++) {
    nw += written[i];
    bad += written[i] != !(i < 60000 && i % 3 == 0);
  }
  CHECK_INT(nw, n - pre);
  CHECK_INT(bad, 0);
  /* the failing write: every row newer, one key too long */
  for (size_t i = 0; i < n; i++) rows[i].event_ts = T0 + 2 * SEC;
  memset(keys[77], 'x', 650);
  memcpy(keys[77], "k0075000", 8);
  keys[77][650] = 0;
  rows[77].key_len = 650;
  CHECK_INT(s->ops->write(s, &t, rows, n, written, NULL, &err), FEAST_E_TOO_BIG);
  CHECK_CONTAINS(err.message, "LMDB keys hold at most");
  nw = 0;
  for (size_t i = 0; i < n; i++) nw += written[i];
  CHECK_INT(nw, 0);
  snprintf(keys[77], sizeof keys[77], "k%07zu", (size_t)(77 * 7919) % n);
  rows[77].key_len = strlen(keys[77]);
  /* read everything back: the first large write's rows, or the newer ones */
  const uint8_t **kp = feast_calloc(n, sizeof *kp);
  size_t *kl = feast_calloc(n, sizeof *kl);
  feast_online_record *out = feast_calloc(n, sizeof *out);
  feast_arena *arena = feast_arena_new(1 << 20);
  for (size_t i = 0; i < n; i++) {
    kp[i] = rows[i].key;
    kl[i] = rows[i].key_len;
  }
  CHECK_OK(s->ops->read(s, &t, kp, kl, n, arena, out, &err), &err);
  size_t mism = 0;
  for (size_t i = 0; i < n; i++) {
    feast_ts want = i < 60000 && i % 3 == 0 ? T0 + SEC : T0;
    if (!out[i].found || out[i].event_ts != want) {
      mism++;
      continue;
    }
    for (size_t f = 0; f < 2; f++)
      if (!out[i].has[f] || out[i].value_lens[f] != lens[i][f] ||
          (lens[i][f] && memcmp(out[i].values[f], vals[i][f], lens[i][f])))
        mism++;
  }
  CHECK_INT(mism, 0);
  size_t recs = 0;
  CHECK_OK(feast_lmdb_verify(s, &recs, &err), &err);
  CHECK_INT(recs, n);
  feast_arena_free(arena);
  feast_free(kp);
  feast_free(kl);
  feast_free(out);
  feast_free(newer);
  feast_free(keys);
  feast_free(vals);
  feast_free(lens);
  feast_free(vp);
  feast_free(rows);
  feast_free(written);
  feast_online_store_free(s);
}

typedef struct seen_count {
  int n;
} seen_count;

static feast_code count_positions(void *ctx, const char *name, const char *value, feast_error *err) {
  (void)name;
  (void)value;
  (void)err;
  ((seen_count *)ctx)->n++;
  return FEAST_OK;
}

static void lmdb_positions_and_stepwise(void) {
  char path[4200];
  snprintf(path, sizeof path, "lmdb:%s/pos", test_tmpdir());
  feast_error err;
  feast_online_store *s;
  CHECK_OK(feast_online_store_open(path, NULL, &s, &err), &err);
  CHECK(s->ops->caps & FEAST_ONLINE_CAP_BULK_ORDERED);
  CHECK(s->ops->caps & FEAST_ONLINE_CAP_ATOMIC_POSITIONS);
  ots_positions(s, "kinesis/p/t");
  ots_stepwise(s, "stepwise", T0);
  size_t n;
  CHECK_OK(feast_lmdb_verify(s, &n, &err), &err); /* positions are not rows */
  CHECK_INT(n, 3);
  feast_online_store_free(s);
}

/* With LMDB, positions commit in the rows' transaction: a write that fails
 * stores neither. */
static void lmdb_positions_commit_with_rows(void) {
  char path[4200];
  snprintf(path, sizeof path, "lmdb:%s/atomic", test_tmpdir());
  feast_error err;
  feast_online_store *s;
  CHECK_OK(feast_online_store_open(path, NULL, &s, &err), &err);
  const char *feats[] = {"f"};
  feast_online_table t = {"t", 1, feats, false, 0};
  const uint8_t val[] = {0x20, 0x05};
  const uint8_t *vals[] = {val};
  size_t lens[] = {sizeof val};
  uint8_t key_ok[] = "k1", key_bad[700];
  memset(key_bad, 'x', sizeof key_bad);
  feast_online_row rows[] = {{key_ok, 2, T0, 0, vals, lens}, {key_bad, sizeof key_bad, T0, 0, vals, lens}};
  feast_online_position p1[] = {{"shard-0", "5"}};
  feast_online_positions pos = {"s", 1, p1};
  uint8_t written[2];
  CHECK_INT(s->ops->write(s, &t, rows, 2, written, &pos, &err), FEAST_E_TOO_BIG);
  seen_count c = {0};
  CHECK_OK(s->ops->get_positions(s, "s", count_positions, &c, &err), &err);
  CHECK_INT(c.n, 0);
  size_t n;
  CHECK_OK(feast_lmdb_verify(s, &n, &err), &err);
  CHECK_INT(n, 0);
  CHECK_OK(s->ops->write(s, &t, rows, 1, written, &pos, &err), &err);
  CHECK_OK(s->ops->get_positions(s, "s", count_positions, &c, &err), &err);
  CHECK_INT(c.n, 1);
  CHECK_OK(feast_lmdb_verify(s, &n, &err), &err);
  CHECK_INT(n, 1);
  feast_online_store_free(s);
}

TEST_MAIN(T(ingest_source_and_oom), T(lmdb_positions_and_stepwise), T(lmdb_positions_commit_with_rows), T(vectors_match_feast), T(value_encodings), T(lmdb_basic), T(lmdb_property), T(lmdb_large_write), T(schema_errors_before_any_write),
          T(rejects_and_window), T(mixed_entity_tables), T(lmdb_survives_kill9))
