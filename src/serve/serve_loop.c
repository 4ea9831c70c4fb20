/*
 * serve_loop.c - the daemon's event loops (serve.h's model): one epoll loop
 * per worker thread, each with its own SO_REUSEPORT listener on every port
 * so the kernel spreads accepts; a connection lives on one loop only.
 *
 * Per connection: TLS (OpenSSL, non-blocking, ALPN "h2" on gRPC ports and
 * "http/1.1" on the HTTP port) or plaintext, h2c prior-knowledge detection
 * by the 24-byte preface on gRPC ports, then the protocol's callbacks. Output
 * is a queue of chunks (copies, or references released by a callback),
 * written with writev or SSL_write. Reading pauses while the queue is past
 * limits.max_pending_bytes or the protocol holds output back, so a peer
 * that does not read its answers cannot grow our memory.
 *
 * Limits: max_connections across the daemon (past it a connection is
 * accepted and refused at once: a 503 on HTTP, GOAWAY on h2c), a read
 * timeout while a request is in flight or output is not moving, an idle
 * timeout between requests. Timers are a scan of the loop's connections
 * every 100 ms: cheap at the connection counts the limit allows.
 *
 * Signals are handled by the main thread (serve_daemon_wait, sigwait):
 * SIGTERM/SIGINT drain (listeners close, protocols drain, idle connections
 * close, the rest get DRAIN_MS), SIGHUP reloads the configuration.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "serve/serve_internal.h"

#define READ_BUF (64 * 1024)
#define MAX_LISTEN 4
#define TICK_MS 100
#define DRAIN_MS 10000
#define REFUSE_LINGER_MS 1000
#define COPY_CHUNK 16384
#define MAX_IOV 64

static const char H2_PREFACE[24] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

typedef struct out_chunk {
  struct out_chunk *next;
  const uint8_t *data;
  size_t len, off, cap; /* cap > 0: an owned copy in buf */
  void (*done)(void *arg);
  void *arg;
  uint8_t buf[];
} out_chunk;

typedef enum conn_phase { PHASE_TLS, PHASE_PREFACE, PHASE_OPEN, PHASE_REFUSING } conn_phase;

struct serve_conn {
  serve_worker *w;
  int fd;
  serve_port_kind kind;
  conn_phase phase;
  const serve_protocol *proto;
  void *state;
  SSL *ssl;
  bool ssl_want_write; /* SSL_read needs the socket writable */
  uint8_t pre[24];
  size_t pre_len;
  out_chunk *head, *tail;
  size_t pending;
  bool close_after_write, peer_eof, want_send, draining;
  bool counted; /* holds one of max_connections */
  uint32_t events;
  uint64_t born_ns, last_io_ns, busy_since_ns, last_write_ns;
  char peer[64];
  serve_conn *prev, *next;
};

struct serve_worker {
  serve_daemon *d;
  int index;
  int epfd, evfd;
  int listen_fd[MAX_LISTEN];
  serve_port_kind listen_kind[MAX_LISTEN];
  int n_listen;
  serve_conn *conns;
  feast_arena *arena;
  uint64_t now_ns, last_tick_ns;
  pthread_t thread;
  bool started, draining;
  uint64_t drain_deadline_ns;
  uint8_t rbuf[READ_BUF];
};

struct serve_daemon {
  serve_ctx ctx;
  char *config_path;
  const serve_protocol *grpc;
  serve_worker *workers;
  int n_workers;
  serve_config **retired; /* configurations replaced by SIGHUP, valid until exit */
  size_t n_retired;
  pthread_mutex_t tls_lock;
  SSL_CTX *ssl_ctx; /* under tls_lock (SIGHUP replaces it; SSL_new takes a reference) */
  atomic_bool stopping;
  atomic_bool stop_requested;
  atomic_size_t n_conns;
};

/* ---- small helpers ---- */

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const serve_config *serve_ctx_config(const serve_ctx *ctx) { return __atomic_load_n(&ctx->cfg, __ATOMIC_ACQUIRE); }

serve_worker *serve_conn_worker(const serve_conn *c) { return c->w; }
const serve_ctx *serve_conn_ctx(const serve_conn *c) { return &c->w->d->ctx; }
const char *serve_conn_peer(const serve_conn *c) { return c->peer; }
bool serve_conn_is_tls(const serve_conn *c) { return c->ssl != NULL; }
serve_port_kind serve_conn_port_kind(const serve_conn *c) { return c->kind; }
feast_arena *serve_worker_arena(serve_worker *w) { return w->arena; }
int serve_worker_index(const serve_worker *w) { return w->index; }
uint64_t serve_worker_now_ns(const serve_worker *w) { return w->now_ns; }
serve_ctx *serve_daemon_ctx(serve_daemon *d) { return &d->ctx; }

static const serve_config *conn_cfg(const serve_conn *c) { return serve_ctx_config(&c->w->d->ctx); }

/* ---- output queue ---- */

size_t serve_conn_pending(const serve_conn *c) { return c->pending; }

void serve_conn_want_send(serve_conn *c) { c->want_send = true; }

void serve_conn_close_after_write(serve_conn *c) { c->close_after_write = true; }

int serve_conn_write(serve_conn *c, const void *data, size_t len) {
  if (c->fd < 0) return -1;
  if (!len) return 0;
  const uint8_t *p = data;
  out_chunk *t = c->tail;
  if (t && t->cap && !t->done && t->cap - t->len > 0) {
    size_t room = t->cap - t->len, n = len < room ? len : room;
    memcpy(t->buf + t->len, p, n);
    t->len += n;
    p += n;
    len -= n;
    c->pending += n;
  }
  if (!len) return 0;
  size_t cap = len > COPY_CHUNK ? len : COPY_CHUNK;
  out_chunk *ch = feast_malloc(sizeof *ch + cap);
  if (!ch) return -1;
  memset(ch, 0, sizeof *ch);
  ch->cap = cap;
  ch->data = ch->buf;
  memcpy(ch->buf, p, len);
  ch->len = len;
  if (c->tail) c->tail->next = ch;
  else c->head = ch;
  c->tail = ch;
  c->pending += len;
  return 0;
}

int serve_conn_write_ref(serve_conn *c, const void *data, size_t len, void (*done)(void *arg), void *arg) {
  out_chunk *ch = c->fd >= 0 ? feast_calloc(1, sizeof *ch) : NULL;
  if (!ch) {
    if (done) done(arg);
    return -1;
  }
  ch->data = data;
  ch->len = len;
  ch->done = done;
  ch->arg = arg;
  if (c->tail) c->tail->next = ch;
  else c->head = ch;
  c->tail = ch;
  c->pending += len;
  return 0;
}

static void chunk_release(out_chunk *ch) {
  if (ch->done) ch->done(ch->arg);
  feast_free(ch);
}

/* Pops what was written; true when the queue is empty. */
static void consume(serve_conn *c, size_t n) {
  c->pending -= n;
  while (n && c->head) {
    out_chunk *h = c->head;
    size_t left = h->len - h->off;
    if (n < left) {
      h->off += n;
      return;
    }
    n -= left;
    c->head = h->next;
    if (!c->head) c->tail = NULL;
    chunk_release(h);
  }
  /* Drop fully written empty chunks too (a zero-length reference). */
  while (c->head && c->head->off == c->head->len) {
    out_chunk *h = c->head;
    c->head = h->next;
    if (!c->head) c->tail = NULL;
    chunk_release(h);
  }
}

/* -1: the connection is broken. */
static int flush(serve_conn *c) {
  while (c->head) {
    if (c->head->off == c->head->len) {
      consume(c, 0);
      continue;
    }
    ssize_t n;
    if (c->ssl) {
      out_chunk *h = c->head;
      size_t want = h->len - h->off;
      ERR_clear_error();
      int r = SSL_write(c->ssl, h->data + h->off, (int)(want > (1u << 30) ? (1u << 30) : want));
      if (r <= 0) {
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) return 0;
        return -1;
      }
      n = r;
    } else {
      struct iovec iov[MAX_IOV];
      int cnt = 0;
      for (out_chunk *h = c->head; h && cnt < MAX_IOV; h = h->next) {
        if (h->len == h->off) continue;
        iov[cnt].iov_base = (void *)(h->data + h->off);
        iov[cnt].iov_len = h->len - h->off;
        cnt++;
      }
      struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
      n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -1;
      }
    }
    c->last_write_ns = c->w->now_ns;
    consume(c, (size_t)n);
  }
  return 0;
}

/* ---- connections ---- */

static void conn_free(serve_conn *c) {
  serve_worker *w = c->w;
  if (c->proto && c->state) c->proto->close(c->state);
  c->state = NULL;
  if (c->ssl) SSL_free(c->ssl);
  c->ssl = NULL;
  epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  while (c->head) {
    out_chunk *h = c->head;
    c->head = h->next;
    chunk_release(h);
  }
  if (c->prev) c->prev->next = c->next;
  else w->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  if (c->counted) {
    atomic_fetch_sub(&w->d->n_conns, 1);
    serve_metrics_connections(w->d->ctx.metrics, -1);
  }
  feast_free(c);
}

static bool reading_paused(const serve_conn *c) {
  if (c->peer_eof || c->close_after_write) return c->phase != PHASE_REFUSING;
  if (c->phase != PHASE_OPEN) return false;
  if (c->pending > conn_cfg(c)->limits.max_pending_bytes) return true;
  return c->proto->want_send && c->proto->want_send(c->state);
}

static void update_events(serve_conn *c) {
  uint32_t ev = 0;
  if (!reading_paused(c)) ev |= EPOLLIN;
  if (c->pending || c->ssl_want_write) ev |= EPOLLOUT;
  if (c->phase == PHASE_TLS) ev = c->ssl_want_write ? EPOLLOUT : EPOLLIN;
  if (ev != c->events) {
    struct epoll_event e = {.events = ev, .data.ptr = c};
    epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->fd, &e);
    c->events = ev;
  }
}

static void after_call(serve_conn *c) {
  feast_arena_reset(c->w->arena);
}

static int proto_open(serve_conn *c) {
  c->proto = c->kind == SERVE_PORT_HTTP ? &serve_protocol_http : c->w->d->grpc;
  if (!c->proto) return -1;
  c->phase = PHASE_OPEN;
  int rc = c->proto->open(c, &c->state);
  after_call(c);
  if (rc != 0) {
    c->proto = NULL; /* open failed: nothing to close */
    c->state = NULL;
    return -1;
  }
  if (c->draining && c->proto->drain) c->proto->drain(c->state);
  return 0;
}

static int proto_recv(serve_conn *c, const uint8_t *data, size_t len) {
  int rc = c->proto->recv(c->state, data, len);
  after_call(c);
  return rc;
}

/* Bytes from the peer, before or after the protocol is chosen. -1: close now. */
static int feed(serve_conn *c, const uint8_t *data, size_t len) {
  if (c->phase == PHASE_REFUSING) return 0; /* discarded */
  if (c->phase == PHASE_PREFACE) {
    size_t take = sizeof c->pre - c->pre_len;
    if (take > len) take = len;
    memcpy(c->pre + c->pre_len, data, take);
    c->pre_len += take;
    data += take;
    len -= take;
    if (memcmp(c->pre, H2_PREFACE, c->pre_len) != 0) {
      static const char bad[] =
          "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 61\r\n\r\n"
          "this is a gRPC port: it speaks HTTP/2 (h2c prior knowledge)\r\n";
      serve_conn_write(c, bad, sizeof bad - 1);
      c->close_after_write = true;
      c->phase = PHASE_REFUSING;
      return 0;
    }
    if (c->pre_len < sizeof c->pre) return 0;
    if (proto_open(c) != 0) return -1;
    if (proto_recv(c, c->pre, sizeof c->pre) != 0) return -1;
    if (!len) return 0;
  }
  if (c->phase != PHASE_OPEN) return 0;
  return proto_recv(c, data, len);
}

static int after_tls_handshake(serve_conn *c) {
  if (c->kind == SERVE_PORT_HTTP) return proto_open(c);
  const unsigned char *alpn = NULL;
  unsigned alpn_len = 0;
  SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
  (void)alpn; /* the ALPN callback only accepts h2 on gRPC ports; none given = h2 */
  return proto_open(c);
}

static int tls_handshake(serve_conn *c) {
  ERR_clear_error();
  int r = SSL_accept(c->ssl);
  if (r == 1) {
    c->ssl_want_write = false;
    return after_tls_handshake(c);
  }
  int e = SSL_get_error(c->ssl, r);
  if (e == SSL_ERROR_WANT_READ) {
    c->ssl_want_write = false;
    return 0;
  }
  if (e == SSL_ERROR_WANT_WRITE) {
    c->ssl_want_write = true;
    return 0;
  }
  unsigned long code = ERR_peek_last_error();
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  serve_log(serve_conn_ctx(c), SERVE_LOG_DEBUG, "tls_handshake_failed", "%s: %s", c->peer, code ? buf : "closed");
  return -1;
}

/* Reads until dry (a few rounds at most, for fairness). -1: close now. */
static int conn_read(serve_conn *c) {
  serve_worker *w = c->w;
  for (int round = 0; round < 4 && !reading_paused(c); round++) {
    ssize_t n;
    if (c->ssl) {
      ERR_clear_error();
      int r = SSL_read(c->ssl, w->rbuf, sizeof w->rbuf);
      if (r <= 0) {
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ) return 0;
        if (e == SSL_ERROR_WANT_WRITE) {
          c->ssl_want_write = true;
          return 0;
        }
        if (e == SSL_ERROR_ZERO_RETURN) {
          c->peer_eof = true;
          return 0;
        }
        return -1;
      }
      c->ssl_want_write = false;
      n = r;
    } else {
      n = recv(c->fd, w->rbuf, sizeof w->rbuf, 0);
      if (n == 0) {
        c->peer_eof = true;
        return 0;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -1;
      }
    }
    c->last_io_ns = w->now_ns;
    if (feed(c, w->rbuf, (size_t)n) != 0) return -1;
    if ((size_t)n < sizeof w->rbuf && !c->ssl) return 0;
  }
  return 0;
}

/* Let the protocol produce more once the queue has room. -1: close now. */
static int maybe_send(serve_conn *c) {
  if (c->phase != PHASE_OPEN || !c->proto->send) return 0;
  for (int round = 0; round < 8; round++) {
    bool want = c->want_send || (c->proto->want_send && c->proto->want_send(c->state));
    if (!want || c->pending > conn_cfg(c)->limits.max_pending_bytes) return 0;
    c->want_send = false;
    size_t before = c->pending;
    int rc = c->proto->send(c->state);
    after_call(c);
    if (rc != 0) return -1;
    if (flush(c) != 0) return -1;
    if (c->pending == before && !c->want_send) return 0;
  }
  return 0;
}

static bool proto_idle(const serve_conn *c) {
  return c->phase != PHASE_OPEN || !c->proto->idle || c->proto->idle(c->state);
}

/* Whether the connection is finished: nothing more will be sent. */
static bool conn_done(serve_conn *c) {
  if (c->pending) return false;
  if (c->close_after_write) return true;
  if (c->phase == PHASE_OPEN && c->peer_eof) {
    bool more = c->want_send || (c->proto->want_send && c->proto->want_send(c->state));
    return !more;
  }
  if (c->peer_eof) return true;
  if (c->draining && proto_idle(c)) return true;
  return false;
}

static void conn_event(serve_conn *c, uint32_t events) {
  int bad = 0;
  if (c->phase == PHASE_TLS) {
    bad = tls_handshake(c);
    if (!bad && c->phase == PHASE_TLS) {
      update_events(c);
      return;
    }
  }
  if (!bad && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !reading_paused(c)) bad = conn_read(c);
  if (!bad && c->ssl_want_write && (events & EPOLLOUT)) {
    c->ssl_want_write = false;
    bad = conn_read(c);
  }
  if (!bad) bad = flush(c);
  if (!bad) bad = maybe_send(c);
  /* A paused read that is now allowed: bytes may wait in the socket (level
   * triggered epoll reports them again) or in the protocol (maybe_send). */
  if (!bad && c->phase == PHASE_OPEN) {
    if (proto_idle(c)) c->busy_since_ns = 0;
    else if (!c->busy_since_ns) c->busy_since_ns = c->w->now_ns;
  }
  if (bad || conn_done(c)) {
    if (!bad && c->phase == PHASE_REFUSING) {
      /* Refused: let the answer reach the peer before the socket goes. */
      shutdown(c->fd, SHUT_WR);
      if (!c->peer_eof) {
        update_events(c);
        c->close_after_write = false;
        c->peer_eof = false;
        return;
      }
    }
    conn_free(c);
    return;
  }
  if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN) && !c->pending) {
    conn_free(c);
    return;
  }
  update_events(c);
}

static void peer_name(int fd, char *out, size_t size) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
    if (ss.ss_family == AF_INET) {
      struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
      inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
      port = ntohs(s4->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
      inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
      port = ntohs(s6->sin6_port);
    }
  }
  snprintf(out, size, ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, port);
}

/* Past max_connections: answer at once and close (bounded: a refused
 * connection holds no protocol state and lingers at most REFUSE_LINGER_MS). */
static void refuse(serve_worker *w, int fd, serve_port_kind kind, bool tls, size_t refusing) {
  serve_metrics_refused(w->d->ctx.metrics);
  static const char busy_http[] =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nRetry-After: 1\r\n"
      "Content-Length: 63\r\n\r\n{\"error\":\"too many connections: try again later\",\"code\":503}\r\n";
  /* h2c: an empty SETTINGS then GOAWAY(last stream 0, ENHANCE_YOUR_CALM). */
  static const uint8_t busy_h2[] = {0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b};
  if (tls || refusing > 4096) {
    close(fd);
    return;
  }
  serve_conn *c = feast_calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    return;
  }
  c->w = w;
  c->fd = fd;
  c->kind = kind;
  c->phase = PHASE_REFUSING;
  c->born_ns = c->last_io_ns = w->now_ns;
  peer_name(fd, c->peer, sizeof c->peer);
  if (kind == SERVE_PORT_HTTP) serve_conn_write(c, busy_http, sizeof busy_http - 1);
  else serve_conn_write(c, busy_h2, sizeof busy_h2);
  c->close_after_write = true;
  c->next = w->conns;
  if (w->conns) w->conns->prev = c;
  w->conns = c;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
  c->events = ev.events;
  epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg) {
  (void)arg;
  serve_conn *c = SSL_get_app_data(ssl);
  const char *want = c && c->kind == SERVE_PORT_HTTP ? "http/1.1" : "h2";
  size_t wl = strlen(want);
  for (unsigned i = 0; i < inlen;) {
    unsigned l = in[i];
    if (i + 1 + l > inlen) break;
    if (l == wl && memcmp(in + i + 1, want, wl) == 0) {
      *out = in + i + 1;
      *outlen = (unsigned char)l;
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + l;
  }
  /* HTTP/1.1 clients that offer only other protocols proceed without ALPN;
   * a gRPC client that cannot speak h2 is refused in the handshake. */
  return c && c->kind == SERVE_PORT_HTTP ? SSL_TLSEXT_ERR_NOACK : SSL_TLSEXT_ERR_ALERT_FATAL;
}

static void accept_all(serve_worker *w, int lfd, serve_port_kind kind) {
  serve_daemon *d = w->d;
  size_t refusing = 0;
  for (serve_conn *c = w->conns; c; c = c->next) refusing += c->phase == PHASE_REFUSING;
  for (int i = 0; i < 64; i++) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const serve_config *cfg = serve_ctx_config(&d->ctx);
    bool tls = cfg->tls_cert != NULL;
    if (atomic_fetch_add(&d->n_conns, 1) >= cfg->limits.max_connections || w->draining) {
      atomic_fetch_sub(&d->n_conns, 1);
      refuse(w, fd, kind, tls, refusing++);
      continue;
    }
    serve_metrics_connections(d->ctx.metrics, 1);
    serve_conn *c = feast_calloc(1, sizeof *c);
    if (!c) {
      atomic_fetch_sub(&d->n_conns, 1);
      serve_metrics_connections(d->ctx.metrics, -1);
      close(fd);
      continue;
    }
    c->w = w;
    c->fd = fd;
    c->kind = kind;
    c->counted = true;
    c->born_ns = c->last_io_ns = c->last_write_ns = w->now_ns;
    peer_name(fd, c->peer, sizeof c->peer);
    c->next = w->conns;
    if (w->conns) w->conns->prev = c;
    w->conns = c;
    c->events = EPOLLIN;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
    int bad = 0;
    if (tls) {
      pthread_mutex_lock(&d->tls_lock);
      c->ssl = d->ssl_ctx ? SSL_new(d->ssl_ctx) : NULL;
      pthread_mutex_unlock(&d->tls_lock);
      if (!c->ssl || !SSL_set_fd(c->ssl, fd)) bad = 1;
      else {
        SSL_set_app_data(c->ssl, c);
        c->phase = PHASE_TLS;
      }
    } else if (kind == SERVE_PORT_HTTP) {
      bad = proto_open(c);
    } else {
      c->phase = PHASE_PREFACE;
    }
    if (bad) conn_free(c);
  }
}

/* ---- timers and drain ---- */

static void tick(serve_worker *w) {
  const serve_config *cfg = serve_ctx_config(&w->d->ctx);
  uint64_t now = w->now_ns;
  uint64_t idle_ns = (uint64_t)cfg->limits.idle_timeout_ms * 1000000u;
  uint64_t read_ns = (uint64_t)cfg->limits.read_timeout_ms * 1000000u;
  for (serve_conn *c = w->conns, *next; c; c = next) {
    next = c->next;
    if (c->phase == PHASE_REFUSING) {
      if (now - c->born_ns > (uint64_t)REFUSE_LINGER_MS * 1000000u) conn_free(c);
      continue;
    }
    if (c->pending) {
      if (now - c->last_write_ns > read_ns) {
        serve_log(&w->d->ctx, SERVE_LOG_DEBUG, "write_timeout", "%s: the peer took no output for %d ms", c->peer,
                  cfg->limits.read_timeout_ms);
        conn_free(c);
      }
      continue;
    }
    bool idle = proto_idle(c) && c->phase == PHASE_OPEN;
    if (idle) {
      c->busy_since_ns = 0;
      if (now - c->last_io_ns > idle_ns || (w->draining && !c->want_send)) conn_free(c);
      continue;
    }
    uint64_t since = c->busy_since_ns ? c->busy_since_ns : c->born_ns;
    if (now - since > read_ns) {
      serve_log(&w->d->ctx, SERVE_LOG_DEBUG, "read_timeout", "%s: no whole request within %d ms", c->peer,
                cfg->limits.read_timeout_ms);
      if (c->kind == SERVE_PORT_HTTP && c->phase == PHASE_OPEN) {
        static const char timeout[] =
            "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nConnection: close\r\n"
            "Content-Length: 52\r\n\r\n{\"error\":\"the request did not arrive in time\",\"code\":408}";
        /* The protocol has nothing queued (pending == 0): a whole answer. */
        serve_conn_write(c, timeout, sizeof timeout - 1);
        c->close_after_write = true;
        if (flush(c) != 0 || !c->pending) {
          conn_free(c);
          continue;
        }
        c->last_write_ns = now;
        update_events(c);
        continue;
      }
      conn_free(c);
    }
  }
}

static void start_drain(serve_worker *w) {
  w->draining = true;
  w->drain_deadline_ns = w->now_ns + (uint64_t)DRAIN_MS * 1000000u;
  for (int i = 0; i < w->n_listen; i++) {
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->listen_fd[i], NULL);
    close(w->listen_fd[i]);
    w->listen_fd[i] = -1;
  }
  for (serve_conn *c = w->conns, *next; c; c = next) {
    next = c->next;
    c->draining = true;
    if (c->phase == PHASE_OPEN && c->proto->drain) {
      c->proto->drain(c->state);
      after_call(c);
      if (flush(c) != 0) {
        conn_free(c);
        continue;
      }
    }
    if (c->phase != PHASE_OPEN && c->phase != PHASE_REFUSING) {
      conn_free(c);
      continue;
    }
    if (conn_done(c)) conn_free(c);
    else update_events(c);
  }
}

static void *worker_main(void *arg) {
  serve_worker *w = arg;
  serve_daemon *d = w->d;
  w->now_ns = w->last_tick_ns = mono_ns();
  struct epoll_event events[64];
  for (;;) {
    if (atomic_load(&d->stopping) && !w->draining) start_drain(w);
    if (w->draining && (!w->conns || w->now_ns > w->drain_deadline_ns)) break;
    int n = epoll_wait(w->epfd, events, 64, TICK_MS);
    w->now_ns = mono_ns();
    for (int i = 0; i < n; i++) {
      void *p = events[i].data.ptr;
      if (p == &w->evfd) {
        uint64_t v;
        ssize_t r = read(w->evfd, &v, sizeof v);
        (void)r;
        continue;
      }
      bool listener = false;
      for (int l = 0; l < w->n_listen; l++)
        if (p == &w->listen_fd[l]) {
          listener = true;
          if (w->listen_fd[l] >= 0) accept_all(w, w->listen_fd[l], w->listen_kind[l]);
        }
      if (!listener) conn_event(p, events[i].events);
    }
    if (w->now_ns - w->last_tick_ns >= (uint64_t)TICK_MS * 1000000u) {
      w->last_tick_ns = w->now_ns;
      tick(w);
    }
  }
  while (w->conns) conn_free(w->conns);
  return NULL;
}

/* ---- listeners ---- */

/* SO_REUSEPORT lets every socket of one user bind the port, so a second
 * daemon started on a busy port would quietly share its connections: a
 * plain bind first (which fails when anyone holds the port) says so. */
static int port_free(const struct addrinfo *ai, const char *host, int port, feast_error *err) {
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return feast_fail(err, FEAST_E_IO, "socket: %s", strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* TIME_WAIT of a previous run is fine */
  feast_code rc = FEAST_OK;
  if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
    rc = feast_fail(err, FEAST_E_IO, "cannot listen on %s:%d: %s", host, port, strerror(errno));
  close(fd);
  return rc;
}

static int listen_on(const char *host, int port, bool first, feast_error *err) {
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  char ps[16];
  snprintf(ps, sizeof ps, "%d", port);
  int gai = getaddrinfo(host, ps, &hints, &res);
  if (gai != 0) {
    feast_fail(err, FEAST_E_INVALID, "serve.host '%s': %s", host, gai_strerror(gai));
    return -1;
  }
  if (first && port_free(res, host, port, err)) {
    freeaddrinfo(res);
    return -1;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    feast_fail(err, FEAST_E_IO, "socket: %s", strerror(errno));
    freeaddrinfo(res);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
    feast_fail(err, FEAST_E_IO, "cannot listen on %s:%d: %s", host, port, strerror(errno));
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

/* ---- TLS ---- */

static SSL_CTX *tls_context(const serve_config *cfg, feast_error *err) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    feast_fail(err, FEAST_E_NOMEM, "TLS: cannot create a context");
    return NULL;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    feast_fail(err, FEAST_E_INVALID, "serve.tls.cert %s: %s", cfg->tls_cert, buf);
    SSL_CTX_free(ctx);
    return NULL;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    feast_fail(err, FEAST_E_INVALID, "serve.tls.key %s: %s", cfg->tls_key, buf);
    SSL_CTX_free(ctx);
    return NULL;
  }
  SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
  return ctx;
}

/* ---- the daemon ---- */

void serve_block_signals(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
}

void serve_daemon_free(serve_daemon *d) {
  if (!d) return;
  for (int i = 0; i < d->n_workers; i++) {
    serve_worker *w = &d->workers[i];
    for (int l = 0; l < w->n_listen; l++)
      if (w->listen_fd[l] >= 0) close(w->listen_fd[l]);
    if (w->epfd >= 0) close(w->epfd);
    if (w->evfd >= 0) close(w->evfd);
    feast_arena_free(w->arena);
  }
  feast_free(d->workers);
  for (size_t i = 0; i < d->n_retired; i++) serve_config_free(d->retired[i]);
  feast_free(d->retired);
  serve_config_free((serve_config *)d->ctx.cfg);
  serve_metrics_free(d->ctx.metrics);
  if (d->ssl_ctx) SSL_CTX_free(d->ssl_ctx);
  pthread_mutex_destroy(&d->tls_lock);
  feast_free(d->config_path);
  feast_free(d);
}

feast_code serve_daemon_start(feast_store *store, serve_config *cfg, const char *config_path,
                              const serve_protocol *grpc, serve_daemon **out, feast_error *err) {
  *out = NULL;
  serve_daemon *d = feast_calloc(1, sizeof *d);
  if (!d) {
    serve_config_free(cfg);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  pthread_mutex_init(&d->tls_lock, NULL);
  d->ctx.store = store;
  d->ctx.cfg = cfg;
  d->grpc = grpc;
  d->ctx.metrics = serve_metrics_new();
  d->config_path = config_path ? feast_strdup(config_path) : NULL;
  d->ctx.config_path = d->config_path;
  feast_code rc = d->ctx.metrics ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) rc = serve_config_check(cfg, err);
  if (!rc && cfg->tls_cert && !(d->ssl_ctx = tls_context(cfg, err))) rc = err->code;
  int threads = cfg->threads > 0 ? cfg->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (threads < 1) threads = 1;
  if (!rc && !(d->workers = feast_calloc((size_t)threads, sizeof *d->workers)))
    rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (rc) {
    serve_daemon_free(d);
    return rc;
  }
  d->n_workers = threads;
  for (int i = 0; i < threads; i++) d->workers[i].epfd = d->workers[i].evfd = -1;
  struct {
    int port;
    serve_port_kind kind;
  } ports[MAX_LISTEN] = {{grpc ? cfg->grpc_port : 0, SERVE_PORT_GRPC},
                         {cfg->http_port, SERVE_PORT_HTTP},
                         {grpc ? cfg->core_port : 0, SERVE_PORT_CORE},
                         {grpc ? cfg->job_service_port : 0, SERVE_PORT_JOBS}};
  for (int i = 0; i < threads && !rc; i++) {
    serve_worker *w = &d->workers[i];
    w->d = d;
    w->index = i;
    w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->arena = feast_arena_new(0);
    if (w->evfd < 0 || w->epfd < 0 || !w->arena) {
      rc = feast_fail(err, FEAST_E_IO, "cannot create worker %d: %s", i, strerror(errno));
      break;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->evfd};
    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev);
    for (int p = 0; p < MAX_LISTEN && !rc; p++) {
      if (!ports[p].port) continue;
      int fd = listen_on(cfg->host, ports[p].port, i == 0, err);
      if (fd < 0) {
        rc = err->code;
        break;
      }
      int l = w->n_listen++;
      w->listen_fd[l] = fd;
      w->listen_kind[l] = ports[p].kind;
      struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &w->listen_fd[l]};
      epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &lev);
    }
  }
  if (!rc) serve_http_init(&d->ctx);
  if (rc) {
    serve_daemon_free(d);
    return rc;
  }
  *out = d;
  return FEAST_OK;
}

static void wake_all(serve_daemon *d) {
  uint64_t one = 1;
  for (int i = 0; i < d->n_workers; i++) {
    ssize_t r = write(d->workers[i].evfd, &one, sizeof one);
    (void)r;
  }
}

void serve_daemon_stop(serve_daemon *d) { atomic_store(&d->stop_requested, true); }

/* SIGHUP: read feature_store.yaml again; tokens, limits, logs and TLS
 * certificates take effect for new requests (and new TLS connections);
 * ports, host and threads need a restart (logged). */
static void reload(serve_daemon *d) {
  feast_error err;
  feast_config fc;
  const serve_config *old = serve_ctx_config(&d->ctx);
  serve_config *next = NULL;
  if (!d->config_path) {
    serve_log(&d->ctx, SERVE_LOG_WARN, "reload_failed", "SIGHUP: no configuration file to reload (defaults in use)");
    serve_metrics_reload(d->ctx.metrics, false);
    return;
  }
  feast_code rc = feast_config_load(d->config_path, &fc, &err);
  if (!rc) {
    if (fc.serve) {
      next = fc.serve;
      fc.serve = NULL;
    } else if (!(next = feast_calloc(1, sizeof *next)) || serve_config_defaults(next, &err)) {
      feast_free(next);
      next = NULL;
      rc = feast_fail(&err, FEAST_E_NOMEM, "out of memory");
    }
    feast_config_clear(&fc);
  }
  if (!rc) {
    /* What the listeners were built with stays; the rest comes from the file. */
    bool moved = next->grpc_port != old->grpc_port || next->http_port != old->http_port ||
                 next->core_port != old->core_port || next->job_service_port != old->job_service_port ||
                 strcmp(next->host, old->host) != 0 || (next->threads != old->threads) ||
                 !next->tls_cert != !old->tls_cert;
    next->grpc_port = old->grpc_port;
    next->http_port = old->http_port;
    next->core_port = old->core_port;
    next->job_service_port = old->job_service_port;
    next->threads = old->threads;
    feast_free(next->host);
    next->host = feast_strdup(old->host);
    if (!next->host) rc = feast_fail(&err, FEAST_E_NOMEM, "out of memory");
    if (!rc && !next->tls_cert != !old->tls_cert) {
      feast_free(next->tls_cert);
      feast_free(next->tls_key);
      next->tls_cert = old->tls_cert ? feast_strdup(old->tls_cert) : NULL;
      next->tls_key = old->tls_key ? feast_strdup(old->tls_key) : NULL;
    }
    if (!rc) rc = serve_config_load_tokens_file(next, &err);
    if (!rc) rc = serve_config_check(next, &err);
    SSL_CTX *tls = NULL;
    if (!rc && next->tls_cert && !(tls = tls_context(next, &err))) rc = err.code;
    if (!rc) {
      if (moved)
        serve_log(&d->ctx, SERVE_LOG_WARN, "reload_partial",
                  "SIGHUP: host, ports, threads and turning TLS on or off need a restart; kept the running ones");
      pthread_mutex_lock(&d->tls_lock);
      if (tls) {
        if (d->ssl_ctx) SSL_CTX_free(d->ssl_ctx);
        d->ssl_ctx = tls;
      }
      pthread_mutex_unlock(&d->tls_lock);
      serve_config **grown = feast_realloc(d->retired, (d->n_retired + 1) * sizeof *grown);
      if (!grown) {
        rc = feast_fail(&err, FEAST_E_NOMEM, "out of memory");
      } else {
        d->retired = grown;
        d->retired[d->n_retired++] = (serve_config *)old;
        __atomic_store_n(&d->ctx.cfg, next, __ATOMIC_RELEASE);
        feast_store_set_registry_refresh(d->ctx.store, next->registry_refresh_ms);
        next = NULL;
      }
    }
  }
  serve_config_free(next);
  serve_metrics_reload(d->ctx.metrics, rc == FEAST_OK);
  if (rc)
    serve_log(&d->ctx, SERVE_LOG_ERROR, "reload_failed", "SIGHUP: kept the running configuration: %s", err.message);
  else
    serve_log(&d->ctx, SERVE_LOG_INFO, "reloaded", "SIGHUP: configuration reloaded from %s (%zu tokens)",
              d->config_path, serve_ctx_config(&d->ctx)->n_tokens);
}

int serve_daemon_wait(serve_daemon *d) {
  for (int i = 0; i < d->n_workers; i++) {
    if (pthread_create(&d->workers[i].thread, NULL, worker_main, &d->workers[i]) != 0) {
      serve_log(&d->ctx, SERVE_LOG_ERROR, "start_failed", "cannot start worker %d", i);
      atomic_store(&d->stopping, true);
      break;
    }
    d->workers[i].started = true;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  while (!atomic_load(&d->stopping)) {
    struct timespec t = {0, 200 * 1000000};
    int sig = sigtimedwait(&set, NULL, &t);
    if (sig == SIGHUP) reload(d);
    else if (sig == SIGTERM || sig == SIGINT || atomic_load(&d->stop_requested)) {
      serve_log(&d->ctx, SERVE_LOG_INFO, "draining", "%s: no new connections; finishing requests in flight",
                sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "stop");
      atomic_store(&d->stopping, true);
    }
  }
  wake_all(d);
  for (int i = 0; i < d->n_workers; i++)
    if (d->workers[i].started) pthread_join(d->workers[i].thread, NULL);
  serve_log(&d->ctx, SERVE_LOG_INFO, "stopped", "every connection closed");
  return 0;
}

/* ---- connections on no socket (fuzz targets, tests) ---- */

typedef struct test_daemon {
  serve_daemon d;
  serve_worker w;
} test_daemon;

serve_conn *serve_test_conn_new(feast_store *store, serve_config *cfg, serve_port_kind kind) {
  return serve_test_conn_new_proto(store, cfg, kind, NULL);
}

serve_conn *serve_test_conn_new_proto(feast_store *store, serve_config *cfg, serve_port_kind kind,
                                      const serve_protocol *grpc) {
  test_daemon *t = feast_calloc(1, sizeof *t);
  serve_conn *c = feast_calloc(1, sizeof *c);
  if (!t || !c || !(t->w.arena = feast_arena_new(0)) || !(t->d.ctx.metrics = serve_metrics_new())) {
    if (t) {
      feast_arena_free(t->w.arena);
      feast_free(t);
    }
    feast_free(c);
    return NULL;
  }
  t->d.ctx.store = store;
  t->d.ctx.cfg = cfg;
  t->d.grpc = grpc;
  t->w.d = &t->d;
  t->w.epfd = t->w.evfd = -1;
  serve_http_init(&t->d.ctx);
  c->w = &t->w;
  c->fd = 0x7fffffff; /* never a real descriptor: output is only queued */
  c->kind = kind;
  snprintf(c->peer, sizeof c->peer, "test");
  c->phase = kind == SERVE_PORT_HTTP ? PHASE_OPEN : PHASE_PREFACE;
  if (kind == SERVE_PORT_HTTP) {
    c->proto = &serve_protocol_http;
    if (c->proto->open(c, &c->state) != 0) c->proto = NULL;
  }
  return c;
}

/* Bytes in; output appended to `out` (the queue is emptied, as a reader
 * would). -1 when the connection would close now. */
int serve_test_conn_feed(serve_conn *c, const uint8_t *data, size_t len, feast_buf *out) {
  int rc = c->proto || c->phase != PHASE_OPEN ? feed(c, data, len) : -1;
  for (int round = 0; rc == 0 && round < 1000; round++) {
    feast_error err;
    while (c->head) {
      out_chunk *h = c->head;
      if (out) feast_buf_append(out, h->data + h->off, h->len - h->off, &err);
      consume(c, h->len - h->off);
    }
    bool more = c->phase == PHASE_OPEN && c->proto &&
                (c->want_send || (c->proto->want_send && c->proto->want_send(c->state)));
    if (!more) break;
    c->want_send = false;
    rc = c->proto->send(c->state);
    after_call(c);
  }
  return rc;
}

void serve_test_conn_free(serve_conn *c) {
  if (!c) return;
  test_daemon *t = (test_daemon *)c->w->d;
  if (c->proto && c->state) c->proto->close(c->state);
  while (c->head) {
    out_chunk *h = c->head;
    c->head = h->next;
    chunk_release(h);
  }
  feast_arena_free(t->w.arena);
  serve_metrics_free(t->d.ctx.metrics);
  feast_free(c);
  feast_free(t);
}
