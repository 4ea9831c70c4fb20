/*
 * specfile_shim_TEMP.c - TEMPORARY. Stand-in for the spec-equality and
 * spec-copy functions of include/feast/specfile.h until the `specs` branch
 * (which owns them) is merged; the registry needs them to decide whether an
 * apply changes anything. DELETE THIS FILE WHEN MERGING the specs branch
 * (its definitions would clash). Parse/emit/validate are deliberately absent.
 */
#include <string.h>

#include "base/alloc.h"
#include "feast/specfile.h"

static bool str_eq(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static bool map_eq(const feast_map *a, const feast_map *b) {
  if (a->n != b->n) return false;
  for (size_t i = 0; i < a->n; i++)
    if (!str_eq(feast_map_get(b, a->items[i].key), a->items[i].value)) return false;
  return true;
}

static bool format_eq(const feast_data_format *a, const feast_data_format *b) {
  return a->kind == b->kind && str_eq(a->schema_json, b->schema_json) && str_eq(a->class_path, b->class_path);
}

static bool source_eq(const feast_data_source *a, const feast_data_source *b) {
  return a->type == b->type && map_eq(&a->field_mapping, &b->field_mapping) &&
         str_eq(a->event_timestamp_column, b->event_timestamp_column) &&
         str_eq(a->created_timestamp_column, b->created_timestamp_column) &&
         str_eq(a->date_partition_column, b->date_partition_column) &&
         format_eq(&a->file.file_format, &b->file.file_format) && str_eq(a->file.file_url, b->file.file_url) &&
         str_eq(a->bigquery.table_ref, b->bigquery.table_ref) && str_eq(a->bigquery.query, b->bigquery.query) &&
         str_eq(a->kafka.bootstrap_servers, b->kafka.bootstrap_servers) && str_eq(a->kafka.topic, b->kafka.topic) &&
         format_eq(&a->kafka.message_format, &b->kafka.message_format) &&
         str_eq(a->kinesis.region, b->kinesis.region) && str_eq(a->kinesis.stream_name, b->kinesis.stream_name) &&
         format_eq(&a->kinesis.record_format, &b->kinesis.record_format) &&
         str_eq(a->descriptor_set, b->descriptor_set);
}

bool feast_entity_spec_equal(const feast_entity_spec *a, const feast_entity_spec *b) {
  return str_eq(a->name, b->name) && a->value_type == b->value_type && str_eq(a->description, b->description) &&
         map_eq(&a->labels, &b->labels);
}

bool feast_feature_table_spec_equal(const feast_feature_table_spec *a, const feast_feature_table_spec *b) {
  if (!str_eq(a->name, b->name) || a->n_entities != b->n_entities || a->n_features != b->n_features ||
      !map_eq(&a->labels, &b->labels) || a->has_max_age != b->has_max_age ||
      (a->has_max_age && a->max_age != b->max_age) || !source_eq(&a->batch_source, &b->batch_source) ||
      a->has_stream_source != b->has_stream_source ||
      (a->has_stream_source && !source_eq(&a->stream_source, &b->stream_source)))
    return false;
  for (size_t i = 0; i < a->n_entities; i++)
    if (!str_eq(a->entities[i], b->entities[i])) return false;
  for (size_t i = 0; i < a->n_features; i++)
    if (!str_eq(a->features[i].name, b->features[i].name) || a->features[i].value_type != b->features[i].value_type ||
        !map_eq(&a->features[i].labels, &b->features[i].labels))
      return false;
  return true;
}

static feast_code dup(char **dst, const char *src, feast_error *err) {
  *dst = NULL;
  if (src && !(*dst = feast_strdup(src))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  return FEAST_OK;
}

static feast_code map_copy(feast_map *dst, const feast_map *src, feast_error *err) {
  memset(dst, 0, sizeof *dst);
  for (size_t i = 0; i < src->n; i++) {
    feast_code rc = feast_map_set(dst, src->items[i].key, src->items[i].value, err);
    if (rc) return rc;
  }
  return FEAST_OK;
}

static feast_code format_copy(feast_data_format *d, const feast_data_format *s, feast_error *err) {
  d->kind = s->kind;
  feast_code rc = dup(&d->schema_json, s->schema_json, err);
  return rc ? rc : dup(&d->class_path, s->class_path, err);
}

static feast_code source_copy(feast_data_source *d, const feast_data_source *s, feast_error *err) {
  memset(d, 0, sizeof *d);
  d->type = s->type;
  feast_code rc;
  if ((rc = map_copy(&d->field_mapping, &s->field_mapping, err)) ||
      (rc = dup(&d->event_timestamp_column, s->event_timestamp_column, err)) ||
      (rc = dup(&d->created_timestamp_column, s->created_timestamp_column, err)) ||
      (rc = dup(&d->date_partition_column, s->date_partition_column, err)) ||
      (rc = format_copy(&d->file.file_format, &s->file.file_format, err)) ||
      (rc = dup(&d->file.file_url, s->file.file_url, err)) ||
      (rc = dup(&d->bigquery.table_ref, s->bigquery.table_ref, err)) ||
      (rc = dup(&d->bigquery.query, s->bigquery.query, err)) ||
      (rc = dup(&d->kafka.bootstrap_servers, s->kafka.bootstrap_servers, err)) ||
      (rc = dup(&d->kafka.topic, s->kafka.topic, err)) ||
      (rc = format_copy(&d->kafka.message_format, &s->kafka.message_format, err)) ||
      (rc = dup(&d->kinesis.region, s->kinesis.region, err)) ||
      (rc = dup(&d->kinesis.stream_name, s->kinesis.stream_name, err)) ||
      (rc = format_copy(&d->kinesis.record_format, &s->kinesis.record_format, err)) ||
      (rc = dup(&d->descriptor_set, s->descriptor_set, err)))
    return rc;
  return FEAST_OK;
}

feast_code feast_entity_spec_copy(feast_entity_spec *dst, const feast_entity_spec *src, feast_error *err) {
  memset(dst, 0, sizeof *dst);
  dst->value_type = src->value_type;
  feast_code rc;
  if ((rc = dup(&dst->name, src->name, err)) || (rc = dup(&dst->description, src->description, err)) ||
      (rc = map_copy(&dst->labels, &src->labels, err))) {
    feast_entity_spec_clear(dst);
    return rc;
  }
  return FEAST_OK;
}

feast_code feast_feature_table_spec_copy(feast_feature_table_spec *dst, const feast_feature_table_spec *src,
                                         feast_error *err) {
  memset(dst, 0, sizeof *dst);
  feast_code rc = dup(&dst->name, src->name, err);
  if (!rc && src->n_entities && !(dst->entities = feast_calloc(src->n_entities, sizeof *dst->entities)))
    rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; !rc && i < src->n_entities; i++) {
    dst->n_entities = i + 1;
    rc = dup(&dst->entities[i], src->entities[i], err);
  }
  if (!rc && src->n_features && !(dst->features = feast_calloc(src->n_features, sizeof *dst->features)))
    rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; !rc && i < src->n_features; i++) {
    dst->n_features = i + 1;
    dst->features[i].value_type = src->features[i].value_type;
    rc = dup(&dst->features[i].name, src->features[i].name, err);
    if (!rc) rc = map_copy(&dst->features[i].labels, &src->features[i].labels, err);
  }
  if (!rc) rc = map_copy(&dst->labels, &src->labels, err);
  dst->has_max_age = src->has_max_age;
  dst->max_age = src->max_age;
  dst->has_stream_source = src->has_stream_source;
  if (!rc) rc = source_copy(&dst->batch_source, &src->batch_source, err);
  if (!rc) rc = source_copy(&dst->stream_source, &src->stream_source, err);
  if (rc) feast_feature_table_spec_clear(dst);
  return rc;
}
