/*
 * http_evhttp_server.c - the libevent candidate for feast serve's HTTP
 * layer: Debian's libevent 2.1 evhttp, one event_base and evhttp per worker
 * thread, each with its own SO_REUSEPORT listening socket.
 *
 * POST /get-online-features answers the fixed JSON document (added to the
 * output buffer by reference, no copy); GET /health answers "ok"; anything
 * else 404. evhttp reads the whole body before the callback, refusing
 * bodies past evhttp_set_max_body_size with 413. evhttp has no graceful
 * shutdown of its own: on SIGTERM the listener closes and the loop ends;
 * evhttp_free then drops every connection, in flight or idle.
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "base/alloc.h"
#include "bench_common.h"

static struct bench_options options;
static char *json_body;
static size_t json_len;

struct worker {
  struct event_base *base;
  struct evhttp *http;
  struct evhttp_bound_socket *bound;
  struct event *stop_timer;
  int listen_fd;
  pthread_t thread;
};

static void reply_static(struct evhttp_request *req, const char *content_type, const char *body, size_t len) {
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", content_type);
  evbuffer_add_reference(evhttp_request_get_output_buffer(req), body, len, NULL, NULL);
  evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

static void on_features(struct evhttp_request *req, void *arg) {
  (void)arg;
  if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
    evhttp_send_error(req, HTTP_NOTFOUND, NULL);
    return;
  }
  /* The body is in evhttp_request_get_input_buffer(req), read in full. */
  reply_static(req, "application/json", json_body, json_len);
}

static void on_health(struct evhttp_request *req, void *arg) {
  (void)arg;
  reply_static(req, "text/plain", "ok", 2);
}

static void on_other(struct evhttp_request *req, void *arg) {
  (void)arg;
  evhttp_send_error(req, HTTP_NOTFOUND, NULL);
}

static void on_stop_timer(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  struct worker *w = arg;
  if (!bench_stop_requested) return;
  if (w->bound) {
    evhttp_del_accept_socket(w->http, w->bound);
    w->bound = NULL;
  }
  event_base_loopexit(w->base, NULL);
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  event_base_dispatch(w->base);
  evhttp_free(w->http);
  event_free(w->stop_timer);
  event_base_free(w->base);
  return NULL;
}

int main(int argc, char **argv) {
  if (bench_parse_options(argc, argv, &options) != 0) return 2;
  if (options.echo) {
    fprintf(stderr, "http_evhttp_server: --echo is for the gRPC servers\n");
    return 2;
  }
  if (bench_load_file(options.response, &json_body, &json_len) != 0) return 1;
  bench_install_stop();
  struct worker *workers = feast_calloc((size_t)options.threads, sizeof *workers);
  if (!workers) return 1;
  for (int i = 0; i < options.threads; i++) {
    struct worker *w = &workers[i];
    w->listen_fd = bench_listen(options.port);
    w->base = event_base_new();
    w->http = w->base ? evhttp_new(w->base) : NULL;
    if (w->listen_fd < 0 || !w->http) return 1;
    evhttp_set_max_body_size(w->http, (ev_ssize_t)options.max_request);
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_timeout(w->http, 60);
    evhttp_set_cb(w->http, "/get-online-features", on_features, NULL);
    evhttp_set_cb(w->http, "/health", on_health, NULL);
    evhttp_set_gencb(w->http, on_other, NULL);
    w->bound = evhttp_accept_socket_with_handle(w->http, w->listen_fd);
    w->stop_timer = event_new(w->base, -1, EV_PERSIST, on_stop_timer, w);
    struct timeval every = {0, 200 * 1000};
    if (!w->bound || !w->stop_timer || event_add(w->stop_timer, &every) != 0) return 1;
  }
  for (int i = 0; i < options.threads; i++) pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
  fprintf(stderr, "http_evhttp_server: 127.0.0.1:%d, %d thread(s), %s\n", options.port, options.threads,
          options.response);
  for (int i = 0; i < options.threads; i++) pthread_join(workers[i].thread, NULL);
  feast_free(workers);
  feast_free(json_body);
  return 0;
}
