/*
 * proto_types.c - the type table of proto_types.h.
 */
#include "format/proto/proto_types.h"

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

feast_pb_type feast_proto_wrapper_type(const feast_proto_message *m) {
  if (!m) return (feast_pb_type)0;
  for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
    if (strcmp(m->full_name, wrappers[i].name) == 0) return wrappers[i].type;
  return (feast_pb_type)0;
}

bool feast_proto_is_timestamp(const feast_proto_message *m) {
  return m && strcmp(m->full_name, "google.protobuf.Timestamp") == 0;
}

bool feast_proto_is_map(const feast_proto_field *f) {
  return f->label == FEAST_PB_REPEATED && f->type == FEAST_PB_MESSAGE && f->message && f->message->map_entry;
}

feast_pb_type feast_proto_value_type(const feast_proto_field *f) {
  if (f->type == FEAST_PB_MESSAGE) {
    feast_pb_type w = feast_proto_wrapper_type(f->message);
    if (w) return w;
  }
  return f->type;
}

static bool scalar_fits(feast_value_type t, const feast_proto_field *f) {
  feast_pb_type p = feast_proto_value_type(f);
  switch (t) {
  case FEAST_VT_INT64:
    return p == FEAST_PB_INT64 || p == FEAST_PB_SINT64 || p == FEAST_PB_SFIXED64 || p == FEAST_PB_UINT32 ||
           p == FEAST_PB_FIXED32;
  case FEAST_VT_INT32: return p == FEAST_PB_INT32 || p == FEAST_PB_SINT32 || p == FEAST_PB_SFIXED32;
  case FEAST_VT_DOUBLE: return p == FEAST_PB_DOUBLE;
  case FEAST_VT_FLOAT: return p == FEAST_PB_FLOAT;
  case FEAST_VT_BOOL: return p == FEAST_PB_BOOL;
  case FEAST_VT_STRING: return p == FEAST_PB_STRING || p == FEAST_PB_ENUM;
  case FEAST_VT_BYTES: return p == FEAST_PB_BYTES;
  case FEAST_VT_UNIX_TIMESTAMP: return p == FEAST_PB_INT64 || (p == FEAST_PB_MESSAGE && feast_proto_is_timestamp(f->message));
  default: return false;
  }
}

bool feast_proto_field_fits(feast_value_type t, const feast_proto_field *f) {
  if (f->type == FEAST_PB_GROUP || feast_proto_is_map(f)) return false;
  bool repeated = f->label == FEAST_PB_REPEATED;
  if (feast_value_type_is_list(t)) return repeated && scalar_fits(feast_value_type_element(t), f);
  return !repeated && scalar_fits(t, f);
}

bool feast_proto_natural_dtype(const feast_proto_field *f, feast_dtype *elem, bool *list) {
  if (f->type == FEAST_PB_GROUP || feast_proto_is_map(f)) return false;
  *list = f->label == FEAST_PB_REPEATED;
  feast_dtype_id id;
  switch (feast_proto_value_type(f)) {
  case FEAST_PB_DOUBLE: id = FEAST_DT_DOUBLE; break;
  case FEAST_PB_FLOAT: id = FEAST_DT_FLOAT; break;
  case FEAST_PB_INT64:
  case FEAST_PB_SINT64:
  case FEAST_PB_SFIXED64: id = FEAST_DT_INT64; break;
  case FEAST_PB_UINT64:
  case FEAST_PB_FIXED64: id = FEAST_DT_UINT64; break;
  case FEAST_PB_INT32:
  case FEAST_PB_SINT32:
  case FEAST_PB_SFIXED32: id = FEAST_DT_INT32; break;
  case FEAST_PB_UINT32:
  case FEAST_PB_FIXED32: id = FEAST_DT_UINT32; break;
  case FEAST_PB_BOOL: id = FEAST_DT_BOOL; break;
  case FEAST_PB_STRING:
  case FEAST_PB_ENUM: id = FEAST_DT_STRING; break;
  case FEAST_PB_BYTES: id = FEAST_DT_BINARY; break;
  case FEAST_PB_MESSAGE:
    if (!feast_proto_is_timestamp(f->message)) return false;
    *elem = feast_dtype_timestamp(FEAST_UNIT_US, true);
    return true;
  default: return false;
  }
  *elem = feast_dtype_make(id);
  return true;
}

const char *feast_proto_expected_desc(feast_value_type t) {
  switch (feast_value_type_element(t)) {
  case FEAST_VT_INT64: return "int64/sint64/sfixed64/uint32/fixed32";
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
