/*
 * serve_config.c - the `serve:` section of feature_store.yaml (docs/serve.md):
 *
 *   serve:
 *     host: 127.0.0.1
 *     grpc_port: 6566          # 0 = off
 *     http_port: 6567          # 0 = off
 *     core_port: 6565          # optional extra gRPC listeners (Feast 0.9 URLs)
 *     job_service_port: 6568
 *     threads: 2               # 0 = one per CPU
 *     tls: {cert: server.pem, key: server.key}
 *     auth:
 *       allow_unauthenticated: false
 *       tokens:
 *         - {token: "...", name: ci, projects: [default], access: read}
 *       tokens_file: tokens.yaml   # a list of the same entries (or {tokens: [...]}), read by
 *                                  # the daemon at start and on SIGHUP
 *     access_log: true
 *     log_level: info
 *     registry_refresh_ms: 500
 *     limits: {max_request_bytes: 1048576, max_entity_rows: 1000, ...}
 *
 * Like every section of the configuration, an unknown key is an error naming
 * its line: a misspelt limit that is silently ignored is worse. Token values
 * never appear in messages (a bad entry is named by its position).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/file.h"
#include "config/config_internal.h"
#include "serve/serve_internal.h"

#define MAX_TOKENS_FILE (1u << 20)
#define MAX_TOKENS 10000

static feast_code oom(feast_error *err) { return feast_fail(err, FEAST_E_NOMEM, "out of memory"); }

feast_code serve_config_defaults(serve_config *c, feast_error *err) {
  memset(c, 0, sizeof *c);
  c->grpc_port = 6566;
  c->http_port = 6567;
  c->host = feast_strdup("127.0.0.1");
  c->access_log = true;
  c->log_level = feast_strdup("info");
  c->registry_refresh_ms = 500;
  c->limits.max_request_bytes = 1u << 20;
  c->limits.max_entity_rows = 1000;
  c->limits.max_features = 1000;
  c->limits.read_timeout_ms = 10000;
  c->limits.idle_timeout_ms = 60000;
  c->limits.max_connections = 1024;
  c->limits.max_streams = 100;
  c->limits.max_pending_bytes = 4u << 20;
  if (!c->host || !c->log_level) {
    feast_free(c->host);
    feast_free(c->log_level);
    memset(c, 0, sizeof *c);
    return oom(err);
  }
  return FEAST_OK;
}

static void token_clear(serve_token *t) {
  if (t->token) {
    /* The secret does not outlive its configuration in freed memory. */
    volatile char *p = t->token;
    while (*p) *p++ = 0;
  }
  feast_free(t->token);
  feast_free(t->name);
  for (char **p = t->projects; p && *p; p++) feast_free(*p);
  feast_free(t->projects);
  memset(t, 0, sizeof *t);
}

static void config_clear(serve_config *c) {
  feast_free(c->host);
  feast_free(c->tls_cert);
  feast_free(c->tls_key);
  for (size_t i = 0; i < c->n_tokens; i++) token_clear(&c->tokens[i]);
  feast_free(c->tokens);
  feast_free(c->tokens_file);
  feast_free(c->log_level);
  memset(c, 0, sizeof *c);
}

void serve_config_free(serve_config *c) {
  if (!c) return;
  config_clear(c);
  feast_free(c);
}

static char *dup_or_null(const char *s, bool *bad) {
  if (!s) return NULL;
  char *d = feast_strdup(s);
  if (!d) *bad = true;
  return d;
}

serve_config *serve_config_clone(const serve_config *src, feast_error *err) {
  serve_config *c = feast_calloc(1, sizeof *c);
  if (!c) {
    oom(err);
    return NULL;
  }
  *c = *src;
  bool bad = false;
  c->host = dup_or_null(src->host, &bad);
  c->tls_cert = dup_or_null(src->tls_cert, &bad);
  c->tls_key = dup_or_null(src->tls_key, &bad);
  c->log_level = dup_or_null(src->log_level, &bad);
  c->tokens_file = dup_or_null(src->tokens_file, &bad);
  c->tokens = NULL;
  c->n_tokens = 0;
  if (src->n_tokens) {
    c->tokens = feast_calloc(src->n_tokens, sizeof *c->tokens);
    if (!c->tokens) bad = true;
    for (size_t i = 0; !bad && i < src->n_tokens; i++) {
      const serve_token *s = &src->tokens[i];
      serve_token *t = &c->tokens[i];
      c->n_tokens = i + 1;
      t->access = s->access;
      t->token = dup_or_null(s->token, &bad);
      t->name = dup_or_null(s->name, &bad);
      if (s->projects) {
        size_t n = 0;
        while (s->projects[n]) n++;
        t->projects = feast_calloc(n + 1, sizeof *t->projects);
        if (!t->projects) bad = true;
        for (size_t j = 0; !bad && j < n; j++) t->projects[j] = dup_or_null(s->projects[j], &bad);
      }
    }
  }
  if (bad) {
    serve_config_free(c);
    oom(err);
    return NULL;
  }
  return c;
}

bool serve_host_is_loopback(const char *host) {
  if (!host) return true;
  if (strcmp(host, "localhost") == 0) return true;
  struct in_addr a4;
  if (inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  struct in6_addr a6;
  if (inet_pton(AF_INET6, host, &a6) == 1) return memcmp(&a6, &in6addr_loopback, sizeof a6) == 0;
  return false;
}

const char *serve_access_name(unsigned access) {
  if ((access & SERVE_WRITE) && (access & SERVE_READ)) return "read_write";
  return access & SERVE_WRITE ? "write" : "read";
}

feast_code serve_config_check(const serve_config *c, feast_error *err) {
  if (!c->tls_cert != !c->tls_key)
    return feast_fail(err, FEAST_E_INVALID, "serve.tls needs both cert and key (one of them is missing)");
  if (!c->grpc_port && !c->http_port)
    return feast_fail(err, FEAST_E_INVALID, "serve: both grpc_port and http_port are 0: nothing to serve");
  int ports[4] = {c->grpc_port, c->http_port, c->core_port, c->job_service_port};
  static const char *const names[4] = {"grpc_port", "http_port", "core_port", "job_service_port"};
  for (int i = 0; i < 4; i++)
    for (int j = i + 1; j < 4; j++)
      if (ports[i] && ports[i] == ports[j])
        return feast_fail(err, FEAST_E_INVALID, "serve: %s and %s are both %d", names[i], names[j], ports[i]);
  if (!c->n_tokens && !c->allow_unauthenticated && !serve_host_is_loopback(c->host))
    return feast_fail(err, FEAST_E_INVALID,
                      "serve: no tokens are configured and host '%s' is not loopback: add serve.auth.tokens, or "
                      "set serve.auth.allow_unauthenticated: true to serve without authentication",
                      c->host);
  return FEAST_OK;
}

/* ---- parsing ---- */

static const feast_ynode *map_get_key(const feast_ynode *n, size_t i, const char **key) {
  *key = feast_cfg_scalar(n->items[2 * i]);
  return n->items[2 * i + 1];
}

static feast_code dup_key_check(cfg_ctx *c, const feast_ynode *n, size_t i, const char *where) {
  const char *key = feast_cfg_scalar(n->items[2 * i]);
  for (size_t j = 0; j < i; j++) {
    const char *kj = feast_cfg_scalar(n->items[2 * j]);
    if (kj && key && strcmp(kj, key) == 0) return feast_cfg_fail(c, n->items[2 * i], "key '%s' given twice in %s", key, where);
  }
  return FEAST_OK;
}

static feast_code get_int(cfg_ctx *c, const feast_ynode *v, const char *what, long long lo, long long hi,
                          long long *out) {
  const char *s = feast_cfg_scalar(v);
  char *end = NULL;
  errno = 0;
  long long x = s && *s ? strtoll(s, &end, 10) : 0;
  if (!s || !*s || *end || errno || x < lo || x > hi)
    return feast_cfg_fail(c, v, "%s must be a whole number from %lld to %lld", what, lo, hi);
  *out = x;
  return FEAST_OK;
}

static feast_code get_bool(cfg_ctx *c, const feast_ynode *v, const char *what, bool *out) {
  const char *s = feast_cfg_scalar(v);
  if (s && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "yes") || !strcmp(s, "on"))) *out = true;
  else if (s && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "no") || !strcmp(s, "off"))) *out = false;
  else return feast_cfg_fail(c, v, "%s must be true or false", what);
  return FEAST_OK;
}

static feast_code get_str(cfg_ctx *c, const feast_ynode *v, const char *what, char **dst) {
  const char *s = feast_cfg_scalar(v);
  if (!s || !*s) return feast_cfg_fail(c, v, "%s must be a value", what);
  feast_free(*dst);
  return (*dst = feast_strdup(s)) ? FEAST_OK : oom(c->err);
}

static feast_code get_port(cfg_ctx *c, const feast_ynode *v, const char *what, int *out) {
  long long x;
  feast_code rc = get_int(c, v, what, 0, 65535, &x);
  if (!rc) *out = (int)x;
  return rc;
}

#define LIMIT_KEYS \
  "max_request_bytes, max_entity_rows, max_features, read_timeout_ms, idle_timeout_ms, max_connections, " \
  "max_streams, max_pending_bytes"

static feast_code parse_limits(cfg_ctx *c, const feast_ynode *n, serve_limits *l) {
  if (n->kind != FEAST_Y_MAP) return feast_cfg_fail(c, n, "serve.limits must be a mapping (" LIMIT_KEYS ")");
  for (size_t i = 0; i < n->n; i++) {
    const char *key;
    const feast_ynode *v = map_get_key(n, i, &key);
    feast_code rc = dup_key_check(c, n, i, "serve.limits");
    if (rc) return rc;
    long long x = 0;
    char what[80];
    snprintf(what, sizeof what, "serve.limits.%s", key ? key : "?");
    if (!key) return feast_cfg_fail(c, n->items[2 * i], "keys of serve.limits must be plain names");
    if (!strcmp(key, "max_request_bytes")) {
      if (!(rc = get_int(c, v, what, 64, 1ll << 32, &x))) l->max_request_bytes = (size_t)x;
    } else if (!strcmp(key, "max_entity_rows")) {
      if (!(rc = get_int(c, v, what, 1, 10000000, &x))) l->max_entity_rows = (size_t)x;
    } else if (!strcmp(key, "max_features")) {
      if (!(rc = get_int(c, v, what, 1, 1000000, &x))) l->max_features = (size_t)x;
    } else if (!strcmp(key, "read_timeout_ms")) {
      if (!(rc = get_int(c, v, what, 10, 3600000, &x))) l->read_timeout_ms = (int)x;
    } else if (!strcmp(key, "idle_timeout_ms")) {
      if (!(rc = get_int(c, v, what, 10, 86400000, &x))) l->idle_timeout_ms = (int)x;
    } else if (!strcmp(key, "max_connections")) {
      if (!(rc = get_int(c, v, what, 1, 1000000, &x))) l->max_connections = (size_t)x;
    } else if (!strcmp(key, "max_streams")) {
      if (!(rc = get_int(c, v, what, 1, 100000, &x))) l->max_streams = (size_t)x;
    } else if (!strcmp(key, "max_pending_bytes")) {
      if (!(rc = get_int(c, v, what, 4096, 1ll << 32, &x))) l->max_pending_bytes = (size_t)x;
    } else {
      return feast_cfg_fail(c, n->items[2 * i], "unknown key '%s' in serve.limits (expected " LIMIT_KEYS ")", key);
    }
    if (rc) return rc;
  }
  return FEAST_OK;
}

/* Entries are named by position ("token 2") in messages: never by value. */
static feast_code parse_token(cfg_ctx *c, const feast_ynode *n, size_t index, serve_token *t) {
  if (n->kind != FEAST_Y_MAP)
    return feast_cfg_fail(c, n, "token %zu must be a mapping (token, name, projects, access)", index + 1);
  t->access = SERVE_READ;
  for (size_t i = 0; i < n->n; i++) {
    const char *key;
    const feast_ynode *v = map_get_key(n, i, &key);
    feast_code rc = dup_key_check(c, n, i, "a token entry");
    if (rc) return rc;
    if (key && !strcmp(key, "token")) {
      const char *s = feast_cfg_scalar(v);
      if (!s || strlen(s) < 8)
        return feast_cfg_fail(c, v, "token %zu: the token must be a value of at least 8 characters", index + 1);
      for (const char *p = s; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
          return feast_cfg_fail(c, v, "token %zu: the token must not contain spaces or control characters",
                                index + 1);
      if (!(t->token = feast_strdup(s))) return oom(c->err);
    } else if (key && !strcmp(key, "name")) {
      if ((rc = get_str(c, v, "a token's name", &t->name))) return rc;
    } else if (key && !strcmp(key, "projects")) {
      if (v->kind == FEAST_Y_SCALAR && feast_cfg_scalar(v) && !strcmp(feast_cfg_scalar(v), "*")) continue;
      if (v->kind != FEAST_Y_SEQ || v->n == 0)
        return feast_cfg_fail(c, v, "token %zu: projects must be a list of project names, or \"*\"", index + 1);
      t->projects = feast_calloc(v->n + 1, sizeof *t->projects);
      if (!t->projects) return oom(c->err);
      for (size_t j = 0; j < v->n; j++) {
        const char *p = feast_cfg_scalar(v->items[j]);
        if (!p || !*p) return feast_cfg_fail(c, v->items[j], "token %zu: a project must be a name", index + 1);
        if (!strcmp(p, "*")) {
          for (size_t k = 0; k < j; k++) feast_free(t->projects[k]);
          feast_free(t->projects);
          t->projects = NULL;
          break;
        }
        if (!(t->projects[j] = feast_strdup(p))) return oom(c->err);
      }
    } else if (key && !strcmp(key, "access")) {
      const char *s = feast_cfg_scalar(v);
      if (s && !strcmp(s, "read")) t->access = SERVE_READ;
      else if (s && (!strcmp(s, "write") || !strcmp(s, "read_write"))) t->access = SERVE_READ | SERVE_WRITE;
      else return feast_cfg_fail(c, v, "token %zu: access must be read or write (write includes read)", index + 1);
    } else {
      return feast_cfg_fail(c, n->items[2 * i], "unknown key '%s' in token %zu (expected token, name, projects, access)",
                            key ? key : "?", index + 1);
    }
  }
  if (!t->token) return feast_cfg_fail(c, n, "token %zu has no 'token'", index + 1);
  if (!t->name) {
    char buf[32];
    snprintf(buf, sizeof buf, "token %zu", index + 1);
    if (!(t->name = feast_strdup(buf))) return oom(c->err);
  }
  return FEAST_OK;
}

static feast_code parse_token_list(cfg_ctx *c, const feast_ynode *n, serve_config *out) {
  if (n->kind != FEAST_Y_SEQ) return feast_cfg_fail(c, n, "tokens must be a list of {token, name, projects, access}");
  if (out->n_tokens + n->n > MAX_TOKENS) return feast_cfg_fail(c, n, "more than %d tokens", MAX_TOKENS);
  serve_token *grown = feast_realloc(out->tokens, (out->n_tokens + n->n) * sizeof *grown);
  if (!grown && n->n) return oom(c->err);
  out->tokens = grown;
  for (size_t i = 0; i < n->n; i++) {
    serve_token *t = &out->tokens[out->n_tokens];
    memset(t, 0, sizeof *t);
    out->n_tokens++;
    feast_code rc = parse_token(c, n->items[i], out->n_tokens - 1, t);
    if (rc) return rc;
    for (size_t j = 0; j + 1 < out->n_tokens; j++)
      if (!strcmp(out->tokens[j].token, t->token))
        return feast_cfg_fail(c, n->items[i], "token %zu repeats the secret of token %zu", out->n_tokens, j + 1);
  }
  return FEAST_OK;
}

feast_code serve_config_load_tokens_file(serve_config *out, feast_error *err) {
  const char *path = out->tokens_file;
  if (!path) return FEAST_OK;
  feast_buf b;
  feast_buf_init(&b, MAX_TOKENS_FILE);
  feast_code rc = feast_file_read_all(path, &b, err);
  feast_ytree tree = {0};
  if (!rc) {
    rc = feast_ytree_parse(b.data ? (const char *)b.data : "", b.len, &tree, err);
    if (rc && rc != FEAST_E_NOMEM) feast_error_prefix(err, "%s: not valid YAML: ", path);
  }
  if (!rc) {
    cfg_ctx fc = {path, NULL, err};
    const feast_ynode *root = tree.n ? tree.docs[0].root : NULL;
    if (root && root->kind == FEAST_Y_MAP && root->n == 1 && feast_cfg_scalar(root->items[0]) &&
        !strcmp(feast_cfg_scalar(root->items[0]), "tokens"))
      root = root->items[1];
    if (!root) rc = feast_fail(err, FEAST_E_INVALID, "%s: no tokens in the file", path);
    else rc = parse_token_list(&fc, root, out);
  }
  feast_ytree_free(&tree);
  feast_buf_free(&b);
  return rc;
}

static feast_code parse_auth(cfg_ctx *c, const feast_ynode *n, serve_config *out) {
  if (n->kind != FEAST_Y_MAP)
    return feast_cfg_fail(c, n, "serve.auth must be a mapping (tokens, tokens_file, allow_unauthenticated)");
  for (size_t i = 0; i < n->n; i++) {
    const char *key;
    const feast_ynode *v = map_get_key(n, i, &key);
    feast_code rc = dup_key_check(c, n, i, "serve.auth");
    if (rc) return rc;
    if (key && !strcmp(key, "tokens")) rc = parse_token_list(c, v, out);
    else if (key && !strcmp(key, "tokens_file")) {
      const char *f = feast_cfg_scalar(v);
      if (!f || !*f) return feast_cfg_fail(c, v, "serve.auth.tokens_file must be a path");
      feast_free(out->tokens_file);
      if (!(out->tokens_file = feast_cfg_resolve(c->dir, f))) return oom(c->err);
    }
    else if (key && !strcmp(key, "allow_unauthenticated")) rc = get_bool(c, v, "serve.auth.allow_unauthenticated", &out->allow_unauthenticated);
    else
      return feast_cfg_fail(c, n->items[2 * i],
                            "unknown key '%s' in serve.auth (expected tokens, tokens_file, allow_unauthenticated)",
                            key ? key : "?");
    if (rc) return rc;
  }
  return FEAST_OK;
}

static feast_code parse_tls(cfg_ctx *c, const feast_ynode *n, serve_config *out) {
  if (n->kind != FEAST_Y_MAP) return feast_cfg_fail(c, n, "serve.tls must be a mapping (cert, key)");
  for (size_t i = 0; i < n->n; i++) {
    const char *key;
    const feast_ynode *v = map_get_key(n, i, &key);
    feast_code rc = dup_key_check(c, n, i, "serve.tls");
    if (rc) return rc;
    char **dst = key && !strcmp(key, "cert") ? &out->tls_cert : key && !strcmp(key, "key") ? &out->tls_key : NULL;
    if (!dst) return feast_cfg_fail(c, n->items[2 * i], "unknown key '%s' in serve.tls (expected cert, key)", key ? key : "?");
    const char *s = feast_cfg_scalar(v);
    if (!s || !*s) return feast_cfg_fail(c, v, "serve.tls.%s must be the path of a PEM file", key);
    feast_free(*dst);
    if (!(*dst = feast_cfg_resolve(c->dir, s))) return oom(c->err);
  }
  if (!out->tls_cert != !out->tls_key) return feast_cfg_fail(c, n, "serve.tls needs both cert and key");
  return FEAST_OK;
}

#define SERVE_KEYS                                                                                           \
  "host, grpc_port, http_port, core_port, job_service_port, threads, tls, auth, access_log, log_level, " \
  "registry_refresh_ms, limits"

static feast_code parse_into(cfg_ctx *c, const feast_ynode *n, serve_config *out) {
  if (n->kind != FEAST_Y_MAP) return feast_cfg_fail(c, n, "'serve' must be a mapping (" SERVE_KEYS ")");
  for (size_t i = 0; i < n->n; i++) {
    const char *key;
    const feast_ynode *v = map_get_key(n, i, &key);
    feast_code rc = dup_key_check(c, n, i, "serve");
    if (rc) return rc;
    long long x;
    if (!key) return feast_cfg_fail(c, n->items[2 * i], "keys of serve must be plain names");
    if (!strcmp(key, "host")) rc = get_str(c, v, "serve.host", &out->host);
    else if (!strcmp(key, "grpc_port")) rc = get_port(c, v, "serve.grpc_port", &out->grpc_port);
    else if (!strcmp(key, "http_port")) rc = get_port(c, v, "serve.http_port", &out->http_port);
    else if (!strcmp(key, "core_port")) rc = get_port(c, v, "serve.core_port", &out->core_port);
    else if (!strcmp(key, "job_service_port")) rc = get_port(c, v, "serve.job_service_port", &out->job_service_port);
    else if (!strcmp(key, "threads")) {
      if (!(rc = get_int(c, v, "serve.threads", 0, 256, &x))) out->threads = (int)x;
    } else if (!strcmp(key, "tls")) rc = parse_tls(c, v, out);
    else if (!strcmp(key, "auth")) rc = parse_auth(c, v, out);
    else if (!strcmp(key, "access_log")) rc = get_bool(c, v, "serve.access_log", &out->access_log);
    else if (!strcmp(key, "log_level")) {
      const char *s = feast_cfg_scalar(v);
      if (!s || (strcmp(s, "debug") && strcmp(s, "info") && strcmp(s, "warn") && strcmp(s, "error")))
        return feast_cfg_fail(c, v, "serve.log_level must be debug, info, warn or error");
      rc = get_str(c, v, "serve.log_level", &out->log_level);
    } else if (!strcmp(key, "registry_refresh_ms")) {
      if (!(rc = get_int(c, v, "serve.registry_refresh_ms", 0, 3600000, &x))) out->registry_refresh_ms = (int)x;
    } else if (!strcmp(key, "limits")) rc = parse_limits(c, v, &out->limits);
    else return feast_cfg_fail(c, n->items[2 * i], "unknown key '%s' in serve (expected " SERVE_KEYS ")", key);
    if (rc) return rc;
  }
  return FEAST_OK;
}

/* config.c's hook for the `serve:` section. */
feast_code feast_cfg_parse_serve(cfg_ctx *c, const feast_ynode *n, feast_config *out) {
  serve_config *s = feast_calloc(1, sizeof *s);
  if (!s) return oom(c->err);
  feast_code rc = serve_config_defaults(s, c->err);
  if (!rc) rc = parse_into(c, n, s);
  if (rc) {
    serve_config_free(s);
    return rc;
  }
  serve_config_free(out->serve);
  out->serve = s;
  return FEAST_OK;
}

void feast_cfg_serve_clear(feast_config *out) {
  serve_config_free(out->serve);
  out->serve = NULL;
}

feast_code serve_config_parse_text(const char *text, size_t len, const char *dir, serve_config **out,
                                   feast_error *err) {
  *out = NULL;
  feast_ytree tree;
  feast_code rc = feast_ytree_parse(text, len, &tree, err);
  if (rc) return rc;
  feast_config tmp = {0};
  cfg_ctx c = {"serve", dir, err};
  const feast_ynode *root = tree.n ? tree.docs[0].root : NULL;
  if (root && root->kind == FEAST_Y_MAP && root->n == 1 && feast_cfg_scalar(root->items[0]) &&
      !strcmp(feast_cfg_scalar(root->items[0]), "serve"))
    root = root->items[1];
  if (!root) {
    serve_config *s = feast_calloc(1, sizeof *s);
    rc = s ? serve_config_defaults(s, err) : oom(err);
    if (rc) feast_free(s);
    else tmp.serve = s;
  } else {
    rc = feast_cfg_parse_serve(&c, root, &tmp);
  }
  feast_ytree_free(&tree);
  if (!rc) *out = tmp.serve;
  return rc;
}
