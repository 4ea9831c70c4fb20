/*
 * dead_letter.h - where stream ingestion sends what it cannot ingest (a
 * message that does not decode, a row that breaks a row rule), with its
 * partition, offset, raw bytes and the cause: a folder of Parquet files
 * (dead_letter.c) or a Kafka topic (dead_letter_kafka.c). A sink keeps what
 * it was given until flush, which makes it durable: the engine flushes the
 * sink before it commits the stream's position, so a dead letter is never
 * lost to a crash once its message is committed. Each sink counts what it
 * made durable per cause.
 */
#ifndef FEAST_ENGINE_DEAD_LETTER_H
#define FEAST_ENGINE_DEAD_LETTER_H

#include "feast/spec.h"
#include "feast/stream.h"

#define FEAST_DEAD_LETTER_CAUSES 32

/* Counts per cause label; causes past the table's size count as "other". */
typedef struct feast_dead_letter_causes {
  size_t n;
  struct {
    char cause[48];
    int64_t pending; /* added, not yet durable */
    int64_t written; /* durable */
  } items[FEAST_DEAD_LETTER_CAUSES];
} feast_dead_letter_causes;

typedef struct feast_dead_letters feast_dead_letters;
struct feast_dead_letters {
  /* Keep one dead letter (copies everything). A failure (out of memory) is
   * kept and returned by the next flush, so nothing is committed past it. */
  void (*add)(feast_dead_letters *d, const feast_stream_origin *o, const char *cause, const char *reason);
  /* Make everything added so far durable. */
  feast_code (*flush)(feast_dead_letters *d, feast_error *err);
  void (*close)(feast_dead_letters *d); /* frees d; drops what was not flushed */
  int64_t written; /* dead letters made durable so far */
  feast_dead_letter_causes causes;
};

/* For the sinks: count an added letter, and mark every pending one durable. */
void feast_dead_letter_count(feast_dead_letter_causes *c, const char *cause);
void feast_dead_letter_durable(feast_dead_letter_causes *c);

/* Parquet files under folder/<table>/, one per flush that has letters,
 * each written to a temporary name, fsynced and renamed, then the folder
 * fsynced. Columns: table, partition, offset, received_at (timestamp),
 * cause, reason, value (the raw bytes). The caller owns *out: release it with
 * (*out)->close(*out). */
feast_code feast_dead_letters_parquet(const char *folder, const char *table, feast_dead_letters **out,
                                      feast_error *err);

/* A Kafka topic, through a librdkafka producer (the properties of
 * streams.kafka, bootstrap_servers given): one message per letter, the raw
 * bytes as its value, "<partition>:<offset>" of the source message as its
 * key, and headers feast.table, feast.topic, feast.partition, feast.offset,
 * feast.cause, feast.reason. flush waits for the delivery of everything
 * produced so far (acks from every in-sync replica) and produces again what
 * failed; a failed flush is retriable. The caller owns *out: release it
 * with (*out)->close(*out). */
feast_code feast_dead_letters_kafka(const char *bootstrap_servers, const char *topic, const feast_map *properties,
                                    const char *table, const char *source_topic, feast_dead_letters **out,
                                    feast_error *err);

#endif
