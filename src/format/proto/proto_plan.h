/*
 * proto_plan.h - a decoding plan for one protobuf message type, compiled
 * once from a descriptor set, the message's full name (a source's
 * ProtoFormat.class_path) and the columns wanted (dotted paths into nested
 * messages, each with the Feast type its column must hold). Decoding with it
 * (proto_decode.h) needs no name lookups and builds no message tree: each
 * message on a wanted path gets a table from field key (number and wire
 * type) to an action, and each wanted column a leaf that says how its value
 * is kept and written.
 *
 * The plan copies what it needs (names, enum values): the pool may be freed
 * after compiling. A plan is immutable, so threads may share one.
 */
#ifndef FEAST_FORMAT_PROTO_PROTO_PLAN_H
#define FEAST_FORMAT_PROTO_PROTO_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feast/array.h"
#include "format/proto/descriptor.h"
#include "format/spec/source_columns.h"

typedef struct feast_proto_plan_options {
  /* Unit of int64 (and Int64Value) fields read into timestamp columns;
   * zero-initialized: seconds, as Feast's UNIX_TIMESTAMP values are. */
  feast_time_unit int64_ts_unit;
} feast_proto_plan_options;

typedef struct feast_proto_plan feast_proto_plan;

/* Compile a plan. cols[i].column is the dotted path (the field-mapped source
 * column) and cols[i].type the Feast type wanted (UNIX_TIMESTAMP for the
 * event/created timestamp columns; FEAST_VT_INVALID for the field's own
 * kind, see proto_types.h). role and name only label error messages. The
 * same path asked twice with one type gives one column. opts may be NULL.
 *
 * Fails with FEAST_E_NOT_FOUND / FEAST_E_INVALID when class_path resolves to
 * no or several messages, FEAST_E_SCHEMA listing every bad column (one line
 * each: missing field, incompatible type, a path through a repeated field),
 * and FEAST_E_UNSUPPORTED when the only problems are map or group fields.
 * The caller owns *out and frees it with feast_proto_plan_free. */
feast_code feast_proto_plan_compile(const feast_proto_pool *pool, const char *class_path, const feast_column_req *cols,
                                    size_t n, const feast_proto_plan_options *opts, feast_proto_plan **out,
                                    feast_error *err);
void feast_proto_plan_free(feast_proto_plan *plan); /* accepts NULL */

/* The message's full name. Owned by the plan. */
const char *feast_proto_plan_message(const feast_proto_plan *plan);
int feast_proto_plan_column_count(const feast_proto_plan *plan);
/* Column i's name (its path), owned by the plan. */
const char *feast_proto_plan_column_name(const feast_proto_plan *plan, int i);
/* Column i's type; for a LIST, *elem gets the element type (else it is
 * set to the column type). */
feast_dtype feast_proto_plan_column_dtype(const feast_proto_plan *plan, int i, feast_dtype *elem);
/* Column i's number in the plan's compile-time request: the index of the
 * first cols[] entry that asked for it. */
size_t feast_proto_plan_column_request(const feast_proto_plan *plan, int i);

/* An empty batch with the plan's columns, in order; the caller owns it. */
feast_code feast_proto_plan_batch_new(const feast_proto_plan *plan, feast_batch **out, feast_error *err);

/* ---- the layout proto_decode.c reads (not for other modules) ---- */

/* What a field key leads to. The first four are dispatch sentinels. */
enum {
  FEAST_POP_SKIP = 0,      /* a field the plan does not read: skip its value */
  FEAST_POP_BAD_WIRE = 1,  /* a wanted field with a wire type its type never has */
  FEAST_POP_FIELD0 = 2,    /* field number 0, or wire type 6 or 7 */
  FEAST_POP_END_GROUP = 3, /* an end-group key with no group open */
  FEAST_POP_VARINT,        /* value (or one element) of a varint type */
  FEAST_POP_FIXED32,
  FEAST_POP_FIXED64,
  FEAST_POP_PACKED,    /* a packed run of a repeated scalar: elements of wire type `wire` */
  FEAST_POP_BYTES,     /* string or bytes (utf8 says which) */
  FEAST_POP_TIMESTAMP, /* a google.protobuf.Timestamp */
  FEAST_POP_WRAPPER,   /* a google.protobuf.XValue; its field 1 has wire type `wire` */
  FEAST_POP_MESSAGE,   /* a nested message on a wanted path: target is its node */
  FEAST_POP_ONEOF      /* an unwanted member of a oneof with wanted members: sets the case */
};

/* How a wire integer becomes the 64 bits a leaf keeps. */
enum {
  FEAST_PCONV_RAW = 0, /* int64, uint64, fixed64, sfixed64, double bits */
  FEAST_PCONV_I32,     /* int32, sfixed32, enum: the low 32 bits, sign-extended */
  FEAST_PCONV_U32,     /* uint32, fixed32: the low 32 bits */
  FEAST_PCONV_BOOL,    /* any non-zero value is true */
  FEAST_PCONV_ZZ32,    /* sint32 */
  FEAST_PCONV_ZZ64     /* sint64 */
};

typedef struct feast_proto_action { /* 16 bytes: the decoding loop indexes these */
  uint8_t op;       /* FEAST_POP_* */
  uint8_t conv;     /* FEAST_PCONV_* for integer values */
  uint8_t wire;     /* PACKED: element wire type; WRAPPER: wire type of its value */
  uint8_t repeated; /* append to the leaf's list instead of keeping one value */
  uint8_t utf8;     /* BYTES (and string wrappers): validate as UTF-8 */
  uint8_t fast;     /* FEAST_PFAST_*: handled inline by the decoding loop; 0 = the general path */
  int16_t oneof;    /* index of the row's oneof case this field sets, -1 none */
  uint16_t target;  /* leaf index, or node index for MESSAGE */
  uint8_t direct;   /* a singular fixed-width leaf's value width in its column: 8, 4, 1 (bit); 0 = kept aside */
  uint8_t pad;
  uint32_t field;   /* field number */
} feast_proto_action;

/* The common cases, a singular field outside any oneof, that the decoding
 * loop takes inline without the general dispatch (see proto_decode.c). */
enum {
  FEAST_PFAST_NONE = 0,
  FEAST_PFAST_VARINT_RAW, /* int64, uint64 */
  FEAST_PFAST_VARINT_I32, /* int32, enum */
  FEAST_PFAST_VARINT_BOOL,
  FEAST_PFAST_FIXED32, /* float, fixed32 */
  FEAST_PFAST_FIXED64, /* double, fixed64, sfixed64 */
  FEAST_PFAST_BYTES,   /* string (utf8 set) or bytes */
  FEAST_PFAST_TIMESTAMP
};

typedef struct feast_proto_sparse {
  uint32_t key; /* (field << 3) | wire type, for keys past the dense table */
  uint16_t action;
} feast_proto_sparse;

typedef struct feast_proto_node {
  const char *message; /* full name */
  const char *path;    /* "" for the top message, "loc" for a nested one */
  int parent;          /* -1 for the top */
  uint32_t key_limit;  /* dispatch covers keys below this */
  uint16_t *dispatch;  /* key -> index into actions */
  size_t n_sparse;     /* sorted by key */
  feast_proto_sparse *sparse;
  feast_proto_action *actions; /* [0..3] are the sentinels */
  size_t n_actions;
  /* The subtree (this node and every node below it) in depth-first order
   * is nodes [node_begin, node_end), leaves [leaf_begin, leaf_end), oneof
   * cases [oneof_begin, oneof_end): clearing a oneof member clears a range. */
  int node_begin, node_end, leaf_begin, leaf_end, oneof_begin, oneof_end;
} feast_proto_node;

/* How a leaf's value is written into its column. */
enum {
  FEAST_PSTORE_W8 = 0, /* 8-byte values */
  FEAST_PSTORE_W4,     /* 4-byte values */
  FEAST_PSTORE_BIT,    /* BOOL bitmap */
  FEAST_PSTORE_VAR,    /* string or binary bytes */
  FEAST_PSTORE_ENUM,   /* enum number -> name */
  FEAST_PSTORE_TS,     /* Timestamp seconds + nanos -> microseconds */
  FEAST_PSTORE_TS_INT, /* int64 in the plan's unit -> microseconds */
  FEAST_PSTORE_LIST    /* elements appended while decoding; elem_store says how */
};

typedef struct feast_proto_enum_names {
  int32_t min, max;      /* dense: names[number - min] for number in [min, max] */
  const char **names;    /* NULL where no value has that number */
  uint32_t *lens;
  size_t n_sparse;       /* values too far apart for the dense table, sorted */
  int32_t *sparse_numbers;
  const char **sparse_names;
  const char *default_name; /* the value numbered 0, else the first declared */
} feast_proto_enum_names;

typedef struct feast_proto_leaf {
  const char *path;  /* "loc.lat" */
  int column;        /* column index in the batch */
  int node;          /* the message node holding the field */
  uint8_t store;     /* FEAST_PSTORE_* */
  uint8_t elem_store;
  uint8_t nullable;  /* explicit presence (proto2, optional, oneof, messages): unset is null */
  int64_t ts_mul, ts_div; /* TS_INT: microseconds = v * ts_mul / ts_div */
  const feast_proto_enum_names *enums; /* ENUM */
} feast_proto_leaf;

struct feast_proto_plan {
  struct feast_arena *arena;
  const char *message;
  int n_nodes, n_leaves, n_oneofs;
  feast_proto_node *nodes; /* [0] is the top message; depth-first order */
  feast_proto_leaf *leaves; /* depth-first order */
  int *oneof_members_n;     /* per oneof case: number of members that clear something */
  struct feast_proto_oneof_member {
    uint32_t field;
    int leaf; /* >= 0: a leaf to clear */
    int node; /* >= 0: a node subtree to clear */
  } **oneof_members;
  int n_columns;
  const char **column_names;
  feast_dtype *column_types, *column_elems;
  size_t *column_request;
  int *column_leaf; /* column -> leaf */
  uint16_t *list_leaves; /* leaves that are lists, for the roll-back of a bad message */
  int n_list_leaves;
  int max_depth;
};

#endif
