/*
 * http.h - the HTTP client of libfeast, over libcurl: request/response with
 * connection reuse, timeouts, capped bodies, retries with full-jitter
 * exponential backoff, streaming of response bodies, and several requests
 * in flight at once (curl multi) for readers of object storage.
 *
 * A client keeps a small pool of curl handles that share one connection
 * cache and DNS cache, so any thread can send through the same client and
 * connections to a host are reused across calls. Messages name the method,
 * host and path of the request and nothing else: no header values (the
 * Authorization header), no query string (presigned signatures).
 *
 * Retries: connection failures, timeouts, 429 and 5xx are retried by
 * default; a `classify` callback can look at an error response and say
 * otherwise (AWS answers throttling with 400 and an error code in the
 * body). `prepare` runs before every attempt, so a request can be signed
 * anew with a fresh date. The final error says whether a later call might
 * succeed (feast_error.retriable, librdkafka's model).
 */
#ifndef FEAST_NET_HTTP_H
#define FEAST_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "feast/error.h"

typedef struct feast_http_client feast_http_client;

typedef struct feast_http_options {
  long connect_timeout_ms;   /* per attempt; 0 = 5000 */
  long timeout_ms;           /* whole attempt, connect to last byte; 0 = 60000 */
  size_t max_request_body;   /* 0 = 5 GiB (S3's single PUT limit) */
  size_t max_response_body;  /* buffered bodies; 0 = 256 MiB */
  int max_attempts;          /* 0 = 5; 1 = no retry */
  long backoff_base_ms;      /* 0 = 100: the first retry waits up to this */
  long backoff_max_ms;       /* 0 = 20000: no wait is longer */
  int max_handles;           /* idle curl handles kept for reuse; 0 = 16 */
} feast_http_options;

typedef struct feast_http_header {
  const char *name;
  const char *value;
} feast_http_header;

typedef struct feast_http_response feast_http_response;
typedef struct feast_http_request feast_http_request;

/* What to do with a finished attempt that did not succeed. */
typedef enum feast_http_verdict {
  FEAST_HTTP_DEFAULT = 0, /* decide by status: 429 and 5xx retry, other errors are final */
  FEAST_HTTP_RETRY,
  FEAST_HTTP_FINAL
} feast_http_verdict;

/* Called before each attempt (attempt = 1, 2, ...). It may rewrite the
 * request's url, headers and body (re-signing); what it points them at must
 * live until the next call or the end of the request. */
typedef feast_code (*feast_http_prepare_fn)(void *ctx, feast_http_request *req, int attempt, feast_error *err);
/* Called on a response with status >= 300 (body buffered in resp->body). */
typedef feast_http_verdict (*feast_http_classify_fn)(void *ctx, const feast_http_response *resp);
/* Receives a 2xx response body as it arrives. A request whose callback has
 * already received bytes is not retried (its failure is marked retriable,
 * so the caller can resume from where the bytes stopped). */
typedef feast_code (*feast_http_body_fn)(void *ctx, const uint8_t *p, size_t n, feast_error *err);

struct feast_http_request {
  const char *method; /* "GET", "PUT", "POST", "HEAD", "DELETE" */
  const char *url;    /* scheme://host[:port]/path[?query], already encoded */
  const feast_http_header *headers;
  size_t n_headers;
  const void *body;
  size_t body_len;
  int64_t range_first; /* with range_last >= range_first: "Range: bytes=first-last" */
  int64_t range_last;  /* -1 = no range */
  feast_http_body_fn on_body; /* NULL: buffer the body in the response */
  void *body_ctx;
  feast_http_prepare_fn prepare;
  feast_http_classify_fn classify;
  void *ctx; /* for prepare and classify */
};

struct feast_http_response {
  long status;          /* 0 when no response arrived */
  feast_buf body;       /* buffered body (or an error body when streaming) */
  feast_buf headers;    /* the last response's header lines, raw */
  int attempts;         /* how many were sent */
  long backoff_ms[16];  /* the waits before the retries, in order (the first 16) */
  uint64_t streamed;    /* bytes handed to on_body */
};

void feast_http_request_init(feast_http_request *req, const char *method, const char *url);
void feast_http_response_init(feast_http_response *resp);
void feast_http_response_free(feast_http_response *resp);

/* NULL (with err filled) on failure. `opt` may be NULL; it is copied. */
feast_http_client *feast_http_client_new(const feast_http_options *opt, feast_error *err);
void feast_http_client_free(feast_http_client *c); /* accepts NULL */

/* Send, retrying as above, until a 2xx (FEAST_OK) or a final failure:
 *   no connection: FEAST_E_CONNECT; no answer in time: FEAST_E_TIMEOUT;
 *   a body over a cap: FEAST_E_TOO_BIG; an error status: FEAST_E_SERVER
 *   (resp->status and resp->body hold the answer, for the caller to read
 *   the service's own error). `resp` is reset first. */
feast_code feast_http_send(feast_http_client *c, feast_http_request *req, feast_http_response *resp,
                           feast_error *err);

/* Send n requests with up to max_in_flight at once (0 = 8), each retried
 * as feast_http_send would. codes[i] and errs[i] (errs may be NULL) get each
 * request's result; returns FEAST_OK when all succeeded, else the first
 * failure's code (its message in *err). */
feast_code feast_http_send_many(feast_http_client *c, feast_http_request *reqs, feast_http_response *resps,
                                size_t n, int max_in_flight, feast_code *codes, feast_error *errs,
                                feast_error *err);

/* The value of a response header (case-insensitive name), copied with
 * surrounding spaces trimmed into out[cap]; false when absent. */
bool feast_http_response_header(const feast_http_response *resp, const char *name, char *out, size_t cap);

/* "GET host/path" of a URL, without the query string, for messages. */
void feast_http_describe(const char *method, const char *url, char *out, size_t cap);

/* The wait before retry number `retry` (1 = the first retry): a uniform
 * random value in [0, min(max_ms, base_ms * 2^(retry-1))] (full jitter).
 * `seed` is the caller's PRNG state. */
long feast_http_backoff_ms(long base_ms, long max_ms, int retry, uint64_t *seed);

/* Requests sent by this client (attempts, retries included). */
uint64_t feast_http_client_requests(const feast_http_client *c);

#endif
