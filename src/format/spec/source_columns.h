/*
 * source_columns.h - what a feature table needs from one of its sources:
 * for every entity, feature and timestamp column, the source column (after
 * field_mapping) and the Feast type it must hold. The schema checkers
 * (Avro, protobuf, Parquet) all take this list, so the rules of "which
 * columns" live in one place.
 */
#ifndef FEAST_FORMAT_SPEC_SOURCE_COLUMNS_H
#define FEAST_FORMAT_SPEC_SOURCE_COLUMNS_H

#include <stddef.h>

#include "feast/spec.h"

typedef struct feast_column_req {
  const char *role;   /* "entity", "feature", "event timestamp", "created timestamp" */
  const char *name;   /* the Feast name (entity or feature); the column for timestamps */
  const char *column; /* the source column; a dotted path reaches into nested records */
  feast_value_type type; /* UNIX_TIMESTAMP for timestamp columns; INVALID = presence only */
} feast_column_req;

typedef struct feast_column_reqs {
  size_t n;
  feast_column_req *items; /* feast_malloc'd; strings borrowed from the spec */
} feast_column_reqs;

/* entity_types[i] is the type of t->entities[i] (INVALID when unknown).
 * Strings in the result point into t and s: valid while they are. */
feast_code feast_column_reqs_build(const feast_feature_table_spec *t, const feast_data_source *s,
                                   const feast_value_type *entity_types, feast_column_reqs *out, feast_error *err);
void feast_column_reqs_clear(feast_column_reqs *r);

#endif
