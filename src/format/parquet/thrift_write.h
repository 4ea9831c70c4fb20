/*
 * thrift_write.h - a Thrift compact-protocol encoder, just enough for the
 * Parquet writer's page headers and footer. It appends to a feast_buf and
 * tracks field ids per nesting level (the compact protocol encodes field
 * ids as deltas). Errors are sticky: after the first failed append every
 * call is a no-op and tw_finish() returns that error, so encoding code can
 * be written as a straight sequence of calls.
 */
#ifndef FEAST_PARQUET_THRIFT_WRITE_H
#define FEAST_PARQUET_THRIFT_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "feast/error.h"

/* Compact-protocol element types. */
enum tw_type {
  TW_BOOL_TRUE = 1,
  TW_BOOL_FALSE = 2,
  TW_BYTE = 3,
  TW_I16 = 4,
  TW_I32 = 5,
  TW_I64 = 6,
  TW_DOUBLE = 7,
  TW_BINARY = 8,
  TW_LIST = 9,
  TW_SET = 10,
  TW_MAP = 11,
  TW_STRUCT = 12
};

#define TW_MAX_DEPTH 16

typedef struct tw {
  feast_buf *out;
  feast_error *err;
  feast_code rc;
  int depth;
  int16_t last_id[TW_MAX_DEPTH];
} tw;

void tw_init(tw *w, feast_buf *out, feast_error *err);
/* Begin/end a struct: the outermost message, or a list element of struct type. */
void tw_struct_begin(tw *w);
void tw_struct_end(tw *w);
/* Fields of the current struct, in increasing id order. */
void tw_field_i32(tw *w, int16_t id, int32_t v);
void tw_field_i64(tw *w, int16_t id, int64_t v);
void tw_field_i8(tw *w, int16_t id, int8_t v);
void tw_field_bool(tw *w, int16_t id, bool v);
void tw_field_binary(tw *w, int16_t id, const void *p, size_t n);
void tw_field_string(tw *w, int16_t id, const char *s);
/* A struct-valued field: follow with its fields and tw_struct_end. */
void tw_field_struct_begin(tw *w, int16_t id);
/* A list field header; then write `n` elements of `elem_type`. */
void tw_field_list_begin(tw *w, int16_t id, int elem_type, int32_t n);
/* Raw bytes, e.g. a struct serialized separately as a list element. */
void tw_raw(tw *w, const void *p, size_t n);
/* List elements. */
void tw_elem_i32(tw *w, int32_t v);
void tw_elem_string(tw *w, const char *s);
/* Raw encoders (exposed for tests). */
void tw_varint(tw *w, uint64_t v);
static inline uint64_t tw_zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
/* FEAST_OK or the first error. */
feast_code tw_finish(tw *w);

#endif
