/*
 * proto_check.h - a protobuf message type (from a descriptor set) against
 * what a feature table needs (source_columns.h).
 */
#ifndef FEAST_FORMAT_PROTO_PROTO_CHECK_H
#define FEAST_FORMAT_PROTO_PROTO_CHECK_H

#include "format/proto/descriptor.h"
#include "format/spec/source_columns.h"

/* Every required column must be a field (dotted paths reach into nested
 * singular messages) of a compatible type; FEAST_E_SCHEMA lists every
 * offending column, one per line. */
feast_code feast_proto_check_columns(const feast_proto_message *m, const feast_column_req *reqs, size_t n,
                                     feast_error *err);

#endif
