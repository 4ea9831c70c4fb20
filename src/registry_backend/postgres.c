/*
 * postgres.c - the registry backend in PostgreSQL through libpq. Tables
 * carry a feast_ prefix so the registry can live in a shared database; the
 * schema is created on first use under an advisory lock so concurrent first
 * connections cannot race. Write transactions take a transaction-scoped
 * advisory lock first, so writers apply one after another and every read
 * inside sees the latest committed registry; reads run in REPEATABLE READ
 * READ ONLY snapshots. Serialization failures, deadlocks and unique
 * violations from a concurrent writer come back as retriable conflicts.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "registry_backend/backend.h"

/* Advisory lock key: "feastreg" in ASCII, any fixed number works. */
#define LOCK_SQL "SELECT pg_advisory_xact_lock(7306916068101252455)"
#define SCHEMA_VERSION "1"

typedef struct pg_store {
  feast_registry_backend base;
  PGconn *conn;
  bool in_tx;
} pg_store;

static const char *table_for(feast_registry_object k) { return k == FEAST_REG_ENTITY ? "feast_entities" : "feast_feature_tables"; }

static void ignore_notice(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

/* One line from libpq's multi-line messages. */
static void first_line(const char *msg, char *buf, size_t size) {
  snprintf(buf, size, "%s", msg ? msg : "");
  buf[strcspn(buf, "\n")] = 0;
}

static feast_code pg_fail(pg_store *s, PGresult *res, const char *what, feast_error *err) {
  char msg[1024];
  first_line(res ? PQresultErrorMessage(res) : PQerrorMessage(s->conn), msg, sizeof msg);
  if (!*msg) first_line(PQerrorMessage(s->conn), msg, sizeof msg);
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  feast_code rc;
  if (PQstatus(s->conn) != CONNECTION_OK)
    rc = feast_fail_retriable(err, FEAST_E_CONNECT, "registry postgresql: %s: connection lost: %s", what, msg);
  else if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03") ||
                     !strcmp(state, "23505")))
    rc = feast_fail_retriable(err, FEAST_E_CONFLICT, "registry postgresql: %s: a concurrent change won (%s); retry",
                              what, msg);
  else
    rc = feast_fail(err, FEAST_E_SERVER, "registry postgresql: %s: %s", what, msg);
  return rc;
}

/* Run a statement; *out gets the result when the caller wants rows. */
static feast_code run(pg_store *s, const char *sql, int nparams, const char *const *values, const int *lengths,
                      const int *formats, PGresult **out, const char *what, feast_error *err) {
  PGresult *res = PQexecParams(s->conn, sql, nparams, NULL, values, lengths, formats, 1);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    feast_code rc = pg_fail(s, res, what, err);
    PQclear(res);
    return rc;
  }
  if (out)
    *out = res;
  else
    PQclear(res);
  return FEAST_OK;
}

static feast_code simple(pg_store *s, const char *sql, const char *what, feast_error *err) {
  return run(s, sql, 0, NULL, NULL, NULL, NULL, what, err);
}

static int64_t be64(const char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | (uint8_t)p[i];
  return (int64_t)v;
}

static void put_be64(char *p, int64_t v) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (char)(v & 0xff);
    v = (int64_t)((uint64_t)v >> 8);
  }
}

static void pg_close(feast_registry_backend *base) {
  pg_store *s = (pg_store *)base;
  if (s->conn) {
    if (s->in_tx) PQclear(PQexec(s->conn, "ROLLBACK"));
    PQfinish(s->conn);
  }
  feast_free(s);
}

static feast_code pg_begin(feast_registry_backend *base, bool write, feast_error *err) {
  pg_store *s = (pg_store *)base;
  feast_code rc = simple(s, write ? "BEGIN ISOLATION LEVEL READ COMMITTED" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                         "begin", err);
  if (rc) return rc;
  s->in_tx = true;
  if (write && (rc = simple(s, LOCK_SQL, "lock registry", err))) {
    PQclear(PQexec(s->conn, "ROLLBACK"));
    s->in_tx = false;
  }
  return rc;
}

static feast_code pg_commit(feast_registry_backend *base, feast_error *err) {
  pg_store *s = (pg_store *)base;
  feast_code rc = simple(s, "COMMIT", "commit", err);
  if (rc) PQclear(PQexec(s->conn, "ROLLBACK"));
  s->in_tx = false;
  return rc;
}

static void pg_rollback(feast_registry_backend *base) {
  pg_store *s = (pg_store *)base;
  if (s->in_tx) PQclear(PQexec(s->conn, "ROLLBACK"));
  s->in_tx = false;
}

static feast_code pg_project_get(feast_registry_backend *base, const char *name, bool *found, bool *archived, feast_error *err) {
  pg_store *s = (pg_store *)base;
  PGresult *res;
  const char *v[1] = {name};
  feast_code rc = run(s, "SELECT archived FROM feast_projects WHERE name = $1", 1, v, NULL, NULL, &res,
                      "read project", err);
  if (rc) return rc;
  *found = PQntuples(res) > 0;
  if (*found) *archived = PQgetlength(res, 0, 0) == 1 && PQgetvalue(res, 0, 0)[0] != 0;
  PQclear(res);
  return FEAST_OK;
}

static feast_code bump_revision(pg_store *s, feast_error *err);

static feast_code pg_project_put(feast_registry_backend *base, const char *name, bool archived, feast_ts now, feast_error *err) {
  pg_store *s = (pg_store *)base;
  char nowbuf[32];
  snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
  const char *v[3] = {name, archived ? "true" : "false", nowbuf};
  feast_code rc = run(s,
                      "INSERT INTO feast_projects(name, archived, created) VALUES($1, $2, $3) "
                      "ON CONFLICT(name) DO UPDATE SET archived = excluded.archived",
                      3, v, NULL, NULL, NULL, "write project", err);
  return rc ? rc : bump_revision(s, err);
}

static feast_code pg_project_list(feast_registry_backend *base, feast_registry_project_fn fn, void *ctx, feast_error *err) {
  pg_store *s = (pg_store *)base;
  PGresult *res;
  feast_code rc = run(s, "SELECT name, archived FROM feast_projects ORDER BY name", 0, NULL, NULL, NULL, &res,
                      "list projects", err);
  if (rc) return rc;
  for (int i = 0; !rc && i < PQntuples(res); i++)
    rc = fn(ctx, PQgetvalue(res, i, 0), PQgetlength(res, i, 1) == 1 && PQgetvalue(res, i, 1)[0] != 0, err);
  PQclear(res);
  return rc;
}

/* Rows of "SELECT name, spec, created, last_updated, revision" in binary. */
static feast_code emit_rows(PGresult *res, feast_registry_record_fn fn, void *ctx, feast_error *err) {
  feast_code rc = FEAST_OK;
  for (int i = 0; !rc && i < PQntuples(res); i++) {
    if (PQgetlength(res, i, 2) != 8 || PQgetlength(res, i, 3) != 8 || PQgetlength(res, i, 4) != 8)
      return feast_fail(err, FEAST_E_CORRUPT, "registry postgresql: unexpected column layout");
    feast_registry_record row = {PQgetvalue(res, i, 0), (const uint8_t *)PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1),
                     be64(PQgetvalue(res, i, 2)), be64(PQgetvalue(res, i, 3)), be64(PQgetvalue(res, i, 4))};
    rc = fn(ctx, &row, err);
  }
  return rc;
}

static feast_code pg_object_get(feast_registry_backend *base, feast_registry_object kind, const char *project, const char *name,
                                feast_registry_record_fn fn, void *ctx, bool *found, feast_error *err) {
  pg_store *s = (pg_store *)base;
  char sql[200];
  snprintf(sql, sizeof sql,
           "SELECT name, spec, created, last_updated, revision FROM %s WHERE project = $1 AND name = $2",
           table_for(kind));
  const char *v[2] = {project, name};
  PGresult *res;
  feast_code rc = run(s, sql, 2, v, NULL, NULL, &res, "read", err);
  if (rc) return rc;
  *found = PQntuples(res) > 0;
  rc = emit_rows(res, fn, ctx, err);
  PQclear(res);
  return rc;
}

/* Every write raises the revision in its own transaction (which holds the
 * registry's advisory lock). */
static feast_code bump_revision(pg_store *s, feast_error *err) {
  return simple(s,
                "INSERT INTO feast_meta(key, value) VALUES('revision', '1') ON CONFLICT(key) DO UPDATE SET "
                "value = (feast_meta.value::bigint + 1)::text",
                "raise the revision", err);
}

static feast_code pg_revision(feast_registry_backend *base, int64_t *out, feast_error *err) {
  pg_store *s = (pg_store *)base;
  PGresult *res;
  feast_code rc = run(s, "SELECT value FROM feast_meta WHERE key = 'revision'", 0, NULL, NULL, NULL, &res,
                      "read the revision", err);
  if (rc) return rc;
  /* results come back in binary: the TEXT value is its bytes */
  *out = 0;
  if (PQntuples(res) > 0) {
    char buf[32];
    int n = PQgetlength(res, 0, 0);
    snprintf(buf, sizeof buf, "%.*s", n < 31 ? n : 31, PQgetvalue(res, 0, 0));
    *out = strtoll(buf, NULL, 10);
  }
  PQclear(res);
  return FEAST_OK;
}

static feast_code pg_object_put(feast_registry_backend *base, feast_registry_object kind, const char *project, const feast_registry_record *row,
                                feast_error *err) {
  pg_store *s = (pg_store *)base;
  char sql[400];
  snprintf(sql, sizeof sql,
           "INSERT INTO %s(project, name, spec, created, last_updated, revision) VALUES($1, $2, $3, $4, $5, $6) "
           "ON CONFLICT(project, name) DO UPDATE SET spec = excluded.spec, created = excluded.created, "
           "last_updated = excluded.last_updated, revision = excluded.revision",
           table_for(kind));
  char created[8], updated[8], revision[8];
  put_be64(created, row->created);
  put_be64(updated, row->last_updated);
  put_be64(revision, row->revision);
  const char *v[6] = {project, row->name, (const char *)row->spec, created, updated, revision};
  const int lengths[6] = {0, 0, (int)row->spec_len, 8, 8, 8};
  const int formats[6] = {0, 0, 1, 1, 1, 1};
  feast_code rc = run(s, sql, 6, v, lengths, formats, NULL, "write", err);
  return rc ? rc : bump_revision(s, err);
}

static feast_code pg_object_delete(feast_registry_backend *base, feast_registry_object kind, const char *project, const char *name,
                                   bool *found, feast_error *err) {
  pg_store *s = (pg_store *)base;
  char sql[200];
  snprintf(sql, sizeof sql, "DELETE FROM %s WHERE project = $1 AND name = $2", table_for(kind));
  const char *v[2] = {project, name};
  PGresult *res;
  feast_code rc = run(s, sql, 2, v, NULL, NULL, &res, "delete", err);
  if (rc) return rc;
  *found = atoi(PQcmdTuples(res)) > 0;
  PQclear(res);
  return *found ? bump_revision(s, err) : FEAST_OK;
}

static feast_code pg_object_list(feast_registry_backend *base, feast_registry_object kind, const char *project, feast_registry_record_fn fn, void *ctx,
                                 feast_error *err) {
  pg_store *s = (pg_store *)base;
  char sql[200];
  snprintf(sql, sizeof sql,
           "SELECT name, spec, created, last_updated, revision FROM %s WHERE project = $1 ORDER BY name",
           table_for(kind));
  const char *v[1] = {project};
  PGresult *res;
  feast_code rc = run(s, sql, 1, v, NULL, NULL, &res, "list", err);
  if (rc) return rc;
  rc = emit_rows(res, fn, ctx, err);
  PQclear(res);
  return rc;
}

static const feast_registry_backend_ops pg_ops = {"postgresql", pg_close, pg_begin, pg_commit, pg_rollback,
    pg_project_get, pg_project_put, pg_project_list, pg_object_get,
    pg_object_put, pg_object_delete, pg_revision, pg_object_list};

static const char *SCHEMA[] = {
    "CREATE TABLE IF NOT EXISTS feast_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS feast_projects(name TEXT PRIMARY KEY, archived BOOLEAN NOT NULL DEFAULT false,"
    " created BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS feast_entities(project TEXT NOT NULL, name TEXT NOT NULL, spec BYTEA NOT NULL,"
    " created BIGINT NOT NULL, last_updated BIGINT NOT NULL, revision BIGINT NOT NULL, PRIMARY KEY(project, name))",
    "CREATE TABLE IF NOT EXISTS feast_feature_tables(project TEXT NOT NULL, name TEXT NOT NULL, spec BYTEA NOT NULL,"
    " created BIGINT NOT NULL, last_updated BIGINT NOT NULL, revision BIGINT NOT NULL, PRIMARY KEY(project, name))",
    "INSERT INTO feast_meta(key, value) VALUES('schema_version', '" SCHEMA_VERSION "') ON CONFLICT DO NOTHING",
    NULL};

static feast_code create_schema(pg_store *s, feast_error *err) {
  feast_code rc = pg_begin(&s->base, true, err);
  for (int i = 0; !rc && SCHEMA[i]; i++) rc = simple(s, SCHEMA[i], "create schema", err);
  if (!rc) {
    PGresult *res;
    rc = run(s, "SELECT value FROM feast_meta WHERE key = 'schema_version'", 0, NULL, NULL, NULL, &res,
             "read schema version", err);
    if (!rc) {
      if (PQntuples(res) > 0 && strcmp(PQgetvalue(res, 0, 0), SCHEMA_VERSION) != 0)
        rc = feast_fail(err, FEAST_E_UNSUPPORTED,
                        "registry postgresql: schema version %s is newer than this feast supports (%s)",
                        PQgetvalue(res, 0, 0), SCHEMA_VERSION);
      PQclear(res);
    }
  }
  if (rc) {
    pg_rollback(&s->base);
    return rc;
  }
  return pg_commit(&s->base, err);
}

feast_code feast_registry_postgres_open(const char *url, feast_registry_backend **out, feast_error *err) {
  *out = NULL;
  pg_store *s = feast_calloc(1, sizeof *s);
  if (!s) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  s->base.ops = &pg_ops;
  s->conn = PQconnectdb(url);
  feast_code rc = FEAST_OK;
  if (!s->conn) {
    rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  } else if (PQstatus(s->conn) != CONNECTION_OK) {
    char msg[1024];
    first_line(PQerrorMessage(s->conn), msg, sizeof msg);
    /* The URL may hold a password, so it is not echoed. */
    rc = feast_fail_retriable(err, FEAST_E_CONNECT, "registry postgresql: cannot connect: %s", msg);
  } else {
    PQsetNoticeProcessor(s->conn, ignore_notice, NULL);
    for (int attempt = 0; attempt < 5; attempt++) {
      rc = create_schema(s, err);
      if (rc != FEAST_E_CONFLICT) break;
    }
  }
  if (rc) {
    pg_close(&s->base);
    return rc;
  }
  *out = &s->base;
  return FEAST_OK;
}
