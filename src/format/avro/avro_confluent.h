/*
 * avro_confluent.h - the Confluent wire framing of Avro messages: a magic
 * byte 0, a 4-byte big-endian schema id, then one binary datum written
 * with the schema registered under that id. The writer schema comes from a
 * lookup function (the schema registry client in src/source/, or anything
 * else: this format layer does not depend on a connector) and is resolved
 * against the reader schema (the source's AvroFormat.schema_json); each id
 * is fetched and compiled once, and its plan is kept.
 */
#ifndef FEAST_FORMAT_AVRO_AVRO_CONFLUENT_H
#define FEAST_FORMAT_AVRO_AVRO_CONFLUENT_H

#include <stdint.h>

#include "format/avro/avro_decode.h"

#define FEAST_AVRO_CONFLUENT_HEADER 5

/* Writer schema JSON for `id`: *json (len bytes) stays valid as long as the
 * lookup's owner lives. Fail with err->retriable set when a later try may
 * succeed (the registry is down): the whole decode call then fails before
 * any row is added, so the caller can retry the same messages. */
typedef feast_code (*feast_avro_schema_lookup)(void *ctx, uint32_t id, const char **json, size_t *len,
                                               feast_error *err);

typedef struct feast_avro_confluent feast_avro_confluent;

/* reader_json is the reader schema (copied); cols the wanted columns
 * (copied). The caller owns *out (feast_avro_confluent_free). */
feast_code feast_avro_confluent_new(const char *reader_json, const feast_avro_column *cols, size_t n_cols,
                                    feast_avro_schema_lookup lookup, void *ctx, feast_avro_confluent **out,
                                    feast_error *err);
void feast_avro_confluent_free(feast_avro_confluent *c); /* accepts NULL */

/* Decode n framed messages into dec (made for the same columns). First
 * every schema id not seen before is looked up and compiled: a retriable
 * lookup failure fails the call (nothing added); a permanent one (unknown
 * id, a schema that does not parse or does not resolve against the reader
 * schema) is kept for that id and makes its messages bad with that reason.
 * A message shorter than 5 bytes or without the magic byte is bad too.
 * Bad messages are recorded in dec (avro_decode.h), offsets counted from
 * the start of the message. *done as in feast_avro_decode_datums. */
feast_code feast_avro_confluent_decode(feast_avro_confluent *c, feast_avro_decoder *dec, const feast_avro_msg *msgs,
                                       size_t n, size_t *done, feast_error *err);

/* Schema ids looked up so far (successes and permanent failures). */
size_t feast_avro_confluent_cached(const feast_avro_confluent *c);

#endif
