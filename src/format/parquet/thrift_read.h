/*
 * thrift_read.h - a bounds-checked reader for the Thrift compact protocol,
 * the encoding of Parquet's footer and page headers. Every read checks the
 * remaining bytes; the first failure sticks in `bad` so callers can parse a
 * whole struct and test once. Nesting depth and list sizes are capped so a
 * hostile footer cannot exhaust the stack or memory.
 */
#ifndef FEAST_PARQUET_THRIFT_READ_H
#define FEAST_PARQUET_THRIFT_READ_H

#include <stddef.h>
#include <stdint.h>

enum {
  TC_STOP = 0,
  TC_TRUE = 1,
  TC_FALSE = 2,
  TC_I8 = 3,
  TC_I16 = 4,
  TC_I32 = 5,
  TC_I64 = 6,
  TC_DOUBLE = 7,
  TC_BINARY = 8,
  TC_LIST = 9,
  TC_SET = 10,
  TC_MAP = 11,
  TC_STRUCT = 12
};

#define TC_MAX_DEPTH 32

typedef struct tc_reader {
  const uint8_t *p, *end;
  int bad;          /* set on the first malformed or truncated read */
  const char *why;  /* static text describing the first failure */
  int depth;
} tc_reader;

typedef struct tc_field {
  int id;
  int type; /* TC_*; TC_STOP ends the struct */
  int bool_val;
} tc_field;

void tc_init(tc_reader *r, const uint8_t *p, size_t n);
void tc_fail(tc_reader *r, const char *why);
/* Per struct: call tc_struct_begin, then tc_next_field until TC_STOP, then tc_struct_end. */
void tc_struct_begin(tc_reader *r, int16_t *last_id);
int tc_next_field(tc_reader *r, int16_t *last_id, tc_field *f); /* 0 at STOP or error */
void tc_struct_end(tc_reader *r);
int64_t tc_i64(tc_reader *r);
int32_t tc_i32(tc_reader *r);
int tc_bool(tc_reader *r, const tc_field *f);
/* A binary/string: pointer into the input, valid while the input is. */
const uint8_t *tc_binary(tc_reader *r, uint32_t *len);
/* List header: element type and count (count capped by remaining bytes). */
int32_t tc_list_begin(tc_reader *r, int *elem_type);
/* Skip one value of `type` (recursively, depth-capped). */
void tc_skip(tc_reader *r, int type);
/* Read a field's value as an integer when its type is any integer type. */
int64_t tc_int_field(tc_reader *r, const tc_field *f);

#endif
