/*
 * config_bigquery.c - the `bigquery:` section of feature_store.yaml: the
 * project jobs run in, the location, endpoint overrides for emulators, a
 * credentials file, the staging dataset for temporary tables, the pushdown
 * policy of historical retrieval and how many Storage Read streams to read
 * at once. Every key is checked here, so a typo is an error naming its line
 * rather than a setting silently ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "config/config_internal.h"

static const char *const KEYS[] = {"project",         "location", "endpoint",     "storage_endpoint", "credentials",
                                   "staging_dataset", "pushdown", "read_streams", "read_format", NULL};
#define KEY_LIST "project, location, endpoint, storage_endpoint, credentials, staging_dataset, pushdown, read_streams, read_format"

static feast_code copy(cfg_ctx *c, const feast_ynode *v, const char *key, char **dst) {
  const char *s = feast_cfg_scalar(v);
  if (!s || !*s) return feast_cfg_fail(c, v, "bigquery.%s must be a value", key);
  feast_free(*dst);
  return (*dst = feast_strdup(s)) ? FEAST_OK : feast_fail(c->err, FEAST_E_NOMEM, "out of memory");
}

/* A BigQuery name of letters, digits, underscores (and hyphens for projects). */
static bool plain_name(const char *s, bool hyphens) {
  if (!*s) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
          (hyphens && (*s == '-' || *s == '.' || *s == ':'))))
      return false;
  return true;
}

feast_code feast_cfg_parse_bigquery(cfg_ctx *c, const feast_ynode *n, feast_config *out) {
  feast_bigquery_config *b = &out->bigquery;
  if (n->kind != FEAST_Y_MAP) return feast_cfg_fail(c, n, "'bigquery' must be a mapping (" KEY_LIST ")");
  out->has_bigquery = true;
  for (size_t i = 0; i < n->n; i++) {
    const feast_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
    const char *key = feast_cfg_scalar(k);
    int which = -1;
    for (int w = 0; key && KEYS[w]; w++)
      if (strcmp(key, KEYS[w]) == 0) which = w;
    if (which < 0) return feast_cfg_fail(c, k, "unknown key '%s' in bigquery (expected " KEY_LIST ")", key ? key : "?");
    for (size_t j = 0; j < i; j++)
      if (feast_cfg_scalar(n->items[2 * j]) && strcmp(feast_cfg_scalar(n->items[2 * j]), key) == 0)
        return feast_cfg_fail(c, k, "key '%s' given twice in bigquery", key);
    feast_code rc = FEAST_OK;
    const char *sv = feast_cfg_scalar(v);
    switch (which) {
    case 0:
      rc = copy(c, v, key, &b->project);
      if (!rc && !plain_name(b->project, true))
        rc = feast_cfg_fail(c, v, "bigquery.project '%s' is not a project id", b->project);
      break;
    case 1: rc = copy(c, v, key, &b->location); break;
    case 2: rc = copy(c, v, key, &b->endpoint); break;
    case 3: rc = copy(c, v, key, &b->storage_endpoint); break;
    case 4:
      if (!sv || !*sv) return feast_cfg_fail(c, v, "bigquery.credentials must be the path of a credentials file");
      feast_free(b->credentials);
      if (!(b->credentials = feast_cfg_resolve(c->dir, sv))) return feast_fail(c->err, FEAST_E_NOMEM, "out of memory");
      break;
    case 5:
      rc = copy(c, v, key, &b->staging_dataset);
      if (!rc && !plain_name(b->staging_dataset, false))
        rc = feast_cfg_fail(c, v, "bigquery.staging_dataset '%s' is not a dataset name (letters, digits, _)",
                            b->staging_dataset);
      break;
    case 6:
      rc = copy(c, v, key, &b->pushdown);
      if (!rc && strcmp(b->pushdown, "auto") && strcmp(b->pushdown, "always") && strcmp(b->pushdown, "never"))
        rc = feast_cfg_fail(c, v, "bigquery.pushdown must be auto, always or never, not '%s'", b->pushdown);
      break;
    case 8:
      rc = copy(c, v, key, &b->read_format);
      if (!rc && strcmp(b->read_format, "arrow") && strcmp(b->read_format, "avro"))
        rc = feast_cfg_fail(c, v, "bigquery.read_format must be arrow or avro, not '%s'", b->read_format);
      break;
    default: {
      char *end = NULL;
      b->read_streams = sv ? strtoll(sv, &end, 10) : 0;
      if (!sv || *end || b->read_streams <= 0 || b->read_streams > 1000)
        rc = feast_cfg_fail(c, v, "bigquery.read_streams must be a number of streams from 1 to 1000");
    }
    }
    if (rc) return rc;
  }
  return FEAST_OK;
}

void feast_cfg_bigquery_clear(feast_bigquery_config *b) {
  feast_free(b->project);
  feast_free(b->location);
  feast_free(b->endpoint);
  feast_free(b->storage_endpoint);
  feast_free(b->credentials);
  feast_free(b->staging_dataset);
  feast_free(b->pushdown);
  feast_free(b->read_format);
  memset(b, 0, sizeof *b);
}
