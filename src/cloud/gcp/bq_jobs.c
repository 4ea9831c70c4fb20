/*
 * bq_jobs.c - query and load jobs (bq_api.h). A job gets a client-chosen
 * id, so a jobs.insert whose answer was lost can be retried safely (the
 * retry's "duplicate" means the job exists: poll it). Completion is awaited
 * through getQueryResults' long poll (queries) or jobs.get (loads); the
 * final jobs.get gives the statistics (bytes processed and billed) and the
 * error result, whose reason and message become the failure.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "cloud/gcp/bq_api.h"
#include "cloud/gcp/bq_rest.h"
#include "format/json/json_writer.h"

#define POLL_TIMEOUT_MS 10000

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void feast_bq_job_id(const char *what, char *out, size_t cap) {
  static atomic_uint counter;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  unsigned r = atomic_fetch_add(&counter, 1) * 2654435761u ^ (unsigned)ts.tv_nsec ^ (unsigned)getpid() << 16;
  snprintf(out, cap, "feast_%s_%lld_%08x", what ? what : "job", (long long)ts.tv_sec, r);
}

void feast_bq_job_clear(feast_bq_job *j) {
  feast_bq_table_free(&j->schema);
  memset(j, 0, sizeof *j);
}

static int64_t int_of(const feast_json_value *v, int64_t fallback) {
  int64_t x;
  if (v && (v->kind == FEAST_JSON_STRING || v->kind == FEAST_JSON_NUMBER) && feast_json_number_int64(v->str, v->len, &x))
    return x;
  return fallback;
}

static void copy_str(char *dst, size_t cap, const feast_json_value *v) {
  const char *s = feast_json_string_of(v);
  if (s) snprintf(dst, cap, "%.*s", (int)v->len, s);
}

static void write_ref(feast_json_writer *w, const feast_bq_ref *r) {
  feast_jw_object(w);
  feast_jw_key(w, "projectId");
  feast_jw_string(w, r->project);
  feast_jw_key(w, "datasetId");
  feast_jw_string(w, r->dataset);
  feast_jw_key(w, "tableId");
  feast_jw_string(w, r->table);
  feast_jw_object_end(w);
}

static void write_job_ref(feast_json_writer *w, const feast_bq_job *j) {
  feast_jw_key(w, "jobReference");
  feast_jw_object(w);
  feast_jw_key(w, "projectId");
  feast_jw_string(w, j->project);
  feast_jw_key(w, "jobId");
  feast_jw_string(w, j->job_id);
  if (j->location[0]) {
    feast_jw_key(w, "location");
    feast_jw_string(w, j->location);
  }
  feast_jw_object_end(w);
}

/* The job's facts from a job resource: state, error, statistics, destination. */
static feast_code read_job(const feast_json_value *job, const char *what, feast_bq_job *out, bool *done,
                           feast_error *err) {
  const feast_json_value *status = feast_json_get(job, "status");
  const char *state = feast_json_string_of(feast_json_get(status, "state"));
  *done = state && strcmp(state, "DONE") == 0;
  const feast_json_value *er = feast_json_get(status, "errorResult");
  if (er) {
    feast_code rc = feast_bq_error(what, 0, er, NULL, err);
    /* The first of status.errors often says more than errorResult. */
    const feast_json_value *errs = feast_json_get(status, "errors");
    for (size_t i = 0; errs && errs->kind == FEAST_JSON_ARRAY && i < errs->len && i < 4; i++) {
      const char *m = feast_json_string_of(feast_json_get(&errs->items[i], "message"));
      const char *em = feast_json_string_of(feast_json_get(er, "message"));
      if (m && (!em || strcmp(m, em) != 0)) feast_error_append(err, "  %s", m);
    }
    if (rc == FEAST_E_SERVER) {
      const char *reason = feast_json_string_of(feast_json_get(er, "reason"));
      if (reason && strcmp(reason, "bytesBilledLimitExceeded") == 0) err->code = rc = FEAST_E_TOO_BIG;
    }
    return rc;
  }
  const feast_json_value *loc = feast_json_get(feast_json_get(job, "jobReference"), "location");
  if (loc) copy_str(out->location, sizeof out->location, loc);
  const feast_json_value *stats = feast_json_get(job, "statistics");
  const feast_json_value *qstats = feast_json_get(stats, "query");
  out->bytes_processed = int_of(feast_json_get(stats, "totalBytesProcessed"), out->bytes_processed);
  out->bytes_processed = int_of(feast_json_get(qstats, "totalBytesProcessed"), out->bytes_processed);
  out->bytes_billed = int_of(feast_json_get(qstats, "totalBytesBilled"), out->bytes_billed);
  const feast_json_value *schema = feast_json_get(qstats, "schema");
  if (schema && !out->has_schema) {
    feast_code rc = feast_bq_table_from_json(schema, true, what, &out->schema, err);
    if (rc) return rc;
    out->has_schema = true;
  }
  const feast_json_value *conf = feast_json_get(job, "configuration");
  const feast_json_value *dest = feast_json_get(feast_json_get(conf, "query"), "destinationTable");
  if (!dest) dest = feast_json_get(feast_json_get(conf, "load"), "destinationTable");
  if (dest) {
    copy_str(out->destination.project, sizeof out->destination.project, feast_json_get(dest, "projectId"));
    copy_str(out->destination.dataset, sizeof out->destination.dataset, feast_json_get(dest, "datasetId"));
    copy_str(out->destination.table, sizeof out->destination.table, feast_json_get(dest, "tableId"));
  }
  return FEAST_OK;
}

feast_code feast_bq_job_parse(const char *body, size_t len, const char *what, feast_bq_job *out, bool *done,
                              feast_error *err) {
  memset(out, 0, sizeof *out);
  out->rows = -1;
  *done = false;
  feast_arena *arena = feast_arena_new(0);
  if (!arena) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_json_limits lim = {64, 16 << 20, 0};
  const feast_json_value *doc = NULL;
  feast_code rc = feast_json_parse(body, len, what, &lim, arena, &doc, err);
  if (!rc) rc = read_job(doc, what, out, done, err);
  feast_arena_free(arena);
  return rc;
}

static feast_code job_path(const feast_bq_job *j, const char *collection, feast_buf *path, feast_buf *query,
                           feast_error *err) {
  feast_buf_reset(path);
  feast_buf_reset(query);
  feast_code rc = feast_buf_append_str(path, "/projects/", err);
  if (!rc) rc = feast_bq_path_escape(path, j->project, err);
  if (!rc) rc = feast_buf_printf(path, err, "/%s/", collection);
  if (!rc) rc = feast_bq_path_escape(path, j->job_id, err);
  if (!rc && j->location[0]) rc = feast_buf_append_str(query, "location=", err);
  if (!rc && j->location[0]) rc = feast_bq_path_escape(query, j->location, err);
  if (!rc && !feast_buf_cstr(path, err)) rc = err->code;
  if (!rc && !feast_buf_cstr(query, err)) rc = err->code;
  return rc;
}

/* jobs.get until DONE (loads), or getQueryResults' long poll (queries);
 * then the job's statistics and, for queries, the result's schema. */
static feast_code wait_job(feast_bq *c, bool is_query, const char *what, const feast_bq_job_options *o,
                           feast_bq_job *j, double t0, feast_error *err) {
  feast_buf path, query;
  feast_buf_init(&path, 8192);
  feast_buf_init(&query, 8192);
  feast_arena *a = feast_arena_new(0);
  feast_code rc = a ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  long sleep_ms = 100;
  for (bool done = false; !rc && !done;) {
    feast_arena_reset(a);
    feast_bq_reply reply;
    if (is_query) {
      rc = job_path(j, "queries", &path, &query, err);
      if (!rc) rc = feast_buf_printf(&query, err, "%smaxResults=0&timeoutMs=%d", query.len ? "&" : "", POLL_TIMEOUT_MS);
      if (!rc && !feast_buf_cstr(&query, err)) rc = err->code;
      feast_bq_call call = {.method = "GET", .path = (const char *)path.data, .query = (const char *)query.data,
                            .what = what, .timeout_ms = POLL_TIMEOUT_MS + 60000};
      if (!rc) rc = feast_bq_send(c, &call, a, &reply, err);
      if (!rc) {
        const feast_json_value *complete = feast_json_get(reply.doc, "jobComplete");
        done = complete && complete->kind == FEAST_JSON_TRUE;
        if (done) {
          j->rows = int_of(feast_json_get(reply.doc, "totalRows"), j->rows);
          const feast_json_value *schema = feast_json_get(reply.doc, "schema");
          if (schema && !j->has_schema) {
            if (!(rc = feast_bq_table_from_json(schema, true, what, &j->schema, err))) j->has_schema = true;
          }
        }
      }
    } else {
      rc = job_path(j, "jobs", &path, &query, err);
      feast_bq_call call = {.method = "GET", .path = (const char *)path.data,
                            .query = query.len ? (const char *)query.data : NULL, .what = what};
      if (!rc) rc = feast_bq_send(c, &call, a, &reply, err);
      if (!rc) rc = read_job(reply.doc, what, j, &done, err);
      if (!rc && !done) {
        struct timespec ts = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        if (sleep_ms < 2000) sleep_ms *= 2;
      }
    }
    if (!rc && !done && o && o->progress) o->progress(o->progress_ctx, "running", now_s() - t0);
  }
  if (!rc && is_query) { /* the statistics and the final error live in the job resource */
    feast_arena_reset(a);
    feast_bq_reply reply;
    bool done;
    rc = job_path(j, "jobs", &path, &query, err);
    feast_bq_call call = {.method = "GET", .path = (const char *)path.data,
                          .query = query.len ? (const char *)query.data : NULL, .what = what};
    if (!rc) rc = feast_bq_send(c, &call, a, &reply, err);
    if (!rc) rc = read_job(reply.doc, what, j, &done, err);
  }
  feast_arena_free(a);
  feast_buf_free(&path);
  feast_buf_free(&query);
  return rc;
}

static void init_job(feast_bq *c, const char *project, const char *kind, feast_bq_job *j) {
  memset(j, 0, sizeof *j);
  j->rows = -1;
  snprintf(j->project, sizeof j->project, "%s", project);
  feast_bq_job_id(kind, j->job_id, sizeof j->job_id);
  if (feast_bq_location(c)) snprintf(j->location, sizeof j->location, "%s", feast_bq_location(c));
}

/* Insert the job whose body is in `body`; answers the first state. */
static feast_code insert_job(feast_bq *c, feast_bq_job *j, const feast_buf *body, const char *what, bool *done,
                             feast_error *err) {
  feast_buf path;
  feast_buf_init(&path, 4096);
  feast_code rc = feast_buf_append_str(&path, "/projects/", err);
  if (!rc) rc = feast_bq_path_escape(&path, j->project, err);
  if (!rc) rc = feast_buf_append_str(&path, "/jobs", err);
  if (!rc && !feast_buf_cstr(&path, err)) rc = err->code;
  feast_arena *a = feast_arena_new(0);
  if (!rc && !a) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_bq_reply reply;
  *done = false;
  if (!rc) {
    feast_bq_call call = {.method = "POST", .path = (const char *)path.data, .body = body->data, .body_len = body->len,
                          .what = what};
    rc = feast_bq_send(c, &call, a, &reply, err);
    if (rc == FEAST_E_EXISTS && reply.attempts > 1) rc = FEAST_OK; /* our retry found our own job: poll it */
    else if (!rc) rc = read_job(reply.doc, what, j, done, err);
  }
  feast_arena_free(a);
  feast_buf_free(&path);
  return rc;
}

feast_code feast_bq_query(feast_bq *c, const char *project, const char *sql, const feast_bq_job_options *o,
                          feast_bq_job *j, feast_error *err) {
  double t0 = now_s();
  init_job(c, project, o && o->label ? o->label : "query", j);
  char what[512];
  snprintf(what, sizeof what, "BigQuery %squery job %s", o && o->dry_run ? "dry-run " : "", j->job_id);
  feast_buf body;
  feast_buf_init(&body, 64 << 20);
  feast_json_writer w;
  feast_jw_init(&w, &body, FEAST_JSON_UTF8_FAIL, err);
  feast_jw_object(&w);
  write_job_ref(&w, j);
  feast_jw_key(&w, "configuration");
  feast_jw_object(&w);
  if (o && o->dry_run) {
    feast_jw_key(&w, "dryRun");
    feast_jw_bool(&w, true);
  }
  feast_jw_key(&w, "labels");
  feast_jw_object(&w);
  feast_jw_key(&w, "feast");
  feast_jw_string(&w, o && o->label ? o->label : "query");
  feast_jw_object_end(&w);
  feast_jw_key(&w, "query");
  feast_jw_object(&w);
  feast_jw_key(&w, "query");
  feast_jw_string(&w, sql);
  feast_jw_key(&w, "useLegacySql");
  feast_jw_bool(&w, false);
  if (o && o->destination) {
    feast_jw_key(&w, "destinationTable");
    write_ref(&w, o->destination);
    feast_jw_key(&w, "writeDisposition");
    feast_jw_string(&w, o->append ? "WRITE_APPEND" : "WRITE_TRUNCATE");
    feast_jw_key(&w, "createDisposition");
    feast_jw_string(&w, "CREATE_IF_NEEDED");
  }
  if (o && o->max_bytes_billed > 0) {
    char n[32];
    snprintf(n, sizeof n, "%lld", (long long)o->max_bytes_billed);
    feast_jw_key(&w, "maximumBytesBilled");
    feast_jw_string(&w, n);
  }
  feast_jw_object_end(&w);
  feast_jw_object_end(&w);
  feast_jw_object_end(&w);
  feast_code rc = feast_jw_finish(&w);
  bool done = false;
  if (!rc) rc = insert_job(c, j, &body, what, &done, err);
  feast_buf_free(&body);
  if (!rc && !(o && o->dry_run)) rc = wait_job(c, true, what, o, j, t0, err);
  j->seconds = now_s() - t0;
  if (rc) {
    feast_bq_table_free(&j->schema);
    j->has_schema = false;
  }
  return rc;
}

feast_code feast_bq_query_schema(feast_bq *c, const char *project, const char *sql, feast_bq_table *out,
                                 int64_t *bytes_estimate, feast_error *err) {
  memset(out, 0, sizeof *out);
  feast_bq_job_options o;
  memset(&o, 0, sizeof o);
  o.dry_run = true;
  o.label = "schema";
  feast_bq_job j;
  feast_code rc = feast_bq_query(c, project, sql, &o, &j, err);
  if (rc) return rc;
  if (bytes_estimate) *bytes_estimate = j.bytes_processed;
  if (j.has_schema) {
    *out = j.schema;
    memset(&j.schema, 0, sizeof j.schema);
    feast_bq_job_clear(&j);
    return FEAST_OK;
  }
  feast_bq_job_clear(&j);
  /* No schema in the dry run (the emulator): the result of LIMIT 0. */
  size_t n = strlen(sql) + 64;
  char *wrapped = feast_malloc(n);
  if (!wrapped) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  snprintf(wrapped, n, "SELECT * FROM (\n%s\n) LIMIT 0", sql);
  o.dry_run = false;
  rc = feast_bq_query(c, project, wrapped, &o, &j, err);
  feast_free(wrapped);
  if (!rc && !j.has_schema) rc = feast_fail(err, FEAST_E_SERVER, "BigQuery gave no schema for the query");
  if (!rc) {
    *out = j.schema;
    memset(&j.schema, 0, sizeof j.schema);
    if (j.destination.table[0] && feast_bq_is_emulator(c)) {
      /* the emulator keeps anonymous results in a dataset per job */
      feast_error e;
      feast_bq_tables_delete(c, &j.destination, true, &e);
    }
  }
  feast_bq_job_clear(&j);
  return rc;
}

feast_code feast_bq_load(feast_bq *c, const feast_bq_ref *dest, const char *format, const char *fields_json,
                         const void *data, size_t len, bool append, feast_ts expires, feast_bq_job *j,
                         feast_error *err) {
  double t0 = now_s();
  init_job(c, feast_bq_job_project(c, dest->project), "load", j);
  char what[2800], name[2400];
  feast_bq_ref_format(dest, name, sizeof name);
  snprintf(what, sizeof what, "BigQuery load job %s into %s", j->job_id, name);
  feast_buf body, path;
  feast_buf_init(&body, 16 << 20);
  feast_buf_init(&path, 4096);
  feast_json_writer w;
  feast_jw_init(&w, &body, FEAST_JSON_UTF8_FAIL, err);
  feast_jw_object(&w);
  write_job_ref(&w, j);
  feast_jw_key(&w, "configuration");
  feast_jw_object(&w);
  feast_jw_key(&w, "labels");
  feast_jw_object(&w);
  feast_jw_key(&w, "feast");
  feast_jw_string(&w, "load");
  feast_jw_object_end(&w);
  feast_jw_key(&w, "load");
  feast_jw_object(&w);
  feast_jw_key(&w, "destinationTable");
  write_ref(&w, dest);
  feast_jw_key(&w, "sourceFormat");
  feast_jw_string(&w, format);
  if (fields_json) {
    feast_jw_key(&w, "schema");
    feast_jw_object(&w);
    feast_jw_key(&w, "fields");
    feast_jw_raw(&w, fields_json, strlen(fields_json));
    feast_jw_object_end(&w);
  }
  feast_jw_key(&w, "writeDisposition");
  feast_jw_string(&w, append ? "WRITE_APPEND" : "WRITE_TRUNCATE");
  feast_jw_key(&w, "createDisposition");
  feast_jw_string(&w, "CREATE_IF_NEEDED");
  feast_jw_object_end(&w);
  feast_jw_object_end(&w);
  feast_jw_object_end(&w);
  feast_code rc = feast_jw_finish(&w);
  if (!rc) rc = feast_buf_append_str(&path, "/projects/", err);
  if (!rc) rc = feast_bq_path_escape(&path, j->project, err);
  if (!rc) rc = feast_buf_append_str(&path, "/jobs", err);
  if (!rc && !feast_buf_cstr(&path, err)) rc = err->code;
  feast_arena *a = feast_arena_new(0);
  if (!rc && !a) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_bq_reply reply;
  if (!rc) { /* a resumable upload: the session first, then the bytes in one PUT */
    feast_bq_call call = {.method = "POST", .path = (const char *)path.data, .query = "uploadType=resumable",
                          .body = body.data, .body_len = body.len, .upload = true, .what = what};
    rc = feast_bq_send(c, &call, a, &reply, err);
    if (!rc && !reply.location[0]) rc = feast_fail(err, FEAST_E_SERVER, "%s: the upload session has no Location", what);
  }
  if (!rc) {
    char location[sizeof reply.location];
    memcpy(location, reply.location, sizeof location);
    feast_bq_call put = {.method = "PUT", .url = location, .body = data ? data : "", .body_len = len,
                         .content_type = "application/octet-stream", .what = what, .max_attempts = 3,
                         .timeout_ms = 600000};
    rc = feast_bq_send(c, &put, a, &reply, err);
    bool done = false;
    if (!rc && reply.doc) rc = read_job(reply.doc, what, j, &done, err);
    if (!rc && !done) rc = wait_job(c, false, what, NULL, j, t0, err);
  }
  if (!rc && expires) rc = feast_bq_tables_expire(c, dest, expires, err);
  feast_arena_free(a);
  feast_buf_free(&body);
  feast_buf_free(&path);
  j->seconds = now_s() - t0;
  return rc;
}
