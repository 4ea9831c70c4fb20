/*
 * validate.h - internals shared by the validation files (validate.c: Feast
 * Core's rules; validate_source.c: source options and schema compliance;
 * validate_batch.c: batch sources' columns). The public entry point is
 * feast_specs_validate in feast/specfile.h.
 */
#ifndef FEAST_REGISTRY_VALIDATE_H
#define FEAST_REGISTRY_VALIDATE_H

#include <stdbool.h>

#include "feast/specfile.h"
#include "format/spec/source_columns.h"

/* Collects problems: each becomes one line "file: document N (line L):
 * field: message" of the final error. */
typedef struct feast_vctx {
  feast_error *err;
  int problems;
  const feast_spec_doc *doc;
} feast_vctx;

void feast_vproblem(feast_vctx *v, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Each line of a checker's multi-line message becomes a problem on field. */
void feast_vproblem_lines(feast_vctx *v, const char *field, const char *message);

/* Options of one source (which: "batchSource" or "streamSource") and,
 * unless skip_check, its schema against the table. entity_types as in
 * feast_column_reqs_build. */
void feast_validate_source(feast_vctx *v, const feast_feature_table_spec *t, const feast_data_source *s,
                           const char *which, const feast_value_type *entity_types, bool skip_check);

/* Check a batch source's columns (its connector's schema: a file source's
 * reachable footers) against the required columns. FEAST_OK when they
 * comply, or when this build has no connector for the type; FEAST_E_SCHEMA
 * with one line per offending column otherwise; other codes when the
 * source cannot be read (the message then suggests --skip-source-check). */
feast_code feast_batch_source_check(const feast_data_source *s, const feast_column_req *reqs, size_t n,
                                    feast_error *err);

/* For the registry engine: FEAST_E_VALIDATION (message naming the entity)
 * when an update would change a stored entity's value type. */
feast_code feast_entity_update_check(const feast_entity_spec *stored, const feast_entity_spec *updated,
                                     feast_error *err);

#endif
