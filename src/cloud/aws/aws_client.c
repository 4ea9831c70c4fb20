/*
 * aws_client.c - signed, retried AWS calls (see aws_client.h). The HTTP
 * client's prepare hook signs each attempt; its classify hook reads AWS's
 * error code so that 400 ThrottlingException is retried like a 503.
 */
#include "cloud/aws/aws_client.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "cloud/aws/aws_error.h"

struct feast_aws_client {
  char service[32];
  char region[64];
  feast_aws_endpoint endpoint;
  feast_aws_creds *creds;
  bool own_creds;
  feast_http_client *http;
  feast_sigv4_key_cache keys;
};

feast_aws_client *feast_aws_client_new(const feast_aws_settings *s, const char *service, const char *region,
                                       feast_aws_creds *creds, feast_error *err) {
  feast_aws_client *c = feast_calloc(1, sizeof *c);
  if (!c) {
    feast_fail(err, FEAST_E_NOMEM, "aws: out of memory");
    return NULL;
  }
  feast_sigv4_key_cache_init(&c->keys);
  snprintf(c->service, sizeof c->service, "%s", service);
  feast_code rc = feast_aws_region(s, region, c->region, sizeof c->region, err);
  if (!rc) rc = feast_aws_endpoint_for(s, service, c->region, &c->endpoint, err);
  if (!rc) {
    feast_http_options o = {0};
    if (s) {
      o.connect_timeout_ms = s->connect_timeout_ms;
      o.timeout_ms = s->timeout_ms;
      o.max_attempts = s->max_attempts;
    }
    c->http = feast_http_client_new(&o, err);
    if (!c->http) rc = err ? err->code : FEAST_E_NOMEM;
  }
  if (!rc) {
    if (creds) {
      c->creds = creds;
    } else {
      c->creds = feast_aws_creds_new(s, NULL, err);
      c->own_creds = true;
      if (!c->creds) rc = err ? err->code : FEAST_E_NOMEM;
    }
  }
  if (rc) {
    feast_aws_client_free(c);
    return NULL;
  }
  return c;
}

void feast_aws_client_free(feast_aws_client *c) {
  if (!c) return;
  if (c->own_creds) feast_aws_creds_free(c->creds);
  feast_http_client_free(c->http);
  feast_sigv4_key_cache_destroy(&c->keys);
  feast_free(c);
}

const feast_aws_endpoint *feast_aws_client_endpoint(const feast_aws_client *c) { return &c->endpoint; }
const char *feast_aws_client_region(const feast_aws_client *c) { return c->region; }
uint64_t feast_aws_client_requests(const feast_aws_client *c) { return feast_http_client_requests(c->http); }

long feast_aws_client_key_derivations(feast_aws_client *c) {
  pthread_mutex_lock(&c->keys.mu);
  long n = c->keys.derivations;
  pthread_mutex_unlock(&c->keys.mu);
  return n;
}

void feast_aws_call_init(feast_aws_call *call, const char *op, const char *method) {
  memset(call, 0, sizeof *call);
  call->op = op;
  call->method = method;
  call->range_first = -1;
  call->range_last = -1;
}

/* One call's signing state: what the request's url and headers point at. */
typedef struct call_state {
  feast_aws_client *c;
  const feast_aws_call *call;
  feast_sigv4_output sig;
  feast_buf url;
  feast_http_header *headers; /* the call's, then Host, X-Amz-Date, ... */
  feast_aws_credentials creds;
  bool creds_failed;
} call_state;

static feast_code prepare(void *ctx, feast_http_request *req, int attempt, feast_error *err) {
  (void)attempt;
  call_state *st = ctx;
  feast_aws_client *c = st->c;
  const feast_aws_call *call = st->call;
  feast_code rc = feast_aws_creds_get(c->creds, &st->creds, err);
  if (rc) {
    st->creds_failed = true;
    return feast_error_prefix(err, "AWS %s %s%s%s: ", c->service, call->op, call->resource ? " " : "",
                              call->resource ? call->resource : "");
  }
  const char *host = call->host ? call->host : c->endpoint.host;
  bool s3 = strcmp(c->service, "s3") == 0;
  feast_sigv4_input in = {.method = call->method, .host = host, .path = call->path ? call->path : "/",
                          .query = call->query, .n_query = call->n_query, .headers = call->headers,
                          .n_headers = call->n_headers, .body = call->body, .body_len = call->body_len,
                          .payload_hash = call->unsigned_payload ? "UNSIGNED-PAYLOAD" : NULL};
  feast_sigv4_options opt = {.region = c->region, .service = c->service, .s3 = s3, .content_sha256 = s3,
                             .now = (int64_t)time(NULL)};
  rc = feast_sigv4_sign(&c->keys, &st->creds, &opt, &in, &st->sig, err);
  if (rc) return rc;
  feast_buf_reset(&st->url);
  rc = feast_buf_printf(&st->url, err, "%s://%s%s", c->endpoint.scheme, host, in.path);
  if (!rc && st->sig.query.len) rc = feast_buf_printf(&st->url, err, "?%s", (const char *)st->sig.query.data);
  if (!rc && !feast_buf_cstr(&st->url, err)) rc = FEAST_E_NOMEM;
  if (rc) return rc;
  size_t n = 0;
  for (size_t i = 0; i < call->n_headers; i++) st->headers[n++] = (feast_http_header){call->headers[i].name, call->headers[i].value};
  st->headers[n++] = (feast_http_header){"Host", host};
  st->headers[n++] = (feast_http_header){"X-Amz-Date", st->sig.amz_date};
  st->headers[n++] = (feast_http_header){"Authorization", (const char *)st->sig.authorization.data};
  if (st->creds.session_token[0]) st->headers[n++] = (feast_http_header){"X-Amz-Security-Token", st->creds.session_token};
  if (s3) st->headers[n++] = (feast_http_header){"x-amz-content-sha256", st->sig.payload_hash};
  req->url = (const char *)st->url.data;
  req->headers = st->headers;
  req->n_headers = n;
  return FEAST_OK;
}

static feast_http_verdict classify(void *ctx, const feast_http_response *resp) {
  (void)ctx;
  char type[256];
  bool has_type = feast_http_response_header(resp, "x-amzn-ErrorType", type, sizeof type);
  feast_aws_error_info info;
  feast_aws_error_parse(resp->status, resp->body.data, resp->body.len, has_type ? type : NULL, &info);
  return feast_aws_error_classify(resp->status, &info) == FEAST_AWS_ERR_RETRY ? FEAST_HTTP_RETRY : FEAST_HTTP_FINAL;
}

static feast_code state_init(call_state *st, feast_aws_client *c, const feast_aws_call *call, feast_http_request *req,
                             feast_error *err) {
  memset(st, 0, sizeof *st);
  st->c = c;
  st->call = call;
  feast_sigv4_output_init(&st->sig);
  feast_buf_init(&st->url, 1 << 20);
  st->headers = feast_calloc(call->n_headers + 6, sizeof *st->headers);
  if (!st->headers) return feast_fail(err, FEAST_E_NOMEM, "aws: out of memory");
  feast_http_request_init(req, call->method, NULL);
  req->body = call->body;
  req->body_len = call->body_len;
  req->range_first = call->range_first;
  req->range_last = call->range_last;
  req->on_body = call->on_body;
  req->body_ctx = call->body_ctx;
  req->prepare = prepare;
  req->classify = classify;
  req->ctx = st;
  return FEAST_OK;
}

static void state_free(call_state *st) {
  feast_sigv4_output_free(&st->sig);
  feast_buf_free(&st->url);
  feast_free(st->headers);
  memset(&st->creds, 0, sizeof st->creds);
}

/* Turn an HTTP failure into AWS's words. */
static feast_code report(feast_aws_client *c, const call_state *st, const feast_http_response *resp, feast_code rc,
                         feast_error *err) {
  if (rc == FEAST_OK || st->creds_failed) return rc;
  const feast_aws_call *call = st->call;
  if (rc == FEAST_E_SERVER && resp->status > 0) {
    char type[256];
    bool has_type = feast_http_response_header(resp, "x-amzn-ErrorType", type, sizeof type);
    feast_aws_error_info info;
    feast_aws_error_parse(resp->status, resp->body.data, resp->body.len, has_type ? type : NULL, &info);
    int attempts = resp->attempts;
    feast_code code = feast_aws_error_fail(err, c->service, call->op, call->resource, resp->status, &info);
    if (err && err->retriable && attempts > 1) {
      size_t used = strlen(err->message);
      snprintf(err->message + used, sizeof err->message - used, " (after %d attempts)", attempts);
    }
    return code;
  }
  if (!err) return rc;
  int retriable = err->retriable;
  feast_error_prefix(err, "AWS %s %s%s%s: ", c->service, call->op, call->resource ? " " : "",
                     call->resource ? call->resource : "");
  err->retriable = retriable;
  return rc;
}

feast_code feast_aws_send(feast_aws_client *c, const feast_aws_call *call, feast_http_response *resp,
                          feast_error *err) {
  call_state st;
  feast_http_request req;
  feast_code rc = state_init(&st, c, call, &req, err);
  if (!rc) rc = feast_http_send(c->http, &req, resp, err);
  rc = report(c, &st, resp, rc, err);
  state_free(&st);
  return rc;
}

feast_code feast_aws_send_many(feast_aws_client *c, const feast_aws_call *calls, feast_http_response *resps, size_t n,
                               int max_in_flight, feast_code *codes, feast_error *errs, feast_error *err) {
  if (n == 0) return FEAST_OK;
  call_state *st = feast_calloc(n, sizeof *st);
  feast_http_request *reqs = feast_calloc(n, sizeof *reqs);
  feast_code *own_codes = codes ? NULL : feast_calloc(n, sizeof *own_codes);
  feast_error *own_errs = errs ? NULL : feast_calloc(n, sizeof *own_errs);
  feast_code rc = FEAST_OK;
  if (!st || !reqs || (!codes && !own_codes) || (!errs && !own_errs)) {
    rc = feast_fail(err, FEAST_E_NOMEM, "aws: out of memory");
    n = 0;
  }
  if (!codes) codes = own_codes;
  if (!errs) errs = own_errs;
  size_t ready = 0;
  for (; ready < n && !rc; ready++) rc = state_init(&st[ready], c, &calls[ready], &reqs[ready], err);
  if (!rc) {
    feast_http_send_many(c->http, reqs, resps, n, max_in_flight, codes, errs, err);
    for (size_t i = 0; i < n; i++) {
      codes[i] = report(c, &st[i], &resps[i], codes[i], &errs[i]);
      if (codes[i] && !rc) {
        rc = codes[i];
        if (err) *err = errs[i];
      }
    }
  }
  for (size_t i = 0; i < ready; i++) state_free(&st[i]);
  feast_free(st);
  feast_free(reqs);
  feast_free(own_codes);
  feast_free(own_errs);
  return rc;
}
