/*
 * bigquery_test.c - the pieces of the BigQuery connector that need no
 * server: feature_store.yaml's bigquery: section, table references, SQL
 * literals and the point-in-time query's rules, BigQuery's error documents
 * and table resources, the Storage Read API's messages, credentials files,
 * base64url and RS256 (checked by OpenSSL's verifier), the backoff and the
 * type table. The calls themselves are tested against the emulator and a
 * token endpoint in tests/py/test_bigquery*.py.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "base/alloc.h"
#include "cloud/gcp/bq_api.h"
#include "cloud/gcp/bq_rest.h"
#include "cloud/gcp/bq_storage.h"
#include "cloud/gcp/gcp_creds.h"
#include "cloud/gcp/gcp_jwt.h"
#include "feast/config.h"
#include "format/proto/wire.h"
#include "source/bigquery.h"
#include "source/bigquery_pit.h"
#include "source/bigquery_types.h"
#include "test.h"

static feast_code parse_cfg(const char *text, feast_config *c, feast_error *err) {
  return feast_config_parse_text(text, strlen(text), "feature_store.yaml", "/repo", c, err);
}

static void config_section(void) {
  feast_config c;
  feast_error err;
  CHECK_OK(parse_cfg("bigquery:\n  project: my-proj\n  location: EU\n  endpoint: http://127.0.0.1:9050\n"
                     "  storage_endpoint: 127.0.0.1:9060\n  credentials: keys/sa.json\n  staging_dataset: stage\n"
                     "  pushdown: always\n  read_streams: 8\n  read_format: avro\n",
                     &c, &err),
           &err);
  CHECK(c.has_bigquery);
  CHECK_STR(c.bigquery.project, "my-proj");
  CHECK_STR(c.bigquery.location, "EU");
  CHECK_STR(c.bigquery.endpoint, "http://127.0.0.1:9050");
  CHECK_STR(c.bigquery.storage_endpoint, "127.0.0.1:9060");
  CHECK_STR(c.bigquery.credentials, "/repo/keys/sa.json");
  CHECK_STR(c.bigquery.staging_dataset, "stage");
  CHECK_STR(c.bigquery.pushdown, "always");
  CHECK_INT(c.bigquery.read_streams, 8);
  CHECK_STR(c.bigquery.read_format, "avro");
  feast_config_clear(&c);
  CHECK_OK(parse_cfg("project: p\n", &c, &err), &err);
  CHECK(!c.has_bigquery);
  feast_config_clear(&c);
  /* unknown keys and bad values name the key and the line */
  CHECK_INT(parse_cfg("bigquery:\n  project: p\n  endpont: x\n", &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "feature_store.yaml:3:");
  CHECK_CONTAINS(err.message, "endpont");
  CHECK_CONTAINS(err.message, "storage_endpoint");
  CHECK_INT(parse_cfg("bigquery:\n  pushdown: sometimes\n", &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "auto, always or never");
  CHECK_INT(parse_cfg("bigquery:\n  read_streams: 0\n", &c, &err), FEAST_E_INVALID);
  CHECK_INT(parse_cfg("bigquery:\n  staging_dataset: a-b\n", &c, &err), FEAST_E_INVALID);
  CHECK_INT(parse_cfg("bigquery:\n  read_format: csv\n", &c, &err), FEAST_E_INVALID);
  CHECK_INT(parse_cfg("bigquery:\n  project: a\n  project: b\n", &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "twice");
  CHECK_INT(parse_cfg("bigquery: [a]\n", &c, &err), FEAST_E_INVALID);
}

static void table_refs(void) {
  feast_bq_ref r;
  feast_error err;
  char s[2600];
  CHECK_OK(feast_bq_ref_parse("my-proj:ds.tbl", NULL, &r, &err), &err);
  CHECK_STR(r.project, "my-proj");
  CHECK_STR(r.dataset, "ds");
  CHECK_STR(r.table, "tbl");
  CHECK_OK(feast_bq_ref_parse("bq://p.d.t", NULL, &r, &err), &err);
  feast_bq_ref_format(&r, s, sizeof s);
  CHECK_STR(s, "p.d.t");
  feast_bq_ref_sql(&r, s, sizeof s);
  CHECK_STR(s, "`p.d.t`");
  CHECK_OK(feast_bq_ref_parse("`p.d.t`", NULL, &r, &err), &err);
  CHECK_STR(r.table, "t");
  CHECK_OK(feast_bq_ref_parse("example.com:proj:ds.t", NULL, &r, &err), &err); /* domain-scoped */
  CHECK_STR(r.project, "example.com:proj");
  CHECK_STR(r.dataset, "ds");
  CHECK_OK(feast_bq_ref_parse("ds.t", "dflt", &r, &err), &err);
  CHECK_STR(r.project, "dflt");
  CHECK_INT(feast_bq_ref_parse("ds.t", NULL, &r, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "project:dataset.table");
  CHECK_INT(feast_bq_ref_parse("p:d.", NULL, &r, &err), FEAST_E_INVALID);
  CHECK_INT(feast_bq_ref_parse("p:d.t;DROP", NULL, &r, &err), FEAST_E_INVALID);
  CHECK_INT(feast_bq_ref_parse("", NULL, &r, &err), FEAST_E_INVALID);
  CHECK_INT(feast_bq_ref_parse("p:d t.x", NULL, &r, &err), FEAST_E_INVALID);
}

static void sql_literals(void) {
  char s[128];
  feast_bq_sql_time_literal(INT64_C(1618225182123456), "TIMESTAMP", s, sizeof s);
  CHECK_STR(s, "TIMESTAMP '2021-04-12 10:59:42.123456+00:00'");
  feast_bq_sql_time_literal(-1, NULL, s, sizeof s); /* a microsecond before the epoch */
  CHECK_STR(s, "TIMESTAMP '1969-12-31 23:59:59.999999+00:00'");
  feast_bq_sql_time_literal(INT64_C(1618225182123456), "DATE", s, sizeof s);
  CHECK_STR(s, "DATE '2021-04-12'");
  feast_bq_sql_time_literal(INT64_C(1618225182123456), "DATETIME", s, sizeof s);
  CHECK_STR(s, "DATETIME '2021-04-12 10:59:42.123456'");
  feast_bq_sql_time_literal(FEAST_TS_MAX, "TIMESTAMP", s, sizeof s); /* clamped to BigQuery's range */
  CHECK_STR(s, "TIMESTAMP '9999-12-31 23:59:59.999999+00:00'");
  feast_bq_sql_time_literal(FEAST_TS_MIN, "TIMESTAMP", s, sizeof s);
  CHECK_STR(s, "TIMESTAMP '0001-01-01 00:00:00.000000+00:00'");
  feast_buf b;
  feast_buf_init(&b, 1024);
  feast_error err;
  CHECK_OK(feast_bq_sql_ident(&b, "driver id", &err), &err);
  CHECK_OK(feast_bq_sql_string(&b, "it's \\", &err), &err);
  CHECK(feast_buf_cstr(&b, &err) && strcmp((const char *)b.data, "`driver id`'it\\'s \\\\'") == 0);
  CHECK_INT(feast_bq_sql_ident(&b, "a`b", &err), FEAST_E_INVALID);
  feast_buf_free(&b);
}

/* A resolved source with the given fields, for the SQL builder. */
static void fake_source(feast_bq_source *s, const char *json) {
  feast_error err;
  memset(s, 0, sizeof s->table);
  CHECK_OK(feast_bq_table_parse(json, strlen(json), "fake", &s->meta, &err), &err);
  snprintf(s->table.project, sizeof s->table.project, "p");
  snprintf(s->table.dataset, sizeof s->table.dataset, "d");
  snprintf(s->table.table, sizeof s->table.table, "t");
  s->is_query = false;
  s->sql = NULL;
  s->project = NULL;
}

static void pit_query_rules(void) {
  static const char *FIELDS =
      "{\"schema\": {\"fields\": [{\"name\": \"drv\", \"type\": \"INTEGER\"}, {\"name\": \"ev\", \"type\": \"DATE\"},"
      "{\"name\": \"cr\", \"type\": \"TIMESTAMP\"}, {\"name\": \"rating\", \"type\": \"FLOAT\"},"
      "{\"name\": \"seen\", \"type\": \"DATETIME\"}]}}";
  feast_bq_source src;
  fake_source(&src, FIELDS);
  char *ents[] = {"driver_id"};
  feast_feature_spec feats[2];
  memset(feats, 0, sizeof feats);
  feats[0].name = "rating";
  feats[0].value_type = FEAST_VT_DOUBLE;
  feats[1].name = "seen";
  feats[1].value_type = FEAST_VT_UNIX_TIMESTAMP;
  feast_feature_table_spec t;
  memset(&t, 0, sizeof t);
  t.name = "drv";
  t.n_entities = 1;
  t.entities = ents;
  t.n_features = 2;
  t.features = feats;
  t.has_max_age = true;
  t.max_age = 3600 * FEAST_US_PER_SEC;
  t.batch_source.type = FEAST_SOURCE_BIGQUERY;
  t.batch_source.event_timestamp_column = "ev";
  t.batch_source.created_timestamp_column = "cr";
  feast_kv map[] = {{"driver_id", "drv"}};
  t.batch_source.field_mapping = (feast_map){1, map};
  const char *features[] = {"rating", "seen"}, *outs[] = {"drv__rating", "drv__seen"};
  feast_bq_pit_table pt = {&t, &src, 2, features, outs};
  feast_bq_pit_request r;
  memset(&r, 0, sizeof r);
  r.entity_from = "`p.d.ents`";
  r.entity_has_row = true;
  r.entity_ts = "event_timestamp";
  r.entity_ts_type = "TIMESTAMP";
  r.ts_lo = INT64_C(1618225182000000);
  r.ts_hi = INT64_C(1618228782000000);
  r.n_tables = 1;
  r.tables = &pt;
  r.match_flags = true;
  feast_buf b;
  feast_buf_init(&b, 1 << 20);
  feast_error err;
  CHECK_OK(feast_bq_pit_sql(&r, &b, &err), &err);
  const char *q = (const char *)b.data;
  /* the source's key through field_mapping, times as TIMESTAMP (a DATE counts as midnight UTC) */
  CHECK_CONTAINS(q, "`drv` AS k0, TIMESTAMP(`ev`) AS ev, `cr` AS cr");
  CHECK_CONTAINS(q, "TIMESTAMP(`seen`) AS f1"); /* a DATETIME feature read as UNIX_TIMESTAMP */
  /* both window ends inclusive, max_age in microseconds */
  CHECK_CONTAINS(q, "s.ev <= e.feast_ts__ AND UNIX_MICROS(e.feast_ts__) - UNIX_MICROS(s.ev) <= 3600000000");
  /* latest event, then latest created, a null created last */
  CHECK_CONTAINS(q, "ORDER BY s.ev DESC, s.cr DESC NULLS LAST");
  /* equality joins never match null keys; every entity row kept once */
  CHECK_CONTAINS(q, "e.`driver_id` = s.k0");
  CHECK_CONTAINS(q, "WHERE rn = 1");
  CHECK_CONTAINS(q, "FROM ent e\n  LEFT JOIN t0 ON t0.feast_row__ = e.feast_row__");
  /* the source is pruned to [min entity ts - max_age, max entity ts] on its own column type */
  CHECK_CONTAINS(q, "WHERE `ev` >= DATE '2021-04-12' AND `ev` <= DATE '2021-04-12'");
  CHECK_CONTAINS(q, "t0.f0 AS `drv__rating`");
  CHECK_CONTAINS(q, "feast_m0__");
  /* no max_age: no lower bound at all; no created column: only the event time orders */
  feast_buf_reset(&b);
  t.has_max_age = false;
  t.batch_source.created_timestamp_column = NULL;
  r.match_flags = false;
  r.entity_has_row = false;
  CHECK_OK(feast_bq_pit_sql(&r, &b, &err), &err);
  q = feast_buf_cstr(&b, &err);
  CHECK(!strstr(q, "UNIX_MICROS"));
  CHECK(!strstr(q, "s.cr"));
  CHECK(!strstr(q, ">= DATE"));
  CHECK(!strstr(q, "feast_m0__"));
  CHECK_CONTAINS(q, "ROW_NUMBER() OVER () - 1 AS feast_row__");
  CHECK_CONTAINS(q, "ORDER BY s.ev DESC) AS rn");
  feast_buf_free(&b);
  feast_bq_table_free(&src.meta);
}

static void error_documents(void) {
  feast_error err;
  bool retry;
  const char *nf = "{\"error\": {\"code\": 404, \"message\": \"Not found: Table p:d.t\", \"errors\": [{\"reason\": "
                   "\"notFound\", \"message\": \"Not found: Table p:d.t\"}]}}";
  CHECK_INT(feast_bq_error_body("tables.get p.d.t", 404, nf, strlen(nf), &retry, &err), FEAST_E_NOT_FOUND);
  CHECK(!retry && !err.retriable);
  CHECK_STR(err.message, "tables.get p.d.t: HTTP 404 notFound: Not found: Table p:d.t");
  const char *rl = "{\"error\": {\"code\": 403, \"message\": \"Exceeded rate limits\", \"errors\": [{\"reason\": "
                   "\"rateLimitExceeded\", \"message\": \"Exceeded rate limits\"}]}}";
  CHECK_INT(feast_bq_error_body("jobs.insert", 403, rl, strlen(rl), &retry, &err), FEAST_E_SERVER);
  CHECK(retry && err.retriable); /* a 403 that BigQuery says will pass */
  const char *ad = "{\"error\": {\"code\": 403, \"message\": \"denied\", \"errors\": [{\"reason\": \"accessDenied\"}]}}";
  CHECK_INT(feast_bq_error_body("jobs.insert", 403, ad, strlen(ad), &retry, &err), FEAST_E_INVALID);
  CHECK(!retry);
  CHECK_INT(feast_bq_error_body("x", 502, "<html>Bad Gateway</html>", 24, &retry, &err), FEAST_E_SERVER);
  CHECK(retry);
  CHECK_CONTAINS(err.message, "HTTP 502: <html>Bad Gateway</html>");
  CHECK_INT(feast_bq_error_body("x", 409, "{}", 2, &retry, &err), FEAST_E_EXISTS);
  /* a job's errorResult, with the location of a bad query */
  const char *er = "{\"reason\": \"invalidQuery\", \"message\": \"Unrecognized name: x\", \"location\": \"query\"}";
  CHECK_INT(feast_bq_error_body("query job j", 0, er, strlen(er), &retry, &err), FEAST_E_INVALID);
  CHECK_STR(err.message, "query job j: invalidQuery: Unrecognized name: x at query");
}

/* Job resources: state, the first error's reason and message with the
 * others after it, statistics, schema and destination. */
static void job_resources(void) {
  feast_error err;
  feast_bq_job j;
  bool done;
  const char *ok = "{\"jobReference\": {\"projectId\": \"p\", \"jobId\": \"j\", \"location\": \"EU\"}, "
                   "\"status\": {\"state\": \"DONE\"}, \"statistics\": {\"totalBytesProcessed\": \"1024\", "
                   "\"query\": {\"totalBytesBilled\": \"10485760\", \"schema\": {\"fields\": [{\"name\": \"a\", "
                   "\"type\": \"INTEGER\", \"mode\": \"NULLABLE\"}]}}}, \"configuration\": {\"query\": "
                   "{\"destinationTable\": {\"projectId\": \"p\", \"datasetId\": \"_t\", \"tableId\": \"anon\"}}}}";
  CHECK_OK(feast_bq_job_parse(ok, strlen(ok), "query job j", &j, &done, &err), &err);
  CHECK(done);
  CHECK_STR(j.location, "EU");
  CHECK_INT(j.bytes_processed, 1024);
  CHECK_INT(j.bytes_billed, 10485760);
  CHECK(j.has_schema && j.schema.n_fields == 1 && feast_bq_table_find(&j.schema, "a"));
  CHECK_STR(j.destination.table, "anon");
  feast_bq_job_clear(&j);
  const char *running = "{\"status\": {\"state\": \"RUNNING\"}}";
  CHECK_OK(feast_bq_job_parse(running, strlen(running), "query job j", &j, &done, &err), &err);
  CHECK(!done);
  feast_bq_job_clear(&j);
  const char *bad = "{\"status\": {\"state\": \"DONE\", \"errorResult\": {\"reason\": \"invalidQuery\", "
                    "\"message\": \"Syntax error at [1:8]\"}, \"errors\": [{\"message\": \"Syntax error at [1:8]\"}, "
                    "{\"message\": \"and another\"}]}}";
  CHECK_INT(feast_bq_job_parse(bad, strlen(bad), "query job j", &j, &done, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "query job j: invalidQuery: Syntax error at [1:8]");
  CHECK_CONTAINS(err.message, "and another");
  feast_bq_job_clear(&j);
  CHECK_INT(feast_bq_job_parse("{\"status\": ", 11, "query job j", &j, &done, &err), FEAST_E_CORRUPT);
  feast_bq_job_clear(&j);
}

static void table_resources(void) {
  const char *doc = "{\"type\": \"TABLE\", \"numRows\": \"1000\", \"numBytes\": \"52000\", \"location\": \"EU\","
                    "\"timePartitioning\": {\"type\": \"DAY\", \"field\": \"ev\", \"requirePartitionFilter\": true},"
                    "\"schema\": {\"fields\": [{\"name\": \"k\", \"type\": \"INTEGER\", \"mode\": \"REQUIRED\"},"
                    "{\"name\": \"loc\", \"type\": \"RECORD\", \"fields\": [{\"name\": \"city\", \"type\": \"STRING\"}]},"
                    "{\"name\": \"tags\", \"type\": \"STRING\", \"mode\": \"REPEATED\"}]}}";
  feast_bq_table t;
  feast_error err;
  CHECK_OK(feast_bq_table_parse(doc, strlen(doc), "tables.get", &t, &err), &err);
  CHECK_INT(t.num_rows, 1000);
  CHECK_INT(t.num_bytes, 52000);
  CHECK_STR(t.kind, "TABLE");
  CHECK_STR(t.partition_type, "DAY");
  CHECK_STR(t.partition_field, "ev");
  CHECK(t.require_partition_filter);
  CHECK_INT(t.n_fields, 3);
  CHECK_STR(t.fields[1].fields[0].name, "city");
  CHECK_STR(t.fields[2].mode, "REPEATED");
  CHECK(feast_bq_table_find(&t, "TAGS") == &t.fields[2]); /* column names are case-insensitive */
  feast_bq_table_free(&t);
  CHECK_INT(feast_bq_table_parse("{\"schema\": {\"fields\": 3}}", 26, "x", &t, &err), FEAST_E_CORRUPT);
  CHECK_INT(feast_bq_table_parse("{\"schema\": {\"fields\": [{\"name\": \"a\"}]}}", 39, "x", &t, &err), FEAST_E_CORRUPT);
  CHECK_CONTAINS(err.message, "no name or type");
  CHECK_INT(feast_bq_table_parse("[", 1, "x", &t, &err), FEAST_E_CORRUPT);
}

static void type_table(void) {
  struct {
    const char *type, *mode;
    int id, child;
  } cases[] = {{"INTEGER", "NULLABLE", FEAST_DT_INT64, 0}, {"INT64", "REQUIRED", FEAST_DT_INT64, 0},
               {"FLOAT", NULL, FEAST_DT_DOUBLE, 0},        {"BOOL", NULL, FEAST_DT_BOOL, 0},
               {"STRING", NULL, FEAST_DT_STRING, 0},       {"BYTES", NULL, FEAST_DT_BINARY, 0},
               {"TIMESTAMP", NULL, FEAST_DT_TIMESTAMP, 0}, {"DATE", NULL, FEAST_DT_DATE32, 0},
               {"NUMERIC", NULL, FEAST_DT_DECIMAL128, 0},  {"FLOAT64", "REPEATED", FEAST_DT_LIST, FEAST_DT_DOUBLE}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    feast_bq_field f = {"c", cases[i].type, cases[i].mode ? cases[i].mode : "NULLABLE", 0, NULL};
    feast_dtype t, c;
    char why[256];
    CHECK(feast_bq_field_dtype(&f, &t, &c, why, sizeof why));
    CHECK_INT(t.id, cases[i].id);
    if (cases[i].child) CHECK_INT(c.id, cases[i].child);
  }
  feast_bq_field ts = {"c", "TIMESTAMP", "NULLABLE", 0, NULL}, dtm = {"c", "DATETIME", "NULLABLE", 0, NULL};
  feast_dtype t, c;
  char why[256];
  CHECK(feast_bq_field_dtype(&ts, &t, &c, why, sizeof why) && t.utc && t.unit == FEAST_UNIT_US);
  CHECK(feast_bq_field_dtype(&dtm, &t, &c, why, sizeof why) && !t.utc);
  feast_bq_field rec = {"loc", "RECORD", "NULLABLE", 0, NULL}, big = {"b", "BIGNUMERIC", "NULLABLE", 0, NULL};
  CHECK(!feast_bq_field_dtype(&rec, &t, &c, why, sizeof why));
  CHECK_CONTAINS(why, "RECORD");
  CHECK(!feast_bq_field_dtype(&big, &t, &c, why, sizeof why));
  feast_bq_field num = {"n", "NUMERIC", "NULLABLE", 0, NULL};
  CHECK(!feast_bq_field_readable(&num, why, sizeof why));
  CHECK_CONTAINS(why, "CAST");
  const char *bq;
  bool rep;
  CHECK(feast_bq_type_for_dtype(feast_dtype_make(FEAST_DT_INT32), feast_dtype_make(FEAST_DT_NULL), &bq, &rep));
  CHECK_STR(bq, "INTEGER");
  CHECK(feast_bq_type_for_dtype(feast_dtype_timestamp(FEAST_UNIT_NS, false), feast_dtype_make(FEAST_DT_NULL), &bq, &rep));
  CHECK_STR(bq, "TIMESTAMP");
  CHECK(feast_bq_type_for_dtype(feast_dtype_make(FEAST_DT_LIST), feast_dtype_make(FEAST_DT_STRING), &bq, &rep) && rep);
  CHECK(!feast_bq_type_for_dtype(feast_dtype_make(FEAST_DT_DECIMAL128), feast_dtype_make(FEAST_DT_NULL), &bq, &rep));
}

/* ---- Storage Read messages ---- */

static void put_str(feast_buf *b, uint32_t f, const char *s) {
  feast_error err;
  CHECK_OK(feast_wire_put_bytes(b, f, s, strlen(s), &err), &err);
}

static void put_msg(feast_buf *b, uint32_t f, const feast_buf *m) {
  feast_error err;
  CHECK_OK(feast_wire_put_bytes(b, f, m->data ? m->data : (const uint8_t *)"", m->len, &err), &err);
}

static void put_varint(feast_buf *b, uint32_t f, uint64_t v) {
  feast_error err;
  CHECK_OK(feast_wire_put_tag(b, f, FEAST_WIRE_VARINT, &err), &err);
  CHECK_OK(feast_wire_put_varint(b, v, &err), &err);
}

static void storage_messages(void) {
  feast_error err;
  /* CreateReadSessionRequest: decoded field by field with the wire reader */
  feast_bq_ref ref = {"p", "d", "t"};
  const char *fields[] = {"a", "b"};
  feast_bq_session_request req = {&ref, "billing", fields, 2, "a > 1", 4, FEAST_BQ_ARROW};
  feast_buf b;
  feast_buf_init(&b, 1 << 20);
  CHECK_OK(feast_bq_encode_session_request(&req, &b, &err), &err);
  feast_wire w = feast_wire_make(b.data, b.len);
  int seen = 0;
  while (!feast_wire_done(&w)) {
    feast_wire_field f;
    CHECK_OK(feast_wire_next_field(&w, &f, &err), &err);
    if (f.number == 1) {
      seen |= 1;
      CHECK(f.len == 16 && memcmp(f.data, "projects/billing", 16) == 0);
    }
    if (f.number == 3) {
      seen |= 2;
      CHECK_INT(f.value, 4);
    }
    if (f.number == 2) {
      seen |= 4;
      feast_wire s = feast_wire_make(f.data, f.len);
      while (!feast_wire_done(&s)) {
        feast_wire_field g;
        CHECK_OK(feast_wire_next_field(&s, &g, &err), &err);
        if (g.number == 6) {
      seen |= 8;
      CHECK(g.len == 30 && memcmp(g.data, "projects/p/datasets/d/tables/t", 30) == 0);
    }
        if (g.number == 3) {
      seen |= 16;
      CHECK_INT(g.value, FEAST_BQ_ARROW);
    }
        if (g.number == 8) seen |= 32;
      }
    }
  }
  CHECK_INT(seen, 63);
  /* ReadSession */
  feast_buf s, stream, schema;
  feast_buf_init(&s, 1 << 20);
  feast_buf_init(&stream, 1 << 20);
  feast_buf_init(&schema, 1 << 20);
  put_str(&s, 1, "projects/p/locations/us/sessions/x");
  put_varint(&s, 3, 2);
  put_str(&schema, 1, "\xff\xff\xff\xff");
  put_msg(&s, 5, &schema);
  for (int i = 0; i < 3; i++) {
    feast_buf_reset(&stream);
    char name[64];
    snprintf(name, sizeof name, "projects/p/locations/us/sessions/x/streams/%d", i);
    put_str(&stream, 1, name);
    put_msg(&s, 10, &stream);
  }
  put_varint(&s, 12, 123456);
  put_varint(&s, 14, 1000);
  put_varint(&s, 99, 7); /* an unknown field is skipped */
  feast_bq_session sess;
  CHECK_OK(feast_bq_decode_session(s.data, s.len, &sess, &err), &err);
  CHECK_STR(sess.name, "projects/p/locations/us/sessions/x");
  CHECK_INT(sess.n_streams, 3);
  CHECK_STR(sess.streams[2], "projects/p/locations/us/sessions/x/streams/2");
  CHECK_INT(sess.arrow_schema_len, 4);
  CHECK_INT(sess.estimated_bytes, 123456);
  CHECK_INT(sess.estimated_rows, 1000);
  CHECK_INT(sess.data_format, 2);
  feast_bq_session_clear(&sess);
  for (size_t cut = 0; cut + 1 < s.len; cut += 7) { /* a truncation is an error or a shorter session, never a read past the end */
    if (feast_bq_decode_session(s.data, cut, &sess, &err) == FEAST_OK) feast_bq_session_clear(&sess);
    else CHECK(err.code == FEAST_E_CORRUPT);
  }
  /* ReadRowsResponse with an Arrow batch */
  feast_buf rr, batch;
  feast_buf_init(&rr, 1 << 20);
  feast_buf_init(&batch, 1 << 20);
  put_str(&batch, 1, "ARROWBYTES");
  put_varint(&batch, 2, 42);
  put_msg(&rr, 4, &batch);
  put_varint(&rr, 6, 42);
  feast_bq_rows_msg m;
  CHECK_OK(feast_bq_decode_read_rows(rr.data, rr.len, &m, &err), &err);
  CHECK_INT(m.format, FEAST_BQ_ARROW);
  CHECK_INT(m.row_count, 42);
  CHECK(m.arrow_len == 10 && memcmp(m.arrow, "ARROWBYTES", 10) == 0);
  /* rows announced with nothing to hold them */
  feast_buf_reset(&rr);
  put_varint(&rr, 6, 5);
  CHECK_INT(feast_bq_decode_read_rows(rr.data, rr.len, &m, &err), FEAST_E_CORRUPT);
  CHECK_CONTAINS(err.message, "5 rows announced");
  /* a wire type that does not fit the field */
  feast_buf_reset(&rr);
  put_varint(&rr, 3, 1);
  CHECK_INT(feast_bq_decode_read_rows(rr.data, rr.len, &m, &err), FEAST_E_CORRUPT);
  feast_buf_free(&b);
  feast_buf_free(&s);
  feast_buf_free(&stream);
  feast_buf_free(&schema);
  feast_buf_free(&rr);
  feast_buf_free(&batch);
}

/* ---- credentials ---- */

static void credentials_files(void) {
  feast_gcp_creds *c;
  feast_error err;
  const char *sa = "{\"type\": \"service_account\", \"project_id\": \"pp\", \"private_key\": \"k\", "
                   "\"client_email\": \"a@b.iam.gserviceaccount.com\", \"token_uri\": \"https://oauth2.googleapis.com/token\"}";
  CHECK_OK(feast_gcp_creds_parse(sa, strlen(sa), "sa.json", &c, &err), &err);
  CHECK_INT(feast_gcp_creds_type(c), FEAST_GCP_SERVICE_ACCOUNT);
  CHECK_STR(feast_gcp_creds_project(c), "pp");
  CHECK_STR(feast_gcp_creds_describe(c), "service account a@b.iam.gserviceaccount.com (sa.json)");
  char hdr[64];
  /* a private key that is not a key: the signature step says so, naming the file */
  CHECK_INT(feast_gcp_creds_header(c, hdr, sizeof hdr, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "private_key of sa.json");
  feast_gcp_creds_free(c);
  const char *missing = "{\"type\": \"service_account\", \"client_email\": \"a@b\"}";
  CHECK_INT(feast_gcp_creds_parse(missing, strlen(missing), "x.json", &c, &err), FEAST_E_INVALID);
  CHECK_STR(err.message, "credentials file x.json has no \"private_key\"");
  const char *user = "{\"type\": \"authorized_user\", \"client_id\": \"i\", \"client_secret\": \"s\", \"refresh_token\": "
                     "\"r\", \"quota_project_id\": \"q\"}";
  CHECK_OK(feast_gcp_creds_parse(user, strlen(user), "adc.json", &c, &err), &err);
  CHECK_INT(feast_gcp_creds_type(c), FEAST_GCP_AUTHORIZED_USER);
  CHECK_STR(feast_gcp_creds_project(c), "q");
  feast_gcp_creds_free(c);
  const char *ext = "{\"type\": \"external_account\"}";
  CHECK_INT(feast_gcp_creds_parse(ext, strlen(ext), "e.json", &c, &err), FEAST_E_UNSUPPORTED);
  const char *plain = "{\"type\": \"authorized_user\", \"client_id\": \"i\", \"client_secret\": \"s\", \"refresh_token\": "
                      "\"r\", \"token_uri\": \"http://evil.example/token\"}";
  CHECK_INT(feast_gcp_creds_parse(plain, strlen(plain), "p.json", &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "neither https:// nor loopback");
  CHECK_INT(feast_gcp_creds_parse("{", 1, "b.json", &c, &err), FEAST_E_CORRUPT);
  CHECK_INT(feast_gcp_creds_parse("{\"type\": 3}", 11, "b.json", &c, &err), FEAST_E_INVALID);
}

static void base64url(void) {
  feast_buf b;
  feast_buf_init(&b, 256);
  feast_error err;
  const struct {
    const char *in, *out;
  } v[] = {{"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"}, {"\xfb\xff", "-_8"}};
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
    feast_buf_reset(&b);
    CHECK_OK(feast_b64url_append(&b, v[i].in, strlen(v[i].in), &err), &err);
    CHECK_STR(feast_buf_cstr(&b, &err), v[i].out);
  }
  feast_buf_free(&b);
}

static int b64url_decode(const char *s, size_t n, unsigned char *out) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned v = 0;
  int bits = 0, k = 0;
  for (size_t i = 0; i < n; i++) {
    const char *p = strchr(A, s[i]);
    if (!p) return -1;
    v = v << 6 | (unsigned)(p - A);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k++] = (unsigned char)(v >> bits);
    }
  }
  return k;
}

static void rs256_verifies(void) {
  EVP_PKEY *key = EVP_RSA_gen(2048);
  CHECK(key != NULL);
  if (!key) return;
  BIO *bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
  char *pem_data;
  long n = BIO_get_mem_data(bio, &pem_data);
  char *pem = feast_strndup(pem_data, (size_t)n);
  feast_buf jwt;
  feast_buf_init(&jwt, 1 << 16);
  feast_error err;
  CHECK_OK(feast_gcp_jwt_rs256(pem, "kid-7", "{\"iss\":\"a\"}", "k.json", &jwt, &err), &err);
  const char *t = feast_buf_cstr(&jwt, &err);
  const char *dot2 = strrchr(t, '.');
  unsigned char sig[512];
  int sig_len = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig);
  CHECK_INT(sig_len, 256);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
           EVP_DigestVerify(md, sig, (size_t)sig_len, (const unsigned char *)t, (size_t)(dot2 - t)) == 1;
  CHECK(ok);
  /* the header says RS256, JWT and the key id */
  unsigned char head[256];
  int hl = b64url_decode(t, (size_t)(strchr(t, '.') - t), head);
  CHECK(hl > 0 && strncmp((char *)head, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"kid-7\"}", (size_t)hl) == 0);
  /* a tampered payload no longer verifies */
  ((char *)jwt.data)[strchr(t, '.') - t + 2] ^= 1;
  EVP_MD_CTX_reset(md);
  CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
        EVP_DigestVerify(md, sig, (size_t)sig_len, (const unsigned char *)t, (size_t)(dot2 - t)) != 1);
  EVP_MD_CTX_free(md);
  /* an EC key is not an RS256 key */
  EVP_PKEY *ec = EVP_EC_gen("P-256");
  BIO *ebio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(ebio, ec, NULL, NULL, 0, NULL, NULL);
  n = BIO_get_mem_data(ebio, &pem_data);
  char *ecpem = feast_strndup(pem_data, (size_t)n);
  feast_buf_reset(&jwt);
  CHECK_INT(feast_gcp_jwt_rs256(ecpem, NULL, "{}", "ec.json", &jwt, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "not an RSA key");
  feast_free(ecpem);
  BIO_free(ebio);
  EVP_PKEY_free(ec);
  feast_buf_free(&jwt);
  feast_free(pem);
  BIO_free(bio);
  EVP_PKEY_free(key);
}

static void backoff_is_bounded_full_jitter(void) {
  uint64_t seed = 42;
  long max1 = 0, max5 = 0;
  for (int i = 0; i < 2000; i++) {
    long a = feast_bq_backoff_ms(250, 16000, 1, &seed), b = feast_bq_backoff_ms(250, 16000, 5, &seed),
         c = feast_bq_backoff_ms(250, 16000, 30, &seed);
    CHECK(a >= 0 && a <= 250);
    CHECK(b >= 0 && b <= 4000);
    CHECK(c >= 0 && c <= 16000);
    if (a > max1) max1 = a;
    if (b > max5) max5 = b;
  }
  CHECK(max1 > 200 && max5 > 3000); /* the whole range is used */
}

TEST_MAIN(T(config_section), T(table_refs), T(sql_literals), T(pit_query_rules), T(error_documents), T(job_resources),
          T(table_resources), T(type_table), T(storage_messages), T(credentials_files), T(base64url),
          T(rs256_verifies), T(backoff_is_bounded_full_jitter))
