/*
 * avro_plan.h - a writer schema, a reader schema and the columns wanted
 * from the reader schema, compiled once into a flat decoding plan: an
 * array of instructions in the writer's byte order (read a long and store
 * it into column 3; skip a string; branch on a union index; loop over an
 * array's blocks...). Decoding a message then runs the instructions over
 * its bytes (avro_decode.h): no schema walk, no name lookup and no generic
 * datum per message.
 *
 * Columns are dotted paths in the reader schema (the field-mapped source
 * column names: "loc.city" reaches field city of the record in field loc,
 * which may be nullable), each with the column type wanted. What a reader
 * type can be stored as (feast_avro_storable):
 *   boolean -> bool; int -> int32, int64; int (date) -> date32, int32,
 *   int64, timestamp (midnight UTC); long -> int64, timestamp (the
 *   timestamp logical types give the unit; a plain long is microseconds);
 *   float -> float, double; double -> double; string, enum (its symbol) ->
 *   string; bytes -> binary; fixed(n) -> binary, fixed_binary(n);
 *   array<T> -> list<T's column type>; null -> any (always null); a union
 *   -> whatever every non-null branch can be stored as, null when a datum
 *   takes a null branch. Records are reached through their fields; maps
 *   are refused as columns (a map the reader does not ask for is skipped).
 * Timestamps convert to the column's unit rounding toward minus infinity
 * (nanos to micros: floor division); out of int64 range is a per-datum error.
 */
#ifndef FEAST_FORMAT_AVRO_AVRO_PLAN_H
#define FEAST_FORMAT_AVRO_AVRO_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feast/error.h"
#include "feast/types.h"
#include "format/avro/avro_schema.h"

typedef struct feast_avro_column {
  const char *path;  /* dotted path in the reader schema; also the column's name */
  feast_dtype type;  /* column type */
  feast_dtype child; /* element type when type is LIST */
} feast_avro_column;

/* Whether values of reader type r can be stored in a column of `type`
 * (child: its element type for LIST). On false, why says what fits. */
bool feast_avro_storable(const feast_avro_node *r, feast_dtype type, feast_dtype child, char *why, size_t size);

typedef struct feast_avro_plan feast_avro_plan;

/* Compile. writer and reader are root types (records); they may be the
 * same node for data written with the reader's schema. The schemas must
 * outlive the plan (it points at enum symbols). Fails with FEAST_E_SCHEMA
 * when a column is not in the reader schema, cannot hold its type, or the
 * schemas do not resolve (avro_resolve.h), naming the column and field;
 * FEAST_E_INVALID for a default that does not fit its type or a column
 * asked for twice; FEAST_E_TOO_BIG past the instruction limit. The caller
 * owns *out and frees it with feast_avro_plan_free. */
feast_code feast_avro_plan_compile(const feast_avro_node *writer, const feast_avro_node *reader,
                                   const feast_avro_column *cols, size_t n_cols, feast_avro_plan **out,
                                   feast_error *err);
void feast_avro_plan_free(feast_avro_plan *p); /* accepts NULL */

/* Instructions and constants, for tests and a disassembly in messages. */
size_t feast_avro_plan_size(const feast_avro_plan *p);

/* ---- the instruction set (read by avro_decode.c) ---- */

typedef enum feast_avro_op {
  FEAST_AOP_END = 0, /* return from the (sub)program */
  FEAST_AOP_JUMP,    /* pc = arg */
  FEAST_AOP_FAIL,    /* the datum cannot be read: message strings[arg] */
  FEAST_AOP_SKIP_INT,   /* a zigzag varint of at most 32 bits */
  FEAST_AOP_SKIP_LONG,  /* a zigzag varint of at most 64 bits */
  FEAST_AOP_SKIP_FIXED, /* arg bytes (boolean, float, double, fixed) */
  FEAST_AOP_SKIP_BYTES, /* a length and that many bytes (bytes, string) */
  FEAST_AOP_UNION,      /* read a branch index; pc = jumps[arg + index], arg2 branches */
  FEAST_AOP_ARRAY,      /* blocks of items, each running the body at pc + 1 up to its END; then pc = arg;
                           slot: the list column, or FEAST_AVRO_NO_SLOT when skipped; arg2: least bytes
                           an item takes; flags & FEAST_AFLAG_MAP: a map (a string key before each item) */
  FEAST_AOP_NULL,       /* store null */
  FEAST_AOP_CONST,      /* store consts[arg] (a default) */
  FEAST_AOP_INT_I32,    /* writer int -> int32 (or date32) column */
  FEAST_AOP_INT_I64,
  FEAST_AOP_LONG_I64,
  FEAST_AOP_INT_TS,     /* writer int -> timestamp, scaled by scales[arg] */
  FEAST_AOP_LONG_TS,
  FEAST_AOP_INT_F32,
  FEAST_AOP_LONG_F32,
  FEAST_AOP_INT_F64,
  FEAST_AOP_LONG_F64,
  FEAST_AOP_INT_F64_VIA_F32, /* reader float, double column: rounded to float first */
  FEAST_AOP_LONG_F64_VIA_F32,
  FEAST_AOP_FLOAT_F32,
  FEAST_AOP_FLOAT_F64,
  FEAST_AOP_DOUBLE_F64,
  FEAST_AOP_BOOL,
  FEAST_AOP_STRING,   /* length-prefixed, checked to be UTF-8 -> string column */
  FEAST_AOP_BYTES,    /* length-prefixed -> binary column */
  FEAST_AOP_FIXED_VAR, /* arg bytes -> binary column */
  FEAST_AOP_FIXED_FB,  /* arg bytes -> fixed_binary column */
  FEAST_AOP_ENUM       /* writer enum index -> reader symbol, string column; enums[arg] */
} feast_avro_op;

#define FEAST_AVRO_NO_SLOT UINT32_MAX
#define FEAST_AFLAG_MAP 1

typedef struct feast_avro_ins {
  uint8_t op;
  uint8_t flags;
  uint16_t unused;
  uint32_t slot; /* column slot stored into (see feast_avro_plan.slot_parent) */
  uint32_t arg;
  uint32_t arg2;
  uint32_t path; /* strings[path]: the writer field path, for messages */
} feast_avro_ins;

typedef struct feast_avro_scale {
  int64_t mul, div; /* value * mul, or floor(value / div); one of them is 1 */
} feast_avro_scale;

typedef struct feast_avro_enum_map {
  uint32_t n_writer;         /* writer symbols */
  const int32_t *to_reader;  /* writer index -> reader symbol index, or -1 */
  const char *const *symbols; /* the reader's */
  const uint32_t *lens;
  const char *const *writer_symbols; /* for messages */
} feast_avro_enum_map;

typedef enum feast_avro_const_kind {
  FEAST_ACONST_NULL = 0,
  FEAST_ACONST_BOOL,
  FEAST_ACONST_INT,
  FEAST_ACONST_DOUBLE,
  FEAST_ACONST_BYTES,
  FEAST_ACONST_LIST
} feast_avro_const_kind;

typedef struct feast_avro_const feast_avro_const;
struct feast_avro_const {
  feast_avro_const_kind kind;
  int64_t i; /* BOOL, INT (already in the column's unit) */
  double d;
  const uint8_t *bytes;
  size_t len;                    /* BYTES: bytes; LIST: items */
  const feast_avro_const *items; /* LIST */
};

struct feast_avro_plan {
  feast_arena *arena; /* everything below */
  const feast_avro_ins *code;
  size_t n_code;
  const uint32_t *jumps;
  const feast_avro_scale *scales;
  const feast_avro_enum_map *enums;
  const feast_avro_const *consts;
  const char *const *strings; /* field paths and failure messages */
  size_t n_columns;
  feast_avro_column *columns; /* copies (paths owned by the arena) */
  size_t n_slots;             /* n_columns, then one per list column for its elements */
  const int32_t *slot_parent; /* slot -> -1 for a column, else the list column whose child it is */
};

#endif
