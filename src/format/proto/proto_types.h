/*
 * proto_types.h - which protobuf fields may fill which columns, for the
 * stream decoder's plan (proto_plan.c). The rules are proto_check.c's (the
 * apply-time check) with one addition the decoder needs, enums read as
 * STRING (the value's name); tests/unit/proto_decode_test.c holds the two
 * tables side by side so that they cannot drift apart unnoticed.
 *
 *   INT64  <- int64, sint64, sfixed64, uint32, fixed32 (all fit)
 *   INT32  <- int32, sint32, sfixed32
 *   DOUBLE <- double   FLOAT <- float   BOOL <- bool   BYTES <- bytes
 *   STRING <- string, enum (the value's name)
 *   UNIX_TIMESTAMP <- google.protobuf.Timestamp or int64
 *   X_LIST <- repeated X (map fields never)
 * The google.protobuf wrappers (Int64Value, ...) count as their scalar.
 * With no Feast type (FEAST_VT_INVALID) a field fills a column of its own
 * kind, uint64/fixed64 included: see feast_proto_natural_dtype.
 */
#ifndef FEAST_FORMAT_PROTO_PROTO_TYPES_H
#define FEAST_FORMAT_PROTO_PROTO_TYPES_H

#include <stdbool.h>

#include "feast/types.h"
#include "format/proto/descriptor.h"

/* The scalar type a google.protobuf wrapper (DoubleValue ... BytesValue)
 * holds in its field 1, or 0 when m is not one of them. */
feast_pb_type feast_proto_wrapper_type(const feast_proto_message *m);
bool feast_proto_is_timestamp(const feast_proto_message *m);
/* A map<K, V> field (a repeated synthesized entry message). */
bool feast_proto_is_map(const feast_proto_field *f);

/* The type one value of f carries: the wrapped scalar for a wrapper, else
 * f->type (MESSAGE for Timestamp and other messages). */
feast_pb_type feast_proto_value_type(const feast_proto_field *f);

/* Can field f fill a column of Feast type t? Lists need a repeated field
 * (not a map), scalars a singular one. */
bool feast_proto_field_fits(feast_value_type t, const feast_proto_field *f);

/* The column type f fills when no Feast type is asked for: its own kind
 * (int32 -> int32, uint64 -> uint64, enum -> string, Timestamp ->
 * timestamp[us, UTC], a wrapper -> its scalar). *elem gets the element type
 * and *list whether the column is a LIST of it. False for messages that are
 * none of these, groups and maps. */
bool feast_proto_natural_dtype(const feast_proto_field *f, feast_dtype *elem, bool *list);

/* "int64/sint64/sfixed64/uint32/fixed32" and so on, for error messages. */
const char *feast_proto_expected_desc(feast_value_type t);

#endif
