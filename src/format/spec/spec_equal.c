/*
 * spec_equal.c - equality and deep copies of specs. The registry uses
 * equality to decide whether an apply changes anything (and so whether the
 * revision moves); labels and field mappings compare as maps, ignoring order.
 */
#include <string.h>

#include "base/alloc.h"
#include "feast/specfile.h"

static bool str_eq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

static bool map_eq(const feast_map *a, const feast_map *b) {
  if (a->n != b->n) return false;
  for (size_t i = 0; i < a->n; i++)
    if (!str_eq(a->items[i].value, feast_map_get(b, a->items[i].key))) return false;
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
  for (size_t i = 0; i < a->n_features; i++) {
    const feast_feature_spec *x = &a->features[i], *y = &b->features[i];
    if (!str_eq(x->name, y->name) || x->value_type != y->value_type || !map_eq(&x->labels, &y->labels)) return false;
  }
  return true;
}

/* ---- copies: each helper leaves dst fully owned or, on failure, holding
 * only what it copied so far (freed by the caller's clear) ---- */

static int dup(char **dst, const char *src) {
  *dst = NULL;
  if (!src) return 0;
  *dst = feast_strdup(src);
  return *dst ? 0 : 1;
}

static int map_copy(feast_map *dst, const feast_map *src) {
  dst->n = 0;
  dst->items = NULL;
  if (!src->n) return 0;
  dst->items = feast_calloc(src->n, sizeof *dst->items);
  if (!dst->items) return 1;
  for (size_t i = 0; i < src->n; i++) {
    dst->n++;
    if (dup(&dst->items[i].key, src->items[i].key) | dup(&dst->items[i].value, src->items[i].value)) return 1;
  }
  return 0;
}

static int format_copy(feast_data_format *dst, const feast_data_format *src) {
  dst->kind = src->kind;
  return dup(&dst->schema_json, src->schema_json) | dup(&dst->class_path, src->class_path);
}

static int source_copy(feast_data_source *d, const feast_data_source *s) {
  memset(d, 0, sizeof *d);
  d->type = s->type;
  return map_copy(&d->field_mapping, &s->field_mapping) | dup(&d->event_timestamp_column, s->event_timestamp_column) |
         dup(&d->created_timestamp_column, s->created_timestamp_column) |
         dup(&d->date_partition_column, s->date_partition_column) |
         format_copy(&d->file.file_format, &s->file.file_format) | dup(&d->file.file_url, s->file.file_url) |
         dup(&d->bigquery.table_ref, s->bigquery.table_ref) | dup(&d->bigquery.query, s->bigquery.query) |
         dup(&d->kafka.bootstrap_servers, s->kafka.bootstrap_servers) | dup(&d->kafka.topic, s->kafka.topic) |
         format_copy(&d->kafka.message_format, &s->kafka.message_format) |
         dup(&d->kinesis.region, s->kinesis.region) | dup(&d->kinesis.stream_name, s->kinesis.stream_name) |
         format_copy(&d->kinesis.record_format, &s->kinesis.record_format) |
         dup(&d->descriptor_set, s->descriptor_set);
}

feast_code feast_entity_spec_copy(feast_entity_spec *dst, const feast_entity_spec *src, feast_error *err) {
  memset(dst, 0, sizeof *dst);
  dst->value_type = src->value_type;
  if (dup(&dst->name, src->name) | dup(&dst->description, src->description) | map_copy(&dst->labels, &src->labels)) {
    feast_entity_spec_clear(dst);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  return FEAST_OK;
}

feast_code feast_feature_table_spec_copy(feast_feature_table_spec *dst, const feast_feature_table_spec *src,
                                         feast_error *err) {
  memset(dst, 0, sizeof *dst);
  int bad = dup(&dst->name, src->name) | map_copy(&dst->labels, &src->labels);
  dst->has_max_age = src->has_max_age;
  dst->max_age = src->max_age;
  dst->has_stream_source = src->has_stream_source;
  bad |= source_copy(&dst->batch_source, &src->batch_source) | source_copy(&dst->stream_source, &src->stream_source);
  if (!bad && src->n_entities) {
    dst->entities = feast_calloc(src->n_entities, sizeof *dst->entities);
    bad = !dst->entities;
    for (size_t i = 0; !bad && i < src->n_entities; i++) {
      dst->n_entities++;
      bad = dup(&dst->entities[i], src->entities[i]);
    }
  }
  if (!bad && src->n_features) {
    dst->features = feast_calloc(src->n_features, sizeof *dst->features);
    bad = !dst->features;
    for (size_t i = 0; !bad && i < src->n_features; i++) {
      dst->n_features++;
      dst->features[i].value_type = src->features[i].value_type;
      bad = dup(&dst->features[i].name, src->features[i].name) |
            map_copy(&dst->features[i].labels, &src->features[i].labels);
    }
  }
  if (bad) {
    feast_feature_table_spec_clear(dst);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  return FEAST_OK;
}
