/*
 * proto_check.c - the apply-time check of a protobuf message against a
 * feature table: every required column's dotted path must reach a field of
 * a compatible type (the table of proto_types.h, which the stream decoder
 * uses too, so apply accepts exactly what ingestion can decode).
 */
#include "format/proto/proto_check.h"

#include "format/proto/proto_types.h"

#include <stdio.h>
#include <string.h>

/* One type table for apply and for the decoder (proto_types.c). */
static bool compatible(feast_value_type t, const feast_proto_field *f) {
  return t == FEAST_VT_INVALID || feast_proto_field_fits(t, f);
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
  case FEAST_VT_STRING: return "string or an enum";
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
