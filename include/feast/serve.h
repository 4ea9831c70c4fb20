/*
 * serve.h - `feast serve` as one call (docs/serve.md): the daemon serving
 * Feast 0.9's gRPC services and the HTTP feature server for a repository,
 * until SIGTERM/SIGINT (graceful drain). SIGHUP reloads the configuration.
 * The daemon's insides are src/serve/serve.h.
 */
#ifndef FEAST_PUBLIC_SERVE_H
#define FEAST_PUBLIC_SERVE_H

#include "feast/error.h"
#include "feast/export.h"

/* Overrides of feature_store.yaml's serve: section: -1 / NULL keep it. */
typedef struct feast_serve_options {
  const char *config;  /* feature_store.yaml or a repository folder (feast_store_open) */
  const char *project; /* NULL = the configuration's */
  int grpc_port, http_port, core_port, job_service_port;
  int threads;
  const char *host;
} feast_serve_options;

/* Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (the daemon waits
 * for them) and ignores SIGPIPE. Returns the exit code: 0 after a drain, 1
 * when it could not start (err says why), 2 for a usage error. */
FEAST_API int feast_serve(const feast_serve_options *o, feast_error *err);

#endif
