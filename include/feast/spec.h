/*
 * spec.h - the objects users register with Feast Core: projects, entities,
 * feature tables and their data sources, mirroring Feast 0.9's protobufs
 * (feast.core.EntitySpecV2, FeatureTableSpec, DataSource).
 *
 * Every string is owned by the struct that holds it (feast_malloc'd, NULL
 * when unset); feast_*_spec_clear frees the contents, not the struct.
 * Arrays come with their counts.
 */
#ifndef FEAST_SPEC_H
#define FEAST_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "feast/error.h"
#include "feast/export.h"
#include "feast/time.h"
#include "feast/types.h"

/* An ordered string map: labels, field_mapping. Keys are unique. */
typedef struct feast_kv {
  char *key;
  char *value;
} feast_kv;

typedef struct feast_map {
  size_t n;
  feast_kv *items;
} feast_map;

/* Feast 0.9 DataSource.SourceType numbering. */
typedef enum feast_source_type {
  FEAST_SOURCE_INVALID = 0,
  FEAST_SOURCE_FILE = 1,     /* BATCH_FILE */
  FEAST_SOURCE_BIGQUERY = 2, /* BATCH_BIGQUERY */
  FEAST_SOURCE_KAFKA = 3,    /* STREAM_KAFKA */
  FEAST_SOURCE_KINESIS = 4   /* STREAM_KINESIS */
} feast_source_type;

typedef enum feast_format_kind {
  FEAST_FORMAT_NONE = 0,
  FEAST_FORMAT_PARQUET, /* FileFormat.parquet_format */
  FEAST_FORMAT_AVRO,    /* StreamFormat.avro_format{schema_json} */
  FEAST_FORMAT_PROTO    /* StreamFormat.proto_format{class_path} */
} feast_format_kind;

typedef struct feast_data_format {
  feast_format_kind kind;
  char *schema_json; /* AVRO */
  char *class_path;  /* PROTO: fully qualified message name, e.g. "feast.test.DriverTrip" */
} feast_data_format;

typedef struct feast_data_source {
  feast_source_type type;
  /* Feast name (feature or entity) -> source column:
   * {rating: driver_rating} reads feature `rating` from column `driver_rating`. */
  feast_map field_mapping;
  char *event_timestamp_column;
  char *created_timestamp_column;
  char *date_partition_column;
  struct {
    feast_data_format file_format;
    char *file_url; /* file:///abs/path, or a plain path; a file, folder or glob */
  } file;
  struct {
    char *table_ref; /* project:dataset.table or project.dataset.table */
    char *query;
  } bigquery;
  struct {
    char *bootstrap_servers;
    char *topic;
    feast_data_format message_format;
  } kafka;
  struct {
    char *region;
    char *stream_name;
    feast_data_format record_format;
  } kinesis;
  /* Path of a FileDescriptorSet (protoc --descriptor_set_out
   * --include_imports) that resolves a PROTO class_path. */
  char *descriptor_set;
} feast_data_source;

typedef struct feast_entity_spec {
  char *name;
  feast_value_type value_type;
  char *description;
  feast_map labels;
} feast_entity_spec;

typedef struct feast_feature_spec {
  char *name;
  feast_value_type value_type;
  feast_map labels;
} feast_feature_spec;

typedef struct feast_feature_table_spec {
  char *name;
  size_t n_entities;
  char **entities; /* entity names */
  size_t n_features;
  feast_feature_spec *features;
  feast_map labels;
  bool has_max_age;
  feast_duration max_age; /* microseconds; meaningful when has_max_age */
  feast_data_source batch_source;
  bool has_stream_source;
  feast_data_source stream_source;
} feast_feature_table_spec;

/* Registry metadata kept beside a spec. */
typedef struct feast_meta {
  feast_ts created;
  feast_ts last_updated;
  int64_t revision; /* tables: bumped on every change; entities: 1.. likewise */
} feast_meta;

typedef struct feast_entity {
  feast_entity_spec spec;
  feast_meta meta;
} feast_entity;

typedef struct feast_feature_table {
  feast_feature_table_spec spec;
  feast_meta meta;
} feast_feature_table;

FEAST_API void feast_map_clear(feast_map *m);
/* Add or replace key -> value (both copied). */
FEAST_API feast_code feast_map_set(feast_map *m, const char *key, const char *value, feast_error *err);
/* The value for key, or NULL. Valid while the map is unchanged. */
FEAST_API const char *feast_map_get(const feast_map *m, const char *key);

FEAST_API void feast_data_format_clear(feast_data_format *f);
FEAST_API void feast_data_source_clear(feast_data_source *s);
FEAST_API void feast_entity_spec_clear(feast_entity_spec *e);
FEAST_API void feast_feature_spec_clear(feast_feature_spec *f);
FEAST_API void feast_feature_table_spec_clear(feast_feature_table_spec *t);

/* The column of the source that holds Feast name `name` (feature or
 * entity): field_mapping[name] when mapped, else name itself. */
FEAST_API const char *feast_source_column(const feast_data_source *s, const char *name);

/* Index of the feature called name in the table, or -1. */
FEAST_API int feast_feature_table_find_feature(const feast_feature_table_spec *t, const char *name);

#endif
