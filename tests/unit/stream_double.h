/*
 * stream_double.h - a stream source in memory, for the stream engine's unit
 * tests only: messages come out a few per poll, in order, with origins
 * ("p0", offset) and raw bytes; some are undecodable or carry a null
 * entity; polls and commits can fail (retriably or not) on a schedule, and
 * every commit is shown to the test so it can check that what is committed
 * is durable. Real connectors (Kafka, Kinesis) are tested against real
 * servers.
 */
#ifndef FEAST_TEST_STREAM_DOUBLE_H
#define FEAST_TEST_STREAM_DOUBLE_H

#include <stdbool.h>
#include <stddef.h>

#include "feast/stream.h"
#include "online_support.h"

typedef struct sd_msg {
  ots_row row;
  bool undecodable; /* reported in the batch's `bad` */
  bool null_entity; /* decodes, but its entity is null: a row rule breaks */
} sd_msg;

typedef struct sd_options {
  int per_poll;          /* messages per poll (at most what the engine asks); 0 = 3 */
  int retry_every_poll;  /* every Nth poll fails retriably; 0 = never */
  int fatal_at_poll;     /* this poll (1-based) fails for good; 0 = never */
  int retry_every_commit;
  bool positions;        /* keep positions in the online store ("double/p0" -> last offset) */
  /* At each successful commit: the messages it covers, [0, n_covered). */
  void (*on_commit)(void *ctx, const sd_msg *msgs, size_t n_covered);
  void *ctx;
} sd_options;

feast_stream_source *sd_open(const sd_msg *msgs, size_t n, const sd_options *o);
/* Messages covered by the last commit, and how many commits succeeded. */
size_t sd_committed(const feast_stream_source *s);
int sd_commits(const feast_stream_source *s);
int sd_polls(const feast_stream_source *s);

#endif
