/*
 * sqlite.c - the registry backend in one SQLite file. WAL mode lets
 * readers run beside a writer; writers open with BEGIN IMMEDIATE so two
 * processes applying at once queue on the write lock (waiting up to the busy
 * timeout) instead of failing half-way through; a wait that runs out is a
 * retriable FEAST_E_CONFLICT. The schema is created on first use inside a
 * write transaction, so concurrent first opens are safe too.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "registry_backend/backend.h"

#define SCHEMA_VERSION "1"
#define BUSY_TIMEOUT_MS 15000

typedef struct sqlite_store {
  feast_registry_backend base;
  sqlite3 *db;
  char *path;
  bool in_tx;
  bool read_only; /* opened where it cannot be written: reads only */
} sqlite_store;

static const char *table_for(feast_registry_object k) { return k == FEAST_REG_ENTITY ? "entities" : "feature_tables"; }

/* Map SQLite's result codes onto libfeast's and name the file. */
static feast_code sq_fail(sqlite_store *s, int rc, const char *what, feast_error *err) {
  const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return feast_fail_retriable(err, FEAST_E_CONFLICT, "registry %s: %s: another process holds the registry (%s); retry",
                                  s->path, what, msg);
    case SQLITE_NOMEM:
      return feast_fail(err, FEAST_E_NOMEM, "registry %s: out of memory", s->path);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return feast_fail(err, FEAST_E_CORRUPT, "registry %s: not a valid registry database: %s", s->path, msg);
    default:
      return feast_fail(err, FEAST_E_IO, "registry %s: %s: %s", s->path, what, msg);
  }
}

static feast_code exec(sqlite_store *s, const char *sql, const char *what, feast_error *err) {
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? FEAST_OK : sq_fail(s, rc, what, err);
}

static feast_code prepare(sqlite_store *s, const char *sql, sqlite3_stmt **st, feast_error *err) {
  int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
  return rc == SQLITE_OK ? FEAST_OK : sq_fail(s, rc, "prepare", err);
}

static void sq_close(feast_registry_backend *base) {
  sqlite_store *s = (sqlite_store *)base;
  if (s->in_tx) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(s->db);
  feast_free(s->path);
  feast_free(s);
}

static feast_code sq_begin(feast_registry_backend *base, bool write, feast_error *err) {
  sqlite_store *s = (sqlite_store *)base;
  if (write && s->read_only)
    return feast_fail(err, FEAST_E_IO,
                      "registry %s cannot be written (a read-only file, folder or mount, or a full disk); "
                      "reading works, changes do not",
                      s->path);
  feast_code rc = exec(s, write ? "BEGIN IMMEDIATE" : "BEGIN", "begin", err);
  if (!rc) s->in_tx = true;
  return rc;
}

static feast_code sq_commit(feast_registry_backend *base, feast_error *err) {
  sqlite_store *s = (sqlite_store *)base;
  feast_code rc = exec(s, "COMMIT", "commit", err);
  if (rc) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  s->in_tx = false;
  return rc;
}

static void sq_rollback(feast_registry_backend *base) {
  sqlite_store *s = (sqlite_store *)base;
  if (s->in_tx) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  s->in_tx = false;
}

/* Every write raises the revision in its own transaction. */
static feast_code bump_revision(sqlite_store *s, feast_error *err) {
  return exec(s,
              "INSERT INTO feast_meta(key, value) VALUES('revision', '1') ON CONFLICT(key) DO UPDATE SET "
              "value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
              "raise the revision", err);
}

static feast_code sq_revision(feast_registry_backend *base, int64_t *out, feast_error *err) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  feast_code rc = prepare(s, "SELECT CAST(value AS INTEGER) FROM feast_meta WHERE key = 'revision'", &st, err);
  if (rc) return rc;
  int r = sqlite3_step(st);
  *out = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  if (r != SQLITE_ROW && r != SQLITE_DONE) rc = sq_fail(s, r, "read the revision", err);
  sqlite3_finalize(st);
  return rc;
}

static feast_code sq_project_get(feast_registry_backend *base, const char *name, bool *found, bool *archived, feast_error *err) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  feast_code rc = prepare(s, "SELECT archived FROM projects WHERE name = ?1", &st, err);
  if (rc) return rc;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int r = sqlite3_step(st);
  *found = r == SQLITE_ROW;
  if (*found) *archived = sqlite3_column_int(st, 0) != 0;
  if (r != SQLITE_ROW && r != SQLITE_DONE) rc = sq_fail(s, r, "read project", err);
  sqlite3_finalize(st);
  return rc;
}

static feast_code sq_project_put(feast_registry_backend *base, const char *name, bool archived, feast_ts now, feast_error *err) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  feast_code rc = prepare(s,
                          "INSERT INTO projects(name, archived, created) VALUES(?1, ?2, ?3) "
                          "ON CONFLICT(name) DO UPDATE SET archived = excluded.archived",
                          &st, err);
  if (rc) return rc;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, archived ? 1 : 0);
  sqlite3_bind_int64(st, 3, now);
  int r = sqlite3_step(st);
  if (r != SQLITE_DONE) rc = sq_fail(s, r, "write project", err);
  sqlite3_finalize(st);
  return rc ? rc : bump_revision(s, err);
}

static feast_code sq_project_list(feast_registry_backend *base, feast_registry_project_fn fn, void *ctx, feast_error *err) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  feast_code rc = prepare(s, "SELECT name, archived FROM projects ORDER BY name", &st, err);
  if (rc) return rc;
  int r = SQLITE_DONE;
  while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW)
    rc = fn(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1) != 0, err);
  if (!rc && r != SQLITE_DONE) rc = sq_fail(s, r, "list projects", err);
  sqlite3_finalize(st);
  return rc;
}

/* Hand the current row of a "SELECT name, spec, created, last_updated,
 * revision" statement to fn. */
static feast_code emit_row(sqlite3_stmt *st, feast_registry_record_fn fn, void *ctx, feast_error *err) {
  feast_registry_record row = {(const char *)sqlite3_column_text(st, 0), sqlite3_column_blob(st, 1),
                   (size_t)sqlite3_column_bytes(st, 1), sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
                   sqlite3_column_int64(st, 4)};
  if (!row.name) return feast_fail(err, FEAST_E_CORRUPT, "registry: object without a name");
  return fn(ctx, &row, err);
}

/* Prepare `fmt` (its %s is the kind's table) with ?1 = project and, when
 * given, ?2 = name bound. */
static feast_code prepare_object(sqlite_store *s, const char *fmt, feast_registry_object kind, const char *project,
                                 const char *name, sqlite3_stmt **st, feast_error *err) {
  char sql[300];
  snprintf(sql, sizeof sql, fmt, table_for(kind));
  feast_code rc = prepare(s, sql, st, err);
  if (rc) return rc;
  sqlite3_bind_text(*st, 1, project, -1, SQLITE_STATIC);
  if (name) sqlite3_bind_text(*st, 2, name, -1, SQLITE_STATIC);
  return FEAST_OK;
}

static feast_code sq_object_get(feast_registry_backend *base, feast_registry_object kind, const char *project, const char *name,
                                feast_registry_record_fn fn, void *ctx, bool *found, feast_error *err) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  feast_code rc = prepare_object(
      s, "SELECT name, spec, created, last_updated, revision FROM %s WHERE project = ?1 AND name = ?2", kind, project,
      name, &st, err);
  if (rc) return rc;
  int r = sqlite3_step(st);
  *found = r == SQLITE_ROW;
  if (r == SQLITE_ROW)
    rc = emit_row(st, fn, ctx, err);
  else if (r != SQLITE_DONE)
    rc = sq_fail(s, r, "read", err);
  sqlite3_finalize(st);
  return rc;
}

static feast_code sq_object_put(feast_registry_backend *base, feast_registry_object kind, const char *project, const feast_registry_record *row,
                                feast_error *err) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  feast_code rc = prepare_object(s,
                                 "INSERT OR REPLACE INTO %s(project, name, spec, created, last_updated, revision) "
                                 "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                                 kind, project, row->name, &st, err);
  if (rc) return rc;
  sqlite3_bind_blob(st, 3, row->spec, (int)row->spec_len, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, row->created);
  sqlite3_bind_int64(st, 5, row->last_updated);
  sqlite3_bind_int64(st, 6, row->revision);
  int r = sqlite3_step(st);
  if (r != SQLITE_DONE) rc = sq_fail(s, r, "write", err);
  sqlite3_finalize(st);
  return rc ? rc : bump_revision(s, err);
}

static feast_code sq_object_delete(feast_registry_backend *base, feast_registry_object kind, const char *project, const char *name,
                                   bool *found, feast_error *err) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  feast_code rc = prepare_object(s, "DELETE FROM %s WHERE project = ?1 AND name = ?2", kind, project, name, &st, err);
  if (rc) return rc;
  int r = sqlite3_step(st);
  if (r != SQLITE_DONE)
    rc = sq_fail(s, r, "delete", err);
  else
    *found = sqlite3_changes(s->db) > 0;
  sqlite3_finalize(st);
  return rc || !*found ? rc : bump_revision(s, err);
}

static feast_code sq_object_list(feast_registry_backend *base, feast_registry_object kind, const char *project, feast_registry_record_fn fn, void *ctx,
                                 feast_error *err) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st;
  feast_code rc = prepare_object(
      s, "SELECT name, spec, created, last_updated, revision FROM %s WHERE project = ?1 ORDER BY name", kind, project,
      NULL, &st, err);
  if (rc) return rc;
  int r = SQLITE_DONE;
  while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) rc = emit_row(st, fn, ctx, err);
  if (!rc && r != SQLITE_DONE) rc = sq_fail(s, r, "list", err);
  sqlite3_finalize(st);
  return rc;
}

static const feast_registry_backend_ops sqlite_ops = {"sqlite", sq_close, sq_begin, sq_commit, sq_rollback,
    sq_project_get, sq_project_put, sq_project_list, sq_object_get,
    sq_object_put, sq_object_delete, sq_revision, sq_object_list};

static const char *SCHEMA =
    "CREATE TABLE IF NOT EXISTS feast_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS projects(name TEXT PRIMARY KEY, archived INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS entities(project TEXT NOT NULL, name TEXT NOT NULL, spec BLOB NOT NULL,"
    " created INTEGER NOT NULL, last_updated INTEGER NOT NULL, revision INTEGER NOT NULL,"
    " PRIMARY KEY(project, name));"
    "CREATE TABLE IF NOT EXISTS feature_tables(project TEXT NOT NULL, name TEXT NOT NULL, spec BLOB NOT NULL,"
    " created INTEGER NOT NULL, last_updated INTEGER NOT NULL, revision INTEGER NOT NULL,"
    " PRIMARY KEY(project, name));"
    "INSERT OR IGNORE INTO feast_meta(key, value) VALUES('schema_version', '" SCHEMA_VERSION "');";

static feast_code check_version(sqlite_store *s, feast_error *err) {
  sqlite3_stmt *st;
  feast_code rc = prepare(s, "SELECT value FROM feast_meta WHERE key = 'schema_version'", &st, err);
  if (rc) return rc;
  if (sqlite3_step(st) == SQLITE_ROW) {
    const char *v = (const char *)sqlite3_column_text(st, 0);
    if (!v || strcmp(v, SCHEMA_VERSION) != 0)
      rc = feast_fail(err, FEAST_E_UNSUPPORTED, "registry %s: schema version %s is newer than this feast supports (%s)",
                      s->path, v ? v : "?", SCHEMA_VERSION);
  }
  sqlite3_finalize(st);
  return rc;
}

/* journal_mode is persistent in the file, so it is set once, by whoever
 * finds it unset; switching needs a moment alone, and two processes
 * opening a new registry at once can both ask: the loser retries. */
static feast_code enable_wal(sqlite_store *s, feast_error *err) {
  for (int attempt = 0;; attempt++) {
    sqlite3_stmt *st;
    feast_code rc = prepare(s, "PRAGMA journal_mode", &st, err);
    if (rc) return rc;
    bool wal = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
               strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    if (wal) return FEAST_OK;
    rc = exec(s, "PRAGMA journal_mode=WAL", "enable WAL", err);
    if (!rc || !(rc == FEAST_E_CONFLICT && attempt < 50)) return rc;
    sqlite3_sleep(20 + attempt * 5);
  }
}

static feast_code setup_writable(sqlite_store *s, feast_error *err) {
  feast_code rc;
  if ((rc = enable_wal(s, err))) return rc;
  if ((rc = exec(s, "PRAGMA synchronous=FULL", "set synchronous", err))) return rc;
  if ((rc = sq_begin(&s->base, true, err))) return rc;
  if ((rc = exec(s, SCHEMA, "create schema", err)) || (rc = check_version(s, err))) {
    sq_rollback(&s->base);
    return rc;
  }
  return sq_commit(&s->base, err);
}

static feast_code check_read(sqlite_store *s, feast_error *err) {
  feast_code rc = sq_begin(&s->base, false, err);
  if (!rc && (rc = check_version(s, err))) sq_rollback(&s->base);
  if (!rc) rc = sq_commit(&s->base, err);
  return rc;
}

/* A WAL registry in a folder we cannot write has no -shm file to share,
 * and SQLite will not read it then unless told the file is immutable. */
static int reopen_immutable(sqlite_store *s) {
  feast_buf uri;
  feast_buf_init(&uri, 1 << 16);
  feast_error e;
  feast_code rc = feast_buf_append(&uri, "file:", 5, &e);
  for (const char *p = s->path; *p && !rc; p++) {
    char esc[4];
    snprintf(esc, sizeof esc, "%%%02X", (unsigned char)*p);
    rc = *p == '%' || *p == '?' || *p == '#' ? feast_buf_append(&uri, esc, 3, &e) : feast_buf_append(&uri, p, 1, &e);
  }
  if (!rc) rc = feast_buf_append(&uri, "?immutable=1", 13, &e); /* with the NUL */
  int r = SQLITE_NOMEM;
  if (!rc) {
    sqlite3_close(s->db);
    s->db = NULL;
    r = sqlite3_open_v2((const char *)uri.data, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                        NULL);
  }
  feast_buf_free(&uri);
  return r;
}

/* A registry that cannot be written (a read-only file, folder or mount, a
 * full disk) still serves every read: the schema is only checked, and a
 * write fails when it is tried, saying why (issue 15 #8). */
static feast_code setup(sqlite_store *s, feast_error *err) {
  sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
  feast_error werr;
  feast_error_clear(&werr);
  if (sqlite3_db_readonly(s->db, "main") != 1) {
    feast_code rc = setup_writable(s, &werr);
    if (!rc) return FEAST_OK;
    int ec = sqlite3_extended_errcode(s->db) & 0xff;
    if (ec != SQLITE_READONLY && ec != SQLITE_FULL && ec != SQLITE_CANTOPEN && ec != SQLITE_IOERR &&
        ec != SQLITE_PERM) {
      *err = werr;
      return rc;
    }
  }
  s->read_only = true;
  feast_code rc = check_read(s, err);
  if (rc && reopen_immutable(s) == SQLITE_OK) rc = check_read(s, err);
  if (rc && werr.message[0]) *err = werr; /* the first cause says more */
  return rc;
}

feast_code feast_registry_sqlite_open(const char *path, feast_registry_backend **out, feast_error *err) {
  *out = NULL;
  sqlite_store *s = feast_calloc(1, sizeof *s);
  if (!s || !(s->path = feast_strdup(path))) {
    feast_free(s);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  s->base.ops = &sqlite_ops;
  int r = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  feast_code rc = r == SQLITE_OK ? setup(s, err) : FEAST_OK;
  if (r != SQLITE_OK) {
    rc = feast_fail(err, r == SQLITE_NOMEM ? FEAST_E_NOMEM : FEAST_E_IO, "registry %s: cannot open: %s", path,
                    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(r));
  }
  if (rc) {
    sq_close(&s->base);
    return rc;
  }
  *out = &s->base;
  return FEAST_OK;
}
