/*
 * avro_test.c - the Avro schema parser, resolution, plan compiler and
 * decoder, on datums built by hand byte by byte: every type, every
 * resolution rule, every kind of bad datum, and the rule that a bad datum
 * leaves no partial row in any column.
 */
#include "base/alloc.h"
#include "format/avro/avro_check.h"
#include "format/avro/avro_confluent.h"
#include "format/avro/avro_decode.h"
#include "format/avro/avro_plan.h"
#include "format/avro/avro_resolve.h"
#include "format/avro/avro_schema.h"
#include "test.h"

/* ---- a tiny Avro encoder ---- */

typedef struct enc {
  uint8_t b[8192];
  size_t n;
} enc;

static void e_long(enc *e, int64_t v) {
  uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
  while (z >= 0x80) {
    e->b[e->n++] = (uint8_t)(z | 0x80);
    z >>= 7;
  }
  e->b[e->n++] = (uint8_t)z;
}
static void e_raw(enc *e, const void *p, size_t n) {
  memcpy(e->b + e->n, p, n);
  e->n += n;
}
static void e_bytes(enc *e, const void *p, size_t n) {
  e_long(e, (int64_t)n);
  e_raw(e, p, n);
}
static void e_str(enc *e, const char *s) { e_bytes(e, s, strlen(s)); }
static void e_float(enc *e, float f) { e_raw(e, &f, 4); }
static void e_double(enc *e, double d) { e_raw(e, &d, 8); }
static void e_bool(enc *e, int b) { e->b[e->n++] = (uint8_t)b; }

/* ---- helpers ---- */

static feast_avro_schema *schema(const char *json) {
  feast_error err;
  feast_avro_schema *s = NULL;
  if (feast_avro_schema_parse(json, strlen(json), "test schema", NULL, &s, &err)) {
    fprintf(stderr, "  schema did not parse: %s\n", err.message);
    test_failures_in_case++;
  }
  return s;
}

static feast_dtype dt(feast_dtype_id id) { return feast_dtype_make(id); }
static feast_dtype ts_us(void) { return feast_dtype_timestamp(FEAST_UNIT_US, true); }

typedef struct fixture {
  feast_avro_schema *w, *r;
  feast_avro_plan *plan;
  feast_avro_decoder *dec;
  feast_batch *batch;
} fixture;

/* Compile writer/reader (reader NULL = same as writer) for the columns. */
static bool setup(fixture *f, const char *wjson, const char *rjson, const feast_avro_column *cols, size_t n) {
  memset(f, 0, sizeof *f);
  feast_error err;
  f->w = schema(wjson);
  f->r = rjson ? schema(rjson) : NULL;
  if (!f->w || (rjson && !f->r)) return false;
  const feast_avro_node *reader = f->r ? f->r->root : f->w->root;
  if (feast_avro_plan_compile(f->w->root, reader, cols, n, &f->plan, &err)) {
    fprintf(stderr, "  compile: %s\n", err.message);
    test_failures_in_case++;
    return false;
  }
  if (feast_avro_decoder_new(cols, n, &f->dec, &err)) {
    fprintf(stderr, "  decoder: %s\n", err.message);
    test_failures_in_case++;
    return false;
  }
  return true;
}

static feast_code feed(fixture *f, const enc *e, size_t index) {
  feast_error err;
  feast_code rc = feast_avro_decode_one(f->dec, f->plan, e->b, e->n, index, &err);
  if (rc) fprintf(stderr, "  decode: %s\n", err.message);
  return rc;
}

static const feast_batch *finish(fixture *f) {
  feast_error err;
  feast_batch_free(f->batch);
  f->batch = NULL;
  if (feast_avro_decoder_finish(f->dec, &f->batch, &err)) {
    fprintf(stderr, "  finish: %s\n", err.message);
    test_failures_in_case++;
  }
  return f->batch;
}

static void teardown(fixture *f) {
  feast_batch_free(f->batch);
  feast_avro_decoder_free(f->dec);
  feast_avro_plan_free(f->plan);
  feast_avro_schema_free(f->w);
  feast_avro_schema_free(f->r);
}

static const feast_array *col(const feast_batch *b, const char *name) {
  int i = b ? feast_batch_find(b, name) : -1;
  if (i < 0) {
    fprintf(stderr, "  no column %s\n", name);
    test_failures_in_case++;
    static feast_array empty;
    return &empty;
  }
  return b->columns[i];
}

static bool str_is(const feast_array *a, int64_t i, const char *want) {
  size_t n;
  const uint8_t *p = feast_array_get_bytes(a, i, &n);
  return n == strlen(want) && memcmp(p, want, n) == 0;
}

static const char *compile_error(const char *wjson, const char *rjson, const feast_avro_column *cols, size_t n) {
  static feast_error err;
  feast_avro_schema *w = schema(wjson), *r = rjson ? schema(rjson) : NULL;
  feast_avro_plan *p = NULL;
  feast_error_clear(&err);
  if (w && feast_avro_plan_compile(w->root, r ? r->root : w->root, cols, n, &p, &err) == FEAST_OK) {
    fprintf(stderr, "  compiled, expected an error\n");
    test_failures_in_case++;
  }
  feast_avro_plan_free(p);
  feast_avro_schema_free(w);
  feast_avro_schema_free(r);
  return err.message;
}

/* ---- schema parsing ---- */

static void parse_every_type(void) {
  feast_avro_schema *s = schema(
      "{\"type\":\"record\",\"name\":\"Row\",\"namespace\":\"a.b\",\"fields\":["
      "{\"name\":\"n\",\"type\":\"null\"},{\"name\":\"b\",\"type\":\"boolean\"},{\"name\":\"i\",\"type\":\"int\"},"
      "{\"name\":\"l\",\"type\":\"long\"},{\"name\":\"f\",\"type\":\"float\"},{\"name\":\"d\",\"type\":\"double\"},"
      "{\"name\":\"by\",\"type\":\"bytes\"},{\"name\":\"s\",\"type\":{\"type\":\"string\"}},"
      "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"Color\",\"symbols\":[\"RED\",\"GREEN\"],\"default\":\"RED\"}},"
      "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"c.MD5\",\"size\":16}},"
      "{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
      "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\"}},"
      "{\"name\":\"u\",\"type\":[\"null\",\"Color\"]},"
      "{\"name\":\"ref\",\"type\":\"c.MD5\"},"
      "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
      "{\"name\":\"tn\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\"}},"
      "{\"name\":\"dt\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
      "{\"name\":\"odd\",\"type\":{\"type\":\"string\",\"logicalType\":\"date\"}},"
      "{\"name\":\"dec\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":4}},"
      "{\"name\":\"nest\",\"type\":{\"type\":\"record\",\"name\":\"Nest\",\"fields\":[{\"name\":\"x\",\"type\":\"Color\"}]}}"
      "]}");
  if (!s) return;
  const feast_avro_node *r = s->root;
  CHECK_INT(r->kind, FEAST_AVRO_RECORD);
  CHECK_STR(r->fullname, "a.b.Row");
  CHECK_INT(r->n, 20);
  feast_avro_kind kinds[] = {FEAST_AVRO_NULL,  FEAST_AVRO_BOOLEAN, FEAST_AVRO_INT,   FEAST_AVRO_LONG,   FEAST_AVRO_FLOAT,
                             FEAST_AVRO_DOUBLE, FEAST_AVRO_BYTES,  FEAST_AVRO_STRING, FEAST_AVRO_ENUM,  FEAST_AVRO_FIXED,
                             FEAST_AVRO_ARRAY, FEAST_AVRO_MAP,     FEAST_AVRO_UNION, FEAST_AVRO_FIXED,  FEAST_AVRO_LONG,
                             FEAST_AVRO_LONG,  FEAST_AVRO_INT,     FEAST_AVRO_STRING, FEAST_AVRO_BYTES, FEAST_AVRO_RECORD};
  for (size_t i = 0; i < 20; i++) CHECK_INT(r->fields[i].type->kind, kinds[i]);
  CHECK_STR(r->fields[8].type->fullname, "a.b.Color");
  CHECK_INT(r->fields[8].type->enum_default, 0);
  CHECK_STR(r->fields[9].type->fullname, "c.MD5");
  CHECK(r->fields[13].type == r->fields[9].type); /* a reference is the same node */
  CHECK(r->fields[12].type->branches[1] == r->fields[8].type);
  CHECK_INT(r->fields[14].type->logical, FEAST_AVRO_LT_TIMESTAMP_MILLIS);
  CHECK_INT(r->fields[15].type->logical, FEAST_AVRO_LT_TIMESTAMP_NANOS);
  CHECK_INT(r->fields[16].type->logical, FEAST_AVRO_LT_DATE);
  CHECK_INT(r->fields[17].type->logical, FEAST_AVRO_LT_NONE); /* date on a string: ignored */
  CHECK(r->fields[19].type->fields[0].type == r->fields[8].type); /* "Color" found in the enclosing namespace */
  CHECK_STR(r->fields[19].type->fullname, "a.b.Nest");
  char d[128];
  CHECK_STR(feast_avro_describe(r->fields[12].type, d, sizeof d), "[null, enum Color]");
  CHECK_STR(feast_avro_describe(r->fields[14].type, d, sizeof d), "long (timestamp-millis)");
  CHECK_STR(feast_avro_describe(r->fields[10].type, d, sizeof d), "array<long>");
  feast_avro_schema_free(s);
  /* a bare primitive, and a reference to the null namespace from inside one */
  s = schema("\"long\"");
  if (s) CHECK_INT(s->root->kind, FEAST_AVRO_LONG);
  feast_avro_schema_free(s);
  s = schema("[{\"type\":\"fixed\",\"name\":\"F\",\"size\":2},{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"x\","
             "\"fields\":[{\"name\":\"f\",\"type\":\"F\"}]}]");
  if (s) CHECK(s->root->branches[1]->fields[0].type == s->root->branches[0]);
  feast_avro_schema_free(s);
}

static void schema_error(const char *json, feast_code code, const char *needle) {
  feast_error err;
  feast_avro_schema *s = NULL;
  feast_avro_limits lim = {8, 200, 4096};
  feast_code rc = feast_avro_schema_parse(json, strlen(json), "schema_json", &lim, &s, &err);
  CHECK_INT(rc, code);
  if (rc) CHECK_CONTAINS(err.message, needle);
  feast_avro_schema_free(s);
}

static void parse_refusals(void) {
  schema_error("{\"type\":\"record\",\"name\":\"Node\",\"fields\":[{\"name\":\"next\",\"type\":[\"null\",\"Node\"]}]}",
               FEAST_E_UNSUPPORTED, "line 1, column 72: field next: recursive type: 'Node' is used inside its own definition");
  schema_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"record\",\"name\":\"In\","
               "\"fields\":[{\"name\":\"b\",\"type\":\"strng\"}]}}]}",
               FEAST_E_INVALID, "field a.b: unknown type 'strng'");
  schema_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}",
               FEAST_E_INVALID, "field 'a' is defined twice");
  schema_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"1a\",\"type\":\"int\"}]}", FEAST_E_INVALID,
               "'1a' is not a valid field name");
  schema_error("{\"type\":\"record\",\"name\":\"R-x\",\"fields\":[]}", FEAST_E_INVALID, "not a valid Avro name");
  schema_error("[\"int\",[\"long\"]]", FEAST_E_INVALID, "cannot hold another union");
  schema_error("[\"int\",\"null\",\"int\"]", FEAST_E_INVALID, "the union holds int twice");
  schema_error("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}", FEAST_E_INVALID, "listed twice");
  schema_error("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"B\"}", FEAST_E_INVALID,
               "default 'B' is not one of its symbols");
  schema_error("{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}", FEAST_E_INVALID, "needs a \"size\"");
  schema_error("[{\"type\":\"fixed\",\"name\":\"F\",\"size\":1},{\"type\":\"enum\",\"name\":\"F\",\"symbols\":[]}]",
               FEAST_E_INVALID, "the name 'F' is defined twice");
  schema_error("{\"type\":\"record\",\"name\":\"int\",\"fields\":[]}", FEAST_E_INVALID, "is a primitive type");
  schema_error("\"record\"", FEAST_E_INVALID, "must be written as an object");
  schema_error("{\"type\":\"record\",\"name\":\"R\"", FEAST_E_CORRUPT, "schema_json: line 1");
  schema_error("{\"type\": 3}", FEAST_E_INVALID, "must be a string");
  /* depth 8: nine nested arrays are too deep */
  schema_error("{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"array\","
               "\"items\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":"
               "{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":\"int\"}}}}}}}}}",
               FEAST_E_TOO_BIG, "nests deeper than 8 levels");
  char big[5000];
  size_t n = (size_t)snprintf(big, sizeof big, "[");
  for (int i = 0; i < 700; i++) n += (size_t)snprintf(big + n, sizeof big - n, "%s\"long\"", i ? "," : "");
  snprintf(big + n, sizeof big - n, "]");
  schema_error(big, FEAST_E_TOO_BIG, "more than the limit of 4096"); /* JSON size */
  n = (size_t)snprintf(big, sizeof big, "{\"type\":\"record\",\"name\":\"R\",\"fields\":[");
  for (int i = 0; i < 150; i++) n += (size_t)snprintf(big + n, sizeof big - n, "%s{\"name\":\"f%d\",\"type\":\"int\"}", i ? "," : "", i);
  snprintf(big + n, sizeof big - n, "]}");
  feast_avro_limits lim = {8, 200, 1 << 20};
  feast_error err;
  feast_avro_schema *s = NULL;
  CHECK_INT(feast_avro_schema_parse(big, strlen(big), "s", &lim, &s, &err), FEAST_E_TOO_BIG);
  CHECK_CONTAINS(err.message, "more than 200 types and fields");
  feast_avro_schema_free(s);
}

/* ---- decoding every type ---- */

static const char *every_schema =
    "{\"type\":\"record\",\"name\":\"Row\",\"fields\":["
    "{\"name\":\"b\",\"type\":\"boolean\"},{\"name\":\"i\",\"type\":\"int\"},{\"name\":\"l\",\"type\":\"long\"},"
    "{\"name\":\"f\",\"type\":\"float\"},{\"name\":\"d\",\"type\":\"double\"},{\"name\":\"by\",\"type\":\"bytes\"},"
    "{\"name\":\"s\",\"type\":\"string\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"Color\",\"symbols\":[\"RED\",\"GREEN\",\"BLUE\"]}},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F3\",\"size\":3}},"
    "{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"items\":\"double\"}},"
    "{\"name\":\"n\",\"type\":\"null\"},"
    "{\"name\":\"ol\",\"type\":[\"null\",\"long\"]},"
    "{\"name\":\"os\",\"type\":[\"string\",\"null\"]},"
    "{\"name\":\"tm\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"tu\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
    "{\"name\":\"tn\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\"}},"
    "{\"name\":\"dt\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
    "{\"name\":\"dts\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}}"
    "]}";

static const feast_avro_column every_cols[] = {
    {"b", {FEAST_DT_BOOL}, {0}},          {"i", {FEAST_DT_INT32}, {0}},   {"l", {FEAST_DT_INT64}, {0}},
    {"f", {FEAST_DT_FLOAT}, {0}},         {"d", {FEAST_DT_DOUBLE}, {0}},  {"by", {FEAST_DT_BINARY}, {0}},
    {"s", {FEAST_DT_STRING}, {0}},        {"e", {FEAST_DT_STRING}, {0}},  {"fx", {FEAST_DT_FIXED_BINARY, 0, 0, 3}, {0}},
    {"arr", {FEAST_DT_LIST}, {FEAST_DT_DOUBLE}}, {"n", {FEAST_DT_INT64}, {0}}, {"ol", {FEAST_DT_INT64}, {0}},
    {"os", {FEAST_DT_STRING}, {0}},       {"tm", {FEAST_DT_TIMESTAMP, FEAST_UNIT_US, 1}, {0}},
    {"tu", {FEAST_DT_TIMESTAMP, FEAST_UNIT_US, 1}, {0}}, {"tn", {FEAST_DT_TIMESTAMP, FEAST_UNIT_US, 1}, {0}},
    {"dt", {FEAST_DT_DATE32}, {0}},       {"dts", {FEAST_DT_TIMESTAMP, FEAST_UNIT_US, 1}, {0}}};
#define N_EVERY (sizeof every_cols / sizeof *every_cols)

static void every_row(enc *e, int k, bool nulls) {
  e->n = 0;
  e_bool(e, k & 1);
  e_long(e, -123456 - k);               /* int */
  e_long(e, INT64_C(-9007199254740993)); /* long */
  e_float(e, 1.5f + (float)k);
  e_double(e, -2.25 * k);
  e_bytes(e, "\x00\xff\x01", 3);
  e_str(e, k ? "caf\xc3\xa9" : "");
  e_long(e, 2);                          /* BLUE */
  e_raw(e, "xyz", 3);
  e_long(e, -2);                         /* a block of 2 items given with its byte size */
  e_long(e, 16);
  e_double(e, 0.5);
  e_double(e, k);
  e_long(e, 1);
  e_double(e, 7);
  e_long(e, 0);
  /* null: no bytes */
  if (nulls) {
    e_long(e, 0);
    e_long(e, 1);
  } else {
    e_long(e, 1);
    e_long(e, INT64_MAX);
    e_long(e, 0);
    e_str(e, "here");
  }
  e_long(e, 1618225182123);          /* ms */
  e_long(e, -1);                     /* us */
  e_long(e, -1);                     /* ns: floors to -1 us */
  e_long(e, 18730);                  /* 2021-04-13 */
  e_long(e, -1);                     /* 1969-12-31 */
}

static void decode_every_type(void) {
  fixture f;
  if (!setup(&f, every_schema, NULL, every_cols, N_EVERY)) return teardown(&f);
  enc e;
  every_row(&e, 0, false);
  CHECK_OK(feed(&f, &e, 0), &(feast_error){0});
  every_row(&e, 1, true);
  CHECK_OK(feed(&f, &e, 1), &(feast_error){0});
  const feast_batch *b = finish(&f);
  if (!b) return teardown(&f);
  CHECK_INT(b->num_rows, 2);
  for (int c = 0; c < b->num_columns; c++) CHECK_INT(b->columns[c]->length, 2);
  CHECK_INT(feast_bit_get(col(b, "b")->values, 0), 0);
  CHECK_INT(feast_bit_get(col(b, "b")->values, 1), 1);
  CHECK_INT(feast_array_get_int(col(b, "i"), 0), -123456);
  CHECK_INT(feast_array_get_int(col(b, "i"), 1), -123457);
  CHECK_INT(feast_array_get_int(col(b, "l"), 1), INT64_C(-9007199254740993));
  CHECK(feast_array_get_double(col(b, "f"), 1) == 2.5);
  CHECK(feast_array_get_double(col(b, "d"), 1) == -2.25);
  size_t n;
  const uint8_t *p = feast_array_get_bytes(col(b, "by"), 0, &n);
  CHECK(n == 3 && p[0] == 0 && p[1] == 0xff && p[2] == 1);
  CHECK(str_is(col(b, "s"), 0, ""));
  CHECK(str_is(col(b, "s"), 1, "caf\xc3\xa9"));
  CHECK(str_is(col(b, "e"), 0, "BLUE"));
  p = feast_array_get_bytes(col(b, "fx"), 1, &n);
  CHECK(n == 3 && memcmp(p, "xyz", 3) == 0);
  const feast_array *arr = col(b, "arr");
  CHECK_INT(arr->offsets[1], 3);
  CHECK_INT(arr->offsets[2], 6);
  CHECK(arr->child && arr->child->length == 6 && feast_array_get_double(arr->child, 4) == 1.0 &&
        feast_array_get_double(arr->child, 5) == 7.0);
  CHECK_INT(col(b, "n")->null_count, 2);
  CHECK(feast_array_is_valid(col(b, "ol"), 0) && !feast_array_is_valid(col(b, "ol"), 1));
  CHECK_INT(feast_array_get_int(col(b, "ol"), 0), INT64_MAX);
  CHECK(str_is(col(b, "os"), 0, "here"));
  CHECK(!feast_array_is_valid(col(b, "os"), 1));
  CHECK_INT(col(b, "os")->null_count, 1);
  CHECK_INT(feast_array_get_int(col(b, "tm"), 0), INT64_C(1618225182123000));
  CHECK_INT(feast_array_get_int(col(b, "tu"), 0), -1);
  CHECK_INT(feast_array_get_int(col(b, "tn"), 0), -1);
  CHECK_INT(feast_array_get_int(col(b, "dt"), 0), 18730);
  CHECK_INT(col(b, "dt")->type.id, FEAST_DT_DATE32);
  CHECK_INT(feast_array_get_int(col(b, "dts"), 0), -INT64_C(86400000000));
  teardown(&f);
}

static void timestamps_round_and_overflow(void) {
  const char *s = "{\"type\":\"record\",\"name\":\"T\",\"fields\":["
                  "{\"name\":\"ns\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\"}},"
                  "{\"name\":\"ms\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
                  "{\"name\":\"plain\",\"type\":\"long\"}]}";
  feast_avro_column cols[] = {{"ns", ts_us(), {0}}, {"ms", ts_us(), {0}}, {"plain", ts_us(), {0}}};
  fixture f;
  if (!setup(&f, s, NULL, cols, 3)) return teardown(&f);
  int64_t ns[] = {1999, -1999, -1000, 0};
  int64_t want[] = {1, -2, -1, 0};
  enc e;
  for (int i = 0; i < 4; i++) {
    e.n = 0;
    e_long(&e, ns[i]);
    e_long(&e, 5);
    e_long(&e, 77);
    CHECK_OK(feed(&f, &e, (size_t)i), &(feast_error){0});
  }
  e.n = 0;
  e_long(&e, 0);
  e_long(&e, INT64_MAX / 100); /* millis that overflow microseconds */
  e_long(&e, 0);
  CHECK_OK(feed(&f, &e, 4), &(feast_error){0});
  CHECK_INT(feast_avro_decoder_bad_count(f.dec), 1);
  const feast_avro_bad *bad = feast_avro_decoder_bad(f.dec, 0);
  if (bad) {
    CHECK_INT(bad->index, 4);
    CHECK_INT(bad->code, FEAST_E_INVALID);
    CHECK_INT(bad->offset, 1);
    CHECK_STR(bad->path, "ms");
    CHECK_CONTAINS(bad->message, "field ms at byte 1: timestamp overflow");
  }
  const feast_batch *b = finish(&f);
  if (b) {
    CHECK_INT(b->num_rows, 4);
    for (int i = 0; i < 4; i++) CHECK_INT(feast_array_get_int(col(b, "ns"), i), want[i]);
    CHECK_INT(feast_array_get_int(col(b, "ms"), 0), 5000);
    CHECK_INT(feast_array_get_int(col(b, "plain"), 0), 77); /* a plain long is microseconds */
  }
  teardown(&f);
  /* a date far enough out overflows microseconds too */
  const char *d = "{\"type\":\"record\",\"name\":\"D\",\"fields\":[{\"name\":\"d\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}}]}";
  feast_avro_column dc[] = {{"d", ts_us(), {0}}};
  if (!setup(&f, d, NULL, dc, 1)) return teardown(&f);
  e.n = 0;
  e_long(&e, INT32_MAX);
  CHECK_OK(feed(&f, &e, 0), &(feast_error){0});
  CHECK_INT(feast_avro_decoder_bad_count(f.dec), 1);
  teardown(&f);
}

/* ---- nested records, nullable records ---- */

static const char *nested_schema =
    "{\"type\":\"record\",\"name\":\"Trip\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\"},"
    "{\"name\":\"loc\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Loc\",\"fields\":["
    "  {\"name\":\"city\",\"type\":\"string\"},{\"name\":\"skipme\",\"type\":{\"type\":\"map\",\"values\":\"long\"}},"
    "  {\"name\":\"geo\",\"type\":{\"type\":\"record\",\"name\":\"Geo\",\"fields\":[{\"name\":\"lat\",\"type\":\"double\"}]}}]}]},"
    "{\"name\":\"tail\",\"type\":\"int\"}]}";

static void nested_paths(void) {
  feast_avro_column cols[] = {{"loc.geo.lat", dt(FEAST_DT_DOUBLE), {0}}, {"tail", dt(FEAST_DT_INT32), {0}},
                              {"loc.city", dt(FEAST_DT_STRING), {0}}};
  fixture f;
  if (!setup(&f, nested_schema, NULL, cols, 3)) return teardown(&f);
  enc e = {{0}, 0};
  e_long(&e, 7);
  e_long(&e, 1); /* Loc */
  e_str(&e, "Oslo");
  e_long(&e, 2); /* map block of 2 */
  e_str(&e, "a");
  e_long(&e, 1);
  e_str(&e, "b");
  e_long(&e, 2);
  e_long(&e, 0);
  e_double(&e, 59.9);
  e_long(&e, 42);
  CHECK_OK(feed(&f, &e, 0), &(feast_error){0});
  e.n = 0;
  e_long(&e, 8);
  e_long(&e, 0); /* null Loc: every column under it is null */
  e_long(&e, 43);
  CHECK_OK(feed(&f, &e, 1), &(feast_error){0});
  const feast_batch *b = finish(&f);
  if (b) {
    CHECK(feast_array_get_double(col(b, "loc.geo.lat"), 0) == 59.9);
    CHECK(str_is(col(b, "loc.city"), 0, "Oslo"));
    CHECK(!feast_array_is_valid(col(b, "loc.city"), 1) && !feast_array_is_valid(col(b, "loc.geo.lat"), 1));
    CHECK_INT(feast_array_get_int(col(b, "tail"), 1), 43);
  }
  teardown(&f);
}

static void column_refusals(void) {
  feast_avro_column c1[] = {{"loc.nope", dt(FEAST_DT_STRING), {0}}};
  CHECK_CONTAINS(compile_error(nested_schema, NULL, c1, 1), "column 'loc.nope': not in the Avro schema (no field 'nope' in record Loc)");
  feast_avro_column c2[] = {{"loc.skipme", dt(FEAST_DT_STRING), {0}}};
  CHECK_CONTAINS(compile_error(nested_schema, NULL, c2, 1), "maps are not supported as columns");
  feast_avro_column c3[] = {{"loc", dt(FEAST_DT_STRING), {0}}};
  CHECK_CONTAINS(compile_error(nested_schema, NULL, c3, 1), "record Loc is not a value: name one of its fields");
  feast_avro_column c4[] = {{"id", dt(FEAST_DT_INT32), {0}}};
  CHECK_CONTAINS(compile_error(nested_schema, NULL, c4, 1), "column 'id': long cannot be stored as int32 (it fits int64 or timestamp)");
  feast_avro_column c5[] = {{"id.x", dt(FEAST_DT_INT32), {0}}};
  CHECK_CONTAINS(compile_error(nested_schema, NULL, c5, 1), "'id' is long, not a record");
  feast_avro_column c6[] = {{"tail", dt(FEAST_DT_INT32), {0}}, {"tail", dt(FEAST_DT_INT64), {0}}};
  CHECK_CONTAINS(compile_error(nested_schema, NULL, c6, 2), "column 'tail' is asked for twice");
  feast_avro_column c7[] = {{"loc.city", dt(FEAST_DT_STRING), {0}}};
  CHECK_CONTAINS(compile_error("{\"type\":\"record\",\"name\":\"X\",\"fields\":[{\"name\":\"loc\",\"type\":[\"int\",\"string\"]}]}",
                               NULL, c7, 1),
                 "'loc' is [int, string], not a record");
}

/* ---- arrays ---- */

static void arrays_to_lists(void) {
  const char *s = "{\"type\":\"record\",\"name\":\"A\",\"fields\":["
                  "{\"name\":\"xs\",\"type\":[\"null\",{\"type\":\"array\",\"items\":[\"null\",\"long\"]}]},"
                  "{\"name\":\"ss\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
                  "{\"name\":\"skip\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":\"string\"}}}]}";
  feast_avro_column cols[] = {{"xs", dt(FEAST_DT_LIST), dt(FEAST_DT_INT64)}, {"ss", dt(FEAST_DT_LIST), dt(FEAST_DT_STRING)}};
  fixture f;
  if (!setup(&f, s, NULL, cols, 2)) return teardown(&f);
  enc e = {{0}, 0};
  e_long(&e, 1);
  e_long(&e, 3);
  e_long(&e, 1);
  e_long(&e, 10);
  e_long(&e, 0); /* a null item */
  e_long(&e, 1);
  e_long(&e, -30);
  e_long(&e, 0);
  e_long(&e, 1);
  e_str(&e, "x");
  e_long(&e, 0);
  e_long(&e, -1); /* skipped array given with its byte size */
  e_long(&e, 4);
  e_long(&e, 1);
  e_str(&e, "zz");
  e_long(&e, 0);
  CHECK_OK(feed(&f, &e, 0), &(feast_error){0});
  e.n = 0;
  e_long(&e, 0); /* null list */
  e_long(&e, 0); /* empty list */
  e_long(&e, 1); /* skipped, item by item */
  e_long(&e, 1);
  e_str(&e, "q");
  e_long(&e, 0);
  e_long(&e, 0);
  CHECK_OK(feed(&f, &e, 1), &(feast_error){0});
  const feast_batch *b = finish(&f);
  if (b) {
    const feast_array *xs = col(b, "xs"), *ss = col(b, "ss");
    CHECK_INT(xs->offsets[1], 3);
    CHECK_INT(xs->offsets[2], 3);
    CHECK(!feast_array_is_valid(xs, 1));
    CHECK(xs->child->length == 3 && !feast_array_is_valid(xs->child, 1) && feast_array_get_int(xs->child, 2) == -30);
    CHECK_INT(xs->child->null_count, 1);
    CHECK_INT(ss->offsets[2], 1);
    CHECK(feast_array_is_valid(ss, 1) && str_is(ss->child, 0, "x"));
  }
  teardown(&f);
  feast_avro_column bad[] = {{"skip", dt(FEAST_DT_LIST), dt(FEAST_DT_STRING)}};
  CHECK_CONTAINS(compile_error(s, NULL, bad, 1), "lists of lists are not supported");
}

/* ---- resolution ---- */

static void promotions(void) {
  const char *w = "{\"type\":\"record\",\"name\":\"P\",\"fields\":["
                  "{\"name\":\"il\",\"type\":\"int\"},{\"name\":\"if\",\"type\":\"int\"},{\"name\":\"id\",\"type\":\"int\"},"
                  "{\"name\":\"lf\",\"type\":\"long\"},{\"name\":\"ld\",\"type\":\"long\"},{\"name\":\"fd\",\"type\":\"float\"},"
                  "{\"name\":\"sb\",\"type\":\"string\"},{\"name\":\"bs\",\"type\":\"bytes\"},"
                  "{\"name\":\"ifd\",\"type\":\"int\"}]}";
  const char *r = "{\"type\":\"record\",\"name\":\"P\",\"fields\":["
                  "{\"name\":\"il\",\"type\":\"long\"},{\"name\":\"if\",\"type\":\"float\"},{\"name\":\"id\",\"type\":\"double\"},"
                  "{\"name\":\"lf\",\"type\":\"float\"},{\"name\":\"ld\",\"type\":\"double\"},{\"name\":\"fd\",\"type\":\"double\"},"
                  "{\"name\":\"sb\",\"type\":\"bytes\"},{\"name\":\"bs\",\"type\":\"string\"},"
                  "{\"name\":\"ifd\",\"type\":\"float\"}]}";
  feast_avro_column cols[] = {{"il", dt(FEAST_DT_INT64), {0}},  {"if", dt(FEAST_DT_FLOAT), {0}},
                              {"id", dt(FEAST_DT_DOUBLE), {0}}, {"lf", dt(FEAST_DT_FLOAT), {0}},
                              {"ld", dt(FEAST_DT_DOUBLE), {0}}, {"fd", dt(FEAST_DT_DOUBLE), {0}},
                              {"sb", dt(FEAST_DT_BINARY), {0}}, {"bs", dt(FEAST_DT_STRING), {0}},
                              {"ifd", dt(FEAST_DT_DOUBLE), {0}}};
  fixture f;
  if (!setup(&f, w, r, cols, 9)) return teardown(&f);
  enc e = {{0}, 0};
  e_long(&e, -5);
  e_long(&e, 16777217); /* not a float: rounds */
  e_long(&e, 16777217);
  e_long(&e, INT64_C(9007199254740993));
  e_long(&e, INT64_C(9007199254740993));
  e_float(&e, 0.1f);
  e_str(&e, "s\xff"); /* string read as bytes: not checked as UTF-8 */
  e_str(&e, "ok");
  e_long(&e, 16777217); /* int read as reader float, stored in a double column: float's rounding */
  CHECK_OK(feed(&f, &e, 0), &(feast_error){0});
  CHECK_INT(feast_avro_decoder_bad_count(f.dec), 0);
  const feast_batch *b = finish(&f);
  if (b) {
    CHECK_INT(feast_array_get_int(col(b, "il"), 0), -5);
    CHECK(feast_array_get_double(col(b, "if"), 0) == 16777216.0);
    CHECK(feast_array_get_double(col(b, "id"), 0) == 16777217.0);
    CHECK(feast_array_get_double(col(b, "lf"), 0) == (double)(float)INT64_C(9007199254740993));
    CHECK(feast_array_get_double(col(b, "ld"), 0) == 9007199254740992.0);
    CHECK(feast_array_get_double(col(b, "fd"), 0) == (double)0.1f);
    size_t n;
    const uint8_t *p = feast_array_get_bytes(col(b, "sb"), 0, &n);
    CHECK(n == 2 && p[1] == 0xff);
    CHECK(str_is(col(b, "bs"), 0, "ok"));
    CHECK(feast_array_get_double(col(b, "ifd"), 0) == 16777216.0);
  }
  teardown(&f);
  /* no demotion */
  feast_avro_column c[] = {{"il", dt(FEAST_DT_INT32), {0}}};
  CHECK_CONTAINS(compile_error("{\"type\":\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"il\",\"type\":\"long\"}]}",
                               "{\"type\":\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"il\",\"type\":\"int\"}]}", c, 1),
                 "field il: writer long cannot be read as reader int");
}

static void fields_reordered_added_removed(void) {
  const char *w = "{\"type\":\"record\",\"name\":\"V\",\"fields\":["
                  "{\"name\":\"gone_u\",\"type\":[\"null\",\"string\",{\"type\":\"array\",\"items\":\"float\"}]},"
                  "{\"name\":\"b\",\"type\":\"string\"},"
                  "{\"name\":\"gone_m\",\"type\":{\"type\":\"map\",\"values\":{\"type\":\"record\",\"name\":\"G\",\"fields\":"
                  "[{\"name\":\"g\",\"type\":\"double\"},{\"name\":\"h\",\"type\":\"boolean\"}]}}},"
                  "{\"name\":\"old_a\",\"type\":\"long\"},"
                  "{\"name\":\"gone_f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":5}}]}";
  const char *r = "{\"type\":\"record\",\"name\":\"V\",\"fields\":["
                  "{\"name\":\"a\",\"type\":\"long\",\"aliases\":[\"old_a\"]},"
                  "{\"name\":\"new_l\",\"type\":\"long\",\"default\":-7},"
                  "{\"name\":\"new_s\",\"type\":[\"null\",\"string\"],\"default\":null},"
                  "{\"name\":\"new_t\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"},\"default\":1000},"
                  "{\"name\":\"new_arr\",\"type\":{\"type\":\"array\",\"items\":\"int\"},\"default\":[1,2,3]},"
                  "{\"name\":\"new_rec\",\"type\":{\"type\":\"record\",\"name\":\"NR\",\"fields\":[{\"name\":\"x\",\"type\":\"string\"},"
                  "{\"name\":\"y\",\"type\":\"int\",\"default\":5}]},\"default\":{\"x\":\"dx\"}},"
                  "{\"name\":\"new_b\",\"type\":\"bytes\",\"default\":\"\\u00ff\\u0000a\"},"
                  "{\"name\":\"new_e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"P\",\"Q\"]},\"default\":\"Q\"},"
                  "{\"name\":\"b\",\"type\":\"string\"}]}";
  feast_avro_column cols[] = {{"b", dt(FEAST_DT_STRING), {0}},       {"a", dt(FEAST_DT_INT64), {0}},
                              {"new_l", dt(FEAST_DT_INT64), {0}},    {"new_s", dt(FEAST_DT_STRING), {0}},
                              {"new_t", ts_us(), {0}},               {"new_arr", dt(FEAST_DT_LIST), dt(FEAST_DT_INT32)},
                              {"new_rec.x", dt(FEAST_DT_STRING), {0}}, {"new_rec.y", dt(FEAST_DT_INT64), {0}},
                              {"new_b", dt(FEAST_DT_BINARY), {0}},   {"new_e", dt(FEAST_DT_STRING), {0}}};
  fixture f;
  if (!setup(&f, w, r, cols, 10)) return teardown(&f);
  for (int k = 0; k < 3; k++) {
    enc e = {{0}, 0};
    e_long(&e, k); /* union branch k */
    if (k == 1) e_str(&e, "gone");
    if (k == 2) {
      e_long(&e, 2);
      e_float(&e, 1);
      e_float(&e, 2);
      e_long(&e, 0);
    }
    e_str(&e, k ? "bee" : "b");
    e_long(&e, 1);
    e_str(&e, "key");
    e_double(&e, 3);
    e_bool(&e, 1);
    e_long(&e, 0);
    e_long(&e, 100 + k);
    e_raw(&e, "12345", 5);
    CHECK_OK(feed(&f, &e, (size_t)k), &(feast_error){0});
  }
  CHECK_INT(feast_avro_decoder_bad_count(f.dec), 0);
  const feast_batch *b = finish(&f);
  if (b) {
    CHECK_INT(b->num_rows, 3);
    CHECK(str_is(col(b, "b"), 2, "bee"));
    CHECK_INT(feast_array_get_int(col(b, "a"), 2), 102);
    CHECK_INT(feast_array_get_int(col(b, "new_l"), 1), -7);
    CHECK_INT(col(b, "new_s")->null_count, 3);
    CHECK_INT(feast_array_get_int(col(b, "new_t"), 0), 1000000);
    const feast_array *l = col(b, "new_arr");
    CHECK(l->offsets[3] == 9 && feast_array_get_int(l->child, 8) == 3);
    CHECK(str_is(col(b, "new_rec.x"), 1, "dx"));
    CHECK_INT(feast_array_get_int(col(b, "new_rec.y"), 1), 5);
    size_t n;
    const uint8_t *p = feast_array_get_bytes(col(b, "new_b"), 0, &n);
    CHECK(n == 3 && p[0] == 0xff && p[1] == 0 && p[2] == 'a');
    CHECK(str_is(col(b, "new_e"), 0, "Q"));
  }
  teardown(&f);
  /* a reader field without a default that the writer lacks */
  feast_avro_column c[] = {{"b", dt(FEAST_DT_STRING), {0}}};
  CHECK_CONTAINS(compile_error(w, "{\"type\":\"record\",\"name\":\"V\",\"fields\":[{\"name\":\"b\",\"type\":\"string\"},"
                                  "{\"name\":\"must\",\"type\":\"int\"}]}",
                               c, 1),
                 "reader field 'must' of record V is not in the writer's record V and has no default");
  /* a default that does not fit */
  feast_avro_column c2[] = {{"z", dt(FEAST_DT_INT64), {0}}};
  CHECK_CONTAINS(compile_error(w, "{\"type\":\"record\",\"name\":\"V\",\"fields\":[{\"name\":\"z\",\"type\":\"long\",\"default\":\"x\"}]}",
                               c2, 1),
                 "field z: the default does not fit long: expected an integer");
  /* record names must match */
  CHECK_CONTAINS(compile_error(w, "{\"type\":\"record\",\"name\":\"Other\",\"fields\":[{\"name\":\"b\",\"type\":\"string\"}]}", c, 1),
                 "writer record V cannot be read as reader record Other");
}

static void enums_resolve(void) {
  const char *w = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
                  "\"symbols\":[\"A\",\"B\",\"C\"]}}]}";
  const char *r = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
                  "\"symbols\":[\"C\",\"A\",\"UNKNOWN\"],\"default\":\"UNKNOWN\"}}]}";
  const char *r_nodef = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
                        "\"symbols\":[\"C\",\"A\"]}}]}";
  feast_avro_column cols[] = {{"e", dt(FEAST_DT_STRING), {0}}};
  fixture f;
  if (!setup(&f, w, r, cols, 1)) return teardown(&f);
  const char *want[] = {"A", "UNKNOWN", "C"};
  for (int i = 0; i < 3; i++) {
    enc e = {{0}, 0};
    e_long(&e, i);
    CHECK_OK(feed(&f, &e, (size_t)i), &(feast_error){0});
  }
  enc e = {{0}, 0};
  e_long(&e, 3);
  CHECK_OK(feed(&f, &e, 3), &(feast_error){0});
  CHECK_INT(feast_avro_decoder_bad_count(f.dec), 1);
  if (feast_avro_decoder_bad_count(f.dec)) CHECK_CONTAINS(feast_avro_decoder_bad(f.dec, 0)->message, "bad enum index 3 (the enum has 3 symbols)");
  const feast_batch *b = finish(&f);
  for (int i = 0; b && i < 3; i++) CHECK(str_is(col(b, "e"), i, want[i]));
  teardown(&f);
  if (!setup(&f, w, r_nodef, cols, 1)) return teardown(&f);
  e.n = 0;
  e_long(&e, 1);
  CHECK_OK(feed(&f, &e, 0), &(feast_error){0});
  CHECK_INT(feast_avro_decoder_bad_count(f.dec), 1);
  if (feast_avro_decoder_bad_count(f.dec)) {
    CHECK_INT(feast_avro_decoder_bad(f.dec, 0)->code, FEAST_E_INVALID);
    CHECK_CONTAINS(feast_avro_decoder_bad(f.dec, 0)->message, "enum symbol 'B' is not in the reader's enum");
  }
  teardown(&f);
}

static void unions_resolve(void) {
  /* writer union, reader plain: a branch the reader cannot take fails that datum only */
  const char *w = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"v\",\"type\":[\"int\",\"string\",\"null\"]}]}";
  const char *r = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"v\",\"type\":\"long\"}]}";
  feast_avro_column cols[] = {{"v", dt(FEAST_DT_INT64), {0}}};
  fixture f;
  if (!setup(&f, w, r, cols, 1)) return teardown(&f);
  enc e = {{0}, 0};
  e_long(&e, 0);
  e_long(&e, -9);
  CHECK_OK(feed(&f, &e, 0), &(feast_error){0});
  e.n = 0;
  e_long(&e, 1);
  e_str(&e, "x");
  CHECK_OK(feed(&f, &e, 1), &(feast_error){0});
  e.n = 0;
  e_long(&e, 2);
  CHECK_OK(feed(&f, &e, 2), &(feast_error){0});
  CHECK_INT(feast_avro_decoder_bad_count(f.dec), 2);
  if (feast_avro_decoder_bad_count(f.dec) == 2) {
    CHECK_CONTAINS(feast_avro_decoder_bad(f.dec, 0)->message, "field v at byte 1: the datum's union branch string cannot be read as reader long");
    CHECK_CONTAINS(feast_avro_decoder_bad(f.dec, 1)->message, "branch null cannot be read");
  }
  const feast_batch *b = finish(&f);
  if (b) CHECK(b->num_rows == 1 && feast_array_get_int(col(b, "v"), 0) == -9);
  teardown(&f);
  /* writer plain, reader union: the first branch that matches (here double, before long) */
  const char *w2 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"}]}";
  const char *r2 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"v\",\"type\":[\"null\",\"double\",\"long\"]}]}";
  feast_avro_column c2[] = {{"v", dt(FEAST_DT_DOUBLE), {0}}};
  CHECK_CONTAINS(compile_error(w2, r2, c2, 1), "column 'v': long cannot be stored as double"); /* its long branch */
  const char *r3 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"v\",\"type\":[\"null\",\"string\",\"double\"]}]}";
  CHECK_CONTAINS(compile_error(w2, r3, c2, 1), "string cannot be stored as double");
  const char *r4 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"v\",\"type\":[\"null\",\"float\",\"double\"]}]}";
  if (!setup(&f, w2, r4, c2, 1)) return teardown(&f);
  e.n = 0;
  e_long(&e, 16777217);
  CHECK_OK(feed(&f, &e, 0), &(feast_error){0});
  b = finish(&f);
  if (b) CHECK(feast_array_get_double(col(b, "v"), 0) == 16777216.0); /* read as the float branch */
  teardown(&f);
  /* writer [null, T] against reader [null, T'] with a promotion, and reader [T, null] order */
  const char *w5 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"v\",\"type\":[\"null\",\"int\"]}]}";
  const char *r5 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"v\",\"type\":[\"long\",\"null\"]}]}";
  feast_avro_column c5[] = {{"v", dt(FEAST_DT_INT64), {0}}};
  if (!setup(&f, w5, r5, c5, 1)) return teardown(&f);
  e.n = 0;
  e_long(&e, 1);
  e_long(&e, 300);
  CHECK_OK(feed(&f, &e, 0), &(feast_error){0});
  e.n = 0;
  e_long(&e, 0);
  CHECK_OK(feed(&f, &e, 1), &(feast_error){0});
  b = finish(&f);
  if (b) CHECK(feast_array_get_int(col(b, "v"), 0) == 300 && !feast_array_is_valid(col(b, "v"), 1));
  teardown(&f);
}

/* ---- bad datums ---- */

static const char *bad_schema = "{\"type\":\"record\",\"name\":\"B\",\"fields\":["
                                "{\"name\":\"id\",\"type\":\"long\"},"
                                "{\"name\":\"name\",\"type\":\"string\"},"
                                "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
                                "{\"name\":\"opt\",\"type\":[\"null\",\"int\"]},"
                                "{\"name\":\"ok\",\"type\":\"boolean\"}]}";
static const feast_avro_column bad_cols[] = {{"id", {FEAST_DT_INT64}, {0}},
                                             {"name", {FEAST_DT_STRING}, {0}},
                                             {"tags", {FEAST_DT_LIST}, {FEAST_DT_STRING}},
                                             {"opt", {FEAST_DT_INT32}, {0}},
                                             {"ok", {FEAST_DT_BOOL}, {0}}};

static void good_row(enc *e, int k) {
  e->n = 0;
  e_long(e, k);
  e_str(e, "name");
  e_long(e, 2);
  e_str(e, "t1");
  e_str(e, "t2");
  e_long(e, 0);
  e_long(e, 0);
  e_bool(e, 1);
}

typedef struct bad_case {
  const char *what;
  void (*make)(enc *);
  const char *needle;
  size_t offset;
  feast_code code;
} bad_case;

static void mk_truncated(enc *e) {
  good_row(e, 1);
  e->n -= 3; /* inside tags */
}
static void mk_union(enc *e) {
  good_row(e, 1);
  e->b[e->n - 2] = 4; /* union index 2 */
}
static void mk_neglen(enc *e) {
  e->n = 0;
  e_long(e, 1);
  e_long(e, -3);
}
static void mk_varint(enc *e) {
  e->n = 0;
  for (int i = 0; i < 10; i++) e->b[e->n++] = 0xff;
  e->b[e->n++] = 0x01;
}
static void mk_int_overflow(enc *e) {
  good_row(e, 1);
  e->n -= 2;
  e_long(e, 1);
  e_long(e, INT64_C(1) << 33); /* no int */
  e_bool(e, 1);
}
static void mk_utf8(enc *e) {
  e->n = 0;
  e_long(e, 1);
  e_str(e, "ok\xed\xa0\x80"); /* a surrogate */
}
static void mk_utf8_tag(enc *e) {
  good_row(e, 1);
  e->b[8] = 0xc0; /* 't1' -> an overlong lead byte */
}
static void mk_bool(enc *e) {
  good_row(e, 1);
  e->b[e->n - 1] = 2;
}
static void mk_trailing(enc *e) {
  good_row(e, 1);
  e_bool(e, 0);
  e_bool(e, 0);
}
static void mk_empty(enc *e) { e->n = 0; }
static void mk_items(enc *e) {
  e->n = 0;
  e_long(e, 1);
  e_str(e, "n");
  e_long(e, 1000); /* 1000 strings in 3 bytes */
  e_str(e, "a");
}

static void bad_datums_reported(void) {
  bad_case cases[] = {
      {"truncated", mk_truncated, "field tags[] at byte 13: truncated", 13, FEAST_E_CORRUPT},
      {"union index", mk_union, "field opt at byte 14: bad union index 2 (the union has 2 branches)", 14, FEAST_E_CORRUPT},
      {"negative length", mk_neglen, "field name at byte 1: negative length -3", 1, FEAST_E_CORRUPT},
      {"varint", mk_varint, "field id at byte 0: varint overflow: more bytes than a 64-bit long holds", 0, FEAST_E_CORRUPT},
      {"int", mk_int_overflow, "field opt at byte 15: varint overflow: more bytes than a 32-bit int holds", 15, FEAST_E_CORRUPT},
      {"utf8", mk_utf8, "field name at byte 1: invalid UTF-8 in a string", 1, FEAST_E_CORRUPT},
      {"utf8 in a list", mk_utf8_tag, "field tags[] at byte 7: invalid UTF-8", 7, FEAST_E_CORRUPT},
      {"bool", mk_bool, "field ok at byte 15: bad boolean byte 0x02", 15, FEAST_E_CORRUPT},
      {"trailing", mk_trailing, "at byte 16: 2 bytes left over after the datum", 16, FEAST_E_CORRUPT},
      {"empty", mk_empty, "field id at byte 0: truncated", 0, FEAST_E_CORRUPT},
      {"items", mk_items, "field tags[] at byte 3: truncated", 3, FEAST_E_CORRUPT},
  };
  size_t nc = sizeof cases / sizeof *cases;
  fixture f;
  if (!setup(&f, bad_schema, NULL, bad_cols, 5)) return teardown(&f);
  /* good, bad, good, bad, ...: only the good ones become rows */
  enc e;
  size_t idx = 0;
  for (size_t i = 0; i < nc; i++) {
    good_row(&e, (int)i);
    CHECK_OK(feed(&f, &e, idx++), &(feast_error){0});
    cases[i].make(&e);
    CHECK_OK(feed(&f, &e, idx++), &(feast_error){0});
  }
  CHECK_INT(feast_avro_decoder_bad_count(f.dec), nc);
  for (size_t i = 0; i < nc && i < feast_avro_decoder_bad_count(f.dec); i++) {
    const feast_avro_bad *b = feast_avro_decoder_bad(f.dec, i);
    CHECK_INT(b->index, 2 * i + 1);
    CHECK_INT(b->offset, cases[i].offset);
    CHECK_INT(b->code, cases[i].code);
    CHECK_CONTAINS(b->message, cases[i].needle);
  }
  const feast_batch *b = finish(&f);
  if (b) {
    CHECK_INT(b->num_rows, (int64_t)nc);
    for (int c = 0; c < b->num_columns; c++) CHECK_INT(b->columns[c]->length, (int64_t)nc);
    const feast_array *tags = col(b, "tags"), *name = col(b, "name");
    CHECK_INT(tags->child->length, 2 * (int64_t)nc); /* no stray elements from the bad ones */
    CHECK_INT(tags->child->data_len, 4 * (int64_t)nc);
    CHECK_INT(name->data_len, 4 * (int64_t)nc);
    CHECK_INT(col(b, "opt")->null_count, (int64_t)nc);
    for (size_t i = 0; i < nc; i++) {
      CHECK_INT(feast_array_get_int(col(b, "id"), (int64_t)i), (int64_t)i);
      CHECK(str_is(tags->child, 2 * (int64_t)i + 1, "t2"));
      CHECK(feast_bit_get(col(b, "ok")->values, (int64_t)i));
    }
  }
  teardown(&f);
}

/* A null stored by a bad datum must not leave a null count or bitmap behind. */
static void bad_datum_after_null_leaves_nothing(void) {
  const char *s = "{\"type\":\"record\",\"name\":\"N\",\"fields\":[{\"name\":\"a\",\"type\":[\"null\",\"string\"]},"
                  "{\"name\":\"b\",\"type\":\"long\"}]}";
  feast_avro_column cols[] = {{"a", dt(FEAST_DT_STRING), {0}}, {"b", dt(FEAST_DT_INT64), {0}}};
  fixture f;
  if (!setup(&f, s, NULL, cols, 2)) return teardown(&f);
  enc e = {{0}, 0};
  e_long(&e, 1);
  e_str(&e, "x");
  e_long(&e, 1);
  CHECK_OK(feed(&f, &e, 0), &(feast_error){0});
  e.n = 0;
  e_long(&e, 0); /* null, then a truncated long */
  e.b[e.n++] = 0x80;
  CHECK_OK(feed(&f, &e, 1), &(feast_error){0});
  e.n = 0;
  e_long(&e, 1);
  e_str(&e, "y");
  e_long(&e, 2);
  CHECK_OK(feed(&f, &e, 2), &(feast_error){0});
  const feast_batch *b = finish(&f);
  if (b) {
    CHECK_INT(b->num_rows, 2);
    CHECK_INT(col(b, "a")->null_count, 0);
    CHECK(feast_array_is_valid(col(b, "a"), 1) && str_is(col(b, "a"), 1, "y"));
  }
  teardown(&f);
}


/* The reuse path: peek at the rows, reset, decode again into the same buffers. */
static void peek_and_reset(void) {
  fixture f;
  if (!setup(&f, bad_schema, NULL, bad_cols, 5)) return teardown(&f);
  feast_error err;
  CHECK_OK(feast_avro_decoder_reserve(f.dec, 1000, 8, &err), &err);
  enc e;
  for (int i = 0; i < 3; i++) {
    good_row(&e, i);
    if (i == 1) e.b[e.n - 2] = 2, e.b[e.n - 1] = 10, e_bool(&e, 0); /* opt = 5, ok = false */
    CHECK_OK(feed(&f, &e, (size_t)i), &err);
  }
  const feast_batch *b = feast_avro_decoder_peek(f.dec);
  CHECK(b && b->num_rows == 3);
  if (b) {
    CHECK_INT(col(b, "opt")->null_count, 2);
    CHECK_INT(feast_array_get_int(col(b, "opt"), 1), 5);
  }
  feast_avro_decoder_reset(f.dec);
  CHECK_INT(feast_avro_decoder_rows(f.dec), 0);
  good_row(&e, 7);
  e.b[e.n - 2] = 2, e.b[e.n - 1] = 12, e_bool(&e, 1);
  CHECK_OK(feed(&f, &e, 0), &err);
  b = feast_avro_decoder_peek(f.dec);
  CHECK(b && b->num_rows == 1);
  if (b) {
    CHECK_INT(col(b, "opt")->null_count, 0);
    CHECK(col(b, "opt")->validity == NULL);
    CHECK_INT(feast_array_get_int(col(b, "id"), 0), 7);
    CHECK_INT(feast_array_get_int(col(b, "opt"), 0), 6);
    CHECK(str_is(col(b, "tags")->child, 1, "t2"));
    CHECK_INT(col(b, "tags")->child->length, 2);
  }
  /* finish after a peek hands the same rows out */
  const feast_batch *out = finish(&f);
  if (out) CHECK(out->num_rows == 1 && feast_array_get_int(col(out, "id"), 0) == 7);
  teardown(&f);
}


/* ---- Confluent framing ---- */

static int lookups;
static feast_code fake_registry(void *ctx, uint32_t id, const char **json, size_t *len, feast_error *err) {
  (void)ctx;
  lookups++;
  static const char *w1 = "{\"type\":\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"ok\",\"type\":\"boolean\"},"
                          "{\"name\":\"id\",\"type\":\"int\"}]}";
  if (id == 1) {
    *json = w1;
    *len = strlen(w1);
    return FEAST_OK;
  }
  if (id == 2) return feast_fail_retriable(err, FEAST_E_CONNECT, "registry down");
  if (id == 4) {
    *json = "{\"type\":\"record\",\"name\":\"Other\",\"fields\":[]}";
    *len = strlen(*json);
    return FEAST_OK;
  }
  return feast_fail(err, FEAST_E_NOT_FOUND, "no schema %u", id);
}

static void confluent_framing(void) {
  const char *reader = "{\"type\":\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"
                       "{\"name\":\"name\",\"type\":\"string\",\"default\":\"?\"},{\"name\":\"ok\",\"type\":\"boolean\"}]}";
  feast_avro_column cols[] = {{"id", dt(FEAST_DT_INT64), {0}}, {"name", dt(FEAST_DT_STRING), {0}}, {"ok", dt(FEAST_DT_BOOL), {0}}};
  feast_error err;
  feast_avro_confluent *c = NULL;
  feast_avro_decoder *d = NULL;
  CHECK_OK(feast_avro_confluent_new(reader, cols, 3, fake_registry, NULL, &c, &err), &err);
  CHECK_OK(feast_avro_decoder_new(cols, 3, &d, &err), &err);
  if (!c || !d) goto out;
  uint8_t good[] = {0, 0, 0, 0, 1, 1, 0x54}; /* ok = true, id = 42 */
  uint8_t down[] = {0, 0, 0, 0, 2, 1, 2};
  uint8_t unknown[] = {0, 0, 0, 0, 3, 1, 2};
  uint8_t other[] = {0, 0, 0, 0, 4};
  uint8_t magic[] = {1, 0, 0, 0, 1, 1, 2};
  uint8_t shortm[] = {0, 0, 1};
  uint8_t trunc[] = {0, 0, 0, 0, 1, 1};
  feast_avro_msg m1[] = {{good, sizeof good}, {down, sizeof down}};
  size_t done = 99;
  lookups = 0;
  CHECK_INT(feast_avro_confluent_decode(c, d, m1, 2, &done, &err), FEAST_E_CONNECT);
  CHECK(err.retriable);
  CHECK_CONTAINS(err.message, "schema id 2: registry down");
  CHECK_INT(done, 0);
  CHECK_INT(feast_avro_decoder_rows(d), 0); /* nothing added before the registry answers */
  feast_avro_msg m2[] = {{good, sizeof good}, {unknown, sizeof unknown}, {other, sizeof other}, {magic, sizeof magic},
                         {shortm, sizeof shortm}, {trunc, sizeof trunc}, {good, sizeof good}, {unknown, sizeof unknown}};
  CHECK_OK(feast_avro_confluent_decode(c, d, m2, 8, &done, &err), &err);
  CHECK_INT(done, 8);
  CHECK_INT(feast_avro_decoder_rows(d), 2);
  CHECK_INT(lookups, 4); /* 1 (cached after the first call), 2, 3, 4: each once */
  CHECK_INT(feast_avro_confluent_cached(c), 3);
  CHECK_INT(feast_avro_decoder_bad_count(d), 6);
  const char *want[] = {"no schema 3", "schema id 4 against the reader schema: writer record Other cannot be read as reader record B",
                        "magic byte 0x01", "shorter than the 5-byte Confluent header", "field id at byte 6: truncated", "no schema 3"};
  size_t idx[] = {1, 2, 3, 4, 5, 7};
  for (size_t i = 0; i < 6 && i < feast_avro_decoder_bad_count(d); i++) {
    CHECK_INT(feast_avro_decoder_bad(d, i)->index, idx[i]);
    CHECK_CONTAINS(feast_avro_decoder_bad(d, i)->message, want[i]);
  }
  CHECK_INT(feast_avro_decoder_bad(d, 0)->code, FEAST_E_NOT_FOUND);
  CHECK_INT(feast_avro_decoder_bad(d, 4)->offset, 6);
  feast_batch *b = NULL;
  CHECK_OK(feast_avro_decoder_finish(d, &b, &err), &err);
  if (b) {
    CHECK_INT(feast_array_get_int(col(b, "id"), 1), 42);
    CHECK(str_is(col(b, "name"), 0, "?"));
    CHECK(feast_bit_get(col(b, "ok")->values, 0));
  }
  feast_batch_free(b);
out:
  feast_avro_decoder_free(d);
  feast_avro_confluent_free(c);
}

/* ---- blocks ---- */

static void block_of_datums(void) {
  fixture f;
  if (!setup(&f, bad_schema, NULL, bad_cols, 5)) return teardown(&f);
  uint8_t block[1024];
  size_t n = 0;
  enc e;
  for (int i = 0; i < 5; i++) {
    good_row(&e, i);
    memcpy(block + n, e.b, e.n);
    n += e.n;
  }
  feast_error err;
  int64_t rows;
  CHECK_OK(feast_avro_decode_block(f.dec, f.plan, block, n, 5, &rows, &err), &err);
  CHECK_INT(rows, 5);
  CHECK_INT(feast_avro_decode_block(f.dec, f.plan, block, n, 4, &rows, &err), FEAST_E_CORRUPT);
  CHECK_CONTAINS(err.message, "16 bytes left over after its 4 datums");
  block[16 + 15] = 7; /* datum 1's boolean */
  CHECK_INT(feast_avro_decode_block(f.dec, f.plan, block, n, 5, &rows, &err), FEAST_E_CORRUPT);
  CHECK_INT(rows, 1);
  CHECK_CONTAINS(err.message, "datum 1 of 5, field ok at byte 31 of the block: bad boolean byte 0x07");
  CHECK_INT(feast_avro_decoder_rows(f.dec), 5 + 4 + 1);
  const feast_batch *b = finish(&f);
  if (b) CHECK_INT(col(b, "tags")->child->length, 20);
  teardown(&f);
}


/* Named types used many times expand exponentially: a small schema must
 * be refused, not compiled forever. */
static void expanding_schema_refused(void) {
  /* field k defines record Rk with four fields of type R(k-1): 4^24 longs */
  static char json[16384];
  size_t n = (size_t)snprintf(json, sizeof json,
                              "{\"type\":\"record\",\"name\":\"Top\",\"fields\":[{\"name\":\"f0\",\"type\":"
                              "{\"type\":\"record\",\"name\":\"R0\",\"fields\":[{\"name\":\"x\",\"type\":\"long\"}]}}");
  for (int k = 1; k <= 24; k++) {
    n += (size_t)snprintf(json + n, sizeof json - n, ",{\"name\":\"f%d\",\"type\":{\"type\":\"record\",\"name\":\"R%d\",\"fields\":[", k, k);
    for (int j = 0; j < 4; j++)
      n += (size_t)snprintf(json + n, sizeof json - n, "%s{\"name\":\"a%d\",\"type\":\"R%d\"}", j ? "," : "", j, k - 1);
    n += (size_t)snprintf(json + n, sizeof json - n, "]}}");
  }
  snprintf(json + n, sizeof json - n, "]}");
  feast_avro_schema *s = schema(json);
  if (!s) return;
  feast_avro_column c[] = {{"f0.x", dt(FEAST_DT_INT64), {0}}};
  feast_avro_plan *p = NULL;
  feast_error err;
  CHECK_INT(feast_avro_plan_compile(s->root, s->root, c, 1, &p, &err), FEAST_E_TOO_BIG);
  CHECK_CONTAINS(err.message, "expand to more than");
  feast_avro_plan_free(p);
  feast_avro_schema_free(s);
}

/* ---- out of memory at every allocation ---- */

static void every_allocation_can_fail(void) {
  feast_avro_schema *s = schema(every_schema);
  if (!s) return;
  enc e;
  every_row(&e, 1, false);
  int failures = 0;
  for (long k = 0; k < 400; k++) {
    feast_error err;
    feast_avro_plan *p = NULL;
    feast_avro_decoder *d = NULL;
    feast_batch *b = NULL;
    feast_alloc_fail_after(k);
    feast_code rc = feast_avro_plan_compile(s->root, s->root, every_cols, N_EVERY, &p, &err);
    if (!rc) rc = feast_avro_decoder_new(every_cols, N_EVERY, &d, &err);
    for (int i = 0; i < 40 && !rc; i++) rc = feast_avro_decode_one(d, p, e.b, e.n, (size_t)i, &err);
    if (!rc) rc = feast_avro_decoder_finish(d, &b, &err);
    feast_alloc_fail_after(-1);
    if (rc) {
      failures++;
      CHECK_INT(rc, FEAST_E_NOMEM);
    } else {
      CHECK_INT(b->num_rows, 40);
    }
    feast_batch_free(b);
    feast_avro_decoder_free(d);
    feast_avro_plan_free(p);
  }
  CHECK(failures > 10);
  feast_avro_schema_free(s);
}

/* ---- the apply-time check on the new parser ---- */

static void check_sees_logical_types(void) {
  const char *s = "{\"type\":\"record\",\"name\":\"T\",\"fields\":["
                  "{\"name\":\"day\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
                  "{\"name\":\"n\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\"}]},"
                  "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}},"
                  "{\"name\":\"i\",\"type\":\"int\"},"
                  "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\"}}]}";
  feast_column_req ok[] = {{"event timestamp", "day", "day", FEAST_VT_UNIX_TIMESTAMP},
                           {"created timestamp", "n", "n", FEAST_VT_UNIX_TIMESTAMP},
                           {"feature", "e", "e", FEAST_VT_STRING},
                           {"feature", "i", "i", FEAST_VT_INT32}};
  feast_error err;
  CHECK_OK(feast_avro_check_columns(s, ok, 4, &err), &err);
  feast_column_req bad[] = {{"event timestamp", "i", "i", FEAST_VT_UNIX_TIMESTAMP},
                            {"feature", "m", "m", FEAST_VT_STRING}};
  CHECK_INT(feast_avro_check_columns(s, bad, 2, &err), FEAST_E_SCHEMA);
  CHECK_CONTAINS(err.message, "column 'i' (event timestamp i): expected long (optionally timestamp-millis/micros/nanos) or int (date) for UNIX_TIMESTAMP, found int");
  CHECK_CONTAINS(err.message, "column 'm' (feature m): expected string or enum for STRING, found map<string>");
  CHECK_INT(feast_avro_check_record_schema("{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"n\",\"type\":\"L\"}]}", &err),
            FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "not a valid Avro schema: schema: line 1, column 58: field n: recursive type");
}

TEST_MAIN(T(parse_every_type), T(parse_refusals), T(decode_every_type), T(timestamps_round_and_overflow),
          T(nested_paths), T(column_refusals), T(arrays_to_lists), T(promotions), T(fields_reordered_added_removed),
          T(enums_resolve), T(unions_resolve), T(bad_datums_reported), T(bad_datum_after_null_leaves_nothing), T(peek_and_reset), T(confluent_framing),
          T(block_of_datums), T(expanding_schema_refused), T(every_allocation_can_fail), T(check_sees_logical_types))
