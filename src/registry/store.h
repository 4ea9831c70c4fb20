/*
 * store.h - the registry's storage backends (SQLite, PostgreSQL) behind one
 * small table of functions (curl's vtls habit). A store keeps projects and,
 * per project, entities and feature tables as opaque serialized specs plus
 * their metadata; it knows nothing about what a spec means. Every call runs
 * inside a transaction the engine opened with begin().
 *
 * Conflicts with another writer (SQLite busy past the timeout, PostgreSQL
 * serialization failures) come back as FEAST_E_CONFLICT marked retriable;
 * the engine retries the whole transaction.
 */
#ifndef FEAST_REGISTRY_STORE_H
#define FEAST_REGISTRY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feast/error.h"
#include "feast/time.h"

typedef enum store_kind { STORE_ENTITY = 1, STORE_TABLE = 2 } store_kind;

/* One stored object. In results, `spec` is owned by the store and valid
 * only during the callback that receives it. */
typedef struct store_row {
  const char *name;
  const uint8_t *spec;
  size_t spec_len;
  feast_ts created;
  feast_ts last_updated;
  int64_t revision;
} store_row;

/* Return non-OK to stop the iteration; that code is returned by the caller. */
typedef feast_code (*store_row_fn)(void *ctx, const store_row *row, feast_error *err);
typedef feast_code (*store_project_fn)(void *ctx, const char *name, bool archived, feast_error *err);

typedef struct feast_store feast_store;

typedef struct store_ops {
  const char *name; /* "sqlite", "postgresql" */
  void (*close)(feast_store *s);
  /* write: take the writer lock up front (BEGIN IMMEDIATE / advisory lock). */
  feast_code (*begin)(feast_store *s, bool write, feast_error *err);
  feast_code (*commit)(feast_store *s, feast_error *err);
  void (*rollback)(feast_store *s);

  /* *found = false when absent (not an error). */
  feast_code (*project_get)(feast_store *s, const char *name, bool *found, bool *archived, feast_error *err);
  /* Insert or update. */
  feast_code (*project_put)(feast_store *s, const char *name, bool archived, feast_ts now, feast_error *err);
  /* In name order. */
  feast_code (*project_list)(feast_store *s, store_project_fn fn, void *ctx, feast_error *err);

  feast_code (*object_get)(feast_store *s, store_kind kind, const char *project, const char *name, store_row_fn fn,
                           void *ctx, bool *found, feast_error *err);
  /* Insert or replace (project, row->name). */
  feast_code (*object_put)(feast_store *s, store_kind kind, const char *project, const store_row *row,
                           feast_error *err);
  feast_code (*object_delete)(feast_store *s, store_kind kind, const char *project, const char *name, bool *found,
                              feast_error *err);
  /* In name order. */
  feast_code (*object_list)(feast_store *s, store_kind kind, const char *project, store_row_fn fn, void *ctx,
                            feast_error *err);
} store_ops;

struct feast_store {
  const store_ops *ops;
};

/* Open (creating the file/schema on first use). `path` is a filesystem path. */
feast_code feast_store_sqlite_open(const char *path, feast_store **out, feast_error *err);
/* `url` is a libpq connection URI (postgresql://...). */
feast_code feast_store_postgres_open(const char *url, feast_store **out, feast_error *err);

#endif
