/*
 * redis_conn.c - see redis_conn.h. Nodes are kept in a small array; the
 * cluster slot map is an array of 16384 node indexes (-1 = unknown, use any
 * node and let MOVED teach us).
 */
#include "online/redis_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "online/backend.h"

#define NSLOTS 16384
#define MAX_NODES 256

typedef struct rnode {
  char host[256];
  int port;
  redisContext *ctx;
} rnode;

struct redis_conn {
  bool cluster;
  rnode nodes[MAX_NODES];
  int n_nodes;
  int16_t slots[NSLOTS];
  feast_online_options opts;
  feast_online_stats *stats;
  bool need_refresh;
  int64_t deadline_ms; /* the running call's give-up time (CLOCK_MONOTONIC ms); 0 = none */
};

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int node_index(redis_conn *c, const char *host, int port, feast_error *err) {
  for (int i = 0; i < c->n_nodes; i++)
    if (c->nodes[i].port == port && strcmp(c->nodes[i].host, host) == 0) return i;
  if (c->n_nodes == MAX_NODES) {
    feast_fail(err, FEAST_E_TOO_BIG, "redis: more than %d cluster nodes", MAX_NODES);
    return -1;
  }
  rnode *n = &c->nodes[c->n_nodes];
  snprintf(n->host, sizeof n->host, "%s", host);
  n->port = port;
  n->ctx = NULL;
  return c->n_nodes++;
}

static void drop(rnode *n) {
  if (n->ctx) redisFree(n->ctx);
  n->ctx = NULL;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Before a blocking read or write on n: the socket timeout is the command
 * timeout, or what is left of the call's deadline when that is less. false
 * when the deadline has passed (nothing may block any more). */
static bool arm(redis_conn *c, rnode *n) {
  int64_t ms = c->opts.command_timeout_ms;
  if (c->deadline_ms) {
    int64_t left = c->deadline_ms - now_ms();
    if (left <= 0) return false;
    if (left < ms) ms = left;
  }
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
  if (n->ctx) redisSetTimeout(n->ctx, tv);
  return true;
}

static feast_code ensure(redis_conn *c, rnode *n, feast_error *err) {
  if (n->ctx && !n->ctx->err) return FEAST_OK;
  if (n->ctx) {
    drop(n);
    feast_online_count(&c->stats->reconnects);
  }
  struct timeval ct = {c->opts.connect_timeout_ms / 1000, (c->opts.connect_timeout_ms % 1000) * 1000};
  struct timeval rt = {c->opts.command_timeout_ms / 1000, (c->opts.command_timeout_ms % 1000) * 1000};
  redisContext *ctx = redisConnectWithTimeout(n->host, n->port, ct);
  if (!ctx) return feast_fail_retriable(err, FEAST_E_NOMEM, "redis %s:%d: cannot allocate a connection", n->host, n->port);
  if (ctx->err) {
    feast_code code = ctx->err == REDIS_ERR_IO && (errno == ETIMEDOUT || errno == EINPROGRESS) ? FEAST_E_TIMEOUT : FEAST_E_CONNECT;
    feast_fail_retriable(err, code, "redis %s:%d: cannot connect: %s", n->host, n->port, ctx->errstr);
    redisFree(ctx);
    return code;
  }
  redisSetTimeout(ctx, rt);
  n->ctx = ctx;
  return FEAST_OK;
}

static feast_code parse_hostport(const char *s, size_t len, char *host, size_t hsize, int *port, feast_error *err) {
  const char *colon = NULL;
  for (size_t i = 0; i < len; i++)
    if (s[i] == ':') colon = s + i;
  if (!colon || (size_t)(colon - s) >= hsize || colon == s)
    return feast_fail(err, FEAST_E_INVALID, "redis: \"%.*s\" is not host:port", (int)len, s);
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = 0;
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (end != s + len || p <= 0 || p > 65535) return feast_fail(err, FEAST_E_INVALID, "redis: bad port in \"%.*s\"", (int)len, s);
  *port = (int)p;
  return FEAST_OK;
}

/* CLUSTER SLOTS from any reachable node: [[start, end, [host, port, id], ...], ...] */
static feast_code refresh_slots(redis_conn *c, feast_error *err) {
  feast_code rc = FEAST_E_CONNECT;
  feast_fail(err, FEAST_E_CONNECT, "redis cluster: no node reachable");
  int n0 = c->n_nodes;
  for (int i = 0; i < n0; i++) {
    rnode *n = &c->nodes[i];
    if ((rc = ensure(c, n, err))) continue;
    if (!arm(c, n)) return feast_fail_retriable(err, FEAST_E_TIMEOUT, "redis cluster: out of time refreshing slots");
    redisReply *r = redisCommand(n->ctx, "CLUSTER SLOTS");
    if (!r) {
      rc = feast_fail_retriable(err, FEAST_E_CONNECT, "redis %s:%d: CLUSTER SLOTS: %s", n->host, n->port, n->ctx->errstr);
      drop(n);
      continue;
    }
    if (r->type != REDIS_REPLY_ARRAY) {
      rc = feast_fail(err, FEAST_E_SERVER, "redis %s:%d: CLUSTER SLOTS: %s", n->host, n->port,
                      r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply (is this a cluster node?)");
      freeReplyObject(r);
      continue;
    }
    memset(c->slots, 0xff, sizeof c->slots);
    rc = FEAST_OK;
    for (size_t k = 0; k < r->elements && !rc; k++) {
      redisReply *e = r->element[k];
      if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 || e->element[2]->type != REDIS_REPLY_ARRAY ||
          e->element[2]->elements < 2) continue;
      redisReply *m = e->element[2];
      const char *host = m->element[0]->type == REDIS_REPLY_STRING && m->element[0]->len ? m->element[0]->str : n->host;
      int idx = node_index(c, host, (int)m->element[1]->integer, err);
      if (idx < 0) {
        rc = FEAST_E_TOO_BIG;
        break;
      }
      for (long long s = e->element[0]->integer; s <= e->element[1]->integer && s < NSLOTS; s++)
        if (s >= 0) c->slots[s] = (int16_t)idx;
    }
    freeReplyObject(r);
    if (!rc) {
      feast_online_count(&c->stats->slot_refreshes);
      c->need_refresh = false;
      return FEAST_OK;
    }
  }
  return rc;
}

feast_code redis_conn_open(const char *seeds, bool cluster, const feast_online_options *opts, feast_online_stats *stats,
                           redis_conn **out, feast_error *err) {
  redis_conn *c = feast_calloc(1, sizeof *c);
  if (!c) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  c->cluster = cluster;
  c->opts = *opts;
  c->stats = stats;
  memset(c->slots, 0xff, sizeof c->slots);
  feast_code rc = FEAST_OK;
  for (const char *p = seeds; *p && !rc;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char host[256];
    int port;
    if (!(rc = parse_hostport(p, len, host, sizeof host, &port, err)) && node_index(c, host, port, err) < 0) rc = err->code;
    p += len + (end ? 1 : 0);
  }
  if (!rc && !c->n_nodes) rc = feast_fail(err, FEAST_E_INVALID, "redis: no host:port given");
  if (!rc && !cluster && c->n_nodes > 1) rc = feast_fail(err, FEAST_E_INVALID, "redis: one host:port expected (use redis-cluster:// for several)");
  if (!rc) rc = cluster ? refresh_slots(c, err) : ensure(c, &c->nodes[0], err);
  if (rc) {
    redis_conn_free(c);
    return rc;
  }
  *out = c;
  return FEAST_OK;
}

void redis_conn_free(redis_conn *c) {
  if (!c) return;
  for (int i = 0; i < c->n_nodes; i++) drop(&c->nodes[i]);
  feast_free(c);
}

void redis_cmds_free_replies(redis_cmd *cmds, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (cmds[i].reply) freeReplyObject(cmds[i].reply);
    cmds[i].reply = NULL;
  }
}

static int target_node(redis_conn *c, const redis_cmd *cmd) {
  if (!c->cluster) return 0;
  if (cmd->ask_node >= 0) return cmd->ask_node;
  int n = c->slots[cmd->slot];
  return n >= 0 ? n : 0;
}

static feast_code append_cmd(redisContext *ctx, redis_cmd *cmd) {
  if (cmd->ask_node >= 0 && redisAppendCommand(ctx, "ASKING") != REDIS_OK) return FEAST_E_NOMEM;
  const char *a0 = cmd->argv[0], *a1 = cmd->argv[1];
  size_t l0 = cmd->argvlen[0], l1 = cmd->argvlen[1];
  if (cmd->use_eval) {
    cmd->argv[0] = "EVAL";
    cmd->argvlen[0] = 4;
    cmd->argv[1] = cmd->script;
    cmd->argvlen[1] = strlen(cmd->script);
  }
  int r = redisAppendCommandArgv(ctx, cmd->argc, cmd->argv, cmd->argvlen);
  cmd->argv[0] = a0;
  cmd->argv[1] = a1;
  cmd->argvlen[0] = l0;
  cmd->argvlen[1] = l1;
  return r == REDIS_OK ? FEAST_OK : FEAST_E_NOMEM;
}

static bool has_prefix(const redisReply *r, const char *p) {
  return r->type == REDIS_REPLY_ERROR && strncmp(r->str, p, strlen(p)) == 0;
}

/* Decide what a reply means for its command. Returns true when final. */
static bool settle(redis_conn *c, redis_cmd *cmd, redisReply *r, bool *backoff, feast_error *err) {
  if (has_prefix(r, "MOVED ") || has_prefix(r, "ASK ")) {
    bool ask = r->str[0] == 'A';
    char *sp = strchr(r->str, ' ');
    char *hp = sp ? strchr(sp + 1, ' ') : NULL;
    char host[256];
    int port, idx;
    if (hp && !parse_hostport(hp + 1, strlen(hp + 1), host, sizeof host, &port, err) &&
        (idx = node_index(c, host, port, err)) >= 0) {
      if (ask) {
        cmd->ask_node = idx;
        feast_online_count(&c->stats->ask);
      } else {
        c->slots[cmd->slot] = (int16_t)idx;
        c->need_refresh = true;
        cmd->ask_node = -1;
        feast_online_count(&c->stats->moved);
      }
      freeReplyObject(r);
      return false;
    }
  } else if (has_prefix(r, "NOSCRIPT") && cmd->script && !cmd->use_eval) {
    cmd->use_eval = true;
    freeReplyObject(r);
    return false;
  } else if (has_prefix(r, "TRYAGAIN") || has_prefix(r, "CLUSTERDOWN") || has_prefix(r, "LOADING") ||
             has_prefix(r, "MASTERDOWN")) {
    *backoff = true;
    feast_online_count(&c->stats->retries);
    freeReplyObject(r);
    return false;
  }
  cmd->ask_node = -1;
  cmd->reply = r;
  cmd->done = true;
  return true;
}

static feast_code exec_until(redis_conn *c, redis_cmd *cmds, size_t n, feast_error *err);

feast_code redis_conn_exec(redis_conn *c, redis_cmd *cmds, size_t n, feast_error *err) {
  /* One bound for the whole call, whatever mix of timeouts, reconnects,
   * slot refreshes and nodes it meets: a hung server or cluster is given
   * up on in (max_retries + 1) command timeouts plus a connect timeout
   * (32 s by default), as docs/online.md says. */
  c->deadline_ms = now_ms() + (int64_t)c->opts.command_timeout_ms * (c->opts.max_retries + 1) +
                   c->opts.connect_timeout_ms;
  feast_code rc = exec_until(c, cmds, n, err);
  c->deadline_ms = 0;
  return rc;
}

static feast_code exec_until(redis_conn *c, redis_cmd *cmds, size_t n, feast_error *err) {
  for (size_t i = 0; i < n; i++) {
    cmds[i].done = false;
    cmds[i].use_eval = false;
    cmds[i].ask_node = -1;
    cmds[i].reply = NULL;
  }
  size_t left = n;
  int delay = c->opts.retry_backoff_ms;
  feast_error last;
  feast_error_clear(&last);

  for (int attempt = 0; left; attempt++) {
    if (attempt > c->opts.max_retries * 4 + 8) /* redirects are cheap; I/O failures are bounded below */
      return feast_fail_retriable(err, last.code ? last.code : FEAST_E_CONNECT,
                                  "redis: %zu of %zu commands still unanswered after %d rounds%s%s", left, n, attempt,
                                  last.code ? ": " : "", last.message);
    bool backoff = false;
    if (c->cluster && c->need_refresh) refresh_slots(c, &last); /* best effort; MOVED already patched the map */
    /* send: every pending command to its node */
    for (int nd = 0; nd < c->n_nodes; nd++) {
      bool any = false;
      for (size_t i = 0; i < n; i++) any |= !cmds[i].done && target_node(c, &cmds[i]) == nd;
      if (!any) continue;
      rnode *node = &c->nodes[nd];
      if (ensure(c, node, &last)) {
        backoff = true;
        feast_online_count(&c->stats->retries);
        continue;
      }
      size_t sent = 0;
      for (size_t i = 0; i < n; i++) {
        if (cmds[i].done || target_node(c, &cmds[i]) != nd) continue;
        if (append_cmd(node->ctx, &cmds[i])) return feast_fail(err, FEAST_E_NOMEM, "redis: out of memory queueing commands");
        sent++;
      }
      /* receive in the same order; snapshot targets first since settle() may change them */
      int *targets = feast_malloc(n * sizeof *targets + 1);
      if (!targets) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
      for (size_t i = 0; i < n; i++) targets[i] = cmds[i].done ? -1 : target_node(c, &cmds[i]);
      bool io_failed = !arm(c, node);
      for (size_t i = 0; i < n && !io_failed; i++) {
        if (targets[i] != nd) continue;
        bool asking = cmds[i].ask_node >= 0;
        redisReply *r = NULL;
        if (asking) {
          if (redisGetReply(node->ctx, (void **)&r) != REDIS_OK) {
            io_failed = true;
            break;
          }
          freeReplyObject(r);
          r = NULL;
        }
        if (redisGetReply(node->ctx, (void **)&r) != REDIS_OK || !r) {
          io_failed = true;
          break;
        }
        cmds[i].ask_node = -1;
        if (settle(c, &cmds[i], r, &backoff, err)) left--;
      }
      feast_free(targets);
      if (io_failed) {
        bool timeout = node->ctx->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ETIMEDOUT);
        feast_fail_retriable(&last, timeout ? FEAST_E_TIMEOUT : FEAST_E_CONNECT, "redis %s:%d: %s", node->host, node->port,
                             timeout ? "timed out" : node->ctx->errstr);
        drop(node);
        feast_online_count(&c->stats->reconnects);
        feast_online_count(&c->stats->retries);
        if (c->cluster) c->need_refresh = true;
        backoff = true;
      }
      (void)sent;
    }
    if (backoff && left) {
      if (attempt >= c->opts.max_retries || now_ms() + delay >= c->deadline_ms)
        return feast_fail_retriable(err, last.code ? last.code : FEAST_E_CONNECT,
                                    "redis: giving up after %d retries (%zu of %zu commands unanswered): %s", attempt, left,
                                    n, last.code ? last.message : "server busy");
      sleep_ms(delay);
      delay = delay * 2 > 1000 ? 1000 : delay * 2;
    }
  }
  return FEAST_OK;
}

feast_code redis_conn_simple(redis_conn *c, int argc, const char **argv, const size_t *argvlen, redisReply **reply,
                             feast_error *err) {
  feast_code rc = feast_fail(err, FEAST_E_CONNECT, "redis: no node reachable");
  for (int i = 0; i < c->n_nodes; i++) {
    rnode *n = &c->nodes[i];
    if ((rc = ensure(c, n, err))) continue;
    redisReply *r = redisCommandArgv(n->ctx, argc, argv, argvlen);
    if (!r) {
      rc = feast_fail_retriable(err, FEAST_E_CONNECT, "redis %s:%d: %s", n->host, n->port, n->ctx->errstr);
      drop(n);
      continue;
    }
    *reply = r;
    return FEAST_OK;
  }
  return rc;
}
