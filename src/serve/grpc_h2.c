/*
 * grpc_h2.c - serve_protocol_grpc: gRPC over HTTP/2 on a serve_conn. The
 * HTTP/2 session is nghttp2's (a server session fed with the plaintext the
 * loop reads); the gRPC layer is ours (gRPC over HTTP/2, PROTOCOL-HTTP2.md):
 * the 5-byte message prefix, `application/grpc` content types (plain HTTP
 * 415 otherwise), grpc-status / grpc-message trailers with the message
 * percent-encoded (trailers-only for errors), grpc-timeout deadlines,
 * RESOURCE_EXHAUSTED past cfg->limits.max_request_bytes, UNIMPLEMENTED for
 * methods the port does not carry, GOAWAY on drain.
 *
 * Unary calls only (every Feast 0.9 method is unary): the handler runs on
 * the connection's loop thread once the request's END_STREAM arrives.
 * Answers leave without a copy: the handler serializes behind 5 reserved
 * bytes, nghttp2 sizes DATA frames (NGHTTP2_DATA_FLAG_NO_COPY) and the
 * payload goes to serve_conn_write_ref, refcounted until written.
 */
#include <nghttp2/nghttp2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/alloc.h"
#include "serve/grpc.h"

#define PATH_MAX_LEN 256
#define COPY_BELOW 8192 /* DATA payloads smaller than this are copied, not referenced */

typedef struct grpc_resp {
  int refs;
  uint8_t *data; /* framed: 5-byte prefix + message */
  size_t len;
} grpc_resp;

typedef struct h2_stream {
  int32_t id;
  bool is_post, ct_ok, answered, too_big, bad_timeout;
  char path[PATH_MAX_LEN];
  size_t path_len; /* > sizeof path - 1: too long, unknown */
  char *bearer;
  uint64_t deadline_ns;
  uint64_t start_ns;
  feast_buf body;
  grpc_resp *resp;
  size_t sent;   /* bytes of resp nghttp2 has put in DATA frames */
  size_t queued; /* bytes of resp given to the connection */
  struct h2_stream *prev, *next; /* the connection's streams: nghttp2_session_del frees none of ours */
  const grpc_method *method;
} h2_stream;

typedef struct h2_conn {
  serve_conn *c;
  const serve_ctx *ctx;
  nghttp2_session *s;
  size_t n_streams;
  h2_stream *streams;
  bool draining;
} h2_conn;

/* ---- helpers shared with the handlers ---- */

size_t grpc_percent_encode(const char *in, char *out, size_t cap) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  if (!cap) return 0;
  for (; *in && o + 4 <= cap; in++) {
    unsigned char ch = (unsigned char)*in;
    if (ch >= 0x20 && ch <= 0x7e && ch != '%') {
      out[o++] = (char)ch;
    } else {
      out[o++] = '%';
      out[o++] = hex[ch >> 4];
      out[o++] = hex[ch & 15];
    }
  }
  out[o] = 0;
  return o;
}

bool grpc_parse_timeout(const char *v, size_t len, uint64_t *ns) {
  /* TimeoutValue: 1 to 8 ASCII digits, then one unit letter. */
  if (len < 2 || len > 9) return false;
  uint64_t n = 0;
  for (size_t i = 0; i + 1 < len; i++) {
    if (v[i] < '0' || v[i] > '9') return false;
    n = n * 10 + (uint64_t)(v[i] - '0');
  }
  uint64_t mul;
  switch (v[len - 1]) {
  case 'H': mul = 3600ull * 1000000000ull; break;
  case 'M': mul = 60ull * 1000000000ull; break;
  case 'S': mul = 1000000000ull; break;
  case 'm': mul = 1000000ull; break;
  case 'u': mul = 1000ull; break;
  case 'n': mul = 1; break;
  default: return false;
  }
  *ns = n * mul; /* 99999999 H fits in 64 bits */
  return true;
}

void grpc_fail(grpc_call *call, int status, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  call->status = status;
  call->message = call->arena ? feast_arena_strdup(call->arena, buf) : NULL;
}

int grpc_status_of(feast_code code) {
  switch (code) {
  case FEAST_OK: return GRPC_OK;
  case FEAST_E_INVALID:
  case FEAST_E_VALIDATION:
  case FEAST_E_SCHEMA:
  case FEAST_E_CORRUPT: return GRPC_INVALID_ARGUMENT;
  case FEAST_E_NOT_FOUND: return GRPC_NOT_FOUND;
  case FEAST_E_EXISTS: return GRPC_ALREADY_EXISTS;
  case FEAST_E_TOO_BIG: return GRPC_RESOURCE_EXHAUSTED;
  case FEAST_E_UNSUPPORTED: return GRPC_UNIMPLEMENTED;
  case FEAST_E_CONNECT:
  case FEAST_E_TIMEOUT:
  case FEAST_E_CONFLICT: return GRPC_UNAVAILABLE;
  default: return GRPC_INTERNAL;
  }
}

bool grpc_authorize(grpc_call *call, const char *project, serve_access need) {
  if (!call->ctx || !serve_ctx_config(call->ctx)) return true; /* handler tests: no daemon */
  switch (serve_authorize(call->ctx, call->bearer, project, need)) {
  case SERVE_AUTH_OK: return true;
  case SERVE_AUTH_UNAUTHENTICATED:
    grpc_fail(call, GRPC_UNAUTHENTICATED, "a valid bearer token is required (authorization metadata)");
    return false;
  default:
    grpc_fail(call, GRPC_PERMISSION_DENIED, "the token may not %s project '%s'",
              need == SERVE_WRITE ? "change" : "read", project ? project : "*");
    return false;
  }
}

size_t grpc_num_methods(void) { return grpc_serving_num_methods + grpc_core_num_methods + grpc_jobs_num_methods; }

const grpc_method *grpc_method_at(size_t i) {
  if (i < grpc_serving_num_methods) return &grpc_serving_methods[i];
  i -= grpc_serving_num_methods;
  if (i < grpc_core_num_methods) return &grpc_core_methods[i];
  i -= grpc_core_num_methods;
  if (i < grpc_jobs_num_methods) return &grpc_jobs_methods[i];
  return NULL;
}

const grpc_method *grpc_find_method(const char *path, size_t len) {
  for (size_t i = 0, n = grpc_num_methods(); i < n; i++) {
    const grpc_method *m = grpc_method_at(i);
    if (strlen(m->path) == len && memcmp(m->path, path, len) == 0) return m;
  }
  return NULL;
}

/* Metric endpoint ids, one per method, registered on first use
 * (serve_metrics_endpoint is thread-safe): -2 = not yet. */
#define MAX_METHODS 64
static _Atomic int endpoints[MAX_METHODS];
static pthread_once_t endpoints_once = PTHREAD_ONCE_INIT;

static void endpoints_init(void) {
  for (size_t i = 0; i < MAX_METHODS; i++) atomic_store(&endpoints[i], -2);
}

int grpc_endpoint_of(serve_metrics *m, const grpc_method *mth) {
  pthread_once(&endpoints_once, endpoints_init);
  for (size_t i = 0, n = grpc_num_methods(); i < n && i < MAX_METHODS; i++) {
    if (grpc_method_at(i) != mth) continue;
    int ep = atomic_load(&endpoints[i]);
    if (ep == -2) {
      ep = serve_metrics_endpoint(m, "grpc", mth->path);
      atomic_store(&endpoints[i], ep);
    }
    return ep;
  }
  return -1;
}

/* The loop's clock is cached per wake-up; deadlines need the time now. */
static uint64_t now_ns(serve_worker *w) {
  (void)w;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- responses ---- */

static nghttp2_nv nv(const char *name, const char *value) {
  nghttp2_nv v = {(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value), NGHTTP2_NV_FLAG_NO_COPY_NAME};
  return v;
}

static void resp_unref(void *arg) {
  grpc_resp *r = arg;
  if (--r->refs == 0) {
    feast_free(r->data);
    feast_free(r);
  }
}

static void observe(h2_conn *h, h2_stream *st, int code, uint64_t rows) {
  if (!h->c || !h->ctx) return;
  serve_worker *w = serve_conn_worker(h->c);
  uint64_t end = w ? now_ns(w) : 0, lat = end > st->start_ns ? end - st->start_ns : 0;
  if (h->ctx->metrics && st->method) {
    int ep = grpc_endpoint_of(h->ctx->metrics, st->method);
    if (ep >= 0) serve_metrics_observe(h->ctx->metrics, ep, code, code != GRPC_OK, lat, rows);
  }
  if (serve_ctx_config(h->ctx) && serve_ctx_config(h->ctx)->access_log) serve_access_log(h->ctx, h->c, "grpc", st->path, code, lat);
}

/* Trailers-only: one HEADERS frame with END_STREAM. */
static int submit_error(h2_conn *h, h2_stream *st, int status, const char *message) {
  char code[16], enc[4096]; /* a validation report lists every problem */
  snprintf(code, sizeof code, "%d", status);
  grpc_percent_encode(message ? message : "", enc, sizeof enc);
  nghttp2_nv nva[4] = {nv(":status", "200"), nv("content-type", "application/grpc"), nv("grpc-status", code),
                       nv("grpc-message", enc)};
  st->answered = true;
  observe(h, st, status, 0);
  return nghttp2_submit_response(h->s, st->id, nva, message && *message ? 4 : 3, NULL);
}

static ssize_t read_resp(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
                         nghttp2_data_source *source, void *user) {
  (void)buf;
  (void)user;
  h2_stream *st = source->ptr;
  size_t n = st->resp->len - st->sent;
  if (n > length) n = length;
  st->sent += n;
  *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (st->sent == st->resp->len) {
    *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    nghttp2_nv trailers[1] = {nv("grpc-status", "0")};
    if (nghttp2_submit_trailer(s, id, trailers, 1) != 0) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  return (ssize_t)n;
}

static int send_data(nghttp2_session *s, nghttp2_frame *frame, const uint8_t *framehd, size_t length,
                     nghttp2_data_source *source, void *user) {
  (void)s;
  (void)frame; /* no padding is ever asked for */
  h2_conn *h = user;
  h2_stream *st = source->ptr;
  if (serve_conn_write(h->c, framehd, 9) != 0) return NGHTTP2_ERR_CALLBACK_FAILURE;
  const uint8_t *payload = st->resp->data + st->queued; /* frames go out in order */
  st->queued += length;
  if (length < COPY_BELOW) {
    if (serve_conn_write(h->c, payload, length) != 0) return NGHTTP2_ERR_CALLBACK_FAILURE;
  } else {
    st->resp->refs++;
    if (serve_conn_write_ref(h->c, payload, length, resp_unref, st->resp) != 0) return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  return 0;
}

static void answer(h2_conn *h, h2_stream *st) {
  if (st->answered) return;
  if (!st->ct_ok) {
    /* gRPC's rule for a request that is not gRPC: plain HTTP 415. */
    nghttp2_nv nva[1] = {nv(":status", "415")};
    st->answered = true;
    observe(h, st, 415, 0);
    nghttp2_submit_response(h->s, st->id, nva, 1, NULL);
    return;
  }
  if (!st->method || !st->is_post) {
    submit_error(h, st, GRPC_UNIMPLEMENTED, "Method not found or not served on this port");
    return;
  }
  if (st->bad_timeout) {
    submit_error(h, st, GRPC_INTERNAL, "malformed grpc-timeout");
    return;
  }
  if (st->too_big) {
    submit_error(h, st, GRPC_RESOURCE_EXHAUSTED, "request message larger than max_request_bytes");
    return;
  }
  const uint8_t *b = st->body.data;
  if (st->body.len < 5) {
    submit_error(h, st, GRPC_INTERNAL, st->body.len ? "truncated gRPC message frame" : "no request message");
    return;
  }
  uint32_t declared = (uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 8 | b[4];
  if (b[0] != 0) {
    submit_error(h, st, GRPC_UNIMPLEMENTED, "compressed messages are not supported (use identity encoding)");
    return;
  }
  if (declared != st->body.len - 5) {
    submit_error(h, st, GRPC_INTERNAL,
                 declared > st->body.len - 5 ? "truncated gRPC message frame" : "more than one request message");
    return;
  }
  serve_worker *w = h->c ? serve_conn_worker(h->c) : NULL;
  if (st->deadline_ns && w && now_ns(w) >= st->deadline_ns) {
    submit_error(h, st, GRPC_DEADLINE_EXCEEDED, "deadline exceeded before the call began");
    return;
  }
  feast_buf out;
  feast_buf_init(&out, (size_t)1 << 31);
  feast_error err;
  if (feast_buf_append(&out, "\0\0\0\0\0", 5, &err) != FEAST_OK) {
    submit_error(h, st, GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  grpc_call call = {.ctx = h->ctx,
                    .arena = w ? serve_worker_arena(w) : NULL,
                    .req = b + 5,
                    .req_len = declared,
                    .bearer = st->bearer,
                    .deadline_ns = st->deadline_ns,
                    .status = GRPC_OK,
                    .out = &out};
  feast_arena *own = NULL;
  if (!call.arena) call.arena = own = feast_arena_new(64 * 1024);
  st->method->handler(&call);
  if (call.status == GRPC_OK && st->deadline_ns && w && now_ns(w) >= st->deadline_ns)
    grpc_fail(&call, GRPC_DEADLINE_EXCEEDED, "deadline exceeded");
  if (call.status != GRPC_OK) {
    submit_error(h, st, call.status, call.message);
    feast_buf_free(&out);
    feast_arena_free(own);
    return;
  }
  feast_arena_free(own);
  size_t mlen = out.len - 5;
  out.data[1] = (uint8_t)(mlen >> 24);
  out.data[2] = (uint8_t)(mlen >> 16);
  out.data[3] = (uint8_t)(mlen >> 8);
  out.data[4] = (uint8_t)mlen;
  grpc_resp *r = feast_calloc(1, sizeof *r);
  if (!r) {
    feast_buf_free(&out);
    submit_error(h, st, GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  r->refs = 1;
  r->data = feast_buf_detach(&out, &r->len);
  st->resp = r;
  st->sent = 0;
  st->answered = true;
  observe(h, st, GRPC_OK, call.rows);
  nghttp2_nv nva[2] = {nv(":status", "200"), nv("content-type", "application/grpc")};
  nghttp2_data_provider prd = {.source.ptr = st, .read_callback = read_resp};
  nghttp2_submit_response(h->s, st->id, nva, 2, &prd);
}

/* ---- session callbacks ---- */

static bool is(const uint8_t *v, size_t n, const char *want) { return n == strlen(want) && memcmp(v, want, n) == 0; }

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *user) {
  h2_conn *h = user;
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  h2_stream *st = feast_calloc(1, sizeof *st);
  if (!st) return NGHTTP2_ERR_CALLBACK_FAILURE;
  st->id = f->hd.stream_id;
  const serve_config *cfg = h->ctx ? serve_ctx_config(h->ctx) : NULL;
  size_t max = cfg && cfg->limits.max_request_bytes ? cfg->limits.max_request_bytes : 4u << 20;
  feast_buf_init(&st->body, max + 5);
  serve_worker *w = h->c ? serve_conn_worker(h->c) : NULL;
  st->start_ns = w ? serve_worker_now_ns(w) : 0;
  h->n_streams++;
  st->next = h->streams;
  if (h->streams) h->streams->prev = st;
  h->streams = st;
  return nghttp2_session_set_stream_user_data(s, st->id, st);
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user) {
  (void)flags;
  h2_conn *h = user;
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  h2_stream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
  if (!st) return 0;
  if (is(name, namelen, ":path")) {
    st->path_len = valuelen;
    size_t n = valuelen < sizeof st->path - 1 ? valuelen : sizeof st->path - 1;
    memcpy(st->path, value, n);
    st->path[n] = 0;
    const grpc_method *m = valuelen < sizeof st->path ? grpc_find_method((const char *)value, valuelen) : NULL;
    serve_port_kind kind = h->c ? serve_conn_port_kind(h->c) : SERVE_PORT_GRPC;
    st->method = m && (m->ports & (1u << kind)) ? m : NULL;
  } else if (is(name, namelen, ":method")) {
    st->is_post = is(value, valuelen, "POST");
  } else if (is(name, namelen, "content-type")) {
    /* application/grpc, optionally followed by +proto or ;params */
    st->ct_ok = valuelen >= 16 && memcmp(value, "application/grpc", 16) == 0 &&
                (valuelen == 16 || value[16] == '+' || value[16] == ';');
  } else if (is(name, namelen, "authorization")) {
    if (valuelen > 7 && strncasecmp((const char *)value, "bearer ", 7) == 0) {
      feast_free(st->bearer);
      st->bearer = feast_malloc(valuelen - 6);
      if (!st->bearer) return NGHTTP2_ERR_CALLBACK_FAILURE;
      memcpy(st->bearer, value + 7, valuelen - 7);
      st->bearer[valuelen - 7] = 0;
    }
  } else if (is(name, namelen, "grpc-timeout")) {
    uint64_t ns;
    if (!grpc_parse_timeout((const char *)value, valuelen, &ns)) {
      st->bad_timeout = true;
    } else {
      uint64_t now = st->start_ns;
      st->deadline_ns = now + ns < now ? UINT64_MAX : now + ns;
      if (!st->deadline_ns) st->deadline_ns = 1;
    }
  }
  return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *user) {
  (void)flags;
  h2_conn *h = user;
  h2_stream *st = nghttp2_session_get_stream_user_data(s, id);
  if (!st || st->too_big || st->answered) return 0;
  feast_error err;
  if (feast_buf_append(&st->body, data, len, &err) != FEAST_OK) {
    /* Past the limit: answer now, drop the rest of the body as it comes. */
    st->too_big = true;
    feast_buf_free(&st->body);
    answer(h, st);
  }
  return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *user) {
  h2_conn *h = user;
  if ((f->hd.type != NGHTTP2_DATA && f->hd.type != NGHTTP2_HEADERS) || !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
    return 0;
  h2_stream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
  if (!st) return 0;
  answer(h, st);
  return 0;
}

static void stream_free(h2_conn *h, h2_stream *st) {
  if (st->prev) st->prev->next = st->next;
  else h->streams = st->next;
  if (st->next) st->next->prev = st->prev;
  if (st->resp) resp_unref(st->resp);
  feast_buf_free(&st->body);
  feast_free(st->bearer);
  feast_free(st);
  h->n_streams--;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *user) {
  (void)code;
  h2_stream *st = nghttp2_session_get_stream_user_data(s, id);
  if (!st) return 0;
  nghttp2_session_set_stream_user_data(s, id, NULL);
  stream_free(user, st);
  return 0;
}

/* ---- the protocol ---- */

static pthread_once_t cb_once = PTHREAD_ONCE_INIT;
static nghttp2_session_callbacks *cbs;

static void make_callbacks(void) {
  if (nghttp2_session_callbacks_new(&cbs) != 0) return;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  nghttp2_session_callbacks_set_send_data_callback(cbs, send_data);
}

/* Hand nghttp2's output to the connection until it has nothing more or the
 * connection's queue is past max_pending_bytes (then `send` resumes). */
static int flush(h2_conn *h) {
  const serve_config *cfg = h->ctx ? serve_ctx_config(h->ctx) : NULL;
  size_t max = cfg && cfg->limits.max_pending_bytes ? cfg->limits.max_pending_bytes : 4u << 20;
  while (serve_conn_pending(h->c) < max) {
    const uint8_t *data;
    ssize_t n = nghttp2_session_mem_send(h->s, &data);
    if (n < 0) return -1;
    if (n == 0) break;
    if (serve_conn_write(h->c, data, (size_t)n) != 0) return -1;
  }
  if (!nghttp2_session_want_read(h->s) && !nghttp2_session_want_write(h->s)) serve_conn_close_after_write(h->c);
  return 0;
}

static int h2_open(serve_conn *c, void **state) {
  pthread_once(&cb_once, make_callbacks);
  if (!cbs) return -1;
  h2_conn *h = feast_calloc(1, sizeof *h);
  if (!h) return -1;
  h->c = c;
  h->ctx = serve_conn_ctx(c);
  nghttp2_option *opt;
  if (nghttp2_option_new(&opt) != 0) {
    feast_free(h);
    return -1;
  }
  /* Keep nghttp2's own memory bounded too: headers lists and reserved streams. */
  nghttp2_option_set_max_send_header_block_length(opt, 64 * 1024);
  nghttp2_option_set_max_outbound_ack(opt, 1000);
  int rv = nghttp2_session_server_new2(&h->s, cbs, h, opt);
  nghttp2_option_del(opt);
  if (rv != 0) {
    feast_free(h);
    return -1;
  }
  const serve_config *cfg = h->ctx ? serve_ctx_config(h->ctx) : NULL;
  uint32_t streams = cfg && cfg->limits.max_streams ? (uint32_t)cfg->limits.max_streams : 100;
  nghttp2_settings_entry settings[3] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, streams},
                                        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
                                        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 64 * 1024}};
  nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, settings, 3);
  *state = h;
  return flush(h) == 0 ? 0 : -1;
}

static int h2_recv(void *state, const uint8_t *data, size_t len) {
  h2_conn *h = state;
  ssize_t n = nghttp2_session_mem_recv(h->s, data, len);
  if (n < 0) {
    /* A protocol error: nghttp2 has queued GOAWAY; send it, then close. */
    flush(h);
    serve_conn_close_after_write(h->c);
    return 0;
  }
  return flush(h);
}

static int h2_send(void *state) { return flush(state); }

static bool h2_want_send(void *state) {
  h2_conn *h = state;
  return nghttp2_session_want_write(h->s) != 0;
}

static void h2_drain(void *state) {
  h2_conn *h = state;
  if (h->draining) return;
  h->draining = true;
  nghttp2_submit_goaway(h->s, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(h->s), NGHTTP2_NO_ERROR,
                        NULL, 0);
  flush(h);
  serve_conn_want_send(h->c);
}

static bool h2_idle(void *state) {
  h2_conn *h = state;
  return h->n_streams == 0 && !nghttp2_session_want_write(h->s);
}

static void h2_close(void *state) {
  h2_conn *h = state;
  if (!h) return;
  nghttp2_session_del(h->s);
  while (h->streams) stream_free(h, h->streams);
  feast_free(h);
}

const serve_protocol serve_protocol_grpc = {
    .name = "grpc",
    .open = h2_open,
    .recv = h2_recv,
    .send = h2_send,
    .want_send = h2_want_send,
    .drain = h2_drain,
    .idle = h2_idle,
    .close = h2_close,
};
