/*
 * descriptor.h - a protobuf schema model read from a FileDescriptorSet
 * (`protoc --descriptor_set_out=X --include_imports`), with no generated
 * code: the few descriptor.proto messages needed are decoded by hand with
 * wire.h. Message and field lookups serve the schema check of stream
 * sources now and the dynamic decoding of stream messages later.
 *
 * Every pointer handed out (messages, fields, names) is owned by the pool
 * and valid until feast_proto_pool_free.
 */
#ifndef FEAST_FORMAT_PROTO_DESCRIPTOR_H
#define FEAST_FORMAT_PROTO_DESCRIPTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feast/error.h"

/* FieldDescriptorProto.Type numbering. */
typedef enum feast_pb_type {
  FEAST_PB_DOUBLE = 1,
  FEAST_PB_FLOAT = 2,
  FEAST_PB_INT64 = 3,
  FEAST_PB_UINT64 = 4,
  FEAST_PB_INT32 = 5,
  FEAST_PB_FIXED64 = 6,
  FEAST_PB_FIXED32 = 7,
  FEAST_PB_BOOL = 8,
  FEAST_PB_STRING = 9,
  FEAST_PB_GROUP = 10,
  FEAST_PB_MESSAGE = 11,
  FEAST_PB_BYTES = 12,
  FEAST_PB_UINT32 = 13,
  FEAST_PB_ENUM = 14,
  FEAST_PB_SFIXED32 = 15,
  FEAST_PB_SFIXED64 = 16,
  FEAST_PB_SINT32 = 17,
  FEAST_PB_SINT64 = 18
} feast_pb_type;

typedef enum feast_pb_label { FEAST_PB_OPTIONAL = 1, FEAST_PB_REQUIRED = 2, FEAST_PB_REPEATED = 3 } feast_pb_label;

typedef struct feast_proto_message feast_proto_message;
typedef struct feast_proto_enum feast_proto_enum;

typedef struct feast_proto_field {
  const char *name;
  int32_t number;
  feast_pb_label label;
  feast_pb_type type;
  const char *type_name;              /* MESSAGE/GROUP/ENUM: full name without the leading dot */
  const feast_proto_message *message; /* MESSAGE/GROUP, resolved */
  const feast_proto_enum *enum_type;  /* ENUM, resolved */
  bool packed;                        /* [packed=true] given; proto3 packs repeated scalars by default */
  int32_t oneof_index;                /* -1 when not in a oneof */
} feast_proto_field;

struct feast_proto_message {
  const char *full_name; /* "feast.test.DriverTrip" */
  const char *name;      /* "DriverTrip" */
  const char *file;      /* the .proto it was declared in */
  bool proto3;
  bool map_entry; /* a synthesized map<K,V> entry message */
  size_t n_fields;
  feast_proto_field *fields;
};

struct feast_proto_enum {
  const char *full_name;
  size_t n_values;
  const char **value_names;
  int32_t *value_numbers;
};

typedef struct feast_proto_pool feast_proto_pool;

/* Decode a serialized FileDescriptorSet. Fails with FEAST_E_CORRUPT on bad
 * bytes, or when a field names a type the set does not hold (a set built
 * without --include_imports). */
feast_code feast_proto_pool_parse(const uint8_t *data, size_t len, feast_proto_pool **out, feast_error *err);
/* Read and decode a descriptor set file (up to 64 MiB). */
feast_code feast_proto_pool_load(const char *path, feast_proto_pool **out, feast_error *err);
void feast_proto_pool_free(feast_proto_pool *pool);

size_t feast_proto_pool_message_count(const feast_proto_pool *pool);
const feast_proto_message *feast_proto_pool_message_at(const feast_proto_pool *pool, size_t i);
/* By full name ("pkg.Msg"; a leading dot is ignored), or NULL. */
const feast_proto_message *feast_proto_pool_message(const feast_proto_pool *pool, const char *full_name);

/* Resolve a Feast class_path. The exact full name wins. Otherwise it is read
 * as a Java class name ('$' separates nested classes, and the Java package
 * and outer class need not match the proto package): the message whose full
 * name shares the longest run of trailing dotted components with it (at
 * least its own name) is taken, if exactly one does. */
feast_code feast_proto_pool_resolve(const feast_proto_pool *pool, const char *class_path,
                                    const feast_proto_message **out, feast_error *err);

const feast_proto_field *feast_proto_message_field(const feast_proto_message *m, const char *name);
const feast_proto_field *feast_proto_message_field_by_number(const feast_proto_message *m, int32_t number);

/* "int64", "string", "message", ...; "unknown" otherwise. */
const char *feast_pb_type_name(feast_pb_type t);

#endif
