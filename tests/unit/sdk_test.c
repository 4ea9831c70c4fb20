/*
 * sdk_test.c - the binding conveniences of sdk.h: apply results, registry
 * objects and lists as JSON, and historical retrieval from a CSV path and
 * from an Arrow stream, on a tiny repository built in a temporary folder.
 */
#include "feast/sdk.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "feast/parquet_writer.h"
#include "feast/source.h"
#include "test.h"

static char dir[256];

static void write_file(const char *name, const char *text) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  fputs(text, f);
  fclose(f);
}

/* A repository with a Parquet source of 3 rows for driver 1 and 2. */
static feast_store *make_repo(void) {
  snprintf(dir, sizeof dir, "/tmp/feast-sdk-test-XXXXXX");
  if (!mkdtemp(dir)) abort();
  write_file("feature_store.yaml", "project: p1\nregistry: registry.db\nonline_store:\n  type: lmdb\n  path: online\n");
  feast_error err;
  feast_batch *b = feast_batch_new(3);
  feast_array *id = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(FEAST_DT_NULL));
  feast_array *ts = feast_array_new(feast_dtype_timestamp(FEAST_UNIT_US, true), feast_dtype_make(FEAST_DT_NULL));
  feast_array *v = feast_array_new(feast_dtype_make(FEAST_DT_DOUBLE), feast_dtype_make(FEAST_DT_NULL));
  int64_t ids[] = {1, 1, 2};
  int64_t tss[] = {1000000, 2000000, 1000000};
  double vs[] = {0.5, 0.75, 2.0};
  for (int i = 0; i < 3; i++) {
    feast_array_append_int(id, ids[i], &err);
    feast_array_append_int(ts, tss[i], &err);
    feast_array_append_double(v, vs[i], &err);
  }
  b->num_rows = 3;
  feast_batch_set_column(b, 0, "driver_id", id, &err);
  feast_batch_set_column(b, 1, "event_timestamp", ts, &err);
  feast_batch_set_column(b, 2, "rate", v, &err);
  char p[512];
  snprintf(p, sizeof p, "%s/trips.parquet", dir);
  CHECK_OK(feast_parquet_write_file(p, b, NULL, &err), &err);
  feast_batch_free(b);
  char spec[2048];
  snprintf(spec, sizeof spec,
           "spec:\n  name: driver_id\n  valueType: INT64\n  labels: {team: a}\n---\n"
           "spec:\n  name: trips\n  entities: [driver_id]\n  features:\n    - {name: rate, valueType: DOUBLE}\n"
           "  labels: {team: a}\n"
           "  batchSource:\n    type: BATCH_FILE\n    eventTimestampColumn: event_timestamp\n"
           "    fileOptions:\n      fileFormat: {parquetFormat: {}}\n      fileUrl: %s\n",
           p);
  write_file("specs.yaml", spec);
  snprintf(p, sizeof p, "%s/feature_store.yaml", dir);
  feast_store *s = NULL;
  CHECK_OK(feast_store_open(p, NULL, &s, &err), &err);
  return s;
}

static void cleanup(feast_store *s) {
  feast_store_free(s);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
}

static void test_apply_list_describe(void) {
  feast_store *s = make_repo();
  feast_error err;
  char p[512], *out = NULL;
  snprintf(p, sizeof p, "%s/specs.yaml", dir);
  const char *paths[] = {p};
  CHECK_OK(feast_store_apply_json(s, paths, 1, NULL, NULL, false, &out, &err), &err);
  CHECK_STR(out, "[{\"kind\":\"entity\",\"name\":\"driver_id\",\"action\":\"created\",\"revision\":1},"
                 "{\"kind\":\"feature_table\",\"name\":\"trips\",\"action\":\"created\",\"revision\":1}]");
  feast_string_free(out);
  CHECK_OK(feast_store_apply_json(s, paths, 1, NULL, NULL, false, &out, &err), &err);
  CHECK_CONTAINS(out, "\"action\":\"unchanged\",\"revision\":1}]");
  feast_string_free(out);
  /* text: a bad document names the text */
  CHECK_INT(feast_store_apply_json(s, NULL, 0, "spec:\n  name: x\n  bogus: 1\n", "inline", false, &out, &err) != 0, 1);
  CHECK(out == NULL);
  CHECK_CONTAINS(err.message, "inline");
  CHECK_INT(feast_store_apply_json(s, NULL, 0, NULL, NULL, false, &out, &err), FEAST_E_INVALID);

  CHECK_OK(feast_store_describe_json(s, FEAST_DOC_ENTITY, "driver_id", &out, &err), &err);
  CHECK_CONTAINS(out, "\"name\": \"driver_id\"");
  CHECK_CONTAINS(out, "\"meta\":{\"createdTimestamp\":\"");
  CHECK_CONTAINS(out, "\"revision\":1}}");
  feast_string_free(out);
  CHECK_INT(feast_store_describe_json(s, FEAST_DOC_FEATURE_TABLE, "nope", &out, &err), FEAST_E_NOT_FOUND);
  CHECK_CONTAINS(err.message, "nope");

  const char *k[] = {"team"}, *v1[] = {"a"}, *v2[] = {"b"};
  CHECK_OK(feast_store_list_json(s, FEAST_DOC_FEATURE_TABLE, k, v1, 1, &out, &err), &err);
  CHECK_CONTAINS(out, "\"name\": \"trips\"");
  feast_string_free(out);
  CHECK_OK(feast_store_list_json(s, FEAST_DOC_ENTITY, k, v2, 1, &out, &err), &err);
  CHECK_STR(out, "[]");
  feast_string_free(out);
  cleanup(s);
}

static int64_t drain(struct ArrowArrayStream *st, double *sum) {
  int64_t rows = 0;
  struct ArrowArray a;
  struct ArrowSchema sc;
  CHECK_INT(st->get_schema(st, &sc), 0);
  CHECK_INT(sc.n_children, 3);
  CHECK_STR(sc.children[2]->name, "trips__rate");
  sc.release(&sc);
  for (;;) {
    CHECK_INT(st->get_next(st, &a), 0);
    if (!a.release) break;
    rows += a.length;
    const struct ArrowArray *r = a.children[2];
    const double *d = r->buffers[1];
    const uint8_t *valid = r->buffers[0];
    for (int64_t i = 0; i < r->length; i++)
      if (!valid || (valid[(i + r->offset) / 8] >> ((i + r->offset) % 8) & 1)) *sum += d[i + r->offset];
    a.release(&a);
  }
  st->release(st);
  return rows;
}

static void test_historical(void) {
  feast_store *s = make_repo();
  feast_error err;
  char p[512], *out = NULL;
  snprintf(p, sizeof p, "%s/specs.yaml", dir);
  const char *paths[] = {p};
  CHECK_OK(feast_store_apply_json(s, paths, 1, NULL, NULL, false, &out, &err), &err);
  feast_string_free(out);
  /* driver 1 at t=1.5s sees 0.5; at 2s sees 0.75; driver 2 at 0.5s sees nothing; driver 3 none */
  write_file("entities.csv", "driver_id,event_timestamp\n1,1970-01-01T00:00:01.5Z\n1,1970-01-01T00:00:02Z\n"
                             "2,1970-01-01T00:00:00.5Z\n3,1970-01-01T00:00:05Z\n");
  snprintf(p, sizeof p, "%s/entities.csv", dir);
  const char *refs[] = {"trips:rate"};
  struct ArrowArrayStream st;
  feast_retrieval_summary sum;
  CHECK_OK(feast_store_historical_stream(s, refs, 1, NULL, p, NULL, &st, &sum, &err), &err);
  CHECK_INT(sum.entity_rows, 4);
  CHECK_INT(sum.matched, 2);
  double total = 0;
  CHECK_INT(drain(&st, &total), 4);
  CHECK(total == 1.25);

  /* the same rows through an Arrow stream (exported from a CSV source) */
  feast_batch_source *src;
  feast_batch *schema;
  feast_csv_column_type types[] = {{"event_timestamp", feast_dtype_timestamp(FEAST_UNIT_US, true)}};
  CHECK_OK(feast_rows_open(p, types, 1, &src, &schema, &err), &err);
  struct ArrowArrayStream in;
  CHECK_OK(feast_arrow_stream_export(src, schema, &in, &err), &err);
  feast_batch_free(schema);
  CHECK_OK(feast_store_historical_stream(s, refs, 1, &in, NULL, NULL, &st, NULL, &err), &err);
  CHECK(in.release == NULL);
  total = 0;
  CHECK_INT(drain(&st, &total), 4);
  CHECK(total == 1.25);

  /* errors: unknown feature; no entity rows */
  const char *bad[] = {"trips:nope"};
  CHECK(feast_store_historical_stream(s, bad, 1, NULL, p, NULL, &st, NULL, &err) != 0);
  CHECK_CONTAINS(err.message, "nope");
  CHECK_INT(feast_store_historical_stream(s, refs, 1, NULL, NULL, NULL, &st, NULL, &err), FEAST_E_INVALID);
  cleanup(s);
}

static void abi_sizes_for_bindings(void) {
  CHECK_INT(feast_abi_sizeof("feast_ingest_options"), sizeof(feast_ingest_options));
  CHECK_INT(feast_abi_sizeof("feast_error"), sizeof(feast_error));
  CHECK_INT(feast_abi_sizeof("feast_retrieval_summary"), sizeof(feast_retrieval_summary));
  CHECK_INT(feast_abi_sizeof("no_such_struct"), 0);
}

TEST_MAIN(T(abi_sizes_for_bindings), {"apply_list_describe", test_apply_list_describe}, {"historical", test_historical})
