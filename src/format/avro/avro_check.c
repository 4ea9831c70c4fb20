/*
 * avro_check.c - type compatibility between Feast value types and Avro
 * schemas. A nullable union [null, T] counts as T. Timestamps are Avro
 * longs; the timestamp-millis / timestamp-micros logical types annotate a
 * long and are accepted with it (avro-c 1.11 parses them as plain longs).
 */
#include "format/avro/avro_check.h"

#include <avro.h>
#include <stdio.h>
#include <string.h>

/* [null, T] -> T; anything else unchanged. */
static avro_schema_t unwrap_nullable(avro_schema_t s) {
  if (!is_avro_union(s) || avro_schema_union_size(s) != 2) return s;
  avro_schema_t a = avro_schema_union_branch(s, 0), b = avro_schema_union_branch(s, 1);
  if (is_avro_null(a)) return b;
  if (is_avro_null(b)) return a;
  return s;
}

static void type_desc(avro_schema_t s, char *buf, size_t size) {
  switch (avro_typeof(s)) {
  case AVRO_STRING: snprintf(buf, size, "string"); break;
  case AVRO_BYTES: snprintf(buf, size, "bytes"); break;
  case AVRO_INT32: snprintf(buf, size, "int"); break;
  case AVRO_INT64: snprintf(buf, size, "long"); break;
  case AVRO_FLOAT: snprintf(buf, size, "float"); break;
  case AVRO_DOUBLE: snprintf(buf, size, "double"); break;
  case AVRO_BOOLEAN: snprintf(buf, size, "boolean"); break;
  case AVRO_NULL: snprintf(buf, size, "null"); break;
  case AVRO_RECORD: snprintf(buf, size, "record %s", avro_schema_name(s)); break;
  case AVRO_ENUM: snprintf(buf, size, "enum %s", avro_schema_name(s)); break;
  case AVRO_FIXED: snprintf(buf, size, "fixed %s", avro_schema_name(s)); break;
  case AVRO_MAP: snprintf(buf, size, "map"); break;
  case AVRO_ARRAY: {
    char inner[96];
    type_desc(avro_schema_array_items(s), inner, sizeof inner);
    snprintf(buf, size, "array<%s>", inner);
    break;
  }
  case AVRO_UNION: {
    /* as written in the schema: [null, float] */
    size_t used = (size_t)snprintf(buf, size, "[");
    for (size_t i = 0; i < avro_schema_union_size(s) && used < size; i++) {
      char inner[96];
      type_desc(avro_schema_union_branch(s, (int)i), inner, sizeof inner);
      used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", inner);
    }
    if (used < size) snprintf(buf + used, size - used, "]");
    break;
  }
  default: snprintf(buf, size, "link"); break;
  }
}

static bool scalar_ok(feast_value_type t, avro_schema_t s) {
  s = unwrap_nullable(s);
  switch (t) {
  case FEAST_VT_INT64:
  case FEAST_VT_UNIX_TIMESTAMP: return is_avro_int64(s);
  case FEAST_VT_INT32: return is_avro_int32(s);
  case FEAST_VT_DOUBLE: return is_avro_double(s);
  case FEAST_VT_FLOAT: return is_avro_float(s);
  case FEAST_VT_STRING: return is_avro_string(s);
  case FEAST_VT_BYTES: return is_avro_bytes(s) || is_avro_fixed(s);
  case FEAST_VT_BOOL: return is_avro_boolean(s);
  default: return false;
  }
}

static bool compatible(feast_value_type t, avro_schema_t s) {
  if (t == FEAST_VT_INVALID) return true;
  if (!feast_value_type_is_list(t)) return scalar_ok(t, s);
  s = unwrap_nullable(s);
  return is_avro_array(s) && scalar_ok(feast_value_type_element(t), avro_schema_array_items(s));
}

static const char *expected_desc(feast_value_type t) {
  switch (t) {
  case FEAST_VT_INT64: return "long";
  case FEAST_VT_UNIX_TIMESTAMP: return "long (optionally timestamp-millis/micros)";
  case FEAST_VT_INT32: return "int";
  case FEAST_VT_DOUBLE: return "double";
  case FEAST_VT_FLOAT: return "float";
  case FEAST_VT_STRING: return "string";
  case FEAST_VT_BYTES: return "bytes or fixed";
  case FEAST_VT_BOOL: return "boolean";
  case FEAST_VT_INT64_LIST: return "array<long>";
  case FEAST_VT_UNIX_TIMESTAMP_LIST: return "array<long>";
  case FEAST_VT_INT32_LIST: return "array<int>";
  case FEAST_VT_DOUBLE_LIST: return "array<double>";
  case FEAST_VT_FLOAT_LIST: return "array<float>";
  case FEAST_VT_STRING_LIST: return "array<string>";
  case FEAST_VT_BYTES_LIST: return "array<bytes>";
  case FEAST_VT_BOOL_LIST: return "array<boolean>";
  default: return "?";
  }
}

static feast_code parse(const char *json, avro_schema_t *out, feast_error *err) {
  if (!json || !*json) return feast_fail(err, FEAST_E_INVALID, "Avro schema is empty");
  if (avro_schema_from_json_length(json, strlen(json), out) != 0)
    return feast_fail(err, FEAST_E_INVALID, "not a valid Avro schema: %s", avro_strerror());
  if (!is_avro_record(*out)) {
    char d[128];
    type_desc(*out, d, sizeof d);
    avro_schema_decref(*out);
    return feast_fail(err, FEAST_E_INVALID, "Avro schema must be a record, found %s", d);
  }
  return FEAST_OK;
}

feast_code feast_avro_check_record_schema(const char *json, feast_error *err) {
  avro_schema_t s;
  feast_code rc = parse(json, &s, err);
  if (!rc) avro_schema_decref(s);
  return rc;
}

/* Follow a dotted path through (nullable) records; NULL when absent, with
 * the reason in why. */
static avro_schema_t find_path(avro_schema_t rec, const char *path, char *why, size_t size) {
  char part[256];
  avro_schema_t cur = rec;
  const char *p = path;
  for (;;) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    if (len >= sizeof part) len = sizeof part - 1;
    memcpy(part, p, len);
    part[len] = 0;
    avro_schema_t r = unwrap_nullable(cur);
    if (!is_avro_record(r)) {
      snprintf(why, size, "'%.*s' is not a record", (int)(p - path - 1 > 0 ? p - path - 1 : 0), path);
      return NULL;
    }
    /* avro_schema_record_field_get does not handle absent names; look the
     * index up first. */
    int idx = avro_schema_record_field_get_index(r, part);
    avro_schema_t f = idx < 0 ? NULL : avro_schema_record_field_get_by_index(r, idx);
    if (!f) {
      snprintf(why, size, "no field '%.200s' in record %.40s", part, avro_schema_name(r));
      return NULL;
    }
    if (!dot) return f;
    cur = f;
    p = dot + 1;
  }
}

feast_code feast_avro_check_columns(const char *json, const feast_column_req *reqs, size_t n, feast_error *err) {
  avro_schema_t s;
  feast_code rc = parse(json, &s, err);
  if (rc) return rc;
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    const feast_column_req *r = &reqs[i];
    char why[320], found[128];
    avro_schema_t f = find_path(s, r->column, why, sizeof why);
    char line[768];
    if (!f) {
      snprintf(line, sizeof line, "column '%s' (%s %s): not in the Avro schema (%s)", r->column, r->role, r->name, why);
    } else if (!compatible(r->type, f)) {
      type_desc(f, found, sizeof found);
      snprintf(line, sizeof line, "column '%s' (%s %s): expected %s for %s, found %s", r->column, r->role, r->name,
               expected_desc(r->type), feast_value_type_name(r->type), found);
    } else {
      continue;
    }
    if (!bad++) feast_fail(err, FEAST_E_SCHEMA, "%s", line);
    else feast_error_append(err, "%s", line);
  }
  avro_schema_decref(s);
  return bad ? FEAST_E_SCHEMA : FEAST_OK;
}
