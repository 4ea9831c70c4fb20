/*
 * gcp_http.c - gcp_http.h over libcurl: one attempt per call, idle easy
 * handles kept in a small pool so the next call reuses their connections
 * (a BigQuery job poll loop then costs no new TLS handshakes).
 */
#include "cloud/gcp/gcp_http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"

#define POOL_MAX 8
#define DEFAULT_MAX_RESPONSE ((size_t)64 << 20)

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_rc;
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static CURL *pool[POOL_MAX];
static int pool_n;

static void global_init(void) { init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static CURL *handle_get(void) {
  CURL *h = NULL;
  pthread_mutex_lock(&pool_mu);
  if (pool_n) h = pool[--pool_n];
  pthread_mutex_unlock(&pool_mu);
  if (h) curl_easy_reset(h);
  else h = curl_easy_init();
  return h;
}

static void handle_put(CURL *h) {
  pthread_mutex_lock(&pool_mu);
  if (pool_n < POOL_MAX) {
    pool[pool_n++] = h;
    h = NULL;
  }
  pthread_mutex_unlock(&pool_mu);
  if (h) curl_easy_cleanup(h);
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

typedef struct sink {
  feast_buf *buf;
  feast_error *err;
  feast_code rc;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ctx) {
  sink *s = ctx;
  if (s->rc) return 0;
  if ((s->rc = feast_buf_append(s->buf, p, size * n, s->err))) return 0;
  return size * n;
}

/* "POST host/path" without the query string (it may carry tokens). */
static void describe(const char *method, const char *url, char *out, size_t cap) {
  const char *start = strstr(url, "://");
  start = start ? start + 3 : url;
  size_t n = strcspn(start, "?");
  snprintf(out, cap, "%s %.*s", method, (int)(n > 300 ? 300 : n), start);
}

feast_code feast_gcp_http_send(const feast_gcp_http_request *req, feast_gcp_http_response *resp, feast_error *err) {
  pthread_once(&init_once, global_init);
  char what[400];
  describe(req->method, req->url, what, sizeof what);
  if (init_rc != CURLE_OK) return feast_fail(err, FEAST_E_INTERNAL, "%s: libcurl did not initialize", what);
  feast_buf_reset(&resp->body);
  feast_buf_reset(&resp->headers);
  resp->body.max = req->max_response ? req->max_response : DEFAULT_MAX_RESPONSE;
  resp->status = 0;
  CURL *h = handle_get();
  if (!h) return feast_fail(err, FEAST_E_NOMEM, "%s: cannot create a curl handle", what);
  struct curl_slist *hdrs = NULL;
  feast_code rc = FEAST_OK;
  for (size_t i = 0; i < req->n_headers && !rc; i++) {
    struct curl_slist *next = curl_slist_append(hdrs, req->headers[i]);
    if (!next) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    else hdrs = next;
  }
  /* A body of ours is sent whole; "Expect: 100-continue" only adds a round trip. */
  struct curl_slist *next = rc ? NULL : curl_slist_append(hdrs, "Expect:");
  if (!rc && !next) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (next) hdrs = next;
  sink body = {&resp->body, err, FEAST_OK}, head = {&resp->headers, err, FEAST_OK};
  if (!rc) {
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 120000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    if (strcmp(req->method, "GET") == 0) {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 || req->body) {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
      if (strcmp(req->method, "POST") != 0) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    }
    CURLcode cc = curl_easy_perform(h);
    if (body.rc || head.rc) {
      rc = body.rc ? body.rc : head.rc;
      feast_error_prefix(err, "%s: response: ", what);
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
      rc = feast_fail_retriable(err, FEAST_E_TIMEOUT, "%s: no answer in time (%s)", what, curl_easy_strerror(cc));
    } else if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_SEND_ERROR ||
               cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING || cc == CURLE_PARTIAL_FILE) {
      rc = feast_fail_retriable(err, FEAST_E_CONNECT, "%s: %s", what, curl_easy_strerror(cc));
    } else if (cc != CURLE_OK) {
      rc = feast_fail(err, FEAST_E_CONNECT, "%s: %s", what, curl_easy_strerror(cc));
    } else {
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    }
  }
  curl_slist_free_all(hdrs);
  handle_put(h);
  return rc;
}

int feast_gcp_http_header(const feast_gcp_http_response *resp, const char *name, char *out, size_t cap) {
  size_t nlen = strlen(name);
  const char *p = (const char *)resp->headers.data, *end = p ? p + resp->headers.len : NULL;
  int found = 0;
  while (p && p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    if ((size_t)(eol - p) > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
      const char *v = p + nlen + 1, *ve = eol;
      while (v < ve && (*v == ' ' || *v == '\t')) v++;
      while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ')) ve--;
      if (cap) snprintf(out, cap, "%.*s", (int)(ve - v), v);
      found = 1; /* the last one wins: headers of a redirect come first */
    }
    p = eol + 1;
  }
  return found;
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
