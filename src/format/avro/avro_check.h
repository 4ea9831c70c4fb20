/*
 * avro_check.h - Avro record schemas (a stream's schema_json) against what
 * a feature table needs (source_columns.h), through the project's own
 * schema parser (avro_schema.h), which keeps logical types.
 */
#ifndef FEAST_FORMAT_AVRO_AVRO_CHECK_H
#define FEAST_FORMAT_AVRO_AVRO_CHECK_H

#include "feast/error.h"
#include "format/spec/source_columns.h"

/* FEAST_OK when json parses as an Avro schema whose top level is a record;
 * else FEAST_E_INVALID with the parser's reason
 * (line, column and field path). */
feast_code feast_avro_check_record_schema(const char *json, feast_error *err);

/* Every required column must be a field (dotted paths reach into nested
 * records) of a compatible type. On mismatch returns FEAST_E_SCHEMA with
 * one line per offending column, naming the expected and found types. */
feast_code feast_avro_check_columns(const char *json, const feast_column_req *reqs, size_t n, feast_error *err);

#endif
