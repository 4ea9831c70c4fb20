/*
 * serve_http_handlers.h - between the HTTP protocol (serve_http.c: parsing,
 * connections) and the endpoints (serve_http_handlers.c: routing, auth,
 * online reads, push, health, metrics): one whole request, and the ways to
 * answer it.
 */
#ifndef FEAST_SERVE_HTTP_HANDLERS_H
#define FEAST_SERVE_HTTP_HANDLERS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "serve/serve.h"

typedef struct serve_http_request {
  struct http_conn *conn; /* private to serve_http.c */
  const serve_ctx *ctx;
  serve_conn *c;
  feast_arena *arena; /* reset after the request */
  const char *method; /* "GET", "POST", ... */
  const char *path;   /* without the query */
  const char *body;
  size_t body_len;
  /* Headers the endpoints use (NULL when absent). */
  const char *authorization;
  const char *content_type;
  bool expect_continue;
  /* Set by the handler. */
  int code;
  serve_endpoint endpoint;
  uint64_t rows;
  const char *extra_headers; /* "Name: value\r\n..." added to the answer */
} serve_http_request;

/* Route and answer: sets r->code and r->endpoint. */
void serve_http_dispatch(serve_http_request *r);
serve_endpoint serve_http_endpoint_other(void);

/* Bearer-token check of the request for `project` (NULL = none in
 * particular); false when refused (the 401/403 is answered). */
bool serve_http_authorize(serve_http_request *r, const char *project, serve_access need);
/* POST /push (serve_push.c). */
void serve_http_push(serve_http_request *r, serve_endpoint id);

void serve_http_respond(serve_http_request *r, int code, const char *ctype, const char *body, size_t len);
/* `body` (from malloc) is sent by reference and freed with free(). */
void serve_http_respond_owned(serve_http_request *r, int code, const char *ctype, char *body, size_t len);
void serve_http_error(serve_http_request *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
