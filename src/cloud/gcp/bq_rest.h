/*
 * bq_rest.h - one call to BigQuery's REST API v2, with what every call
 * needs: the Authorization header, JSON in and out (format/json only),
 * BigQuery's error document turned into a message with its reason
 * ("notFound: Not found: Table p:d.t"), and retries with full-jitter
 * exponential backoff on what BigQuery says may pass: HTTP 429 and 5xx,
 * reasons rateLimitExceeded, backendError, internalError, jobBackendError
 * (which come with 403 or 400 too), connection failures and timeouts; a
 * 401 refreshes the token once.
 */
#ifndef FEAST_CLOUD_GCP_BQ_REST_H
#define FEAST_CLOUD_GCP_BQ_REST_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/buf.h"
#include "cloud/gcp/bq_client.h"
#include "format/json/json_reader.h"

typedef struct feast_bq_call {
  const char *method;
  const char *path;         /* after the API root: "/projects/p/datasets/d/tables/t" (encoded) */
  const char *query;        /* "a=1&b=2" (encoded) or NULL */
  const void *body;         /* JSON, or the raw bytes of an upload */
  size_t body_len;
  const char *content_type; /* NULL = application/json when there is a body */
  bool upload;              /* the upload root (/upload/bigquery/v2) instead of /bigquery/v2 */
  const char *url;          /* a whole URL instead (a resumable upload's Location) */
  const char *what;         /* "tables.get p.d.t", for messages */
  int max_attempts;         /* 0 = 6 */
  long timeout_ms;          /* per attempt; 0 = 120 s */
} feast_bq_call;

typedef struct feast_bq_reply {
  long status;
  const feast_json_value *doc; /* the parsed body (NULL for an empty one), in the caller's arena */
  char location[2048];         /* the Location header, when there was one */
  int attempts;
} feast_bq_reply;

/* Send until a 2xx or a final failure. The body is parsed into `arena`.
 * Failures: FEAST_E_NOT_FOUND (404, notFound), FEAST_E_EXISTS (409,
 * duplicate), FEAST_E_INVALID (400 invalid/invalidQuery, 401, 403
 * accessDenied), FEAST_E_SERVER (other statuses; retriable when the last
 * attempt was a retriable one), FEAST_E_CONNECT / FEAST_E_TIMEOUT;
 * messages name `what` and carry BigQuery's reason and message. */
feast_code feast_bq_send(feast_bq *c, const feast_bq_call *call, feast_arena *arena, feast_bq_reply *reply,
                         feast_error *err);

/* Read BigQuery's error document (or an errorResult object) into err:
 * "<what>: HTTP 404 notFound: Not found: Table p:d.t". *retry says whether
 * BigQuery's reason means a later attempt may succeed. `status` 0 for an
 * errorResult of a job. */
feast_code feast_bq_error(const char *what, long status, const feast_json_value *doc, bool *retry, feast_error *err);

/* The same for a raw body (fuzz target, messages of bodies that are not JSON). */
feast_code feast_bq_error_body(const char *what, long status, const void *body, size_t len, bool *retry,
                               feast_error *err);

/* The full-jitter backoff before retry n (1 = the first): uniform in
 * [0, min(cap_ms, base_ms * 2^(n-1))]. */
long feast_bq_backoff_ms(long base_ms, long cap_ms, int n, uint64_t *seed);

/* Append s percent-encoded for a URL path segment. */
feast_code feast_bq_path_escape(feast_buf *out, const char *s, feast_error *err);

#endif
