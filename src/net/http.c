/*
 * http.c - the HTTP client over libcurl (see http.h). One attempt is set up
 * by setup_transfer and judged by finish_attempt; feast_http_send loops over
 * attempts on one handle, feast_http_send_many runs many transfers through
 * a curl multi handle, each with its own retry schedule.
 */
#include "net/http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"

#define ERROR_BODY_MAX (1u << 20) /* an error answer kept while streaming */
#define HEADERS_MAX (64u << 10)

struct feast_http_client {
  feast_http_options opt;
  CURLSH *share;
  pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
  pthread_mutex_t pool_mu;
  CURL **pool; /* idle handles; each keeps its TLS session and settings cache */
  int n_pool;
  pthread_mutex_t rng_mu;
  uint64_t rng;
  atomic_uint_fast64_t requests;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;
static void global_init(void) { global_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ctx) {
  (void)h;
  (void)access;
  feast_http_client *c = ctx;
  pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ctx) {
  (void)h;
  feast_http_client *c = ctx;
  pthread_mutex_unlock(&c->share_locks[data]);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
  if (ms <= 0) return;
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

feast_http_client *feast_http_client_new(const feast_http_options *opt, feast_error *err) {
  pthread_once(&global_once, global_init);
  if (global_rc != CURLE_OK) {
    feast_fail(err, FEAST_E_INTERNAL, "http: curl_global_init failed: %s", curl_easy_strerror(global_rc));
    return NULL;
  }
  feast_http_client *c = feast_calloc(1, sizeof *c);
  if (!c) {
    feast_fail(err, FEAST_E_NOMEM, "http: out of memory");
    return NULL;
  }
  if (opt) c->opt = *opt;
  if (!c->opt.connect_timeout_ms) c->opt.connect_timeout_ms = 5000;
  if (!c->opt.timeout_ms) c->opt.timeout_ms = 60000;
  if (!c->opt.max_request_body) c->opt.max_request_body = (size_t)5 << 30;
  if (!c->opt.max_response_body) c->opt.max_response_body = (size_t)256 << 20;
  if (!c->opt.max_attempts) c->opt.max_attempts = 5;
  if (!c->opt.backoff_base_ms) c->opt.backoff_base_ms = 100;
  if (!c->opt.backoff_max_ms) c->opt.backoff_max_ms = 20000;
  if (!c->opt.max_handles) c->opt.max_handles = 16;
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&c->share_locks[i], NULL);
  pthread_mutex_init(&c->pool_mu, NULL);
  pthread_mutex_init(&c->rng_mu, NULL);
  c->rng = (uint64_t)now_ms() * 0x9E3779B97F4A7C15ull ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
  c->pool = feast_calloc((size_t)c->opt.max_handles, sizeof *c->pool);
  c->share = curl_share_init();
  if (!c->pool || !c->share) {
    feast_http_client_free(c);
    feast_fail(err, FEAST_E_NOMEM, "http: out of memory");
    return NULL;
  }
  curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
  curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
  curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
  curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  return c;
}

void feast_http_client_free(feast_http_client *c) {
  if (!c) return;
  for (int i = 0; i < c->n_pool; i++) curl_easy_cleanup(c->pool[i]);
  feast_free(c->pool);
  if (c->share) curl_share_cleanup(c->share);
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&c->share_locks[i]);
  pthread_mutex_destroy(&c->pool_mu);
  pthread_mutex_destroy(&c->rng_mu);
  feast_free(c);
}

uint64_t feast_http_client_requests(const feast_http_client *c) {
  return atomic_load(&((feast_http_client *)c)->requests);
}

static CURL *acquire_handle(feast_http_client *c) {
  CURL *h = NULL;
  pthread_mutex_lock(&c->pool_mu);
  if (c->n_pool) h = c->pool[--c->n_pool];
  pthread_mutex_unlock(&c->pool_mu);
  if (!h) h = curl_easy_init();
  return h;
}

static void release_handle(feast_http_client *c, CURL *h) {
  if (!h) return;
  pthread_mutex_lock(&c->pool_mu);
  if (c->n_pool < c->opt.max_handles) {
    c->pool[c->n_pool++] = h;
    h = NULL;
  }
  pthread_mutex_unlock(&c->pool_mu);
  if (h) curl_easy_cleanup(h);
}

long feast_http_backoff_ms(long base_ms, long max_ms, int retry, uint64_t *seed) {
  long ceiling = base_ms;
  for (int i = 1; i < retry && ceiling < max_ms; i++) ceiling *= 2;
  if (ceiling > max_ms) ceiling = max_ms;
  /* xorshift64*: a cheap PRNG is enough to spread clients apart */
  uint64_t x = *seed ? *seed : 0x2545F4914F6CDD1Dull;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *seed = x;
  uint64_t r = x * 0x2545F4914F6CDD1Dull;
  return (long)(r % (uint64_t)(ceiling + 1));
}

static long next_backoff(feast_http_client *c, int retry) {
  pthread_mutex_lock(&c->rng_mu);
  long ms = feast_http_backoff_ms(c->opt.backoff_base_ms, c->opt.backoff_max_ms, retry, &c->rng);
  pthread_mutex_unlock(&c->rng_mu);
  return ms;
}

void feast_http_describe(const char *method, const char *url, char *out, size_t cap) {
  const char *p = url ? url : "";
  const char *scheme_end = strstr(p, "://");
  if (scheme_end) p = scheme_end + 3;
  size_t n = strcspn(p, "?#");
  snprintf(out, cap, "%s %.*s", method ? method : "?", (int)n, p);
}

void feast_http_request_init(feast_http_request *req, const char *method, const char *url) {
  memset(req, 0, sizeof *req);
  req->method = method;
  req->url = url;
  req->range_first = -1;
  req->range_last = -1;
}

void feast_http_response_init(feast_http_response *resp) {
  memset(resp, 0, sizeof *resp);
  feast_buf_init(&resp->body, FEAST_BUF_UNLIMITED);
  feast_buf_init(&resp->headers, HEADERS_MAX);
}

void feast_http_response_free(feast_http_response *resp) {
  if (!resp) return;
  feast_buf_free(&resp->body);
  feast_buf_free(&resp->headers);
}

bool feast_http_response_header(const feast_http_response *resp, const char *name, char *out, size_t cap) {
  size_t nlen = strlen(name);
  const char *p = (const char *)resp->headers.data, *end = p + resp->headers.len;
  while (p && p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *line_end = eol ? eol : end;
    if ((size_t)(line_end - p) > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
      const char *v = p + nlen + 1;
      while (v < line_end && (*v == ' ' || *v == '\t')) v++;
      const char *ve = line_end;
      while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
      if (cap) snprintf(out, cap, "%.*s", (int)(ve - v), v);
      return true;
    }
    p = eol ? eol + 1 : end;
  }
  return false;
}

/* ---- one transfer ---- */

typedef struct transfer {
  feast_http_client *client;
  feast_http_request *req;
  feast_http_response *resp;
  CURL *h;
  struct curl_slist *hdrs;
  char what[512]; /* "GET host/path" */
  int attempt;
  int64_t not_before_ms; /* send_many: when the next attempt may start */
  bool done;
  bool status_known;
  long status;
  /* failures the callbacks met: they make curl stop with CURLE_WRITE_ERROR */
  feast_code cb_rc;
  feast_error cb_err;
  feast_code rc;
  feast_error *err;
} transfer;

static size_t on_header(char *p, size_t size, size_t n, void *ctx) {
  transfer *t = ctx;
  size_t len = size * n;
  if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) feast_buf_reset(&t->resp->headers); /* a new response (after 100) */
  if (feast_buf_append(&t->resp->headers, p, len, NULL) != FEAST_OK) return 0;
  return len;
}

static size_t on_write(char *p, size_t size, size_t n, void *ctx) {
  transfer *t = ctx;
  size_t len = size * n;
  if (!t->status_known) {
    curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &t->status);
    t->status_known = true;
  }
  bool ok_status = t->status >= 200 && t->status < 300;
  if (ok_status && t->req->on_body) {
    feast_code rc = t->req->on_body(t->req->body_ctx, (const uint8_t *)p, len, &t->cb_err);
    if (rc) {
      t->cb_rc = rc;
      return 0;
    }
    t->resp->streamed += len;
    return len;
  }
  size_t cap = ok_status ? t->client->opt.max_response_body : ERROR_BODY_MAX;
  if (t->resp->body.len + len > cap) {
    t->cb_rc = feast_fail(&t->cb_err, FEAST_E_TOO_BIG, "%s: response body over the limit of %zu bytes", t->what,
                          cap);
    return 0;
  }
  if (feast_buf_append(&t->resp->body, p, len, &t->cb_err) != FEAST_OK) {
    t->cb_rc = t->cb_err.code;
    return 0;
  }
  return len;
}

static feast_code add_header(transfer *t, const char *line) {
  struct curl_slist *n = curl_slist_append(t->hdrs, line);
  if (!n) return feast_fail(t->err, FEAST_E_NOMEM, "%s: out of memory", t->what);
  t->hdrs = n;
  return FEAST_OK;
}

/* Configure t->h for the next attempt of t->req. */
static feast_code setup_transfer(transfer *t) {
  feast_http_request *req = t->req;
  feast_http_client *c = t->client;
  t->attempt++;
  if (req->prepare) {
    feast_code rc = req->prepare(req->ctx, req, t->attempt, t->err);
    if (rc) return rc;
  }
  feast_http_describe(req->method, req->url, t->what, sizeof t->what);
  if (req->body_len > c->opt.max_request_body)
    return feast_fail(t->err, FEAST_E_TOO_BIG, "%s: request body of %zu bytes is over the limit of %zu", t->what,
                      req->body_len, c->opt.max_request_body);
  feast_buf_reset(&t->resp->body);
  feast_buf_reset(&t->resp->headers);
  t->resp->status = 0;
  t->status_known = false;
  t->status = 0;
  t->cb_rc = FEAST_OK;
  curl_slist_free_all(t->hdrs);
  t->hdrs = NULL;

  CURL *h = t->h;
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, req->url);
  curl_easy_setopt(h, CURLOPT_SHARE, c->share);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->opt.connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->opt.timeout_ms);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(h, CURLOPT_PRIVATE, t);
  const char *m = req->method ? req->method : "GET";
  bool has_content_type = false;
  for (size_t i = 0; i < req->n_headers; i++) {
    if (strcasecmp(req->headers[i].name, "content-type") == 0) has_content_type = true;
    char line[8192];
    int len = snprintf(line, sizeof line, "%s: %s", req->headers[i].name,
                       req->headers[i].value ? req->headers[i].value : "");
    if (len < 0 || (size_t)len >= sizeof line)
      return feast_fail(t->err, FEAST_E_TOO_BIG, "%s: header %s is too long", t->what, req->headers[i].name);
    if (add_header(t, line)) return t->err ? t->err->code : FEAST_E_NOMEM;
  }
  /* curl would add headers of its own that change a signed request or cost
   * a round trip: no Expect: 100-continue, no default form content type. */
  if (add_header(t, "Expect:")) return FEAST_E_NOMEM;
  if (!has_content_type && add_header(t, "Content-Type:")) return FEAST_E_NOMEM;
  if (req->range_first >= 0 && req->range_last >= req->range_first) {
    char range[80];
    snprintf(range, sizeof range, "Range: bytes=%lld-%lld", (long long)req->range_first, (long long)req->range_last);
    if (add_header(t, range)) return FEAST_E_NOMEM;
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->hdrs);
  if (strcmp(m, "HEAD") == 0) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (strcmp(m, "GET") == 0 && req->body_len == 0) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    if (req->body_len || strcmp(m, "PUT") == 0 || strcmp(m, "POST") == 0) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
    }
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
  }
  atomic_fetch_add(&c->requests, 1);
  t->resp->attempts = t->attempt;
  return FEAST_OK;
}

typedef enum outcome { OUTCOME_OK, OUTCOME_RETRY, OUTCOME_FAIL } outcome;

/* Judge a finished attempt; on failure t->err holds the message and
 * t->rc the code. */
static outcome finish_attempt(transfer *t, CURLcode cc) {
  feast_http_request *req = t->req;
  feast_http_response *resp = t->resp;
  long status = 0;
  curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &status);
  resp->status = status;
  bool can_retry = resp->streamed == 0;
  if (t->cb_rc) {
    t->rc = t->cb_rc;
    if (t->err) *t->err = t->cb_err;
    return OUTCOME_FAIL;
  }
  if (cc != CURLE_OK) {
    feast_code code;
    const char *why;
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: code = FEAST_E_CONNECT; why = "cannot connect"; break;
    case CURLE_OPERATION_TIMEDOUT: code = FEAST_E_TIMEOUT; why = "no answer in time"; break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR: code = FEAST_E_CONNECT; why = "connection lost"; break;
    default: code = FEAST_E_IO; why = "transfer failed"; break;
    }
    bool transient = code != FEAST_E_IO;
    if (transient) {
      feast_fail_retriable(t->err, code, "%s: %s (%s) after %d attempt%s", t->what, why, curl_easy_strerror(cc),
                           t->attempt, t->attempt == 1 ? "" : "s");
    } else {
      feast_fail(t->err, code, "%s: %s (%s)", t->what, why, curl_easy_strerror(cc));
    }
    t->rc = code;
    return transient && can_retry ? OUTCOME_RETRY : OUTCOME_FAIL;
  }
  if (status >= 200 && status < 300) {
    t->rc = FEAST_OK;
    return OUTCOME_OK;
  }
  feast_http_verdict v = req->classify ? req->classify(req->ctx, resp) : FEAST_HTTP_DEFAULT;
  if (v == FEAST_HTTP_DEFAULT) v = (status == 429 || status == 408 || status >= 500) ? FEAST_HTTP_RETRY : FEAST_HTTP_FINAL;
  if (v == FEAST_HTTP_RETRY) {
    feast_fail_retriable(t->err, FEAST_E_SERVER, "%s: HTTP %ld after %d attempt%s", t->what, status, t->attempt,
                         t->attempt == 1 ? "" : "s");
  } else {
    feast_fail(t->err, FEAST_E_SERVER, "%s: HTTP %ld", t->what, status);
  }
  t->rc = FEAST_E_SERVER;
  return v == FEAST_HTTP_RETRY && can_retry ? OUTCOME_RETRY : OUTCOME_FAIL;
}

static void record_backoff(transfer *t, long ms) {
  int retry = t->attempt; /* the wait before attempt + 1 */
  if (retry >= 1 && retry <= 16) t->resp->backoff_ms[retry - 1] = ms;
}

feast_code feast_http_send(feast_http_client *c, feast_http_request *req, feast_http_response *resp,
                           feast_error *err) {
  feast_error local;
  if (!err) err = &local;
  transfer t = {.client = c, .req = req, .resp = resp, .err = err};
  feast_buf_reset(&resp->body);
  feast_buf_reset(&resp->headers);
  resp->streamed = 0;
  memset(resp->backoff_ms, 0, sizeof resp->backoff_ms);
  t.h = acquire_handle(c);
  if (!t.h) return feast_fail(err, FEAST_E_NOMEM, "http: curl_easy_init failed");
  feast_code rc;
  for (;;) {
    rc = setup_transfer(&t);
    if (rc) break;
    CURLcode cc = curl_easy_perform(t.h);
    outcome o = finish_attempt(&t, cc);
    rc = t.rc;
    if (o != OUTCOME_RETRY || t.attempt >= c->opt.max_attempts) break;
    long wait = next_backoff(c, t.attempt);
    record_backoff(&t, wait);
    sleep_ms(wait);
  }
  curl_slist_free_all(t.hdrs);
  /* A handle that failed mid-transfer may hold a broken connection; curl
   * drops those itself, so the handle can go back to the pool. */
  release_handle(c, t.h);
  return rc;
}

/* Take a handle and set up the next attempt of t in the multi handle;
 * false when the attempt could not be set up (t is then done). */
static bool start_in_multi(feast_http_client *c, CURLM *multi, transfer *t) {
  t->h = acquire_handle(c);
  feast_code rc = t->h ? setup_transfer(t) : feast_fail(t->err, FEAST_E_NOMEM, "http: curl_easy_init failed");
  if (rc) {
    release_handle(c, t->h);
    t->h = NULL;
    t->rc = rc;
    t->done = true;
    return false;
  }
  curl_multi_add_handle(multi, t->h);
  return true;
}

feast_code feast_http_send_many(feast_http_client *c, feast_http_request *reqs, feast_http_response *resps,
                                size_t n, int max_in_flight, feast_code *codes, feast_error *errs,
                                feast_error *err) {
  if (n == 0) return FEAST_OK;
  if (max_in_flight <= 0) max_in_flight = 8;
  transfer *ts = feast_calloc(n, sizeof *ts);
  feast_error *own_errs = errs ? NULL : feast_calloc(n, sizeof *own_errs);
  CURLM *multi = curl_multi_init();
  if (!ts || (!errs && !own_errs) || !multi) {
    feast_free(ts);
    feast_free(own_errs);
    if (multi) curl_multi_cleanup(multi);
    return feast_fail(err, FEAST_E_NOMEM, "http: out of memory");
  }
  if (!errs) errs = own_errs;
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)max_in_flight);
  for (size_t i = 0; i < n; i++) {
    ts[i] = (transfer){.client = c, .req = &reqs[i], .resp = &resps[i], .err = &errs[i]};
    feast_error_clear(&errs[i]);
    feast_buf_reset(&resps[i].body);
    feast_buf_reset(&resps[i].headers);
    resps[i].streamed = 0;
    memset(resps[i].backoff_ms, 0, sizeof resps[i].backoff_ms);
  }
  size_t cursor = 0, remaining = n, waiting = 0;
  int active = 0;
  while (remaining) {
    int64_t now = now_ms();
    long wait_hint = 100;
    /* Retries whose backoff has passed go first, then requests never sent. */
    for (size_t i = 0; waiting && i < cursor && active < max_in_flight; i++) {
      transfer *t = &ts[i];
      if (t->done || t->not_before_ms == 0) continue;
      if (t->not_before_ms > now) {
        if (t->not_before_ms - now < wait_hint) wait_hint = (long)(t->not_before_ms - now);
        continue;
      }
      waiting--;
      t->not_before_ms = 0;
      if (start_in_multi(c, multi, t)) active++;
      else remaining--;
    }
    while (cursor < n && active < max_in_flight) {
      if (start_in_multi(c, multi, &ts[cursor++])) active++;
      else remaining--;
    }
    int running = 0;
    curl_multi_perform(multi, &running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left))) {
      if (msg->msg != CURLMSG_DONE) continue;
      transfer *t = NULL;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
      CURLcode cc = msg->data.result;
      curl_multi_remove_handle(multi, t->h);
      active--;
      outcome o = finish_attempt(t, cc);
      release_handle(c, t->h);
      t->h = NULL;
      if (o == OUTCOME_RETRY && t->attempt < c->opt.max_attempts) {
        long w = next_backoff(c, t->attempt);
        record_backoff(t, w);
        t->not_before_ms = now_ms() + (w > 0 ? w : 1);
        waiting++;
      } else {
        t->done = true;
        remaining--;
      }
    }
    if (remaining && active) curl_multi_poll(multi, NULL, 0, (int)wait_hint, NULL);
    else if (remaining) sleep_ms(wait_hint < 1 ? 1 : wait_hint);
  }
  feast_code first = FEAST_OK;
  for (size_t i = 0; i < n; i++) {
    if (codes) codes[i] = ts[i].rc;
    if (ts[i].rc && !first) {
      first = ts[i].rc;
      if (err) *err = errs[i];
    }
    curl_slist_free_all(ts[i].hdrs);
  }
  curl_multi_cleanup(multi);
  feast_free(ts);
  feast_free(own_errs);
  return first;
}
