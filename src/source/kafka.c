/*
 * kafka.c - the Kafka connector: a KafkaSource's topic consumed by one
 * librdkafka consumer in the table's consumer group, every partition,
 * following rebalances, its messages decoded straight into column batches
 * (stream_decode.h), and offsets committed synchronously only in commit(seq)
 * for what the batches up to seq cover (the at-least-once contract of
 * feast/stream.h; the bookkeeping is kafka_track.c).
 *
 * Where a group with no committed offset starts: `start` earliest, latest
 * (the default, as Feast 0.9's Spark job started) or a timestamp (the
 * first offset at or after it, by offsetsForTimes). The high watermarks of
 * every partition are read at open for caught_up().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "source/connector.h"
#include "source/kafka_conf.h"
#include "source/kafka_track.h"
#include "source/stream_decode.h"

#define OPEN_WAIT_MS 10000   /* broker down at start: how long to try before saying so */
#define CALL_TIMEOUT_MS 10000 /* a watermark, committed-offset or offsets-for-times query */
#define MAX_PER_POLL 65536

enum { START_LATEST, START_EARLIEST, START_TIME };

typedef struct kafka_src {
  feast_stream_source base;
  rd_kafka_t *rk;
  rd_kafka_queue_t *queue;
  char *topic;
  char what[512]; /* "Kafka source topic T at B" */
  int start;
  int64_t start_ms;
  feast_stream_decoder *dec;
  feast_kafka_track track;
  /* the batch handed out, valid until the next poll */
  rd_kafka_message_t **msgs;
  size_t n_msgs, cap;
  feast_stream_msg *vals;
  size_t *val_msg; /* vals[i] is msgs[val_msg[i]] */
  feast_stream_origin *origins;
  feast_stream_bad *bad;
  feast_arena *arena;
  feast_stream_batch batch;
  uint64_t seq;
  feast_kafka_commit *commits;
  int commits_cap;
  /* A decode that failed retriably (the schema registry away): the same
   * messages are decoded again by the next poll before any new one is
   * taken, so none is skipped. */
  bool redecode;
  size_t n_vals;
} kafka_src;

static feast_code kafka_fail(kafka_src *k, feast_error *err, rd_kafka_resp_err_t e, const char *doing) {
  if (feast_kafka_retriable(e))
    return feast_fail_retriable(err, FEAST_E_CONNECT, "%s: %s: %s", k->what, doing, rd_kafka_err2str(e));
  return feast_fail(err, FEAST_E_SERVER, "%s: %s: %s", k->what, doing, rd_kafka_err2str(e));
}

/* ---- rebalances ---- */

/* The offset a partition with no committed offset starts from. */
static int64_t start_offset(kafka_src *k, int32_t p) {
  int64_t lo = 0, hi = 0;
  if (k->start == START_TIME) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, k->topic, p)->offset = k->start_ms;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(k->rk, l, CALL_TIMEOUT_MS);
    int64_t off = e ? RD_KAFKA_OFFSET_INVALID : l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    if (off >= 0) return off;
    /* no message at or after the time: from the end */
  }
  if (rd_kafka_query_watermark_offsets(k->rk, k->topic, p, &lo, &hi, CALL_TIMEOUT_MS))
    return k->start == START_EARLIEST ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
  return k->start == START_EARLIEST ? lo : hi;
}

static void assign(kafka_src *k, rd_kafka_topic_partition_list_t *parts, bool cooperative) {
  /* Committed offsets first; where the group has none, the start policy.
   * If the coordinator cannot say, librdkafka looks them up itself
   * (RD_KAFKA_OFFSET_INVALID) and the position is learnt from messages. */
  rd_kafka_resp_err_t e = rd_kafka_committed(k->rk, parts, CALL_TIMEOUT_MS);
  feast_error err;
  for (int i = 0; i < parts->cnt; i++) {
    rd_kafka_topic_partition_t *tp = &parts->elems[i];
    int64_t committed = !e && !tp->err && tp->offset >= 0 ? tp->offset : -1;
    if (e || tp->err) tp->offset = RD_KAFKA_OFFSET_INVALID;
    else if (tp->offset < 0) tp->offset = start_offset(k, tp->partition);
    if (feast_kafka_track_assign(&k->track, tp->partition, tp->offset >= 0 ? tp->offset : -1, committed, &err))
      fprintf(stderr, "feast: %s: partition %d: %s\n", k->what, (int)tp->partition, err.message);
  }
  rd_kafka_resp_err_t ae = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (cooperative) {
    rd_kafka_error_t *x = rd_kafka_incremental_assign(k->rk, parts);
    if (x) {
      fprintf(stderr, "feast: %s: assign: %s\n", k->what, rd_kafka_error_string(x));
      rd_kafka_error_destroy(x);
    }
  } else {
    ae = rd_kafka_assign(k->rk, parts);
  }
  if (ae) fprintf(stderr, "feast: %s: assign: %s\n", k->what, rd_kafka_err2str(ae));
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
  kafka_src *k = opaque;
  bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    assign(k, parts, cooperative);
    return;
  }
  /* Revoked (or lost): what is pending for those partitions is never
   * committed by us; their next owner reads from the last commit. */
  for (int i = 0; i < parts->cnt; i++) feast_kafka_track_revoke(&k->track, parts->elems[i].partition);
  if (cooperative) {
    rd_kafka_error_t *x = rd_kafka_incremental_unassign(rk, parts);
    if (x) rd_kafka_error_destroy(x);
  } else {
    rd_kafka_assign(rk, NULL);
  }
}

/* ---- polling ---- */

static void release_batch(kafka_src *k) {
  for (size_t i = 0; i < k->n_msgs; i++) rd_kafka_message_destroy(k->msgs[i]);
  k->n_msgs = 0;
  feast_arena_reset(k->arena);
  memset(&k->batch, 0, sizeof k->batch);
}

static feast_code grow_arrays(kafka_src *k, size_t n, feast_error *err) {
  if (n <= k->cap) return FEAST_OK;
  feast_free(k->msgs);
  feast_free(k->vals);
  feast_free(k->val_msg);
  feast_free(k->origins);
  feast_free(k->bad);
  k->msgs = feast_malloc(n * sizeof *k->msgs);
  k->vals = feast_malloc(n * sizeof *k->vals);
  k->val_msg = feast_malloc(n * sizeof *k->val_msg);
  k->origins = feast_malloc(n * sizeof *k->origins);
  k->bad = feast_malloc(n * sizeof *k->bad);
  k->cap = n;
  if (k->msgs && k->vals && k->val_msg && k->origins && k->bad) return FEAST_OK;
  k->cap = 0;
  return feast_fail(err, FEAST_E_NOMEM, "out of memory");
}

/* Decimal text of a partition or offset (>= 0), in the batch's arena:
 * two per message, so not through printf. */
static const char *num_text(feast_arena *a, int64_t v) {
  char buf[24];
  int n = sizeof buf;
  uint64_t u = v < 0 ? 0 : (uint64_t)v;
  do buf[--n] = (char)('0' + u % 10), u /= 10;
  while (u);
  return feast_arena_strndup(a, buf + n, sizeof buf - (size_t)n);
}

static feast_stream_origin origin_of(kafka_src *k, const rd_kafka_message_t *m) {
  feast_stream_origin o = {num_text(k->arena, m->partition), num_text(k->arena, m->offset), m->payload, m->len};
  if (!o.raw) o.raw = (const uint8_t *)"";
  return o;
}

static feast_code decode_batch(kafka_src *k, feast_error *err);

static feast_code k_poll(feast_stream_source *self, int64_t max_messages, int timeout_ms,
                         const feast_stream_batch **out, feast_error *err) {
  kafka_src *k = (kafka_src *)self;
  *out = &k->batch;
  if (k->redecode) return decode_batch(k, err);
  release_batch(k);
  size_t want = max_messages < 1 ? 1 : max_messages > MAX_PER_POLL ? MAX_PER_POLL : (size_t)max_messages;
  feast_code rc = grow_arrays(k, want, err);
  if (rc) return rc;
  /* What is queued, at once; only when nothing is, wait for one message.
   * (rd_kafka_consume_batch_queue with a timeout waits until the whole
   * batch is there, which stalls a consumer that is keeping up.) */
  ssize_t got = rd_kafka_consume_batch_queue(k->queue, 0, k->msgs, want);
  if (got == 0 && timeout_ms > 0) {
    rd_kafka_message_t *first = rd_kafka_consume_queue(k->queue, timeout_ms);
    if (first) {
      k->msgs[0] = first;
      got = want > 1 ? rd_kafka_consume_batch_queue(k->queue, 0, k->msgs + 1, want - 1) : 0;
      got = got < 0 ? 1 : got + 1;
    }
  }
  if (got < 0) return feast_fail(err, FEAST_E_SERVER, "%s: consume: %s", k->what, strerror(errno));
  k->n_msgs = (size_t)got;
  size_t n_vals = 0, n_errors = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (size_t i = 0; i < k->n_msgs; i++) {
    rd_kafka_message_t *m = k->msgs[i];
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
      if (!n_errors++) first_error = m->err;
      continue;
    }
    k->vals[n_vals] = (feast_stream_msg){m->payload ? m->payload : "", m->len};
    k->val_msg[n_vals++] = i;
  }
  char fatal[256];
  if (rd_kafka_fatal_error(k->rk, fatal, sizeof fatal))
    return feast_fail(err, FEAST_E_SERVER, "%s: fatal error: %s", k->what, fatal);
  if (!n_vals) {
    /* broker or network trouble: retriable, so the engine backs off */
    if (n_errors) return kafka_fail(k, err, first_error, "consume");
    return FEAST_OK;
  }
  k->n_vals = n_vals;
  return decode_batch(k, err);
}

/* Decode the messages taken (k->vals) into the batch handed out. */
static feast_code decode_batch(kafka_src *k, feast_error *err) {
  size_t n_vals = k->n_vals;
  feast_batch *rows = NULL;
  const feast_stream_msg_bad *bad = NULL;
  size_t n_bad = 0;
  feast_code rc = k->dec->decode(k->dec, k->vals, n_vals, &rows, &bad, &n_bad, err);
  k->redecode = rc && err->retriable;
  if (rc) return feast_error_prefix(err, "%s: ", k->what);
  /* Rows are the good messages in order; bad ones are listed by index. */
  size_t b = 0, r = 0;
  for (size_t i = 0; i < n_vals; i++) {
    const rd_kafka_message_t *m = k->msgs[k->val_msg[i]];
    feast_stream_origin o = origin_of(k, m);
    if (!o.partition || !o.offset) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (b < n_bad && bad[b].index == i) {
      k->bad[b] = (feast_stream_bad){o, bad[b].reason, bad[b].cause};
      b++;
    } else {
      k->origins[r++] = o;
    }
  }
  k->seq++;
  for (size_t i = 0; i < k->n_msgs; i++) {
    const rd_kafka_message_t *m = k->msgs[i];
    if (!m->err && (rc = feast_kafka_track_record(&k->track, k->seq, m->partition, m->offset, err))) return rc;
  }
  k->batch.seq = k->seq;
  k->batch.rows = rows;
  k->batch.origins = k->origins;
  k->batch.n_bad = n_bad;
  k->batch.bad = k->bad;
  k->batch.messages = (int64_t)n_vals;
  return FEAST_OK;
}

/* ---- commits, lag ---- */

static feast_code k_commit(feast_stream_source *self, uint64_t seq, feast_error *err) {
  kafka_src *k = (kafka_src *)self;
  if (k->commits_cap < k->track.n) {
    feast_free(k->commits);
    k->commits = feast_malloc((size_t)k->track.n * sizeof *k->commits);
    k->commits_cap = k->commits ? k->track.n : 0;
    if (!k->commits) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  size_t n = feast_kafka_track_to_commit(&k->track, seq, k->commits);
  if (!n) return FEAST_OK;
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
  for (size_t i = 0; i < n; i++)
    rd_kafka_topic_partition_list_add(l, k->topic, k->commits[i].partition)->offset = k->commits[i].offset;
  rd_kafka_resp_err_t e = rd_kafka_commit(k->rk, l, 0 /* synchronous */);
  /* Partition errors: keep what was stored, retry the rest next time. */
  size_t ok = 0;
  for (int i = 0; i < l->cnt; i++) {
    if (l->elems[i].err && !e) e = l->elems[i].err;
    if (!l->elems[i].err) k->commits[ok++] = (feast_kafka_commit){l->elems[i].partition, l->elems[i].offset};
  }
  rd_kafka_topic_partition_list_destroy(l);
  if (!e || e == RD_KAFKA_RESP_ERR__NO_OFFSET) {
    feast_kafka_track_committed(&k->track, k->commits, ok);
    return FEAST_OK;
  }
  /* The group moved on (a rebalance): the partitions are being revoked, so
   * this consumer may not store their offsets. The rows are durable and the
   * next owner reads them again: at least once holds without this commit. */
  if (e == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION || e == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
      e == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS || e == RD_KAFKA_RESP_ERR__STATE)
    return FEAST_OK;
  return kafka_fail(k, err, e, "commit");
}

static feast_code k_lag(feast_stream_source *self, feast_stream_lag *out, size_t max, size_t *n, feast_error *err) {
  (void)err;
  kafka_src *k = (kafka_src *)self;
  size_t c = 0;
  for (int p = 0; p < k->track.n; p++) {
    feast_kafka_part *q = &k->track.parts[p];
    if (!q->assigned) continue;
    int64_t lo, hi;
    if (!rd_kafka_get_watermark_offsets(k->rk, k->topic, p, &lo, &hi) && hi >= 0) feast_kafka_track_set_end(&k->track, p, hi);
    if (c < max) {
      feast_stream_lag *l = &out[c];
      snprintf(l->partition, sizeof l->partition, "%d", p);
      l->position = q->position;
      l->end = q->end;
      l->lag = q->position >= 0 && q->end >= 0 ? (q->end > q->position ? q->end - q->position : 0) : -1;
    }
    c++;
  }
  *n = c;
  return FEAST_OK;
}

static bool k_caught_up(feast_stream_source *self) {
  kafka_src *k = (kafka_src *)self;
  return feast_kafka_track_caught_up(&k->track);
}

static void k_close(feast_stream_source *self) {
  kafka_src *k = (kafka_src *)self;
  release_batch(k);
  if (k->queue) rd_kafka_queue_destroy(k->queue);
  if (k->rk) {
    rd_kafka_consumer_close(k->rk); /* leaves the group; commits nothing (auto commit is off) */
    rd_kafka_destroy(k->rk);
  }
  if (k->dec) k->dec->free(k->dec);
  feast_kafka_track_free(&k->track);
  feast_arena_free(k->arena);
  feast_free(k->msgs);
  feast_free(k->vals);
  feast_free(k->val_msg);
  feast_free(k->origins);
  feast_free(k->bad);
  feast_free(k->commits);
  feast_free(k->topic);
  feast_free(k);
}

/* ---- opening ---- */

static feast_code parse_start(kafka_src *k, const char *start, feast_error *err) {
  if (!start || !strcmp(start, "latest")) k->start = START_LATEST;
  else if (!strcmp(start, "earliest")) k->start = START_EARLIEST;
  else {
    feast_ts ts;
    if (feast_ts_parse(start, &ts, err))
      return feast_fail(err, FEAST_E_INVALID, "start_from must be earliest, latest or a timestamp, not '%s'", start);
    k->start = START_TIME;
    k->start_ms = ts / 1000;
  }
  return FEAST_OK;
}

/* The topic's partitions and their high watermarks, waiting up to
 * OPEN_WAIT_MS for a broker to answer. */
static feast_code read_topic(kafka_src *k, feast_error *err) {
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(k->rk, k->topic, NULL);
  if (!rkt) return feast_fail(err, FEAST_E_NOMEM, "%s: cannot make a topic handle", k->what);
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_resp_err_t e = rd_kafka_metadata(k->rk, 0, rkt, &md, OPEN_WAIT_MS);
  rd_kafka_topic_destroy(rkt);
  if (e)
    return feast_fail(err, e == RD_KAFKA_RESP_ERR__TIMED_OUT || e == RD_KAFKA_RESP_ERR__TRANSPORT ? FEAST_E_CONNECT
                                                                                                : FEAST_E_SERVER,
                      "%s: no broker answered within %d s (%s)", k->what, OPEN_WAIT_MS / 1000, rd_kafka_err2str(e));
  feast_code rc = FEAST_OK;
  if (md->topic_cnt != 1 || md->topics[0].err)
    rc = feast_fail(err, FEAST_E_NOT_FOUND, "%s: %s", k->what,
                    md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                        ? "the topic does not exist"
                        : rd_kafka_err2str(md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
  int n = rc ? 0 : md->topics[0].partition_cnt;
  int32_t *ids = n ? feast_malloc((size_t)n * sizeof *ids) : NULL;
  int max_id = -1;
  for (int i = 0; i < n && ids; i++) {
    ids[i] = md->topics[0].partitions[i].id;
    if (ids[i] > max_id) max_id = ids[i];
  }
  rd_kafka_metadata_destroy(md);
  if (!rc && n && !ids) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) rc = feast_kafka_track_init(&k->track, max_id + 1, err);
  for (int i = 0; !rc && i < n; i++) {
    int64_t lo, hi;
    e = rd_kafka_query_watermark_offsets(k->rk, k->topic, ids[i], &lo, &hi, CALL_TIMEOUT_MS);
    if (e) rc = kafka_fail(k, err, e, "reading the high watermarks");
    else feast_kafka_track_set_end_at_open(&k->track, ids[i], hi);
  }
  feast_free(ids);
  return rc;
}

static feast_code k_open(const feast_data_source *s, const feast_stream_options *o, feast_stream_source **out,
                         feast_error *err) {
  *out = NULL;
  const char *topic = s->kafka.topic, *servers = s->kafka.bootstrap_servers;
  if (!topic || !*topic) return feast_fail(err, FEAST_E_INVALID, "the Kafka source has no topic");
  kafka_src *k = feast_calloc(1, sizeof *k);
  if (!k || !(k->topic = feast_strdup(topic)) || !(k->arena = feast_arena_new(64 << 10))) {
    if (k) feast_free(k->topic);
    feast_free(k);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  snprintf(k->what, sizeof k->what, "Kafka source topic %s at %s", topic, servers ? servers : "?");
  k->base = (feast_stream_source){k_poll, k_commit, NULL, k_lag, k_caught_up, k_close};
  feast_code rc = parse_start(k, o->start, err);
  feast_stream_decode_options d = {o->table, o->entity_types, s, &s->kafka.message_format, o->schema_registry_url};
  if (!rc) rc = feast_stream_decoder_open(&d, &k->dec, err);
  if (rc) feast_error_prefix(err, "%s: ", k->what);
  rd_kafka_conf_t *conf = NULL;
  if (!rc) rc = feast_kafka_conf_new(o->settings, servers, k->what, &conf, err);
  char group[512];
  if (o->group_id) snprintf(group, sizeof group, "%s", o->group_id);
  else feast_kafka_default_group(o->project, o->table->name, group, sizeof group);
  const char *const fixed[][2] = {
      {"group.id", group},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      /* an offset past retention: where the start policy points */
      {"auto.offset.reset", k->start == START_LATEST ? "latest" : "earliest"},
  };
  for (size_t i = 0; !rc && i < sizeof fixed / sizeof *fixed; i++)
    rc = feast_kafka_conf_set(conf, fixed[i][0], fixed[i][1], k->what, err);
  if (!rc) {
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, k);
    char errstr[512];
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!k->rk) rc = feast_fail(err, FEAST_E_INVALID, "%s: %s", k->what, errstr);
    else conf = NULL; /* the client owns it */
  }
  if (conf) rd_kafka_conf_destroy(conf);
  if (!rc) rc = read_topic(k, err);
  if (!rc) {
    rd_kafka_poll_set_consumer(k->rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, k->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(k->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e) rc = kafka_fail(k, err, e, "subscribe");
  }
  if (!rc && !(k->queue = rd_kafka_queue_get_consumer(k->rk)))
    rc = feast_fail(err, FEAST_E_INTERNAL, "%s: no consumer queue", k->what);
  if (rc) {
    k_close(&k->base);
    return rc;
  }
  *out = &k->base;
  return FEAST_OK;
}

const feast_connector feast_kafka_connector = {
    .name = "kafka",
    .type = FEAST_SOURCE_KAFKA,
    .open_stream = k_open,
};
