/*
 * proto_decode.h - stream messages (Kafka values, Kinesis records) decoded
 * with a plan (proto_plan.h) straight into the columns of a feast_batch.
 *
 * One call takes many messages. A good message becomes one row in every
 * column; a bad one (not valid protobuf for the plan's type, or a value a
 * column cannot hold) is reported by its index with a reason and leaves no
 * trace in any column, so the caller can dead-letter exactly that message
 * and go on. The semantics (last value wins, nested messages merge, packed
 * and unpacked repeated fields, which unset fields are null and which take
 * the proto3 default) are protobuf's; docs/protobuf.md spells them out.
 *
 * A decoder holds the scratch state of one message and the report of the
 * last call; it is not thread-safe (use one per thread over a shared plan).
 */
#ifndef FEAST_FORMAT_PROTO_PROTO_DECODE_H
#define FEAST_FORMAT_PROTO_PROTO_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feast/array.h"
#include "format/proto/proto_plan.h"

typedef struct feast_proto_slice {
  const void *data;
  size_t len;
} feast_proto_slice;

typedef struct feast_proto_reject {
  size_t index;      /* the message's index in the call's input */
  feast_code code;   /* FEAST_E_CORRUPT: bytes that are not this message type;
                        FEAST_E_INVALID: a value no column can hold (a timestamp
                        out of range, a string that is not UTF-8) */
  const char *cause; /* short static label, for counting per cause: "truncated",
                        "bad wire type", "bad varint", "bad length", "bad key",
                        "bad group", "invalid utf-8", "timestamp out of range",
                        "bad packed run" */
  size_t offset;     /* byte offset, in the message, of the key of the field at fault */
  char reason[360];  /* "loc.lat (field 1 of feast.test.Location) at byte 17: truncated fixed64" */
} feast_proto_reject;

typedef struct feast_proto_result {
  size_t done;     /* messages handled: n, unless the call failed */
  int64_t rows;    /* rows appended by the call */
  size_t n_rejects;
  const feast_proto_reject *rejects; /* by index; owned by the decoder, valid until its next call */
} feast_proto_result;

typedef struct feast_proto_decoder feast_proto_decoder;

/* The plan must outlive the decoder. The caller owns *out. */
feast_code feast_proto_decoder_new(const feast_proto_plan *plan, feast_proto_decoder **out, feast_error *err);
void feast_proto_decoder_free(feast_proto_decoder *d); /* accepts NULL */

/* Decode msgs[0..n) and append a row per good message to `batch`, which
 * must have the plan's columns (feast_proto_plan_batch_new; rows from
 * earlier calls may be there). Bad messages go to res->rejects.
 *
 * Returns FEAST_OK when every message was handled, good or bad. Fails only
 * for the call as a whole: FEAST_E_INVALID for a batch of another shape,
 * FEAST_E_NOMEM, or FEAST_E_TOO_BIG when a column is full (2^31 rows or
 * 2 GiB of strings). Then res->done messages were handled (their rows and
 * rejects are in place, message res->done left no partial row): flush the
 * batch and call again from there. */
feast_code feast_proto_decode(feast_proto_decoder *d, const feast_proto_slice *msgs, size_t n, feast_batch *batch,
                              feast_proto_result *res, feast_error *err);

/* Whether column `column` was on the wire in row `row` of those the last
 * call appended (0 = its first): the check behind row rules such as "the
 * entity key must be given", since an unset proto3 scalar is written as its
 * default, not as null. A repeated field counts as present when any of its
 * occurrences (an empty packed run included) was there; a field under an
 * absent message, or cleared by a later member of its oneof, is absent. */
bool feast_proto_decoder_present(const feast_proto_decoder *d, int64_t row, int column);

#endif
