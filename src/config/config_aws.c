/*
 * config_aws.c - the `aws:` section of feature_store.yaml: region, profile,
 * static credentials, endpoint overrides, S3 addressing and HTTP limits,
 * used by the s3:// file sources and the Kinesis source (docs/aws.md). The
 * values are kept as strings in file order; the AWS layer reads them into
 * its feast_aws_settings. Every key is checked here so a typo is an error
 * naming its line.
 */
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

static const char *const KEYS[] = {"region",          "profile",         "access_key_id",        "secret_access_key",
                                   "session_token",   "endpoint_url",    "s3_endpoint_url",      "kinesis_endpoint_url",
                                   "s3_addressing",   "connect_timeout_ms", "timeout_ms",        "max_attempts",
                                   "s3_request_size", "s3_max_in_flight", NULL};
#define KEY_LIST                                                                                                    \
  "region, profile, access_key_id, secret_access_key, session_token, endpoint_url, s3_endpoint_url, "               \
  "kinesis_endpoint_url, s3_addressing, connect_timeout_ms, timeout_ms, max_attempts, s3_request_size, "        \
  "s3_max_in_flight"

feast_code feast_cfg_parse_aws(cfg_ctx *c, const feast_ynode *n, feast_config *out) {
  if (n->kind != FEAST_Y_MAP) return feast_cfg_fail(c, n, "'aws' must be a mapping (" KEY_LIST ")");
  out->has_aws = true;
  for (size_t i = 0; i < n->n; i++) {
    const feast_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
    const char *key = feast_cfg_scalar(k), *sv = feast_cfg_scalar(v);
    int which = -1;
    for (int w = 0; key && KEYS[w]; w++)
      if (strcmp(key, KEYS[w]) == 0) which = w;
    if (which < 0) return feast_cfg_fail(c, k, "unknown key '%s' in aws (expected " KEY_LIST ")", key ? key : "?");
    if (feast_map_get(&out->aws, key)) return feast_cfg_fail(c, k, "key '%s' given twice in aws", key);
    if (!sv || !*sv) return feast_cfg_fail(c, v, "aws.%s must be a value", key);
    if (which == 8 && strcmp(sv, "auto") && strcmp(sv, "path") && strcmp(sv, "virtual-host"))
      return feast_cfg_fail(c, v, "aws.s3_addressing must be auto, path or virtual-host, not '%s'", sv);
    if (which >= 9) {
      char *end = NULL;
      long long x = strtoll(sv, &end, 10), top = which == 12 ? (1ll << 32) : which == 13 ? 64 : 3600000;
      if (*end || x <= 0 || x > top)
        return feast_cfg_fail(c, v, "aws.%s must be a number from 1 to %lld", key, top);
    }
    if (strncmp(key, "endpoint_url", 12) == 0 || strstr(key, "_endpoint_url"))
      if (strncmp(sv, "http://", 7) && strncmp(sv, "https://", 8))
        return feast_cfg_fail(c, v, "aws.%s must be an http:// or https:// URL, not '%s'", key, sv);
    feast_code rc = feast_map_set(&out->aws, key, sv, c->err);
    if (rc) return rc;
  }
  return FEAST_OK;
}
