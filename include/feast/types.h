/*
 * types.h - Feast's ValueType numbering (feast.types.ValueType.Enum in
 * Feast 0.9's Value.proto) and the Arrow-style data types columns carry.
 *
 * A feature or entity has a feast_value_type; a column in a batch has a
 * feast_dtype, which is richer (INT8, DATE, DECIMAL, ...) because files carry
 * more types than Feast does. feast_dtype_for_value_type and
 * feast_value_type_for_dtype connect the two.
 */
#ifndef FEAST_TYPES_H
#define FEAST_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "feast/export.h"

typedef enum feast_value_type {
  FEAST_VT_INVALID = 0,
  FEAST_VT_BYTES = 1,
  FEAST_VT_STRING = 2,
  FEAST_VT_INT32 = 3,
  FEAST_VT_INT64 = 4,
  FEAST_VT_DOUBLE = 5,
  FEAST_VT_FLOAT = 6,
  FEAST_VT_BOOL = 7,
  FEAST_VT_UNIX_TIMESTAMP = 8,
  FEAST_VT_BYTES_LIST = 11,
  FEAST_VT_STRING_LIST = 12,
  FEAST_VT_INT32_LIST = 13,
  FEAST_VT_INT64_LIST = 14,
  FEAST_VT_DOUBLE_LIST = 15,
  FEAST_VT_FLOAT_LIST = 16,
  FEAST_VT_BOOL_LIST = 17,
  FEAST_VT_UNIX_TIMESTAMP_LIST = 18
} feast_value_type;

/* "INT64" etc.; "INVALID" for unknown numbers. Never NULL. */
FEAST_API const char *feast_value_type_name(feast_value_type t);
/* Accepts the enum names, case-insensitively. FEAST_VT_INVALID if unknown. */
FEAST_API feast_value_type feast_value_type_parse(const char *name);
FEAST_API bool feast_value_type_is_list(feast_value_type t);
/* INT64_LIST -> INT64; scalars map to themselves. */
FEAST_API feast_value_type feast_value_type_element(feast_value_type t);

typedef enum feast_dtype_id {
  FEAST_DT_NULL = 0,
  FEAST_DT_BOOL,    /* values: bitmap, bit i = row i */
  FEAST_DT_INT8,
  FEAST_DT_INT16,
  FEAST_DT_INT32,
  FEAST_DT_INT64,
  FEAST_DT_UINT8,
  FEAST_DT_UINT16,
  FEAST_DT_UINT32,
  FEAST_DT_UINT64,
  FEAST_DT_FLOAT16, /* values: uint16 IEEE half */
  FEAST_DT_FLOAT,
  FEAST_DT_DOUBLE,
  FEAST_DT_STRING,  /* int32 offsets + UTF-8 bytes */
  FEAST_DT_BINARY,  /* int32 offsets + bytes */
  FEAST_DT_FIXED_BINARY, /* width bytes per row in values */
  FEAST_DT_DATE32,  /* int32 days since epoch */
  FEAST_DT_TIME32,  /* int32 in unit (s or ms) since midnight */
  FEAST_DT_TIME64,  /* int64 in unit (us or ns) since midnight */
  FEAST_DT_TIMESTAMP, /* int64 in unit since epoch; utc says whether zoned */
  FEAST_DT_DECIMAL128, /* 16-byte little-endian two's complement; precision, scale */
  FEAST_DT_LIST     /* int32 offsets + child array */
} feast_dtype_id;

typedef enum feast_time_unit {
  FEAST_UNIT_S = 0,
  FEAST_UNIT_MS = 1,
  FEAST_UNIT_US = 2,
  FEAST_UNIT_NS = 3
} feast_time_unit;

typedef struct feast_dtype {
  uint8_t id;    /* feast_dtype_id */
  uint8_t unit;  /* feast_time_unit, for TIME32/TIME64/TIMESTAMP */
  uint8_t utc;   /* TIMESTAMP: 1 = instant in UTC, 0 = naive (read as UTC) */
  int32_t width; /* FIXED_BINARY: bytes per value; DECIMAL128: precision */
  int32_t scale; /* DECIMAL128 */
} feast_dtype;

static inline feast_dtype feast_dtype_make(feast_dtype_id id) {
  feast_dtype t = {(uint8_t)id, 0, 0, 0, 0};
  return t;
}
static inline feast_dtype feast_dtype_timestamp(feast_time_unit unit, bool utc) {
  feast_dtype t = {FEAST_DT_TIMESTAMP, (uint8_t)unit, (uint8_t)utc, 0, 0};
  return t;
}

/* Bytes per value in the values buffer; 0 for BOOL (bitmap), variable-length
 * and LIST types. */
FEAST_API int feast_dtype_byte_width(feast_dtype t);
FEAST_API bool feast_dtype_equal(feast_dtype a, feast_dtype b);
/* INT8..INT64 and UINT8..UINT64. */
FEAST_API bool feast_dtype_is_integer(feast_dtype t);
/* "int64", "timestamp[us, UTC]", "decimal128(10, 2)", "list<...>" needs the
 * child, so lists print as "list". Writes into buf; returns buf. */
FEAST_API const char *feast_dtype_name(feast_dtype t, char *buf, int size);

/* The column type a Feast value type is stored as in batches: INT64 -> int64,
 * UNIX_TIMESTAMP -> timestamp[us, UTC], lists -> LIST (element type via
 * feast_value_type_element). */
FEAST_API feast_dtype feast_dtype_for_value_type(feast_value_type t);

#endif
