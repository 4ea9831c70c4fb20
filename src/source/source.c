/*
 * source.c - the public source calls, dispatched to the connector of each
 * DataSource type (connector.h), with the one message for a type this
 * build has no connector (or no such shape) for.
 */
#include "feast/source.h"

#include <stddef.h>

#include "source/connector.h"

static const feast_connector *const CONNECTORS[] = {&feast_file_connector, &feast_bigquery_connector,
                                                     &feast_kafka_connector, &feast_kinesis_connector};

const feast_connector *feast_connector_for(feast_source_type type) {
  for (size_t i = 0; i < sizeof CONNECTORS / sizeof *CONNECTORS; i++)
    if (CONNECTORS[i]->type == type) return CONNECTORS[i];
  return NULL;
}

static const char *type_name(feast_source_type t) {
  switch (t) {
  case FEAST_SOURCE_FILE: return "file";
  case FEAST_SOURCE_BIGQUERY: return "BigQuery";
  case FEAST_SOURCE_KAFKA: return "Kafka";
  case FEAST_SOURCE_KINESIS: return "Kinesis";
  default: return "unknown";
  }
}

/* What identifies the source in messages: its URL, table or topic. */
static const char *source_label(const feast_data_source *s) {
  const char *l = s->type == FEAST_SOURCE_FILE       ? s->file.file_url
                  : s->type == FEAST_SOURCE_BIGQUERY ? s->bigquery.table_ref
                  : s->type == FEAST_SOURCE_KAFKA    ? s->kafka.topic
                  : s->type == FEAST_SOURCE_KINESIS  ? s->kinesis.stream_name
                                                     : NULL;
  return l ? l : "";
}

static feast_code unsupported(const feast_data_source *s, const char *what, feast_error *err) {
  if (s->type == FEAST_SOURCE_INVALID) return feast_fail(err, FEAST_E_INVALID, "the source has no type");
  return feast_fail(err, FEAST_E_UNSUPPORTED, "%s source %s: %s is not available in this build", type_name(s->type),
                    source_label(s), what);
}

feast_code feast_source_open_read(const feast_data_source *s, const feast_batch_read *r, feast_batch_source **out,
                                  feast_error *err) {
  const feast_connector *c = feast_connector_for(s->type);
  if (!c || !c->open_batch)
    return unsupported(s, s->type == FEAST_SOURCE_KAFKA || s->type == FEAST_SOURCE_KINESIS
                              ? "reading it as a batch source (it is a stream: use stream ingestion)"
                              : "reading it",
                       err);
  return c->open_batch(s, r, out, err);
}

feast_code feast_source_open(const feast_data_source *s, const char *const *columns, int ncols, bool prune,
                             feast_ts lo, feast_ts hi, feast_batch_source **out, feast_error *err) {
  feast_batch_read r = {columns, ncols, prune, lo, hi, 0, 0};
  return feast_source_open_read(s, &r, out, err);
}

feast_code feast_source_schema(const feast_data_source *s, feast_batch **out, feast_error *err) {
  const feast_connector *c = feast_connector_for(s->type);
  if (!c || !c->schema) return unsupported(s, "reading its schema", err);
  return c->schema(s, NULL, 0, out, err);
}

int64_t feast_source_num_rows(const feast_batch_source *src) {
  for (size_t i = 0; i < sizeof CONNECTORS / sizeof *CONNECTORS; i++) {
    int64_t n = CONNECTORS[i]->num_rows ? CONNECTORS[i]->num_rows(src) : -1;
    if (n >= 0) return n;
  }
  return -1;
}

feast_code feast_stream_open(const feast_data_source *s, const feast_stream_options *o, feast_stream_source **out,
                             feast_error *err) {
  const feast_connector *c = feast_connector_for(s->type);
  if (!c || !c->open_stream) return unsupported(s, "stream ingestion", err);
  return c->open_stream(s, o, out, err);
}
