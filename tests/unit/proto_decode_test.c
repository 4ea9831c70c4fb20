/*
 * proto_decode_test.c - the protobuf stream decoder (format/proto/proto_plan
 * and proto_decode) on messages built byte by byte here, against a
 * descriptor set that protoc builds at test time from
 * tests/data/proto_decode_all.proto and proto_decode_p2.proto: every scalar
 * kind, defaults and nulls, last-wins and merging, packed and unpacked
 * lists, timestamps, wrappers, oneofs, unknown fields and groups, every
 * error with its field path and offset, no partial rows, the plan's
 * refusals, and the type table against proto_check.c's.
 */
#include <unistd.h>

#include "base/alloc.h"
#include "base/utf8_check.h"
#include "format/proto/proto_check.h"
#include "format/proto/proto_decode.h"
#include "format/proto/proto_types.h"
#include "test.h"

/* ---- a tiny protobuf writer for building test messages ---- */

typedef struct msg {
  uint8_t b[4096];
  size_t n;
} msg;

static void put_raw(msg *m, const void *p, size_t n) {
  memcpy(m->b + m->n, p, n);
  m->n += n;
}
static void put_byte(msg *m, uint8_t c) { m->b[m->n++] = c; }
static void put_varint(msg *m, uint64_t v) {
  while (v >= 0x80) {
    put_byte(m, (uint8_t)(v | 0x80));
    v >>= 7;
  }
  put_byte(m, (uint8_t)v);
}
static void put_key(msg *m, uint32_t field, int wt) { put_varint(m, ((uint64_t)field << 3) | (uint64_t)wt); }
static void f_varint(msg *m, uint32_t field, uint64_t v) {
  put_key(m, field, 0);
  put_varint(m, v);
}
static void f_fixed32(msg *m, uint32_t field, uint32_t v) {
  put_key(m, field, 5);
  for (int i = 0; i < 4; i++) put_byte(m, (uint8_t)(v >> (8 * i)));
}
static void f_fixed64(msg *m, uint32_t field, uint64_t v) {
  put_key(m, field, 1);
  for (int i = 0; i < 8; i++) put_byte(m, (uint8_t)(v >> (8 * i)));
}
static void f_bytes(msg *m, uint32_t field, const void *p, size_t n) {
  put_key(m, field, 2);
  put_varint(m, n);
  put_raw(m, p, n);
}
static void f_str(msg *m, uint32_t field, const char *s) { f_bytes(m, field, s, strlen(s)); }
static void f_msg(msg *m, uint32_t field, const msg *sub) { f_bytes(m, field, sub->b, sub->n); }
static void f_float(msg *m, uint32_t field, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  f_fixed32(m, field, u);
}
static void f_double(msg *m, uint32_t field, double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  f_fixed64(m, field, u);
}
static uint64_t zz(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

/* ---- fixtures ---- */

static feast_proto_pool *load_pool(void) {
  static char path[512];
  snprintf(path, sizeof path, "%s/all.pb", test_tmpdir());
  char cmd[2048];
  const char *root = test_repo_root();
  snprintf(cmd, sizeof cmd,
           "protoc -I%s/tests/data -I/usr/include --include_imports --descriptor_set_out=%s "
           "%s/tests/data/proto_decode_all.proto %s/tests/data/proto_decode_p2.proto",
           root, path, root, root);
  if (system(cmd) != 0) {
    fprintf(stderr, "  protoc failed: %s\n", cmd);
    return NULL;
  }
  feast_proto_pool *pool = NULL;
  feast_error err;
  if (feast_proto_pool_load(path, &pool, &err)) fprintf(stderr, "  %s\n", err.message);
  return pool;
}

static feast_proto_pool *pool_once(void) {
  static feast_proto_pool *pool;
  if (!pool) pool = load_pool();
  return pool;
}

/* A decoder session: plan + batch + decoder for "path:TYPE,..." columns
 * (TYPE a Feast value type name, or "-" for the field's own kind). */
typedef struct session {
  feast_proto_plan *plan;
  feast_proto_decoder *dec;
  feast_batch *batch;
  feast_proto_result res;
  feast_error err;
} session;

static int parse_cols(const char *spec, feast_column_req *reqs, char *store, size_t store_size) {
  snprintf(store, store_size, "%s", spec);
  int n = 0;
  for (char *save = NULL, *tok = strtok_r(store, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *colon = strchr(tok, ':');
    feast_value_type t = FEAST_VT_INVALID;
    if (colon) {
      *colon = 0;
      if (strcmp(colon + 1, "-") != 0) t = feast_value_type_parse(colon + 1);
    }
    reqs[n].role = "feature";
    reqs[n].name = tok;
    reqs[n].column = tok;
    reqs[n].type = t;
    n++;
  }
  return n;
}

static feast_code open_session(session *s, const char *class_path, const char *spec,
                               const feast_proto_plan_options *opts) {
  memset(s, 0, sizeof *s);
  feast_column_req reqs[64];
  char store[2048];
  int n = parse_cols(spec, reqs, store, sizeof store);
  feast_proto_pool *pool = pool_once();
  if (!pool) return feast_fail(&s->err, FEAST_E_IO, "no descriptor set");
  feast_code rc = feast_proto_plan_compile(pool, class_path, reqs, (size_t)n, opts, &s->plan, &s->err);
  if (!rc) rc = feast_proto_plan_batch_new(s->plan, &s->batch, &s->err);
  if (!rc) rc = feast_proto_decoder_new(s->plan, &s->dec, &s->err);
  return rc;
}

static void close_session(session *s) {
  feast_proto_decoder_free(s->dec);
  feast_batch_free(s->batch);
  feast_proto_plan_free(s->plan);
}

static feast_code decode(session *s, const msg *msgs, size_t n) {
  feast_proto_slice sl[16];
  for (size_t i = 0; i < n; i++) sl[i].data = msgs[i].b, sl[i].len = msgs[i].n;
  return feast_proto_decode(s->dec, sl, n, s->batch, &s->res, &s->err);
}

static const feast_array *col(const session *s, const char *name) {
  int i = feast_batch_find(s->batch, name);
  if (i < 0) {
    fprintf(stderr, "  no column %s\n", name);
    static feast_array empty;
    return &empty;
  }
  return s->batch->columns[i];
}

static int64_t geti(const session *s, const char *name, int64_t row) { return feast_array_get_int(col(s, name), row); }
static double getd(const session *s, const char *name, int64_t row) { return feast_array_get_double(col(s, name), row); }
static bool isnull(const session *s, const char *name, int64_t row) { return !feast_array_is_valid(col(s, name), row); }
static const char *gets(const session *s, const char *name, int64_t row) {
  static char buf[4][256];
  static int k;
  char *out = buf[k++ & 3];
  const feast_array *a = col(s, name);
  if (!a->offsets || row >= a->length) return "(none)";
  size_t n;
  const uint8_t *p = feast_array_get_bytes(a, row, &n);
  snprintf(out, 256, "%.*s", (int)n, (const char *)p);
  return out;
}
/* A list row as "a b c" (ints, doubles with %g, or strings). */
static const char *getl(const session *s, const char *name, int64_t row) {
  static char buf[4][512];
  static int k;
  char *out = buf[k++ & 3];
  out[0] = 0;
  const feast_array *a = col(s, name);
  if (!a->offsets || !a->child) return "(none)";
  if (!feast_array_is_valid(a, row)) return "null";
  size_t len = 0;
  for (int32_t i = a->offsets[row]; i < a->offsets[row + 1]; i++) {
    const feast_array *c = a->child;
    char e[128];
    if (c->type.id == FEAST_DT_STRING || c->type.id == FEAST_DT_BINARY) {
      size_t n;
      const uint8_t *p = feast_array_get_bytes(c, i, &n);
      snprintf(e, sizeof e, "%.*s", (int)n, (const char *)p);
    } else if (c->type.id == FEAST_DT_FLOAT || c->type.id == FEAST_DT_DOUBLE) {
      snprintf(e, sizeof e, "%g", feast_array_get_double(c, i));
    } else if (c->type.id == FEAST_DT_UINT64) {
      snprintf(e, sizeof e, "%llu", (unsigned long long)feast_array_get_int(c, i));
    } else {
      snprintf(e, sizeof e, "%lld", (long long)feast_array_get_int(c, i));
    }
    len += (size_t)snprintf(out + len, 512 - len, "%s%s", len ? " " : "", e);
  }
  return out;
}

/* Every column has the batch's row count (no partial rows). */
static void check_shape(const session *s) {
  for (int i = 0; i < s->batch->num_columns; i++) {
    const feast_array *a = s->batch->columns[i];
    CHECK_INT(a->length, s->batch->num_rows);
    if (!a->offsets && (a->type.id == FEAST_DT_LIST || a->type.id == FEAST_DT_STRING || a->type.id == FEAST_DT_BINARY)) {
      CHECK_INT(a->length, 0); /* never reserved */
      continue;
    }
    if (a->type.id == FEAST_DT_LIST) CHECK_INT(a->offsets[a->length], a->child->length);
    if (a->type.id == FEAST_DT_STRING || a->type.id == FEAST_DT_BINARY) CHECK_INT(a->offsets[a->length], a->data_len);
    if (a->type.id == FEAST_DT_LIST && a->child->offsets) CHECK_INT(a->child->offsets[a->child->length], a->child->data_len);
    int64_t nulls = 0;
    for (int64_t r = 0; r < a->length; r++) nulls += !feast_array_is_valid(a, r);
    CHECK_INT(a->null_count, nulls);
  }
}

#define ALL "feast.dec.All"
#define SCALARS "i32:-,i64:-,u32:-,u64:-,s32:-,s64:-,f32:-,f64:-,sf32:-,sf64:-,fl:-,db:-,b:-,s:-,by:-,color:-"

/* ---- cases ---- */

static void scalars_of_every_kind(void) {
  session s;
  CHECK_OK(open_session(&s, ALL, SCALARS, NULL), &s.err);
  msg m = {0};
  f_varint(&m, 1, (uint64_t)(int64_t)-5); /* int32 negative: 10-byte varint */
  f_varint(&m, 2, (uint64_t)INT64_MIN);
  f_varint(&m, 3, 0xFFFFFFFFu);
  f_varint(&m, 4, UINT64_MAX);
  f_varint(&m, 5, zz(-7));
  f_varint(&m, 6, zz(INT64_MIN));
  f_fixed32(&m, 7, 0xFFFFFFFEu);
  f_fixed64(&m, 8, UINT64_C(0xFFFFFFFFFFFFFFF0));
  f_fixed32(&m, 9, (uint32_t)-9);
  f_fixed64(&m, 10, (uint64_t)(int64_t)-10);
  f_float(&m, 11, 1.5f);
  f_double(&m, 12, -2.25);
  f_varint(&m, 13, 2); /* any non-zero bool is true */
  f_str(&m, 14, "h\xc3\xa9llo");
  f_bytes(&m, 15, "\0\xff", 2);
  f_varint(&m, 16, 2);
  msg m2 = {0};
  f_varint(&m2, 16, (uint64_t)(int64_t)-3); /* BLUE = -3 */
  f_varint(&m2, 1, UINT64_C(0x1FFFFFFFF)); /* int32 takes the low 32 bits */
  msg m3 = {0};
  f_varint(&m3, 16, 77); /* no such value */
  msg in[] = {m, m2, m3};
  CHECK_OK(decode(&s, in, 3), &s.err);
  CHECK_INT(s.res.rows, 3);
  CHECK_INT(s.res.n_rejects, 0);
  CHECK_INT(geti(&s, "i32", 0), -5);
  CHECK_INT(geti(&s, "i64", 0), INT64_MIN);
  CHECK_INT(geti(&s, "u32", 0), 0xFFFFFFFFu);
  CHECK((uint64_t)geti(&s, "u64", 0) == UINT64_MAX);
  CHECK_INT(geti(&s, "s32", 0), -7);
  CHECK_INT(geti(&s, "s64", 0), INT64_MIN);
  CHECK_INT(geti(&s, "f32", 0), 0xFFFFFFFEu);
  CHECK((uint64_t)geti(&s, "f64", 0) == UINT64_C(0xFFFFFFFFFFFFFFF0));
  CHECK_INT(geti(&s, "sf32", 0), -9);
  CHECK_INT(geti(&s, "sf64", 0), -10);
  CHECK(getd(&s, "fl", 0) == 1.5);
  CHECK(getd(&s, "db", 0) == -2.25);
  CHECK_INT(geti(&s, "b", 0), 1);
  CHECK_STR(gets(&s, "s", 0), "h\xc3\xa9llo");
  size_t n;
  const uint8_t *p = feast_array_get_bytes(col(&s, "by"), 0, &n);
  CHECK(n == 2 && p[0] == 0 && p[1] == 0xff);
  CHECK_STR(gets(&s, "color", 0), "GREEN");
  CHECK_STR(gets(&s, "color", 1), "BLUE");
  CHECK_INT(geti(&s, "i32", 1), -1);
  CHECK_STR(gets(&s, "color", 2), "77");
  /* column types: each field's own kind */
  CHECK_INT(col(&s, "u64")->type.id, FEAST_DT_UINT64);
  CHECK_INT(col(&s, "u32")->type.id, FEAST_DT_UINT32);
  CHECK_INT(col(&s, "i32")->type.id, FEAST_DT_INT32);
  CHECK_INT(col(&s, "color")->type.id, FEAST_DT_STRING);
  CHECK_INT(col(&s, "by")->type.id, FEAST_DT_BINARY);
  check_shape(&s);
  close_session(&s);
}

static void feast_types_and_widenings(void) {
  session s;
  /* INT64 from uint32 and fixed32, STRING from an enum, UNIX_TIMESTAMP from int64 */
  CHECK_OK(open_session(&s, ALL, "u32:INT64,f32:INT64,color:STRING,created_s:UNIX_TIMESTAMP,ts:UNIX_TIMESTAMP,"
                                 "ri32:INT32_LIST,rcolor:STRING_LIST,rts:UNIX_TIMESTAMP_LIST,w_i64:INT64",
                        NULL),
           &s.err);
  CHECK_INT(col(&s, "u32")->type.id, FEAST_DT_INT64);
  CHECK_INT(col(&s, "created_s")->type.id, FEAST_DT_TIMESTAMP);
  CHECK_INT(col(&s, "created_s")->type.unit, FEAST_UNIT_US);
  msg m = {0};
  f_varint(&m, 3, 0xFFFFFFFFu);
  f_fixed32(&m, 7, 0x80000000u);
  f_varint(&m, 49, 1600000000);
  msg m2 = {0};
  f_varint(&m2, 49, (uint64_t)(int64_t)-1);
  msg in[] = {m, m2};
  CHECK_OK(decode(&s, in, 2), &s.err);
  CHECK_INT(geti(&s, "u32", 0), 0xFFFFFFFFu); /* zero-extended, not -1 */
  CHECK_INT(geti(&s, "f32", 0), 0x80000000u);
  CHECK_INT(geti(&s, "created_s", 0), INT64_C(1600000000) * 1000000);
  CHECK_INT(geti(&s, "created_s", 1), -1000000);
  close_session(&s);
  /* int64 timestamps in milliseconds, by option */
  feast_proto_plan_options o = {FEAST_UNIT_MS};
  CHECK_OK(open_session(&s, ALL, "created_s:UNIX_TIMESTAMP", &o), &s.err);
  msg k = {0};
  f_varint(&k, 49, 1600000000123);
  CHECK_OK(decode(&s, &k, 1), &s.err);
  CHECK_INT(geti(&s, "created_s", 0), INT64_C(1600000000123) * 1000);
  close_session(&s);
}

static void defaults_and_nulls(void) {
  session s;
  CHECK_OK(open_session(&s, ALL,
                        "i64:-,s:-,b:-,color:-,db:-,by:-,ts:-,w_i64:-,w_s:-,opt_i64:-,opt_s:-,c_int:-,inner.lat:-,"
                        "inner.city:-,inner.ids:-,inner.deep.level:-,ri32:-,rs:-",
                        NULL),
           &s.err);
  msg empty = {0};
  msg inner_empty = {0};
  msg sub = {0};
  f_msg(&inner_empty, 30, &sub); /* inner present, with nothing in it */
  msg in[] = {empty, inner_empty};
  CHECK_OK(decode(&s, in, 2), &s.err);
  CHECK_INT(s.res.rows, 2);
  for (int r = 0; r < 2; r++) {
    /* proto3 implicit presence: defaults */
    CHECK(!isnull(&s, "i64", r) && geti(&s, "i64", r) == 0);
    CHECK(!isnull(&s, "s", r));
    CHECK_STR(gets(&s, "s", r), "");
    CHECK(!isnull(&s, "b", r) && geti(&s, "b", r) == 0);
    CHECK_STR(gets(&s, "color", r), "COLOR_UNSET");
    CHECK(!isnull(&s, "db", r) && getd(&s, "db", r) == 0);
    CHECK(!isnull(&s, "by", r));
    /* messages, optional, oneof: null */
    CHECK(isnull(&s, "ts", r));
    CHECK(isnull(&s, "w_i64", r));
    CHECK(isnull(&s, "w_s", r));
    CHECK(isnull(&s, "opt_i64", r));
    CHECK(isnull(&s, "opt_s", r));
    CHECK(isnull(&s, "c_int", r));
    /* repeated: empty lists */
    CHECK_STR(getl(&s, "ri32", r), "");
    CHECK_STR(getl(&s, "rs", r), "");
    CHECK(isnull(&s, "inner.deep.level", r));
    for (int c = 0; c < s.batch->num_columns; c++) CHECK(!feast_proto_decoder_present(s.dec, r, c));
  }
  /* under an absent message: null; under a present one: the defaults */
  CHECK(isnull(&s, "inner.lat", 0));
  CHECK(isnull(&s, "inner.city", 0));
  CHECK_STR(getl(&s, "inner.ids", 0), "null");
  CHECK(!isnull(&s, "inner.lat", 1) && getd(&s, "inner.lat", 1) == 0);
  CHECK(!isnull(&s, "inner.city", 1));
  CHECK_STR(getl(&s, "inner.ids", 1), "");
  check_shape(&s);
  close_session(&s);
}

static void proto2_presence_and_groups(void) {
  session s;
  CHECK_OK(open_session(&s, "feast.dec2.P2", "a:-,s:-,r:-,e:-,ri:-,rp:-,after:-", NULL), &s.err);
  msg m = {0};
  f_varint(&m, 3, 5);
  /* a group with a nested group and fields inside, then a field after it */
  put_key(&m, 4, 3);
  f_varint(&m, 5, 1);
  put_key(&m, 77, 3);
  f_str(&m, 1, "x");
  put_key(&m, 77, 4);
  put_key(&m, 4, 4);
  f_varint(&m, 7, 1);
  f_varint(&m, 7, 2);
  msg packed = {0};
  put_varint(&packed, 3);
  put_varint(&packed, 4);
  f_msg(&m, 7, &packed); /* packed although declared unpacked */
  f_varint(&m, 8, 9);     /* unpacked although declared packed */
  f_varint(&m, 9, 42);
  msg e = {0};
  CHECK_OK(decode(&s, (msg[]){m, e}, 2), &s.err);
  CHECK_INT(s.res.n_rejects, 0);
  CHECK_INT(s.res.rows, 2);
  CHECK(isnull(&s, "a", 0));
  CHECK(isnull(&s, "s", 0));
  CHECK(isnull(&s, "e", 0));
  CHECK_INT(geti(&s, "r", 0), 5);
  CHECK_STR(getl(&s, "ri", 0), "1 2 3 4");
  CHECK_STR(getl(&s, "rp", 0), "9");
  CHECK_INT(geti(&s, "after", 0), 42);
  CHECK(isnull(&s, "r", 1)); /* required but missing: null, for the row rules to judge */
  CHECK(feast_proto_decoder_present(s.dec, 0, 2));
  CHECK(!feast_proto_decoder_present(s.dec, 1, 2));
  check_shape(&s);
  close_session(&s);
  /* a path into a group is refused */
  feast_error err;
  feast_proto_plan *plan = NULL;
  feast_column_req r = {"feature", "x", "g.x", FEAST_VT_INT32}; /* protoc names a group's field in lower case */
  CHECK_INT(feast_proto_plan_compile(pool_once(), "feast.dec2.P2", &r, 1, NULL, &plan, &err), FEAST_E_UNSUPPORTED);
  CHECK_CONTAINS(err.message, "group");
}

static void last_value_wins_and_messages_merge(void) {
  session s;
  CHECK_OK(open_session(&s, ALL, "i64:-,s:-,inner.lat:-,inner.city:-,inner.ids:-,ts:-,w_i64:-,w_s:-,color:-", NULL),
           &s.err);
  msg m = {0};
  f_varint(&m, 2, 1);
  f_str(&m, 14, "first");
  msg in1 = {0}, in2 = {0}, t1 = {0}, t2 = {0}, w1 = {0}, w2 = {0};
  f_double(&in1, 1, 1.5);
  f_varint(&in1, 3, 7);
  f_str(&in2, 2, "oslo");
  f_varint(&in2, 3, 8);
  f_msg(&m, 30, &in1);
  f_varint(&t1, 1, 5);
  f_msg(&m, 31, &t1);
  f_varint(&w1, 1, 3);
  f_msg(&m, 32, &w1);
  f_str(&w2, 1, "w");
  f_msg(&m, 33, &w2);
  f_varint(&m, 16, 1);
  /* the second occurrences */
  f_varint(&m, 2, 2);
  f_str(&m, 14, "second");
  f_msg(&m, 30, &in2);
  f_varint(&t2, 2, 7000);
  f_msg(&m, 31, &t2);
  msg w_empty = {0};
  f_msg(&m, 32, &w_empty);
  f_varint(&m, 16, 2);
  CHECK_OK(decode(&s, &m, 1), &s.err);
  CHECK_INT(geti(&s, "i64", 0), 2);
  CHECK_STR(gets(&s, "s", 0), "second");
  CHECK(getd(&s, "inner.lat", 0) == 1.5);
  CHECK_STR(gets(&s, "inner.city", 0), "oslo");
  CHECK_STR(getl(&s, "inner.ids", 0), "7 8");
  CHECK_INT(geti(&s, "ts", 0), 5000007);
  CHECK_INT(geti(&s, "w_i64", 0), 3); /* an empty second wrapper keeps the value */
  CHECK_STR(gets(&s, "w_s", 0), "w");
  CHECK_STR(gets(&s, "color", 0), "GREEN");
  close_session(&s);
}

static void packed_and_unpacked_lists(void) {
  session s;
  CHECK_OK(open_session(&s, ALL, "ri32:-,ri64_unpacked:-,rdb:-,rs:-,rb:-,rs64:-,rcolor:-,rf32:-,rfl:-,rby:-,ru64:-,rs32:-,rsf64:-",
                        NULL),
           &s.err);
  msg m = {0}, pk = {0};
  f_varint(&m, 17, 1);
  put_varint(&pk, 2);
  put_varint(&pk, (uint64_t)(int64_t)-3);
  f_msg(&m, 17, &pk);
  f_varint(&m, 17, 4);
  pk.n = 0;
  put_varint(&pk, 300);
  put_varint(&pk, 5);
  f_msg(&m, 18, &pk); /* packed for a [packed=false] field */
  f_varint(&m, 18, 6);
  pk.n = 0;
  double dd[] = {0.5, -1.25};
  put_raw(&pk, dd, sizeof dd);
  f_msg(&m, 19, &pk);
  f_double(&m, 19, 8);
  f_str(&m, 20, "a");
  f_str(&m, 20, "");
  f_str(&m, 20, "c");
  pk.n = 0;
  put_varint(&pk, 1);
  put_varint(&pk, 0);
  put_varint(&pk, 5);
  f_msg(&m, 21, &pk);
  pk.n = 0;
  put_varint(&pk, zz(-1));
  put_varint(&pk, zz(INT64_MAX));
  f_msg(&m, 22, &pk);
  pk.n = 0;
  put_varint(&pk, 1);
  put_varint(&pk, 9);
  f_msg(&m, 23, &pk);
  f_varint(&m, 23, (uint64_t)(int64_t)-3);
  pk.n = 0;
  uint32_t ff[] = {1, 0xFFFFFFFFu};
  put_raw(&pk, ff, sizeof ff);
  f_msg(&m, 24, &pk);
  f_float(&m, 25, 2.5f);
  f_bytes(&m, 26, "\x01", 1);
  f_varint(&m, 27, UINT64_MAX);
  pk.n = 0;
  put_varint(&pk, zz(-2));
  f_msg(&m, 28, &pk);
  f_fixed64(&m, 29, (uint64_t)(int64_t)-4);
  msg e = {0}, e2 = {0};
  f_bytes(&e2, 17, "", 0); /* an empty packed run */
  CHECK_OK(decode(&s, (msg[]){m, e, e2}, 3), &s.err);
  CHECK_INT(s.res.n_rejects, 0);
  CHECK_STR(getl(&s, "ri32", 0), "1 2 -3 4");
  CHECK_STR(getl(&s, "ri64_unpacked", 0), "300 5 6");
  CHECK_STR(getl(&s, "rdb", 0), "0.5 -1.25 8");
  CHECK_STR(getl(&s, "rs", 0), "a  c");
  CHECK_STR(getl(&s, "rb", 0), "1 0 1");
  char want[64];
  snprintf(want, sizeof want, "-1 %lld", (long long)INT64_MAX);
  CHECK_STR(getl(&s, "rs64", 0), want);
  CHECK_STR(getl(&s, "rcolor", 0), "RED 9 BLUE");
  CHECK_STR(getl(&s, "rf32", 0), "1 4294967295");
  CHECK_STR(getl(&s, "rfl", 0), "2.5");
  CHECK_STR(getl(&s, "rby", 0), "\x01");
  CHECK_STR(getl(&s, "ru64", 0), "18446744073709551615");
  CHECK_STR(getl(&s, "rs32", 0), "-2");
  CHECK_STR(getl(&s, "rsf64", 0), "-4");
  for (int r = 1; r < 3; r++) CHECK_STR(getl(&s, "ri32", r), "");
  CHECK(!feast_proto_decoder_present(s.dec, 1, 0));
  CHECK(feast_proto_decoder_present(s.dec, 2, 0)); /* the empty run was there */
  check_shape(&s);
  close_session(&s);
}

static void timestamps(void) {
  session s;
  CHECK_OK(open_session(&s, ALL, "ts:UNIX_TIMESTAMP,rts:UNIX_TIMESTAMP_LIST,w_i64:UNIX_TIMESTAMP", NULL), &s.err);
  msg good = {0}, t = {0};
  f_varint(&t, 1, 1700000000);
  f_varint(&t, 2, 123456789); /* kept to the microsecond */
  f_msg(&good, 31, &t);
  t.n = 0;
  f_varint(&t, 1, (uint64_t)(int64_t)-1);
  f_varint(&t, 2, 999999999);
  f_msg(&good, 47, &t);
  t.n = 0;
  f_varint(&t, 1, 253402300799); /* 9999-12-31T23:59:59 */
  f_msg(&good, 47, &t);
  t.n = 0;
  f_msg(&good, 47, &t); /* the epoch */
  msg w = {0};
  f_varint(&w, 1, 1000);
  f_msg(&good, 32, &w);
  msg late = {0};
  t.n = 0;
  f_varint(&t, 1, 253402300800); /* one second past 9999 */
  f_msg(&late, 31, &t);
  msg neg_nanos = {0};
  t.n = 0;
  f_varint(&t, 2, (uint64_t)(int64_t)-1);
  f_msg(&neg_nanos, 31, &t);
  msg list_late = {0};
  t.n = 0;
  f_varint(&t, 1, (uint64_t)INT64_C(-62135596801));
  f_msg(&list_late, 47, &t);
  CHECK_OK(decode(&s, (msg[]){good, late, neg_nanos, list_late}, 4), &s.err);
  CHECK_INT(s.res.rows, 1);
  CHECK_INT(geti(&s, "ts", 0), INT64_C(1700000000123456));
  CHECK_STR(getl(&s, "rts", 0), "-1 253402300799000000 0");
  CHECK_INT(geti(&s, "w_i64", 0), INT64_C(1000000000));
  CHECK_INT(s.res.n_rejects, 3);
  for (size_t i = 0; i < s.res.n_rejects; i++) {
    CHECK_INT(s.res.rejects[i].index, i + 1);
    CHECK_INT(s.res.rejects[i].code, FEAST_E_INVALID);
    CHECK_STR(s.res.rejects[i].cause, "timestamp out of range");
    CHECK_CONTAINS(s.res.rejects[i].reason, "at byte 0");
  }
  CHECK_CONTAINS(s.res.rejects[0].reason, "ts");
  CHECK_CONTAINS(s.res.rejects[0].reason, "253402300800");
  CHECK_CONTAINS(s.res.rejects[2].reason, "rts");
  check_shape(&s);
  close_session(&s);
}

static void wrappers_are_nullable_values(void) {
  session s;
  CHECK_OK(open_session(&s, ALL, "w_i64:-,w_s:-,w_db:-,w_b:-,w_i32:-,w_u64:-,w_fl:-,w_by:-,w_u32:-,rw_i64:-,rw_s:-",
                        NULL),
           &s.err);
  msg m = {0}, w = {0};
  f_varint(&w, 1, (uint64_t)(int64_t)-5);
  f_msg(&m, 32, &w);
  w.n = 0;
  f_str(&w, 1, "x");
  f_msg(&m, 33, &w);
  w.n = 0;
  f_double(&w, 1, 2.5);
  f_msg(&m, 34, &w);
  w.n = 0;
  f_varint(&w, 1, 1);
  f_msg(&m, 35, &w);
  w.n = 0;
  f_varint(&w, 1, (uint64_t)(int64_t)-6);
  f_msg(&m, 36, &w);
  w.n = 0;
  f_varint(&w, 1, UINT64_MAX);
  f_msg(&m, 37, &w);
  w.n = 0;
  f_float(&w, 1, 0.25f);
  f_msg(&m, 38, &w);
  w.n = 0;
  f_bytes(&w, 1, "\x00", 1);
  f_msg(&m, 39, &w);
  w.n = 0;
  f_varint(&w, 1, 0xFFFFFFFFu);
  f_varint(&w, 9, 3); /* an unknown field inside a wrapper */
  f_msg(&m, 40, &w);
  w.n = 0;
  f_varint(&w, 1, 11);
  f_msg(&m, 48, &w);
  w.n = 0;
  f_msg(&m, 48, &w); /* an empty element: its default, 0 */
  f_str(&w, 1, "e");
  f_msg(&m, 50, &w);
  /* present but empty: the default, not null */
  msg e = {0}, empty = {0};
  for (uint32_t f = 32; f <= 40; f++) f_msg(&e, f, &empty);
  msg none = {0};
  CHECK_OK(decode(&s, (msg[]){m, e, none}, 3), &s.err);
  CHECK_INT(s.res.rows, 3);
  CHECK_INT(geti(&s, "w_i64", 0), -5);
  CHECK_STR(gets(&s, "w_s", 0), "x");
  CHECK(getd(&s, "w_db", 0) == 2.5);
  CHECK_INT(geti(&s, "w_b", 0), 1);
  CHECK_INT(geti(&s, "w_i32", 0), -6);
  CHECK((uint64_t)geti(&s, "w_u64", 0) == UINT64_MAX);
  CHECK(getd(&s, "w_fl", 0) == 0.25);
  CHECK_INT(geti(&s, "w_u32", 0), 0xFFFFFFFFu);
  CHECK_STR(getl(&s, "rw_i64", 0), "11 0");
  CHECK_STR(getl(&s, "rw_s", 0), "e");
  const char *names[] = {"w_i64", "w_s", "w_db", "w_b", "w_i32", "w_u64", "w_fl", "w_by", "w_u32"};
  for (int i = 0; i < 9; i++) {
    CHECK(!isnull(&s, names[i], 1));
    CHECK(isnull(&s, names[i], 2));
  }
  CHECK_INT(geti(&s, "w_i64", 1), 0);
  CHECK_STR(gets(&s, "w_s", 1), "");
  check_shape(&s);
  close_session(&s);
}

static void oneof_last_member_wins(void) {
  session s;
  CHECK_OK(open_session(&s, ALL, "c_int:-,c_str:-,c_inner.lat:-,c_inner.ids:-", NULL), &s.err);
  msg a = {0}, b = {0}, c = {0}, in = {0}, in2 = {0};
  f_varint(&a, 43, 5);
  f_str(&a, 44, "won");
  f_double(&in, 1, 3.5);
  f_varint(&in, 3, 1);
  f_msg(&b, 45, &in);
  f_varint(&b, 43, 9); /* clears c_inner, its list elements too */
  f_msg(&c, 45, &in);
  f_varint(&in2, 3, 2);
  f_msg(&c, 45, &in2); /* the same member twice: merged */
  CHECK_OK(decode(&s, (msg[]){a, b, c}, 3), &s.err);
  CHECK(isnull(&s, "c_int", 0));
  CHECK_STR(gets(&s, "c_str", 0), "won");
  CHECK_INT(geti(&s, "c_int", 1), 9);
  CHECK(isnull(&s, "c_inner.lat", 1));
  CHECK_STR(getl(&s, "c_inner.ids", 1), "null");
  CHECK(!feast_proto_decoder_present(s.dec, 1, 2));
  CHECK(getd(&s, "c_inner.lat", 2) == 3.5);
  CHECK_STR(getl(&s, "c_inner.ids", 2), "1 2");
  CHECK(isnull(&s, "c_int", 2));
  check_shape(&s);
  close_session(&s);
  /* a member the plan does not read still clears the one it reads */
  CHECK_OK(open_session(&s, ALL, "c_int:-", NULL), &s.err);
  msg d = {0};
  f_varint(&d, 43, 5);
  f_str(&d, 44, "other");
  CHECK_OK(decode(&s, &d, 1), &s.err);
  CHECK(isnull(&s, "c_int", 0));
  close_session(&s);
}

static void unknown_fields_are_skipped(void) {
  session s;
  CHECK_OK(open_session(&s, ALL, "i64:-,s:-,far_field:-", NULL), &s.err);
  msg m = {0}, sub = {0};
  f_varint(&m, 99, 1);
  f_str(&m, 100, "skip");
  f_fixed32(&m, 101, 1);
  f_fixed64(&m, 102, 1);
  put_key(&m, 103, 3); /* a group with a nested group */
  put_key(&m, 1, 3);
  f_varint(&m, 2, 1);
  put_key(&m, 1, 4);
  put_key(&m, 103, 4);
  f_varint(&m, 2, 77);
  f_varint(&sub, 1, 1);
  f_msg(&m, 30, &sub); /* a message on no wanted path */
  f_str(&m, 46, "\x0a\x01k\x10\x01"); /* a map entry */
  f_varint(&m, 3000, 12);             /* past the dense key table */
  f_varint(&m, 536870911, 1);         /* the largest field number */
  f_str(&m, 14, "end");
  CHECK_OK(decode(&s, &m, 1), &s.err);
  CHECK_INT(s.res.n_rejects, 0);
  if (s.res.n_rejects) fprintf(stderr, "  %s\n", s.res.rejects[0].reason);
  CHECK_INT(geti(&s, "i64", 0), 77);
  CHECK_STR(gets(&s, "s", 0), "end");
  CHECK_INT(geti(&s, "far_field", 0), 12);
  close_session(&s);
}

/* One bad message; its reject must carry cause, a reason with `where` and
 * `what`, and the offset. */
static void expect_reject(const char *spec, const msg *m, const char *cause, const char *where, const char *what,
                          size_t offset) {
  session s;
  CHECK_OK(open_session(&s, ALL, spec, NULL), &s.err);
  msg good = {0};
  f_varint(&good, 2, 1);
  CHECK_OK(decode(&s, (msg[]){good, *m, good}, 3), &s.err);
  CHECK_INT(s.res.rows, 2);
  CHECK_INT(s.res.n_rejects, 1);
  if (s.res.n_rejects == 1) {
    const feast_proto_reject *r = &s.res.rejects[0];
    CHECK_INT(r->index, 1);
    CHECK_STR(r->cause, cause);
    CHECK_CONTAINS(r->reason, where);
    CHECK_CONTAINS(r->reason, what);
    CHECK_INT(r->offset, offset);
    char at[32];
    snprintf(at, sizeof at, "at byte %zu", offset);
    CHECK_CONTAINS(r->reason, at);
  }
  check_shape(&s);
  close_session(&s);
}

static void errors_name_field_and_offset(void) {
  const char *spec = "i64:-,db:-,s:-,inner.lat:-,inner.deep.level:-,rf32:-,ri32:-";
  msg m = {0};
  f_varint(&m, 2, 1);
  put_key(&m, 2, 0);
  put_byte(&m, 0x80); /* truncated varint */
  expect_reject(spec, &m, "truncated", "i64 (field 2 of feast.dec.All)", "truncated varint", 2);
  m.n = 0;
  put_key(&m, 2, 0);
  for (int i = 0; i < 10; i++) put_byte(&m, 0xff);
  put_byte(&m, 0x01); /* 11 bytes */
  expect_reject(spec, &m, "bad varint", "i64", "longer than 10 bytes", 0);
  m.n = 0;
  put_key(&m, 2, 0);
  for (int i = 0; i < 9; i++) put_byte(&m, 0xff);
  put_byte(&m, 0x02); /* 10th byte past 64 bits */
  expect_reject(spec, &m, "bad varint", "i64", "longer than 64 bits", 0);
  m.n = 0;
  f_varint(&m, 2, 1);
  f_fixed32(&m, 12, 0); /* double sent as fixed32 */
  expect_reject(spec, &m, "bad wire type", "db (field 12 of feast.dec.All)", "wire type 5", 2);
  m.n = 0;
  put_byte(&m, 0x0e); /* field 1, wire type 6 */
  expect_reject(spec, &m, "bad key", "message feast.dec.All", "invalid wire type", 0);
  m.n = 0;
  f_varint(&m, 99, 1);
  put_byte(&m, 0x07); /* field 0 */
  put_byte(&m, 0);
  expect_reject(spec, &m, "bad key", "feast.dec.All", "", 3);
  m.n = 0;
  put_key(&m, 14, 2);
  put_varint(&m, 50);
  put_raw(&m, "abc", 3);
  expect_reject(spec, &m, "bad length", "s (field 14", "length 50 past the end", 0);
  m.n = 0;
  put_key(&m, 12, 1);
  put_raw(&m, "1234", 4);
  expect_reject(spec, &m, "truncated", "db", "truncated fixed64", 0);
  m.n = 0;
  msg in = {0};
  f_varint(&in, 2, 0); /* padding so the offset is inside */
  put_key(&in, 1, 1);
  put_raw(&in, "12", 2);
  f_varint(&m, 2, 5);
  f_msg(&m, 30, &in);
  expect_reject(spec, &m, "truncated", "inner.lat (field 1 of feast.dec.Inner)", "truncated fixed64", 7);
  m.n = 0;
  msg deep = {0}, mid = {0};
  put_key(&deep, 1, 2); /* int32 sent as LEN */
  put_varint(&deep, 0);
  f_msg(&mid, 4, &deep);
  f_msg(&m, 30, &mid);
  expect_reject(spec, &m, "bad wire type", "inner.deep.level", "wire type 2", 5);
  m.n = 0;
  f_str(&m, 14, "ok\xc0\xafno"); /* an overlong '/' */
  expect_reject(spec, &m, "invalid utf-8", "s (field 14", "not valid UTF-8 (byte 2 of 6)", 0);
  m.n = 0;
  f_str(&m, 14, "\xed\xa0\x80"); /* a surrogate */
  expect_reject(spec, &m, "invalid utf-8", "s (field 14", "UTF-8", 0);
  m.n = 0;
  f_varint(&m, 2, 1);
  put_key(&m, 55, 4); /* end-group with none open */
  expect_reject(spec, &m, "bad group", "field 55 of feast.dec.All", "end-group", 2);
  m.n = 0;
  put_key(&m, 56, 3); /* a group never closed */
  f_varint(&m, 1, 1);
  expect_reject(spec, &m, "bad group", "field 56", "group", 0);
  m.n = 0;
  f_bytes(&m, 24, "12345", 5); /* packed fixed32: 5 bytes */
  expect_reject(spec, &m, "bad packed run", "rf32", "not a multiple of 4", 0);
  m.n = 0;
  f_bytes(&m, 17, "\x01\x80", 2); /* packed varints, the last truncated */
  expect_reject(spec, &m, "bad packed run", "ri32", "truncated varint", 0);
  m.n = 0;
  f_str(&m, 100, "x");
  put_key(&m, 101, 2);
  put_varint(&m, 9); /* an unknown field's length past the end */
  expect_reject(spec, &m, "bad length", "field 101 of feast.dec.All (not a wanted column)", "past the end", 4);
  m.n = 0;
  put_byte(&m, 0x80); /* a truncated key */
  expect_reject(spec, &m, "truncated", "feast.dec.All", "field key: truncated", 0);
}

static void bad_message_leaves_no_partial_row(void) {
  session s;
  CHECK_OK(open_session(&s, ALL, "i64:-,s:-,ri32:-,rs:-,rts:-,ts:-,inner.ids:-,opt_s:-", NULL), &s.err);
  msg good = {0}, bad1 = {0}, bad2 = {0}, t = {0};
  f_varint(&good, 2, 1);
  f_str(&good, 14, "g");
  f_varint(&good, 17, 10);
  f_str(&good, 20, "gs");
  /* bad1: lists and strings first, then a truncated field */
  f_varint(&bad1, 2, 2);
  f_str(&bad1, 14, "BAD");
  f_varint(&bad1, 17, 20);
  f_varint(&bad1, 17, 21);
  f_str(&bad1, 20, "BADLIST");
  msg in = {0};
  f_varint(&in, 3, 99);
  f_msg(&bad1, 30, &in);
  put_key(&bad1, 12, 1);
  /* bad2: everything decodes, but the timestamp is out of range at commit,
   * after the lists have elements and other columns were written */
  f_varint(&bad2, 2, 3);
  f_str(&bad2, 14, "BAD2");
  f_str(&bad2, 42, "BAD2opt");
  f_varint(&bad2, 17, 30);
  f_str(&bad2, 20, "BAD2LIST");
  f_msg(&bad2, 47, &t);
  f_msg(&bad2, 30, &in);
  t.n = 0;
  f_varint(&t, 1, 1);
  f_varint(&t, 2, 1000000000);
  f_msg(&bad2, 31, &t);
  CHECK_OK(decode(&s, (msg[]){good, bad1, good, bad2, good}, 5), &s.err);
  CHECK_INT(s.res.rows, 3);
  CHECK_INT(s.res.n_rejects, 2);
  CHECK_INT(s.res.rejects[0].index, 1);
  CHECK_INT(s.res.rejects[1].index, 3);
  CHECK_STR(s.res.rejects[1].cause, "timestamp out of range");
  CHECK_INT(s.batch->num_rows, 3);
  for (int r = 0; r < 3; r++) {
    CHECK_INT(geti(&s, "i64", r), 1);
    CHECK_STR(gets(&s, "s", r), "g");
    CHECK_STR(getl(&s, "ri32", r), "10");
    CHECK_STR(getl(&s, "rs", r), "gs");
    CHECK_STR(getl(&s, "rts", r), "");
    CHECK(isnull(&s, "opt_s", r));
    CHECK(isnull(&s, "ts", r));
  }
  const feast_array *rs = col(&s, "rs");
  CHECK_INT(rs->child->length, 3);
  CHECK_INT(rs->child->data_len, 6);
  CHECK_INT(col(&s, "s")->data_len, 3);
  CHECK_INT(col(&s, "inner.ids")->child->length, 0);
  CHECK_INT(col(&s, "opt_s")->null_count, 3);
  check_shape(&s);
  /* a second call appends to the same batch */
  CHECK_OK(decode(&s, (msg[]){bad2, good}, 2), &s.err);
  CHECK_INT(s.res.rows, 1);
  CHECK_INT(s.res.rejects[0].index, 0);
  CHECK_INT(s.batch->num_rows, 4);
  CHECK_STR(getl(&s, "rs", 3), "gs");
  check_shape(&s);
  close_session(&s);
}

static void out_of_memory_leaves_whole_rows(void) {
  session s;
  CHECK_OK(open_session(&s, ALL, "i64:-,s:-,ri32:-,rs:-,opt_s:-,rcolor:-", NULL), &s.err);
  msg m[8];
  for (int i = 0; i < 8; i++) {
    memset(&m[i], 0, sizeof m[i]);
    f_varint(&m[i], 2, (uint64_t)i);
    char buf[800];
    memset(buf, 'a' + i, sizeof buf);
    f_bytes(&m[i], 14, buf, (size_t)(100 * i));
    for (int k = 0; k < 40 * i; k++) f_varint(&m[i], 17, (uint64_t)k);
    f_str(&m[i], 20, "x");
    if (i % 2) f_str(&m[i], 42, "o");
    f_varint(&m[i], 23, 1);
  }
  int failures = 0;
  for (long n = 0; n < 40; n++) {
    feast_batch_free(s.batch);
    CHECK_OK(feast_proto_plan_batch_new(s.plan, &s.batch, &s.err), &s.err);
    feast_alloc_fail_after(n);
    feast_code rc = decode(&s, m, 8);
    feast_alloc_fail_after(-1);
    if (rc) {
      failures++;
      CHECK_INT(rc, FEAST_E_NOMEM);
      CHECK(s.res.done < 8);
    } else {
      CHECK_INT(s.res.done, 8);
    }
    CHECK_INT(s.batch->num_rows, s.res.rows);
    check_shape(&s);
    for (int64_t r = 0; r < s.batch->num_rows; r++) {
      CHECK_INT(geti(&s, "i64", r), r);
      CHECK_INT(feast_array_get_bytes(col(&s, "s"), r, &(size_t){0}) - col(&s, "s")->data, 100 * r * (r - 1) / 2);
    }
  }
  CHECK(failures > 0);
  close_session(&s);
}

static void plan_refusals(void) {
  feast_proto_pool *pool = pool_once();
  feast_error err;
  feast_proto_plan *plan = NULL;
  feast_column_req map = {"feature", "counts", "counts", FEAST_VT_INVALID};
  CHECK_INT(feast_proto_plan_compile(pool, ALL, &map, 1, NULL, &plan, &err), FEAST_E_UNSUPPORTED);
  CHECK_CONTAINS(err.message, "column 'counts' (feature counts): field 'counts' of feast.dec.All is a map");
  CHECK(plan == NULL);
  feast_column_req reqs[] = {
      {"feature", "rating", "nope", FEAST_VT_INT64},
      {"feature", "x", "s", FEAST_VT_INT64},
      {"entity", "id", "rs.x", FEAST_VT_STRING},
      {"feature", "y", "i64.x", FEAST_VT_INT64},
      {"feature", "z", "u64", FEAST_VT_INT64},
      {"feature", "w", "ri32", FEAST_VT_INT32},
      {"feature", "v", "inner", FEAST_VT_INVALID},
      {"feature", "d1", "db", FEAST_VT_DOUBLE},
      {"feature", "d2", "db", FEAST_VT_FLOAT},
      {"feature", "m", "counts", FEAST_VT_STRING},
  };
  CHECK_INT(feast_proto_plan_compile(pool, ALL, reqs, sizeof reqs / sizeof reqs[0], NULL, &plan, &err), FEAST_E_SCHEMA);
  CHECK_CONTAINS(err.message, "column 'nope' (feature rating): no field 'nope' in message feast.dec.All");
  CHECK_CONTAINS(err.message, "column 's' (feature x): expected int64/sint64/sfixed64/uint32/fixed32 for INT64, found string");
  CHECK_CONTAINS(err.message, "column 'rs.x' (entity id): field 'rs' of feast.dec.All is not a singular message");
  CHECK_CONTAINS(err.message, "column 'i64.x'");
  CHECK_CONTAINS(err.message, "column 'u64' (feature z): expected int64/sint64/sfixed64/uint32/fixed32 for INT64, found uint64");
  CHECK_CONTAINS(err.message, "column 'ri32' (feature w): expected int32/sint32/sfixed32 for INT32, found repeated int32");
  CHECK_CONTAINS(err.message, "column 'inner' (feature v): field 'inner' of feast.dec.All is a message");
  CHECK_CONTAINS(err.message, "column 'db' (feature d2): asked for as DOUBLE and as FLOAT");
  CHECK_CONTAINS(err.message, "is a map");
  feast_column_req clash[] = {{"feature", "t", "ts", FEAST_VT_UNIX_TIMESTAMP}, {"feature", "sec", "ts.seconds", FEAST_VT_INT64}};
  CHECK_INT(feast_proto_plan_compile(pool, ALL, clash, 2, NULL, &plan, &err), FEAST_E_SCHEMA);
  CHECK_CONTAINS(err.message, "which is a column itself");
  CHECK_INT(feast_proto_plan_compile(pool, "feast.dec.Nope", clash, 1, NULL, &plan, &err), FEAST_E_NOT_FOUND);
  /* a Java class path resolves; the same path twice is one column */
  feast_column_req twice[] = {{"entity", "id", "i64", FEAST_VT_INT64}, {"feature", "f", "i64", FEAST_VT_INT64}};
  CHECK_OK(feast_proto_plan_compile(pool, "com.example.AllProto$All", twice, 2, NULL, &plan, &err), &err);
  if (plan) {
    CHECK_INT(feast_proto_plan_column_count(plan), 1);
    CHECK_STR(feast_proto_plan_message(plan), "feast.dec.All");
  }
  feast_proto_plan_free(plan);
  /* a path straight into a Timestamp's fields is a plain message path */
  feast_column_req sec = {"feature", "sec", "ts.seconds", FEAST_VT_INT64};
  CHECK_OK(feast_proto_plan_compile(pool, ALL, &sec, 1, NULL, &plan, &err), &err);
  feast_proto_plan_free(plan);
}

static void batch_of_another_shape_is_refused(void) {
  session s, t;
  CHECK_OK(open_session(&s, ALL, "i64:-,s:-", NULL), &s.err);
  CHECK_OK(open_session(&t, ALL, "s:-,i64:-", NULL), &t.err);
  msg m = {0};
  feast_proto_slice sl = {m.b, m.n};
  CHECK_INT(feast_proto_decode(s.dec, &sl, 1, t.batch, &s.res, &s.err), FEAST_E_INVALID);
  CHECK_CONTAINS(s.err.message, "not of the plan's type");
  close_session(&s);
  close_session(&t);
}

/* The apply check (proto_check.c) accepts exactly what the decoder's type
 * table accepts, enums read as STRING included, and what it accepts the
 * plan compiles. */
static void type_table_matches_apply_check(void) {
  feast_proto_pool *pool = pool_once();
  if (!pool) {
    CHECK(pool != NULL);
    return;
  }
  const feast_value_type types[] = {FEAST_VT_BYTES, FEAST_VT_STRING, FEAST_VT_INT32, FEAST_VT_INT64,
                                    FEAST_VT_DOUBLE, FEAST_VT_FLOAT, FEAST_VT_BOOL, FEAST_VT_UNIX_TIMESTAMP,
                                    FEAST_VT_BYTES_LIST, FEAST_VT_STRING_LIST, FEAST_VT_INT32_LIST,
                                    FEAST_VT_INT64_LIST, FEAST_VT_DOUBLE_LIST, FEAST_VT_FLOAT_LIST,
                                    FEAST_VT_BOOL_LIST, FEAST_VT_UNIX_TIMESTAMP_LIST};
  const char *msgs[] = {"feast.dec.All", "feast.dec2.P2", "feast.dec.Inner"};
  int compared = 0;
  for (size_t mi = 0; mi < 3; mi++) {
    const feast_proto_message *m = feast_proto_pool_message(pool, msgs[mi]);
    CHECK(m != NULL);
    if (!m) continue;
    for (size_t fi = 0; fi < m->n_fields; fi++) {
      const feast_proto_field *f = &m->fields[fi];
      for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        feast_column_req r = {"feature", f->name, f->name, types[ti]};
        feast_error err;
        bool apply_ok = feast_proto_check_columns(m, &r, 1, &err) == FEAST_OK;
        bool ours = feast_proto_field_fits(types[ti], f);
        if (ours != apply_ok) {
          fprintf(stderr, "  %s.%s as %s: decoder %d, apply check %d\n", m->full_name, f->name,
                  feast_value_type_name(types[ti]), ours, apply_ok);
          CHECK(ours == apply_ok);
        }
        /* what the table accepts, the plan compiles */
        feast_proto_plan *plan = NULL;
        feast_code rc = feast_proto_plan_compile(pool, m->full_name, &r, 1, NULL, &plan, &err);
        CHECK_INT(rc == FEAST_OK, ours);
        feast_proto_plan_free(plan);
        compared++;
      }
    }
  }
  CHECK(compared > 500);
}

static void utf8_validation(void) {
  size_t at = 99;
  CHECK(feast_utf8_valid((const uint8_t *)"plain ascii text, longer than eight", 35, NULL));
  CHECK(feast_utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xa9 \xf4\x8f\xbf\xbf", 16, NULL));
  CHECK(!feast_utf8_valid((const uint8_t *)"abcdefgh\xf4\x90\x80\x80", 12, &at)); /* past U+10FFFF */
  CHECK_INT(at, 8);
  CHECK(!feast_utf8_valid((const uint8_t *)"\xe0\x80\xaf", 3, &at)); /* overlong */
  CHECK(!feast_utf8_valid((const uint8_t *)"\xe2\x82", 2, &at));     /* truncated */
  CHECK(!feast_utf8_valid((const uint8_t *)"\x80", 1, &at));
  CHECK(!feast_utf8_valid((const uint8_t *)"\xc1\xbf", 2, &at));
  CHECK(!feast_utf8_valid((const uint8_t *)"\xf5\x80\x80\x80", 4, &at));
}

TEST_MAIN(T(scalars_of_every_kind), T(feast_types_and_widenings), T(defaults_and_nulls), T(proto2_presence_and_groups),
          T(last_value_wins_and_messages_merge), T(packed_and_unpacked_lists), T(timestamps),
          T(wrappers_are_nullable_values), T(oneof_last_member_wins), T(unknown_fields_are_skipped),
          T(errors_name_field_and_offset), T(bad_message_leaves_no_partial_row), T(out_of_memory_leaves_whole_rows),
          T(plan_refusals), T(batch_of_another_shape_is_refused), T(type_table_matches_apply_check),
          T(utf8_validation))
