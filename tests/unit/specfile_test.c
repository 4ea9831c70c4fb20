/*
 * specfile_test.c - spec files: every field in both key styles, YAML and
 * JSON, several documents, round trips through emit, and error messages
 * that name file, document, line and key path.
 */
#include <unistd.h>

#include "feast/specfile.h"
#include "test.h"

static const char *full_yaml =
    "spec:\n"
    "  name: driver_id\n"
    "  valueType: INT64\n"
    "  description: \"Driver ID\"\n"
    "  labels: {team: rides}\n"
    "---\n"
    "spec:\n"
    "  name: driver_trips\n"
    "  entities: [driver_id]\n"
    "  features:\n"
    "    - {name: average_daily_rides, valueType: FLOAT}\n"
    "    - name: rating\n"
    "      valueType: DOUBLE_LIST\n"
    "      labels: {unit: stars}\n"
    "  labels: {owner: ops}\n"
    "  maxAge: 3600.25s\n"
    "  batchSource:\n"
    "    type: BATCH_FILE\n"
    "    eventTimestampColumn: datetime\n"
    "    createdTimestampColumn: created\n"
    "    datePartitionColumn: date\n"
    "    fieldMapping: {rating: driver_rating}\n"
    "    fileOptions: {fileFormat: {parquetFormat: {}}, fileUrl: \"file:///data/driver_trips/\"}\n"
    "  streamSource:\n"
    "    eventTimestampColumn: datetime\n"
    "    kafkaOptions: {bootstrapServers: \"localhost:9094\", topic: driver_trips,\n"
    "                   messageFormat: {avroFormat: {schemaJson: '{\"type\":\"record\"}'}}}\n";

static const char *full_snake =
    "spec:\n"
    "  name: driver_trips\n"
    "  entities: [driver_id]\n"
    "  features:\n"
    "    - {name: average_daily_rides, value_type: FLOAT}\n"
    "    - name: rating\n"
    "      value_type: DOUBLE_LIST\n"
    "      labels: {unit: stars}\n"
    "  labels: {owner: ops}\n"
    "  max_age: 3600.25s\n"
    "  batch_source:\n"
    "    type: BATCH_FILE\n"
    "    event_timestamp_column: datetime\n"
    "    created_timestamp_column: created\n"
    "    date_partition_column: date\n"
    "    field_mapping: {rating: driver_rating}\n"
    "    file_options: {file_format: {parquet_format: {}}, file_url: \"file:///data/driver_trips/\"}\n"
    "  stream_source:\n"
    "    event_timestamp_column: datetime\n"
    "    kafka_options: {bootstrap_servers: \"localhost:9094\", topic: driver_trips,\n"
    "                   message_format: {avro_format: {schema_json: '{\"type\":\"record\"}'}}}\n";

static void check_full_table(const feast_feature_table_spec *t) {
  CHECK_STR(t->name, "driver_trips");
  CHECK_INT(t->n_entities, 1);
  if (t->n_entities == 1) CHECK_STR(t->entities[0], "driver_id");
  CHECK_INT(t->n_features, 2);
  if (t->n_features != 2) return;
  CHECK_STR(t->features[0].name, "average_daily_rides");
  CHECK_INT(t->features[0].value_type, FEAST_VT_FLOAT);
  CHECK_STR(t->features[1].name, "rating");
  CHECK_INT(t->features[1].value_type, FEAST_VT_DOUBLE_LIST);
  CHECK_STR(feast_map_get(&t->features[1].labels, "unit"), "stars");
  CHECK_STR(feast_map_get(&t->labels, "owner"), "ops");
  CHECK(t->has_max_age);
  CHECK_INT(t->max_age, INT64_C(3600250000));
  const feast_data_source *b = &t->batch_source;
  CHECK_INT(b->type, FEAST_SOURCE_FILE);
  CHECK_STR(b->event_timestamp_column, "datetime");
  CHECK_STR(b->created_timestamp_column, "created");
  CHECK_STR(b->date_partition_column, "date");
  CHECK_STR(feast_map_get(&b->field_mapping, "rating"), "driver_rating");
  CHECK_STR(feast_source_column(b, "rating"), "driver_rating");
  CHECK_INT(b->file.file_format.kind, FEAST_FORMAT_PARQUET);
  CHECK_STR(b->file.file_url, "file:///data/driver_trips/");
  CHECK(t->has_stream_source);
  const feast_data_source *s = &t->stream_source;
  CHECK_INT(s->type, FEAST_SOURCE_KAFKA); /* inferred from kafkaOptions */
  CHECK_STR(s->kafka.bootstrap_servers, "localhost:9094");
  CHECK_STR(s->kafka.topic, "driver_trips");
  CHECK_INT(s->kafka.message_format.kind, FEAST_FORMAT_AVRO);
  CHECK_STR(s->kafka.message_format.schema_json, "{\"type\":\"record\"}");
}

static void parses_every_field_camel(void) {
  feast_spec_docs docs = {0};
  feast_error err;
  CHECK_OK(feast_specfile_parse_text(full_yaml, strlen(full_yaml), "specs.yaml", &docs, &err), &err);
  CHECK_INT(docs.n, 2);
  if (docs.n != 2) return;
  CHECK_INT(docs.docs[0].kind, FEAST_DOC_ENTITY);
  CHECK_INT(docs.docs[0].index, 1);
  CHECK_STR(docs.docs[0].file, "specs.yaml");
  CHECK_STR(docs.docs[0].entity.name, "driver_id");
  CHECK_INT(docs.docs[0].entity.value_type, FEAST_VT_INT64);
  CHECK_STR(docs.docs[0].entity.description, "Driver ID");
  CHECK_STR(feast_map_get(&docs.docs[0].entity.labels, "team"), "rides");
  CHECK_INT(docs.docs[1].kind, FEAST_DOC_FEATURE_TABLE);
  CHECK_INT(docs.docs[1].index, 2);
  CHECK_INT(docs.docs[1].line, 7);
  check_full_table(&docs.docs[1].table);
  feast_spec_docs_clear(&docs);
}

static void parses_every_field_snake(void) {
  feast_spec_docs docs = {0};
  feast_error err;
  CHECK_OK(feast_specfile_parse_text(full_snake, strlen(full_snake), "specs.yaml", &docs, &err), &err);
  CHECK_INT(docs.n, 1);
  if (docs.n == 1) check_full_table(&docs.docs[0].table);
  feast_spec_docs_clear(&docs);
}

static void parses_other_sources(void) {
  const char *y = "spec:\n"
                  "  name: t\n"
                  "  entities: [e]\n"
                  "  batchSource:\n"
                  "    eventTimestampColumn: ts\n"
                  "    bigqueryOptions: {tableRef: \"p:d.t\", query: \"SELECT 1\"}\n"
                  "  streamSource:\n"
                  "    type: STREAM_KINESIS\n"
                  "    eventTimestampColumn: ts\n"
                  "    descriptorSet: protos/x.pb\n"
                  "    kinesisOptions: {region: eu-west-1, streamName: s,\n"
                  "                     recordFormat: {protoFormat: {classPath: feast.test.Msg}}}\n";
  feast_spec_docs docs = {0};
  feast_error err;
  CHECK_OK(feast_specfile_parse_text(y, strlen(y), "/specs/dir/t.yaml", &docs, &err), &err);
  if (docs.n != 1) return;
  const feast_feature_table_spec *t = &docs.docs[0].table;
  CHECK_INT(t->batch_source.type, FEAST_SOURCE_BIGQUERY);
  CHECK_STR(t->batch_source.bigquery.table_ref, "p:d.t");
  CHECK_STR(t->batch_source.bigquery.query, "SELECT 1");
  CHECK_INT(t->stream_source.type, FEAST_SOURCE_KINESIS);
  CHECK_STR(t->stream_source.kinesis.region, "eu-west-1");
  CHECK_STR(t->stream_source.kinesis.stream_name, "s");
  CHECK_INT(t->stream_source.kinesis.record_format.kind, FEAST_FORMAT_PROTO);
  CHECK_STR(t->stream_source.kinesis.record_format.class_path, "feast.test.Msg");
  /* relative to the spec file's folder */
  CHECK_STR(t->stream_source.descriptor_set, "/specs/dir/protos/x.pb");
  CHECK(!t->has_max_age);
  feast_spec_docs_clear(&docs);
}

static void parses_json_object_and_list(void) {
  const char *one = "{\"spec\": {\"name\": \"driver_id\", \"valueType\": \"STRING\"}}";
  const char *list = "[\n {\"spec\": {\"name\": \"a\", \"value_type\": \"INT32\"}},\n"
                     " {\"spec\":{\"name\":\"t\",\"entities\":[\"a\"],\"max_age\":\"2s\",\"features\":[{\"name\":\"f\","
                     "\"valueType\":\"BOOL\"}]}}\n]\n";
  feast_spec_docs docs = {0};
  feast_error err;
  CHECK_OK(feast_specfile_parse_text(one, strlen(one), "one.json", &docs, &err), &err);
  CHECK_OK(feast_specfile_parse_text(list, strlen(list), "list.json", &docs, &err), &err);
  CHECK_INT(docs.n, 3);
  if (docs.n != 3) return;
  CHECK_INT(docs.docs[0].entity.value_type, FEAST_VT_STRING);
  CHECK_INT(docs.docs[1].entity.value_type, FEAST_VT_INT32);
  CHECK_INT(docs.docs[1].index, 1);
  CHECK_INT(docs.docs[2].index, 2);
  CHECK_INT(docs.docs[2].line, 3);
  CHECK_INT(docs.docs[2].kind, FEAST_DOC_FEATURE_TABLE);
  CHECK_INT(docs.docs[2].table.max_age, 2000000);
  CHECK_INT(docs.docs[2].table.features[0].value_type, FEAST_VT_BOOL);
  feast_spec_docs_clear(&docs);
}

static void parses_file_from_disk(void) {
  const char *dir = test_tmpdir();
  char path[512];
  snprintf(path, sizeof path, "%s/specs.yaml", dir);
  FILE *f = fopen(path, "w");
  fputs(full_yaml, f);
  fclose(f);
  feast_spec_docs docs = {0};
  feast_error err;
  CHECK_OK(feast_specfile_parse(path, &docs, &err), &err);
  CHECK_INT(docs.n, 2);
  if (docs.n == 2) CHECK_STR(docs.docs[1].file, path);
  feast_spec_docs_clear(&docs);
  CHECK_INT(feast_specfile_parse("/nonexistent/x.yaml", &docs, &err), FEAST_E_IO);
  CHECK_CONTAINS(err.message, "/nonexistent/x.yaml");
}

static void expect_error(const char *text, const char *needle1, const char *needle2) {
  feast_spec_docs docs = {0};
  feast_error err;
  CHECK_INT(feast_specfile_parse_text(text, strlen(text), "specs.yaml", &docs, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, needle1);
  if (needle2) CHECK_CONTAINS(err.message, needle2);
  CHECK_INT(docs.n, 0); /* nothing appended on error */
  feast_spec_docs_clear(&docs);
}

static void errors_name_document_line_and_path(void) {
  expect_error("spec: {name: e, valueType: INT64}\n---\n"
               "spec:\n  name: t\n  batchSource:\n    fileOptions:\n      fileUrll: x\n",
               "specs.yaml: document 2 (line 7): spec.batchSource.fileOptions.fileUrll: unknown key", "fileUrl");
  expect_error("spec:\n  name: e\n  valueType: INT65\n", "document 1 (line 3): spec.valueType: unknown value type 'INT65'",
               NULL);
  expect_error("spec:\n  name: t\n  maxAge: soon\n", "document 1 (line 3): spec.maxAge:", "not a duration");
  expect_error("spec:\n  name: t\n  entities: {a: b}\n", "spec.entities: expected a list", NULL);
  expect_error("spec:\n  name: t\n  features:\n    - {name: a}\n    - {name: b, kind: x}\n",
               "(line 5): spec.features[1].kind: unknown key", NULL);
  expect_error("spec:\n  name: t\n  batchSource:\n    type: STREAM_KAFKA\n    fileOptions: {fileUrl: x}\n",
               "spec.batchSource.type: type STREAM_KAFKA does not match", NULL);
  expect_error("spec:\n  name: t\n  batchSource:\n    fileOptions: {fileUrl: x}\n    bigqueryOptions: {tableRef: x}\n",
               "spec.batchSource.bigqueryOptions: only one of", NULL);
  expect_error("spec:\n  name: t\n  name: u\n", "spec.name: given more than once", NULL);
  expect_error("spec:\n  name: t\n  event_timestamp: x\n", "spec.event_timestamp: unknown key", NULL);
  expect_error("name: t\n", "document 1 (line 1): name: unknown key", NULL);
  expect_error("spec: [1]\n", "spec: expected a mapping", NULL);
  expect_error("spec: {name: [a]}\n", "spec.name: expected a string", NULL);
  expect_error("spec: {name: a, labels: {x: {y: z}}}\n", "spec.labels.x: expected a string", NULL);
  expect_error("spec: {name: t, entities: [e], batchSource: {fileOptions: {fileFormat: {csvFormat: {}}}}}\n",
               "fileFormat.csvFormat: unknown key", NULL);
  expect_error("spec:\n  name: &a t\n  description: *a\n", "specs.yaml: line 3", "aliases");
  expect_error("spec: {name: 'unterminated\n", "specs.yaml: line", NULL);
  /* depth cap */
  char deep[400];
  size_t n = 0;
  for (int i = 0; i < 100; i++) deep[n++] = '[';
  deep[n] = 0;
  feast_spec_docs docs = {0};
  feast_error err;
  CHECK_INT(feast_specfile_parse_text(deep, n, "deep.json", &docs, &err), FEAST_E_TOO_BIG);
  CHECK_CONTAINS(err.message, "deep.json: line 1: nesting deeper");
}

static void empty_documents_are_skipped(void) {
  const char *y = "---\n# nothing\n---\nspec: {name: e, valueType: INT64}\n---\n";
  feast_spec_docs docs = {0};
  feast_error err;
  CHECK_OK(feast_specfile_parse_text(y, strlen(y), "x.yaml", &docs, &err), &err);
  CHECK_INT(docs.n, 1);
  if (docs.n == 1) CHECK_INT(docs.docs[0].index, 2);
  feast_spec_docs_clear(&docs);
  CHECK_OK(feast_specfile_parse_text("", 0, "x.yaml", &docs, &err), &err);
  CHECK_INT(docs.n, 0);
}

static void round_trip_table(const char *text) {
  feast_spec_docs docs = {0}, back = {0};
  feast_error err;
  CHECK_OK(feast_specfile_parse_text(text, strlen(text), "a.yaml", &docs, &err), &err);
  for (size_t i = 0; i < docs.n; i++) {
    for (int fmt = 0; fmt < 2; fmt++) {
      char *out = NULL;
      const feast_spec_doc *d = &docs.docs[i];
      if (d->kind == FEAST_DOC_ENTITY)
        CHECK_OK(feast_entity_emit(&d->entity, (feast_spec_format)fmt, &out, &err), &err);
      else
        CHECK_OK(feast_feature_table_emit(&d->table, (feast_spec_format)fmt, &out, &err), &err);
      if (!out) continue;
      feast_spec_docs_clear(&back);
      CHECK_OK(feast_specfile_parse_text(out, strlen(out), "b.yaml", &back, &err), &err);
      CHECK_INT(back.n, 1);
      if (back.n == 1) {
        bool eq = d->kind == FEAST_DOC_ENTITY ? feast_entity_spec_equal(&d->entity, &back.docs[0].entity)
                                              : feast_feature_table_spec_equal(&d->table, &back.docs[0].table);
        CHECK(eq);
        if (!eq) fprintf(stderr, "emitted:\n%s\n", out);
      }
      if (fmt == FEAST_SPEC_JSON) CHECK(out[0] == '{');
      else CHECK(strncmp(out, "spec:\n", 6) == 0);
      free(out);
    }
  }
  feast_spec_docs_clear(&back);
  feast_spec_docs_clear(&docs);
}

static void round_trips(void) {
  round_trip_table(full_yaml);
  round_trip_table("spec:\n  name: t\n  entities: [a, b]\n  maxAge: 0.000001s\n"
                   "  labels: {\"we:ird\": \"null\", \"\": \"\", 'y': \"tab\\there \\\"q\\\" \\u00e9 \\u0001\"}\n"
                   "  batchSource: {type: BATCH_BIGQUERY, eventTimestampColumn: ts, bigqueryOptions: {tableRef: "
                   "\"p.d.t\"}}\n"
                   "  streamSource: {eventTimestampColumn: '123', descriptorSet: /x/y.pb, kinesisOptions: {region: r,"
                   " streamName: s, recordFormat: {protoFormat: {classPath: a.B}}}}\n");
  round_trip_table("spec: {name: t, streamSource: {}}\n");
  round_trip_table("spec: {name: t, features: null}\n"); /* still a table once printed */
  round_trip_table("spec: {name: e, valueType: UNIX_TIMESTAMP_LIST, description: \"\"}\n");
}

static void emitted_yaml_is_readable(void) {
  feast_entity_spec e = {0};
  e.name = "driver_id";
  e.value_type = FEAST_VT_INT64;
  char *out = NULL;
  feast_error err;
  CHECK_OK(feast_entity_emit(&e, FEAST_SPEC_YAML, &out, &err), &err);
  CHECK_STR(out, "spec:\n  name: driver_id\n  valueType: INT64\n");
  free(out);
  CHECK_OK(feast_entity_emit(&e, FEAST_SPEC_JSON, &out, &err), &err);
  CHECK_STR(out, "{\n  \"spec\": {\n    \"name\": \"driver_id\",\n    \"valueType\": \"INT64\"\n  }\n}\n");
  free(out);
  e.name = "bad\xff";
  CHECK_INT(feast_entity_emit(&e, FEAST_SPEC_YAML, &out, &err), FEAST_E_INVALID);
}

static void copy_and_equal(void) {
  feast_spec_docs docs = {0};
  feast_error err;
  CHECK_OK(feast_specfile_parse_text(full_yaml, strlen(full_yaml), "a.yaml", &docs, &err), &err);
  if (docs.n != 2) return;
  feast_feature_table_spec t;
  CHECK_OK(feast_feature_table_spec_copy(&t, &docs.docs[1].table, &err), &err);
  CHECK(feast_feature_table_spec_equal(&t, &docs.docs[1].table));
  t.max_age += 1;
  CHECK(!feast_feature_table_spec_equal(&t, &docs.docs[1].table));
  t.max_age -= 1;
  feast_map_set(&t.batch_source.field_mapping, "rating", "other", &err);
  CHECK(!feast_feature_table_spec_equal(&t, &docs.docs[1].table));
  feast_feature_table_spec_clear(&t);
  feast_entity_spec e;
  CHECK_OK(feast_entity_spec_copy(&e, &docs.docs[0].entity, &err), &err);
  CHECK(feast_entity_spec_equal(&e, &docs.docs[0].entity));
  e.value_type = FEAST_VT_STRING;
  CHECK(!feast_entity_spec_equal(&e, &docs.docs[0].entity));
  feast_entity_spec_clear(&e);
  feast_spec_docs_clear(&docs);
}

TEST_MAIN(T(parses_every_field_camel), T(parses_every_field_snake), T(parses_other_sources),
          T(parses_json_object_and_list), T(parses_file_from_disk), T(errors_name_document_line_and_path),
          T(empty_documents_are_skipped), T(round_trips), T(emitted_yaml_is_readable), T(copy_and_equal))
