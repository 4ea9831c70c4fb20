/*
 * spec.c - ownership helpers for spec objects (freeing, string maps, name
 * lookups). Parsing, validation and storage live in the registry layers.
 */
#include "feast/spec.h"

#include <string.h>

#include "base/alloc.h"

void feast_map_clear(feast_map *m) {
  for (size_t i = 0; i < m->n; i++) {
    feast_free(m->items[i].key);
    feast_free(m->items[i].value);
  }
  feast_free(m->items);
  m->items = NULL;
  m->n = 0;
}

feast_code feast_map_set(feast_map *m, const char *key, const char *value, feast_error *err) {
  char *v = feast_strdup(value);
  if (!v) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; i < m->n; i++)
    if (strcmp(m->items[i].key, key) == 0) {
      feast_free(m->items[i].value);
      m->items[i].value = v;
      return FEAST_OK;
    }
  char *k = feast_strdup(key);
  feast_kv *items = k ? feast_realloc(m->items, (m->n + 1) * sizeof *items) : NULL;
  if (!items) {
    feast_free(k);
    feast_free(v);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  items[m->n].key = k;
  items[m->n].value = v;
  m->items = items;
  m->n++;
  return FEAST_OK;
}

const char *feast_map_get(const feast_map *m, const char *key) {
  for (size_t i = 0; i < m->n; i++)
    if (strcmp(m->items[i].key, key) == 0) return m->items[i].value;
  return NULL;
}

void feast_data_format_clear(feast_data_format *f) {
  feast_free(f->schema_json);
  feast_free(f->class_path);
  memset(f, 0, sizeof *f);
}

void feast_data_source_clear(feast_data_source *s) {
  feast_map_clear(&s->field_mapping);
  feast_free(s->event_timestamp_column);
  feast_free(s->created_timestamp_column);
  feast_free(s->date_partition_column);
  feast_data_format_clear(&s->file.file_format);
  feast_free(s->file.file_url);
  feast_free(s->bigquery.table_ref);
  feast_free(s->bigquery.query);
  feast_free(s->kafka.bootstrap_servers);
  feast_free(s->kafka.topic);
  feast_data_format_clear(&s->kafka.message_format);
  feast_free(s->kinesis.region);
  feast_free(s->kinesis.stream_name);
  feast_data_format_clear(&s->kinesis.record_format);
  feast_free(s->descriptor_set);
  memset(s, 0, sizeof *s);
}

void feast_entity_spec_clear(feast_entity_spec *e) {
  feast_free(e->name);
  feast_free(e->description);
  feast_map_clear(&e->labels);
  memset(e, 0, sizeof *e);
}

void feast_feature_spec_clear(feast_feature_spec *f) {
  feast_free(f->name);
  feast_map_clear(&f->labels);
  memset(f, 0, sizeof *f);
}

void feast_feature_table_spec_clear(feast_feature_table_spec *t) {
  feast_free(t->name);
  for (size_t i = 0; i < t->n_entities; i++) feast_free(t->entities[i]);
  feast_free(t->entities);
  for (size_t i = 0; i < t->n_features; i++) feast_feature_spec_clear(&t->features[i]);
  feast_free(t->features);
  feast_map_clear(&t->labels);
  feast_data_source_clear(&t->batch_source);
  feast_data_source_clear(&t->stream_source);
  memset(t, 0, sizeof *t);
}

const char *feast_source_column(const feast_data_source *s, const char *name) {
  const char *mapped = feast_map_get(&s->field_mapping, name);
  return mapped ? mapped : name;
}

int feast_feature_table_find_feature(const feast_feature_table_spec *t, const char *name) {
  for (size_t i = 0; i < t->n_features; i++)
    if (strcmp(t->features[i].name, name) == 0) return (int)i;
  return -1;
}
