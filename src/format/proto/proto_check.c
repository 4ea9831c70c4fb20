/*
 * proto_check.c - Feast value types against protobuf field types.
 *   INT64  <- int64, sint64, sfixed64, uint32, fixed32 (all fit)
 *   INT32  <- int32, sint32, sfixed32
 *   DOUBLE <- double   FLOAT <- float   BOOL <- bool
 *   STRING <- string   BYTES <- bytes
 *   UNIX_TIMESTAMP (and timestamp columns) <- google.protobuf.Timestamp or int64
 *   X_LIST <- repeated X (map fields do not count)
 * The google.protobuf wrappers (Int64Value, ...) count as their scalar.
 */
#include "format/proto/proto_check.h"

#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  feast_pb_type type;
} wrappers[] = {
    {"google.protobuf.DoubleValue", FEAST_PB_DOUBLE}, {"google.protobuf.FloatValue", FEAST_PB_FLOAT},
    {"google.protobuf.Int64Value", FEAST_PB_INT64},   {"google.protobuf.UInt64Value", FEAST_PB_UINT64},
    {"google.protobuf.Int32Value", FEAST_PB_INT32},   {"google.protobuf.UInt32Value", FEAST_PB_UINT32},
    {"google.protobuf.BoolValue", FEAST_PB_BOOL},     {"google.protobuf.StringValue", FEAST_PB_STRING},
    {"google.protobuf.BytesValue", FEAST_PB_BYTES},
};

static feast_pb_type effective_type(const feast_proto_field *f) {
  if (f->type == FEAST_PB_MESSAGE && f->message)
    for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
      if (strcmp(f->message->full_name, wrappers[i].name) == 0) return wrappers[i].type;
  return f->type;
}

static bool scalar_ok(feast_value_type t, const feast_proto_field *f) {
  feast_pb_type p = effective_type(f);
  switch (t) {
  case FEAST_VT_INT64:
    return p == FEAST_PB_INT64 || p == FEAST_PB_SINT64 || p == FEAST_PB_SFIXED64 || p == FEAST_PB_UINT32 ||
           p == FEAST_PB_FIXED32;
  case FEAST_VT_INT32: return p == FEAST_PB_INT32 || p == FEAST_PB_SINT32 || p == FEAST_PB_SFIXED32;
  case FEAST_VT_DOUBLE: return p == FEAST_PB_DOUBLE;
  case FEAST_VT_FLOAT: return p == FEAST_PB_FLOAT;
  case FEAST_VT_BOOL: return p == FEAST_PB_BOOL;
  case FEAST_VT_STRING: return p == FEAST_PB_STRING;
  case FEAST_VT_BYTES: return p == FEAST_PB_BYTES;
  case FEAST_VT_UNIX_TIMESTAMP:
    return p == FEAST_PB_INT64 ||
           (p == FEAST_PB_MESSAGE && f->message && strcmp(f->message->full_name, "google.protobuf.Timestamp") == 0);
  default: return false;
  }
}

static bool compatible(feast_value_type t, const feast_proto_field *f) {
  if (t == FEAST_VT_INVALID) return true;
  bool repeated = f->label == FEAST_PB_REPEATED;
  if (feast_value_type_is_list(t)) {
    if (!repeated || (f->message && f->message->map_entry)) return false;
    return scalar_ok(feast_value_type_element(t), f);
  }
  return !repeated && scalar_ok(t, f);
}

static void found_desc(const feast_proto_field *f, char *buf, size_t size) {
  const char *base = f->type == FEAST_PB_MESSAGE || f->type == FEAST_PB_GROUP || f->type == FEAST_PB_ENUM
                         ? f->type_name
                         : feast_pb_type_name(f->type);
  if (f->message && f->message->map_entry) snprintf(buf, size, "map (%s)", base);
  else snprintf(buf, size, "%s%s", f->label == FEAST_PB_REPEATED ? "repeated " : "", base ? base : "?");
}

static const char *expected_desc(feast_value_type t) {
  switch (feast_value_type_element(t)) {
  case FEAST_VT_INT64: return "int64/sint64/sfixed64";
  case FEAST_VT_INT32: return "int32/sint32/sfixed32";
  case FEAST_VT_DOUBLE: return "double";
  case FEAST_VT_FLOAT: return "float";
  case FEAST_VT_BOOL: return "bool";
  case FEAST_VT_STRING: return "string";
  case FEAST_VT_BYTES: return "bytes";
  case FEAST_VT_UNIX_TIMESTAMP: return "google.protobuf.Timestamp or int64";
  default: return "?";
  }
}

static const feast_proto_field *find_path(const feast_proto_message *m, const char *path, char *why, size_t size) {
  char part[256];
  const char *p = path;
  for (;;) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    if (len >= sizeof part) len = sizeof part - 1;
    memcpy(part, p, len);
    part[len] = 0;
    const feast_proto_field *f = feast_proto_message_field(m, part);
    if (!f) {
      snprintf(why, size, "no field '%.100s' in message %.100s", part, m->full_name);
      return NULL;
    }
    if (!dot) return f;
    if (f->type != FEAST_PB_MESSAGE || !f->message || f->label == FEAST_PB_REPEATED) {
      snprintf(why, size, "field '%.100s' of %.100s is not a singular message", part, m->full_name);
      return NULL;
    }
    m = f->message;
    p = dot + 1;
  }
}

feast_code feast_proto_check_columns(const feast_proto_message *m, const feast_column_req *reqs, size_t n,
                                     feast_error *err) {
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    const feast_column_req *r = &reqs[i];
    char why[256], found[160], line[768];
    const feast_proto_field *f = find_path(m, r->column, why, sizeof why);
    if (!f) {
      snprintf(line, sizeof line, "column '%s' (%s %s): not in message %s (%s)", r->column, r->role, r->name,
               m->full_name, why);
    } else if (!compatible(r->type, f)) {
      found_desc(f, found, sizeof found);
      snprintf(line, sizeof line, "column '%s' (%s %s): expected %s%s for %s, found %s", r->column, r->role, r->name,
               feast_value_type_is_list(r->type) ? "repeated " : "", expected_desc(r->type),
               feast_value_type_name(r->type), found);
    } else {
      continue;
    }
    if (!bad++) feast_fail(err, FEAST_E_SCHEMA, "%s", line);
    else feast_error_append(err, "%s", line);
  }
  return bad ? FEAST_E_SCHEMA : FEAST_OK;
}
