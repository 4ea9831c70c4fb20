/*
 * feastproto.h - hand-written protobuf encoding/decoding of the few Feast 0.9
 * messages the online path shares with Feast: feast.types.Value,
 * feast.storage.RedisKeyV2 and google.protobuf.Timestamp. Byte-compatible
 * with protoc output (field order ascending, packed numeric lists, oneof
 * members written even when zero), so Feast clients read what we write.
 */
#ifndef FEAST_FORMAT_FEASTPROTO_H
#define FEAST_FORMAT_FEASTPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "feast/array.h"
#include "feast/error.h"
#include "feast/time.h"
#include "feast/types.h"

/* Feast's Value.proto oneof field numbers equal feast_value_type numbers. */

/* Wire primitives. */
feast_code feast_pb_put_varint(feast_buf *b, uint64_t v, feast_error *err);
feast_code feast_pb_put_len(feast_buf *b, uint32_t field, const void *p, size_t n, feast_error *err);
/* Reads one varint; returns 0, or -1 on truncated/overlong input. */
int feast_pb_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* Can a column of type `col` (with list element type `child` when LIST) be
 * stored as value type `vt`? Exact match plus the documented widenings
 * (INT32->INT64, FLOAT->DOUBLE, any timestamp unit->UNIX_TIMESTAMP). */
bool feast_pb_column_fits(feast_value_type vt, const feast_array *col);

/* Append the serialized Value for row `row` of `a`, declared type `vt`.
 * A null row appends nothing (the empty Value = null). Null elements inside
 * a list cannot be represented: FEAST_E_INVALID. A STRING column for a
 * non-string scalar type is parsed as text (entity rows given as strings). */
feast_code feast_pb_value_from_array(const feast_array *a, int64_t row, feast_value_type vt, feast_buf *out,
                                     feast_error *err);
/* Parse text as a scalar of type vt and append the serialized Value. */
feast_code feast_pb_value_from_text(const char *s, size_t n, feast_value_type vt, feast_buf *out, feast_error *err);

/* Which oneof member a serialized Value holds (0 = empty, a null). */
feast_code feast_pb_value_kind(const uint8_t *p, size_t n, int *field, feast_error *err);
/* Append the Value as JSON: null, a number, a string, true/false or an
 * array. Bytes are base64 (protobuf-JSON); UNIX_TIMESTAMP is seconds. */
feast_code feast_pb_value_to_json(const uint8_t *p, size_t n, feast_buf *out, feast_error *err);

/* RedisKeyV2{project, entity_names, entity_values}. The caller passes the
 * names already sorted and each value already serialized. */
feast_code feast_pb_redis_key(const char *project, size_t n, const char *const *names, const uint8_t *const *values,
                              const size_t *value_lens, feast_buf *out, feast_error *err);

/* google.protobuf.Timestamp {seconds, nanos}; zero fields are omitted. */
feast_code feast_pb_timestamp(feast_ts ts, feast_buf *out, feast_error *err);
feast_code feast_pb_timestamp_parse(const uint8_t *p, size_t n, feast_ts *out, feast_error *err);

#endif
