/*
 * backend.h - the registry backends: the registry's storage (SQLite, PostgreSQL) behind one
 * small table of functions (curl's vtls habit). A backend keeps projects and,
 * per project, entities and feature tables as opaque serialized specs plus
 * their metadata; it knows nothing about what a spec means. Every call runs
 * inside a transaction the engine opened with begin().
 *
 * Conflicts with another writer (SQLite busy past the timeout, PostgreSQL
 * serialization failures) come back as FEAST_E_CONFLICT marked retriable;
 * the engine retries the whole transaction.
 */
#ifndef FEAST_REGISTRY_BACKEND_H
#define FEAST_REGISTRY_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feast/error.h"
#include "feast/time.h"

typedef enum feast_registry_object { FEAST_REG_ENTITY = 1, FEAST_REG_TABLE = 2 } feast_registry_object;

/* One stored object. In results, `spec` is owned by the backend and valid
 * only during the callback that receives it. */
typedef struct feast_registry_record {
  const char *name;
  const uint8_t *spec;
  size_t spec_len;
  feast_ts created;
  feast_ts last_updated;
  int64_t revision;
} feast_registry_record;

/* Return non-OK to stop the iteration; that code is returned by the caller. */
typedef feast_code (*feast_registry_record_fn)(void *ctx, const feast_registry_record *row, feast_error *err);
typedef feast_code (*feast_registry_project_fn)(void *ctx, const char *name, bool archived, feast_error *err);

typedef struct feast_registry_backend feast_registry_backend;

typedef struct feast_registry_backend_ops {
  const char *name; /* "sqlite", "postgresql" */
  void (*close)(feast_registry_backend *s);
  /* write: take the writer lock up front (BEGIN IMMEDIATE / advisory lock). */
  feast_code (*begin)(feast_registry_backend *s, bool write, feast_error *err);
  feast_code (*commit)(feast_registry_backend *s, feast_error *err);
  void (*rollback)(feast_registry_backend *s);

  /* *found = false when absent (not an error). */
  feast_code (*project_get)(feast_registry_backend *s, const char *name, bool *found, bool *archived, feast_error *err);
  /* Insert or update. */
  feast_code (*project_put)(feast_registry_backend *s, const char *name, bool archived, feast_ts now, feast_error *err);
  /* In name order. */
  feast_code (*project_list)(feast_registry_backend *s, feast_registry_project_fn fn, void *ctx, feast_error *err);

  feast_code (*object_get)(feast_registry_backend *s, feast_registry_object kind, const char *project, const char *name, feast_registry_record_fn fn,
                           void *ctx, bool *found, feast_error *err);
  /* Insert or replace (project, row->name). */
  feast_code (*object_put)(feast_registry_backend *s, feast_registry_object kind, const char *project, const feast_registry_record *row,
                           feast_error *err);
  feast_code (*object_delete)(feast_registry_backend *s, feast_registry_object kind, const char *project, const char *name, bool *found,
                              feast_error *err);
  /* The registry's revision: a number that every committed change to a
   * project, entity or table raises (puts and deletes raise it themselves).
   * Cheap, so that a long-lived reader can poll it. Inside a transaction or
   * on its own. */
  feast_code (*revision)(feast_registry_backend *s, int64_t *out, feast_error *err);
  /* In name order. */
  feast_code (*object_list)(feast_registry_backend *s, feast_registry_object kind, const char *project, feast_registry_record_fn fn, void *ctx,
                            feast_error *err);
} feast_registry_backend_ops;

struct feast_registry_backend {
  const feast_registry_backend_ops *ops;
};

/* Open (creating the file/schema on first use). `path` is a filesystem path. */
feast_code feast_registry_sqlite_open(const char *path, feast_registry_backend **out, feast_error *err);
/* `url` is a libpq connection URI (postgresql://...). */
feast_code feast_registry_postgres_open(const char *url, feast_registry_backend **out, feast_error *err);

#endif
