/*
 * ingest_schema.h - resolving a feature table's columns in a batch (field
 * mapping) and checking their types against the spec, before any write.
 */
#ifndef FEAST_ENGINE_INGEST_SCHEMA_H
#define FEAST_ENGINE_INGEST_SCHEMA_H

#include "feast/array.h"
#include "feast/spec.h"

typedef struct ingest_cols {
  size_t n_entities;
  const char **entity_names;        /* sorted by name (RedisKeyV2 order) */
  feast_value_type *entity_types;   /* same order */
  const feast_array **entity_cols;  /* same order */
  const char **entity_colnames;
  const feast_array **feature_cols; /* table feature order */
  const feast_array *event_col;
  const feast_array *created_col; /* NULL when the source has none */
} ingest_cols;

/* Fill `c` (arrays allocated by this call; free with ingest_cols_clear). */
feast_code ingest_cols_resolve(const feast_feature_table_spec *t, const feast_data_source *src,
                               const feast_entity_spec *entities, size_t n_entities, const feast_batch *b,
                               ingest_cols *c, feast_error *err);
void ingest_cols_clear(ingest_cols *c);

#endif
