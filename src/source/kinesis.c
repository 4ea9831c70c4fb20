/*
 * kinesis.c - the Kinesis connector: a KinesisSource's stream read shard by
 * shard, every shard by its own thread (ListShards, GetShardIterator, the
 * GetRecords loop), the records handed to the consumer in arrival order and
 * decoded on its thread straight into column batches (stream_decode.h).
 *
 * Checkpoints are positions in the online store (feast/stream.h,
 * positions()): per shard its last sequence number handed out, or
 * SHARD_END once a closed shard was read to its end, under the scope
 * "kinesis/<group>/<stream>". The engine writes them with the rows: in the
 * same transaction where the backend can (LMDB: exactly once), else right
 * after them (at least once). They are read back at open.
 *
 * Resharding: a shard whose parent (or either parent of a merge) is still
 * being read waits; it starts only once the consumer has taken the parent's
 * last record, so a checkpoint never covers a child's records without its
 * parents' end. A shard read to its end lists the shards again to find its
 * children.
 *
 * The service's limits: at most one GetRecords per shard every
 * min_interval_ms (200: AWS allows 5 per second), an idle shard polled
 * every idle_interval_ms; ProvisionedThroughputExceeded and other retriable
 * failures are retried by the AWS client and then backed off here; an
 * expired iterator is fetched again after the last sequence number read.
 * What a shard's thread reads ahead is bounded (max_queued_records).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "cloud/aws/kinesis_api.h"
#include "format/json/json_reader.h"
#include "format/json/json_writer.h"
#include "online/backend.h"
#include "source/connector.h"
#include "source/kinesis.h"
#include "source/stream_decode.h"

#define SHARD_END "SHARD_END"
#define SEQ_MAX 160
#define ID_MAX 64
#define BACKOFF_FIRST_MS 200
#define BACKOFF_MAX_MS 10000
#define MAX_PER_POLL 65536

enum { START_LATEST, START_EARLIEST, START_TIME };
enum { S_WAIT, S_READ, S_DONE };
enum { IT_TRIM_HORIZON, IT_LATEST, IT_AT_TIMESTAMP, IT_AFTER };

/* A user record: a plain Kinesis record, or one of the records a KPL
 * aggregated record holds (they share its sequence number). */
typedef struct krec {
  const char *seq;    /* the Kinesis record's, for the checkpoint */
  const char *origin; /* for dead letters: seq, or "seq:i" for the i-th user record of an aggregate */
  const uint8_t *data;
  size_t len;
  bool last; /* the last user record of its Kinesis record */
} krec;

/* A shard as ListShards describes it. */
typedef struct shard_info {
  char id[ID_MAX];
  char parent[ID_MAX];
  char adjacent[ID_MAX];
  bool closed;
} shard_info;

typedef struct kinesis_src kinesis_src;

typedef struct shard {
  kinesis_src *k;
  shard_info info;
  int state;          /* consumer side: S_WAIT, S_READ, S_DONE */
  int start;          /* IT_*: where the reader starts */
  char start_seq[SEQ_MAX];
  pthread_t thread;
  bool started;
  /* shared with the reader, under k->mu */
  int64_t queued;
  bool caught_up;
  int64_t behind_ms;
  /* consumer side */
  char handed[SEQ_MAX]; /* last sequence number handed out, SHARD_END, or "" */
} shard;

/* What a reader hands over: records of one GetRecords answer, or the end
 * of its shard with the shards listed afterwards. */
typedef struct chunk {
  struct chunk *next;
  shard *s;
  size_t n, pos;
  krec *recs;
  feast_arena *arena;
  bool end;
  size_t n_listed;
  shard_info *listed;
} chunk;

struct kinesis_src {
  feast_stream_source base;
  feast_aws_settings aws;
  char endpoint[600];
  feast_aws_client *client;
  char stream[256];
  char what[512];
  char scope[700];
  int start;
  double start_s; /* START_TIME: epoch seconds */
  int64_t opened_ms; /* wall clock at open, for caught_up() */
  int limit, idle_ms, min_interval_ms;
  int64_t max_queued;
  feast_stream_decoder *dec;

  pthread_mutex_t mu;
  pthread_cond_t data_cv, space_cv;
  bool stop;
  bool failed;
  feast_error fail;
  chunk *head, *tail;
  uint64_t retries; /* reader-side retries, under mu */

  shard **shards;
  size_t n_shards, cap_shards;

  /* the batch handed out, valid until the next poll */
  chunk *taken;
  feast_stream_msg *vals;
  krec **val_rec;
  shard **val_shard;
  feast_stream_origin *origins;
  feast_stream_bad *bad;
  size_t cap;
  feast_stream_batch batch;
  uint64_t seq;
  feast_stream_position *pos;
  size_t cap_pos;
};

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool stopped(kinesis_src *k) {
  pthread_mutex_lock(&k->mu);
  bool s = k->stop;
  pthread_mutex_unlock(&k->mu);
  return s;
}

/* Sleep up to ms, waking early when the source closes. false when closing. */
static bool nap(kinesis_src *k, int ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += ms / 1000;
  until.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
  pthread_mutex_lock(&k->mu);
  while (!k->stop && pthread_cond_timedwait(&k->space_cv, &k->mu, &until) != ETIMEDOUT) {
  }
  bool s = k->stop;
  pthread_mutex_unlock(&k->mu);
  return !s;
}

/* ---- base64 (the records' Data) ---- */

static int b64v(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Decode standard base64 (padding optional) into out (room for len*3/4+3).
 * -1 on a bad character. */
ssize_t feast_kinesis_base64_decode(const char *in, size_t len, uint8_t *out) {
  while (len && in[len - 1] == '=') len--;
  size_t o = 0, i = 0;
  for (; i + 4 <= len; i += 4) {
    int a = b64v((uint8_t)in[i]), b = b64v((uint8_t)in[i + 1]), c = b64v((uint8_t)in[i + 2]),
        d = b64v((uint8_t)in[i + 3]);
    if ((a | b | c | d) < 0) return -1;
    uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
    out[o++] = (uint8_t)(v >> 16);
    out[o++] = (uint8_t)(v >> 8);
    out[o++] = (uint8_t)v;
  }
  size_t rest = len - i;
  if (rest == 1) return -1;
  if (rest >= 2) {
    int a = b64v((uint8_t)in[i]), b = b64v((uint8_t)in[i + 1]);
    int c = rest == 3 ? b64v((uint8_t)in[i + 2]) : 0;
    if ((a | b | c) < 0) return -1;
    uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
    out[o++] = (uint8_t)(v >> 16);
    if (rest == 3) out[o++] = (uint8_t)(v >> 8);
  }
  return (ssize_t)o;
}

/* ---- answers ---- */

static void copy_id(char *dst, const char *s) {
  snprintf(dst, ID_MAX, "%s", s ? s : "");
}

/* "KEY":"value" with the value escaped (iterators are opaque: moto's end
 * in a newline). */
static feast_code put_field(feast_buf *b, const char *key, const char *value, bool comma, feast_error *err) {
  feast_code rc = feast_buf_printf(b, err, "%s\"%s\":", comma ? "," : "", key);
  return rc ? rc : feast_json_append_string(b, value, strlen(value), FEAST_JSON_UTF8_FAIL, err);
}

/* One ListShards page into *out (appended). */
static feast_code parse_list_page(const feast_buf *body, const char *what, feast_arena *a, shard_info **out,
                                  size_t *n, size_t *cap, char *next, size_t next_cap, feast_error *err) {
  const feast_json_value *root;
  feast_code rc = feast_json_parse(body->data, body->len, what, NULL, a, &root, err);
  if (rc) return rc;
  const feast_json_value *shards = feast_json_get(root, "Shards");
  const char *tok = feast_json_string_of(feast_json_get(root, "NextToken"));
  snprintf(next, next_cap, "%s", tok ? tok : "");
  if (!shards || shards->kind != FEAST_JSON_ARRAY)
    return feast_fail(err, FEAST_E_CORRUPT, "%s: ListShards answered without Shards", what);
  for (size_t i = 0; i < shards->len; i++) {
    const feast_json_value *s = &shards->items[i];
    const char *id = feast_json_string_of(feast_json_get(s, "ShardId"));
    if (!id) return feast_fail(err, FEAST_E_CORRUPT, "%s: ListShards: a shard without ShardId", what);
    if (*n == *cap) {
      size_t nc = *cap ? *cap * 2 : 16;
      shard_info *g = feast_realloc(*out, nc * sizeof *g);
      if (!g) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
      *out = g;
      *cap = nc;
    }
    shard_info *si = &(*out)[(*n)++];
    memset(si, 0, sizeof *si);
    copy_id(si->id, id);
    copy_id(si->parent, feast_json_string_of(feast_json_get(s, "ParentShardId")));
    copy_id(si->adjacent, feast_json_string_of(feast_json_get(s, "AdjacentParentShardId")));
    const feast_json_value *range = feast_json_get(s, "SequenceNumberRange");
    si->closed = feast_json_string_of(feast_json_get(range, "EndingSequenceNumber")) != NULL;
  }
  return FEAST_OK;
}

/* Every shard of the stream, page by page. The caller frees *out. */
static feast_code list_shards(kinesis_src *k, shard_info **out, size_t *n, feast_error *err) {
  *out = NULL;
  *n = 0;
  size_t cap = 0;
  char next[4096] = "";
  feast_buf req, resp;
  feast_buf_init(&req, 1 << 16);
  feast_buf_init(&resp, (size_t)64 << 20);
  feast_arena *a = feast_arena_new(64 << 10);
  feast_code rc = a ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  char resource[300];
  snprintf(resource, sizeof resource, "stream %s", k->stream);
  for (int page = 0; !rc; page++) {
    feast_buf_reset(&req);
    feast_buf_reset(&resp);
    feast_arena_reset(a);
    rc = feast_buf_append_byte(&req, '{', err);
    if (!rc) rc = page == 0 ? put_field(&req, "StreamName", k->stream, false, err) : put_field(&req, "NextToken", next, false, err);
    if (!rc) rc = feast_buf_append_byte(&req, '}', err);
    if (!rc) rc = feast_kinesis_call(k->client, "ListShards", (const char *)req.data, req.len, resource, &resp, err);
    if (!rc) rc = parse_list_page(&resp, k->what, a, out, n, &cap, next, sizeof next, err);
    if (!rc && !next[0]) break;
  }
  feast_arena_free(a);
  feast_buf_free(&req);
  feast_buf_free(&resp);
  if (rc) {
    feast_free(*out);
    *out = NULL;
    *n = 0;
  }
  return rc;
}

typedef struct records_answer {
  char next[1024]; /* "" = the shard has ended */
  int64_t behind_ms;
  double last_arrival; /* seconds; 0 none */
} records_answer;

static feast_code chunk_push(chunk *c, size_t *cap, const krec *r, feast_error *err) {
  if (c->n == *cap) {
    size_t nc = *cap ? *cap * 2 : 256;
    krec *g = feast_arena_alloc(c->arena, nc * sizeof *g);
    if (!g) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (c->n) memcpy(g, c->recs, c->n * sizeof *g);
    c->recs = g;
    *cap = nc;
  }
  c->recs[c->n++] = *r;
  return FEAST_OK;
}

typedef struct emit {
  chunk *c;
  size_t *cap;
  const krec *rec;
  size_t i;
} emit;

/* A user record of an aggregated record. */
static feast_code emit_user(void *ctx, const uint8_t *data, size_t len, feast_error *err) {
  emit *e = ctx;
  char *origin = feast_arena_alloc(e->c->arena, strlen(e->rec->seq) + 24);
  if (!origin) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  sprintf(origin, "%s:%zu", e->rec->seq, e->i++);
  krec u = {e->rec->seq, origin, data, len, false};
  return chunk_push(e->c, e->cap, &u, err);
}

/* A GetRecords answer into chunk c (records in c->arena) and *ans, with the
 * pull reader: the answer can be megabytes. */
static feast_code parse_records(kinesis_src *k, const feast_buf *body, chunk *c, records_answer *ans,
                                feast_error *err) {
  feast_json_reader r;
  feast_code rc = feast_json_reader_init(&r, body->data, body->len, k->what, NULL, err);
  if (rc) return rc;
  feast_json_token t;
  ans->next[0] = 0;
  ans->behind_ms = 0;
  ans->last_arrival = 0;
  size_t cap = 0;
  rc = feast_json_next(&r, &t, err);
  if (!rc && t.kind != FEAST_JSON_OBJECT) rc = feast_fail(err, FEAST_E_CORRUPT, "%s: GetRecords: not an object", k->what);
  while (!rc) {
    if ((rc = feast_json_next(&r, &t, err)) || t.kind == FEAST_JSON_OBJECT_END) break;
    char key[64];
    snprintf(key, sizeof key, "%s", t.str);
    if ((rc = feast_json_next(&r, &t, err))) break;
    if (!strcmp(key, "NextShardIterator") && t.kind == FEAST_JSON_STRING) {
      if (t.len >= sizeof ans->next) rc = feast_fail(err, FEAST_E_TOO_BIG, "%s: shard iterator too long", k->what);
      else memcpy(ans->next, t.str, t.len + 1);
    } else if (!strcmp(key, "MillisBehindLatest") && t.kind == FEAST_JSON_NUMBER) {
      feast_json_number_int64(t.str, t.len, &ans->behind_ms);
    } else if (!strcmp(key, "Records") && t.kind == FEAST_JSON_ARRAY) {
      for (;;) {
        if ((rc = feast_json_next(&r, &t, err)) || t.kind == FEAST_JSON_ARRAY_END) break;
        if (t.kind != FEAST_JSON_OBJECT) {
          rc = feast_fail(err, FEAST_E_CORRUPT, "%s: GetRecords: a record is not an object", k->what);
          break;
        }
        krec one = {0}, *rec = &one;
        for (;;) {
          if ((rc = feast_json_next(&r, &t, err)) || t.kind == FEAST_JSON_OBJECT_END) break;
          snprintf(key, sizeof key, "%s", t.str);
          if ((rc = feast_json_next(&r, &t, err))) break;
          if (!strcmp(key, "SequenceNumber") && t.kind == FEAST_JSON_STRING) {
            if (t.len >= SEQ_MAX) {
              rc = feast_fail(err, FEAST_E_CORRUPT, "%s: a sequence number of %zu characters", k->what, t.len);
              break;
            }
            rec->seq = feast_arena_strndup(c->arena, t.str, t.len);
          } else if (!strcmp(key, "Data") && t.kind == FEAST_JSON_STRING) {
            uint8_t *d = feast_arena_alloc(c->arena, t.len / 4 * 3 + 4);
            ssize_t m = d ? feast_kinesis_base64_decode(t.str, t.len, d) : 0;
            if (!d) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
            else if (m < 0) rc = feast_fail(err, FEAST_E_CORRUPT, "%s: a record's Data is not base64", k->what);
            rec->data = d;
            rec->len = m > 0 ? (size_t)m : 0;
          } else if (!strcmp(key, "ApproximateArrivalTimestamp") && t.kind == FEAST_JSON_NUMBER) {
            double v;
            if (feast_json_number_double(t.str, t.len, &v) && v > ans->last_arrival) ans->last_arrival = v;
          } else {
            rc = feast_json_skip(&r, &t, err);
          }
          if (rc) break;
        }
        if (rc) break;
        if (!rec->seq) {
          rc = feast_fail(err, FEAST_E_CORRUPT, "%s: GetRecords: a record without SequenceNumber", k->what);
          break;
        }
        if (!rec->data) rec->data = (const uint8_t *)"";
        emit e = {c, &cap, rec, 0};
        bool aggregated = false;
        if ((rc = feast_kpl_deaggregate(rec->data, rec->len, emit_user, &e, &aggregated, err))) break;
        if (!aggregated) {
          rec->origin = rec->seq;
          rec->last = true;
          if ((rc = chunk_push(c, &cap, rec, err))) break;
        } else if (e.i) {
          c->recs[c->n - 1].last = true;
        }
      }
    } else {
      rc = feast_json_skip(&r, &t, err);
    }
  }
  feast_json_reader_free(&r);
  return rc;
}

/* ---- a shard's reader ---- */

/* {"StreamName":...,"ShardId":...,"ShardIteratorType":...[,...]} without the closing brace. */
static feast_code iterator_request(feast_buf *b, kinesis_src *k, shard *s, const char *type, feast_error *err) {
  feast_code rc = feast_buf_append_byte(b, '{', err);
  if (!rc) rc = put_field(b, "StreamName", k->stream, false, err);
  if (!rc) rc = put_field(b, "ShardId", s->info.id, true, err);
  if (!rc) rc = put_field(b, "ShardIteratorType", type, true, err);
  return rc;
}

static feast_code get_iterator(kinesis_src *k, shard *s, const char *after, char *out, size_t cap, feast_error *err) {
  feast_buf req, resp;
  feast_buf_init(&req, 1 << 16);
  feast_buf_init(&resp, 1 << 20);
  feast_code rc;
  int type = after && *after ? IT_AFTER : s->start;
  double ts = k->start_s;
  if (type == IT_AT_TIMESTAMP && ts * 1000 > (double)wall_ms()) type = IT_LATEST; /* nothing at or after it yet */
  switch (type) {
  case IT_AFTER:
    rc = iterator_request(&req, k, s, "AFTER_SEQUENCE_NUMBER", err);
    if (!rc) rc = put_field(&req, "StartingSequenceNumber", after, true, err);
    break;
  case IT_AT_TIMESTAMP:
    rc = iterator_request(&req, k, s, "AT_TIMESTAMP", err);
    if (!rc) rc = feast_buf_printf(&req, err, ",\"Timestamp\":%.3f", ts);
    break;
  default: rc = iterator_request(&req, k, s, type == IT_LATEST ? "LATEST" : "TRIM_HORIZON", err);
  }
  if (!rc) rc = feast_buf_append_byte(&req, '}', err);
  char resource[400];
  snprintf(resource, sizeof resource, "stream %s shard %s", k->stream, s->info.id);
  if (!rc) rc = feast_kinesis_call(k->client, "GetShardIterator", (const char *)req.data, req.len, resource, &resp, err);
  feast_arena *a = rc ? NULL : feast_arena_new(4096);
  if (!rc && !a) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  const feast_json_value *root;
  if (!rc) rc = feast_json_parse(resp.data, resp.len, k->what, NULL, a, &root, err);
  const char *it = rc ? NULL : feast_json_string_of(feast_json_get(root, "ShardIterator"));
  if (!rc && (!it || strlen(it) >= cap))
    rc = feast_fail(err, FEAST_E_CORRUPT, "%s: GetShardIterator of shard %s answered no iterator", k->what, s->info.id);
  if (!rc) snprintf(out, cap, "%s", it);
  feast_arena_free(a);
  feast_buf_free(&req);
  feast_buf_free(&resp);
  return rc;
}

static void fail_source(kinesis_src *k, shard *s, const feast_error *e) {
  pthread_mutex_lock(&k->mu);
  if (!k->failed) {
    k->failed = true;
    k->fail = *e;
    feast_error_prefix(&k->fail, "%s: shard %s: ", k->what, s->info.id);
  }
  pthread_cond_broadcast(&k->data_cv);
  pthread_mutex_unlock(&k->mu);
}

static void push_chunk(kinesis_src *k, chunk *c) {
  pthread_mutex_lock(&k->mu);
  c->next = NULL;
  if (k->tail) k->tail->next = c;
  else k->head = c;
  k->tail = c;
  c->s->queued += (int64_t)c->n;
  pthread_cond_broadcast(&k->data_cv);
  pthread_mutex_unlock(&k->mu);
}

static void chunk_free(chunk *c) {
  if (!c) return;
  feast_arena_free(c->arena);
  feast_free(c->listed);
  feast_free(c);
}

/* A retriable failure: count it and wait. false when closing. */
static bool reader_backoff(kinesis_src *k, int *delay) {
  pthread_mutex_lock(&k->mu);
  k->retries++;
  pthread_mutex_unlock(&k->mu);
  unsigned seed = (unsigned)mono_ms() ^ (unsigned)(uintptr_t)delay;
  int ms = *delay / 2 + rand_r(&seed) % (*delay / 2 + 1); /* jittered */
  *delay = *delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : *delay * 2;
  return nap(k, ms);
}

static void *shard_main(void *arg) {
  shard *s = arg;
  kinesis_src *k = s->k;
  char iter[1024] = "", last[SEQ_MAX];
  snprintf(last, sizeof last, "%s", s->start == IT_AFTER ? s->start_seq : "");
  feast_buf req, resp;
  feast_buf_init(&req, 1 << 16);
  feast_buf_init(&resp, (size_t)256 << 20);
  char resource[400];
  snprintf(resource, sizeof resource, "stream %s shard %s", k->stream, s->info.id);
  int delay = BACKOFF_FIRST_MS;
  int64_t last_call = 0;
  feast_error err;
  for (;;) {
    /* room in the queue */
    pthread_mutex_lock(&k->mu);
    while (!k->stop && s->queued >= k->max_queued) pthread_cond_wait(&k->space_cv, &k->mu);
    bool stop = k->stop;
    pthread_mutex_unlock(&k->mu);
    if (stop) break;
    if (!iter[0]) {
      feast_error_clear(&err);
      if (get_iterator(k, s, last, iter, sizeof iter, &err)) {
        iter[0] = 0;
        if (err.retriable && reader_backoff(k, &delay)) continue;
        if (!err.retriable) fail_source(k, s, &err);
        break;
      }
    }
    int64_t wait = last_call + k->min_interval_ms - mono_ms();
    if (wait > 0 && !nap(k, (int)wait)) break;
    last_call = mono_ms();
    feast_buf_reset(&req);
    feast_buf_reset(&resp);
    feast_error_clear(&err);
    feast_code rc = feast_buf_append_byte(&req, '{', &err);
    if (!rc) rc = put_field(&req, "ShardIterator", iter, false, &err);
    if (!rc) rc = feast_buf_printf(&req, &err, ",\"Limit\":%d}", k->limit);
    if (!rc) rc = feast_kinesis_call(k->client, "GetRecords", (const char *)req.data, req.len, resource, &resp, &err);
    if (rc) {
      if (strstr(err.message, "ExpiredIteratorException")) {
        iter[0] = 0; /* again, after the last record read */
        continue;
      }
      if (err.retriable && reader_backoff(k, &delay)) continue;
      if (!err.retriable) fail_source(k, s, &err);
      break;
    }
    delay = BACKOFF_FIRST_MS;
    chunk *c = feast_calloc(1, sizeof *c);
    if (c) c->arena = feast_arena_new(resp.len + (64 << 10));
    if (!c || !c->arena) {
      chunk_free(c);
      feast_fail(&err, FEAST_E_NOMEM, "out of memory");
      fail_source(k, s, &err);
      break;
    }
    c->s = s;
    records_answer ans;
    if ((rc = parse_records(k, &resp, c, &ans, &err))) {
      chunk_free(c);
      fail_source(k, s, &err);
      break;
    }
    if (c->n) snprintf(last, sizeof last, "%s", c->recs[c->n - 1].seq);
    pthread_mutex_lock(&k->mu);
    s->behind_ms = ans.behind_ms;
    if ((!c->n && ans.behind_ms == 0) || (ans.last_arrival > 0 && ans.last_arrival * 1000 >= (double)k->opened_ms))
      s->caught_up = true;
    pthread_mutex_unlock(&k->mu);
    size_t got = c->n;
    if (got) push_chunk(k, c);
    else chunk_free(c);
    if (!ans.next[0]) {
      /* read to its end: list the shards again for its children */
      chunk *e = feast_calloc(1, sizeof *e);
      if (!e) {
        feast_fail(&err, FEAST_E_NOMEM, "out of memory");
        fail_source(k, s, &err);
        break;
      }
      e->s = s;
      e->end = true;
      for (;;) {
        feast_error_clear(&err);
        if (!list_shards(k, &e->listed, &e->n_listed, &err)) break;
        if (!err.retriable || !reader_backoff(k, &delay)) break;
      }
      if (err.code && !e->listed) {
        chunk_free(e);
        if (!stopped(k)) fail_source(k, s, &err);
        break;
      }
      pthread_mutex_lock(&k->mu);
      s->caught_up = true;
      pthread_mutex_unlock(&k->mu);
      push_chunk(k, e);
      break;
    }
    snprintf(iter, sizeof iter, "%s", ans.next);
    if (!got && !nap(k, k->idle_ms)) break;
  }
  feast_buf_free(&req);
  feast_buf_free(&resp);
  return NULL;
}

/* ---- the shard table (consumer side) ---- */

static shard *find_shard(kinesis_src *k, const char *id) {
  for (size_t i = 0; i < k->n_shards; i++)
    if (!strcmp(k->shards[i]->info.id, id)) return k->shards[i];
  return NULL;
}

static feast_code add_shard(kinesis_src *k, const shard_info *si, int state, int start, const char *seq, shard **out,
                            feast_error *err) {
  if (k->n_shards == k->cap_shards) {
    size_t nc = k->cap_shards ? k->cap_shards * 2 : 16;
    shard **g = feast_realloc(k->shards, nc * sizeof *g);
    if (!g) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    k->shards = g;
    k->cap_shards = nc;
  }
  shard *s = feast_calloc(1, sizeof *s);
  if (!s) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  s->k = k;
  s->info = *si;
  s->state = state;
  s->start = start;
  snprintf(s->start_seq, sizeof s->start_seq, "%s", seq ? seq : "");
  if (seq) snprintf(s->handed, sizeof s->handed, "%s", seq);
  k->shards[k->n_shards++] = s;
  if (out) *out = s;
  return FEAST_OK;
}

/* A parent that is not in the table (trimmed past retention) or done. */
static bool parent_done(kinesis_src *k, const char *id) {
  if (!id[0]) return true;
  shard *p = find_shard(k, id);
  return !p || p->state == S_DONE;
}

/* Start the reader of every waiting shard whose parents are done. */
static feast_code start_ready(kinesis_src *k, feast_error *err) {
  for (size_t i = 0; i < k->n_shards; i++) {
    shard *s = k->shards[i];
    if (s->state != S_WAIT || !parent_done(k, s->info.parent) || !parent_done(k, s->info.adjacent)) continue;
    s->state = S_READ;
    if (pthread_create(&s->thread, NULL, shard_main, s))
      return feast_fail(err, FEAST_E_INTERNAL, "%s: cannot start a thread for shard %s", k->what, s->info.id);
    s->started = true;
  }
  return FEAST_OK;
}

/* ---- polling ---- */

/* Room for n messages in the batch arrays, keeping what they hold. */
static feast_code grow_arrays(kinesis_src *k, size_t n, feast_error *err) {
  if (n <= k->cap) return FEAST_OK;
  if (n < k->cap * 2) n = k->cap * 2;
#define GROW(f)                                        \
  do {                                                 \
    void *g = feast_realloc(k->f, n * sizeof *k->f);   \
    if (!g) return feast_fail(err, FEAST_E_NOMEM, "out of memory"); \
    k->f = g;                                          \
  } while (0)
  GROW(vals);
  GROW(val_rec);
  GROW(val_shard);
  GROW(origins);
  GROW(bad);
#undef GROW
  k->cap = n;
  return FEAST_OK;
}

static void release_taken(kinesis_src *k) {
  while (k->taken) {
    chunk *c = k->taken;
    k->taken = c->next;
    chunk_free(c);
  }
  memset(&k->batch, 0, sizeof k->batch);
}

/* Shards listed after a shard's end: the new ones (its children) wait for
 * their parents and then read from their start. */
static feast_code merge_listed(kinesis_src *k, const chunk *c, feast_error *err) {
  for (size_t i = 0; i < c->n_listed; i++) {
    shard *s = find_shard(k, c->listed[i].id);
    if (s) {
      s->info.closed = c->listed[i].closed;
      continue;
    }
    feast_code rc = add_shard(k, &c->listed[i], S_WAIT, IT_TRIM_HORIZON, NULL, NULL, err);
    if (rc) return rc;
  }
  return FEAST_OK;
}

static feast_code ks_poll(feast_stream_source *self, int64_t max_messages, int timeout_ms,
                          const feast_stream_batch **out, feast_error *err) {
  kinesis_src *k = (kinesis_src *)self;
  release_taken(k);
  *out = &k->batch;
  size_t want = max_messages < 1 ? 1 : max_messages > MAX_PER_POLL ? MAX_PER_POLL : (size_t)max_messages;
  feast_code rc = grow_arrays(k, want, err);
  if (rc) return rc;
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
  pthread_mutex_lock(&k->mu);
  while (!k->head && !k->failed && timeout_ms > 0 && pthread_cond_timedwait(&k->data_cv, &k->mu, &until) != ETIMEDOUT) {
  }
  if (k->failed) {
    *err = k->fail;
    pthread_mutex_unlock(&k->mu);
    return err->code;
  }
  size_t nv = 0;
  bool ended = false;
  chunk **taken_tail = &k->taken;
  while (k->head && nv < want) {
    chunk *c = k->head;
    if (!c->end) {
      size_t m = c->n - c->pos;
      if (m > want - nv) m = want - nv;
      /* never part of an aggregated record: its checkpoint covers all of it */
      while (c->pos + m < c->n && !c->recs[c->pos + m - 1].last) m++;
      if (nv + m > k->cap && (rc = grow_arrays(k, nv + m, err))) {
        pthread_mutex_unlock(&k->mu);
        return rc;
      }
      for (size_t i = 0; i < m; i++) {
        krec *r = &c->recs[c->pos + i];
        k->vals[nv] = (feast_stream_msg){r->data, r->len};
        k->val_rec[nv] = r;
        k->val_shard[nv++] = c->s;
      }
      c->pos += m;
      c->s->queued -= (int64_t)m;
      if (m) snprintf(c->s->handed, sizeof c->s->handed, "%s", c->recs[c->pos - 1].seq); /* a whole record */
      if (c->pos < c->n) break; /* the rest stays queued (and valid) for the next poll */
    } else {
      c->s->state = S_DONE;
      snprintf(c->s->handed, sizeof c->s->handed, "%s", SHARD_END);
      ended = true;
    }
    k->head = c->next;
    if (!k->head) k->tail = NULL;
    c->next = NULL;
    *taken_tail = c;
    taken_tail = &c->next;
  }
  pthread_cond_broadcast(&k->space_cv);
  pthread_mutex_unlock(&k->mu);
  if (ended) {
    for (chunk *c = k->taken; c && !rc; c = c->next)
      if (c->end) rc = merge_listed(k, c, err);
    if (!rc) rc = start_ready(k, err);
    if (rc) return rc;
  }
  if (!nv && !ended) return FEAST_OK;
  feast_batch *rows = NULL;
  const feast_stream_msg_bad *bad = NULL;
  size_t n_bad = 0;
  if (nv) {
    rc = k->dec->decode(k->dec, k->vals, nv, &rows, &bad, &n_bad, err);
    if (rc) return feast_error_prefix(err, "%s: ", k->what);
  }
  size_t b = 0, r = 0;
  for (size_t i = 0; i < nv; i++) {
    feast_stream_origin o = {k->val_shard[i]->info.id, k->val_rec[i]->origin, k->val_rec[i]->data, k->val_rec[i]->len};
    if (b < n_bad && bad[b].index == i) {
      k->bad[b] = (feast_stream_bad){o, bad[b].reason, bad[b].cause};
      b++;
    } else {
      k->origins[r++] = o;
    }
  }
  k->seq++;
  k->batch.seq = k->seq;
  k->batch.rows = rows;
  k->batch.origins = k->origins;
  k->batch.n_bad = n_bad;
  k->batch.bad = k->bad;
  k->batch.messages = (int64_t)nv;
  return FEAST_OK;
}

/* ---- positions, commits, lag ---- */

static feast_code ks_positions(feast_stream_source *self, uint64_t seq, const char **scope,
                               const feast_stream_position **items, size_t *n, feast_error *err) {
  (void)seq; /* the engine asks for the last batch fed, which is the last handed out */
  kinesis_src *k = (kinesis_src *)self;
  if (k->cap_pos < k->n_shards) {
    feast_free(k->pos);
    k->pos = feast_malloc(k->n_shards * sizeof *k->pos);
    k->cap_pos = k->pos ? k->n_shards : 0;
    if (!k->pos) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  size_t m = 0;
  for (size_t i = 0; i < k->n_shards; i++)
    if (k->shards[i]->handed[0]) k->pos[m++] = (feast_stream_position){k->shards[i]->info.id, k->shards[i]->handed};
  *scope = k->scope;
  *items = k->pos;
  *n = m;
  return FEAST_OK;
}

/* The checkpoints went into the online store with the rows (positions()). */
static feast_code ks_commit(feast_stream_source *self, uint64_t seq, feast_error *err) {
  (void)self;
  (void)seq;
  (void)err;
  return FEAST_OK;
}

static feast_code ks_lag(feast_stream_source *self, feast_stream_lag *out, size_t max, size_t *n, feast_error *err) {
  (void)err;
  kinesis_src *k = (kinesis_src *)self;
  size_t c = 0;
  pthread_mutex_lock(&k->mu);
  for (size_t i = 0; i < k->n_shards; i++) {
    shard *s = k->shards[i];
    if (c < max) {
      feast_stream_lag *l = &out[c];
      snprintf(l->partition, sizeof l->partition, "%s", s->info.id);
      l->position = -1;
      l->end = -1;
      /* Kinesis has no offsets: the lag is MillisBehindLatest */
      l->lag = s->state == S_DONE ? 0 : s->state == S_WAIT ? -1 : s->behind_ms;
    }
    c++;
  }
  pthread_mutex_unlock(&k->mu);
  *n = c;
  return FEAST_OK;
}

static bool ks_caught_up(feast_stream_source *self) {
  kinesis_src *k = (kinesis_src *)self;
  bool all = true;
  pthread_mutex_lock(&k->mu);
  for (size_t i = 0; i < k->n_shards && all; i++) {
    shard *s = k->shards[i];
    if (s->state == S_DONE) continue;
    if (s->state == S_WAIT || !s->caught_up || s->queued > 0) all = false;
  }
  /* an end not yet taken: its children may follow */
  for (chunk *c = k->head; c && all; c = c->next)
    if (c->end) all = false;
  if (k->failed) all = false;
  pthread_mutex_unlock(&k->mu);
  return all;
}

static void ks_close(feast_stream_source *self) {
  kinesis_src *k = (kinesis_src *)self;
  pthread_mutex_lock(&k->mu);
  k->stop = true;
  pthread_cond_broadcast(&k->space_cv);
  pthread_cond_broadcast(&k->data_cv);
  pthread_mutex_unlock(&k->mu);
  for (size_t i = 0; i < k->n_shards; i++)
    if (k->shards[i]->started) pthread_join(k->shards[i]->thread, NULL);
  release_taken(k);
  while (k->head) {
    chunk *c = k->head;
    k->head = c->next;
    chunk_free(c);
  }
  for (size_t i = 0; i < k->n_shards; i++) feast_free(k->shards[i]);
  feast_free(k->shards);
  if (k->dec) k->dec->free(k->dec);
  feast_aws_client_free(k->client);
  feast_free(k->vals);
  feast_free(k->val_rec);
  feast_free(k->val_shard);
  feast_free(k->origins);
  feast_free(k->bad);
  feast_free(k->pos);
  pthread_mutex_destroy(&k->mu);
  pthread_cond_destroy(&k->data_cv);
  pthread_cond_destroy(&k->space_cv);
  feast_free(k);
}

/* ---- opening ---- */

typedef struct cp_list {
  size_t n, cap;
  feast_stream_position *items; /* strings owned */
} cp_list;

static feast_code cp_add(void *ctx, const char *name, const char *value, feast_error *err) {
  cp_list *l = ctx;
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 16;
    feast_stream_position *g = feast_realloc(l->items, nc * sizeof *g);
    if (!g) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    l->items = g;
    l->cap = nc;
  }
  char *a = feast_strdup(name), *b = feast_strdup(value);
  if (!a || !b) {
    feast_free(a);
    feast_free(b);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  l->items[l->n++] = (feast_stream_position){a, b};
  return FEAST_OK;
}

static void cp_free(cp_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    feast_free((char *)l->items[i].name);
    feast_free((char *)l->items[i].value);
  }
  feast_free(l->items);
}

static const char *cp_get(const cp_list *l, const char *id) {
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->items[i].name, id)) return l->items[i].value;
  return NULL;
}

static int setting_int(const feast_map *m, const char *key, int def, int lo, int hi, const char *what,
                       feast_code *rc, feast_error *err) {
  const char *v = m ? feast_map_get(m, key) : NULL;
  if (!v || *rc) return def;
  char *end;
  long x = strtol(v, &end, 10);
  if (*end || x < lo || x > hi) {
    *rc = feast_fail(err, FEAST_E_INVALID, "%s: streams.kinesis.%s must be a number from %d to %d, not '%s'", what,
                     key, lo, hi, v);
    return def;
  }
  return (int)x;
}

static feast_code ks_open(const feast_data_source *s, const feast_stream_options *o, feast_stream_source **out,
                          feast_error *err) {
  *out = NULL;
  const char *stream = s->kinesis.stream_name;
  if (!stream || !*stream) return feast_fail(err, FEAST_E_INVALID, "the Kinesis source has no stream name");
  if (strlen(stream) > 128) return feast_fail(err, FEAST_E_INVALID, "Kinesis stream name %.40s... is too long", stream);
  for (const char *p = stream; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
          *p == '-' || *p == '.'))
      return feast_fail(err, FEAST_E_INVALID, "Kinesis stream name '%s': only letters, digits, '_', '-' and '.'",
                        stream);
  kinesis_src *k = feast_calloc(1, sizeof *k);
  if (!k) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  pthread_mutex_init(&k->mu, NULL);
  pthread_cond_init(&k->data_cv, NULL);
  pthread_cond_init(&k->space_cv, NULL);
  k->base = (feast_stream_source){ks_poll, ks_commit, ks_positions, ks_lag, ks_caught_up, ks_close};
  snprintf(k->stream, sizeof k->stream, "%s", stream);
  snprintf(k->what, sizeof k->what, "Kinesis source stream %s in %s", stream,
           s->kinesis.region && *s->kinesis.region ? s->kinesis.region : "the default region");
  char group[512];
  if (o->group_id) snprintf(group, sizeof group, "%s", o->group_id);
  else snprintf(group, sizeof group, "feast-%s-%s", o->project ? o->project : "default", o->table->name);
  snprintf(k->scope, sizeof k->scope, "kinesis/%s/%s", group, stream);
  k->opened_ms = wall_ms();
  feast_code rc = FEAST_OK;
  const char *start = o->start;
  if (!start || !strcmp(start, "latest")) k->start = START_LATEST;
  else if (!strcmp(start, "earliest")) k->start = START_EARLIEST;
  else {
    feast_ts ts;
    if (feast_ts_parse(start, &ts, err))
      rc = feast_fail(err, FEAST_E_INVALID, "start_from must be earliest, latest or a timestamp, not '%s'", start);
    k->start = START_TIME;
    k->start_s = (double)ts / 1e6;
  }
  const feast_map *m = o->kinesis_settings;
  static const char *const KNOWN[] = {"endpoint_url", "get_records_limit", "idle_interval_ms", "min_interval_ms",
                                      "max_queued_records", NULL};
  for (size_t i = 0; m && !rc && i < m->n; i++) {
    bool known = false;
    for (int j = 0; KNOWN[j]; j++) known |= !strcmp(m->items[i].key, KNOWN[j]);
    if (!known)
      rc = feast_fail(err, FEAST_E_INVALID,
                      "%s: unknown setting streams.kinesis.%s (known: endpoint_url, get_records_limit, "
                      "idle_interval_ms, min_interval_ms, max_queued_records)",
                      k->what, m->items[i].key);
  }
  k->limit = setting_int(m, "get_records_limit", 10000, 1, 10000, k->what, &rc, err);
  k->idle_ms = setting_int(m, "idle_interval_ms", 1000, 0, 600000, k->what, &rc, err);
  k->min_interval_ms = setting_int(m, "min_interval_ms", 200, 0, 600000, k->what, &rc, err);
  k->max_queued = setting_int(m, "max_queued_records", 20000, 1, 10000000, k->what, &rc, err);
  /* aws: (borrowed: the configuration outlives the subscription), then
   * streams.kinesis.endpoint_url over aws.kinesis_endpoint_url */
  const feast_map *a = o->aws;
  if (a) {
    k->aws.region = feast_map_get(a, "region");
    k->aws.profile = feast_map_get(a, "profile");
    k->aws.access_key_id = feast_map_get(a, "access_key_id");
    k->aws.secret_access_key = feast_map_get(a, "secret_access_key");
    k->aws.session_token = feast_map_get(a, "session_token");
    k->aws.endpoint_url = feast_map_get(a, "endpoint_url");
    k->aws.kinesis_endpoint_url = feast_map_get(a, "kinesis_endpoint_url");
    const char *v;
    if ((v = feast_map_get(a, "connect_timeout_ms"))) k->aws.connect_timeout_ms = atol(v);
    if ((v = feast_map_get(a, "timeout_ms"))) k->aws.timeout_ms = atol(v);
    if ((v = feast_map_get(a, "max_attempts"))) k->aws.max_attempts = atoi(v);
  }
  const char *ep = m ? feast_map_get(m, "endpoint_url") : NULL;
  if (ep) {
    snprintf(k->endpoint, sizeof k->endpoint, "%s", ep);
    k->aws.kinesis_endpoint_url = k->endpoint;
  }
  feast_stream_decode_options d = {o->table, o->entity_types, s, &s->kinesis.record_format, o->schema_registry_url};
  if (!rc && (rc = feast_stream_decoder_open(&d, &k->dec, err))) feast_error_prefix(err, "%s: ", k->what);
  if (!rc && !(k->client = feast_kinesis_client_new(&k->aws, s->kinesis.region, NULL, err)))
    rc = feast_error_prefix(err, "%s: ", k->what);
  /* the checkpoints */
  cp_list cps = {0};
  if (!rc && o->online && o->online->ops->get_positions &&
      (rc = o->online->ops->get_positions(o->online, k->scope, cp_add, &cps, err)))
    feast_error_prefix(err, "%s: reading the checkpoints: ", k->what);
  shard_info *listed = NULL;
  size_t n_listed = 0;
  if (!rc && (rc = list_shards(k, &listed, &n_listed, err))) feast_error_prefix(err, "%s: ", k->what);
  bool fresh = cps.n == 0;
  for (size_t i = 0; !rc && i < n_listed; i++) {
    const shard_info *si = &listed[i];
    const char *cp = cp_get(&cps, si->id);
    if (cp && !strcmp(cp, SHARD_END)) rc = add_shard(k, si, S_DONE, IT_TRIM_HORIZON, SHARD_END, NULL, err);
    else if (cp) rc = add_shard(k, si, S_WAIT, IT_AFTER, cp, NULL, err);
    else if (!fresh || k->start == START_EARLIEST) rc = add_shard(k, si, S_WAIT, IT_TRIM_HORIZON, NULL, NULL, err);
    else if (k->start == START_TIME) rc = add_shard(k, si, S_WAIT, IT_AT_TIMESTAMP, NULL, NULL, err);
    else if (si->closed) /* nothing new comes to it: skipped, and checkpointed so a restart skips it too */
      rc = add_shard(k, si, S_DONE, IT_LATEST, SHARD_END, NULL, err);
    else rc = add_shard(k, si, S_WAIT, IT_LATEST, NULL, NULL, err);
  }
  feast_free(listed);
  cp_free(&cps);
  if (!rc) rc = start_ready(k, err);
  if (rc) {
    ks_close(&k->base);
    return rc;
  }
  *out = &k->base;
  return FEAST_OK;
}

const feast_connector feast_kinesis_connector = {
    .name = "kinesis",
    .type = FEAST_SOURCE_KINESIS,
    .open_stream = ks_open,
};
