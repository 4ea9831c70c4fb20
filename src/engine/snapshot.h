/*
 * snapshot.h - an immutable view of one project of the registry at one
 * revision: every entity and feature table, with each table's entity types
 * resolved, looked up by name without touching the registry. Many threads
 * read one snapshot at once; a newer revision gets a new snapshot, and the
 * old one lives until its last reader lets go (reference counted).
 */
#ifndef FEAST_ENGINE_SNAPSHOT_H
#define FEAST_ENGINE_SNAPSHOT_H

#include <stdint.h>

#include "feast/registry.h"

typedef struct feast_snapshot_table {
  const feast_feature_table *table;
  const feast_value_type *entity_types;   /* per table->spec.entities; INVALID where the entity is missing */
  const feast_entity_spec *const *entities; /* per table->spec.entities; NULL where missing */
} feast_snapshot_table;

typedef struct feast_snapshot feast_snapshot;

/* Read `project` of `reg` whole, in one transaction. The caller holds the
 * one reference: feast_snapshot_unref. */
feast_code feast_snapshot_load(feast_registry *reg, const char *project, feast_snapshot **out, feast_error *err);
void feast_snapshot_ref(feast_snapshot *s);
void feast_snapshot_unref(feast_snapshot *s); /* accepts NULL */

int64_t feast_snapshot_revision(const feast_snapshot *s);
/* Borrowed: valid while the caller holds a reference. NULL when absent. */
const feast_snapshot_table *feast_snapshot_table_get(const feast_snapshot *s, const char *name, size_t len);
const feast_entity *feast_snapshot_entity_get(const feast_snapshot *s, const char *name);

#endif
