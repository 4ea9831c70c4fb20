/*
 * serve_http_handlers.c - the HTTP endpoints of `feast serve`
 * (docs/serve.md "HTTP"): routing, bearer-token checks, and the handlers.
 *
 * POST /get-online-features takes the request document of Feast's feature
 * server:
 *   {"features": ["table:feature", ...], "entities": {"driver_id": [1001, 1002]},
 *    "full_feature_names": true, "project": "default"}
 * and answers the document feast_online_result_to_json writes (the CLI's
 * `get-online-features -o json`). Entity values may be numbers, strings or
 * booleans; they are parsed to each entity's declared type by the online
 * read, so a type mismatch is a 400 naming the entity and row.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "engine/store_internal.h"
#include "format/json/json_reader.h"
#include "format/json/json_writer.h"
#include "serve/serve_http_handlers.h"
#include "serve/serve_internal.h"

/* The Job service's metrics, when the gRPC side is linked in (jobs.c). */
#pragma weak serve_jobs_write_metrics

static struct {
  serve_endpoint health, ready, metrics, online, push, other;
} ep;

void serve_http_init(serve_ctx *ctx) {
  ep.health = serve_metrics_endpoint(ctx->metrics, "http", "/health");
  ep.ready = serve_metrics_endpoint(ctx->metrics, "http", "/ready");
  ep.metrics = serve_metrics_endpoint(ctx->metrics, "http", "/metrics");
  ep.online = serve_metrics_endpoint(ctx->metrics, "http", "/get-online-features");
  ep.push = serve_metrics_endpoint(ctx->metrics, "http", "/push");
  ep.other = serve_metrics_endpoint(ctx->metrics, "http", "other");
}

serve_endpoint serve_http_endpoint_other(void) { return ep.other; }

/* ---- auth ---- */

/* The bearer credential of the request, or NULL (any other scheme counts
 * as none). */
static const char *bearer_of(const serve_http_request *r) {
  const char *a = r->authorization;
  if (!a) return NULL;
  while (*a == ' ') a++;
  if (strncasecmp(a, "Bearer ", 7) != 0) return NULL;
  a += 7;
  while (*a == ' ') a++;
  return a;
}

/* true when allowed; otherwise the 401/403 is answered. */
bool serve_http_authorize(serve_http_request *r, const char *project, serve_access need) {
  serve_auth_result a = serve_authorize(r->ctx, bearer_of(r), project, need);
  if (a == SERVE_AUTH_OK) return true;
  if (a == SERVE_AUTH_UNAUTHENTICATED) {
    r->extra_headers = "WWW-Authenticate: Bearer realm=\"feast\"\r\n";
    serve_http_error(r, 401, r->authorization ? "the bearer token is not valid" : "a bearer token is required");
  } else if (project) {
    serve_http_error(r, 403, "this token may not %s project '%s'", need == SERVE_WRITE ? "write to" : "read",
                     project);
  } else {
    serve_http_error(r, 403, "this token may not %s", need == SERVE_WRITE ? "write" : "read");
  }
  return false;
}

/* ---- /health, /ready, /metrics ---- */

static void health(serve_http_request *r) {
  serve_http_respond(r, 200, "application/json", "{\"status\":\"ok\"}\n", 16);
}

/* A Redis online store connects per call, so opening it proves nothing:
 * PING the server (the first seed node of a cluster), 200 ms at most,
 * since this runs on a worker loop. */
static feast_code ping_redis(const feast_store *s, feast_error *err) {
  char uri[1024];
  if (feast_config_online_uri(feast_store_get_config(s), uri, sizeof uri, err)) return err->code;
  const char *hp = strstr(uri, "://");
  if (!hp) return FEAST_OK; /* lmdb: */
  hp += 3;
  char host[256];
  snprintf(host, sizeof host, "%.*s", (int)strcspn(hp, ","), hp);
  char *colon = strrchr(host, ':');
  int port = colon ? atoi(colon + 1) : 6379;
  if (colon) *colon = 0;
  struct timeval tv = {0, 200000};
  redisContext *rc = redisConnectWithTimeout(host, port, tv);
  feast_code code = FEAST_OK;
  if (!rc || rc->err) {
    code = feast_fail(err, FEAST_E_CONNECT, "redis %s:%d: %s", host, port, rc ? rc->errstr : "out of memory");
  } else {
    redisSetTimeout(rc, tv);
    redisReply *reply = redisCommand(rc, "PING");
    if (!reply || reply->type == REDIS_REPLY_ERROR)
      code = feast_fail(err, FEAST_E_CONNECT, "redis %s:%d: PING: %s", host, port,
                        reply ? reply->str : rc->errstr);
    if (reply) freeReplyObject(reply);
  }
  if (rc) redisFree(rc);
  return code;
}

static void ready(serve_http_request *r) {
  feast_error err;
  feast_snapshot *snap = NULL;
  feast_online_store *os = NULL;
  feast_store *s = r->ctx->store;
  if (feast_store_snapshot(s, true, &snap, &err)) {
    serve_http_error(r, 503, "the registry is not reachable: %s", err.message);
    return;
  }
  int64_t rev = feast_snapshot_revision(snap);
  feast_snapshot_unref(snap);
  serve_metrics_set_registry_revision(r->ctx->metrics, rev);
  if (feast_store_online(s, &os, &err) || ping_redis(s, &err)) {
    serve_metrics_online_store_error(r->ctx->metrics);
    serve_http_error(r, 503, "the online store is not reachable: %s", err.message);
    return;
  }
  char body[160];
  int n = snprintf(body, sizeof body, "{\"status\":\"ready\",\"registry_revision\":%lld,\"online_store\":\"%s\"}\n",
                   (long long)rev, feast_online_store_kind(os));
  serve_http_respond(r, 200, "application/json", body, (size_t)n);
}

static void metrics(serve_http_request *r) {
  if (!serve_http_authorize(r, NULL, SERVE_READ)) return;
  /* The revision the store serves now (its snapshot, refreshed at most every
   * registry_refresh_ms), not only the one /ready last saw. */
  feast_snapshot *snap = NULL;
  feast_error serr;
  if (feast_store_snapshot(r->ctx->store, false, &snap, &serr) == FEAST_OK) {
    serve_metrics_set_registry_revision(r->ctx->metrics, feast_snapshot_revision(snap));
    feast_snapshot_unref(snap);
  }
  feast_buf b;
  feast_buf_init(&b, 64u << 20);
  feast_error err;
  feast_code rc = serve_metrics_write(r->ctx->metrics, &b, &err);
  if (!rc && r->ctx->jobs && serve_jobs_write_metrics) serve_jobs_write_metrics(r->ctx->jobs, &b);
  if (rc) {
    feast_buf_free(&b);
    serve_http_error(r, 500, "%s", err.message);
    return;
  }
  /* feast_buf memory comes from feast_malloc: copy (metrics are small). */
  serve_http_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8", (const char *)b.data, b.len);
  feast_buf_free(&b);
}

/* ---- POST /get-online-features ---- */

static bool is_json(const serve_http_request *r) {
  const char *t = r->content_type;
  if (!t) return true; /* curl -d without -H sends x-www-form-urlencoded; no header at all is taken as JSON */
  while (*t == ' ') t++;
  return !strncasecmp(t, "application/json", 16) || !strncasecmp(t, "application/x-www-form-urlencoded", 33);
}

static const feast_json_limits JSON_LIMITS = {.max_depth = 16};

/* The request's entity values as STRING columns. 0, or an answered error. */
static int entity_rows(serve_http_request *r, const feast_json_value *ents, feast_batch **out, size_t *n_rows) {
  const serve_config *cfg = serve_ctx_config(r->ctx);
  feast_error err;
  *out = NULL;
  if (!ents || ents->kind != FEAST_JSON_OBJECT || ents->len == 0) {
    serve_http_error(r, 400, "'entities' must be an object of entity name -> list of values");
    return -1;
  }
  size_t rows = 0;
  for (size_t i = 0; i < ents->len; i++) {
    const feast_json_value *col = &ents->items[i];
    if (col->kind != FEAST_JSON_ARRAY) {
      serve_http_error(r, 400, "entities.%s must be a list of values", ents->keys[i]);
      return -1;
    }
    if (i == 0) rows = col->len;
    if (col->len != rows) {
      serve_http_error(r, 400, "entities.%s has %zu values, entities.%s has %zu: every entity needs one per row",
                       ents->keys[i], col->len, ents->keys[0], rows);
      return -1;
    }
  }
  if (rows == 0) {
    serve_http_error(r, 400, "no entity rows: each entity needs a list of values");
    return -1;
  }
  if (rows > cfg->limits.max_entity_rows) {
    serve_http_error(r, 400, "%zu entity rows is over serve.limits.max_entity_rows (%zu)", rows,
                     cfg->limits.max_entity_rows);
    return -1;
  }
  if (ents->len > 64) {
    serve_http_error(r, 400, "%zu entities in one request is too many (64 at most)", ents->len);
    return -1;
  }
  feast_batch *b = feast_batch_new((int)ents->len);
  if (!b) {
    serve_http_error(r, 503, "out of memory");
    return -1;
  }
  feast_code rc = FEAST_OK;
  for (size_t i = 0; i < ents->len && !rc; i++) {
    feast_array *a = feast_array_new(feast_dtype_make(FEAST_DT_STRING), feast_dtype_make(0));
    if (!a) {
      rc = FEAST_E_NOMEM;
      break;
    }
    if ((rc = feast_batch_set_column(b, (int)i, ents->keys[i], a, &err))) break;
    const feast_json_value *col = &ents->items[i];
    for (size_t j = 0; j < rows && !rc; j++) {
      const feast_json_value *v = &col->items[j];
      switch (v->kind) {
      case FEAST_JSON_NUMBER:
      case FEAST_JSON_STRING: rc = feast_array_append_bytes(a, v->str, v->len, &err); break;
      case FEAST_JSON_TRUE: rc = feast_array_append_bytes(a, "true", 4, &err); break;
      case FEAST_JSON_FALSE: rc = feast_array_append_bytes(a, "false", 5, &err); break;
      default:
        feast_batch_free(b);
        serve_http_error(r, 400, "entities.%s[%zu] must be a number, a string or a boolean", ents->keys[i], j);
        return -1;
      }
    }
  }
  if (!rc) b->num_rows = (int64_t)rows;
  if (rc) {
    feast_batch_free(b);
    serve_http_error(r, 503, "out of memory");
    return -1;
  }
  *out = b;
  *n_rows = rows;
  return 0;
}

static int http_status_of(feast_code code) {
  switch (code) {
  case FEAST_E_NOT_FOUND: return 404;
  case FEAST_E_INVALID:
  case FEAST_E_SCHEMA:
  case FEAST_E_VALIDATION:
  case FEAST_E_CORRUPT: return 400;
  case FEAST_E_TOO_BIG: return 413;
  case FEAST_E_NOMEM:
  case FEAST_E_CONNECT:
  case FEAST_E_TIMEOUT:
  case FEAST_E_SERVER: return 503;
  default: return 500;
  }
}

/* The project a request names, checked against the one this daemon serves. */
static const char *request_project(serve_http_request *r, const feast_json_value *doc) {
  const char *served = feast_store_project(r->ctx->store);
  const feast_json_value *p = feast_json_get(doc, "project");
  if (!p || p->kind == FEAST_JSON_NULL) return served;
  if (p->kind != FEAST_JSON_STRING) {
    serve_http_error(r, 400, "'project' must be a string");
    return NULL;
  }
  return p->str;
}

static void online(serve_http_request *r) {
  feast_error err;
  if (!is_json(r)) {
    serve_http_error(r, 415, "the body must be JSON (Content-Type: application/json)");
    return;
  }
  const feast_json_value *doc;
  if (feast_json_parse(r->body, r->body_len, "request body", &JSON_LIMITS, r->arena, &doc, &err)) {
    serve_http_error(r, err.code == FEAST_E_NOMEM ? 503 : 400, "%s", err.message);
    return;
  }
  if (doc->kind != FEAST_JSON_OBJECT) {
    serve_http_error(r, 400, "the request must be an object with 'features' and 'entities'");
    return;
  }
  for (size_t i = 0; i < doc->len; i++) {
    const char *k = doc->keys[i];
    if (strcmp(k, "features") && strcmp(k, "entities") && strcmp(k, "full_feature_names") && strcmp(k, "project")) {
      if (!strcmp(k, "feature_service"))
        serve_http_error(r, 400, "feature services are not part of Feast 0.9: list 'features' (table:feature)");
      else
        serve_http_error(r, 400, "unknown key '%.64s' (expected features, entities, full_feature_names, project)", k);
      return;
    }
  }
  const char *project = request_project(r, doc);
  if (!project) return;
  if (!serve_http_authorize(r, project, SERVE_READ)) return;
  if (strcmp(project, feast_store_project(r->ctx->store)) != 0) {
    serve_http_error(r, 404, "project '%.64s' is not served here (this daemon serves '%s')", project,
                     feast_store_project(r->ctx->store));
    return;
  }
  const feast_json_value *feats = feast_json_get(doc, "features");
  if (!feats || feats->kind != FEAST_JSON_ARRAY || feats->len == 0) {
    serve_http_error(r, 400, "'features' must be a non-empty list of \"table:feature\" references");
    return;
  }
  const serve_config *cfg = serve_ctx_config(r->ctx);
  if (feats->len > cfg->limits.max_features) {
    serve_http_error(r, 400, "%zu features is over serve.limits.max_features (%zu)", feats->len,
                     cfg->limits.max_features);
    return;
  }
  const char **refs = feast_arena_alloc(r->arena, feats->len * sizeof *refs);
  if (!refs) {
    serve_http_error(r, 503, "out of memory");
    return;
  }
  for (size_t i = 0; i < feats->len; i++) {
    const feast_json_value *f = &feats->items[i];
    if (f->kind != FEAST_JSON_STRING || !memchr(f->str, ':', f->len) || strlen(f->str) != f->len) {
      serve_http_error(r, 400, "features[%zu] must be a \"table:feature\" reference", i);
      return;
    }
    refs[i] = f->str;
  }
  feast_batch *rows = NULL;
  size_t n_rows = 0;
  if (entity_rows(r, feast_json_get(doc, "entities"), &rows, &n_rows)) return;
  feast_online_result *res = NULL;
  feast_code rc = feast_store_get_online_features(r->ctx->store, refs, feats->len, rows, feast_now(), &res, &err);
  if (rc) {
    feast_batch_free(rows);
    int code = http_status_of(rc);
    if (code >= 500) serve_metrics_online_store_error(r->ctx->metrics);
    serve_http_error(r, code, "%s", err.message);
    return;
  }
  char *json = NULL;
  size_t len = 0;
  rc = feast_online_result_to_json(res, &json, &len, &err);
  feast_online_result_free(res);
  feast_batch_free(rows); /* the result borrows the entity columns' names */
  if (rc) {
    serve_http_error(r, http_status_of(rc), "%s", err.message);
    return;
  }
  r->rows = n_rows;
  serve_http_respond_owned(r, 200, "application/json", json, len);
}

/* ---- routing ---- */

typedef struct route {
  const char *path;
  const char *method;
  void (*fn)(serve_http_request *r);
  serve_endpoint *id;
} route;

static void push(serve_http_request *r) { serve_http_push(r, ep.push); }

static const route ROUTES[] = {
    {"/health", "GET", health, &ep.health},
    {"/ready", "GET", ready, &ep.ready},
    {"/metrics", "GET", metrics, &ep.metrics},
    {"/get-online-features", "POST", online, &ep.online},
    {"/push", "POST", push, &ep.push},
};

void serve_http_dispatch(serve_http_request *r) {
  r->endpoint = ep.other;
  for (size_t i = 0; i < sizeof ROUTES / sizeof *ROUTES; i++) {
    if (strcmp(r->path, ROUTES[i].path) != 0) continue;
    r->endpoint = *ROUTES[i].id;
    if (strcmp(r->method, ROUTES[i].method) != 0) {
      char allow[64];
      snprintf(allow, sizeof allow, "Allow: %s\r\n", ROUTES[i].method);
      r->extra_headers = feast_arena_strdup(r->arena, allow);
      serve_http_error(r, 405, "%s takes %s", ROUTES[i].path, ROUTES[i].method);
      return;
    }
    ROUTES[i].fn(r);
    return;
  }
  serve_http_error(r, 404, "no endpoint here (see docs/serve.md: /get-online-features, /push, /health, /ready, "
                           "/metrics)");
}
