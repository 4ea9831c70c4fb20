/*
 * kafka_conf.c - librdkafka configurations from feature_store.yaml (see
 * kafka_conf.h).
 */
#include "source/kafka_conf.h"

#include <stdio.h>
#include <string.h>

/* Properties the connector sets itself: where they come from instead. */
static const char *const OWNED[][2] = {
    {"bootstrap.servers", "the source's bootstrap_servers"},
    {"metadata.broker.list", "the source's bootstrap_servers"},
    {"group.id", "--group-id (default feast-<project>-<table>)"},
    {"enable.auto.commit", "offsets are committed after the rows are durable (at least once)"},
    {"enable.auto.offset.store", "offsets are committed after the rows are durable (at least once)"},
    {"auto.commit.interval.ms", "offsets are committed after the rows are durable (at least once)"},
};

feast_code feast_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, const char *what,
                                feast_error *err) {
  char errstr[512] = "";
  rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr);
  if (r == RD_KAFKA_CONF_OK) return FEAST_OK;
  return feast_fail(err, FEAST_E_INVALID, "%s: %s librdkafka property '%s': %s", what,
                    r == RD_KAFKA_CONF_UNKNOWN ? "unknown" : "invalid", name, errstr);
}

feast_code feast_kafka_conf_new(const feast_map *settings, const char *bootstrap, const char *what,
                                rd_kafka_conf_t **out, feast_error *err) {
  *out = NULL;
  if (!bootstrap || !*bootstrap) return feast_fail(err, FEAST_E_INVALID, "%s: no bootstrap_servers", what);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (!conf) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = feast_kafka_conf_set(conf, "bootstrap.servers", bootstrap, what, err);
  for (size_t i = 0; !rc && settings && i < settings->n; i++) {
    const char *k = settings->items[i].key;
    for (size_t o = 0; !rc && o < sizeof OWNED / sizeof *OWNED; o++)
      if (strcmp(k, OWNED[o][0]) == 0)
        rc = feast_fail(err, FEAST_E_INVALID, "%s: streams.kafka may not set '%s' (it comes from %s)", what, k,
                        OWNED[o][1]);
    if (!rc) rc = feast_kafka_conf_set(conf, k, settings->items[i].value, what, err);
  }
  if (rc) {
    rd_kafka_conf_destroy(conf);
    return rc;
  }
  *out = conf;
  return FEAST_OK;
}

void feast_kafka_default_group(const char *project, const char *table, char *buf, size_t size) {
  snprintf(buf, size, "feast-%s-%s", project && *project ? project : "default", table);
}

int feast_kafka_retriable(rd_kafka_resp_err_t e) {
  switch (e) {
  case RD_KAFKA_RESP_ERR__TRANSPORT:
  case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
  case RD_KAFKA_RESP_ERR__TIMED_OUT:
  case RD_KAFKA_RESP_ERR__WAIT_COORD:
  case RD_KAFKA_RESP_ERR__IN_PROGRESS:
  case RD_KAFKA_RESP_ERR__RESOLVE:
  case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
  case RD_KAFKA_RESP_ERR__QUEUE_FULL:
  case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
  case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
  case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
  case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
  case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
  case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
  case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
  case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
  case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
  case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
  case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    return 1;
  default: return 0;
  }
}
