/*
 * serve_internal.h - what the daemon's own files share (serve_loop.c,
 * serve_config.c, serve_metrics.c, serve_http.c, cmd_serve.c) beyond the
 * seam in serve.h: the configuration's life cycle, the metrics object and
 * starting/stopping the daemon.
 */
#ifndef FEAST_SERVE_INTERNAL_H
#define FEAST_SERVE_INTERNAL_H

#include "base/buf.h"
#include "feast/config.h"
#include "serve/serve.h"

/* ---- configuration (serve_config.c) ---- */

/* Every default (docs/serve.md); strings are owned (serve_config_free). */
feast_code serve_config_defaults(serve_config *c, feast_error *err);
/* A deep copy of `src`; the caller frees it with serve_config_free. */
serve_config *serve_config_clone(const serve_config *src, feast_error *err);
void serve_config_free(serve_config *c); /* frees the struct too; accepts NULL */
/* Append the tokens of cfg->tokens_file (when set): at start and on SIGHUP. */
feast_code serve_config_load_tokens_file(serve_config *c, feast_error *err);
/* Checks across keys (TLS cert and key together, ports distinct, the
 * loopback rule for unauthenticated mode). */
feast_code serve_config_check(const serve_config *c, feast_error *err);
/* Parse a `serve:` mapping given as YAML text (the unit test and the fuzz
 * target; feature_store.yaml goes through feast_config_load). */
feast_code serve_config_parse_text(const char *text, size_t len, const char *dir, serve_config **out,
                                   feast_error *err);
/* True when `host` is a loopback address (127.0.0.0/8, ::1, localhost). */
bool serve_host_is_loopback(const char *host);
const char *serve_access_name(unsigned access); /* "read", "write", "read_write" */

/* ---- metrics (serve_metrics.c) ---- */

serve_metrics *serve_metrics_new(void);
void serve_metrics_free(serve_metrics *m);
/* Prometheus text exposition of every counter. */
feast_code serve_metrics_write(serve_metrics *m, feast_buf *out, feast_error *err);
/* Gauges the loop keeps: open connections, refused connections. */
void serve_metrics_connections(serve_metrics *m, int delta);
void serve_metrics_refused(serve_metrics *m);
void serve_metrics_set_registry_revision(serve_metrics *m, int64_t rev);
void serve_metrics_reload(serve_metrics *m, bool ok);

/* ---- logs (serve_log.c) ---- */

/* Before a ctx exists (start-up failures): same format. */
void serve_log_raw(serve_log_level min, serve_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
serve_log_level serve_log_level_of(const char *name);

/* ---- the daemon (serve_loop.c) ---- */

typedef struct serve_daemon serve_daemon;

/* Bind every listener, start the worker threads. `cfg` is taken (freed by
 * serve_daemon_free); `config_path` is what SIGHUP reloads. */
feast_code serve_daemon_start(feast_store *store, serve_config *cfg, const char *config_path,
                              const serve_protocol *grpc, serve_daemon **out, feast_error *err);
/* Block until SIGTERM/SIGINT (drain, then return 0); SIGHUP reloads. The
 * calling thread must have blocked those signals before
 * serve_daemon_start (serve_block_signals). */
int serve_daemon_wait(serve_daemon *d);
/* Ask the daemon to stop (as SIGTERM does). */
void serve_daemon_stop(serve_daemon *d);
void serve_daemon_free(serve_daemon *d);
void serve_block_signals(void);
serve_ctx *serve_daemon_ctx(serve_daemon *d);

/* ---- connections on no socket (fuzz/serve_http_fuzz.c, tests) ---- */

/* A connection of `kind` whose output is only queued; `store` and `cfg`
 * stay the caller's. NULL when out of memory. */
serve_conn *serve_test_conn_new(feast_store *store, serve_config *cfg, serve_port_kind kind);
/* The same with the protocol gRPC ports hand their connections to (after
 * the loop's h2c preface check). */
serve_conn *serve_test_conn_new_proto(feast_store *store, serve_config *cfg, serve_port_kind kind,
                                      const serve_protocol *grpc);
/* Bytes from the "peer"; the answers are appended to `out` (may be NULL).
 * 0, or -1 when the daemon would close the connection now. */
int serve_test_conn_feed(serve_conn *c, const uint8_t *data, size_t len, feast_buf *out);
void serve_test_conn_free(serve_conn *c); /* accepts NULL */

/* ---- HTTP (serve_http.c) ---- */

/* Register the HTTP endpoints' metric ids (before the loops start). */
void serve_http_init(serve_ctx *ctx);

#endif
