/*
 * schema_registry.c - the schema registry client (see schema_registry.h):
 * one curl easy handle reused for keep-alive, the response read into a
 * capped buffer and parsed by the project's JSON reader.
 */
#include "source/schema_registry.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "format/json/json_reader.h"

#define MAX_CACHED 4096

typedef struct cached {
  uint32_t id;
  char *json;
  size_t len;
} cached;

struct feast_schema_registry {
  char *url; /* without a trailing slash */
  CURL *curl;
  long timeout_ms;
  size_t max_bytes;
  cached *cache;
  size_t n, cap;
  long requests;
  feast_buf body;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void init_curl(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

feast_code feast_schema_registry_new(const char *url, const feast_schema_registry_options *opts,
                                     feast_schema_registry **out, feast_error *err) {
  *out = NULL;
  if (!url || !*url) return feast_fail(err, FEAST_E_INVALID, "schema registry: no URL");
  if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
    return feast_fail(err, FEAST_E_INVALID, "schema registry URL '%s' must start with http:// or https://", url);
  pthread_once(&curl_once, init_curl);
  if (curl_init_rc != CURLE_OK)
    return feast_fail(err, FEAST_E_INTERNAL, "libcurl did not initialize: %s", curl_easy_strerror(curl_init_rc));
  feast_schema_registry *r = feast_calloc(1, sizeof *r);
  if (!r) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  size_t n = strlen(url);
  while (n > 0 && url[n - 1] == '/') n--;
  r->url = feast_strndup(url, n);
  r->curl = curl_easy_init();
  r->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 10000;
  r->max_bytes = opts && opts->max_schema_bytes ? opts->max_schema_bytes : ((size_t)8 << 20);
  feast_buf_init(&r->body, r->max_bytes);
  if (!r->url || !r->curl) {
    feast_schema_registry_free(r);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory creating a schema registry client");
  }
  *out = r;
  return FEAST_OK;
}

void feast_schema_registry_free(feast_schema_registry *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) feast_free(r->cache[i].json);
  feast_free(r->cache);
  if (r->curl) curl_easy_cleanup(r->curl);
  feast_buf_free(&r->body);
  feast_free(r->url);
  feast_free(r);
}

long feast_schema_registry_requests(const feast_schema_registry *r) { return r->requests; }

static size_t on_body(char *p, size_t size, size_t n, void *ctx) {
  feast_schema_registry *r = ctx;
  feast_error e;
  /* past the cap: returning less than given makes curl stop the transfer */
  return feast_buf_append(&r->body, p, size * n, &e) == FEAST_OK ? size * n : 0;
}

/* The body as text for a message: printable, short. */
static void snippet(const feast_buf *b, char *out, size_t size) {
  size_t k = 0;
  for (size_t i = 0; i < b->len && k + 4 < size && i < 200; i++) {
    unsigned char c = b->data[i];
    out[k++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
  }
  if (b->len > 200 && k + 4 < size) out[k++] = '.', out[k++] = '.', out[k++] = '.';
  out[k] = 0;
}

/* {"schema": "...", "schemaType": "AVRO"?} -> a copy of the schema. */
static feast_code parse_response(feast_schema_registry *r, const char *where, char **json, size_t *len,
                                 feast_error *err) {
  feast_arena *a = feast_arena_new(0);
  if (!a) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  const feast_json_value *v;
  feast_json_limits lim = {16, r->max_bytes, 0};
  feast_error e;
  feast_code rc = feast_json_parse(r->body.data ? (const char *)r->body.data : "", r->body.len, "the response", &lim, a,
                                   &v, &e);
  if (rc) {
    rc = feast_fail(err, FEAST_E_CORRUPT, "%s: the response is not JSON: %s", where, e.message);
  } else {
    const feast_json_value *s = feast_json_get(v, "schema");
    const char *type = feast_json_string_of(feast_json_get(v, "schemaType"));
    if (!s || s->kind != FEAST_JSON_STRING)
      rc = feast_fail(err, FEAST_E_CORRUPT, "%s: the response has no \"schema\" string", where);
    else if (type && strcmp(type, "AVRO") != 0)
      rc = feast_fail(err, FEAST_E_UNSUPPORTED, "%s: the schema is of type %s, not AVRO", where, type);
    else if (!(*json = feast_strndup(s->str, s->len)))
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    else
      *len = s->len;
  }
  feast_arena_free(a);
  return rc;
}

feast_code feast_schema_registry_get(feast_schema_registry *r, uint32_t id, const char **json, size_t *len,
                                     feast_error *err) {
  for (size_t i = 0; i < r->n; i++)
    if (r->cache[i].id == id) {
      *json = r->cache[i].json;
      *len = r->cache[i].len;
      return FEAST_OK;
    }
  char url[2048], where[2200];
  snprintf(url, sizeof url, "%s/schemas/ids/%u", r->url, id);
  snprintf(where, sizeof where, "schema id %u: GET %s", id, url);
  if (r->n >= MAX_CACHED) return feast_fail(err, FEAST_E_TOO_BIG, "%s: more than %d schemas cached", where, MAX_CACHED);
  feast_buf_reset(&r->body);
  CURL *c = r->curl;
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/vnd.schemaregistry.v1+json, application/json");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
  r->requests++;
  CURLcode cc = curl_easy_perform(c);
  curl_slist_free_all(hdr);
  if (cc == CURLE_WRITE_ERROR && r->body.len + CURL_MAX_WRITE_SIZE > r->max_bytes)
    return feast_fail(err, FEAST_E_TOO_BIG, "%s: the response is larger than %zu bytes", where, r->max_bytes);
  if (cc != CURLE_OK)
    return feast_fail_retriable(err, cc == CURLE_OPERATION_TIMEDOUT ? FEAST_E_TIMEOUT : FEAST_E_CONNECT, "%s: %s", where,
                                curl_easy_strerror(cc));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    char body[256];
    snippet(&r->body, body, sizeof body);
    if (status == 404) return feast_fail(err, FEAST_E_NOT_FOUND, "%s: HTTP 404 (no such schema id): %s", where, body);
    return feast_fail_retriable(err, FEAST_E_SERVER, "%s: HTTP %ld: %s", where, status, body);
  }
  char *copy = NULL;
  size_t n = 0;
  feast_code rc = parse_response(r, where, &copy, &n, err);
  if (rc) return rc;
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 8;
    cached *p = feast_realloc(r->cache, cap * sizeof *p);
    if (!p) {
      feast_free(copy);
      return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    }
    r->cache = p;
    r->cap = cap;
  }
  r->cache[r->n].id = id;
  r->cache[r->n].json = copy;
  r->cache[r->n].len = n;
  r->n++;
  *json = copy;
  *len = n;
  return FEAST_OK;
}

feast_code feast_schema_registry_lookup(void *registry, uint32_t id, const char **json, size_t *len, feast_error *err) {
  return feast_schema_registry_get(registry, id, json, len, err);
}
