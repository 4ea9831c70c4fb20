/*
 * gcp_http.h - the one narrow HTTP door of the Google Cloud code: send one
 * request, get the status, headers and a capped body. Retries, backoff and
 * the reading of Google's error documents are the callers' (bq_rest.c,
 * gcp_creds.c), because BigQuery says "retry" in its error body
 * (rateLimitExceeded comes with 403), which a transport cannot know.
 *
 * Today this is libcurl with a small pool of easy handles that share one
 * connection cache; when the project's HTTP client (src/net/http.h) is on
 * main, gcp_http.c becomes a thin call into it and nothing else changes.
 *
 * Thread-safe: any thread may send at any time.
 */
#ifndef FEAST_CLOUD_GCP_HTTP_H
#define FEAST_CLOUD_GCP_HTTP_H

#include <stddef.h>

#include "base/buf.h"
#include "feast/error.h"

typedef struct feast_gcp_http_request {
  const char *method; /* "GET", "POST", "PUT", "DELETE" */
  const char *url;    /* already encoded */
  const char *const *headers; /* "Name: value" lines */
  size_t n_headers;
  const void *body;
  size_t body_len;
  long timeout_ms;       /* whole attempt; 0 = 120000 */
  size_t max_response;   /* body cap; 0 = 64 MiB */
} feast_gcp_http_request;

typedef struct feast_gcp_http_response {
  long status;     /* 0 when no answer arrived */
  feast_buf body;  /* the caller frees it (feast_gcp_http_response_free) */
  feast_buf headers;
} feast_gcp_http_response;

void feast_gcp_http_response_init(feast_gcp_http_response *r);
void feast_gcp_http_response_free(feast_gcp_http_response *r);

/* Send once. FEAST_OK whenever an answer arrived, whatever its status (the
 * caller reads resp->status); FEAST_E_CONNECT when the server could not be
 * reached, FEAST_E_TIMEOUT when it did not answer in time (both marked
 * retriable), FEAST_E_TOO_BIG past max_response. Messages name the method
 * and the URL without its query string. */
feast_code feast_gcp_http_send(const feast_gcp_http_request *req, feast_gcp_http_response *resp, feast_error *err);

/* A response header's value (case-insensitive name), trimmed, copied into
 * out[cap]; 0 when absent. */
int feast_gcp_http_header(const feast_gcp_http_response *resp, const char *name, char *out, size_t cap);

/* Percent-encode `s` for a URL path segment or a form value into out
 * (RFC 3986 unreserved characters are kept). */
feast_code feast_gcp_url_encode(feast_buf *out, const char *s, feast_error *err);

#endif
