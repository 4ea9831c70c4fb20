/*
 * types.c - names and mappings of value types and column data types.
 */
#include "feast/types.h"

#include <stdio.h>
#include <strings.h>

static const struct {
  feast_value_type t;
  const char *name;
} value_types[] = {
    {FEAST_VT_BYTES, "BYTES"},
    {FEAST_VT_STRING, "STRING"},
    {FEAST_VT_INT32, "INT32"},
    {FEAST_VT_INT64, "INT64"},
    {FEAST_VT_DOUBLE, "DOUBLE"},
    {FEAST_VT_FLOAT, "FLOAT"},
    {FEAST_VT_BOOL, "BOOL"},
    {FEAST_VT_UNIX_TIMESTAMP, "UNIX_TIMESTAMP"},
    {FEAST_VT_BYTES_LIST, "BYTES_LIST"},
    {FEAST_VT_STRING_LIST, "STRING_LIST"},
    {FEAST_VT_INT32_LIST, "INT32_LIST"},
    {FEAST_VT_INT64_LIST, "INT64_LIST"},
    {FEAST_VT_DOUBLE_LIST, "DOUBLE_LIST"},
    {FEAST_VT_FLOAT_LIST, "FLOAT_LIST"},
    {FEAST_VT_BOOL_LIST, "BOOL_LIST"},
    {FEAST_VT_UNIX_TIMESTAMP_LIST, "UNIX_TIMESTAMP_LIST"},
};

const char *feast_value_type_name(feast_value_type t) {
  for (size_t i = 0; i < sizeof value_types / sizeof value_types[0]; i++)
    if (value_types[i].t == t) return value_types[i].name;
  return "INVALID";
}

feast_value_type feast_value_type_parse(const char *name) {
  if (!name) return FEAST_VT_INVALID;
  for (size_t i = 0; i < sizeof value_types / sizeof value_types[0]; i++)
    if (strcasecmp(value_types[i].name, name) == 0) return value_types[i].t;
  return FEAST_VT_INVALID;
}

bool feast_value_type_is_list(feast_value_type t) { return t >= FEAST_VT_BYTES_LIST && t <= FEAST_VT_UNIX_TIMESTAMP_LIST; }

feast_value_type feast_value_type_element(feast_value_type t) {
  return feast_value_type_is_list(t) ? (feast_value_type)(t - 10) : t;
}

int feast_dtype_byte_width(feast_dtype t) {
  switch ((feast_dtype_id)t.id) {
  case FEAST_DT_INT8:
  case FEAST_DT_UINT8: return 1;
  case FEAST_DT_INT16:
  case FEAST_DT_UINT16:
  case FEAST_DT_FLOAT16: return 2;
  case FEAST_DT_INT32:
  case FEAST_DT_UINT32:
  case FEAST_DT_FLOAT:
  case FEAST_DT_DATE32:
  case FEAST_DT_TIME32: return 4;
  case FEAST_DT_INT64:
  case FEAST_DT_UINT64:
  case FEAST_DT_DOUBLE:
  case FEAST_DT_TIME64:
  case FEAST_DT_TIMESTAMP: return 8;
  case FEAST_DT_DECIMAL128: return 16;
  case FEAST_DT_FIXED_BINARY: return t.width;
  case FEAST_DT_NULL:
  case FEAST_DT_BOOL:
  case FEAST_DT_STRING:
  case FEAST_DT_BINARY:
  case FEAST_DT_LIST: return 0;
  }
  return 0;
}

bool feast_dtype_equal(feast_dtype a, feast_dtype b) {
  if (a.id != b.id) return false;
  switch ((feast_dtype_id)a.id) {
  case FEAST_DT_TIMESTAMP: return a.unit == b.unit && a.utc == b.utc;
  case FEAST_DT_TIME32:
  case FEAST_DT_TIME64: return a.unit == b.unit;
  case FEAST_DT_FIXED_BINARY: return a.width == b.width;
  case FEAST_DT_DECIMAL128: return a.width == b.width && a.scale == b.scale;
  default: return true;
  }
}

static const char *unit_name(int unit) {
  static const char *names[] = {"s", "ms", "us", "ns"};
  return unit >= 0 && unit <= 3 ? names[unit] : "?";
}

const char *feast_dtype_name(feast_dtype t, char *buf, int size) {
  static const char *names[] = {"null", "bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
                                "uint32", "uint64", "float16", "float", "double", "string", "binary",
                                "fixed_binary", "date32", "time32", "time64", "timestamp", "decimal128",
                                "list"};
  const char *base = t.id < sizeof names / sizeof names[0] ? names[t.id] : "unknown";
  switch ((feast_dtype_id)t.id) {
  case FEAST_DT_TIMESTAMP: snprintf(buf, (size_t)size, "timestamp[%s%s]", unit_name(t.unit), t.utc ? ", UTC" : ""); break;
  case FEAST_DT_TIME32:
  case FEAST_DT_TIME64: snprintf(buf, (size_t)size, "%s[%s]", base, unit_name(t.unit)); break;
  case FEAST_DT_FIXED_BINARY: snprintf(buf, (size_t)size, "fixed_binary(%d)", t.width); break;
  case FEAST_DT_DECIMAL128: snprintf(buf, (size_t)size, "decimal128(%d, %d)", t.width, t.scale); break;
  default: snprintf(buf, (size_t)size, "%s", base);
  }
  return buf;
}

feast_dtype feast_dtype_for_value_type(feast_value_type t) {
  switch (feast_value_type_element(t) == t ? t : FEAST_VT_INVALID) {
  case FEAST_VT_BYTES: return feast_dtype_make(FEAST_DT_BINARY);
  case FEAST_VT_STRING: return feast_dtype_make(FEAST_DT_STRING);
  case FEAST_VT_INT32: return feast_dtype_make(FEAST_DT_INT32);
  case FEAST_VT_INT64: return feast_dtype_make(FEAST_DT_INT64);
  case FEAST_VT_DOUBLE: return feast_dtype_make(FEAST_DT_DOUBLE);
  case FEAST_VT_FLOAT: return feast_dtype_make(FEAST_DT_FLOAT);
  case FEAST_VT_BOOL: return feast_dtype_make(FEAST_DT_BOOL);
  case FEAST_VT_UNIX_TIMESTAMP: return feast_dtype_timestamp(FEAST_UNIT_US, true);
  default: break;
  }
  if (feast_value_type_is_list(t)) return feast_dtype_make(FEAST_DT_LIST);
  return feast_dtype_make(FEAST_DT_NULL);
}

bool feast_dtype_is_integer(feast_dtype t) {
  switch ((feast_dtype_id)t.id) {
  case FEAST_DT_INT8: case FEAST_DT_INT16: case FEAST_DT_INT32: case FEAST_DT_INT64:
  case FEAST_DT_UINT8: case FEAST_DT_UINT16: case FEAST_DT_UINT32: case FEAST_DT_UINT64: return true;
  default: return false;
  }
}
