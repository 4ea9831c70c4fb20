/*
 * kafka_conf.h - librdkafka client configurations built from
 * feature_store.yaml's streams.kafka properties (TLS, SASL, timeouts...,
 * passed through by name), the source's bootstrap servers and the settings
 * the connector owns. Every property is checked by librdkafka when it is
 * set, so an unknown name or a bad value is refused at start with the
 * property's name; so are the properties at-least-once depends on.
 */
#ifndef FEAST_SOURCE_KAFKA_CONF_H
#define FEAST_SOURCE_KAFKA_CONF_H

#include <librdkafka/rdkafka.h>

#include "feast/error.h"
#include "feast/spec.h"

/* A configuration with bootstrap.servers and every property of
 * `settings` (may be NULL). `what` names the client in messages ("Kafka
 * source topic t"). The caller owns *out (rd_kafka_conf_destroy, or hand it
 * to rd_kafka_new). */
feast_code feast_kafka_conf_new(const feast_map *settings, const char *bootstrap, const char *what,
                                rd_kafka_conf_t **out, feast_error *err);

/* Set one property, failing with its name and librdkafka's reason. */
feast_code feast_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, const char *what,
                                feast_error *err);

/* "feast-<project>-<table>" into buf. */
void feast_kafka_default_group(const char *project, const char *table, char *buf, size_t size);

/* Whether a librdkafka error may pass by itself (broker or network down,
 * a coordinator moving, time-outs). */
int feast_kafka_retriable(rd_kafka_resp_err_t e);

#endif
