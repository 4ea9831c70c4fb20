/*
 * grpc_jobs.c - feast.core.JobService (reference: feast-0.9.md section 4.1)
 * over serve_jobs (jobs.c): starting batch ingestion, historical retrieval
 * and stream ingestion jobs, listing, getting and cancelling them. Starting
 * a job needs write access to its project; listing and getting, read.
 */
#include <string.h>

#include "base/alloc.h"
#include "feast/core/JobService.pb-c.h"
#include "serve/grpc.h"
#include "serve/jobs.h"

static serve_jobs *jobs_of(grpc_call *call) {
  serve_jobs *j = call->ctx ? call->ctx->jobs : NULL;
  if (!j) grpc_fail(call, GRPC_UNAVAILABLE, "the job service is not running");
  return j;
}

static Google__Protobuf__Timestamp *ts(grpc_call *call, feast_ts t) {
  Google__Protobuf__Timestamp *p = feast_arena_calloc(call->arena, sizeof *p);
  if (!p) return NULL;
  google__protobuf__timestamp__init(p);
  p->seconds = t / 1000000;
  p->nanos = (int32_t)(t % 1000000 * 1000);
  return p;
}

static feast_ts from_ts(const Google__Protobuf__Timestamp *t) { return t->seconds * 1000000 + t->nanos / 1000; }

static char *dup(grpc_call *call, const char *s) { return feast_arena_strdup(call->arena, s); }

static Feast__Core__Job *job_to(grpc_call *call, const serve_job_info *i) {
  Feast__Core__Job *p = feast_arena_calloc(call->arena, sizeof *p);
  if (!p) return NULL;
  feast__core__job__init(p);
  p->id = dup(call, i->id);
  p->type = (Feast__Core__JobType)i->type;
  p->status = (Feast__Core__JobStatus)i->status;
  p->hash = dup(call, i->hash);
  p->start_time = ts(call, i->start_time);
  p->log_uri = dup(call, i->log_uri);
  if (i->type == SERVE_JOB_RETRIEVAL) {
    p->meta_case = FEAST__CORE__JOB__META_RETRIEVAL;
    p->retrieval = feast_arena_calloc(call->arena, sizeof *p->retrieval);
    if (p->retrieval) {
      feast__core__job__retrieval_job_meta__init(p->retrieval);
      p->retrieval->output_location = dup(call, i->output);
    }
  } else if (i->type == SERVE_JOB_BATCH) {
    p->meta_case = FEAST__CORE__JOB__META_BATCH_INGESTION;
    p->batch_ingestion = feast_arena_calloc(call->arena, sizeof *p->batch_ingestion);
    if (p->batch_ingestion) {
      feast__core__job__offline_to_online_meta__init(p->batch_ingestion);
      p->batch_ingestion->table_name = dup(call, i->table);
    }
  } else {
    p->meta_case = FEAST__CORE__JOB__META_STREAM_INGESTION;
    p->stream_ingestion = feast_arena_calloc(call->arena, sizeof *p->stream_ingestion);
    if (p->stream_ingestion) {
      feast__core__job__stream_to_online_meta__init(p->stream_ingestion);
      p->stream_ingestion->table_name = dup(call, i->table);
    }
  }
  return p;
}

static void start_offline(grpc_call *call) {
  Feast__Core__StartOfflineToOnlineIngestionJobRequest *q =
      grpc_unpack(call, &feast__core__start_offline_to_online_ingestion_job_request__descriptor);
  if (!q) return;
  const char *p = q->project && *q->project ? q->project : "default";
  if (!grpc_authorize(call, p, SERVE_WRITE)) return;
  serve_jobs *j = jobs_of(call);
  if (!j) return;
  serve_job_info info;
  feast_error err;
  if (serve_jobs_start_batch(j, p, q->table_name, q->start_date != NULL, q->start_date ? from_ts(q->start_date) : 0,
                             q->end_date != NULL, q->end_date ? from_ts(q->end_date) : 0, &info, &err)) {
    grpc_fail(call, grpc_status_of(err.code), "%s", err.message);
    return;
  }
  Feast__Core__StartOfflineToOnlineIngestionJobResponse r;
  feast__core__start_offline_to_online_ingestion_job_response__init(&r);
  r.id = info.id;
  r.job_start_time = ts(call, info.start_time);
  r.table_name = info.table;
  r.log_uri = info.log_uri;
  grpc_pack(call, &r.base);
}

static void start_stream(grpc_call *call) {
  Feast__Core__StartStreamToOnlineIngestionJobRequest *q =
      grpc_unpack(call, &feast__core__start_stream_to_online_ingestion_job_request__descriptor);
  if (!q) return;
  const char *p = q->project && *q->project ? q->project : "default";
  if (!grpc_authorize(call, p, SERVE_WRITE)) return;
  serve_jobs *j = jobs_of(call);
  if (!j) return;
  serve_job_info info;
  feast_error err;
  if (serve_jobs_start_stream(j, p, q->table_name, &info, &err)) {
    grpc_fail(call, grpc_status_of(err.code), "%s", err.message);
    return;
  }
  Feast__Core__StartStreamToOnlineIngestionJobResponse r;
  feast__core__start_stream_to_online_ingestion_job_response__init(&r);
  r.id = info.id;
  r.job_start_time = ts(call, info.start_time);
  r.table_name = info.table;
  r.log_uri = info.log_uri;
  grpc_pack(call, &r.base);
}

static void get_historical(grpc_call *call) {
  Feast__Core__GetHistoricalFeaturesRequest *q = grpc_unpack(call, &feast__core__get_historical_features_request__descriptor);
  if (!q) return;
  const char *p = q->project && *q->project ? q->project : "default";
  if (!grpc_authorize(call, p, SERVE_READ)) return;
  serve_jobs *j = jobs_of(call);
  if (!j) return;
  feast_data_source ds;
  memset(&ds, 0, sizeof ds);
  if (q->entity_source) {
    const Feast__Core__DataSource *s = q->entity_source;
    ds.type = (feast_source_type)s->type;
    ds.event_timestamp_column = s->event_timestamp_column;
    if (s->options_case == FEAST__CORE__DATA_SOURCE__OPTIONS_FILE_OPTIONS) ds.file.file_url = s->file_options->file_url;
    if (s->options_case == FEAST__CORE__DATA_SOURCE__OPTIONS_BIGQUERY_OPTIONS)
      ds.bigquery.table_ref = s->bigquery_options->table_ref;
  }
  serve_job_info info;
  feast_error err;
  if (serve_jobs_start_retrieval(j, p, (const char *const *)q->feature_refs, q->n_feature_refs, &ds, q->output_location,
                                 q->output_format, &info, &err)) {
    grpc_fail(call, grpc_status_of(err.code), "%s", err.message);
    return;
  }
  Feast__Core__GetHistoricalFeaturesResponse r;
  feast__core__get_historical_features_response__init(&r);
  r.id = info.id;
  r.output_file_uri = info.output;
  r.job_start_time = ts(call, info.start_time);
  r.log_uri = info.log_uri;
  grpc_pack(call, &r.base);
}

static void list_jobs(grpc_call *call) {
  Feast__Core__ListJobsRequest *q = grpc_unpack(call, &feast__core__list_jobs_request__descriptor);
  if (!q) return;
  if (!grpc_authorize(call, NULL, SERVE_READ)) return;
  serve_jobs *j = jobs_of(call);
  if (!j) return;
  serve_job_info *v;
  size_t n = serve_jobs_list(j, q->include_terminated, q->table_name, &v);
  Feast__Core__ListJobsResponse r;
  feast__core__list_jobs_response__init(&r);
  r.jobs = feast_arena_calloc(call->arena, (n + 1) * sizeof *r.jobs);
  for (size_t i = 0; r.jobs && i < n; i++) r.jobs[r.n_jobs++] = job_to(call, &v[i]);
  feast_free(v);
  grpc_pack(call, &r.base);
}

static void get_job(grpc_call *call) {
  Feast__Core__GetJobRequest *q = grpc_unpack(call, &feast__core__get_job_request__descriptor);
  if (!q) return;
  serve_jobs *j = jobs_of(call);
  if (!j) return;
  serve_job_info info;
  feast_error err;
  if (serve_jobs_get(j, q->job_id, &info, &err)) {
    grpc_fail(call, GRPC_NOT_FOUND, "%s", err.message);
    return;
  }
  if (!grpc_authorize(call, info.project, SERVE_READ)) return;
  Feast__Core__GetJobResponse r;
  feast__core__get_job_response__init(&r);
  r.job = job_to(call, &info);
  grpc_pack(call, &r.base);
}

static void cancel_job(grpc_call *call) {
  Feast__Core__CancelJobRequest *q = grpc_unpack(call, &feast__core__cancel_job_request__descriptor);
  if (!q) return;
  serve_jobs *j = jobs_of(call);
  if (!j) return;
  serve_job_info info;
  feast_error err;
  if (serve_jobs_get(j, q->job_id, &info, &err)) {
    grpc_fail(call, GRPC_NOT_FOUND, "%s", err.message);
    return;
  }
  if (!grpc_authorize(call, info.project, SERVE_WRITE)) return;
  if (serve_jobs_cancel(j, q->job_id, &err)) {
    grpc_fail(call, err.code == FEAST_E_NOT_FOUND ? GRPC_NOT_FOUND : GRPC_FAILED_PRECONDITION, "%s", err.message);
    return;
  }
  Feast__Core__CancelJobResponse r;
  feast__core__cancel_job_response__init(&r);
  grpc_pack(call, &r.base);
}

#define JOBS(m) "/feast.core.JobService/" m
const grpc_method grpc_jobs_methods[] = {
    {JOBS("StartOfflineToOnlineIngestionJob"), start_offline, GRPC_ON_GRPC | GRPC_ON_JOBS},
    {JOBS("GetHistoricalFeatures"), get_historical, GRPC_ON_GRPC | GRPC_ON_JOBS},
    {JOBS("StartStreamToOnlineIngestionJob"), start_stream, GRPC_ON_GRPC | GRPC_ON_JOBS},
    {JOBS("ListJobs"), list_jobs, GRPC_ON_GRPC | GRPC_ON_JOBS},
    {JOBS("GetJob"), get_job, GRPC_ON_GRPC | GRPC_ON_JOBS},
    {JOBS("CancelJob"), cancel_job, GRPC_ON_GRPC | GRPC_ON_JOBS},
};
const size_t grpc_jobs_num_methods = sizeof grpc_jobs_methods / sizeof grpc_jobs_methods[0];
