/*
 * avro_check.c - type compatibility between Feast value types and Avro
 * schemas, on the project's own schema parser (avro_schema.h), which keeps
 * the logical types avro-c 1.11 drops. A union counts as its non-null
 * branches: [null, T] is a nullable T. Each Feast type takes exactly the
 * Avro types the stream decoder stores as that type's column (see
 * docs/avro.md), so whatever passes here decodes:
 *   INT64: long (any logical type); INT32: int (date too: its days);
 *   DOUBLE: double; FLOAT: float; BOOL: boolean; STRING: string or enum
 *   (the symbol); BYTES: bytes or fixed; UNIX_TIMESTAMP: long (the
 *   timestamp-millis/-micros/-nanos logical types give the unit, a plain
 *   long is microseconds) or int with the date logical type (midnight);
 *   lists: arrays of those.
 */
#include "format/avro/avro_check.h"

#include <stdio.h>
#include <string.h>

#include "format/avro/avro_plan.h"
#include "format/avro/avro_schema.h"

static bool scalar_ok(feast_value_type t, const feast_avro_node *s) {
  switch (t) {
  case FEAST_VT_INT64: return s->kind == FEAST_AVRO_LONG;
  case FEAST_VT_UNIX_TIMESTAMP:
    return s->kind == FEAST_AVRO_LONG || (s->kind == FEAST_AVRO_INT && s->logical == FEAST_AVRO_LT_DATE);
  case FEAST_VT_INT32: return s->kind == FEAST_AVRO_INT;
  case FEAST_VT_DOUBLE: return s->kind == FEAST_AVRO_DOUBLE;
  case FEAST_VT_FLOAT: return s->kind == FEAST_AVRO_FLOAT;
  case FEAST_VT_STRING: return s->kind == FEAST_AVRO_STRING || s->kind == FEAST_AVRO_ENUM;
  case FEAST_VT_BYTES: return s->kind == FEAST_AVRO_BYTES || s->kind == FEAST_AVRO_FIXED;
  case FEAST_VT_BOOL: return s->kind == FEAST_AVRO_BOOLEAN;
  default: return false;
  }
}

/* Every non-null branch of a union must fit (at least one must exist). */
static bool fits(feast_value_type t, const feast_avro_node *s, bool list) {
  if (s->kind == FEAST_AVRO_UNION) {
    bool any = false;
    for (size_t i = 0; i < s->n; i++) {
      const feast_avro_node *b = s->branches[i];
      if (b->kind == FEAST_AVRO_NULL) continue;
      if (!fits(t, b, list)) return false;
      any = true;
    }
    return any;
  }
  if (!list) return scalar_ok(t, s);
  if (s->kind != FEAST_AVRO_ARRAY) return false;
  return fits(feast_value_type_element(t), s->items, false);
}

static bool compatible(feast_value_type t, const feast_avro_node *s) {
  if (t == FEAST_VT_INVALID) return true;
  if (!fits(t, s, feast_value_type_is_list(t))) return false;
  /* The promise at the top of this file, kept by construction: the
   * decoder must take what passes here. */
  char why[256];
  feast_dtype dt = feast_dtype_for_value_type(t);
  feast_dtype child = feast_dtype_for_value_type(feast_value_type_element(t));
  bool ok = feast_avro_storable(s, dt, child, why, sizeof why);
  return ok;
}

static const char *expected_desc(feast_value_type t) {
  switch (t) {
  case FEAST_VT_INT64: return "long";
  case FEAST_VT_UNIX_TIMESTAMP: return "long (optionally timestamp-millis/micros/nanos) or int (date)";
  case FEAST_VT_INT32: return "int";
  case FEAST_VT_DOUBLE: return "double";
  case FEAST_VT_FLOAT: return "float";
  case FEAST_VT_STRING: return "string or enum";
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

static feast_code parse(const char *json, feast_avro_schema **out, feast_error *err) {
  if (!json || !*json) return feast_fail(err, FEAST_E_INVALID, "Avro schema is empty");
  feast_error e;
  if (feast_avro_schema_parse(json, strlen(json), "schema", NULL, out, &e) != FEAST_OK)
    return feast_fail(err, FEAST_E_INVALID, "not a valid Avro schema: %s", e.message);
  if ((*out)->root->kind != FEAST_AVRO_RECORD) {
    char d[128];
    feast_avro_describe((*out)->root, d, sizeof d);
    feast_avro_schema_free(*out);
    *out = NULL;
    return feast_fail(err, FEAST_E_INVALID, "Avro schema must be a record, found %s", d);
  }
  return FEAST_OK;
}

feast_code feast_avro_check_record_schema(const char *json, feast_error *err) {
  feast_avro_schema *s;
  feast_code rc = parse(json, &s, err);
  if (!rc) feast_avro_schema_free(s);
  return rc;
}

feast_code feast_avro_check_columns(const char *json, const feast_column_req *reqs, size_t n, feast_error *err) {
  feast_avro_schema *s;
  feast_code rc = parse(json, &s, err);
  if (rc) return rc;
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    const feast_column_req *r = &reqs[i];
    char why[320], found[128];
    const feast_avro_field *f = feast_avro_find_path(s->root, r->column, why, sizeof why);
    char line[768];
    if (!f) {
      snprintf(line, sizeof line, "column '%s' (%s %s): not in the Avro schema (%s)", r->column, r->role, r->name, why);
    } else if (!compatible(r->type, f->type)) {
      feast_avro_describe(f->type, found, sizeof found);
      snprintf(line, sizeof line, "column '%s' (%s %s): expected %s for %s, found %s", r->column, r->role, r->name,
               expected_desc(r->type), feast_value_type_name(r->type), found);
    } else {
      continue;
    }
    if (!bad++) feast_fail(err, FEAST_E_SCHEMA, "%s", line);
    else feast_error_append(err, "%s", line);
  }
  feast_avro_schema_free(s);
  return bad ? FEAST_E_SCHEMA : FEAST_OK;
}
