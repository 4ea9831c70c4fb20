/*
 * serve.h - the seam inside `feast serve` (issue 13): what the daemon (event
 * loops, listeners, TLS, limits, auth, metrics, logs, config) offers the
 * protocols it carries, and what a protocol (HTTP/1.1 over llhttp, gRPC over
 * nghttp2) must provide.
 *
 * Model: N worker threads, each with one epoll loop that owns its
 * connections (SO_REUSEPORT listeners, so the kernel spreads accepts). A
 * connection is read, handled and written on its loop's thread only, so a
 * protocol's per-connection state needs no lock. Unary calls are answered
 * synchronously inside `recv`; long work (ingestion, historical retrieval,
 * stream consumers) runs as jobs on threads of their own (serve_jobs) and is
 * polled by the client, as Feast 0.9's Job service was.
 *
 * Per-thread: each worker has a serve_worker with an arena that is reset
 * after every request (h2o's per-request pools), so request handlers
 * allocate from it and free nothing.
 */
#ifndef FEAST_SERVE_SERVE_H
#define FEAST_SERVE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "feast/store.h"

typedef struct serve_ctx serve_ctx;       /* the daemon: one per process */
typedef struct serve_worker serve_worker; /* one loop thread */
typedef struct serve_conn serve_conn;     /* one accepted connection */
typedef struct serve_jobs serve_jobs;     /* the Job service's jobs (src/serve/jobs.c) */

/* ---- settings: the `serve:` section of feature_store.yaml (docs/serve.md) ---- */

typedef enum serve_access { SERVE_READ = 1, SERVE_WRITE = 2 } serve_access;

typedef struct serve_token {
  char *token;     /* the secret; never logged, never echoed */
  char *name;      /* for logs and metrics: "token 2" when not given */
  char **projects; /* NULL-terminated; NULL = every project */
  unsigned access; /* SERVE_READ | SERVE_WRITE */
} serve_token;

typedef struct serve_limits {
  size_t max_request_bytes;    /* a request body or gRPC message; past it 413 / RESOURCE_EXHAUSTED */
  size_t max_entity_rows;      /* entity rows per online request; past it 400 / INVALID_ARGUMENT */
  size_t max_features;         /* feature references per online request */
  int read_timeout_ms;         /* a request must arrive whole within this once begun */
  int idle_timeout_ms;         /* an idle keep-alive connection is closed after this */
  size_t max_connections;      /* per daemon; past it accept-and-refuse fast (503 / RESOURCE_EXHAUSTED) */
  size_t max_streams;          /* concurrent gRPC streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS) */
  size_t max_pending_bytes;    /* queued output per connection before reading from it pauses */
} serve_limits;

typedef struct serve_config {
  int grpc_port;        /* 0 = off; Feast 0.9's Serving default 6566 */
  int http_port;        /* 0 = off; default 6567 */
  int core_port;        /* extra gRPC listeners for a 0.9 deployment's URLs (6565, 6568); 0 = none */
  int job_service_port;
  char *host;           /* listen address; default "127.0.0.1" */
  int threads;          /* worker loops; 0 = number of CPUs */
  char *tls_cert;       /* PEM paths; both or neither */
  char *tls_key;
  serve_token *tokens;  /* n_tokens entries; none = unauthenticated (loopback only unless allow_unauthenticated) */
  size_t n_tokens;
  char *tokens_file;    /* more tokens, read by the daemon at start and on SIGHUP (not by every config load) */
  bool allow_unauthenticated;
  bool access_log;
  char *log_level;      /* "debug", "info" (default), "warn", "error" */
  int registry_refresh_ms; /* default 500: a spec applied elsewhere is served within a second */
  serve_limits limits;
} serve_config;

/* ---- the daemon's shared state, read by every protocol ---- */

typedef struct serve_metrics serve_metrics;

struct serve_ctx {
  feast_store *store;        /* thread-safe; online reads, ingestion, retrieval */
  const serve_config *cfg;   /* swapped by SIGHUP: read it through serve_ctx_config */
  serve_metrics *metrics;
  serve_jobs *jobs;          /* owned by the gRPC side (jobs.c); NULL until started */
  const char *config_path;   /* the feature_store.yaml in use (for jobs that open their own handles) */
};

/* The settings in force (an atomic load: SIGHUP swaps ctx->cfg while the
 * loops run). A configuration once in force stays valid until the daemon
 * exits, so a request may keep the pointer it started with. */
const serve_config *serve_ctx_config(const serve_ctx *ctx);

/* ---- auth (serve_auth.c) ---- */

typedef enum serve_auth_result {
  SERVE_AUTH_OK = 0,
  SERVE_AUTH_UNAUTHENTICATED, /* no token, or an unknown one: 401 / UNAUTHENTICATED */
  SERVE_AUTH_DENIED,          /* a known token without the project or access: 403 / PERMISSION_DENIED */
} serve_auth_result;

/* `bearer` is the credential as sent (the value after "Bearer ", NUL-
 * terminated) or NULL; `project` NULL means "any project" (Core calls that
 * are not about one project). */
serve_auth_result serve_authorize(const serve_ctx *ctx, const char *bearer, const char *project,
                                  serve_access need);

/* ---- metrics (serve_metrics.c): lock-free counters, Prometheus text at /metrics ---- */

typedef int serve_endpoint; /* an id from serve_metrics_endpoint */

/* At start-up (before the loops run): an id for a (protocol, name) pair,
 * e.g. ("grpc", "/feast.serving.ServingService/GetOnlineFeaturesV2"). */
serve_endpoint serve_metrics_endpoint(serve_metrics *m, const char *protocol, const char *name);
/* One finished request: `code` is the HTTP status or the gRPC status code. */
void serve_metrics_observe(serve_metrics *m, serve_endpoint ep, int code, bool error, uint64_t latency_ns,
                           uint64_t rows_served);
void serve_metrics_online_store_error(serve_metrics *m);

/* ---- logs (serve_log.c): one JSON object per line on stderr ---- */

typedef enum serve_log_level { SERVE_LOG_DEBUG, SERVE_LOG_INFO, SERVE_LOG_WARN, SERVE_LOG_ERROR } serve_log_level;

/* {"ts":..,"level":..,"event":event,"msg":<formatted>} */
void serve_log(const serve_ctx *ctx, serve_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The access log line (when cfg->access_log): protocol, method or path, status, latency, peer. */
void serve_access_log(const serve_ctx *ctx, const serve_conn *c, const char *protocol, const char *what, int code,
                      uint64_t latency_ns);

/* ---- connections (serve_loop.c) ---- */

/* Queue bytes for the peer, copied. 0, or -1 when the connection is
 * failing (the protocol should stop producing). */
int serve_conn_write(serve_conn *c, const void *data, size_t len);
/* Queue bytes by reference: `done(arg)` runs once they are written or the
 * connection closes (gRPC DATA frames of large answers go out this way). */
int serve_conn_write_ref(serve_conn *c, const void *data, size_t len, void (*done)(void *arg), void *arg);
/* Bytes queued and not yet written: a protocol stops producing past
 * cfg->limits.max_pending_bytes and the loop stops reading. */
size_t serve_conn_pending(const serve_conn *c);
/* Ask the loop to call the protocol's `send` again (more output ready). */
void serve_conn_want_send(serve_conn *c);
/* Close after what is queued has been written. */
void serve_conn_close_after_write(serve_conn *c);

serve_worker *serve_conn_worker(const serve_conn *c);
const serve_ctx *serve_conn_ctx(const serve_conn *c);
const char *serve_conn_peer(const serve_conn *c); /* "127.0.0.1:54321" */
bool serve_conn_is_tls(const serve_conn *c);
/* Which listener accepted it: the gRPC services a port carries (all three
 * on grpc_port; only Core on core_port, only JobService on job_service_port). */
typedef enum serve_port_kind { SERVE_PORT_GRPC, SERVE_PORT_CORE, SERVE_PORT_JOBS, SERVE_PORT_HTTP } serve_port_kind;
serve_port_kind serve_conn_port_kind(const serve_conn *c);

/* The worker's arena, reset by the loop after each call to recv/send. */
feast_arena *serve_worker_arena(serve_worker *w);
int serve_worker_index(const serve_worker *w);
/* Monotonic clock in ns (the loop's cached time of this wake-up). */
uint64_t serve_worker_now_ns(const serve_worker *w);

/* ---- jobs (jobs.c, the gRPC side), started and stopped by the daemon ---- */

/* Before the loops start; sets nothing in ctx (the daemon stores it in ctx->jobs). */
serve_jobs *serve_jobs_new(serve_ctx *ctx, feast_error *err);
/* SIGTERM: stop stream consumers (their batch in hand committed), let batch
 * jobs end or cancel them as docs/serve.md says; returns when all are done. */
void serve_jobs_shutdown(serve_jobs *j);
void serve_jobs_free(serve_jobs *j); /* accepts NULL */
/* Prometheus text for /metrics: stream-ingestion counters and lag per table
 * and partition or shard, jobs by state. Appends to `out`. */
struct feast_buf;
void serve_jobs_write_metrics(serve_jobs *j, struct feast_buf *out);

/* ---- a protocol (serve_http.c: "http"; grpc_h2.c: "grpc") ---- */

typedef struct serve_protocol {
  const char *name;
  /* A new connection (after TLS and ALPN). *state is the protocol's own. 0, or -1 to close. */
  int (*open)(serve_conn *c, void **state);
  /* Plaintext bytes from the peer; handle whole requests inside. 0, or -1 to close at once. */
  int (*recv)(void *state, const uint8_t *data, size_t len);
  /* The socket can take more: produce output with serve_conn_write*. 0, or -1 to close. */
  int (*send)(void *state);
  /* Output the protocol still holds back (not yet given to serve_conn_write*). */
  bool (*want_send)(void *state);
  /* Graceful shutdown begins: stop taking new requests (GOAWAY, Connection: close),
   * finish those in flight. The loop closes the connection once it is idle. */
  void (*drain)(void *state);
  /* True when no request is in flight (drain may close it now; idle timeout applies). */
  bool (*idle)(void *state);
  /* The connection is gone: free the state. */
  void (*close)(void *state);
} serve_protocol;

extern const serve_protocol serve_protocol_http;
extern const serve_protocol serve_protocol_grpc;

#endif
