/*
 * http_h2o_server.c - the libh2o candidate for feast serve's HTTP layer:
 * Debian's libh2o-evloop (h2o 2.2, its own event loop), one h2o context and
 * loop per worker thread over one shared configuration, each thread with
 * its own SO_REUSEPORT listening socket.
 *
 * POST /get-online-features answers the fixed JSON document (sent from
 * static memory, no copy); GET /health answers "ok"; other paths 404. h2o
 * buffers the whole request body before the handler runs, up to
 * max_request_entity_size (past it h2o answers 413 itself). SIGTERM: h2o's
 * own graceful shutdown (h2o_context_request_shutdown), then the loop runs
 * until the connections are gone or DRAIN_SECONDS pass.
 */
#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "bench_common.h"

#define DRAIN_SECONDS 5

static struct bench_options options;
static char *json_body;
static size_t json_len;
static h2o_globalconf_t config;

struct worker {
  h2o_context_t ctx;
  h2o_accept_ctx_t accept_ctx;
  int listen_fd;
  pthread_t thread;
};

/* The body is static for the life of the process, so the generator needs no
 * proceed/stop: the one h2o_send is final. */
static h2o_generator_t static_generator = {NULL, NULL};

static void send_static(h2o_req_t *req, const char *content_type, size_t ct_len, const char *body, size_t len) {
  req->res.status = 200;
  req->res.reason = "OK";
  req->res.content_length = len;
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, ct_len);
  h2o_start_response(req, &static_generator);
  h2o_iovec_t buf = h2o_iovec_init(body, len);
  h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
}

static int on_features(h2o_handler_t *self, h2o_req_t *req) {
  (void)self;
  if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"))) return -1; /* -1: h2o says 404 */
  /* req->entity holds the whole body here (buffered by h2o). */
  send_static(req, H2O_STRLIT("application/json"), json_body, json_len);
  return 0;
}

static int on_health(h2o_handler_t *self, h2o_req_t *req) {
  (void)self;
  send_static(req, H2O_STRLIT("text/plain"), "ok", 2);
  return 0;
}

static void register_handler(h2o_hostconf_t *host, const char *path, int (*on_req)(h2o_handler_t *, h2o_req_t *)) {
  h2o_pathconf_t *pathconf = h2o_config_register_path(host, path, 0);
  h2o_handler_t *handler = h2o_create_handler(pathconf, sizeof *handler);
  handler->on_req = on_req;
}

static void on_accept(h2o_socket_t *listener, const char *err) {
  if (err) return;
  struct worker *w = listener->data;
  h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
  if (sock) h2o_accept(&w->accept_ctx, sock);
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  h2o_context_init(&w->ctx, h2o_evloop_create(), &config);
  w->accept_ctx.ctx = &w->ctx;
  w->accept_ctx.hosts = config.hosts;
  h2o_socket_t *listener = h2o_evloop_socket_create(w->ctx.loop, w->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
  listener->data = w;
  h2o_socket_read_start(listener, on_accept);
  time_t drain_deadline = 0;
  for (;;) {
    if (bench_stop_requested && !drain_deadline) {
      h2o_socket_read_stop(listener);
      h2o_socket_close(listener);
      h2o_context_request_shutdown(&w->ctx);
      drain_deadline = time(NULL) + DRAIN_SECONDS;
    }
    if (drain_deadline && time(NULL) > drain_deadline) break;
    if (drain_deadline && w->ctx.http1._conns.next == &w->ctx.http1._conns &&
        w->ctx.http2._conns.next == &w->ctx.http2._conns)
      break;
    if (h2o_evloop_run(w->ctx.loop, 200) != 0) break;
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (bench_parse_options(argc, argv, &options) != 0) return 2;
  if (options.echo) {
    fprintf(stderr, "http_h2o_server: --echo is for the gRPC servers\n");
    return 2;
  }
  if (bench_load_file(options.response, &json_body, &json_len) != 0) return 1;
  h2o_config_init(&config);
  config.max_request_entity_size = options.max_request;
  h2o_hostconf_t *host = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  register_handler(host, "/get-online-features", on_features);
  register_handler(host, "/health", on_health);
  bench_install_stop();
  struct worker *workers = feast_calloc((size_t)options.threads, sizeof *workers);
  if (!workers) return 1;
  for (int i = 0; i < options.threads; i++) {
    workers[i].listen_fd = bench_listen(options.port);
    if (workers[i].listen_fd < 0) return 1;
  }
  for (int i = 0; i < options.threads; i++) pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
  fprintf(stderr, "http_h2o_server: 127.0.0.1:%d, %d thread(s), %s\n", options.port, options.threads,
          options.response);
  for (int i = 0; i < options.threads; i++) pthread_join(workers[i].thread, NULL);
  feast_free(workers);
  feast_free(json_body);
  return 0;
}
