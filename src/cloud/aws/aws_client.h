/*
 * aws_client.h - one AWS service endpoint to call: the resolved region and
 * endpoint, the credentials chain, an HTTP client and a signing-key cache.
 * A call is signed anew before every attempt (fresh date, refreshed
 * credentials), retried on throttling, 5xx and lost connections, and a
 * failure is reported in AWS's words: "AWS s3 GetObject s3://b/k:
 * NoSuchKey: The specified key does not exist."
 *
 * Thread-safe: calls may be made from any number of threads at once.
 */
#ifndef FEAST_CLOUD_AWS_CLIENT_H
#define FEAST_CLOUD_AWS_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "cloud/aws/aws_config.h"
#include "cloud/aws/aws_creds.h"
#include "cloud/aws/sigv4.h"
#include "net/http.h"

typedef struct feast_aws_client feast_aws_client;

/* service: "s3" or "kinesis"; region: the source's own or NULL (then the
 * settings and environment decide, see aws_config.h). `creds` is borrowed
 * and may be shared by clients; NULL makes one from `s`. */
feast_aws_client *feast_aws_client_new(const feast_aws_settings *s, const char *service, const char *region,
                                       feast_aws_creds *creds, feast_error *err);
void feast_aws_client_free(feast_aws_client *c); /* accepts NULL */

const feast_aws_endpoint *feast_aws_client_endpoint(const feast_aws_client *c);
const char *feast_aws_client_region(const feast_aws_client *c);
/* HTTP requests sent (retries included): the counter tests read. */
uint64_t feast_aws_client_requests(const feast_aws_client *c);
/* Signing keys derived (once a day per secret, with the cache). */
long feast_aws_client_key_derivations(feast_aws_client *c);

typedef struct feast_aws_call {
  const char *op;       /* "GetObject", for messages */
  const char *resource; /* "s3://bucket/key", for messages; may be NULL */
  const char *method;
  const char *host;     /* NULL: the endpoint's host (S3 virtual-host style passes its own) */
  const char *path;     /* percent-encoded, the endpoint's base path included; NULL = "/" */
  const feast_sigv4_pair *query; /* raw names and values */
  size_t n_query;
  const feast_sigv4_pair *headers; /* signed and sent */
  size_t n_headers;
  const void *body;
  size_t body_len;
  bool unsigned_payload;  /* sign "UNSIGNED-PAYLOAD" instead of hashing the body (S3) */
  int64_t range_first;    /* >= 0 with range_last: a ranged GET */
  int64_t range_last;
  feast_http_body_fn on_body; /* stream a 2xx body instead of buffering it */
  void *body_ctx;
} feast_aws_call;

/* A call with no range (range_first = range_last = -1). */
void feast_aws_call_init(feast_aws_call *call, const char *op, const char *method);

/* Send and wait. On FEAST_OK resp holds the 2xx answer. */
feast_code feast_aws_send(feast_aws_client *c, const feast_aws_call *call, feast_http_response *resp,
                          feast_error *err);

/* Send n calls with up to max_in_flight at once (see feast_http_send_many). */
feast_code feast_aws_send_many(feast_aws_client *c, const feast_aws_call *calls, feast_http_response *resps, size_t n,
                               int max_in_flight, feast_code *codes, feast_error *errs, feast_error *err);

#endif
