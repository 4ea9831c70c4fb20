/*
 * registry.h - Feast Core: the registry of projects, entities and feature
 * tables, kept in a SQLite file or a PostgreSQL database. Every engine reads
 * its specs from here.
 *
 * Apply is create-or-update and idempotent: applying an unchanged spec
 * changes nothing (no new revision, same last_updated). A multi-document
 * apply is one transaction: every document is validated first
 * (feast_specs_validate) and either all are stored or none.
 *
 * The project "default" always exists and cannot be archived; applying into
 * an archived project fails. Applying into a project that does not exist
 * creates it (as Feast 0.9's Core does).
 *
 * A registry handle is used by one thread at a time. Several handles and
 * several processes may share one registry: writers queue on the database's
 * lock; a writer that waits too long gets FEAST_E_CONFLICT, marked retriable.
 */
#ifndef FEAST_REGISTRY_H
#define FEAST_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feast/error.h"
#include "feast/export.h"
#include "feast/spec.h"
#include "feast/specfile.h"

#define FEAST_DEFAULT_PROJECT "default"

typedef struct feast_registry feast_registry;

/* `url_or_path`: "postgresql://..." or "postgres://..." (a libpq URI) for
 * PostgreSQL, "sqlite:///abs/path" or a plain filesystem path for SQLite (the
 * file is created when missing; its folder must exist). The schema is
 * created on first use. The caller owns *out: release it with
 * feast_registry_free. */
FEAST_API feast_code feast_registry_open(const char *url_or_path, feast_registry **out, feast_error *err);
FEAST_API void feast_registry_free(feast_registry *reg);
/* "sqlite" or "postgresql". Static storage. */
FEAST_API const char *feast_registry_backend_name(const feast_registry *reg);

/* The registry's revision: every committed change to a project, entity or
 * feature table (by any handle or process) raises it; an apply that
 * changes nothing does not. One small read: cheap enough for a server to
 * poll and reload its specs only when it moved. */
FEAST_API feast_code feast_registry_revision(feast_registry *reg, int64_t *out, feast_error *err);

/* ---- projects ---- */

typedef struct feast_project_info {
  char *name;
  bool archived;
} feast_project_info;

typedef struct feast_project_list {
  size_t n;
  feast_project_info *items; /* in name order; owned; feast_project_list_clear */
} feast_project_list;

/* Names are 1..64 characters of [A-Za-z0-9_]. FEAST_E_EXISTS when the
 * project exists (archived or not). */
FEAST_API feast_code feast_registry_create_project(feast_registry *reg, const char *name, feast_error *err);
/* FEAST_E_NOT_FOUND when missing; FEAST_E_INVALID for "default". Archiving
 * an archived project is a no-op. */
FEAST_API feast_code feast_registry_archive_project(feast_registry *reg, const char *name, feast_error *err);
/* Always includes "default". */
FEAST_API feast_code feast_registry_list_projects(feast_registry *reg, bool include_archived, feast_project_list *out,
                                                  feast_error *err);
FEAST_API void feast_project_list_clear(feast_project_list *l);

/* ---- entities and feature tables ---- */

typedef struct feast_entity_list {
  size_t n;
  feast_entity *items; /* in name order; owned; feast_entity_list_clear */
} feast_entity_list;

typedef struct feast_feature_table_list {
  size_t n;
  feast_feature_table *items; /* in name order; owned; feast_feature_table_list_clear */
} feast_feature_table_list;

FEAST_API void feast_entity_clear(feast_entity *e);
FEAST_API void feast_feature_table_clear(feast_feature_table *t);
FEAST_API void feast_entity_list_clear(feast_entity_list *l);
FEAST_API void feast_feature_table_list_clear(feast_feature_table_list *l);

/* `project` NULL means "default". *out (zeroed by the caller or not) is
 * overwritten; the caller owns *out: release it with feast_entity_clear (or
 * feast_feature_table_clear, and the lists' clear functions below).
 * FEAST_E_NOT_FOUND names project and entity when absent. */
FEAST_API feast_code feast_registry_get_entity(feast_registry *reg, const char *project, const char *name,
                                               feast_entity *out, feast_error *err);
/* Entities whose labels contain every key=value of `labels` (NULL or empty:
 * all). A project that does not exist lists nothing. */
FEAST_API feast_code feast_registry_list_entities(feast_registry *reg, const char *project, const feast_map *labels,
                                                  feast_entity_list *out, feast_error *err);
FEAST_API feast_code feast_registry_get_feature_table(feast_registry *reg, const char *project, const char *name,
                                                      feast_feature_table *out, feast_error *err);
FEAST_API feast_code feast_registry_list_feature_tables(feast_registry *reg, const char *project,
                                                        const feast_map *labels, feast_feature_table_list *out,
                                                        feast_error *err);
/* Every entity and feature table of `project` and the registry's revision,
 * read in one transaction: a consistent view (a table never without the
 * entities applied with it). The caller owns *entities and *tables: release
 * them with feast_entity_list_clear and feast_feature_table_list_clear. */
FEAST_API feast_code feast_registry_read_project(feast_registry *reg, const char *project, feast_entity_list *entities,
                                                 feast_feature_table_list *tables, int64_t *revision,
                                                 feast_error *err);
/* FEAST_E_NOT_FOUND when absent. */
FEAST_API feast_code feast_registry_delete_feature_table(feast_registry *reg, const char *project, const char *name,
                                                         feast_error *err);

/* ---- apply ---- */

typedef enum feast_apply_action {
  FEAST_APPLY_CREATED = 1,
  FEAST_APPLY_UPDATED = 2,
  FEAST_APPLY_UNCHANGED = 3
} feast_apply_action;

/* "created", "updated", "unchanged". Static storage. */
FEAST_API const char *feast_apply_action_name(feast_apply_action a);

typedef struct feast_apply_item {
  feast_doc_kind kind;
  char *name;
  feast_apply_action action;
  int64_t revision; /* after the apply */
} feast_apply_item;

typedef struct feast_apply_result {
  size_t n;
  feast_apply_item *items; /* one per document, in document order; owned */
} feast_apply_result;

FEAST_API void feast_apply_result_clear(feast_apply_result *r);

/* Validate then store every document of `docs` into `project` (NULL =
 * "default") in one transaction. *out (may be NULL) receives what happened
 * to each document (overwritten); the caller owns *out: release it with
 * feast_apply_result_clear. On any error
 * nothing is stored. Errors: FEAST_E_VALIDATION (every problem listed, also
 * an entity whose value type would change, a name given twice),
 * FEAST_E_INVALID (archived project, bad project name), FEAST_E_CONFLICT
 * (retriable; after internal retries). */
FEAST_API feast_code feast_registry_apply(feast_registry *reg, const char *project, const feast_spec_docs *docs,
                                          bool skip_source_check, feast_apply_result *out, feast_error *err);

#endif
