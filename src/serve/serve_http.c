/*
 * serve_http.c - the HTTP/1.1 protocol of `feast serve` (docs/serve.md):
 * llhttp parses, this file routes and answers.
 *
 *   GET  /health               liveness: 200 while the process serves
 *   GET  /ready                registry and online store reachable: 200 or 503
 *   GET  /metrics              Prometheus text (serve_metrics.c + jobs)
 *   POST /get-online-features  Feast's feature server request and response
 *   POST /push                 rows into the online store, the offline store or both
 *
 * Requests are handled whole inside recv (keep-alive and pipelining as
 * HTTP/1.1 says, answers in request order). Limits: the body is capped at
 * limits.max_request_bytes (413 and close), headers at MAX_HEADER_BYTES
 * (431), the URL at MAX_URL (414); a parse error is 400 and close. When the
 * connection's output queue passes limits.max_pending_bytes the parser
 * pauses, keeps the bytes not yet parsed, and resumes from `send` once the
 * peer has read its answers.
 */
#include <llhttp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "format/json/json_writer.h"
#include "serve/serve_http_handlers.h"
#include "serve/serve_internal.h"

#define MAX_URL 4096
#define MAX_HEADER_BYTES (64 * 1024)
#define MAX_HEADER_VALUE 8192

typedef struct http_conn {
  serve_conn *c;
  llhttp_t parser;
  char url[MAX_URL + 1];
  size_t url_len;
  char field[64];
  size_t field_len;
  bool field_too_long;
  char value[MAX_HEADER_VALUE + 1];
  size_t value_len;
  size_t header_bytes;
  /* The headers the endpoints use, kept here: a request's headers and body
   * may arrive over several reads, and the worker arena is reset after each. */
  char auth[4096 + 1];
  char ctype[256 + 1];
  bool has_auth, has_ctype, auth_too_long;
  serve_http_request req;
  feast_buf body;
  feast_buf held; /* bytes not parsed yet (the parser paused on a full queue) */
  size_t held_off;
  bool in_message, closing, draining, failed;
  uint64_t start_ns;
} http_conn;

static llhttp_settings_t settings;
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;

/* ---- responses ---- */

static const char *reason(int code) {
  switch (code) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 411: return "Length Required";
  case 413: return "Payload Too Large";
  case 414: return "URI Too Long";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Content";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 503: return "Service Unavailable";
  default: return "Error";
  }
}

/* Queue one whole answer. `body` is copied unless `owned_free` is set, in
 * which case it is sent by reference and freed with free() once written. */
static void respond_raw(http_conn *h, int code, const char *ctype, const char *extra, const char *body, size_t len,
                        bool owned_free) {
  char head[512];
  bool close = h->closing || h->draining || h->failed;
  int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n", code,
                   reason(code), ctype, len, close ? "Connection: close\r\n" : "", extra ? extra : "");
  int rc = serve_conn_write(h->c, head, (size_t)n);
  if (owned_free) rc |= serve_conn_write_ref(h->c, body, len, free, (void *)body);
  else if (len) rc |= serve_conn_write(h->c, body, len);
  if (close || rc) serve_conn_close_after_write(h->c);
}

void serve_http_respond(serve_http_request *r, int code, const char *ctype, const char *body, size_t len) {
  http_conn *h = r->conn;
  r->code = code;
  respond_raw(h, code, ctype, r->extra_headers, body, len, false);
}

void serve_http_respond_owned(serve_http_request *r, int code, const char *ctype, char *body, size_t len) {
  http_conn *h = r->conn;
  r->code = code;
  respond_raw(h, code, ctype, r->extra_headers, body, len, true);
}

/* {"error": message, "code": N}: the message is ours (it never holds a
 * token; request bytes in it are escaped). */
void serve_http_error(serve_http_request *r, int code, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  feast_buf b;
  feast_buf_init(&b, 16384);
  feast_error err;
  feast_code rc = feast_buf_append_str(&b, "{\"error\":", &err);
  if (!rc) rc = feast_json_append_string(&b, msg, strlen(msg), FEAST_JSON_UTF8_REPLACE, &err);
  if (!rc) rc = feast_buf_printf(&b, &err, ",\"code\":%d}\n", code);
  if (rc) serve_http_respond(r, code, "application/json", "{\"error\":\"out of memory\"}\n", 26);
  else serve_http_respond(r, code, "application/json", (const char *)b.data, b.len);
  feast_buf_free(&b);
}

/* ---- parser callbacks ---- */

static int on_message_begin(llhttp_t *p) {
  http_conn *h = p->data;
  h->in_message = true;
  h->url_len = 0;
  h->field_len = h->value_len = 0;
  h->field_too_long = false;
  h->header_bytes = 0;
  h->has_auth = h->has_ctype = h->auth_too_long = false;
  memset(&h->req, 0, sizeof h->req);
  h->req.conn = h;
  feast_buf_reset(&h->body);
  h->start_ns = serve_worker_now_ns(serve_conn_worker(h->c));
  return 0;
}

static int fail_now(http_conn *h, int code, const char *msg) {
  h->failed = true;
  h->req.code = code;
  serve_http_error(&h->req, code, "%s", msg);
  return HPE_USER;
}

static int on_url(llhttp_t *p, const char *at, size_t len) {
  http_conn *h = p->data;
  if (h->url_len + len > MAX_URL) return fail_now(h, 414, "the URL is too long");
  memcpy(h->url + h->url_len, at, len);
  h->url_len += len;
  h->url[h->url_len] = 0;
  return 0;
}

static int count_header(http_conn *h, size_t len) {
  h->header_bytes += len;
  return h->header_bytes > MAX_HEADER_BYTES ? fail_now(h, 431, "the request headers are too large") : 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len) {
  http_conn *h = p->data;
  if (count_header(h, len)) return HPE_USER;
  if (h->field_len + len >= sizeof h->field) h->field_too_long = true;
  else {
    memcpy(h->field + h->field_len, at, len);
    h->field_len += len;
  }
  return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len) {
  http_conn *h = p->data;
  if (count_header(h, len)) return HPE_USER;
  if (h->value_len + len > MAX_HEADER_VALUE) return fail_now(h, 431, "a request header is too large");
  memcpy(h->value + h->value_len, at, len);
  h->value_len += len;
  return 0;
}

static int on_header_value_complete(llhttp_t *p) {
  http_conn *h = p->data;
  h->value[h->value_len] = 0;
  h->field[h->field_len] = 0;
  const char *f = h->field_too_long ? "" : h->field;
  if (!strcasecmp(f, "authorization")) {
    h->has_auth = true;
    h->auth_too_long = h->value_len >= sizeof h->auth; /* then no credential: 401 */
    size_t n = h->auth_too_long ? 0 : h->value_len;
    memcpy(h->auth, h->value, n);
    h->auth[n] = 0;
  } else if (!strcasecmp(f, "content-type")) {
    h->has_ctype = true;
    size_t n = h->value_len < sizeof h->ctype - 1 ? h->value_len : sizeof h->ctype - 1;
    memcpy(h->ctype, h->value, n);
    h->ctype[n] = 0;
  } else if (!strcasecmp(f, "expect")) {
    h->req.expect_continue = !strcasecmp(h->value, "100-continue");
  }
  h->field_len = h->value_len = 0;
  h->field_too_long = false;
  return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len) {
  http_conn *h = p->data;
  const serve_config *cfg = serve_ctx_config(serve_conn_ctx(h->c));
  if (h->body.len + len > cfg->limits.max_request_bytes) {
    char msg[128];
    snprintf(msg, sizeof msg, "the request body is over serve.limits.max_request_bytes (%zu bytes)",
             cfg->limits.max_request_bytes);
    return fail_now(h, 413, msg);
  }
  feast_error err;
  if (feast_buf_append(&h->body, at, len, &err)) return fail_now(h, 503, "out of memory");
  return 0;
}

static int on_headers_complete(llhttp_t *p) {
  http_conn *h = p->data;
  const serve_config *cfg = serve_ctx_config(serve_conn_ctx(h->c));
  /* Refuse a declared oversized body before reading it. */
  if ((p->flags & F_CONTENT_LENGTH) && p->content_length > cfg->limits.max_request_bytes) {
    char msg[128];
    snprintf(msg, sizeof msg, "the request body is over serve.limits.max_request_bytes (%zu bytes)",
             cfg->limits.max_request_bytes);
    fail_now(h, 413, msg);
    return HPE_USER;
  }
  /* curl sends Expect: 100-continue for bodies over 1 KiB and waits a
   * second for this before sending the body. */
  if (h->req.expect_continue && (p->flags & F_CONTENT_LENGTH) && p->content_length > 0)
    serve_conn_write(h->c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
  return 0;
}

static int on_message_complete(llhttp_t *p) {
  http_conn *h = p->data;
  h->in_message = false;
  if (!llhttp_should_keep_alive(p)) h->closing = true;
  serve_http_request *r = &h->req;
  r->method = llhttp_method_name((llhttp_method_t)llhttp_get_method(p));
  /* The path without the query. */
  char *q = strchr(h->url, '?');
  if (q) *q = 0;
  r->path = h->url;
  r->body = h->body.data ? (const char *)h->body.data : "";
  r->body_len = h->body.len;
  r->ctx = serve_conn_ctx(h->c);
  r->c = h->c;
  r->authorization = h->has_auth ? h->auth : NULL;
  r->content_type = h->has_ctype ? h->ctype : NULL;
  r->arena = serve_worker_arena(serve_conn_worker(h->c));
  serve_http_dispatch(r);
  uint64_t now = serve_worker_now_ns(serve_conn_worker(h->c));
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  uint64_t latency = now > h->start_ns ? now - h->start_ns : 0;
  serve_metrics_observe(r->ctx->metrics, r->endpoint, r->code, r->code >= 400, latency, r->rows);
  char what[160];
  snprintf(what, sizeof what, "%s %.140s", r->method, r->path);
  serve_access_log(r->ctx, h->c, "http", what, r->code, latency);
  if (h->closing || h->draining) return HPE_USER;
  const serve_config *cfg = serve_ctx_config(r->ctx);
  if (serve_conn_pending(h->c) > cfg->limits.max_pending_bytes) return HPE_PAUSED;
  return 0;
}

static void init_settings(void) {
  llhttp_settings_init(&settings);
  settings.on_message_begin = on_message_begin;
  settings.on_url = on_url;
  settings.on_header_field = on_header_field;
  settings.on_header_value = on_header_value;
  settings.on_header_value_complete = on_header_value_complete;
  settings.on_headers_complete = on_headers_complete;
  settings.on_body = on_body;
  settings.on_message_complete = on_message_complete;
}

/* ---- the protocol ---- */

static int http_open(serve_conn *c, void **state) {
  pthread_once(&settings_once, init_settings);
  http_conn *h = feast_calloc(1, sizeof *h);
  if (!h) return -1;
  h->c = c;
  llhttp_init(&h->parser, HTTP_REQUEST, &settings);
  h->parser.data = h;
  feast_buf_init(&h->body, FEAST_BUF_UNLIMITED); /* capped in on_body */
  feast_buf_init(&h->held, FEAST_BUF_UNLIMITED); /* at most one read's worth */
  *state = h;
  return 0;
}

/* Parse `data`; bytes left after a pause go to h->held. -1: close now. */
static int parse(http_conn *h, const uint8_t *data, size_t len, bool from_held) {
  if (h->failed || h->closing) return 0; /* answered; the rest is ignored */
  llhttp_errno_t e = llhttp_execute(&h->parser, (const char *)data, len);
  if (e == HPE_OK) {
    if (from_held) {
      feast_buf_reset(&h->held);
      h->held_off = 0;
    }
    return 0;
  }
  if (e == HPE_PAUSED) {
    size_t used = (size_t)(llhttp_get_error_pos(&h->parser) - (const char *)data);
    llhttp_resume(&h->parser);
    if (from_held) {
      h->held_off += used;
    } else {
      feast_error err;
      if (feast_buf_append(&h->held, data + used, len - used, &err)) return -1;
      h->held_off = 0;
    }
    return 0;
  }
  if (h->failed || h->closing || h->draining) {
    /* A callback stopped the parser: the answer is queued, the rest ignored. */
    serve_conn_close_after_write(h->c);
    return 0;
  }
  /* A malformed request: 400 (unless an answer to it is already queued). */
  if (!h->failed) {
    h->failed = true;
    memset(&h->req, 0, sizeof h->req);
    h->req.conn = h;
    h->req.ctx = serve_conn_ctx(h->c);
    h->req.endpoint = serve_http_endpoint_other();
    serve_http_error(&h->req, 400, "malformed HTTP request: %s", llhttp_errno_name(e));
    serve_metrics_observe(h->req.ctx->metrics, h->req.endpoint, 400, true, 0, 0);
    serve_access_log(h->req.ctx, h->c, "http", "malformed", 400, 0);
  }
  serve_conn_close_after_write(h->c);
  return 0;
}

static int http_recv(void *state, const uint8_t *data, size_t len) {
  http_conn *h = state;
  if (h->held.len > h->held_off) {
    /* Still paused: keep the order of bytes. */
    feast_error err;
    return feast_buf_append(&h->held, data, len, &err) ? -1 : 0;
  }
  return parse(h, data, len, false);
}

static bool http_want_send(void *state) {
  http_conn *h = state;
  return h->held.len > h->held_off && !h->failed && !h->closing;
}

static int http_send(void *state) {
  http_conn *h = state;
  if (!http_want_send(h)) return 0;
  return parse(h, h->held.data + h->held_off, h->held.len - h->held_off, true);
}

static void http_drain(void *state) {
  http_conn *h = state;
  h->draining = true;
  if (!h->in_message && !http_want_send(h)) serve_conn_close_after_write(h->c);
}

static bool http_idle(void *state) {
  http_conn *h = state;
  return !h->in_message && !http_want_send(h);
}

static void http_close(void *state) {
  http_conn *h = state;
  feast_buf_free(&h->body);
  feast_buf_free(&h->held);
  feast_free(h);
}

const serve_protocol serve_protocol_http = {
    .name = "http",
    .open = http_open,
    .recv = http_recv,
    .send = http_send,
    .want_send = http_want_send,
    .drain = http_drain,
    .idle = http_idle,
    .close = http_close,
};
