/*
 * validate_test.c - Feast Core's rules (one failing case per rule, each
 * asserting the message names file, document and field), many problems
 * reported together, and schema compliance against Avro schemas and
 * protobuf descriptor sets built by protoc from tests/data/driver_trip.proto,
 * and Parquet footers of files written at test time.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "feast/parquet.h"
#include "feast/parquet_writer.h"
#include "feast/specfile.h"
#include "format/proto/descriptor.h"
#include "registry/validate.h"
#include "test.h"

static const char *entities = "spec: {name: driver_id, valueType: INT64}\n---\n";

static const char *avro_schema =
    "{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"Trip\\\",\\\"fields\\\":["
    "{\\\"name\\\":\\\"driver_id\\\",\\\"type\\\":\\\"long\\\"},"
    "{\\\"name\\\":\\\"avg_rides\\\",\\\"type\\\":[\\\"null\\\",\\\"float\\\"]},"
    "{\\\"name\\\":\\\"ratings\\\",\\\"type\\\":{\\\"type\\\":\\\"array\\\",\\\"items\\\":\\\"double\\\"}},"
    "{\\\"name\\\":\\\"blob\\\",\\\"type\\\":{\\\"type\\\":\\\"fixed\\\",\\\"name\\\":\\\"F\\\",\\\"size\\\":4}},"
    "{\\\"name\\\":\\\"loc\\\",\\\"type\\\":{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"Loc\\\",\\\"fields\\\":["
    "{\\\"name\\\":\\\"city\\\",\\\"type\\\":\\\"string\\\"}]}},"
    "{\\\"name\\\":\\\"ts\\\",\\\"type\\\":{\\\"type\\\":\\\"long\\\",\\\"logicalType\\\":\\\"timestamp-micros\\\"}}"
    "]}";

static feast_value_type no_entities(void *ctx, const char *name) {
  (void)ctx, (void)name;
  return FEAST_VT_INVALID;
}
static feast_value_type registry_has_customer(void *ctx, const char *name) {
  (void)ctx;
  return strcmp(name, "customer_id") == 0 ? FEAST_VT_STRING : FEAST_VT_INVALID;
}

/* ---- Parquet fixtures ---- */

/* Write a 3-row Parquet file at `path` with columns given as
 * "name:kind,name:kind,..." (kinds: i32 i64 f32 f64 str bin bool ts tsms
 * tsns date li32 lf64). Returns 0 on success. */
static int write_fixture(const char *path, const char *spec) {
  feast_batch *b = feast_batch_new(32);
  feast_error err;
  char buf[512];
  snprintf(buf, sizeof buf, "%s", spec);
  int ncol = 0;
  feast_code rc = FEAST_OK;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
    char *kind = strchr(tok, ':');
    *kind++ = 0;
    feast_dtype none = feast_dtype_make(FEAST_DT_NULL), t = none, e = none;
    if (!strcmp(kind, "i32")) t = feast_dtype_make(FEAST_DT_INT32);
    else if (!strcmp(kind, "i64")) t = feast_dtype_make(FEAST_DT_INT64);
    else if (!strcmp(kind, "f32")) t = feast_dtype_make(FEAST_DT_FLOAT);
    else if (!strcmp(kind, "f64")) t = feast_dtype_make(FEAST_DT_DOUBLE);
    else if (!strcmp(kind, "str")) t = feast_dtype_make(FEAST_DT_STRING);
    else if (!strcmp(kind, "bin")) t = feast_dtype_make(FEAST_DT_BINARY);
    else if (!strcmp(kind, "bool")) t = feast_dtype_make(FEAST_DT_BOOL);
    else if (!strcmp(kind, "ts")) t = feast_dtype_timestamp(FEAST_UNIT_US, true);
    else if (!strcmp(kind, "tsms")) t = feast_dtype_timestamp(FEAST_UNIT_MS, true);
    else if (!strcmp(kind, "tsns")) t = feast_dtype_timestamp(FEAST_UNIT_NS, false);
    else if (!strcmp(kind, "date")) t = feast_dtype_make(FEAST_DT_DATE32);
    else if (!strcmp(kind, "li32")) t = feast_dtype_make(FEAST_DT_LIST), e = feast_dtype_make(FEAST_DT_INT32);
    else if (!strcmp(kind, "lf64")) t = feast_dtype_make(FEAST_DT_LIST), e = feast_dtype_make(FEAST_DT_DOUBLE);
    feast_array *a = feast_array_new(t, e);
    for (int r = 0; r < 3 && a && !rc; r++) {
      switch (t.id) {
      case FEAST_DT_FLOAT:
      case FEAST_DT_DOUBLE: rc = feast_array_append_double(a, r * 0.5, &err); break;
      case FEAST_DT_STRING:
      case FEAST_DT_BINARY: rc = feast_array_append_bytes(a, "abc", (size_t)r, &err); break;
      case FEAST_DT_BOOL: rc = feast_array_append_bool(a, r & 1, &err); break;
      case FEAST_DT_LIST:
        for (int k = 0; k < r && !rc; k++)
          rc = e.id == FEAST_DT_INT32 ? feast_array_append_int(a->child, k, &err)
                                      : feast_array_append_double(a->child, k * 1.5, &err);
        if (!rc) rc = feast_array_append_list_end(a, &err);
        break;
      default: rc = feast_array_append_int(a, 1000 + r, &err); break;
      }
    }
    if (!a || t.id == FEAST_DT_NULL) {
      fprintf(stderr, "  bad fixture kind %s\n", kind);
      feast_array_free(a);
      feast_batch_free(b);
      return -1;
    }
    if (!rc) rc = feast_batch_set_column(b, ncol++, tok, a, &err);
    else feast_array_free(a);
  }
  b->num_columns = ncol;
  b->num_rows = 3;
  if (!rc) rc = feast_parquet_write_file(path, b, NULL, &err);
  if (rc) fprintf(stderr, "  fixture %s: %s\n", path, err.message);
  feast_batch_free(b);
  return rc ? -1 : 0;
}

/* Stands for the fileUrl of FILE_SRC: a file with every column the Avro and
 * protobuf compliance tests name, so their batch sources comply too. */
static char union_fixture[700];

static const char *union_path(void) {
  if (union_fixture[0]) return union_fixture;
  snprintf(union_fixture, sizeof union_fixture, "%s/union.parquet", test_tmpdir());
  if (write_fixture(union_fixture, "driver_id:i64,avg_rides:f32,ratings:lf64,blob:bin,city:str,trips:i64,lat:f64,"
                                   "active:bool,small:i32,ts:ts,f:f32"))
    union_fixture[0] = 0;
  return union_fixture;
}

/* Parse text (with the driver_id entity in document 1), validate, and
 * return the code; the message is in err. "PQFIX" in the text stands for the
 * union fixture's path. */
static feast_code run(const char *table_yaml, bool skip, feast_error *err) {
  char text[8192];
  snprintf(text, sizeof text, "%s%s", entities, table_yaml);
  char *fix;
  while ((fix = strstr(text, "PQFIX"))) {
    const char *p = union_path();
    size_t plen = strlen(p), tail = strlen(fix + 5);
    if ((size_t)(fix - text) + plen + tail + 1 > sizeof text) break;
    memmove(fix + plen, fix + 5, tail + 1);
    memcpy(fix, p, plen);
  }
  feast_spec_docs docs = {0};
  feast_code rc = feast_specfile_parse_text(text, strlen(text), "specs.yaml", &docs, err);
  if (rc) {
    fprintf(stderr, "  parse failed: %s\n", err->message);
    return rc;
  }
  rc = feast_specs_validate(&docs, registry_has_customer, NULL, skip, err);
  feast_spec_docs_clear(&docs);
  return rc;
}

#define FILE_SRC "  batchSource: {eventTimestampColumn: ts, fileOptions: {fileFormat: {parquetFormat: {}}, fileUrl: PQFIX}}\n"

static void expect(const char *yaml, const char *needle) {
  feast_error err;
  CHECK_INT(run(yaml, true, &err), FEAST_E_VALIDATION);
  CHECK_CONTAINS(err.message, "specs.yaml: document 2 (line 3): ");
  CHECK_CONTAINS(err.message, needle);
}

static void valid_table_passes(void) {
  feast_error err;
  CHECK_OK(run("spec:\n  name: t\n  entities: [driver_id, customer_id]\n  features: [{name: f, valueType: FLOAT}]\n"
               FILE_SRC "  streamSource: {eventTimestampColumn: ts, kafkaOptions: {bootstrapServers: 'h:9092', "
               "topic: t, messageFormat: {protoFormat: {classPath: a.B}}}}\n",
               true, &err),
           &err);
  CHECK_OK(run("spec:\n  name: t\n  entities: [driver_id]\n  batchSource: {eventTimestampColumn: ts, "
               "bigqueryOptions: {tableRef: 'my-proj:ds.tbl'}}\n",
               true, &err),
           &err);
}

static void rule_entity_name_pattern(void) {
  feast_spec_docs docs = {0};
  feast_error err;
  const char *y = "spec: {name: 1driver, valueType: INT64}\n";
  CHECK_OK(feast_specfile_parse_text(y, strlen(y), "e.yaml", &docs, &err), &err);
  CHECK_INT(feast_specs_validate(&docs, no_entities, NULL, true, &err), FEAST_E_VALIDATION);
  CHECK_CONTAINS(err.message, "e.yaml: document 1 (line 1): spec.name: name '1driver' must match");
  feast_spec_docs_clear(&docs);
}
static void rule_entity_reserved(void) {
  feast_spec_docs docs = {0};
  feast_error err;
  const char *y = "spec: {name: event_timestamp, valueType: INT64}\n";
  CHECK_OK(feast_specfile_parse_text(y, strlen(y), "e.yaml", &docs, &err), &err);
  CHECK_INT(feast_specs_validate(&docs, NULL, NULL, true, &err), FEAST_E_VALIDATION);
  CHECK_CONTAINS(err.message, "e.yaml: document 1 (line 1): spec.name: 'event_timestamp' is reserved");
  feast_spec_docs_clear(&docs);
}
static void rule_entity_value_type(void) {
  feast_spec_docs docs = {0};
  feast_error err;
  const char *y = "spec: {name: a}\n---\nspec: {name: b, valueType: INT64_LIST}\n";
  CHECK_OK(feast_specfile_parse_text(y, strlen(y), "e.yaml", &docs, &err), &err);
  CHECK_INT(feast_specs_validate(&docs, NULL, NULL, true, &err), FEAST_E_VALIDATION);
  CHECK_CONTAINS(err.message, "e.yaml: document 1 (line 1): spec.valueType: a value type is required");
  CHECK_CONTAINS(err.message, "e.yaml: document 2 (line 3): spec.valueType: INT64_LIST cannot be an entity's type");
  feast_spec_docs_clear(&docs);
}
static void rule_table_name(void) {
  expect("spec:\n  name: my-table\n  entities: [driver_id]\n" FILE_SRC, "spec.name: name 'my-table' must match");
}
static void rule_feature_name(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n  features: [{name: ok, valueType: INT64}, {name: 'a b', "
         "valueType: INT64}]\n" FILE_SRC,
         "spec.features[1].name: name 'a b' must match");
}
static void rule_feature_reserved(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n  features: [{name: created_timestamp, valueType: INT64}]\n" FILE_SRC,
         "spec.features[0].name: 'created_timestamp' is reserved");
}
static void rule_feature_unique(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n  features: [{name: f, valueType: INT64}, {name: f, valueType: "
         "FLOAT}]\n" FILE_SRC,
         "spec.features[1].name: feature 'f' is defined twice");
}
static void rule_feature_not_entity(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n  features: [{name: driver_id, valueType: INT64}]\n" FILE_SRC,
         "spec.features[0].name: 'driver_id' is both an entity and a feature");
}
static void rule_entity_unique(void) {
  expect("spec:\n  name: t\n  entities: [driver_id, driver_id]\n" FILE_SRC,
         "spec.entities[1]: entity 'driver_id' is listed twice");
}
static void rule_entity_exists(void) {
  expect("spec:\n  name: t\n  entities: [driver_id, rider_id]\n" FILE_SRC,
         "spec.entities[1]: entity 'rider_id' does not exist");
}
static void rule_entities_required(void) {
  expect("spec:\n  name: t\n  features: [{name: f, valueType: INT64}]\n" FILE_SRC,
         "spec.entities: a feature table needs at least one entity");
}
static void rule_feature_value_type(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n  features: [{name: f}]\n" FILE_SRC,
         "spec.features[0].valueType: feature 'f' needs a valid value type");
}
static void rule_max_age(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n  maxAge: -5s\n" FILE_SRC, "spec.maxAge: must not be negative");
}
static void rule_batch_required(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n", "spec.batchSource: a batch source is required");
}
static void rule_batch_kind(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n  batchSource: {eventTimestampColumn: ts, kafkaOptions: "
         "{bootstrapServers: h, topic: t}}\n",
         "spec.batchSource: must be a batch source");
}
static void rule_stream_kind(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n" FILE_SRC "  streamSource: {eventTimestampColumn: ts, "
         "fileOptions: {fileUrl: x}}\n",
         "spec.streamSource: must be a stream source");
}
static void rule_parquet_only(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n  batchSource: {eventTimestampColumn: ts, fileOptions: "
         "{fileUrl: /d}}\n",
         "spec.batchSource.fileOptions.fileFormat: file sources must be Parquet");
}
static void rule_file_url(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n  batchSource: {eventTimestampColumn: ts, fileOptions: "
         "{fileFormat: {parquetFormat: {}}}}\n",
         "spec.batchSource.fileOptions.fileUrl: a file URL is required");
}
static void rule_bigquery_table_ref(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n  batchSource: {eventTimestampColumn: ts, bigqueryOptions: "
         "{tableRef: 'dataset.table'}}\n",
         "spec.batchSource.bigqueryOptions.tableRef: 'dataset.table' must read project:dataset.table");
}
static void rule_kafka_servers_and_topic(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n" FILE_SRC "  streamSource: {eventTimestampColumn: ts, "
         "kafkaOptions: {bootstrapServers: '', messageFormat: {protoFormat: {classPath: a.B}}}}\n",
         "spec.streamSource.kafkaOptions.bootstrapServers: bootstrap servers are required");
  expect("spec:\n  name: t\n  entities: [driver_id]\n" FILE_SRC "  streamSource: {eventTimestampColumn: ts, "
         "kafkaOptions: {bootstrapServers: h, messageFormat: {protoFormat: {classPath: a.B}}}}\n",
         "spec.streamSource.kafkaOptions.topic: a topic is required");
}
static void rule_kinesis_region_and_stream(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n" FILE_SRC "  streamSource: {eventTimestampColumn: ts, "
         "kinesisOptions: {streamName: s, recordFormat: {protoFormat: {classPath: a.B}}}}\n",
         "spec.streamSource.kinesisOptions.region: a region is required");
  expect("spec:\n  name: t\n  entities: [driver_id]\n" FILE_SRC "  streamSource: {eventTimestampColumn: ts, "
         "kinesisOptions: {region: r, recordFormat: {protoFormat: {classPath: a.B}}}}\n",
         "spec.streamSource.kinesisOptions.streamName: a stream name is required");
}
static void rule_stream_format(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n" FILE_SRC "  streamSource: {eventTimestampColumn: ts, "
         "kafkaOptions: {bootstrapServers: h, topic: t, messageFormat: {parquetFormat: {}}}}\n",
         "spec.streamSource.kafkaOptions.messageFormat: a stream needs avroFormat or protoFormat");
}
static void rule_avro_schema(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n" FILE_SRC "  streamSource: {eventTimestampColumn: ts, "
         "kafkaOptions: {bootstrapServers: h, topic: t, messageFormat: {avroFormat: {schemaJson: '{\"type\": \"strin'}}}}\n",
         "spec.streamSource.kafkaOptions.messageFormat.avroFormat.schemaJson: not a valid Avro schema");
  expect("spec:\n  name: t\n  entities: [driver_id]\n" FILE_SRC "  streamSource: {eventTimestampColumn: ts, "
         "kafkaOptions: {bootstrapServers: h, topic: t, messageFormat: {avroFormat: {schemaJson: '\"long\"'}}}}\n",
         "avroFormat.schemaJson: Avro schema must be a record, found long");
}
static void rule_proto_class_path(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n" FILE_SRC "  streamSource: {eventTimestampColumn: ts, "
         "kafkaOptions: {bootstrapServers: h, topic: t, messageFormat: {protoFormat: {classPath: 'a..B'}}}}\n",
         "spec.streamSource.kafkaOptions.messageFormat.protoFormat.classPath: 'a..B' is not a dotted class name");
}
static void rule_event_timestamp(void) {
  expect("spec:\n  name: t\n  entities: [driver_id]\n  batchSource: {fileOptions: {fileFormat: {parquetFormat: {}}, "
         "fileUrl: /d}}\n",
         "spec.batchSource.eventTimestampColumn: an event timestamp column is required");
}

static void many_problems_together(void) {
  feast_error err;
  CHECK_INT(run("spec:\n  name: bad-name\n  entities: [ghost]\n  features: [{name: f}, {name: f, valueType: INT64}]\n"
                "  streamSource: {kafkaOptions: {}}\n",
                true, &err),
            FEAST_E_VALIDATION);
  const char *needles[] = {"spec.name:", "spec.entities[0]: entity 'ghost' does not exist",
                           "spec.features[0].valueType", "spec.features[1].name: feature 'f' is defined twice",
                           "spec.batchSource: a batch source is required", "spec.streamSource.eventTimestampColumn",
                           "spec.streamSource.kafkaOptions.bootstrapServers", "spec.streamSource.kafkaOptions.topic",
                           "spec.streamSource.kafkaOptions.messageFormat: a stream needs", NULL};
  int lines = 1;
  for (const char *p = err.message; *p; p++) lines += *p == '\n';
  for (int i = 0; needles[i]; i++) CHECK_CONTAINS(err.message, needles[i]);
  CHECK_INT(lines, 9);
}

static void entity_type_change_helper(void) {
  feast_entity_spec a = {0}, b = {0};
  a.name = "driver_id";
  a.value_type = FEAST_VT_INT64;
  b.name = "driver_id";
  b.value_type = FEAST_VT_STRING;
  feast_error err;
  CHECK_OK(feast_entity_update_check(&a, &a, &err), &err);
  CHECK_INT(feast_entity_update_check(&a, &b, &err), FEAST_E_VALIDATION);
  CHECK_CONTAINS(err.message, "entity driver_id: value type cannot change from INT64 to STRING");
}

/* ---- Avro compliance ---- */

static void avro_schema_complies(void) {
  char y[4096];
  snprintf(y, sizeof y,
           "spec:\n  name: t\n  entities: [driver_id]\n"
           "  features: [{name: avg_rides, valueType: FLOAT}, {name: ratings, valueType: DOUBLE_LIST},"
           " {name: blob, valueType: BYTES}, {name: city, valueType: STRING}]\n" FILE_SRC
           "  streamSource:\n    eventTimestampColumn: ts\n    fieldMapping: {city: loc.city}\n"
           "    kafkaOptions: {bootstrapServers: h, topic: t, messageFormat: {avroFormat: {schemaJson: \"%s\"}}}\n",
           avro_schema);
  feast_error err;
  CHECK_OK(run(y, false, &err), &err);
}

static void avro_mismatches_listed(void) {
  char y[4096];
  snprintf(y, sizeof y,
           "spec:\n  name: t\n  entities: [driver_id]\n"
           "  features: [{name: avg_rides, valueType: DOUBLE}, {name: ratings, valueType: DOUBLE},"
           " {name: missing, valueType: STRING}, {name: city, valueType: STRING}]\n" FILE_SRC
           "  streamSource:\n    eventTimestampColumn: avg_rides\n    createdTimestampColumn: loc.nope\n"
           "    kafkaOptions: {bootstrapServers: h, topic: t, messageFormat: {avroFormat: {schemaJson: \"%s\"}}}\n",
           avro_schema);
  feast_error err;
  CHECK_INT(run(y, false, &err), FEAST_E_VALIDATION);
  const char *f = "specs.yaml: document 2 (line 3): spec.streamSource.kafkaOptions.messageFormat.avroFormat.schemaJson: ";
  CHECK_CONTAINS(err.message, f);
  CHECK_CONTAINS(err.message, "column 'avg_rides' (feature avg_rides): expected double for DOUBLE, found [null, float]");
  CHECK_CONTAINS(err.message, "column 'ratings' (feature ratings): expected double for DOUBLE, found array<double>");
  CHECK_CONTAINS(err.message, "column 'missing' (feature missing): not in the Avro schema");
  CHECK_CONTAINS(err.message, "column 'city' (feature city): not in the Avro schema");
  CHECK_CONTAINS(err.message, "column 'avg_rides' (event timestamp avg_rides): expected long");
  CHECK_CONTAINS(err.message, "column 'loc.nope' (created timestamp loc.nope): not in the Avro schema (no field 'nope'");
  /* skip_source_check turns the schema check off (the schema still parses) */
  CHECK_OK(run(y, true, &err), &err);
}

/* ---- protobuf compliance ---- */

static char desc_path[600];

static const char *build_descriptor_set(void) {
  if (desc_path[0]) return desc_path;
  const char *dir = test_tmpdir();
  snprintf(desc_path, sizeof desc_path, "%s/trip.pb", dir);
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "protoc -I%s/tests/data -I/usr/include --include_imports --descriptor_set_out=%s %s/tests/data/driver_trip.proto",
           test_repo_root(), desc_path, test_repo_root());
  if (system(cmd) != 0) {
    fprintf(stderr, "  protoc failed: %s\n", cmd);
    desc_path[0] = 0;
    return NULL;
  }
  return desc_path;
}

static void descriptor_pool_reads_protoc_output(void) {
  const char *path = build_descriptor_set();
  CHECK(path != NULL);
  if (!path) return;
  feast_proto_pool *pool;
  feast_error err;
  CHECK_OK(feast_proto_pool_load(path, &pool, &err), &err);
  if (!pool) return;
  const feast_proto_message *m = feast_proto_pool_message(pool, "feast.test.DriverTrip");
  CHECK(m != NULL);
  if (m) {
    CHECK_INT(m->n_fields, 12);
    CHECK(m->proto3);
    const feast_proto_field *f = feast_proto_message_field(m, "ratings");
    CHECK(f && f->label == FEAST_PB_REPEATED && f->type == FEAST_PB_DOUBLE && f->number == 5);
    f = feast_proto_message_field(m, "event_ts");
    CHECK(f && f->message && strcmp(f->message->full_name, "google.protobuf.Timestamp") == 0);
    f = feast_proto_message_field(m, "counts");
    CHECK(f && f->message && f->message->map_entry);
    CHECK(feast_proto_message_field_by_number(m, 8) == feast_proto_message_field(m, "loc"));
  }
  const feast_proto_message *r;
  CHECK_OK(feast_proto_pool_resolve(pool, "com.example.protos.TripProto$DriverTrip", &r, &err), &err);
  CHECK(r == m);
  CHECK_INT(feast_proto_pool_resolve(pool, "feast.test.Nope", &r, &err), FEAST_E_NOT_FOUND);
  feast_proto_pool_free(pool);
  /* a set built without --include_imports is refused with a hint */
  char cmd[2048], bare[700];
  snprintf(bare, sizeof bare, "%s.bare", path);
  snprintf(cmd, sizeof cmd, "protoc -I%s/tests/data -I/usr/include --descriptor_set_out=%s %s/tests/data/driver_trip.proto",
           test_repo_root(), bare, test_repo_root());
  CHECK(system(cmd) == 0);
  CHECK_INT(feast_proto_pool_load(bare, &pool, &err), FEAST_E_CORRUPT);
  CHECK_CONTAINS(err.message, "--include_imports");
  /* garbage */
  CHECK_INT(feast_proto_pool_parse((const uint8_t *)"\x0a\x05\x0a\x09", 4, &pool, &err), FEAST_E_CORRUPT);
}

static void proto_complies_and_mismatches(void) {
  const char *path = build_descriptor_set();
  if (!path) return;
  char y[4096];
  snprintf(y, sizeof y,
           "spec:\n  name: t\n  entities: [driver_id]\n"
           "  features: [{name: avg_rides, valueType: FLOAT}, {name: trips, valueType: INT64},"
           " {name: ratings, valueType: DOUBLE_LIST}, {name: lat, valueType: DOUBLE}, {name: city, valueType: STRING},"
           " {name: blob, valueType: BYTES}, {name: active, valueType: BOOL}, {name: small, valueType: INT32}]\n" FILE_SRC
           "  streamSource:\n    eventTimestampColumn: event_ts\n    createdTimestampColumn: created_ms\n"
           "    fieldMapping: {lat: loc.lat}\n    descriptorSet: %s\n"
           "    kafkaOptions: {bootstrapServers: h, topic: t, messageFormat: {protoFormat: {classPath: feast.test.DriverTrip}}}\n",
           path);
  feast_error err;
  CHECK_OK(run(y, false, &err), &err);
  snprintf(y, sizeof y,
           "spec:\n  name: t\n  entities: [driver_id]\n"
           "  features: [{name: avg_rides, valueType: DOUBLE}, {name: ratings, valueType: DOUBLE},"
           " {name: counts, valueType: INT32_LIST}, {name: loc, valueType: STRING}, {name: small, valueType: INT64}]\n" FILE_SRC
           "  streamSource:\n    eventTimestampColumn: city\n    createdTimestampColumn: loc.alt\n"
           "    descriptorSet: %s\n"
           "    kinesisOptions: {region: r, streamName: s, recordFormat: {protoFormat: {classPath: x.DriverTrip}}}\n",
           path);
  CHECK_INT(run(y, false, &err), FEAST_E_VALIDATION);
  CHECK_CONTAINS(err.message, "specs.yaml: document 2 (line 3): spec.streamSource.kinesisOptions.recordFormat.protoFormat.classPath: ");
  CHECK_CONTAINS(err.message, "column 'avg_rides' (feature avg_rides): expected double for DOUBLE, found float");
  CHECK_CONTAINS(err.message, "column 'ratings' (feature ratings): expected double for DOUBLE, found repeated double");
  CHECK_CONTAINS(err.message, "column 'counts' (feature counts): expected repeated int32/sint32/sfixed32 for INT32_LIST, found map");
  CHECK_CONTAINS(err.message, "column 'loc' (feature loc): expected string or an enum for STRING, found feast.test.Location");
  CHECK_CONTAINS(err.message, "column 'small' (feature small): expected int64/sint64/sfixed64 for INT64, found int32");
  CHECK_CONTAINS(err.message, "column 'city' (event timestamp city): expected google.protobuf.Timestamp or int64");
  CHECK_CONTAINS(err.message, "column 'loc.alt' (created timestamp loc.alt): not in message feast.test.DriverTrip (no field 'alt' in message feast.test.Location)");
}

static void proto_needs_descriptor_and_class(void) {
  const char *path = build_descriptor_set();
  if (!path) return;
  feast_error err;
  expect("spec:\n  name: t\n  entities: [driver_id]\n" FILE_SRC "  streamSource: {eventTimestampColumn: ts, "
         "kafkaOptions: {bootstrapServers: h, topic: t, messageFormat: {protoFormat: {classPath: feast.test.Nope}}}, "
         "descriptorSet: /nonexistent.pb}\n",
         "spec.streamSource.descriptorSet: /nonexistent.pb: cannot open");
  char y[2048];
  snprintf(y, sizeof y,
           "spec:\n  name: t\n  entities: [driver_id]\n" FILE_SRC "  streamSource: {eventTimestampColumn: ts, "
           "kafkaOptions: {bootstrapServers: h, topic: t, messageFormat: {protoFormat: {classPath: feast.test.Nope}}}, "
           "descriptorSet: %s}\n",
           path);
  CHECK_INT(run(y, true, &err), FEAST_E_VALIDATION);
  CHECK_CONTAINS(err.message, "protoFormat.classPath: class path 'feast.test.Nope' names no message");
  /* without a descriptor set the source check cannot run: said so */
  CHECK_INT(run("spec:\n  name: t\n  entities: [driver_id]\n" FILE_SRC "  streamSource: {eventTimestampColumn: ts, "
                "kafkaOptions: {bootstrapServers: h, topic: t, messageFormat: {protoFormat: {classPath: a.B}}}}\n",
                false, &err),
            FEAST_E_VALIDATION);
  CHECK_CONTAINS(err.message, "spec.streamSource.descriptorSet: needed to check protobuf class 'a.B'");
}

/* ---- Parquet compliance ---- */

/* A table over a Parquet dataset: entity driver_id (INT64) and features
 * rate (DOUBLE), trips (INT32_LIST), seen (UNIX_TIMESTAMP), region
 * (STRING), with fieldMapping driver_id -> drv; the batch source's
 * fileUrl is `url`. */
static feast_code run_pq(const char *url, const char *ev, const char *created, bool skip, feast_error *err) {
  char y[4096];
  snprintf(y, sizeof y,
           "spec:\n  name: t\n  entities: [driver_id]\n"
           "  features: [{name: rate, valueType: DOUBLE}, {name: trips, valueType: INT32_LIST},"
           " {name: seen, valueType: UNIX_TIMESTAMP}, {name: region, valueType: STRING}]\n"
           "  batchSource:\n    eventTimestampColumn: %s\n    createdTimestampColumn: %s\n"
           "    fieldMapping: {driver_id: drv}\n"
           "    fileOptions: {fileFormat: {parquetFormat: {}}, fileUrl: '%s'}\n",
           ev, created, url);
  return run(y, skip, err);
}

static void parquet_complies_with_widenings(void) {
  /* a hive-partitioned directory of two files: drv int32 -> INT64,
   * rate float -> DOUBLE, seen timestamp[ms] -> UNIX_TIMESTAMP, a date32
   * event timestamp, a naive timestamp[ns] created timestamp, and the
   * partition column region as the STRING feature */
  char dir[700], path[800], url[820];
  snprintf(dir, sizeof dir, "%s", test_tmpdir());
  const char *cols = "drv:i32,rate:f32,trips:li32,seen:tsms,day:date,created:tsns,extra:bool";
  snprintf(path, sizeof path, "%s/region=eu", dir);
  CHECK(mkdir(path, 0777) == 0);
  snprintf(path, sizeof path, "%s/region=eu/part-0.parquet", dir);
  CHECK(write_fixture(path, cols) == 0);
  snprintf(path, sizeof path, "%s/region=us", dir);
  CHECK(mkdir(path, 0777) == 0);
  snprintf(path, sizeof path, "%s/region=us/part-0.parquet", dir);
  CHECK(write_fixture(path, cols) == 0);
  feast_error err;
  CHECK_OK(run_pq(dir, "day", "created", false, &err), &err);
  snprintf(url, sizeof url, "file://%s", dir);
  CHECK_OK(run_pq(url, "day", "created", false, &err), &err);
  /* a glob over the same files */
  snprintf(url, sizeof url, "%s/region=*/*.parquet", dir);
  CHECK_OK(run_pq(url, "day", "created", false, &err), &err);
}

static void parquet_mismatches_listed(void) {
  char path[800];
  snprintf(path, sizeof path, "%s/t.parquet", test_tmpdir());
  /* drv is a string, rate is missing, trips a scalar, seen an int64,
   * region a list, the event timestamp an int64 */
  CHECK(write_fixture(path, "drv:str,trips:i32,seen:i64,region:lf64,ev:i64,created:ts") == 0);
  feast_error err;
  CHECK_INT(run_pq(path, "ev", "nope", false, &err), FEAST_E_VALIDATION);
  const char *f = "specs.yaml: document 2 (line 3): spec.batchSource.fileOptions.fileUrl: ";
  CHECK_CONTAINS(err.message, f);
  CHECK_CONTAINS(err.message, "column 'drv' (entity driver_id): expected int64 (or int32) for INT64, found string");
  CHECK_CONTAINS(err.message, "column 'rate' (feature rate): not in the Parquet files of ");
  CHECK_CONTAINS(err.message, "(they have: drv, trips, seen, region, ev, created)");
  CHECK_CONTAINS(err.message, "column 'trips' (feature trips): expected list<int32> for INT32_LIST, found int32");
  CHECK_CONTAINS(err.message, "column 'seen' (feature seen): expected a timestamp (any unit) for UNIX_TIMESTAMP, found int64");
  CHECK_CONTAINS(err.message, "column 'region' (feature region): expected string for STRING, found list<double>");
  CHECK_CONTAINS(err.message, "column 'ev' (event timestamp ev): expected a timestamp (any unit) or date32");
  CHECK_CONTAINS(err.message, "column 'nope' (created timestamp nope): not in the Parquet files");
  /* one problem line per offending column, each with the field prefix */
  int lines = 0;
  for (const char *p = err.message; (p = strstr(p, f)); p++) lines++;
  CHECK_INT(lines, 7);
  /* the created timestamp column exists: no line for it */
  CHECK(strstr(err.message, "column 'created'") == NULL);
  /* skipped: no check */
  CHECK_OK(run_pq(path, "ev", "nope", true, &err), &err);
}

static void parquet_missing_path_is_a_problem(void) {
  feast_error err;
  char dir[700], url[800];
  snprintf(dir, sizeof dir, "%s", test_tmpdir());
  snprintf(url, sizeof url, "%s/nothing-here", dir);
  CHECK_INT(run_pq(url, "day", "created", false, &err), FEAST_E_VALIDATION);
  CHECK_CONTAINS(err.message, "spec.batchSource.fileOptions.fileUrl: ");
  CHECK_CONTAINS(err.message, "nothing-here");
  CHECK_CONTAINS(err.message, "use --skip-source-check");
  /* an existing directory with no files yet */
  CHECK_INT(run_pq(dir, "day", "created", false, &err), FEAST_E_VALIDATION);
  CHECK_CONTAINS(err.message, "no Parquet files found");
  CHECK_CONTAINS(err.message, "use --skip-source-check");
  /* a remote URL cannot be reached from here either */
  CHECK_INT(run_pq("gs://bucket/t/", "day", "created", false, &err), FEAST_E_VALIDATION);
  CHECK_CONTAINS(err.message, "use --skip-source-check");
  /* not a Parquet file */
  char bad[800];
  snprintf(bad, sizeof bad, "%s/bad.parquet", dir);
  FILE *fp = fopen(bad, "w");
  CHECK(fp != NULL);
  if (fp) {
    fputs("not parquet at all", fp);
    fclose(fp);
  }
  CHECK_INT(run_pq(bad, "day", "created", false, &err), FEAST_E_VALIDATION);
  CHECK_CONTAINS(err.message, "bad.parquet");
  CHECK_OK(run_pq(url, "day", "created", true, &err), &err);
}

TEST_MAIN(T(valid_table_passes), T(rule_entity_name_pattern), T(rule_entity_reserved), T(rule_entity_value_type),
          T(rule_table_name), T(rule_feature_name), T(rule_feature_reserved), T(rule_feature_unique),
          T(rule_feature_not_entity), T(rule_entity_unique), T(rule_entity_exists), T(rule_entities_required),
          T(rule_feature_value_type), T(rule_max_age), T(rule_batch_required), T(rule_batch_kind),
          T(rule_stream_kind), T(rule_parquet_only), T(rule_file_url), T(rule_bigquery_table_ref),
          T(rule_kafka_servers_and_topic), T(rule_kinesis_region_and_stream), T(rule_stream_format),
          T(rule_avro_schema), T(rule_proto_class_path), T(rule_event_timestamp), T(many_problems_together),
          T(entity_type_change_helper), T(avro_schema_complies), T(avro_mismatches_listed),
          T(descriptor_pool_reads_protoc_output), T(proto_complies_and_mismatches), T(proto_needs_descriptor_and_class), T(parquet_complies_with_widenings),
          T(parquet_mismatches_listed), T(parquet_missing_path_is_a_problem))
