/*
 * feastproto.h - hand-written protobuf encoding/decoding of the few Feast 0.9
 * messages the online path shares with Feast: feast.types.Value,
 * feast.storage.RedisKeyV2 and google.protobuf.Timestamp. Byte-compatible
 * with protoc output (field order ascending, packed numeric lists, oneof
 * members written even when zero), so Feast clients read what we write.
 */
#ifndef FEAST_FORMAT_PROTO_FEASTPROTO_H
#define FEAST_FORMAT_PROTO_FEASTPROTO_H

#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "base/buf.h"
#include "base/varint.h"
#include "feast/array.h"
#include "feast/error.h"
#include "feast/time.h"
#include "feast/types.h"
#include "format/proto/wire.h"

/* Feast's Value.proto oneof field numbers equal feast_value_type numbers. */

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
/* The common scalar layouts, encoded straight into memory with no call per
 * value (batch ingestion encodes every winning row this way): the same
 * bytes feast_pb_value_from_array makes, tag = field number (the value
 * type) << 3 | wire type. */
typedef enum feast_pb_fast {
  FEAST_PB_FAST_NONE = 0, /* use feast_pb_value_from_array */
  FEAST_PB_FAST_F64,
  FEAST_PB_FAST_F32,
  FEAST_PB_FAST_I64,
  FEAST_PB_FAST_I32
} feast_pb_fast;

#define FEAST_PB_FAST_MAX 11 /* bytes a fast-encoded Value takes at most */

/* The fast encoding of a column of a's type declared as vt, if any. */
static inline feast_pb_fast feast_pb_fast_kind(const feast_array *a, feast_value_type vt) {
  switch (a->type.id) {
  case FEAST_DT_DOUBLE: return vt == FEAST_VT_DOUBLE ? FEAST_PB_FAST_F64 : FEAST_PB_FAST_NONE;
  case FEAST_DT_FLOAT: return vt == FEAST_VT_FLOAT ? FEAST_PB_FAST_F32 : FEAST_PB_FAST_NONE;
  case FEAST_DT_INT64: return vt == FEAST_VT_INT64 ? FEAST_PB_FAST_I64 : FEAST_PB_FAST_NONE;
  case FEAST_DT_INT32: return vt == FEAST_VT_INT64 || vt == FEAST_VT_INT32 ? FEAST_PB_FAST_I32 : FEAST_PB_FAST_NONE;
  default: return FEAST_PB_FAST_NONE;
  }
}

/* Write the Value of valid row `row` at dst (FEAST_PB_FAST_MAX bytes of
 * room); returns its length. Little-endian hosts, as the Parquet reader
 * assumes. */
static inline size_t feast_pb_fast_put(uint8_t *dst, feast_pb_fast kind, feast_value_type vt, const feast_array *a,
                                       int64_t row) {
  uint8_t *q = dst;
  switch (kind) {
  case FEAST_PB_FAST_F64:
    *q++ = (uint8_t)(vt << 3 | FEAST_WIRE_I64);
    memcpy(q, (const double *)a->values + row, 8);
    return 9;
  case FEAST_PB_FAST_F32:
    *q++ = (uint8_t)(vt << 3 | FEAST_WIRE_I32);
    memcpy(q, (const float *)a->values + row, 4);
    return 5;
  case FEAST_PB_FAST_I64:
    *q++ = (uint8_t)(vt << 3 | FEAST_WIRE_VARINT);
    return 1 + feast_varint_write(q, (uint64_t)((const int64_t *)a->values)[row]);
  default:
    *q++ = (uint8_t)(vt << 3 | FEAST_WIRE_VARINT);
    return 1 + feast_varint_write(q, (uint64_t)(int64_t)((const int32_t *)a->values)[row]);
  }
}

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
