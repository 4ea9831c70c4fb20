/*
 * json_test.c - the JSON reader (pull tokens, tree, limits, errors with
 * line and column) and writer (separators, escaping, numbers), and a
 * random round trip through both.
 */
#include "format/json/json_reader.h"
#include "format/json/json_writer.h"
#include "test.h"

static int tokens(const char *text, feast_json_kind *kinds, int max, feast_error *err) {
  feast_json_reader r;
  if (feast_json_reader_init(&r, text, strlen(text), "t.json", NULL, err)) return -1;
  int n = 0;
  for (;;) {
    feast_json_token t;
    if (feast_json_next(&r, &t, err)) {
      n = -1;
      break;
    }
    if (n < max) kinds[n] = t.kind;
    n++;
    if (t.kind == FEAST_JSON_END) break;
  }
  feast_json_reader_free(&r);
  return n;
}

static void pull_tokens(void) {
  feast_error err;
  const char *doc = " {\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\": \"x\\n\\u00e9\\ud83d\\ude00\"}, \"d\": []}\n";
  feast_json_reader r;
  CHECK_OK(feast_json_reader_init(&r, doc, strlen(doc), "t.json", NULL, &err), &err);
  feast_json_kind want[] = {FEAST_JSON_OBJECT, FEAST_JSON_KEY,   FEAST_JSON_ARRAY,      FEAST_JSON_NUMBER,
                            FEAST_JSON_NUMBER, FEAST_JSON_TRUE,  FEAST_JSON_FALSE,      FEAST_JSON_NULL,
                            FEAST_JSON_ARRAY_END, FEAST_JSON_KEY, FEAST_JSON_OBJECT,    FEAST_JSON_KEY,
                            FEAST_JSON_STRING, FEAST_JSON_OBJECT_END, FEAST_JSON_KEY,   FEAST_JSON_ARRAY,
                            FEAST_JSON_ARRAY_END, FEAST_JSON_OBJECT_END, FEAST_JSON_END};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    feast_json_token t;
    CHECK_OK(feast_json_next(&r, &t, &err), &err);
    CHECK_INT(t.kind, want[i]);
    if (i == 1) CHECK_STR(t.str, "a");
    if (i == 4) CHECK_STR(t.str, "-2.5e3");
    if (i == 12) {
      CHECK_STR(t.str, "x\n\xc3\xa9\xf0\x9f\x98\x80");
      CHECK_INT(t.len, 8);
    }
  }
  feast_json_reader_free(&r);
  feast_json_kind k[4];
  CHECK_INT(tokens("\"top\"", k, 4, &err), 2);
  CHECK_INT(k[0], FEAST_JSON_STRING);
  CHECK_INT(tokens("  42  ", k, 4, &err), 2);
  CHECK_INT(tokens("\"a\\u0000b\"", k, 4, &err), 2);
}

static void check_error(const char *text, feast_code code, const char *needle) {
  feast_error err;
  feast_json_kind k[64];
  feast_error_clear(&err);
  CHECK_INT(tokens(text, k, 64, &err), -1);
  CHECK_INT(err.code, code);
  CHECK_CONTAINS(err.message, needle);
}

static void syntax_errors(void) {
  check_error("", FEAST_E_CORRUPT, "a value is missing");
  check_error("[1,]", FEAST_E_CORRUPT, "unexpected character ']'");
  check_error("{\"a\" 1}", FEAST_E_CORRUPT, "expected ':'");
  check_error("{\"a\":1,}", FEAST_E_CORRUPT, "member name");
  check_error("{a:1}", FEAST_E_CORRUPT, "member name");
  check_error("[1 2]", FEAST_E_CORRUPT, "expected ',' or ']'");
  check_error("\"abc", FEAST_E_CORRUPT, "unterminated string");
  check_error("\"\\x\"", FEAST_E_CORRUPT, "unknown escape \\x");
  check_error("\"\\ud800\"", FEAST_E_CORRUPT, "without its low half");
  check_error("\"\\udc00\"", FEAST_E_CORRUPT, "lone low surrogate");
  check_error("\"a\tb\"", FEAST_E_CORRUPT, "raw control character 0x09");
  check_error("\"\xc0\xaf\"", FEAST_E_CORRUPT, "invalid UTF-8");
  check_error("\"\xed\xa0\x80\"", FEAST_E_CORRUPT, "invalid UTF-8");
  check_error("01", FEAST_E_CORRUPT, "after the end");
  check_error("1.", FEAST_E_CORRUPT, "digits must follow '.'");
  check_error("1e+", FEAST_E_CORRUPT, "exponent");
  check_error("-", FEAST_E_CORRUPT, "bad number");
  check_error("NaN", FEAST_E_CORRUPT, "unexpected character 'N'");
  check_error("tru", FEAST_E_CORRUPT, "unexpected character 't'");
  check_error("{} {}", FEAST_E_CORRUPT, "after the end");
  check_error("[[1]", FEAST_E_CORRUPT, "array not closed");
  /* line and column of the problem */
  check_error("{\n  \"a\": 1,\n  \"b\" 2\n}", FEAST_E_CORRUPT, "t.json: line 3, column 7: expected ':'");
}

static void limits(void) {
  feast_error err;
  feast_json_reader r;
  char deep[200];
  memset(deep, '[', 100);
  memset(deep + 100, ']', 100);
  feast_json_limits lim = {10, 0, 0};
  CHECK_OK(feast_json_reader_init(&r, deep, sizeof deep, "deep.json", &lim, &err), &err);
  feast_json_token t;
  feast_code rc = FEAST_OK;
  for (int i = 0; i < 200 && !rc; i++) rc = feast_json_next(&r, &t, &err);
  CHECK_INT(rc, FEAST_E_TOO_BIG);
  CHECK_CONTAINS(err.message, "deeper than 10 levels");
  feast_json_reader_free(&r);

  lim = (feast_json_limits){0, 8, 0};
  CHECK_INT(feast_json_reader_init(&r, "[1,2,3,4,5]", 11, "big.json", &lim, &err), FEAST_E_TOO_BIG);
  feast_json_reader_free(&r);

  lim = (feast_json_limits){0, 0, 4};
  CHECK_OK(feast_json_reader_init(&r, "[\"abcd\",\"abcde\"]", 16, "s.json", &lim, &err), &err);
  CHECK_OK(feast_json_next(&r, &t, &err), &err);
  CHECK_OK(feast_json_next(&r, &t, &err), &err);
  CHECK_STR(t.str, "abcd");
  CHECK_INT(feast_json_next(&r, &t, &err), FEAST_E_TOO_BIG);
  feast_json_reader_free(&r);
}

static void skip_values(void) {
  feast_error err;
  const char *doc = "{\"skip\": {\"x\": [1, {\"y\": []}], \"z\": \"w\"}, \"keep\": 7}";
  feast_json_reader r;
  CHECK_OK(feast_json_reader_init(&r, doc, strlen(doc), "s.json", NULL, &err), &err);
  feast_json_token t;
  CHECK_OK(feast_json_next(&r, &t, &err), &err); /* { */
  CHECK_OK(feast_json_next(&r, &t, &err), &err); /* "skip" */
  CHECK_OK(feast_json_next(&r, &t, &err), &err); /* { */
  CHECK_OK(feast_json_skip(&r, &t, &err), &err);
  CHECK_OK(feast_json_next(&r, &t, &err), &err);
  CHECK_INT(t.kind, FEAST_JSON_KEY);
  CHECK_STR(t.str, "keep");
  CHECK_OK(feast_json_next(&r, &t, &err), &err);
  CHECK_STR(t.str, "7");
  CHECK_OK(feast_json_skip(&r, &t, &err), &err); /* a scalar: nothing to do */
  CHECK_OK(feast_json_next(&r, &t, &err), &err);
  CHECK_INT(t.kind, FEAST_JSON_OBJECT_END);
  CHECK_OK(feast_json_next(&r, &t, &err), &err);
  CHECK_INT(t.kind, FEAST_JSON_END);
  feast_json_reader_free(&r);
}

static void tree(void) {
  feast_error err;
  feast_arena *a = feast_arena_new(0);
  const feast_json_value *v = NULL;
  const char *doc = "{\"type\":\"record\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},{}],\"n\":-12,\"e\":{}}";
  CHECK_OK(feast_json_parse(doc, strlen(doc), "schema", NULL, a, &v, &err), &err);
  CHECK_INT(v->kind, FEAST_JSON_OBJECT);
  CHECK_INT(v->len, 4);
  CHECK_STR(feast_json_string_of(feast_json_get(v, "type")), "record");
  const feast_json_value *f = feast_json_get(v, "fields");
  CHECK_INT(f->kind, FEAST_JSON_ARRAY);
  CHECK_INT(f->len, 2);
  CHECK_STR(feast_json_string_of(feast_json_get(&f->items[0], "name")), "id");
  CHECK_INT(f->items[1].len, 0);
  int64_t n = 0;
  const feast_json_value *nv = feast_json_get(v, "n");
  CHECK(feast_json_number_int64(nv->str, nv->len, &n));
  CHECK_INT(n, -12);
  CHECK(feast_json_get(v, "missing") == NULL);
  CHECK(feast_json_get(f, "type") == NULL);
  CHECK(feast_json_string_of(nv) == NULL);
  CHECK_INT(feast_json_parse("{\"a\":[1,2}", 10, "bad.json", NULL, a, &v, &err), FEAST_E_CORRUPT);
  CHECK_CONTAINS(err.message, "bad.json: line 1, column 10");
  feast_arena_free(a);
}

static void numbers(void) {
  int64_t i;
  uint64_t u;
  double d;
  CHECK(feast_json_number_int64("9223372036854775807", 19, &i) && i == INT64_MAX);
  CHECK(feast_json_number_int64("-9223372036854775808", 20, &i) && i == INT64_MIN);
  CHECK(!feast_json_number_int64("9223372036854775808", 19, &i));
  CHECK(!feast_json_number_int64("1.0", 3, &i));
  CHECK(!feast_json_number_int64("1e3", 3, &i));
  CHECK(feast_json_number_uint64("18446744073709551615", 20, &u) && u == UINT64_MAX);
  CHECK(!feast_json_number_uint64("-1", 2, &u));
  CHECK(feast_json_number_double("-2.5e3", 6, &d) && d == -2500.0);
  CHECK(feast_json_number_double("1e400", 5, &d) && isinf(d));
}

static const char *written(feast_buf *b) {
  feast_error err;
  return feast_buf_cstr(b, &err);
}

static void writer(void) {
  feast_error err;
  feast_buf b;
  feast_buf_init(&b, 1 << 20);
  feast_json_writer w;
  feast_jw_init(&w, &b, FEAST_JSON_UTF8_FAIL, &err);
  feast_jw_object(&w);
  feast_jw_key(&w, "a");
  feast_jw_array(&w);
  feast_jw_int(&w, -5);
  feast_jw_uint(&w, UINT64_MAX);
  feast_jw_double(&w, 0.1, false);
  feast_jw_double(&w, (double)0.1f, true);
  feast_jw_double(&w, 1e300, false);
  feast_jw_double(&w, NAN, false);
  feast_jw_bool(&w, true);
  feast_jw_null(&w);
  feast_jw_string(&w, NULL);
  feast_jw_array_end(&w);
  feast_jw_key(&w, "q\"");
  feast_jw_object(&w);
  feast_jw_object_end(&w);
  feast_jw_key(&w, "r");
  feast_jw_raw(&w, "[1]", 3);
  feast_jw_object_end(&w);
  CHECK_OK(feast_jw_finish(&w), &err);
  CHECK_STR(written(&b),
            "{\"a\":[-5,18446744073709551615,0.1,0.1,1e+300,\"NaN\",true,null,null],\"q\\\"\":{},\"r\":[1]}");

  feast_buf_reset(&b);
  const char s[] = "t\"\\\n\t\x01\x7f\xc2\x85\xef\xbf\xbe\xc3\xa9/";
  CHECK_OK(feast_json_append_string(&b, s, sizeof s - 1, FEAST_JSON_UTF8_FAIL, &err), &err);
  CHECK_STR(written(&b), "\"t\\\"\\\\\\n\\t\\u0001\\u007f\\u0085\\ufffe\xc3\xa9/\"");
  feast_buf_reset(&b);
  CHECK_INT(feast_json_append_string(&b, "a\xff", 2, FEAST_JSON_UTF8_FAIL, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "not valid UTF-8");
  feast_buf_reset(&b);
  CHECK_OK(feast_json_append_string(&b, "a\xff" "b", 3, FEAST_JSON_UTF8_REPLACE, &err), &err);
  CHECK_STR(written(&b), "\"a\xef\xbf\xbd" "b\"");
  feast_buf_reset(&b);
  CHECK_OK(feast_json_append_base64(&b, (const uint8_t *)"ab", 2, &err), &err);
  CHECK_STR(written(&b), "\"YWI=\"");

  feast_buf_reset(&b);
  feast_jw_init(&w, &b, FEAST_JSON_UTF8_FAIL, &err);
  feast_jw_array(&w);
  CHECK_INT(feast_jw_finish(&w), FEAST_E_INTERNAL);
  feast_jw_init(&w, &b, FEAST_JSON_UTF8_FAIL, &err);
  feast_jw_array_end(&w);
  CHECK_INT(feast_jw_finish(&w), FEAST_E_INTERNAL);
  feast_buf_free(&b);
}

/* Random documents written by the writer read back as the same values. */
static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void write_random(feast_json_writer *w, int depth) {
  int kind = (int)(next_rand() % (depth > 4 ? 5 : 7));
  switch (kind) {
  case 0: feast_jw_null(w); break;
  case 1: feast_jw_bool(w, next_rand() & 1); break;
  case 2: feast_jw_int(w, (int64_t)next_rand()); break;
  case 3: {
    double d;
    uint64_t bits = next_rand();
    memcpy(&d, &bits, 8);
    if (isnan(d) || isinf(d)) d = 0.5;
    feast_jw_double(w, d, false);
    break;
  }
  case 4: {
    char s[16];
    size_t n = next_rand() % sizeof s;
    for (size_t i = 0; i < n; i++) s[i] = (char)(next_rand() % 0x80);
    feast_jw_string_n(w, s, n);
    break;
  }
  case 5: {
    feast_jw_array(w);
    for (int i = (int)(next_rand() % 4); i > 0; i--) write_random(w, depth + 1);
    feast_jw_array_end(w);
    break;
  }
  default: {
    feast_jw_object(w);
    for (int i = (int)(next_rand() % 4); i > 0; i--) {
      char k[16];
      snprintf(k, sizeof k, "k%d", i);
      feast_jw_key(w, k);
      write_random(w, depth + 1);
    }
    feast_jw_object_end(w);
  }
  }
}

/* Re-emit a parsed tree; it must give the same bytes. */
static void rewrite(feast_json_writer *w, const feast_json_value *v) {
  switch (v->kind) {
  case FEAST_JSON_NULL: feast_jw_null(w); break;
  case FEAST_JSON_TRUE: feast_jw_bool(w, true); break;
  case FEAST_JSON_FALSE: feast_jw_bool(w, false); break;
  case FEAST_JSON_NUMBER: {
    int64_t i;
    double d;
    if (feast_json_number_int64(v->str, v->len, &i)) feast_jw_int(w, i);
    else if (feast_json_number_double(v->str, v->len, &d)) feast_jw_double(w, d, false);
    break;
  }
  case FEAST_JSON_STRING: feast_jw_string_n(w, v->str, v->len); break;
  case FEAST_JSON_ARRAY:
    feast_jw_array(w);
    for (size_t i = 0; i < v->len; i++) rewrite(w, &v->items[i]);
    feast_jw_array_end(w);
    break;
  default:
    feast_jw_object(w);
    for (size_t i = 0; i < v->len; i++) {
      feast_jw_key_n(w, v->keys[i], v->key_lens[i]);
      rewrite(w, &v->items[i]);
    }
    feast_jw_object_end(w);
  }
}

static void round_trip(void) {
  feast_error err;
  feast_buf a, b;
  feast_buf_init(&a, 1 << 24);
  feast_buf_init(&b, 1 << 24);
  feast_arena *arena = feast_arena_new(0);
  for (int doc = 0; doc < 500; doc++) {
    feast_buf_reset(&a);
    feast_buf_reset(&b);
    feast_json_writer w;
    feast_jw_init(&w, &a, FEAST_JSON_UTF8_FAIL, &err);
    write_random(&w, 0);
    CHECK_OK(feast_jw_finish(&w), &err);
    const feast_json_value *v;
    CHECK_OK(feast_json_parse(a.data, a.len, "random", NULL, arena, &v, &err), &err);
    feast_jw_init(&w, &b, FEAST_JSON_UTF8_FAIL, &err);
    rewrite(&w, v);
    CHECK_OK(feast_jw_finish(&w), &err);
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    feast_arena_reset(arena);
  }
  feast_arena_free(arena);
  feast_buf_free(&a);
  feast_buf_free(&b);
}

TEST_MAIN(T(pull_tokens), T(syntax_errors), T(limits), T(skip_values), T(tree), T(numbers), T(writer), T(round_trip))
