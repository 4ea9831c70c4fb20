/*
 * redis_store.c - the Redis and Redis Cluster online store, in Feast 0.9's
 * layout: one hash per entity key (the serialized RedisKeyV2), a field per
 * feature named by the 4 little-endian bytes of murmur3_32("table:feature")
 * holding a serialized feast.types.Value, "_ts:<table>" a serialized
 * google.protobuf.Timestamp of the event time, "_ex:<table>" the key's
 * expiry as a Timestamp (9999-12-31T23:59:59Z when none), and our own
 * "_created:<table>" (decimal microseconds) that Feast readers ignore.
 *
 * The conditional replace runs as a Lua script (EVALSHA, EVAL on NOSCRIPT)
 * over many keys at once: Redis runs a script atomically, so "compare
 * stored (event, created) and write the whole row" cannot interleave with
 * another writer for any of its keys; one call writes up to 64 keys and
 * calls are pipelined, so a round trip carries thousands of rows
 * (WATCH/MULTI needs three round trips per key and retries under
 * contention); and re-running a call after a lost reply is safe. In a
 * cluster the keys of one call share a slot (rows are grouped by slot).
 *
 * Positions of a scope are one hash, "feast:positions:<scope>", a field per
 * name. Threads share a pool of connections: each call takes one (opening
 * it when none is idle) and gives it back.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/hash.h"
#include "format/proto/feastproto.h"
#include "online/crc16.h"
#include "online/redis_conn.h"
#include "online/backend.h"

/* One call writes many keys (in a cluster, keys of one slot). KEYS: the
 * keys. ARGV: 1 ts field, 2 created field, 3 ex field, 4 n features, then
 * per key: event secs, event nanos, created us, Timestamp bytes, own expiry
 * secs or -1, the expiry's Timestamp bytes (so a new key, the common case,
 * needs no number formatting in Lua), and n (feature field, value) pairs, which go to HSET as one
 * unpack() slice (building a Lua table per key cost more than the HSET).
 * Returns one integer per key: 1 written, 0 older than what is stored. */
static const char WRITE_LUA[] =
    "local function varint(s, i)\n"
    "  local v, m = 0, 1\n"
    "  while true do\n"
    "    local b = string.byte(s, i)\n"
    "    if not b then return nil, i end\n"
    "    i = i + 1\n"
    "    if b < 128 then v = v + b * m; if v >= 9223372036854775808 then v = v - 18446744073709551616 end; return v, i end\n"
    "    v = v + (b - 128) * m; m = m * 128\n"
    "  end\n"
    "end\n"
    "local function ts(s)\n"
    "  local sec, nan, i = 0, 0, 1\n"
    "  while i <= #s do\n"
    "    local tag, v\n"
    "    tag, i = varint(s, i); if not tag then break end\n"
    "    v, i = varint(s, i); if not v then break end\n"
    "    if tag == 8 then sec = v elseif tag == 16 then nan = v end\n"
    "  end\n"
    "  return sec, nan\n"
    "end\n"
    "local function enc(v)\n"
    "  local t = {}\n"
    "  while v >= 128 do t[#t + 1] = string.char(v % 128 + 128); v = math.floor(v / 128) end\n"
    "  t[#t + 1] = string.char(v)\n"
    "  return table.concat(t)\n"
    "end\n"
    "local MAXSEC = 253402300799\n"
    "local fts, fcr, fex = ARGV[1], ARGV[2], ARGV[3]\n"
    "local nf = tonumber(ARGV[4])\n"
    "local per = 6 + 2 * nf\n"
    "local MAXENC = '\\8' .. enc(MAXSEC)\n"
    "local out = {}\n"
    "for k = 1, #KEYS do\n"
    "  local key = KEYS[k]\n"
    "  local b = 4 + (k - 1) * per\n"
    "  local cur = redis.call('HMGET', key, fts, fcr)\n"
    "  local newer = true\n"
    "  if cur[1] then\n"
    "    local es, en, ec = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3])\n"
    "    local ss, sn = ts(cur[1])\n"
    "    local sc = tonumber(cur[2]) or -math.huge\n"
    "    newer = es > ss or (es == ss and (en > sn or (en == sn and ec > sc)))\n"
    "  end\n"
    "  if not newer then\n"
    "    out[k] = 0\n"
    "  else\n"
    "    local exs, exb = ARGV[b + 5], ARGV[b + 6]\n"
    "    local exp = tonumber(exs)\n"
    "    if exp < 0 then exp = MAXSEC end\n"
    "    local own = exp\n"
    "    local fresh = (not cur[1]) and redis.call('EXISTS', key) == 0\n"
    "    if not fresh then\n"
    "      local all = redis.call('HGETALL', key)\n"
    "      for i = 1, #all, 2 do\n"
    "        local f = all[i]\n"
    "        if string.sub(f, 1, 4) == '_ex:' and f ~= fex then\n"
    "          local s = ts(all[i + 1]); if s > exp then exp = s end\n"
    "        end\n"
    "      end\n"
    "    end\n"
    "    if exp > MAXSEC then exp = MAXSEC end\n"
    "    if exp ~= own then\n"
    "      exb = MAXENC\n"
    "      if exp < MAXSEC then exb = '\\8' .. enc(exp) end\n"
    "      exs = string.format('%.0f', exp)\n"
    "    end\n"
    "    redis.call('HSET', key, fts, ARGV[b + 4], fcr, ARGV[b + 3], fex, exb, unpack(ARGV, b + 7, b + 6 + 2 * nf))\n"
    "    if exp < MAXSEC then redis.call('EXPIREAT', key, exs)\n"
    "    elseif not fresh then redis.call('PERSIST', key) end\n"
    "    out[k] = 1\n"
    "  end\n"
    "end\n"
    "return out\n";

/* Keys per script call, and script calls per pipelined round. A call runs
 * atomically in the server, so it stays short (tens of keys). */
#define KEYS_PER_CALL 64
#define CALLS_PER_ROUND 512

#define POOL_IDLE 64 /* idle connections kept */

typedef struct redis_store {
  feast_online_store base;
  bool cluster;
  char sha[48];
  char *target;
  pthread_mutex_t pool_mu;
  redis_conn *idle[POOL_IDLE];
  int n_idle;
} redis_store;

/* A connection for this call: an idle one, or a new one. */
static feast_code take_conn(redis_store *s, redis_conn **c, feast_error *err) {
  pthread_mutex_lock(&s->pool_mu);
  *c = s->n_idle ? s->idle[--s->n_idle] : NULL;
  pthread_mutex_unlock(&s->pool_mu);
  if (*c) return FEAST_OK;
  feast_code rc = redis_conn_open(s->target, s->cluster, &s->base.opts, &s->base.stats, c, err);
  return rc ? feast_error_prefix(err, "%s://%s: ", s->cluster ? "redis-cluster" : "redis", s->target) : FEAST_OK;
}

static void give_conn(redis_store *s, redis_conn *c) {
  pthread_mutex_lock(&s->pool_mu);
  if (s->n_idle < POOL_IDLE) {
    s->idle[s->n_idle++] = c;
    c = NULL;
  }
  pthread_mutex_unlock(&s->pool_mu);
  redis_conn_free(c);
}

/* Run commands on a pooled connection. */
static feast_code exec_pooled(redis_store *s, redis_cmd *cmds, size_t n, feast_error *err) {
  redis_conn *c;
  feast_code rc = take_conn(s, &c, err);
  if (rc) return rc;
  rc = redis_conn_exec(c, cmds, n, err);
  give_conn(s, c);
  return rc;
}

#define MAX_SECONDS INT64_C(253402300799)

static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* "prefix:table" into the arena. */
static char *field_name(feast_arena *a, const char *prefix, const char *table, size_t *len) {
  size_t n = strlen(prefix) + strlen(table);
  char *s = feast_arena_alloc(a, n + 1);
  if (s) {
    strcpy(s, prefix);
    strcat(s, table);
    *len = n;
  }
  return s;
}

/* The 4-byte field names of the features, in the arena. */
static uint8_t *feature_fields(feast_arena *a, const feast_online_table *t) {
  uint8_t *out = feast_arena_alloc(a, 4 * t->n_features + 1);
  if (!out) return NULL;
  for (size_t f = 0; f < t->n_features; f++) {
    size_t tl = strlen(t->name), fl = strlen(t->features[f]);
    char *ref = feast_arena_alloc(a, tl + fl + 2);
    if (!ref) return NULL;
    memcpy(ref, t->name, tl);
    ref[tl] = ':';
    memcpy(ref + tl + 1, t->features[f], fl + 1);
    uint32_t h = feast_murmur3_32(ref, tl + fl + 1, 0);
    for (int i = 0; i < 4; i++) out[4 * f + (size_t)i] = (uint8_t)(h >> (8 * i));
  }
  return out;
}

/* Decimal into the arena (snprintf per number is a measurable cost). */
static char *arena_i64(feast_arena *a, int64_t v, size_t *len) {
  char tmp[24], *p = tmp + sizeof tmp;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) *--p = '-';
  *len = (size_t)(tmp + sizeof tmp - p);
  return feast_arena_strndup(a, p, *len);
}

/* Timestamp{seconds} as the script's enc() writes it: tag 8, then the
 * varint (also for 0). */
static char *expiry_bytes(feast_arena *a, int64_t sec, size_t *len) {
  char tmp[11];
  size_t n = 0;
  uint64_t v = (uint64_t)sec;
  tmp[n++] = 8;
  while (v >= 0x80) {
    tmp[n++] = (char)(v | 0x80);
    v >>= 7;
  }
  tmp[n++] = (char)v;
  *len = n;
  return feast_arena_strndup(a, tmp, n);
}

/* Sends the calls built so far and records each key's outcome. */
static feast_code run_calls(redis_store *s, redis_cmd *cmds, size_t n_cmds, const size_t *call_first,
                            const size_t *order, uint8_t *written, feast_error *err) {
  feast_code rc = exec_pooled(s, cmds, n_cmds, err);
  for (size_t c = 0; c < n_cmds && !rc; c++) {
    redisReply *r = cmds[c].reply;
    size_t nk = call_first[c + 1] - call_first[c];
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != nk) {
      rc = feast_fail(err, FEAST_E_SERVER, "redis: write script for %zu keys: %s", nk,
                      r && r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
      break;
    }
    for (size_t k = 0; k < nk; k++)
      written[order[call_first[c] + k]] = r->element[k]->type == REDIS_REPLY_INTEGER && r->element[k]->integer == 1;
  }
  redis_cmds_free_replies(cmds, n_cmds);
  return rc;
}

static feast_code redis_write(feast_online_store *base, const feast_online_table *t, const feast_online_row *rows, size_t n,
                              uint8_t *written, const feast_online_positions *pos, feast_error *err) {
  redis_store *s = (redis_store *)base;
  if (pos) return feast_fail(err, FEAST_E_INTERNAL, "redis: positions cannot be written with rows");
  size_t nf = t->n_features, per = 6 + 2 * nf;
  feast_arena *a = feast_arena_new((size_t)1 << 20);
  redis_cmd *cmds = feast_calloc(CALLS_PER_ROUND, sizeof *cmds);
  size_t *order = feast_malloc((n + 1) * sizeof *order);
  uint16_t *slot = feast_malloc((n + 1) * sizeof *slot);
  size_t *call_first = feast_malloc((CALLS_PER_ROUND + 1) * sizeof *call_first);
  uint32_t *count = s->cluster ? feast_calloc(16385, sizeof *count) : NULL;
  feast_buf tsb;
  feast_buf_init(&tsb, 64);
  feast_code rc = FEAST_OK;
  size_t lts, lcr, lex, lnf;
  char *f_ts = a ? field_name(a, "_ts:", t->name, &lts) : NULL;
  char *f_cr = a ? field_name(a, "_created:", t->name, &lcr) : NULL;
  char *f_ex = a ? field_name(a, "_ex:", t->name, &lex) : NULL;
  char *s_nf = a ? arena_i64(a, (int64_t)nf, &lnf) : NULL;
  uint8_t *ff = a ? feature_fields(a, t) : NULL;
  if (!a || !cmds || !order || !slot || !call_first || (s->cluster && !count) || !f_ts || !f_cr || !f_ex || !s_nf || !ff)
    rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  memset(written, 0, n);
  /* In a cluster the keys of one call must share a slot: order by slot
   * (a counting sort), and cut a call where the slot changes. */
  for (size_t i = 0; i < n && !rc; i++) slot[i] = s->cluster ? feast_redis_key_slot(rows[i].key, rows[i].key_len) : 0;
  if (!rc && s->cluster) {
    for (size_t i = 0; i < n; i++) count[slot[i] + 1]++;
    for (size_t k = 1; k <= 16384; k++) count[k] += count[k - 1];
    for (size_t i = 0; i < n; i++) order[count[slot[i]]++] = i;
  } else if (!rc) {
    for (size_t i = 0; i < n; i++) order[i] = i;
  }
  size_t n_cmds = 0, round_first = 0;
  for (size_t i = 0; i < n && !rc;) {
    size_t g = 1;
    while (i + g < n && g < KEYS_PER_CALL && slot[order[i + g]] == slot[order[i]]) g++;
    int argc = (int)(3 + g + 4 + g * per);
    const char **argv = feast_arena_alloc(a, (size_t)argc * sizeof *argv);
    size_t *lens = feast_arena_alloc(a, (size_t)argc * sizeof *lens);
    char *numkeys = argv && lens ? arena_i64(a, (int64_t)g, &lens[2]) : NULL;
    if (!numkeys) {
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
      break;
    }
    argv[0] = "EVALSHA", lens[0] = 7;
    argv[1] = s->sha, lens[1] = strlen(s->sha);
    argv[2] = numkeys;
    size_t at = 3;
    for (size_t k = 0; k < g; k++) argv[at] = (const char *)rows[order[i + k]].key, lens[at++] = rows[order[i + k]].key_len;
    argv[at] = f_ts, lens[at++] = lts;
    argv[at] = f_cr, lens[at++] = lcr;
    argv[at] = f_ex, lens[at++] = lex;
    argv[at] = s_nf, lens[at++] = lnf;
    for (size_t k = 0; k < g && !rc; k++) {
      const feast_online_row *r = &rows[order[i + k]];
      int64_t sec = floor_div(r->event_ts, 1000000), nanos = (r->event_ts - sec * 1000000) * 1000;
      int64_t exp = -1;
      if (t->has_max_age) {
        exp = sec + floor_div(t->max_age, 1000000);
        if (exp > MAX_SECONDS || exp < 0) exp = exp < 0 ? 0 : MAX_SECONDS;
      }
      feast_buf_reset(&tsb);
      if ((rc = feast_pb_timestamp(r->event_ts, &tsb, err))) break;
      argv[at] = arena_i64(a, sec, &lens[at]), at++;
      argv[at] = arena_i64(a, nanos, &lens[at]), at++;
      argv[at] = arena_i64(a, r->created_ts, &lens[at]), at++;
      argv[at] = tsb.len ? feast_arena_strndup(a, (const char *)tsb.data, tsb.len) : "", lens[at++] = tsb.len;
      argv[at] = arena_i64(a, exp, &lens[at]), at++;
      argv[at] = expiry_bytes(a, exp < 0 ? MAX_SECONDS : exp, &lens[at]), at++;
      for (size_t k2 = at - 6; k2 < at; k2++)
        if (!argv[k2]) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
      for (size_t f = 0; f < nf; f++) {
        argv[at] = (const char *)ff + 4 * f, lens[at++] = 4;
        argv[at] = r->value_lens[f] ? (const char *)r->values[f] : "", lens[at++] = r->value_lens[f];
      }
    }
    if (rc) break;
    call_first[n_cmds] = i - round_first;
    cmds[n_cmds++] = (redis_cmd){argc, argv, lens, slot[order[i]], WRITE_LUA};
    i += g;
    if (n_cmds == CALLS_PER_ROUND || i == n) {
      call_first[n_cmds] = i - round_first;
      rc = run_calls(s, cmds, n_cmds, call_first, order + round_first, written, err);
      n_cmds = 0;
      round_first = i;
      feast_arena_reset(a);
      f_ts = field_name(a, "_ts:", t->name, &lts);
      f_cr = field_name(a, "_created:", t->name, &lcr);
      f_ex = field_name(a, "_ex:", t->name, &lex);
      s_nf = arena_i64(a, (int64_t)nf, &lnf);
      ff = feature_fields(a, t);
      if (!rc && (!f_ts || !f_cr || !f_ex || !s_nf || !ff)) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    }
  }
  feast_free(cmds);
  feast_free(order);
  feast_free(slot);
  feast_free(call_first);
  feast_free(count);
  feast_buf_free(&tsb);
  feast_arena_free(a);
  return rc;
}

static feast_code redis_read(feast_online_store *base, const feast_online_table *t, const uint8_t *const *keys,
                             const size_t *key_lens, size_t n, feast_arena *arena, feast_online_record *out,
                             feast_error *err) {
  redis_store *s = (redis_store *)base;
  redis_cmd *cmds = feast_calloc(n + 1, sizeof *cmds);
  size_t lts, lcr;
  char *f_ts = field_name(arena, "_ts:", t->name, &lts);
  char *f_cr = field_name(arena, "_created:", t->name, &lcr);
  uint8_t *ff = feature_fields(arena, t);
  int argc = 4 + (int)t->n_features;
  const char **argv = feast_arena_alloc(arena, (size_t)argc * sizeof *argv);
  feast_code rc = FEAST_OK;
  if (!cmds || !f_ts || !f_cr || !ff || !argv) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; i < n && !rc; i++) {
    size_t *lens = feast_arena_alloc(arena, (size_t)argc * sizeof *lens);
    const char **av = feast_arena_alloc(arena, (size_t)argc * sizeof *av);
    if (!lens || !av) {
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
      break;
    }
    av[0] = "HMGET", lens[0] = 5;
    av[1] = (const char *)keys[i], lens[1] = key_lens[i];
    av[2] = f_ts, lens[2] = lts;
    av[3] = f_cr, lens[3] = lcr;
    for (size_t f = 0; f < t->n_features; f++) av[4 + f] = (const char *)ff + 4 * f, lens[4 + f] = 4;
    cmds[i] = (redis_cmd){argc, av, lens, feast_redis_key_slot(keys[i], key_lens[i]), NULL};
  }
  if (!rc) rc = exec_pooled(s, cmds, n, err);
  for (size_t i = 0; i < n && !rc; i++) {
    redisReply *r = cmds[i].reply;
    feast_online_record *rec = &out[i];
    memset(rec, 0, sizeof *rec);
    rec->has = feast_arena_calloc(arena, t->n_features + 1);
    rec->values = feast_arena_calloc(arena, (t->n_features + 1) * sizeof *rec->values);
    rec->value_lens = feast_arena_calloc(arena, (t->n_features + 1) * sizeof *rec->value_lens);
    if (!rec->has || !rec->values || !rec->value_lens) {
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
      break;
    }
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)argc - 2) {
      rc = feast_fail(err, FEAST_E_SERVER, "redis: HMGET: %s", r && r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
      break;
    }
    if (r->element[0]->type != REDIS_REPLY_STRING) continue; /* no row of this table */
    if ((rc = feast_pb_timestamp_parse((const uint8_t *)r->element[0]->str, r->element[0]->len, &rec->event_ts, err))) {
      feast_error_prefix(err, "redis: field %s: ", f_ts);
      break;
    }
    rec->found = true;
    rec->created_ts = FEAST_TS_MIN;
    if (r->element[1]->type == REDIS_REPLY_STRING) rec->created_ts = strtoll(r->element[1]->str, NULL, 10);
    for (size_t f = 0; f < t->n_features; f++) {
      redisReply *v = r->element[2 + f];
      if (v->type != REDIS_REPLY_STRING) continue;
      rec->has[f] = true;
      rec->value_lens[f] = v->len;
      if (v->len) {
        uint8_t *p = feast_arena_alloc(arena, v->len);
        if (!p) {
          rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
          break;
        }
        memcpy(p, v->str, v->len);
        rec->values[f] = p;
      }
    }
  }
  redis_cmds_free_replies(cmds, n);
  feast_free(cmds);
  return rc;
}

/* ---- positions ---- */

static char *positions_key(const char *scope, size_t *len) {
  size_t n = strlen("feast:positions:") + strlen(scope);
  char *k = feast_malloc(n + 1);
  if (k) snprintf(k, n + 1, "feast:positions:%s", scope);
  *len = n;
  return k;
}

static feast_code redis_put_positions(feast_online_store *base, const feast_online_positions *pos, feast_error *err) {
  redis_store *s = (redis_store *)base;
  if (!pos->n) return FEAST_OK;
  size_t klen;
  char *key = positions_key(pos->scope, &klen);
  int argc = 2 + 2 * (int)pos->n;
  const char **argv = feast_calloc((size_t)argc, sizeof *argv);
  size_t *lens = feast_calloc((size_t)argc, sizeof *lens);
  feast_code rc = key && argv && lens ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) {
    argv[0] = "HSET", lens[0] = 4;
    argv[1] = key, lens[1] = klen;
    for (size_t i = 0; i < pos->n; i++) {
      argv[2 + 2 * i] = pos->items[i].name, lens[2 + 2 * i] = strlen(pos->items[i].name);
      argv[3 + 2 * i] = pos->items[i].value, lens[3 + 2 * i] = strlen(pos->items[i].value);
    }
    redis_cmd cmd = {argc, argv, lens, feast_redis_key_slot((const uint8_t *)key, klen), NULL};
    rc = exec_pooled(s, &cmd, 1, err);
    if (!rc && (!cmd.reply || cmd.reply->type != REDIS_REPLY_INTEGER))
      rc = feast_fail(err, FEAST_E_SERVER, "redis: HSET %s: %s", key,
                      cmd.reply && cmd.reply->type == REDIS_REPLY_ERROR ? cmd.reply->str : "unexpected reply");
    redis_cmds_free_replies(&cmd, 1);
  }
  feast_free(key);
  feast_free(argv);
  feast_free(lens);
  return rc;
}

static feast_code redis_get_positions(feast_online_store *base, const char *scope, feast_online_position_fn fn,
                                      void *ctx, feast_error *err) {
  redis_store *s = (redis_store *)base;
  size_t klen;
  char *key = positions_key(scope, &klen);
  if (!key) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  const char *argv[] = {"HGETALL", key};
  size_t lens[] = {7, klen};
  redis_cmd cmd = {2, argv, lens, feast_redis_key_slot((const uint8_t *)key, klen), NULL};
  feast_code rc = exec_pooled(s, &cmd, 1, err);
  redisReply *r = cmd.reply;
  if (!rc && (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 2))
    rc = feast_fail(err, FEAST_E_SERVER, "redis: HGETALL %s: %s", key,
                    r && r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
  for (size_t i = 0; !rc && i + 1 < r->elements; i += 2) {
    redisReply *n = r->element[i], *v = r->element[i + 1];
    if (n->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING || memchr(n->str, 0, n->len) ||
        memchr(v->str, 0, v->len))
      rc = feast_fail(err, FEAST_E_CORRUPT, "redis: %s holds a field that is not a position", key);
    else
      rc = fn(ctx, n->str, v->str, err);
  }
  redis_cmds_free_replies(&cmd, 1);
  feast_free(key);
  return rc;
}

static void redis_close(feast_online_store *base) {
  redis_store *s = (redis_store *)base;
  for (int i = 0; i < s->n_idle; i++) redis_conn_free(s->idle[i]);
  pthread_mutex_destroy(&s->pool_mu);
  feast_free(s->target);
  feast_free(s);
}

static const feast_online_backend redis_ops = {"redis", 0,
    redis_write, redis_read, redis_put_positions, redis_get_positions, redis_close};
static const feast_online_backend cluster_ops = {"redis_cluster", 0,
    redis_write, redis_read, redis_put_positions, redis_get_positions, redis_close};

feast_code feast_redis_open(const char *target, bool cluster, const feast_online_options *opts,
                            feast_online_store **out, feast_error *err) {
  redis_store *s = feast_calloc(1, sizeof *s);
  if (!s) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (pthread_mutex_init(&s->pool_mu, NULL) != 0) {
    feast_free(s);
    return feast_fail(err, FEAST_E_NOMEM, "redis: cannot create a mutex");
  }
  s->base.ops = cluster ? &cluster_ops : &redis_ops;
  s->base.opts = *opts;
  s->cluster = cluster;
  s->target = feast_strdup(target);
  redis_conn *conn = NULL;
  feast_code rc = s->target ? take_conn(s, &conn, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) {
    const char *argv[] = {"SCRIPT", "LOAD", WRITE_LUA};
    size_t lens[] = {6, 4, sizeof WRITE_LUA - 1};
    redisReply *r = NULL;
    rc = redis_conn_simple(conn, 3, argv, lens, &r, err);
    if (!rc) {
      if (r->type == REDIS_REPLY_STRING && r->len < sizeof s->sha) memcpy(s->sha, r->str, r->len + 1);
      else rc = feast_fail(err, FEAST_E_SERVER, "redis: SCRIPT LOAD: %s", r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
      freeReplyObject(r);
    }
    if (rc) feast_error_prefix(err, "%s://%s: ", cluster ? "redis-cluster" : "redis", target);
    give_conn(s, conn);
  }
  if (rc) {
    redis_close(&s->base);
    return rc;
  }
  *out = &s->base;
  return FEAST_OK;
}
