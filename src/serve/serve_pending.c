/*
 * serve_pending.c - weak stand-ins for the daemon's side of serve.h
 * (serve_loop.c, serve_auth.c, serve_metrics.c, serve_log.c on branch
 * `serve`), so libfeast.so links on the grpc branch before that code is
 * merged. The daemon's definitions replace these; delete this file at the
 * merge. Nothing here is reached at run time: without the daemon there is
 * no serve_conn.
 */
#include "serve/serve.h"

#define WEAK __attribute__((weak))

WEAK int serve_conn_write(serve_conn *c, const void *d, size_t n) { (void)c, (void)d, (void)n; return -1; }
WEAK int serve_conn_write_ref(serve_conn *c, const void *d, size_t n, void (*done)(void *), void *arg) {
  (void)c, (void)d, (void)n;
  done(arg);
  return -1;
}
WEAK size_t serve_conn_pending(const serve_conn *c) { (void)c; return 0; }
WEAK void serve_conn_want_send(serve_conn *c) { (void)c; }
WEAK void serve_conn_close_after_write(serve_conn *c) { (void)c; }
WEAK serve_worker *serve_conn_worker(const serve_conn *c) { (void)c; return NULL; }
WEAK const serve_ctx *serve_conn_ctx(const serve_conn *c) { (void)c; return NULL; }
WEAK serve_port_kind serve_conn_port_kind(const serve_conn *c) { (void)c; return SERVE_PORT_GRPC; }
WEAK feast_arena *serve_worker_arena(serve_worker *w) { (void)w; return NULL; }
WEAK uint64_t serve_worker_now_ns(const serve_worker *w) { (void)w; return 0; }
WEAK serve_auth_result serve_authorize(const serve_ctx *ctx, const char *b, const char *p, serve_access a) {
  (void)ctx, (void)b, (void)p, (void)a;
  return SERVE_AUTH_UNAUTHENTICATED;
}
WEAK serve_endpoint serve_metrics_endpoint(serve_metrics *m, const char *p, const char *n) {
  (void)m, (void)p, (void)n;
  return -1;
}
WEAK void serve_metrics_observe(serve_metrics *m, serve_endpoint ep, int code, bool e, uint64_t l, uint64_t r) {
  (void)m, (void)ep, (void)code, (void)e, (void)l, (void)r;
}
WEAK void serve_metrics_online_store_error(serve_metrics *m) { (void)m; }
WEAK void serve_log(const serve_ctx *ctx, serve_log_level level, const char *event, const char *fmt, ...) {
  (void)ctx, (void)level, (void)event, (void)fmt;
}
WEAK void serve_access_log(const serve_ctx *ctx, const serve_conn *c, const char *p, const char *w, int code,
                           uint64_t l) {
  (void)ctx, (void)c, (void)p, (void)w, (void)code, (void)l;
}
