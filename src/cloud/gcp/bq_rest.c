/*
 * bq_rest.c - BigQuery REST calls with auth, errors and retries
 * (bq_rest.h). The transport is gcp_http.h, one attempt at a time, so that
 * the retry decision can read BigQuery's error reason.
 */
#include "cloud/gcp/bq_rest.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cloud/gcp/gcp_http.h"

#define DEFAULT_ATTEMPTS 6
#define BACKOFF_BASE_MS 250
#define BACKOFF_CAP_MS 16000

long feast_bq_backoff_ms(long base_ms, long cap_ms, int n, uint64_t *seed) {
  long ceiling = base_ms;
  for (int i = 1; i < n && ceiling < cap_ms; i++) ceiling *= 2;
  if (ceiling > cap_ms) ceiling = cap_ms;
  *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL; /* a PCG step: no shared state */
  return (long)((*seed >> 33) % (uint64_t)(ceiling + 1));
}

feast_code feast_bq_path_escape(feast_buf *out, const char *s, feast_error *err) { return feast_gcp_url_encode(out, s, err); }

static bool retriable_reason(const char *r) {
  if (!r) return false;
  static const char *const R[] = {"rateLimitExceeded", "backendError", "internalError", "jobBackendError",
                                  "jobInternalError", NULL};
  /* jobInternalError: the emulator reports every failing query with it, so
   * a retry of those would only repeat the failure; real BigQuery uses it
   * for transient failures. It is retried only with 5xx (below). */
  for (int i = 0; r && R[i]; i++)
    if (strcmp(r, R[i]) == 0) return i < 4;
  return false;
}

static bool retriable_reason(const char *r);

static feast_code code_for(long status, const char *reason) {
  if (retriable_reason(reason)) return FEAST_E_SERVER; /* rateLimitExceeded comes with 403 */
  if (status == 404 || (reason && strcmp(reason, "notFound") == 0)) return FEAST_E_NOT_FOUND;
  if (status == 409 || (reason && strcmp(reason, "duplicate") == 0)) return FEAST_E_EXISTS;
  if (reason && (strcmp(reason, "invalid") == 0 || strcmp(reason, "invalidQuery") == 0 ||
                 strcmp(reason, "accessDenied") == 0 || strcmp(reason, "billingNotEnabled") == 0))
    return FEAST_E_INVALID;
  if (status == 400 || status == 401 || status == 403) return FEAST_E_INVALID;
  return FEAST_E_SERVER;
}

feast_code feast_bq_error(const char *what, long status, const feast_json_value *doc, bool *retry, feast_error *err) {
  /* {"error": {"code", "message", "errors": [{"reason", "message", "location"}]}} for a failed call;
   * {"reason", "message", "location"} for a job's errorResult. */
  const feast_json_value *e = feast_json_get(doc, "error");
  if (!e) e = doc;
  const feast_json_value *errors = feast_json_get(e, "errors");
  const feast_json_value *first = errors && errors->kind == FEAST_JSON_ARRAY && errors->len ? &errors->items[0] : NULL;
  const char *reason = feast_json_string_of(feast_json_get(e, "reason"));
  if (!reason) reason = feast_json_string_of(feast_json_get(first, "reason"));
  if (!reason) reason = feast_json_string_of(feast_json_get(e, "status")); /* Google's newer error model */
  const char *message = feast_json_string_of(feast_json_get(e, "message"));
  if (!message) message = feast_json_string_of(feast_json_get(first, "message"));
  const char *loc = feast_json_string_of(feast_json_get(e, "location"));
  if (!loc) loc = feast_json_string_of(feast_json_get(first, "location"));
  if (loc && !*loc) loc = NULL;
  bool again = status == 429 || status >= 500 || retriable_reason(reason);
  if (retry) *retry = again;
  char head[64] = "";
  if (status) snprintf(head, sizeof head, "HTTP %ld ", status);
  feast_code code = code_for(status, reason);
  (again ? feast_fail_retriable : feast_fail)(err, code, "%s: %s%s%s%s%s%s", what, head, reason ? reason : "error",
                                              message ? ": " : "", message ? message : "", loc ? " at " : "",
                                              loc ? loc : "");
  /* The other errors of a job (each bad row or expression) add detail. */
  for (size_t i = 1; errors && errors->kind == FEAST_JSON_ARRAY && i < errors->len && i < 5; i++) {
    const char *m = feast_json_string_of(feast_json_get(&errors->items[i], "message"));
    if (m && (!message || strcmp(m, message) != 0)) feast_error_append(err, "  %s", m);
  }
  return code;
}

feast_code feast_bq_error_body(const char *what, long status, const void *body, size_t len, bool *retry,
                               feast_error *err) {
  feast_arena *arena = feast_arena_new(0);
  if (!arena) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  const feast_json_value *doc = NULL;
  feast_error perr;
  feast_json_limits lim = {64, 16 << 20, 0};
  feast_code rc;
  if (len && feast_json_parse(body, len, what, &lim, arena, &doc, &perr) == FEAST_OK) {
    rc = feast_bq_error(what, status, doc, retry, err);
  } else {
    bool again = status == 429 || status >= 500;
    if (retry) *retry = again;
    size_t show = len > 200 ? 200 : len;
    const char *p = body;
    char snippet[256];
    size_t k = 0;
    for (size_t i = 0; i < show && k + 1 < sizeof snippet; i++)
      snippet[k++] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : ' ';
    snippet[k] = 0;
    rc = (again ? feast_fail_retriable : feast_fail)(err, code_for(status, NULL), "%s: HTTP %ld%s%s", what, status,
                                                     k ? ": " : "", snippet);
  }
  feast_arena_free(arena);
  return rc;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

feast_code feast_bq_send(feast_bq *c, const feast_bq_call *call, feast_arena *arena, feast_bq_reply *reply,
                         feast_error *err) {
  reply->status = 0;
  reply->doc = NULL;
  reply->location[0] = 0;
  reply->attempts = 0;
  feast_buf url;
  feast_buf_init(&url, 1 << 16);
  feast_code rc;
  if (call->url) rc = feast_buf_append_str(&url, call->url, err);
  else
    rc = feast_buf_printf(&url, err, "%s%s%s%s%s", feast_bq_rest_root(c), call->upload ? "/upload/bigquery/v2" : "/bigquery/v2",
                          call->path, call->query ? "?" : "", call->query ? call->query : "");
  const char *u = rc ? NULL : feast_buf_cstr(&url, err);
  if (!rc && !u) rc = err->code;
  int max = call->max_attempts > 0 ? call->max_attempts : DEFAULT_ATTEMPTS;
  uint64_t seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)call;
  bool refreshed = false;
  feast_gcp_http_response resp;
  feast_gcp_http_response_init(&resp);
  for (int attempt = 1; !rc; attempt++) {
    char auth[4200], ctype[128];
    if ((rc = feast_bq_auth_header(c, auth, sizeof auth, err))) {
      feast_error_prefix(err, "%s: ", call->what);
      break;
    }
    const char *hdrs[4];
    size_t nh = 0;
    if (auth[0]) hdrs[nh++] = auth;
    if (call->body) {
      snprintf(ctype, sizeof ctype, "Content-Type: %s", call->content_type ? call->content_type : "application/json");
      hdrs[nh++] = ctype;
    }
    hdrs[nh++] = "Accept: application/json";
    hdrs[nh++] = "User-Agent: feast-c";
    feast_gcp_http_request req = {call->method, u, hdrs, nh, call->body, call->body_len, call->timeout_ms, 0};
    reply->attempts = attempt;
    feast_error e;
    feast_code hrc = feast_gcp_http_send(&req, &resp, &e);
    bool again;
    if (hrc) {
      again = e.retriable;
      rc = hrc;
      feast_fail(err, hrc, "%s: %s", call->what, e.message);
      err->retriable = e.retriable;
    } else if (resp.status >= 200 && resp.status < 300) {
      reply->status = resp.status;
      feast_gcp_http_header(&resp, "Location", reply->location, sizeof reply->location);
      if (resp.body.len) {
        feast_json_limits lim = {64, resp.body.max, 0};
        rc = feast_json_parse(resp.body.data, resp.body.len, call->what, &lim, arena, &reply->doc, err);
      }
      break;
    } else {
      reply->status = resp.status;
      rc = feast_bq_error_body(call->what, resp.status, resp.body.data, resp.body.len, &again, err);
      if (resp.status == 401 && !refreshed) { /* an expired or revoked token: one fresh one */
        refreshed = true;
        feast_bq_auth_invalidate(c);
        again = true;
      }
    }
    if (!again || attempt >= max) break;
    rc = FEAST_OK;
    sleep_ms(feast_bq_backoff_ms(BACKOFF_BASE_MS, BACKOFF_CAP_MS, attempt, &seed));
  }
  if (rc && reply->attempts > 1) feast_error_append(err, "(after %d attempts)", reply->attempts);
  feast_gcp_http_response_free(&resp);
  feast_buf_free(&url);
  return rc;
}
