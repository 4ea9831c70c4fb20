/*
 * dead_letter_kafka.c - the Kafka-topic dead-letter sink (see
 * dead_letter.h): a librdkafka producer; every letter is kept (copied) from
 * add until its delivery is acknowledged, so a flush that fails can produce
 * again what did not arrive, and nothing is dropped before the stream's
 * commit.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "engine/dead_letter.h"
#include "source/kafka_conf.h"

#define FLUSH_TIMEOUT_MS 30000

enum { L_NEW, L_IN_FLIGHT, L_DELIVERED, L_FAILED };

typedef struct letter {
  char *partition, *offset, *cause, *reason;
  uint8_t *value;
  size_t len;
  int state;
  char key[48];
} letter;

typedef struct kafka_sink {
  feast_dead_letters base;
  rd_kafka_t *rk;
  char *topic, *table, *source_topic;
  char what[512];
  letter *letters;
  size_t n, cap;
  feast_code failed; /* sticky: an add that ran out of memory */
  feast_error fail_err;
  char last_error[256];
} kafka_sink;

static void letter_free(letter *l) {
  feast_free(l->partition);
  feast_free(l->offset);
  feast_free(l->cause);
  feast_free(l->reason);
  feast_free(l->value);
}

/* Delivery reports arrive from rd_kafka_flush/poll on the flushing thread. */
static void delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  kafka_sink *s = opaque;
  size_t i = (size_t)(uintptr_t)m->_private;
  if (i >= s->n) return;
  s->letters[i].state = m->err ? L_FAILED : L_DELIVERED;
  if (m->err) snprintf(s->last_error, sizeof s->last_error, "%s", rd_kafka_err2str(m->err));
}

static void add(feast_dead_letters *base, const feast_stream_origin *o, const char *cause, const char *reason) {
  kafka_sink *s = (kafka_sink *)base;
  if (s->failed) return;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    letter *nl = feast_realloc(s->letters, cap * sizeof *nl);
    if (!nl) {
      s->failed = feast_fail(&s->fail_err, FEAST_E_NOMEM, "dead letters of %s: out of memory", s->table);
      return;
    }
    s->letters = nl;
    s->cap = cap;
  }
  letter *l = &s->letters[s->n];
  memset(l, 0, sizeof *l);
  if (!cause || !*cause) cause = "undecodable";
  l->partition = feast_strdup(o->partition ? o->partition : "");
  l->offset = feast_strdup(o->offset ? o->offset : "");
  l->cause = feast_strdup(cause);
  l->reason = feast_strdup(reason ? reason : "");
  l->len = o->raw_len;
  l->value = feast_malloc(o->raw_len ? o->raw_len : 1);
  if (!l->partition || !l->offset || !l->cause || !l->reason || !l->value) {
    letter_free(l);
    s->failed = feast_fail(&s->fail_err, FEAST_E_NOMEM, "dead letters of %s: out of memory", s->table);
    return;
  }
  if (o->raw_len) memcpy(l->value, o->raw, o->raw_len);
  snprintf(l->key, sizeof l->key, "%s:%s", l->partition, l->offset);
  s->n++;
  feast_dead_letter_count(&s->base.causes, cause);
}

static rd_kafka_resp_err_t produce(kafka_sink *s, size_t i) {
  letter *l = &s->letters[i];
  rd_kafka_resp_err_t e = rd_kafka_producev(
      s->rk, RD_KAFKA_V_TOPIC(s->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_VALUE(l->value, l->len), RD_KAFKA_V_KEY(l->key, strlen(l->key)),
      RD_KAFKA_V_HEADER("feast.table", s->table, -1), RD_KAFKA_V_HEADER("feast.topic", s->source_topic, -1),
      RD_KAFKA_V_HEADER("feast.partition", l->partition, -1), RD_KAFKA_V_HEADER("feast.offset", l->offset, -1),
      RD_KAFKA_V_HEADER("feast.cause", l->cause, -1), RD_KAFKA_V_HEADER("feast.reason", l->reason, -1),
      RD_KAFKA_V_OPAQUE((void *)(uintptr_t)i), RD_KAFKA_V_END);
  if (!e) l->state = L_IN_FLIGHT;
  return e;
}

static feast_code flush(feast_dead_letters *base, feast_error *err) {
  kafka_sink *s = (kafka_sink *)base;
  if (s->failed) {
    *err = s->fail_err;
    return s->failed;
  }
  if (!s->n) return FEAST_OK;
  for (size_t i = 0; i < s->n; i++) {
    letter *l = &s->letters[i];
    if (l->state != L_NEW && l->state != L_FAILED) continue;
    rd_kafka_resp_err_t e;
    while ((e = produce(s, i)) == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(s->rk, 100);
    if (e) return feast_fail(err, FEAST_E_SERVER, "%s: produce: %s", s->what, rd_kafka_err2str(e));
  }
  rd_kafka_resp_err_t e = rd_kafka_flush(s->rk, FLUSH_TIMEOUT_MS);
  size_t missing = 0;
  for (size_t i = 0; i < s->n; i++) missing += s->letters[i].state != L_DELIVERED;
  if (e || missing)
    return feast_fail_retriable(err, FEAST_E_CONNECT, "%s: %zu of %zu dead letters not delivered: %s", s->what, missing,
                                s->n, e ? rd_kafka_err2str(e) : s->last_error);
  s->base.written += (int64_t)s->n;
  feast_dead_letter_durable(&s->base.causes);
  for (size_t i = 0; i < s->n; i++) letter_free(&s->letters[i]);
  s->n = 0;
  return FEAST_OK;
}

static void close_sink(feast_dead_letters *base) {
  kafka_sink *s = (kafka_sink *)base;
  if (s->rk) {
    rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(s->rk, 1000); /* serves the purged messages' reports */
    rd_kafka_destroy(s->rk);
  }
  for (size_t i = 0; i < s->n; i++) letter_free(&s->letters[i]);
  feast_free(s->letters);
  feast_free(s->topic);
  feast_free(s->table);
  feast_free(s->source_topic);
  feast_free(s);
}

feast_code feast_dead_letters_kafka(const char *bootstrap_servers, const char *topic, const feast_map *properties,
                                    const char *table, const char *source_topic, feast_dead_letters **out,
                                    feast_error *err) {
  *out = NULL;
  kafka_sink *s = feast_calloc(1, sizeof *s);
  if (!s) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  s->base = (feast_dead_letters){add, flush, close_sink, 0, {0}};
  s->topic = feast_strdup(topic);
  s->table = feast_strdup(table);
  s->source_topic = feast_strdup(source_topic ? source_topic : "");
  snprintf(s->what, sizeof s->what, "dead letters of %s to Kafka topic %s at %s", table, topic,
           bootstrap_servers ? bootstrap_servers : "?");
  feast_code rc = s->topic && s->table && s->source_topic ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  rd_kafka_conf_t *conf = NULL;
  if (!rc) rc = feast_kafka_conf_new(properties, bootstrap_servers, s->what, &conf, err);
  if (!rc) rc = feast_kafka_conf_set(conf, "enable.idempotence", "true", s->what, err);
  if (!rc) rc = feast_kafka_conf_set(conf, "linger.ms", "5", s->what, err);
  if (!rc) {
    rd_kafka_conf_set_dr_msg_cb(conf, delivered);
    rd_kafka_conf_set_opaque(conf, s);
    char errstr[512];
    s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!s->rk) rc = feast_fail(err, FEAST_E_INVALID, "%s: %s", s->what, errstr);
    else conf = NULL;
  }
  if (conf) rd_kafka_conf_destroy(conf);
  if (rc) {
    close_sink(&s->base);
    return rc;
  }
  *out = &s->base;
  return FEAST_OK;
}
