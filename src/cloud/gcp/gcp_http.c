/*
 * gcp_http.c - gcp_http.h over the project's HTTP client (net/http.h):
 * one process-wide client (its curl handles share one connection cache,
 * so a BigQuery job's poll loop costs no new TLS handshakes), one attempt
 * per call: the retry decisions are the callers', who read Google's error
 * bodies.
 */
#include "cloud/gcp/gcp_http.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "net/http.h"

#define DEFAULT_MAX_RESPONSE ((size_t)64 << 20)

static pthread_once_t client_once = PTHREAD_ONCE_INIT;
static feast_http_client *client;
static feast_error client_err;

static void make_client(void) {
  feast_http_options o;
  memset(&o, 0, sizeof o);
  o.connect_timeout_ms = 10000;
  o.timeout_ms = 600000; /* uploads of entity rows; each request sets no shorter bound itself */
  o.max_attempts = 1;
  o.max_response_body = (size_t)1 << 30;
  client = feast_http_client_new(&o, &client_err);
}

void feast_gcp_http_response_init(feast_gcp_http_response *r) {
  memset(r, 0, sizeof *r);
  feast_buf_init(&r->body, DEFAULT_MAX_RESPONSE);
  feast_buf_init(&r->headers, 1 << 20);
}

void feast_gcp_http_response_free(feast_gcp_http_response *r) {
  feast_buf_free(&r->body);
  feast_buf_free(&r->headers);
}

feast_code feast_gcp_http_send(const feast_gcp_http_request *req, feast_gcp_http_response *resp, feast_error *err) {
  pthread_once(&client_once, make_client);
  if (!client) {
    *err = client_err;
    return err->code;
  }
  feast_buf_reset(&resp->body);
  feast_buf_reset(&resp->headers);
  resp->status = 0;
  /* "Name: value" lines as the client's name/value pairs */
  feast_http_header hdrs[16];
  char names[16][64];
  size_t nh = 0;
  for (size_t i = 0; i < req->n_headers && nh < 16; i++) {
    const char *colon = strchr(req->headers[i], ':');
    if (!colon || colon - req->headers[i] >= 63) continue;
    snprintf(names[nh], sizeof names[nh], "%.*s", (int)(colon - req->headers[i]), req->headers[i]);
    const char *v = colon + 1;
    while (*v == ' ') v++;
    hdrs[nh] = (feast_http_header){names[nh], v};
    nh++;
  }
  feast_http_request r;
  feast_http_request_init(&r, req->method, req->url);
  r.headers = hdrs;
  r.n_headers = nh;
  r.body = req->body;
  r.body_len = req->body_len;
  feast_http_response hr;
  feast_http_response_init(&hr);
  feast_code rc = feast_http_send(client, &r, &hr, err);
  size_t cap = req->max_response ? req->max_response : DEFAULT_MAX_RESPONSE;
  if (rc == FEAST_E_SERVER && hr.status > 0) rc = FEAST_OK; /* an answer: the caller reads the status */
  if (!rc && hr.body.len > cap) {
    char what[400];
    feast_http_describe(req->method, req->url, what, sizeof what);
    rc = feast_fail(err, FEAST_E_TOO_BIG, "%s: an answer of %zu bytes (the cap is %zu)", what, hr.body.len, cap);
  }
  if (!rc) {
    resp->status = hr.status;
    rc = feast_buf_append(&resp->body, hr.body.data ? hr.body.data : (const uint8_t *)"", hr.body.len, err);
    if (!rc) rc = feast_buf_append(&resp->headers, hr.headers.data ? hr.headers.data : (const uint8_t *)"", hr.headers.len, err);
  }
  feast_http_response_free(&hr);
  return rc;
}

int feast_gcp_http_header(const feast_gcp_http_response *resp, const char *name, char *out, size_t cap) {
  /* the headers are the raw lines of the last response, as net/http keeps them */
  feast_http_response view;
  memset(&view, 0, sizeof view);
  view.headers = resp->headers;
  return feast_http_response_header(&view, name, out, cap);
}

feast_code feast_gcp_url_encode(feast_buf *out, const char *s, feast_error *err) {
  static const char HEX[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char c = *p;
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                c == '.' || c == '~';
    feast_code rc;
    if (keep) rc = feast_buf_append_byte(out, c, err);
    else {
      char esc[3] = {'%', HEX[c >> 4], HEX[c & 15]};
      rc = feast_buf_append(out, esc, 3, err);
    }
    if (rc) return rc;
  }
  return FEAST_OK;
}
