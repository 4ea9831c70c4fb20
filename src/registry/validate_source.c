/*
 * validate_source.c - a data source's options (Feast Core's rules per
 * source kind) and, unless skipped, schema compliance: the Avro schema or
 * protobuf message of a stream, or the Parquet files of a batch source,
 * must supply every entity, feature and timestamp column with a
 * compatible type. BigQuery tables are not reachable offline and are not
 * checked.
 */
#include <stdio.h>
#include <string.h>

#include "format/avro/avro_check.h"
#include "format/proto/descriptor.h"
#include "format/proto/proto_check.h"
#include "registry/validate.h"

static bool empty(const char *s) { return !s || !*s; }

/* project:dataset.table or project.dataset.table; project ids may hold
 * '-' (and '.' in the legacy domain-scoped "example.com:project" form). */
static bool valid_table_ref(const char *s) {
  const char *colon = strchr(s, ':');
  const char *rest = s;
  if (colon) {
    if (colon == s || strchr(colon + 1, ':')) return false;
    for (const char *p = s; p < colon; p++)
      if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '_' || *p == '.'))
        return false;
    rest = colon + 1;
  }
  int parts = 1;
  size_t len = 0;
  for (const char *p = rest; *p; p++) {
    if (*p == '.') {
      if (!len) return false;
      parts++;
      len = 0;
    } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
               *p == '-' || *p == '$') {
      len++;
    } else {
      return false;
    }
  }
  return len && parts == (colon ? 2 : 3);
}

/* Dotted identifier; '$' allowed for Java nested class names. */
static bool valid_class_path(const char *s) {
  bool start = true;
  for (const char *p = s; *p; p++) {
    bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '$';
    bool digit = *p >= '0' && *p <= '9';
    if (*p == '.') {
      if (start) return false;
      start = true;
    } else if (start ? !alpha : !(alpha || digit)) {
      return false;
    } else {
      start = false;
    }
  }
  return !start;
}

typedef struct src_check {
  feast_vctx *v;
  const feast_feature_table_spec *t;
  const feast_data_source *s;
  const char *which;
  const feast_value_type *entity_types;
  bool skip;
} src_check;

static feast_code reqs_for(src_check *c, feast_column_reqs *reqs) {
  feast_error e;
  feast_code rc = feast_column_reqs_build(c->t, c->s, c->entity_types, reqs, &e);
  if (rc) {
    char f[64];
    snprintf(f, sizeof f, "spec.%s", c->which);
    feast_vproblem(c->v, f, "%s", e.message);
  }
  return rc;
}

static void check_stream_format(src_check *c, const feast_data_format *fmt, const char *fpath) {
  char field[160];
  if (fmt->kind != FEAST_FORMAT_AVRO && fmt->kind != FEAST_FORMAT_PROTO) {
    feast_vproblem(c->v, fpath, "a stream needs avroFormat or protoFormat");
    return;
  }
  feast_error e;
  if (fmt->kind == FEAST_FORMAT_AVRO) {
    snprintf(field, sizeof field, "%s.avroFormat.schemaJson", fpath);
    if (feast_avro_check_record_schema(fmt->schema_json, &e)) {
      feast_vproblem(c->v, field, "%s", e.message);
      return;
    }
    if (c->skip) return;
    feast_column_reqs reqs;
    if (reqs_for(c, &reqs)) return;
    if (feast_avro_check_columns(fmt->schema_json, reqs.items, reqs.n, &e)) feast_vproblem_lines(c->v, field, e.message);
    feast_column_reqs_clear(&reqs);
    return;
  }
  snprintf(field, sizeof field, "%s.protoFormat.classPath", fpath);
  if (empty(fmt->class_path)) {
    feast_vproblem(c->v, field, "a class path is required (e.g. com.example.DriverTrip)");
    return;
  }
  if (!valid_class_path(fmt->class_path)) {
    feast_vproblem(c->v, field, "'%s' is not a dotted class name", fmt->class_path);
    return;
  }
  char dfield[64];
  snprintf(dfield, sizeof dfield, "spec.%s.descriptorSet", c->which);
  if (empty(c->s->descriptor_set)) {
    if (!c->skip)
      feast_vproblem(c->v, dfield, "needed to check protobuf class '%s' against the table (give a FileDescriptorSet "
                                   "from protoc --descriptor_set_out --include_imports, or skip the source check)",
                     fmt->class_path);
    return;
  }
  feast_proto_pool *pool = NULL;
  if (feast_proto_pool_load(c->s->descriptor_set, &pool, &e)) {
    feast_vproblem(c->v, dfield, "%s", e.message);
    return;
  }
  const feast_proto_message *m;
  if (feast_proto_pool_resolve(pool, fmt->class_path, &m, &e)) {
    feast_vproblem(c->v, field, "%s", e.message);
  } else if (!c->skip) {
    feast_column_reqs reqs;
    if (!reqs_for(c, &reqs)) {
      if (feast_proto_check_columns(m, reqs.items, reqs.n, &e)) feast_vproblem_lines(c->v, field, e.message);
      feast_column_reqs_clear(&reqs);
    }
  }
  feast_proto_pool_free(pool);
}

void feast_validate_source(feast_vctx *v, const feast_feature_table_spec *t, const feast_data_source *s,
                           const char *which, const feast_value_type *entity_types, bool skip_check) {
  src_check c = {v, t, s, which, entity_types, skip_check};
  char field[160];
  snprintf(field, sizeof field, "spec.%s.eventTimestampColumn", which);
  if (empty(s->event_timestamp_column)) feast_vproblem(v, field, "an event timestamp column is required");
  switch (s->type) {
  case FEAST_SOURCE_FILE: {
    snprintf(field, sizeof field, "spec.%s.fileOptions.fileFormat", which);
    if (s->file.file_format.kind != FEAST_FORMAT_PARQUET)
      feast_vproblem(v, field, "file sources must be Parquet (fileFormat: {parquetFormat: {}})");
    snprintf(field, sizeof field, "spec.%s.fileOptions.fileUrl", which);
    if (empty(s->file.file_url)) {
      feast_vproblem(v, field, "a file URL is required");
    } else if (!skip_check && s->file.file_format.kind == FEAST_FORMAT_PARQUET) {
      feast_column_reqs reqs;
      if (!reqs_for(&c, &reqs)) {
        feast_error e;
        if (feast_batch_source_check(s, reqs.items, reqs.n, &e)) feast_vproblem_lines(v, field, e.message);
        feast_column_reqs_clear(&reqs);
      }
    }
    break;
  }
  case FEAST_SOURCE_BIGQUERY:
    snprintf(field, sizeof field, "spec.%s.bigqueryOptions.tableRef", which);
    if (empty(s->bigquery.table_ref) && empty(s->bigquery.query))
      feast_vproblem(v, field, "a table reference (or a query) is required");
    else if (!empty(s->bigquery.table_ref) && !valid_table_ref(s->bigquery.table_ref))
      feast_vproblem(v, field, "'%s' must read project:dataset.table or project.dataset.table", s->bigquery.table_ref);
    else if (!skip_check) { /* the table's schema (tables.get) or the query's (a dry run) */
      if (empty(s->bigquery.table_ref)) snprintf(field, sizeof field, "spec.%s.bigqueryOptions.query", which);
      feast_column_reqs reqs;
      if (!reqs_for(&c, &reqs)) {
        feast_error e;
        if (feast_batch_source_check(s, reqs.items, reqs.n, &e)) feast_vproblem_lines(v, field, e.message);
        feast_column_reqs_clear(&reqs);
      }
    }
    break;
  case FEAST_SOURCE_KAFKA:
    snprintf(field, sizeof field, "spec.%s.kafkaOptions.bootstrapServers", which);
    if (empty(s->kafka.bootstrap_servers)) feast_vproblem(v, field, "bootstrap servers are required");
    snprintf(field, sizeof field, "spec.%s.kafkaOptions.topic", which);
    if (empty(s->kafka.topic)) feast_vproblem(v, field, "a topic is required");
    snprintf(field, sizeof field, "spec.%s.kafkaOptions.messageFormat", which);
    check_stream_format(&c, &s->kafka.message_format, field);
    break;
  case FEAST_SOURCE_KINESIS:
    snprintf(field, sizeof field, "spec.%s.kinesisOptions.region", which);
    if (empty(s->kinesis.region)) feast_vproblem(v, field, "a region is required");
    snprintf(field, sizeof field, "spec.%s.kinesisOptions.streamName", which);
    if (empty(s->kinesis.stream_name)) feast_vproblem(v, field, "a stream name is required");
    snprintf(field, sizeof field, "spec.%s.kinesisOptions.recordFormat", which);
    check_stream_format(&c, &s->kinesis.record_format, field);
    break;
  default: break;
  }
}
