/*
 * redis_conn.h - connections to one Redis server or a Redis Cluster, and
 * pipelined execution of many commands with bounded recovery: reconnects
 * after I/O errors or timeouts, MOVED (slot map update + CLUSTER SLOTS
 * refresh) and ASK (one-shot ASKING) redirects, TRYAGAIN/CLUSTERDOWN/LOADING
 * retries, all with exponential back-off and counted in the store's stats.
 *
 * Every command run here must be safe to run twice (a reply lost with the
 * connection leaves it unknown whether it ran): our writes are conditional
 * Lua scripts, which are.
 */
#ifndef FEAST_ONLINE_REDIS_CONN_H
#define FEAST_ONLINE_REDIS_CONN_H

#include <hiredis/hiredis.h>
#include <stdbool.h>

#include "feast/online.h"

typedef struct redis_conn redis_conn;

typedef struct redis_cmd {
  int argc;
  const char **argv;
  size_t *argvlen;
  uint16_t slot;          /* cluster: the key's slot */
  const char *script;     /* when set, a NOSCRIPT reply re-runs argv as EVAL <script> */
  redisReply *reply;      /* out: owned by the command; free with redis_cmds_free_replies */
  /* private */
  int ask_node;
  bool use_eval;
  bool done;
} redis_cmd;

/* `seeds`: "host:port[,host:port...]". Cluster mode loads the slot map. */
feast_code redis_conn_open(const char *seeds, bool cluster, const feast_online_options *opts,
                           feast_online_stats *stats, redis_conn **out, feast_error *err);
void redis_conn_free(redis_conn *c);

/* Run every command (pipelined per node) until each has a final reply.
 * Error replies other than redirects/retries are left in cmd->reply for
 * the caller. Fails (retriable) when retries run out. */
feast_code redis_conn_exec(redis_conn *c, redis_cmd *cmds, size_t n, feast_error *err);
void redis_cmds_free_replies(redis_cmd *cmds, size_t n);

/* One command on the first reachable node (SCRIPT LOAD and the like). */
feast_code redis_conn_simple(redis_conn *c, int argc, const char **argv, const size_t *argvlen, redisReply **reply,
                             feast_error *err);

#endif
