/*
 * online_store.c - opening an online store by URI and the backend-independent accessors.
 */
#include <string.h>

#include "online/backend.h"

static bool has_prefix(const char *s, const char *p, const char **rest) {
  size_t n = strlen(p);
  if (strncmp(s, p, n) != 0) return false;
  *rest = s + n;
  return true;
}

feast_code feast_online_store_open(const char *uri, const feast_online_options *opts, feast_online_store **out,
                                   feast_error *err) {
  feast_online_options o = {0};
  if (opts) o = *opts;
  if (!o.lmdb_map_size) o.lmdb_map_size = (size_t)1 << 30;
  if (!o.connect_timeout_ms) o.connect_timeout_ms = 2000;
  if (!o.command_timeout_ms) o.command_timeout_ms = 5000;
  if (!o.max_retries) o.max_retries = 5;
  if (!o.retry_backoff_ms) o.retry_backoff_ms = 20;
  *out = NULL;
  if (!uri || !*uri) return feast_fail(err, FEAST_E_INVALID, "online store: empty URI");
  const char *rest;
  if (has_prefix(uri, "redis-cluster://", &rest) || has_prefix(uri, "redis+cluster://", &rest))
    return feast_redis_open(rest, true, &o, out, err);
  if (has_prefix(uri, "redis://", &rest)) return feast_redis_open(rest, false, &o, out, err);
  if (has_prefix(uri, "lmdb://", &rest) || has_prefix(uri, "lmdb:", &rest)) return feast_lmdb_open(rest, &o, out, err);
  if (strstr(uri, "://")) return feast_fail(err, FEAST_E_INVALID, "online store \"%s\": unknown scheme (lmdb:, redis://, redis-cluster://)", uri);
  return feast_lmdb_open(uri, &o, out, err);
}

void feast_online_store_free(feast_online_store *s) {
  if (s) s->ops->close(s);
}

const char *feast_online_store_kind(const feast_online_store *s) { return s->ops->kind; }

void feast_online_store_stats(const feast_online_store *s, feast_online_stats *out) {
  out->reconnects = __atomic_load_n(&s->stats.reconnects, __ATOMIC_RELAXED);
  out->retries = __atomic_load_n(&s->stats.retries, __ATOMIC_RELAXED);
  out->moved = __atomic_load_n(&s->stats.moved, __ATOMIC_RELAXED);
  out->ask = __atomic_load_n(&s->stats.ask, __ATOMIC_RELAXED);
  out->slot_refreshes = __atomic_load_n(&s->stats.slot_refreshes, __ATOMIC_RELAXED);
}

const char *feast_field_status_name(feast_field_status s) {
  switch (s) {
  case FEAST_STATUS_PRESENT: return "PRESENT";
  case FEAST_STATUS_NULL_VALUE: return "NULL_VALUE";
  case FEAST_STATUS_NOT_FOUND: return "NOT_FOUND";
  case FEAST_STATUS_OUTSIDE_MAX_AGE: return "OUTSIDE_MAX_AGE";
  default: return "INVALID";
  }
}
