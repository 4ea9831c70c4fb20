/*
 * grpc_nghttp2_server.c - the "own framing" candidate for feast serve's gRPC
 * layer: HTTP/2 from libnghttp2 (h2c with prior knowledge), our own gRPC
 * framing on top (5-byte length-prefixed messages, content-type
 * application/grpc, grpc-status/grpc-message trailers), one epoll loop per
 * worker thread, each thread with its own SO_REUSEPORT listening socket.
 *
 * It answers one unary method, /feast.serving.ServingService/GetOnlineFeaturesV2,
 * with a fixed serialized response (or echoes the request with --echo, the
 * library's floor), after reading the whole request body. Response payloads
 * leave without a copy (NGHTTP2_DATA_FLAG_NO_COPY): DATA frame headers and
 * payload references are queued and written with writev. Other paths get
 * UNIMPLEMENTED, a wrong content type HTTP 415, a malformed or oversized
 * frame INTERNAL / RESOURCE_EXHAUSTED, all as gRPC clients expect them.
 * SIGTERM drains: GOAWAY to every connection, finish in-flight streams, exit.
 */
#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "bench_common.h"

#define METHOD_PATH "/feast.serving.ServingService/GetOnlineFeaturesV2"
#define GRPC_UNIMPLEMENTED 12
#define GRPC_INTERNAL 13
#define GRPC_RESOURCE_EXHAUSTED 8
#define OUT_FLUSH_BYTES (256 * 1024) /* gather this much before a writev() */
#define SEG_MAX 128                  /* output pieces queued per connection */
#define DRAIN_SECONDS 5

static struct bench_options options;
static char *framed_response; /* 5-byte prefix + serialized message */
static size_t framed_response_len;
static char error_message_encoded[512];

struct stream {
  int32_t id;
  int path_ok, content_type_ok, is_post;
  char *body; /* the request's framed message, as received */
  size_t body_len, body_cap;
  int too_big;
  const char *out; /* what the DATA frames send */
  size_t out_len, out_sent, out_framed;
  struct stream *retired_next; /* closed while its bytes still wait in the queue */
};

/* One piece of the output queue: bytes nghttp2 serialized (frame headers,
 * HEADERS, SETTINGS..., kept in conn->pending at off) or response payload
 * sent without a copy (ext). */
struct seg {
  const char *ext;
  size_t off, len;
};

struct conn {
  int fd;
  nghttp2_session *session;
  char *pending; /* serialized frames the socket did not take yet */
  size_t pending_len, pending_cap;
  struct seg segs[SEG_MAX];
  int nseg, seg_head;  /* queue of pieces; seg_head is the next to write */
  size_t head_done;    /* bytes of segs[seg_head] already written */
  size_t queued;       /* bytes in the queue */
  struct stream *retired; /* streams whose payload is still referenced by segs */
  int want_out;           /* EPOLLOUT armed */
  struct conn *prev, *next;
};

struct worker {
  int epfd, listen_fd;
  struct conn *conns;
  pthread_t thread;
};

/* ---- gRPC over the HTTP/2 session -------------------------------------- */

static nghttp2_nv make_nv(const char *name, const char *value) {
  nghttp2_nv nv = {(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value),
                   NGHTTP2_NV_FLAG_NO_COPY_NAME};
  return nv;
}

/* grpc-message is percent-encoded (gRPC over HTTP/2, "Responses"). */
static void percent_encode(const char *in, char *out, size_t cap) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (; *in && o + 4 < cap; in++) {
    unsigned char c = (unsigned char)*in;
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out[o++] = (char)c;
    } else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  out[o] = 0;
}

/* Trailers-only response: HEADERS with END_STREAM carrying the status. */
static int submit_grpc_error(nghttp2_session *s, int32_t id, int status, const char *encoded_msg) {
  char code[16];
  snprintf(code, sizeof code, "%d", status);
  nghttp2_nv nva[4] = {make_nv(":status", "200"), make_nv("content-type", "application/grpc"),
                       make_nv("grpc-status", code), make_nv("grpc-message", encoded_msg)};
  return nghttp2_submit_response(s, id, nva, 4, NULL);
}

/* NO_COPY: nghttp2 only sizes the frame here; send_data_frame queues the
 * payload by reference. */
static ssize_t read_response_data(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
                                  uint32_t *flags, nghttp2_data_source *source, void *user) {
  (void)user;
  (void)buf;
  struct stream *st = source->ptr;
  size_t n = st->out_len - st->out_sent;
  if (n > length) n = length;
  st->out_sent += n;
  *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (st->out_sent == st->out_len) {
    /* End the DATA, keep the stream open for the trailers. */
    *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    nghttp2_nv trailers[1] = {make_nv("grpc-status", "0")};
    if (nghttp2_submit_trailer(s, id, trailers, 1) != 0) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  return (ssize_t)n;
}

static int answer_request(nghttp2_session *s, struct stream *st) {
  if (!st->content_type_ok) {
    /* gRPC's rule for a non-gRPC content type: plain HTTP 415. */
    nghttp2_nv nva[1] = {make_nv(":status", "415")};
    return nghttp2_submit_response(s, st->id, nva, 1, NULL);
  }
  if (!st->is_post || !st->path_ok) return submit_grpc_error(s, st->id, GRPC_UNIMPLEMENTED, "unknown method");
  if (st->too_big) return submit_grpc_error(s, st->id, GRPC_RESOURCE_EXHAUSTED, "request larger than the limit");
  /* Exactly one uncompressed message: flag 0, 4-byte big-endian length. */
  if (st->body_len < 5) return submit_grpc_error(s, st->id, GRPC_INTERNAL, "truncated gRPC frame");
  const unsigned char *b = (const unsigned char *)st->body;
  uint32_t declared = (uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 8 | b[4];
  if (b[0] != 0) return submit_grpc_error(s, st->id, GRPC_UNIMPLEMENTED, "compressed messages are not supported");
  if (declared != st->body_len - 5) return submit_grpc_error(s, st->id, GRPC_INTERNAL, "gRPC frame length mismatch");
  if (options.error_status) return submit_grpc_error(s, st->id, options.error_status, error_message_encoded);
  if (options.echo) {
    st->out = st->body;
    st->out_len = st->body_len;
  } else {
    st->out = framed_response;
    st->out_len = framed_response_len;
  }
  st->out_sent = st->out_framed = 0;
  nghttp2_nv nva[2] = {make_nv(":status", "200"), make_nv("content-type", "application/grpc")};
  nghttp2_data_provider prd;
  prd.source.ptr = st;
  prd.read_callback = read_response_data;
  return nghttp2_submit_response(s, st->id, nva, 2, &prd);
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *frame, void *user) {
  (void)user;
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  struct stream *st = feast_calloc(1, sizeof *st);
  if (!st) return NGHTTP2_ERR_CALLBACK_FAILURE;
  st->id = frame->hd.stream_id;
  return nghttp2_session_set_stream_user_data(s, st->id, st);
}

static int header_is(const uint8_t *v, size_t vlen, const char *want) {
  size_t n = strlen(want);
  return vlen == n && memcmp(v, want, n) == 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user) {
  (void)flags;
  (void)user;
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  struct stream *st = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
  if (!st) return 0;
  if (header_is(name, namelen, ":path")) {
    st->path_ok = header_is(value, valuelen, METHOD_PATH);
  } else if (header_is(name, namelen, ":method")) {
    st->is_post = header_is(value, valuelen, "POST");
  } else if (header_is(name, namelen, "content-type")) {
    /* application/grpc, optionally followed by +proto or ;params */
    st->content_type_ok = valuelen >= 16 && memcmp(value, "application/grpc", 16) == 0 &&
                          (valuelen == 16 || value[16] == '+' || value[16] == ';');
  }
  return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                         void *user) {
  (void)flags;
  (void)user;
  struct stream *st = nghttp2_session_get_stream_user_data(s, id);
  if (!st || st->too_big) return 0;
  if (st->body_len + len > options.max_request + 5) {
    st->too_big = 1; /* keep reading (flow control stays fair), answer at END_STREAM */
    return 0;
  }
  if (st->body_len + len > st->body_cap) {
    size_t cap = st->body_cap ? st->body_cap * 2 : 4096;
    while (cap < st->body_len + len) cap *= 2;
    char *grown = feast_realloc(st->body, cap);
    if (!grown) return NGHTTP2_ERR_CALLBACK_FAILURE;
    st->body = grown;
    st->body_cap = cap;
  }
  memcpy(st->body + st->body_len, data, len);
  st->body_len += len;
  return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *user) {
  (void)user;
  if ((frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS) ||
      !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
    return 0;
  struct stream *st = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
  if (!st) return 0;
  return answer_request(s, st) == 0 ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
}

static void stream_free(struct stream *st) {
  feast_free(st->body);
  feast_free(st);
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t error_code, void *user) {
  (void)error_code;
  struct conn *c = user;
  struct stream *st = nghttp2_session_get_stream_user_data(s, id);
  if (!st) return 0;
  if (c->queued && st->out == st->body && st->out_framed) {
    st->retired_next = c->retired; /* the queue still points into st->body */
    c->retired = st;
  } else {
    stream_free(st);
  }
  return 0;
}

static int queue_bytes(struct conn *c, const uint8_t *data, size_t n);

static int send_data_frame(nghttp2_session *s, nghttp2_frame *frame, const uint8_t *framehd, size_t length,
                           nghttp2_data_source *source, void *user) {
  (void)s;
  (void)frame; /* no padding is ever asked for */
  struct conn *c = user;
  struct stream *st = source->ptr;
  if (c->nseg >= SEG_MAX - 1) return NGHTTP2_ERR_WOULDBLOCK; /* asked again after the next write */
  if (queue_bytes(c, framehd, 9) != 0) return NGHTTP2_ERR_CALLBACK_FAILURE;
  if (length) {
    c->segs[c->nseg++] = (struct seg){st->out + st->out_framed, 0, length};
    c->queued += length;
    st->out_framed += length;
  }
  return 0;
}

static nghttp2_session_callbacks *callbacks;

static int make_callbacks(void) {
  if (nghttp2_session_callbacks_new(&callbacks) != 0) return -1;
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
  nghttp2_session_callbacks_set_send_data_callback(callbacks, send_data_frame);
  return 0;
}

/* ---- connections on the epoll loop ------------------------------------- */

static void conn_free(struct worker *w, struct conn *c) {
  epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  nghttp2_session_del(c->session);
  if (c->prev) c->prev->next = c->next;
  else w->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  feast_free(c->pending);
  for (struct stream *st = c->retired, *next; st; st = next) {
    next = st->retired_next;
    stream_free(st);
  }
  feast_free(c);
}

/* Appends serialized bytes, merged into the last piece when it is ours too. */
static int queue_bytes(struct conn *c, const uint8_t *data, size_t n) {
  if (c->pending_len + n > c->pending_cap) {
    size_t cap = c->pending_cap ? c->pending_cap : 65536;
    while (cap < c->pending_len + n) cap *= 2;
    char *grown = feast_realloc(c->pending, cap); /* pieces hold offsets, not pointers */
    if (!grown) return -1;
    c->pending = grown;
    c->pending_cap = cap;
  }
  memcpy(c->pending + c->pending_len, data, n);
  struct seg *last = c->nseg > c->seg_head ? &c->segs[c->nseg - 1] : NULL;
  if (last && !last->ext && last->off + last->len == c->pending_len) {
    last->len += n;
  } else {
    c->segs[c->nseg++] = (struct seg){NULL, c->pending_len, n};
  }
  c->pending_len += n;
  c->queued += n;
  return 0;
}

static void queue_drained(struct conn *c) {
  c->nseg = c->seg_head = 0;
  c->head_done = c->pending_len = c->queued = 0;
  for (struct stream *st = c->retired, *next; st; st = next) {
    next = st->retired_next;
    stream_free(st);
  }
  c->retired = NULL;
}

/* Gathers what nghttp2 wants to send and writes it with as few writev()
 * calls as the socket allows; leftovers wait for EPOLLOUT. -1: close. */
static int conn_flush(struct worker *w, struct conn *c) {
  for (;;) {
    /* Gather only into an empty queue, so the serialized bytes never pile
     * up behind a slow reader: memory per connection stays bounded. */
    while (c->seg_head == c->nseg || (c->seg_head == 0 && c->head_done == 0 && c->queued < OUT_FLUSH_BYTES &&
                                      c->nseg < SEG_MAX - 2)) {
      const uint8_t *data;
      ssize_t n = nghttp2_session_mem_send(c->session, &data);
      if (n < 0) return -1;
      if (n == 0) break;
      if (queue_bytes(c, data, (size_t)n) != 0) return -1;
    }
    if (c->seg_head == c->nseg) break;
    struct iovec iov[SEG_MAX];
    int cnt = 0;
    for (int i = c->seg_head; i < c->nseg; i++, cnt++) {
      const char *base = c->segs[i].ext ? c->segs[i].ext : c->pending + c->segs[i].off;
      size_t skip = i == c->seg_head ? c->head_done : 0;
      iov[cnt].iov_base = (void *)(base + skip);
      iov[cnt].iov_len = c->segs[i].len - skip;
    }
    ssize_t wr = writev(c->fd, iov, cnt);
    if (wr < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return -1;
    }
    size_t left = (size_t)wr;
    c->queued -= left;
    while (left) {
      size_t rest = c->segs[c->seg_head].len - c->head_done;
      if (left < rest) {
        c->head_done += left;
        break;
      }
      left -= rest;
      c->seg_head++;
      c->head_done = 0;
    }
    if (c->seg_head == c->nseg) queue_drained(c);
  }
  int want_out = c->seg_head != c->nseg;
  if (want_out != c->want_out) {
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want_out;
  }
  if (!want_out && !nghttp2_session_want_read(c->session) && !nghttp2_session_want_write(c->session))
    return -1;
  return 0;
}

static int conn_read(struct conn *c) {
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n == 0) return -1;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) continue;
      return -1;
    }
    if (nghttp2_session_mem_recv(c->session, buf, (size_t)n) < 0) return -1;
    if ((size_t)n < sizeof buf) return 0;
  }
}

static void accept_all(struct worker *w) {
  for (;;) {
    int fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn *c = feast_calloc(1, sizeof *c);
    if (!c || nghttp2_session_server_new(&c->session, callbacks, c) != 0) {
      feast_free(c);
      close(fd);
      continue;
    }
    c->fd = fd;
    nghttp2_settings_entry settings[2] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
                                          {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20}};
    nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, settings, 2);
    c->next = w->conns;
    if (w->conns) w->conns->prev = c;
    w->conns = c;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
    if (conn_flush(w, c) != 0) conn_free(w, c);
  }
}

static void begin_drain(struct worker *w) {
  epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->listen_fd, NULL);
  close(w->listen_fd);
  w->listen_fd = -1;
  for (struct conn *c = w->conns, *next; c; c = next) {
    next = c->next;
    nghttp2_submit_goaway(c->session, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(c->session),
                          NGHTTP2_NO_ERROR, NULL, 0);
    if (conn_flush(w, c) != 0) conn_free(w, c);
  }
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->listen_fd, &ev);
  time_t drain_deadline = 0;
  for (;;) {
    if (bench_stop_requested && !drain_deadline) {
      begin_drain(w);
      drain_deadline = time(NULL) + DRAIN_SECONDS;
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
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) bad = conn_read(c) != 0;
      if (!bad) bad = conn_flush(w, c) != 0;
      if (bad) conn_free(w, c);
    }
  }
  while (w->conns) conn_free(w, w->conns);
  return NULL;
}

int main(int argc, char **argv) {
  if (bench_parse_options(argc, argv, &options) != 0) return 2;
  if (options.error_message) percent_encode(options.error_message, error_message_encoded, sizeof error_message_encoded);
  if (!options.echo) {
    char *msg;
    size_t len;
    if (bench_load_file(options.response, &msg, &len) != 0) return 1;
    framed_response_len = len + 5;
    framed_response = feast_malloc(framed_response_len);
    if (!framed_response) return 1;
    framed_response[0] = 0;
    framed_response[1] = (char)(len >> 24);
    framed_response[2] = (char)(len >> 16);
    framed_response[3] = (char)(len >> 8);
    framed_response[4] = (char)len;
    memcpy(framed_response + 5, msg, len);
    feast_free(msg);
  }
  if (make_callbacks() != 0) return 1;
  bench_install_stop();
  struct worker *workers = feast_calloc((size_t)options.threads, sizeof *workers);
  if (!workers) return 1;
  for (int i = 0; i < options.threads; i++) {
    workers[i].listen_fd = bench_listen(options.port);
    workers[i].epfd = epoll_create1(EPOLL_CLOEXEC);
    if (workers[i].listen_fd < 0 || workers[i].epfd < 0) return 1;
  }
  for (int i = 0; i < options.threads; i++) pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
  fprintf(stderr, "grpc_nghttp2_server: 127.0.0.1:%d, %d thread(s), %s\n", options.port, options.threads,
          options.echo ? "echo" : options.response);
  for (int i = 0; i < options.threads; i++) pthread_join(workers[i].thread, NULL);
  for (int i = 0; i < options.threads; i++) close(workers[i].epfd);
  nghttp2_session_callbacks_del(callbacks);
  feast_free(workers);
  feast_free(framed_response);
  return 0;
}
