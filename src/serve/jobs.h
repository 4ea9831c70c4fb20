/*
 * jobs.h - the Job service's jobs inside feast serve (jobs.c): batch
 * ingestion, historical retrieval and stream ingestion, each on a thread of
 * its own, with a status, a log file and, for streams, live counters. What
 * grpc_jobs.c calls; serve.h has the daemon's side (new, shutdown, free,
 * metrics).
 *
 * Jobs live in memory: a restart of the daemon forgets them (docs/serve.md,
 * "Jobs and restarts").
 */
#ifndef FEAST_SERVE_JOBS_H
#define FEAST_SERVE_JOBS_H

#include "feast/spec.h"
#include "serve/serve.h"

/* Feast 0.9's JobType and JobStatus numbering. */
enum { SERVE_JOB_BATCH = 1, SERVE_JOB_STREAM = 2, SERVE_JOB_RETRIEVAL = 4 };
enum { SERVE_JOB_PENDING = 1, SERVE_JOB_RUNNING = 2, SERVE_JOB_DONE = 3, SERVE_JOB_ERROR = 4 };

typedef struct serve_job_info {
  char id[64];
  int type, status;
  feast_ts start_time;
  char project[128];
  char table[256];       /* ingestion jobs */
  char output[2048];     /* retrieval: the output file URI */
  char log_uri[2048];    /* file:// of the job's log */
  char hash[32];
  char error[1024];      /* "" unless status is ERROR */
} serve_job_info;

feast_code serve_jobs_start_batch(serve_jobs *j, const char *project, const char *table, bool has_start,
                                  feast_ts start, bool has_end, feast_ts end, serve_job_info *out, feast_error *err);
feast_code serve_jobs_start_stream(serve_jobs *j, const char *project, const char *table, serve_job_info *out,
                                   feast_error *err);
/* `entities`: a file (Parquet or CSV, file_url) or BigQuery (table_ref)
 * source of entity rows; `output_location` a file path or file:// URI
 * (a folder gets part-00000.parquet). */
feast_code serve_jobs_start_retrieval(serve_jobs *j, const char *project, const char *const *refs, size_t n_refs,
                                      const feast_data_source *entities, const char *output_location,
                                      const char *output_format, serve_job_info *out, feast_error *err);
/* Newest first; the caller frees *out with feast_free. */
size_t serve_jobs_list(serve_jobs *j, bool include_terminated, const char *table, serve_job_info **out);
feast_code serve_jobs_get(serve_jobs *j, const char *id, serve_job_info *out, feast_error *err);
feast_code serve_jobs_cancel(serve_jobs *j, const char *id, feast_error *err);

#endif
