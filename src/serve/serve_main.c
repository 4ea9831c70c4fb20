/*
 * serve_main.c - `feast serve` as one library call (include/feast/serve.h):
 * the configuration (serve: section + overrides), the daemon, the Job
 * service when the gRPC side is linked in, and the wait for SIGTERM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "feast/serve.h"
#include "feast/store.h"
#include "serve/serve_internal.h"

int feast_serve(const feast_serve_options *o, feast_error *err) {
  int grpc_port = o->grpc_port, http_port = o->http_port, core_port = o->core_port, jobs_port = o->job_service_port;
  int threads = o->threads;
  const char *host = o->host;
  const serve_protocol *grpc = &serve_protocol_grpc; /* grpc_h2.c */
  feast_store *store;
  if (feast_store_open(o->config, o->project, &store, err)) return 1;
  const feast_config *fc = feast_store_get_config(store);
  int rc;
  serve_config *cfg = fc->serve ? serve_config_clone(fc->serve, err) : NULL;
  if (!fc->serve) {
    cfg = feast_calloc(1, sizeof *cfg);
    if (cfg && serve_config_defaults(cfg, err)) {
      feast_free(cfg);
      cfg = NULL;
    }
  }
  if (!cfg) {
    feast_store_free(store);
    feast_fail(err, FEAST_E_NOMEM, "out of memory");
    return 1;
  }
  if (grpc_port >= 0) cfg->grpc_port = grpc_port;
  if (http_port >= 0) cfg->http_port = http_port;
  if (core_port >= 0) cfg->core_port = core_port;
  if (jobs_port >= 0) cfg->job_service_port = jobs_port;
  if (threads > 0) cfg->threads = threads;
  if (host) {
    feast_free(cfg->host);
    cfg->host = feast_strdup(host);
  }
  if (serve_config_load_tokens_file(cfg, err)) {
    serve_config_free(cfg);
    feast_store_free(store);
    return 1;
  }
  feast_store_set_registry_refresh(store, cfg->registry_refresh_ms);
  serve_block_signals();
  serve_daemon *d = NULL;
  char summary[256];
  snprintf(summary, sizeof summary, "project %s on %s: grpc %d, http %d, core %d, jobs %d, %s, %s",
           feast_store_project(store), cfg->host, cfg->grpc_port, cfg->http_port, cfg->core_port,
           cfg->job_service_port, cfg->tls_cert ? "TLS" : "plaintext",
           cfg->n_tokens ? "bearer tokens" : "unauthenticated");
  serve_log_level level = serve_log_level_of(cfg->log_level);
  if (serve_daemon_start(store, cfg, fc->path, grpc, &d, err)) {
    serve_log_raw(level, SERVE_LOG_ERROR, "start_failed", "%s", err->message);
    feast_store_free(store);
    return 1;
  }
  serve_ctx *ctx = serve_daemon_ctx(d);
  ctx->jobs = serve_jobs_new(ctx, err);
  if (!ctx->jobs) {
    serve_log(ctx, SERVE_LOG_ERROR, "start_failed", "jobs: %s", err->message);
    serve_daemon_free(d);
    feast_store_free(store);
    return 1;
  }
  serve_log(ctx, SERVE_LOG_INFO, "serving", "%s", summary);
  rc = serve_daemon_wait(d);
  serve_jobs_shutdown(ctx->jobs);
  serve_jobs_free(ctx->jobs);
  ctx->jobs = NULL;
  serve_daemon_free(d);
  feast_store_free(store);
  return rc;
}
