/*
 * stream_decode.h - the one small interface between a stream connector
 * (Kafka, Kinesis) and the message formats: message values in, a column
 * batch out, plus the messages that did not decode. The connector does not
 * know which format it reads; feast_stream_decoder_open picks the decoder
 * from the source's format (ProtoFormat through src/format/proto, AvroFormat
 * through src/format/avro) and compiles its plan once.
 *
 * Row rules that need the wire (a proto3 entity key that was never given is
 * read as 0, not null) are applied here: such a value is made null, so the
 * ingestion's row rules reject the row with its origin, as for every other
 * format.
 *
 * A decoder is used by one thread at a time (its consumer).
 */
#ifndef FEAST_SOURCE_STREAM_DECODE_H
#define FEAST_SOURCE_STREAM_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "feast/array.h"
#include "feast/error.h"
#include "feast/spec.h"

typedef struct feast_stream_msg {
  const void *data;
  size_t len;
} feast_stream_msg;

/* A message that did not decode. */
typedef struct feast_stream_msg_bad {
  size_t index;       /* in the call's input */
  const char *cause;  /* a short label to count by ("truncated", "bad union index", "unknown schema id") */
  const char *reason; /* names the field and the byte offset where it can */
} feast_stream_msg_bad;

typedef struct feast_stream_decoder feast_stream_decoder;
struct feast_stream_decoder {
  /* Decode msgs[0..n): a row per good message, in order, into *rows (the
   * columns of the source, named by their source column paths). Borrowed:
   * *rows and *bad are valid until the next call or free. Fails only for
   * the call as a whole (out of memory; a retriable schema-registry
   * failure, err->retriable set, when nothing was decoded). */
  feast_code (*decode)(feast_stream_decoder *d, const feast_stream_msg *msgs, size_t n, feast_batch **rows,
                       const feast_stream_msg_bad **bad, size_t *n_bad, feast_error *err);
  void (*free)(feast_stream_decoder *d);
};

typedef struct feast_stream_decode_options {
  const feast_feature_table_spec *table;
  const feast_value_type *entity_types; /* entity_types[i] for table->entities[i] */
  const feast_data_source *source;      /* its format, field_mapping, descriptor_set */
  const feast_data_format *format;      /* kafka.message_format or kinesis.record_format */
  const char *schema_registry_url;      /* Confluent-framed Avro; NULL = raw datums */
} feast_stream_decode_options;

/* The caller owns *out: release it with (*out)->free(*out). Fails with
 * FEAST_E_UNSUPPORTED for a format this build cannot decode, and with the
 * plan compiler's message (FEAST_E_SCHEMA listing each column) when the
 * schema does not fit the table. */
feast_code feast_stream_decoder_open(const feast_stream_decode_options *o, feast_stream_decoder **out,
                                     feast_error *err);

/* The formats (one file each). */
feast_code feast_stream_decoder_proto(const feast_stream_decode_options *o, feast_stream_decoder **out,
                                      feast_error *err);
feast_code feast_stream_decoder_avro(const feast_stream_decode_options *o, feast_stream_decoder **out,
                                     feast_error *err);

/* Make row `row` of `a` null (for the wire-presence rule above). */
feast_code feast_stream_set_null(feast_array *a, int64_t row, feast_error *err);

#endif
