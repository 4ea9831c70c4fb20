/*
 * config_streams.c - the `streams:` section of feature_store.yaml: where a
 * consumer group with no position starts, batch bounds, the dead-letter
 * sink, the schema registry, and librdkafka properties passed through (the
 * Kafka connector checks their names and values when it starts).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "config/config_internal.h"

static const char *const KEYS[] = {"start_from", "max_batch_rows", "max_batch_delay", "dead_letter",
                                   "schema_registry_url", "kafka", "kinesis", NULL};

static feast_code oom(cfg_ctx *c) { return feast_fail(c->err, FEAST_E_NOMEM, "out of memory"); }

static feast_code copy(cfg_ctx *c, const feast_ynode *v, const char *key, char **dst) {
  const char *s = feast_cfg_scalar(v);
  if (!s || !*s) return feast_cfg_fail(c, v, "streams.%s must be a value", key);
  feast_free(*dst);
  return (*dst = feast_strdup(s)) ? FEAST_OK : oom(c);
}

static feast_code flat_map(cfg_ctx *c, const feast_ynode *v, const char *key, feast_map *out) {
  if (v->kind != FEAST_Y_MAP) return feast_cfg_fail(c, v, "streams.%s must be a mapping of settings", key);
  for (size_t i = 0; i < v->n; i++) {
    const feast_ynode *k = v->items[2 * i], *val = v->items[2 * i + 1];
    const char *ks = feast_cfg_scalar(k), *vs = feast_cfg_scalar(val);
    if (!ks || !vs) return feast_cfg_fail(c, k, "streams.%s: each setting is a name and a value", key);
    if (feast_map_get(out, ks)) return feast_cfg_fail(c, k, "streams.%s: '%s' given twice", key, ks);
    feast_code rc = feast_map_set(out, ks, vs, c->err);
    if (rc) return rc;
  }
  return FEAST_OK;
}

static feast_code dead_letter(cfg_ctx *c, const feast_ynode *v, feast_backend_config *out) {
  feast_code rc = flat_map(c, v, "dead_letter", &out->settings);
  if (rc) return rc;
  const char *type = feast_map_get(&out->settings, "type");
  bool parquet = type && strcmp(type, "parquet") == 0, kafka = type && strcmp(type, "kafka") == 0;
  if (!parquet && !kafka) return feast_cfg_fail(c, v, "streams.dead_letter needs a type: parquet or kafka");
  for (size_t i = 0; i < out->settings.n; i++) {
    const char *k = out->settings.items[i].key;
    bool known = !strcmp(k, "type") || (parquet && !strcmp(k, "path")) ||
                 (kafka && (!strcmp(k, "topic") || !strcmp(k, "bootstrap_servers")));
    if (!known)
      return feast_cfg_fail(c, v, "unknown key '%s' in streams.dead_letter of type %s (expected %s)", k, type,
                            parquet ? "type, path" : "type, topic, bootstrap_servers");
  }
  if (parquet && !feast_map_get(&out->settings, "path"))
    return feast_cfg_fail(c, v, "streams.dead_letter of type parquet needs a path (a folder)");
  if (kafka && !feast_map_get(&out->settings, "topic"))
    return feast_cfg_fail(c, v, "streams.dead_letter of type kafka needs a topic");
  if (!(out->type = feast_strdup(type))) return oom(c);
  if (parquet) {
    char *abs = feast_cfg_resolve(c->dir, feast_map_get(&out->settings, "path"));
    rc = abs ? feast_map_set(&out->settings, "path", abs, c->err) : oom(c);
    feast_free(abs);
  }
  return rc;
}

feast_code feast_cfg_parse_streams(cfg_ctx *c, const feast_ynode *n, feast_config *out) {
  feast_stream_config *s = &out->streams;
  if (n->kind != FEAST_Y_MAP) return feast_cfg_fail(c, n, "'streams' must be a mapping");
  for (size_t i = 0; i < n->n; i++) {
    const feast_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
    const char *key = feast_cfg_scalar(k);
    int which = -1;
    for (int w = 0; key && KEYS[w]; w++)
      if (strcmp(key, KEYS[w]) == 0) which = w;
    if (which < 0)
      return feast_cfg_fail(c, k,
                            "unknown key '%s' in streams (expected start_from, max_batch_rows, max_batch_delay, "
                            "dead_letter, schema_registry_url, kafka, kinesis)",
                            key ? key : "?");
    for (size_t j = 0; j < i; j++)
      if (feast_cfg_scalar(n->items[2 * j]) && strcmp(feast_cfg_scalar(n->items[2 * j]), key) == 0)
        return feast_cfg_fail(c, k, "key '%s' given twice in streams", key);
    feast_code rc = FEAST_OK;
    const char *sv = feast_cfg_scalar(v);
    char *end = NULL;
    switch (which) {
    case 0:
      rc = copy(c, v, key, &s->start_from);
      if (!rc && strcmp(s->start_from, "earliest") && strcmp(s->start_from, "latest")) {
        feast_ts ts;
        feast_error e;
        if (feast_ts_parse(s->start_from, &ts, &e))
          rc = feast_cfg_fail(c, v, "streams.start_from must be earliest, latest or a timestamp, not '%s'", s->start_from);
      }
      break;
    case 1:
      s->max_batch_rows = sv ? strtoll(sv, &end, 10) : 0;
      if (!sv || *end || s->max_batch_rows <= 0)
        rc = feast_cfg_fail(c, v, "streams.max_batch_rows must be a positive number of messages");
      break;
    case 2: {
      feast_duration d = 0;
      feast_error e;
      if (!sv || feast_duration_parse(sv, &d, &e) || d <= 0)
        rc = feast_cfg_fail(c, v, "streams.max_batch_delay must be a positive duration such as 1s or 250ms");
      s->max_batch_delay_ms = d / 1000;
      if (!rc && !s->max_batch_delay_ms) s->max_batch_delay_ms = 1;
      break;
    }
    case 3: rc = dead_letter(c, v, &s->dead_letter); break;
    case 4: rc = copy(c, v, key, &s->schema_registry_url); break;
    case 5: rc = flat_map(c, v, key, &s->kafka); break;
    default: rc = flat_map(c, v, key, &s->kinesis); break;
    }
    if (rc) return rc;
  }
  return FEAST_OK;
}

void feast_cfg_streams_clear(feast_stream_config *s) {
  feast_free(s->start_from);
  feast_free(s->dead_letter.type);
  feast_map_clear(&s->dead_letter.settings);
  feast_free(s->schema_registry_url);
  feast_map_clear(&s->kafka);
  feast_map_clear(&s->kinesis);
  memset(s, 0, sizeof *s);
}
