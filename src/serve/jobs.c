/*
 * jobs.c - serve_jobs: the Job service's jobs, each on a thread of its own
 * inside the daemon (Feast 0.9 ran them as Spark jobs; here they are the
 * library's own ingestion, retrieval and stream consumer):
 *
 *   batch ingestion  feast_store_ingest of the table's batch source, windowed
 *   retrieval        feast_store_get_historical_features, written as Parquet
 *   stream           feast_store_stream_ingest until cancelled or shut down
 *
 * A job has an id, a status (PENDING, RUNNING, DONE, ERROR: Feast's), a log
 * file (log_uri) that ends with the error when it fails, and for streams the
 * live counters and partition lag that /metrics shows. Jobs live in memory
 * only: a restart forgets them. What that means for each kind is in
 * docs/serve.md (gRPC, "Jobs and restarts").
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "feast/bigquery.h"
#include "feast/parquet_writer.h"
#include "feast/source.h"
#include "feast/stream.h"
#include "serve/grpc.h"
#include "serve/jobs.h"

#define MAX_LAG 64

typedef struct job {
  serve_job_info info; /* guarded by jobs->mu after start */
  serve_jobs *owner;
  pthread_t thread;
  bool joined;
  atomic_bool cancel;
  FILE *log;
  /* parameters */
  bool has_start, has_end;
  feast_ts start, end;
  char **refs;
  size_t n_refs;
  char *entity_path;      /* file source */
  char *entity_bq;        /* BigQuery table_ref */
  char *entity_ts_column;
  char *output_path;      /* where the Parquet file goes */
  /* stream progress */
  feast_stream_counters live;
  feast_stream_lag lag[MAX_LAG];
  size_t n_lag;
  struct job *next;
} job;

struct serve_jobs {
  serve_ctx *ctx;
  pthread_mutex_t mu;
  job *jobs; /* newest first */
  unsigned long seq;
  bool shutting_down;
  char dir[1024]; /* the logs */
};

/* Bounded copy (snprintf "%s" trips -Wformat-truncation on long sources). */
static void cpy(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = 0;
}

static pthread_mutex_t column_types_mu = PTHREAD_MUTEX_INITIALIZER; /* feast_store_entity_column_types */

serve_jobs *serve_jobs_new(serve_ctx *ctx, feast_error *err) {
  serve_jobs *j = feast_calloc(1, sizeof *j);
  if (!j) {
    feast_fail(err, FEAST_E_NOMEM, "out of memory");
    return NULL;
  }
  j->ctx = ctx;
  pthread_mutex_init(&j->mu, NULL);
  const char *dir = getenv("FEAST_SERVE_JOBS_DIR");
  const char *tmp = getenv("TMPDIR");
  if (dir && *dir) cpy(j->dir, sizeof j->dir, dir);
  else snprintf(j->dir, sizeof j->dir, "%s/feast-serve-jobs-%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
  if (mkdir(j->dir, 0700) != 0 && errno != EEXIST) {
    feast_fail(err, FEAST_E_IO, "job logs folder %s: %s", j->dir, strerror(errno));
    pthread_mutex_destroy(&j->mu);
    feast_free(j);
    return NULL;
  }
  return j;
}

static void job_log(job *jb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void job_log(job *jb, const char *fmt, ...) {
  if (!jb->log) return;
  char ts[40];
  fprintf(jb->log, "%s ", feast_ts_format(feast_now(), ts, sizeof ts));
  va_list ap;
  va_start(ap, fmt);
  vfprintf(jb->log, fmt, ap);
  va_end(ap);
  fputc('\n', jb->log);
  fflush(jb->log);
}

static void job_finish(job *jb, feast_code rc, const feast_error *err) {
  serve_jobs *j = jb->owner;
  if (rc == FEAST_OK && atomic_load(&jb->cancel) && jb->info.type != SERVE_JOB_STREAM) {
    job_log(jb, "cancelled");
  }
  if (rc != FEAST_OK) job_log(jb, "error: %s", err->message);
  else job_log(jb, atomic_load(&jb->cancel) ? "stopped" : "done");
  pthread_mutex_lock(&j->mu);
  if (rc != FEAST_OK) {
    jb->info.status = SERVE_JOB_ERROR;
    cpy(jb->info.error, sizeof jb->info.error, err->message);
  } else if (atomic_load(&jb->cancel) && jb->info.type != SERVE_JOB_STREAM) {
    jb->info.status = SERVE_JOB_ERROR; /* Feast 0.9 has no CANCELLED status */
    snprintf(jb->info.error, sizeof jb->info.error, "cancelled");
  } else {
    jb->info.status = SERVE_JOB_DONE;
  }
  pthread_mutex_unlock(&j->mu);
  if (j->ctx)
    serve_log(j->ctx, rc ? SERVE_LOG_WARN : SERVE_LOG_INFO, "job", "job %s (%s) %s%s%s", jb->info.id,
              jb->info.type == SERVE_JOB_STREAM ? "stream" : jb->info.type == SERVE_JOB_BATCH ? "batch" : "retrieval",
              rc ? "failed: " : "finished", rc ? err->message : "", "");
}

static void set_running(job *jb) {
  pthread_mutex_lock(&jb->owner->mu);
  jb->info.status = SERVE_JOB_RUNNING;
  pthread_mutex_unlock(&jb->owner->mu);
}

/* ---- the three kinds ---- */

static void *run_batch(void *arg) {
  job *jb = arg;
  feast_error err;
  feast_error_clear(&err);
  set_running(jb);
  job_log(jb, "batch ingestion of %s/%s", jb->info.project, jb->info.table);
  feast_code rc = FEAST_OK;
  feast_store *s = grpc_project_store(jb->owner->ctx, jb->info.project, &err);
  if (!s) rc = err.code ? err.code : FEAST_E_INTERNAL;
  feast_ingest_options o;
  memset(&o, 0, sizeof o);
  o.has_start = jb->has_start;
  o.start = jb->start;
  o.has_end = jb->has_end;
  o.end = jb->end;
  feast_ingest_summary sum;
  memset(&sum, 0, sizeof sum);
  if (!rc) rc = feast_store_ingest(s, jb->info.table, NULL, &o, &sum, &err);
  if (!rc) job_log(jb, "ingested %s: source rows read and written to the online store", jb->info.table);
  job_finish(jb, rc, &err);
  return NULL;
}

static void *run_retrieval(void *arg) {
  job *jb = arg;
  feast_error err;
  feast_error_clear(&err);
  set_running(jb);
  job_log(jb, "historical retrieval of %zu features into %s", jb->n_refs, jb->output_path);
  feast_code rc = FEAST_OK;
  feast_store *s = grpc_project_store(jb->owner->ctx, jb->info.project, &err);
  if (!s) rc = err.code ? err.code : FEAST_E_INTERNAL;
  feast_batch_source *entities = NULL, *result = NULL;
  feast_batch *schema = NULL;
  const char *const *refs = (const char *const *)jb->refs;
  if (!rc && jb->entity_bq) {
    char uri[1200];
    snprintf(uri, sizeof uri, "bq://%s", jb->entity_bq);
    rc = feast_bigquery_rows_open(uri, &entities, &schema, &err);
  } else if (!rc) {
    pthread_mutex_lock(&column_types_mu);
    feast_csv_column_type types[256];
    int nt = feast_store_entity_column_types(s, refs, jb->n_refs, jb->entity_ts_column, types, 256);
    rc = feast_rows_open(jb->entity_path, types, nt, &entities, &schema, &err);
    pthread_mutex_unlock(&column_types_mu);
  }
  feast_historical_options ho;
  memset(&ho, 0, sizeof ho);
  ho.entity_ts_column = jb->entity_ts_column;
  ho.threads = 1; /* beside the serving loops */
  feast_retrieval_summary sum;
  memset(&sum, 0, sizeof sum);
  if (!rc) rc = feast_store_get_historical_features(s, refs, jb->n_refs, entities, &ho, &result, &sum, &err);
  feast_parquet_writer *w = NULL;
  int64_t rows = 0;
  if (!rc) {
    feast_parquet_write_options wo;
    feast_parquet_write_options_init(&wo);
    rc = feast_parquet_writer_open(jb->output_path, feast_retrieval_schema(result), &wo, &w, &err);
  }
  while (!rc) {
    feast_batch *b;
    if (atomic_load(&jb->cancel)) break;
    if ((rc = result->next(result, &b, &err)) || !b) break;
    rows += b->num_rows;
    rc = feast_parquet_writer_write(w, b, &err);
    feast_batch_free(b);
  }
  if (!rc && w) rc = feast_parquet_writer_close(w, &err);
  feast_parquet_writer_free(w);
  if (!rc) job_log(jb, "wrote %lld rows to %s (%d tables)", (long long)rows, jb->output_path, sum.n_tables);
  if (result) result->close(result);
  if (entities) entities->close(entities);
  feast_batch_free(schema);
  job_finish(jb, rc, &err);
  return NULL;
}

static bool stream_should_stop(void *ctx) {
  job *jb = ctx;
  return atomic_load(&jb->cancel);
}

static void stream_progress(void *ctx, const char *table, const feast_stream_counters *c, const feast_stream_lag *lag,
                            size_t n_lag) {
  (void)table;
  (void)c;
  job *jb = ctx;
  pthread_mutex_lock(&jb->owner->mu);
  jb->n_lag = n_lag < MAX_LAG ? n_lag : MAX_LAG;
  memcpy(jb->lag, lag, jb->n_lag * sizeof *lag);
  pthread_mutex_unlock(&jb->owner->mu);
}

static void stream_notice(void *ctx, const char *table, const char *message) { job_log(ctx, "%s: %s", table, message); }

static void *run_stream(void *arg) {
  job *jb = arg;
  feast_error err;
  feast_error_clear(&err);
  set_running(jb);
  job_log(jb, "stream ingestion of %s/%s", jb->info.project, jb->info.table);
  feast_code rc = FEAST_OK;
  feast_store *s = grpc_project_store(jb->owner->ctx, jb->info.project, &err);
  if (!s) rc = err.code ? err.code : FEAST_E_INTERNAL;
  feast_stream_run_options o;
  memset(&o, 0, sizeof o);
  o.should_stop = stream_should_stop;
  o.stop_ctx = jb;
  o.progress = stream_progress;
  o.progress_ctx = jb;
  o.notice = stream_notice;
  if (!rc) rc = feast_store_stream_ingest(s, jb->info.table, &o, &jb->live, &err);
  feast_stream_counters c;
  feast_stream_counters_load(&jb->live, &c);
  job_log(jb, "%lld messages, %lld rows, %lld keys written, %lld commits", (long long)c.messages, (long long)c.rows,
          (long long)c.written, (long long)c.commits);
  job_finish(jb, rc, &err);
  return NULL;
}

/* ---- starting, listing, cancelling ---- */

static void job_free(job *jb) {
  if (jb->log) fclose(jb->log);
  for (size_t i = 0; i < jb->n_refs; i++) feast_free(jb->refs[i]);
  feast_free(jb->refs);
  feast_free(jb->entity_path);
  feast_free(jb->entity_bq);
  feast_free(jb->entity_ts_column);
  feast_free(jb->output_path);
  feast_free(jb);
}

static job *job_new(serve_jobs *j, int type, const char *project, const char *table, feast_error *err) {
  job *jb = feast_calloc(1, sizeof *jb);
  if (!jb) {
    feast_fail(err, FEAST_E_NOMEM, "out of memory");
    return NULL;
  }
  jb->owner = j;
  jb->info.type = type;
  jb->info.status = SERVE_JOB_PENDING;
  jb->info.start_time = feast_now();
  cpy(jb->info.project, sizeof jb->info.project, project && *project ? project : "default");
  cpy(jb->info.table, sizeof jb->info.table, table ? table : "");
  return jb;
}

static feast_code job_launch(serve_jobs *j, job *jb, void *(*fn)(void *), serve_job_info *out, feast_error *err) {
  pthread_mutex_lock(&j->mu);
  if (j->shutting_down) {
    pthread_mutex_unlock(&j->mu);
    job_free(jb);
    return feast_fail(err, FEAST_E_CONNECT, "the daemon is shutting down");
  }
  static const char *kind[] = {"", "ingestion", "stream", "", "retrieval"};
  snprintf(jb->info.id, sizeof jb->info.id, "%s-%lld-%lu", kind[jb->info.type], (long long)(jb->info.start_time / 1000),
           ++j->seq);
  snprintf(jb->info.hash, sizeof jb->info.hash, "%lu", j->seq);
  char path[1200];
  snprintf(path, sizeof path, "%s/%s.log", j->dir, jb->info.id);
  jb->log = fopen(path, "a");
  snprintf(jb->info.log_uri, sizeof jb->info.log_uri, "file://%s", path);
  if (pthread_create(&jb->thread, NULL, fn, jb) != 0) {
    pthread_mutex_unlock(&j->mu);
    job_free(jb);
    return feast_fail(err, FEAST_E_NOMEM, "could not start a job thread");
  }
  jb->next = j->jobs;
  j->jobs = jb;
  *out = jb->info;
  pthread_mutex_unlock(&j->mu);
  return FEAST_OK;
}

/* The table must exist now, so a bad name fails the call, not the job. */
static feast_code check_table(serve_jobs *j, const char *project, const char *table, bool want_stream,
                              feast_error *err) {
  if (!table || !*table) return feast_fail(err, FEAST_E_INVALID, "table_name must be provided");
  feast_store *s = grpc_project_store(j->ctx, project, err);
  if (!s) return err->code ? err->code : FEAST_E_INTERNAL;
  return grpc_table_check(s, table, want_stream, err);
}

feast_code serve_jobs_start_batch(serve_jobs *j, const char *project, const char *table, bool has_start,
                                  feast_ts start, bool has_end, feast_ts end, serve_job_info *out, feast_error *err) {
  feast_code rc = check_table(j, project, table, false, err);
  if (rc) return rc;
  job *jb = job_new(j, SERVE_JOB_BATCH, project, table, err);
  if (!jb) return err->code;
  jb->has_start = has_start;
  jb->start = start;
  jb->has_end = has_end;
  jb->end = end;
  return job_launch(j, jb, run_batch, out, err);
}

feast_code serve_jobs_start_stream(serve_jobs *j, const char *project, const char *table, serve_job_info *out,
                                   feast_error *err) {
  feast_code rc = check_table(j, project, table, true, err);
  if (rc) return rc;
  const char *p = project && *project ? project : "default";
  pthread_mutex_lock(&j->mu);
  for (job *x = j->jobs; x; x = x->next) {
    if (x->info.type == SERVE_JOB_STREAM && x->info.status <= SERVE_JOB_RUNNING && strcmp(x->info.table, table) == 0 &&
        strcmp(x->info.project, p) == 0) {
      rc = feast_fail(err, FEAST_E_EXISTS, "a stream ingestion job for %s/%s is running already: %s", p, table,
                      x->info.id);
      break;
    }
  }
  pthread_mutex_unlock(&j->mu);
  if (rc) return rc;
  job *jb = job_new(j, SERVE_JOB_STREAM, project, table, err);
  if (!jb) return err->code;
  return job_launch(j, jb, run_stream, out, err);
}

static char *strip_file_uri(const char *s) {
  if (strncmp(s, "file://", 7) == 0) s += 7;
  return feast_strdup(s);
}

feast_code serve_jobs_start_retrieval(serve_jobs *j, const char *project, const char *const *refs, size_t n_refs,
                                      const feast_data_source *entities, const char *output_location,
                                      const char *output_format, serve_job_info *out, feast_error *err) {
  if (!n_refs) return feast_fail(err, FEAST_E_INVALID, "feature_refs must name at least one feature");
  if (!output_location || !*output_location) return feast_fail(err, FEAST_E_INVALID, "output_location must be provided");
  if (output_format && *output_format && strcmp(output_format, "parquet") != 0)
    return feast_fail(err, FEAST_E_UNSUPPORTED, "output_format '%s': only parquet is written", output_format);
  if (strstr(output_location, "://") && strncmp(output_location, "file://", 7) != 0)
    return feast_fail(err, FEAST_E_UNSUPPORTED, "output_location %s: only local paths and file:// URIs are written",
                      output_location);
  if (entities->type == FEAST_SOURCE_FILE) {
    if (!entities->file.file_url || !*entities->file.file_url)
      return feast_fail(err, FEAST_E_INVALID, "entity_source.file_options.file_url must be provided");
  } else if (entities->type == FEAST_SOURCE_BIGQUERY) {
    if (!entities->bigquery.table_ref || !*entities->bigquery.table_ref)
      return feast_fail(err, FEAST_E_INVALID, "entity_source.bigquery_options.table_ref must be provided");
  } else {
    return feast_fail(err, FEAST_E_INVALID, "entity_source must be a BATCH_FILE or BATCH_BIGQUERY source");
  }
  job *jb = job_new(j, SERVE_JOB_RETRIEVAL, project, NULL, err);
  if (!jb) return err->code;
  jb->refs = feast_calloc(n_refs, sizeof *jb->refs);
  bool ok = jb->refs != NULL;
  for (size_t i = 0; ok && i < n_refs; i++) ok = (jb->refs[jb->n_refs++] = feast_strdup(refs[i])) != NULL;
  if (entities->type == FEAST_SOURCE_FILE) jb->entity_path = strip_file_uri(entities->file.file_url);
  else jb->entity_bq = feast_strdup(entities->bigquery.table_ref);
  if (entities->event_timestamp_column && *entities->event_timestamp_column)
    jb->entity_ts_column = feast_strdup(entities->event_timestamp_column);
  /* A .parquet name is the file; anything else a folder that gets one part. */
  char *loc = strip_file_uri(output_location);
  size_t n = loc ? strlen(loc) : 0;
  if (loc && n > 8 && strcmp(loc + n - 8, ".parquet") == 0) {
    jb->output_path = loc;
  } else if (loc) {
    while (n > 1 && loc[n - 1] == '/') loc[--n] = 0;
    if (mkdir(loc, 0755) != 0 && errno != EEXIST) {
      feast_fail(err, FEAST_E_IO, "output_location %s: %s", loc, strerror(errno));
      feast_free(loc);
      job_free(jb);
      return FEAST_E_IO;
    }
    size_t m = n + 32;
    jb->output_path = feast_malloc(m);
    if (jb->output_path) snprintf(jb->output_path, m, "%s/part-00000.parquet", loc);
    feast_free(loc);
  }
  if (!ok || !jb->output_path || (!jb->entity_path && !jb->entity_bq)) {
    job_free(jb);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  cpy(jb->info.output, sizeof jb->info.output, output_location);
  return job_launch(j, jb, run_retrieval, out, err);
}

size_t serve_jobs_list(serve_jobs *j, bool include_terminated, const char *table, serve_job_info **out) {
  pthread_mutex_lock(&j->mu);
  size_t n = 0;
  for (job *x = j->jobs; x; x = x->next) n++;
  serve_job_info *v = feast_calloc(n + 1, sizeof *v);
  size_t k = 0;
  for (job *x = j->jobs; v && x; x = x->next) {
    if (!include_terminated && x->info.status >= SERVE_JOB_DONE) continue;
    if (table && *table && strcmp(x->info.table, table) != 0) continue;
    v[k++] = x->info;
  }
  pthread_mutex_unlock(&j->mu);
  *out = v;
  return v ? k : 0;
}

feast_code serve_jobs_get(serve_jobs *j, const char *id, serve_job_info *out, feast_error *err) {
  pthread_mutex_lock(&j->mu);
  for (job *x = j->jobs; x; x = x->next) {
    if (strcmp(x->info.id, id) == 0) {
      *out = x->info;
      pthread_mutex_unlock(&j->mu);
      return FEAST_OK;
    }
  }
  pthread_mutex_unlock(&j->mu);
  return feast_fail(err, FEAST_E_NOT_FOUND, "no job with id '%s'", id);
}

feast_code serve_jobs_cancel(serve_jobs *j, const char *id, feast_error *err) {
  pthread_mutex_lock(&j->mu);
  for (job *x = j->jobs; x; x = x->next) {
    if (strcmp(x->info.id, id) == 0) {
      bool over = x->info.status >= SERVE_JOB_DONE;
      if (!over) atomic_store(&x->cancel, true);
      pthread_mutex_unlock(&j->mu);
      if (over) return feast_fail(err, FEAST_E_INVALID, "job '%s' has already ended", id);
      /* A stream job commits the batch in hand and ends: wait for it, so
       * GetJob right after CancelJob sees the final state. */
      if (x->info.type == SERVE_JOB_STREAM) {
        for (int i = 0; i < 300; i++) {
          pthread_mutex_lock(&j->mu);
          bool done = x->info.status >= SERVE_JOB_DONE;
          pthread_mutex_unlock(&j->mu);
          if (done) break;
          usleep(10000);
        }
      }
      return FEAST_OK;
    }
  }
  pthread_mutex_unlock(&j->mu);
  return feast_fail(err, FEAST_E_NOT_FOUND, "no job with id '%s'", id);
}

void serve_jobs_shutdown(serve_jobs *j) {
  if (!j) return;
  pthread_mutex_lock(&j->mu);
  j->shutting_down = true;
  /* Streams stop (their batch in hand committed); batch jobs run to the end. */
  for (job *x = j->jobs; x; x = x->next)
    if (x->info.type == SERVE_JOB_STREAM) atomic_store(&x->cancel, true);
  pthread_mutex_unlock(&j->mu);
  for (job *x = j->jobs; x; x = x->next) {
    if (!x->joined) {
      pthread_join(x->thread, NULL);
      x->joined = true;
    }
  }
}

void serve_jobs_free(serve_jobs *j) {
  if (!j) return;
  serve_jobs_shutdown(j);
  while (j->jobs) {
    job *x = j->jobs;
    j->jobs = x->next;
    job_free(x);
  }
  pthread_mutex_destroy(&j->mu);
  feast_free(j);
  grpc_project_stores_free();
  grpc_core_free();
}

static void label(feast_buf *out, const char *s) {
  feast_error err;
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') feast_buf_append_byte(out, '\\', &err);
    if (*s == '\n') {
      feast_buf_append_str(out, "\\n", &err);
      continue;
    }
    feast_buf_append_byte(out, (uint8_t)*s, &err);
  }
}

void serve_jobs_write_metrics(serve_jobs *j, struct feast_buf *out) {
  if (!j) return;
  feast_error err;
  int by_state[5] = {0};
  pthread_mutex_lock(&j->mu);
  for (job *x = j->jobs; x; x = x->next)
    if (x->info.status >= 1 && x->info.status <= 4) by_state[x->info.status]++;
  static const char *names[] = {"", "pending", "running", "done", "error"};
  feast_buf_printf(out, &err, "# TYPE feast_serve_jobs gauge\n");
  for (int s = 1; s <= 4; s++) feast_buf_printf(out, &err, "feast_serve_jobs{state=\"%s\"} %d\n", names[s], by_state[s]);
  static const char *counters[] = {"messages", "rows", "written", "skipped_older", "rejected", "undecodable", "commits"};
  for (size_t k = 0; k < sizeof counters / sizeof *counters; k++)
    feast_buf_printf(out, &err, "# TYPE feast_serve_stream_%s_total counter\n", counters[k]);
  feast_buf_printf(out, &err, "# TYPE feast_serve_stream_lag gauge\n");
  for (job *x = j->jobs; x; x = x->next) {
    if (x->info.type != SERVE_JOB_STREAM) continue;
    feast_stream_counters c;
    feast_stream_counters_load(&x->live, &c);
    int64_t v[] = {c.messages, c.rows, c.written, c.skipped_older, c.rejected, c.undecodable, c.commits};
    for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
      feast_buf_printf(out, &err, "feast_serve_stream_%s_total{project=\"", counters[k]);
      label(out, x->info.project);
      feast_buf_append_str(out, "\",table=\"", &err);
      label(out, x->info.table);
      feast_buf_printf(out, &err, "\",job=\"%s\"} %lld\n", x->info.id, (long long)v[k]);
    }
    for (size_t p = 0; p < x->n_lag; p++) {
      feast_buf_append_str(out, "feast_serve_stream_lag{project=\"", &err);
      label(out, x->info.project);
      feast_buf_append_str(out, "\",table=\"", &err);
      label(out, x->info.table);
      feast_buf_append_str(out, "\",partition=\"", &err);
      label(out, x->lag[p].partition);
      feast_buf_printf(out, &err, "\"} %lld\n", (long long)x->lag[p].lag);
    }
  }
  pthread_mutex_unlock(&j->mu);
}
