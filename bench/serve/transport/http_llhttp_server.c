/*
 * http_llhttp_server.c - the "parser + our own loop" candidate for feast
 * serve's HTTP layer: llhttp (Node's HTTP/1.1 parser, the C sources Debian
 * ships in node-llhttp) under one epoll loop per worker thread, each with
 * its own SO_REUSEPORT listening socket.
 *
 * POST /get-online-features answers the fixed JSON document after the whole
 * body was parsed (and counted, not kept); GET /health answers "ok";
 * anything else 404, a body past --max-request 413 and close, a parse error
 * 400 and close. Keep-alive and pipelining as HTTP/1.1 says: responses are
 * queued in request order as iovecs pointing at static bytes and leave in
 * one writev. When the queue is full the parser pauses and the socket is
 * not read until the client has taken its answers (bounded memory per
 * connection). SIGTERM: stop accepting, finish what is queued, close.
 */
#include <errno.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "bench_common.h"

#define QUEUE_MAX 64 /* responses queued per connection before the parser pauses */
#define IN_BUF 65536
#define URL_MAX 256
#define DRAIN_SECONDS 5

static struct bench_options options;
static char *json_body;
static size_t json_len;
static char ok_head[160];
static size_t ok_head_len;

static const char health_resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
static const char not_found_resp[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
static const char too_big_resp[] = "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
static const char bad_resp[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

struct conn {
  int fd;
  llhttp_t parser;
  char url[URL_MAX];
  size_t url_len;
  size_t body_len;
  int close_after; /* close once the queue is written */
  char in[IN_BUF]; /* bytes read but not parsed yet (the parser paused) */
  size_t in_off, in_len;
  struct iovec queue[2 * QUEUE_MAX]; /* response pieces, in order */
  int queue_len, queue_head, responses;
  int want_out;
  struct conn *prev, *next;
};

struct worker {
  int epfd, listen_fd;
  struct conn *conns;
  pthread_t thread;
};

static llhttp_settings_t settings;

static void queue_piece(struct conn *c, const void *p, size_t n) {
  c->queue[c->queue_len].iov_base = (void *)p;
  c->queue[c->queue_len].iov_len = n;
  c->queue_len++;
}

static int on_message_begin(llhttp_t *p) {
  struct conn *c = p->data;
  c->url_len = 0;
  c->body_len = 0;
  return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len) {
  struct conn *c = p->data;
  if (c->url_len + len >= URL_MAX) len = URL_MAX - 1 - c->url_len; /* long URLs are 404s anyway */
  memcpy(c->url + c->url_len, at, len);
  c->url_len += len;
  return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len) {
  (void)at;
  struct conn *c = p->data;
  c->body_len += len;
  if (c->body_len > options.max_request) {
    queue_piece(c, too_big_resp, sizeof too_big_resp - 1);
    c->responses++;
    c->close_after = 1;
    return HPE_USER; /* stop parsing this connection */
  }
  return 0;
}

static int url_is(const struct conn *c, const char *want) {
  size_t n = strlen(want);
  return c->url_len == n && memcmp(c->url, want, n) == 0;
}

static int on_message_complete(llhttp_t *p) {
  struct conn *c = p->data;
  uint8_t method = llhttp_get_method(p);
  if (method == HTTP_POST && url_is(c, "/get-online-features")) {
    queue_piece(c, ok_head, ok_head_len);
    queue_piece(c, json_body, json_len);
  } else if (method == HTTP_GET && url_is(c, "/health")) {
    queue_piece(c, health_resp, sizeof health_resp - 1);
  } else {
    queue_piece(c, not_found_resp, sizeof not_found_resp - 1);
  }
  c->responses++;
  if (!llhttp_should_keep_alive(p)) {
    c->close_after = 1;
    return HPE_USER;
  }
  return c->responses >= QUEUE_MAX ? HPE_PAUSED : 0;
}

/* Parses what is buffered; stops early when the queue fills (paused).
 * -1: stop reading this connection (error, close requested). */
static int conn_parse(struct conn *c) {
  if (c->in_off == c->in_len || c->close_after) return c->close_after ? -1 : 0;
  const char *start = c->in + c->in_off;
  llhttp_errno_t err = llhttp_execute(&c->parser, start, c->in_len - c->in_off);
  if (err == HPE_OK) {
    c->in_off = c->in_len = 0;
    return 0;
  }
  if (err == HPE_PAUSED) {
    c->in_off += (size_t)(llhttp_get_error_pos(&c->parser) - start);
    llhttp_resume(&c->parser);
    return 0;
  }
  if (!c->close_after) {
    queue_piece(c, bad_resp, sizeof bad_resp - 1);
    c->responses++;
    c->close_after = 1;
  }
  return -1;
}

static void conn_free(struct worker *w, struct conn *c) {
  epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  if (c->prev) c->prev->next = c->next;
  else w->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  feast_free(c);
}

/* Writes the queue; -1 when the connection should close now. */
static int conn_flush(struct worker *w, struct conn *c) {
  while (c->queue_head < c->queue_len) {
    int cnt = c->queue_len - c->queue_head;
    ssize_t n = writev(c->fd, c->queue + c->queue_head, cnt);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return -1;
    }
    size_t left = (size_t)n;
    while (left && c->queue_head < c->queue_len) {
      struct iovec *v = &c->queue[c->queue_head];
      if (left >= v->iov_len) {
        left -= v->iov_len;
        c->queue_head++;
      } else {
        v->iov_base = (char *)v->iov_base + left;
        v->iov_len -= left;
        left = 0;
      }
    }
  }
  int drained = c->queue_head == c->queue_len;
  if (drained) {
    c->queue_head = c->queue_len = c->responses = 0;
    if (c->close_after) return -1;
  }
  int want_out = !drained;
  if (want_out != c->want_out) {
    struct epoll_event ev = {.events = want_out ? EPOLLOUT : EPOLLIN, .data.ptr = c};
    epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want_out;
  }
  return 0;
}

/* Reads and parses until the socket is dry or the queue is full. */
static int conn_read(struct conn *c) {
  for (;;) {
    if (conn_parse(c) != 0) return 0; /* close_after is set: flush then close */
    if (c->in_off != c->in_len) return 0; /* paused: wait for the queue to drain */
    ssize_t n = read(c->fd, c->in, IN_BUF);
    if (n == 0) return -1;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) continue;
      return -1;
    }
    c->in_off = 0;
    c->in_len = (size_t)n;
  }
}

static void accept_all(struct worker *w) {
  for (;;) {
    int fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn *c = feast_calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      continue;
    }
    c->fd = fd;
    llhttp_init(&c->parser, HTTP_REQUEST, &settings);
    c->parser.data = c;
    c->next = w->conns;
    if (w->conns) w->conns->prev = c;
    w->conns = c;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
  }
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->listen_fd, &lev);
  time_t drain_deadline = 0;
  for (;;) {
    if (bench_stop_requested && !drain_deadline) {
      epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->listen_fd, NULL);
      close(w->listen_fd);
      drain_deadline = time(NULL) + DRAIN_SECONDS;
      /* Idle keep-alive connections go now; busy ones after their answers. */
      for (struct conn *c = w->conns, *next; c; c = next) {
        next = c->next;
        c->close_after = 1;
        if (c->queue_len == 0) conn_free(w, c);
      }
    }
    if (drain_deadline && (!w->conns || time(NULL) > drain_deadline)) break;
    struct epoll_event events[64];
    int n = epoll_wait(w->epfd, events, 64, 200);
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (!c) {
        accept_all(w);
        continue;
      }
      int bad = 0;
      if (!c->want_out && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) bad = conn_read(c) != 0;
      if (!bad) bad = conn_flush(w, c) != 0;
      /* The queue drained after a pause: parse what is still buffered (no
       * EPOLLIN will come for bytes already read). */
      while (!bad && !c->want_out && c->in_off != c->in_len) {
        bad = conn_read(c) != 0;
        if (!bad) bad = conn_flush(w, c) != 0;
      }
      if (bad) conn_free(w, c);
    }
  }
  while (w->conns) conn_free(w, w->conns);
  return NULL;
}

int main(int argc, char **argv) {
  if (bench_parse_options(argc, argv, &options) != 0) return 2;
  if (options.echo) {
    fprintf(stderr, "http_llhttp_server: --echo is for the gRPC servers\n");
    return 2;
  }
  if (bench_load_file(options.response, &json_body, &json_len) != 0) return 1;
  ok_head_len = (size_t)snprintf(ok_head, sizeof ok_head,
                                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                                 json_len);
  llhttp_settings_init(&settings);
  settings.on_message_begin = on_message_begin;
  settings.on_url = on_url;
  settings.on_body = on_body;
  settings.on_message_complete = on_message_complete;
  bench_install_stop();
  struct worker *workers = feast_calloc((size_t)options.threads, sizeof *workers);
  if (!workers) return 1;
  for (int i = 0; i < options.threads; i++) {
    workers[i].listen_fd = bench_listen(options.port);
    workers[i].epfd = epoll_create1(EPOLL_CLOEXEC);
    if (workers[i].listen_fd < 0 || workers[i].epfd < 0) return 1;
  }
  for (int i = 0; i < options.threads; i++) pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
  fprintf(stderr, "http_llhttp_server: 127.0.0.1:%d, %d thread(s), %s\n", options.port, options.threads,
          options.response);
  for (int i = 0; i < options.threads; i++) {
    pthread_join(workers[i].thread, NULL);
    close(workers[i].epfd);
  }
  feast_free(workers);
  feast_free(json_body);
  return 0;
}
