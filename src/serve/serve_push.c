/*
 * serve_push.c - POST /push (docs/serve.md): rows into the online store,
 * the offline store, or both.
 */
#include "serve/serve_http_handlers.h"

void serve_http_push(serve_http_request *r, serve_endpoint id);

void serve_http_push(serve_http_request *r, serve_endpoint id) {
  r->endpoint = id;
  serve_http_error(r, 501, "POST /push is not in this build yet");
}
