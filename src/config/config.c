/*
 * config.c - reads feature_store.yaml (see feast/config.h) through the one
 * YAML reader (format/yaml/yaml_tree.h), which caps nesting and refuses
 * aliases as it does for spec files; every node carries the line we name in
 * errors.
 */
#include "feast/config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/file.h"
#include "config/config_internal.h"
#include "format/yaml/yaml_tree.h"

#define MAX_CONFIG_BYTES (1u << 20)

static int line_of(const feast_ynode *n) { return n->line; }

static feast_code oom(cfg_ctx *c) { return feast_fail(c->err, FEAST_E_NOMEM, "out of memory"); }


const char *feast_cfg_scalar(const feast_ynode *n) { return n && n->kind == FEAST_Y_SCALAR ? n->text : NULL; }
#define scalar feast_cfg_scalar

feast_code feast_cfg_fail(cfg_ctx *c, const feast_ynode *n, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return feast_fail(c->err, FEAST_E_INVALID, "%s:%d: %s", c->name, n->line, msg);
}

char *feast_cfg_resolve(const char *dir, const char *p) {
  if (p[0] == '/' || !dir) return feast_strdup(p);
  size_t n = strlen(dir) + strlen(p) + 2;
  char *out = feast_malloc(n);
  if (out) snprintf(out, n, "%s/%s", dir, p);
  return out;
}

static bool is_url(const char *s) { return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0; }

static feast_code set(cfg_ctx *c, char **dst, const char *value) {
  feast_free(*dst);
  *dst = feast_strdup(value);
  return *dst ? FEAST_OK : oom(c);
}

/* A setting's value as one string: scalars as they are, a list of scalars
 * (or of {host, port} mappings) joined with commas. */
static feast_code setting_value(cfg_ctx *c, const char *key, feast_ynode *v, feast_buf *out) {
  feast_error *err = c->err;
  if (v->kind == FEAST_Y_SCALAR) return feast_buf_append_str(out, scalar(v), err);
  if (v->kind != FEAST_Y_SEQ) return feast_cfg_fail(c, v, "'%s' must be a value or a list of values", key);
  for (size_t i = 0; i < v->n; i++) {
    feast_ynode *item = v->items[i];
    feast_code rc = i ? feast_buf_append_byte(out, ',', err) : FEAST_OK;
    if (rc) return rc;
    if (item->kind == FEAST_Y_SCALAR) {
      rc = feast_buf_append_str(out, scalar(item), err);
    } else if (item->kind == FEAST_Y_MAP) {
      const char *host = NULL, *port = NULL;
      for (size_t j = 0; j < item->n; j++) {
        feast_ynode *k = item->items[2 * j], *val = item->items[2 * j + 1];
        const char *ks = scalar(k);
        if (ks && strcmp(ks, "host") == 0 && scalar(val))
          host = scalar(val);
        else if (ks && strcmp(ks, "port") == 0 && scalar(val))
          port = scalar(val);
        else
          return feast_cfg_fail(c, k, "unknown key '%s' in an entry of '%s' (expected host, port)", ks ? ks : "?", key);
      }
      if (!host || !port) return feast_cfg_fail(c, item, "each entry of '%s' needs host and port", key);
      rc = feast_buf_printf(out, err, "%s:%s", host, port);
    } else {
      return feast_cfg_fail(c, item, "entries of '%s' must be values or {host, port}", key);
    }
    if (rc) return rc;
  }
  return FEAST_OK;
}

static const char *const LMDB_KEYS[] = {"path", "map_size", NULL};
/* Only settings the stores implement are accepted: a setting that would be
 * silently ignored (a password, TLS) is worse than an error. */
static const char *const REDIS_KEYS[] = {"connection_string", NULL};
static const char *const CLUSTER_KEYS[] = {"startup_nodes", "connection_string", NULL};
/* Batch sources name their own files; the file offline store has no settings. */
static const char *const FILE_KEYS[] = {NULL};

static bool in_list(const char *const *keys, const char *k) {
  for (; *keys; keys++)
    if (strcmp(*keys, k) == 0) return true;
  return false;
}

static void join_keys(const char *const *keys, char *buf, size_t size) {
  buf[0] = 0;
  for (size_t i = 0; keys[i]; i++) {
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, "%s%s", i ? ", " : "", keys[i]);
  }
}

static feast_code parse_store(cfg_ctx *c, const char *section, feast_ynode *n, bool online, feast_backend_config *out) {
  if (n->kind != FEAST_Y_MAP) return feast_cfg_fail(c, n, "'%s' must be a mapping with a 'type'", section);
  feast_ynode *type_node = NULL;
  for (size_t i = 0; i < n->n; i++)
    if (scalar(n->items[2 * i]) && strcmp(scalar(n->items[2 * i]), "type") == 0) type_node = n->items[2 * i + 1];
  if (!type_node || !scalar(type_node))
    return feast_cfg_fail(c, n, "'%s' needs a 'type' (%s)", section, online ? "lmdb, redis or redis_cluster" : "file");
  const char *type = scalar(type_node);
  const char *const *keys = NULL;
  if (online && strcmp(type, "lmdb") == 0) keys = LMDB_KEYS;
  if (online && strcmp(type, "redis") == 0) keys = REDIS_KEYS;
  if (online && strcmp(type, "redis_cluster") == 0) keys = CLUSTER_KEYS;
  if (!online && strcmp(type, "file") == 0) keys = FILE_KEYS;
  if (!keys)
    return feast_cfg_fail(c, type_node, "unknown %s type '%s'", section, type);
  feast_code rc = set(c, &out->type, type);
  if (rc) return rc;
  for (size_t i = 0; i < n->n; i++) {
    feast_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
    const char *key = scalar(k);
    if (!key) return feast_cfg_fail(c, k, "keys of '%s' must be plain names", section);
    if (strcmp(key, "type") == 0) continue;
    if (!in_list(keys, key)) {
      char expected[256];
      join_keys(keys, expected, sizeof expected);
      feast_error tmp;
      feast_fail(&tmp, FEAST_E_INVALID, "unknown key '%s' in %s of type %s (expected type%s%s)", key, section, type,
                 expected[0] ? ", " : "", expected);
      return feast_fail(c->err, FEAST_E_INVALID, "%s:%d: %s", c->name, line_of(k), tmp.message);
    }
    if (feast_map_get(&out->settings, key)) return feast_cfg_fail(c, k, "key '%s' given twice in %s", key, section);
    feast_buf b;
    feast_buf_init(&b, MAX_CONFIG_BYTES);
    rc = setting_value(c, key, v, &b);
    const char *value = rc ? NULL : feast_buf_cstr(&b, c->err);
    if (!rc && !value) rc = c->err->code;
    if (!rc && strcmp(key, "path") == 0 && *value) {
      char *abs = feast_cfg_resolve(c->dir, value);
      rc = abs ? feast_map_set(&out->settings, key, abs, c->err) : oom(c);
      feast_free(abs);
    } else if (!rc) {
      rc = feast_map_set(&out->settings, key, value, c->err);
    }
    feast_buf_free(&b);
    if (rc) return rc;
  }
  return FEAST_OK;
}

static feast_code check_project(cfg_ctx *c, feast_ynode *v) {
  const char *p = scalar(v);
  size_t n = p ? strlen(p) : 0;
  bool ok = n > 0 && n <= 64;
  for (size_t i = 0; ok && i < n; i++)
    ok = (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_';
  if (!ok) return feast_cfg_fail(c, v, "project '%s' is not valid: use 1 to 64 letters, digits or underscores", p ? p : "");
  return FEAST_OK;
}

/* The sections beyond the store settings, each read by its own file. */
typedef struct section {
  const char *name;
  feast_code (*parse)(cfg_ctx *c, const feast_ynode *n, feast_config *out);
} section;

static const section SECTIONS[] = {{"streams", feast_cfg_parse_streams},
                                   {"bigquery", feast_cfg_parse_bigquery},
                                   {"aws", feast_cfg_parse_aws},
                                   {"serve", feast_cfg_parse_serve}};
#define SECTION_NAMES ", streams, bigquery, aws, serve"

static feast_code parse_root(cfg_ctx *c, feast_ynode *root, feast_config *out) {
  if (!root) return FEAST_OK; /* an empty file: all defaults */
  if (root->kind != FEAST_Y_MAP)
    return feast_cfg_fail(c, root, "the configuration must be a mapping of keys (project, registry, online_store, ...)");
  bool seen[4 + sizeof SECTIONS / sizeof *SECTIONS] = {false};
  static const char *const KEYS[] = {"project", "registry", "online_store", "offline_store"};
  for (size_t i = 0; i < root->n; i++) {
    feast_ynode *k = root->items[2 * i], *v = root->items[2 * i + 1];
    const char *key = scalar(k);
    int which = -1;
    for (int w = 0; key && w < 4; w++)
      if (strcmp(key, KEYS[w]) == 0) which = w;
    for (size_t w = 0; key && which < 0 && w < sizeof SECTIONS / sizeof *SECTIONS; w++)
      if (strcmp(key, SECTIONS[w].name) == 0) which = 4 + (int)w;
    if (which < 0)
      return feast_cfg_fail(c, k, "unknown key '%s' (expected project, registry, online_store, offline_store%s)",
                            key ? key : "?", SECTION_NAMES);
    if (seen[which]) return feast_cfg_fail(c, k, "key '%s' given twice", key);
    seen[which] = true;
    feast_code rc;
    switch (which) {
      case 0:
        if ((rc = check_project(c, v)) || (rc = set(c, &out->project, scalar(v)))) return rc;
        break;
      case 1: {
        const char *r = scalar(v);
        if (!r || !*r) return feast_cfg_fail(c, v, "'registry' must be a path or a postgresql:// URL");
        if (strncmp(r, "sqlite://", 9) == 0) r += 9;
        feast_free(out->registry);
        out->registry = is_url(r) ? feast_strdup(r) : feast_cfg_resolve(c->dir, r);
        if (!out->registry) return oom(c);
        break;
      }
      case 2:
        feast_free(out->online_store.type);
        out->online_store.type = NULL;
        feast_map_clear(&out->online_store.settings);
        if ((rc = parse_store(c, "online_store", v, true, &out->online_store))) return rc;
        break;
      case 3:
        out->has_offline_store = true;
        if ((rc = parse_store(c, "offline_store", v, false, &out->offline_store))) return rc;
        break;
      default:
        if ((rc = SECTIONS[which - 4].parse(c, v, out))) return rc;
    }
  }
  return FEAST_OK;
}

void feast_config_clear(feast_config *c) {
  feast_free(c->path);
  feast_free(c->dir);
  feast_free(c->project);
  feast_free(c->registry);
  feast_free(c->online_store.type);
  feast_map_clear(&c->online_store.settings);
  feast_free(c->offline_store.type);
  feast_map_clear(&c->offline_store.settings);
  feast_cfg_streams_clear(&c->streams);
  feast_cfg_bigquery_clear(&c->bigquery);
  feast_map_clear(&c->aws);
  feast_cfg_serve_clear(c);
  memset(c, 0, sizeof *c);
}

feast_code feast_config_defaults(const char *dir, feast_config *out, feast_error *err) {
  memset(out, 0, sizeof *out);
  out->dir = feast_strdup(dir ? dir : ".");
  out->project = feast_strdup("default");
  out->registry = feast_cfg_resolve(out->dir, "data/registry.db");
  out->online_store.type = feast_strdup("lmdb");
  char *lmdb = feast_cfg_resolve(out->dir, "data/online_store");
  feast_code rc = out->dir && out->project && out->registry && out->online_store.type && lmdb
                      ? feast_map_set(&out->online_store.settings, "path", lmdb, err)
                      : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_free(lmdb);
  if (rc) feast_config_clear(out);
  return rc;
}

feast_code feast_config_parse_text(const char *text, size_t len, const char *name, const char *dir,
                                   feast_config *out, feast_error *err) {
  feast_code rc = feast_config_defaults(dir, out, err);
  if (rc) return rc;
  feast_ytree tree;
  if ((rc = feast_ytree_parse(text, len, &tree, err))) {
    if (rc != FEAST_E_NOMEM) feast_error_prefix(err, "%s: not valid YAML: ", name);
    feast_config_clear(out);
    return rc;
  }
  cfg_ctx c = {name, out->dir, err};
  if (tree.n > 1)
    rc = feast_fail(err, FEAST_E_INVALID, "%s:%d: one YAML document expected, found %zu", name, tree.docs[1].line,
                    tree.n);
  else
    rc = parse_root(&c, tree.n ? tree.docs[0].root : NULL, out);
  feast_ytree_free(&tree);
  if (rc) feast_config_clear(out);
  return rc;
}

feast_code feast_config_load(const char *path, feast_config *out, feast_error *err) {
  memset(out, 0, sizeof *out);
  feast_buf b;
  feast_buf_init(&b, MAX_CONFIG_BYTES);
  feast_code rc = feast_file_read_all(path, &b, err);
  /* The folder the file is in, absolute, so relative paths work from anywhere. */
  char *slash = strrchr(path, '/');
  char *folder = slash ? feast_strndup(path, (size_t)(slash - path) + (slash == path)) : feast_strdup(".");
  char *abs = folder ? realpath(folder, NULL) : NULL;
  if (!rc && !folder) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc && !abs) rc = feast_fail(err, FEAST_E_IO, "%s: cannot resolve the configuration's folder: %m", path);
  if (!rc) rc = feast_config_parse_text(b.data ? (const char *)b.data : "", b.len, path, abs, out, err);
  if (!rc) {
    size_t plen = strlen(abs) + strlen(slash ? slash + 1 : path) + 2;
    out->path = feast_malloc(plen);
    if (out->path)
      snprintf(out->path, plen, "%s/%s", abs, slash ? slash + 1 : path);
    else
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (rc) feast_config_clear(out);
  }
  free(abs); /* realpath allocates with malloc */
  feast_free(folder);
  feast_buf_free(&b);
  return rc;
}
