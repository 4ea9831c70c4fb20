/*
 * dead_letter.h - where stream ingestion sends what it cannot ingest (a
 * message that does not decode, a row that breaks a row rule), with its
 * partition, offset, raw bytes and the cause: a folder of Parquet files
 * here; a Kafka topic from the Kafka connector. A sink keeps what it was
 * given in memory until flush, which makes it durable: the engine flushes
 * the sink before it commits the stream's position, so a dead letter is
 * never lost to a crash once its message is committed.
 */
#ifndef FEAST_ENGINE_DEAD_LETTER_H
#define FEAST_ENGINE_DEAD_LETTER_H

#include "feast/stream.h"

typedef struct feast_dead_letters feast_dead_letters;
struct feast_dead_letters {
  /* Keep one dead letter (copies everything). A failure (out of memory) is
   * kept and returned by the next flush, so nothing is committed past it. */
  void (*add)(feast_dead_letters *d, const feast_stream_origin *o, const char *reason);
  /* Make everything added so far durable. */
  feast_code (*flush)(feast_dead_letters *d, feast_error *err);
  void (*close)(feast_dead_letters *d); /* frees d; drops what was not flushed */
  int64_t written; /* dead letters made durable so far */
};

/* Parquet files under folder/<table>/, one per flush that has letters,
 * each written to a temporary name, fsynced and renamed, then the folder
 * fsynced. Columns: table, partition, offset, received_at (timestamp),
 * reason, value (the raw bytes). The caller owns *out: release it with
 * (*out)->close(*out). */
feast_code feast_dead_letters_parquet(const char *folder, const char *table, feast_dead_letters **out,
                                      feast_error *err);

#endif
