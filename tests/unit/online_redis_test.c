/*
 * online_redis_test.c - the Redis and Redis Cluster stores against real
 * servers: FEAST_TEST_REDIS=host:port and FEAST_TEST_REDIS_CLUSTER=
 * host:port[,...] (tests/py/test_online_servers.py starts them with
 * scripts/start-redis*.sh). Without the variables only the server-free
 * cases run and the binary says so; the Python test requires them to run.
 * Checks the byte layout against Feast 0.9's (key, field names, values,
 * _ts/_ex, TTL), the property test, and MOVED/ASK redirects.
 */
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <time.h>

#include "base/buf.h"
#include "feast/time.h"
#include "format/proto/feastproto.h"
#include "online/crc16.h"
#include "online/backend.h"
#include "online_support.h"
#include "test.h"

#define SEC INT64_C(1000000)

static void crc16_vectors(void) {
  CHECK_INT(feast_crc16("123456789", 9), 0x31C3);
  CHECK_INT(feast_redis_key_slot("foo", 3), 12182); /* CLUSTER KEYSLOT foo */
  CHECK_INT(feast_redis_key_slot("{user1000}.following", 20), feast_redis_key_slot("user1000", 8));
  CHECK_INT(feast_redis_key_slot("{}x", 3), feast_crc16("{}x", 3) & 16383); /* empty tag: whole key */
}

static int host_port(const char *env, char *host, int *port) {
  const char *v = getenv(env);
  if (!v || !*v) return 0;
  const char *c = strchr(v, ':');
  if (!c) return 0;
  snprintf(host, 256, "%.*s", (int)(c - v), v);
  *port = atoi(c + 1);
  return 1;
}

static feast_online_store *open_env(const char *env, const char *scheme) {
  const char *v = getenv(env);
  if (!v || !*v) return NULL;
  char uri[1024];
  snprintf(uri, sizeof uri, "%s://%s", scheme, v);
  feast_online_store *s = NULL;
  feast_error err;
  CHECK_OK(feast_online_store_open(uri, NULL, &s, &err), &err);
  return s;
}

static int ran_redis, ran_cluster;

static feast_ts now_sec(void) { return (feast_now() / SEC) * SEC; }

static void redis_basic_and_property(void) {
  feast_online_store *s = open_env("FEAST_TEST_REDIS", "redis");
  if (!s) return;
  ran_redis = 1;
  CHECK_STR(feast_online_store_kind(s), "redis");
  char proj[64];
  snprintf(proj, sizeof proj, "basic%lld", (long long)feast_now());
  ots_basic(s, proj, now_sec(), true);
  ots_mixed_calls(s, proj, now_sec());
  ots_property(s, proj, 5, 3);
  CHECK(!(s->ops->caps & FEAST_ONLINE_CAP_ATOMIC_POSITIONS));
  ots_positions(s, proj);
  ots_stepwise(s, proj, now_sec());
  feast_online_store_free(s);
}

static const char *hexs(const char *p, size_t n) {
  static char out[512];
  out[0] = 0;
  for (size_t i = 0; i < n && i < 150; i++) snprintf(out + strlen(out), 4, i ? " %02x" : "%02x", (unsigned char)p[i]);
  return out;
}

/* Bytes written must be what Feast 0.9 writes and reads. */
static void redis_layout_is_feasts(void) {
  char host[256];
  int port;
  if (!host_port("FEAST_TEST_REDIS", host, &port)) return;
  feast_online_store *s = open_env("FEAST_TEST_REDIS", "redis");
  if (!s) return;
  redisContext *rc = redisConnect(host, port);
  CHECK(rc && !rc->err);
  redisReply *r = redisCommand(rc, "FLUSHALL");
  freeReplyObject(r);
  feast_feature_table_spec t, t2;
  feast_entity_spec e, e2;
  feast_error err;
  feast_ts T = INT64_C(1600000000) * SEC;
  ots_driver_table(&t, &e, "driver_trips", 0);
  ots_row rows[] = {{1001, T, T, 11}};
  feast_batch *b = ots_batch(rows, 1);
  feast_ingest_summary sum = {0};
  CHECK_OK(feast_ingest_batch(s, &t, &e, 1, b, NULL, &sum, &err), &err);
  CHECK_INT(sum.written, 1);
  /* the key is exactly the RedisKeyV2 test vector */
  static const char key[] = "\x0a\x07" "default" "\x12\x09" "driver_id" "\x1a\x03\x20\xe9\x07";
  size_t kl = sizeof key - 1;
  r = redisCommand(rc, "HGET %b %b", key, kl, "\x8a\x00\xcb\x9e", (size_t)4); /* murmur3(driver_trips:rating) LE */
  CHECK(r && r->type == REDIS_REPLY_STRING);
  if (r && r->type == REDIS_REPLY_STRING) CHECK_STR(hexs(r->str, r->len), "35 00 00 b0 40"); /* float 5.5 */
  freeReplyObject(r);
  r = redisCommand(rc, "HGET %b _ts:driver_trips", key, kl);
  CHECK(r && r->type == REDIS_REPLY_STRING);
  if (r && r->type == REDIS_REPLY_STRING) CHECK_STR(hexs(r->str, r->len), "08 80 a0 f8 fa 05");
  freeReplyObject(r);
  r = redisCommand(rc, "HGET %b _ex:driver_trips", key, kl); /* no max_age: Timestamp 9999-12-31T23:59:59Z */
  if (r && r->type == REDIS_REPLY_STRING) {
    feast_ts ex;
    CHECK_OK(feast_pb_timestamp_parse((const uint8_t *)r->str, r->len, &ex, &err), &err);
    CHECK_INT(ex / SEC, INT64_C(253402300799));
  } else {
    CHECK(!"_ex field missing");
  }
  freeReplyObject(r);
  r = redisCommand(rc, "TTL %b", key, kl);
  CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == -1);
  freeReplyObject(r);
  feast_batch_free(b);

  /* a second table on the same key with max_age: the key expires at the
   * latest expiry of its tables, so with one persistent table it persists;
   * a key holding only max_age tables gets EXPIREAT event + max_age */
  ots_driver_table(&t2, &e2, "driver_daily", 3600 * SEC);
  feast_ts soon = now_sec();
  ots_row r2[] = {{1001, soon, soon, 5}, {1002, soon, soon, 6}};
  b = ots_batch(r2, 2);
  memset(&sum, 0, sizeof sum);
  CHECK_OK(feast_ingest_batch(s, &t2, &e2, 1, b, NULL, &sum, &err), &err);
  CHECK_INT(sum.written, 2);
  feast_batch_free(b);
  r = redisCommand(rc, "TTL %b", key, kl);
  CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == -1);
  freeReplyObject(r);
  static const char key2[] = "\x0a\x07" "default" "\x12\x09" "driver_id" "\x1a\x03\x20\xea\x07";
  r = redisCommand(rc, "TTL %b", key2, sizeof key2 - 1);
  CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer > 3500 && r->integer <= 3600);
  freeReplyObject(r);
  r = redisCommand(rc, "HGET %b _ex:driver_daily", key2, sizeof key2 - 1);
  if (r && r->type == REDIS_REPLY_STRING) {
    feast_ts ex;
    CHECK_OK(feast_pb_timestamp_parse((const uint8_t *)r->str, r->len, &ex, &err), &err);
    CHECK_INT(ex, soon + 3600 * SEC);
  }
  freeReplyObject(r);

  /* a row written by Feast itself (no _created field, value from protoc) reads back */
  static const char key3[] = "\x0a\x07" "default" "\x12\x09" "driver_id" "\x1a\x03\x20\xeb\x07";
  r = redisCommand(rc, "HSET %b _ts:driver_trips %b %b %b", key3, sizeof key3 - 1, "\x08\x80\xa0\xf8\xfa\x05", (size_t)6,
                   "\x8a\x00\xcb\x9e", (size_t)4, "\x35\x00\x00\x20\x40", (size_t)5);
  freeReplyObject(r);
  const char *q[] = {"driver_id=1003"};
  char *json = ots_read_json(s, "default", &t, &e, q, 1, T);
  CHECK_CONTAINS(json, "{\"values\":[2.5],\"statuses\":[\"PRESENT\"],\"event_timestamps\":[\"2020-09-13T12:26:40Z\"]}");
  CHECK_CONTAINS(json, "{\"values\":[null],\"statuses\":[\"NOT_FOUND\"]");
  free(json);
  redisFree(rc);
  ots_specs_clear(&t, &e);
  ots_specs_clear(&t2, &e2);
  feast_online_store_free(s);
}

static void cluster_basic_and_property(void) {
  feast_online_store *s = open_env("FEAST_TEST_REDIS_CLUSTER", "redis-cluster");
  if (!s) return;
  ran_cluster = 1;
  CHECK_STR(feast_online_store_kind(s), "redis_cluster");
  char proj[64];
  snprintf(proj, sizeof proj, "cbasic%lld", (long long)feast_now());
  ots_basic(s, proj, now_sec(), true);
  ots_mixed_calls(s, proj, now_sec());
  ots_property(s, proj, 11, 3);
  ots_positions(s, proj);
  ots_stepwise(s, proj, now_sec());
  feast_online_stats st;
  feast_online_store_stats(s, &st);
  CHECK(st.slot_refreshes >= 1);
  feast_online_store_free(s);
}

/* --- MOVED and ASK: migrate the slot of one key while the store is open --- */

static redisContext *node_ctx[8];
static int node_port[8], n_nodes;
static char node_id[8][64];

static void cluster_nodes(const char *list) {
  n_nodes = 0;
  for (const char *p = list; *p && n_nodes < 8;) {
    const char *c = strchr(p, ':');
    if (!c) break;
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(c - p), p);
    node_port[n_nodes] = atoi(c + 1);
    node_ctx[n_nodes] = redisConnect(host, node_port[n_nodes]);
    redisReply *r = redisCommand(node_ctx[n_nodes], "CLUSTER MYID");
    snprintf(node_id[n_nodes], sizeof node_id[n_nodes], "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "?");
    freeReplyObject(r);
    n_nodes++;
    const char *comma = strchr(p, ',');
    if (!comma) break;
    p = comma + 1;
  }
}

static int owner_of(int slot) {
  redisReply *r = redisCommand(node_ctx[0], "CLUSTER SLOTS");
  int owner = -1;
  for (size_t i = 0; r && i < r->elements; i++) {
    redisReply *e = r->element[i];
    if (slot >= e->element[0]->integer && slot <= e->element[1]->integer)
      for (int n = 0; n < n_nodes; n++)
        if (e->element[2]->element[1]->integer == node_port[n]) owner = n;
  }
  freeReplyObject(r);
  return owner;
}

static void cmd_ok(redisContext *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  redisReply *r = redisvCommand(c, fmt, ap);
  va_end(ap);
  if (!r || r->type == REDIS_REPLY_ERROR) fprintf(stderr, "  cluster setup: %s\n", r ? r->str : c->errstr);
  CHECK(r && r->type != REDIS_REPLY_ERROR);
  freeReplyObject(r);
}

static void cluster_follows_moved_and_ask(void) {
  const char *list = getenv("FEAST_TEST_REDIS_CLUSTER");
  if (!list || !*list) return;
  feast_online_store *s = open_env("FEAST_TEST_REDIS_CLUSTER", "redis-cluster");
  if (!s) return;
  cluster_nodes(list);
  CHECK_INT(n_nodes, 3);
  feast_feature_table_spec t;
  feast_entity_spec e;
  feast_error err;
  ots_driver_table(&t, &e, "mv", 0);
  /* a fresh key (driver id from the clock, so reruns find no key in the
   * slot) in project "mv": find its slot the way Redis does */
  int64_t drv = 100000 + (feast_now() / 1000) % 100000000;
  char drv_txt[32], q0[64];
  snprintf(drv_txt, sizeof drv_txt, "%lld", (long long)drv);
  snprintf(q0, sizeof q0, "driver_id=%lld", (long long)drv);
  feast_buf v, k;
  feast_buf_init(&v, 1024);
  feast_buf_init(&k, 1024);
  feast_pb_value_from_text(drv_txt, strlen(drv_txt), FEAST_VT_INT64, &v, &err);
  const char *names[] = {"driver_id"};
  const uint8_t *vals[] = {v.data};
  size_t lens[] = {v.len};
  feast_pb_redis_key("mv", 1, names, vals, lens, &k, &err);
  redisReply *r = redisCommand(node_ctx[0], "CLUSTER KEYSLOT %b", k.data, k.len);
  int slot = r && r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
  freeReplyObject(r);
  CHECK_INT(slot, feast_redis_key_slot(k.data, k.len));
  int src = owner_of(slot), dst = (src + 1) % n_nodes;
  CHECK(src >= 0);
  if (src < 0) goto out;
  /* mid-migration: the source answers ASK for a key it does not have */
  cmd_ok(node_ctx[dst], "CLUSTER SETSLOT %d IMPORTING %s", slot, node_id[src]);
  cmd_ok(node_ctx[src], "CLUSTER SETSLOT %d MIGRATING %s", slot, node_id[dst]);
  feast_ts T = now_sec();
  ots_row rows[] = {{drv, T, T, 42}};
  feast_batch *b = ots_batch(rows, 1);
  feast_ingest_summary sum = {0};
  feast_ingest_options o = {"mv"};
  CHECK_OK(feast_ingest_batch(s, &t, &e, 1, b, &o, &sum, &err), &err);
  CHECK_INT(sum.written, 1);
  feast_batch_free(b);
  feast_online_stats st;
  feast_online_store_stats(s, &st);
  CHECK(st.ask >= 1);
  /* finish the migration: now the source answers MOVED */
  for (int n = 0; n < n_nodes; n++) cmd_ok(node_ctx[n], "CLUSTER SETSLOT %d NODE %s", slot, node_id[dst]);
  const char *q[] = {q0};
  char *json = ots_read_json(s, "mv", &t, &e, q, 1, T);
  CHECK_CONTAINS(json, "{\"values\":[42],\"statuses\":[\"PRESENT\"]");
  free(json);
  feast_online_store_stats(s, &st);
  CHECK(st.moved >= 1);
out:
  feast_buf_free(&v);
  feast_buf_free(&k);
  for (int n = 0; n < n_nodes; n++) redisFree(node_ctx[n]);
  ots_specs_clear(&t, &e);
  feast_online_store_free(s);
}

/* A server that is not there: bounded retries, then a retriable error. */
static void unreachable_server_fails_fast(void) {
  feast_online_options o = {0};
  o.connect_timeout_ms = 200;
  o.max_retries = 2;
  feast_online_store *s = NULL;
  feast_error err;
  CHECK_INT(feast_online_store_open("redis://127.0.0.1:1", &o, &s, &err), FEAST_E_CONNECT);
  CHECK_CONTAINS(err.message, "127.0.0.1:1");
  CHECK(err.retriable);
  CHECK_INT(feast_online_store_open("redis://nohostport", &o, &s, &err), FEAST_E_INVALID);
}

/* The server drops our connection between calls: the store reconnects
 * (counted) and the read still succeeds. */
static void redis_reconnects_after_kill(void) {
  char host[256];
  int port;
  if (!host_port("FEAST_TEST_REDIS", host, &port)) return;
  feast_online_store *s = open_env("FEAST_TEST_REDIS", "redis");
  if (!s) return;
  feast_feature_table_spec t;
  feast_entity_spec e;
  ots_driver_table(&t, &e, "rk", 0);
  redisContext *rc = redisConnect(host, port);
  redisReply *r = redisCommand(rc, "CLIENT KILL TYPE normal SKIPME yes");
  CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer >= 1);
  freeReplyObject(r);
  redisFree(rc);
  const char *q[] = {"driver_id=1"};
  char *json = ots_read_json(s, "rk", &t, &e, q, 1, feast_now());
  CHECK_CONTAINS(json, "\"NOT_FOUND\"");
  free(json);
  feast_online_stats st;
  feast_online_store_stats(s, &st);
  CHECK(st.reconnects >= 1);
  ots_specs_clear(&t, &e);
  feast_online_store_free(s);
}

static void report(void) {
  printf("redis tests: standalone %s, cluster %s\n", ran_redis ? "ran" : "skipped (FEAST_TEST_REDIS unset)",
         ran_cluster ? "ran" : "skipped (FEAST_TEST_REDIS_CLUSTER unset)");
}

TEST_MAIN(T(crc16_vectors), T(unreachable_server_fails_fast), T(redis_basic_and_property), T(redis_layout_is_feasts),
          T(redis_reconnects_after_kill), T(cluster_basic_and_property), T(cluster_follows_moved_and_ask), T(report))
