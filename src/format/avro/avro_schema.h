/*
 * avro_schema.h - Avro schemas (the JSON form of the Avro 1.11
 * specification) parsed into an immutable node graph.
 *
 * Our own parser rather than avro-c's because avro-c 1.11 drops logical
 * types (timestamp-millis/-micros/-nanos, date), which decide how a long or
 * an int becomes a timestamp column. The JSON is read by the project's one
 * JSON reader (format/json/json_reader.h), so its limits and its
 * line:column messages apply.
 *
 * What parses: every primitive, record (and "error"), enum (with its
 * default), array, map, union, fixed, named-type references with
 * namespaces (a short name is looked up in the enclosing namespace, then
 * in the null namespace, as the Java implementation does), aliases, field
 * defaults (kept as JSON, checked when a default is used), and the logical
 * types date, timestamp-millis/-micros/-nanos and
 * local-timestamp-millis/-micros/-nanos. Unknown logical types, and known
 * ones on the wrong base type, are ignored, as the specification says.
 *
 * What is refused, with the field path and line:column: recursive types (a
 * named type used inside its own definition), invalid names, duplicate
 * field names, enum symbols or union branches, unions directly inside
 * unions, redefined names, unknown type names, and schemas past the
 * limits (nesting depth, node count, JSON size).
 */
#ifndef FEAST_FORMAT_AVRO_AVRO_SCHEMA_H
#define FEAST_FORMAT_AVRO_AVRO_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "feast/error.h"
#include "format/json/json_reader.h"

typedef enum feast_avro_kind {
  FEAST_AVRO_NULL = 0,
  FEAST_AVRO_BOOLEAN,
  FEAST_AVRO_INT,
  FEAST_AVRO_LONG,
  FEAST_AVRO_FLOAT,
  FEAST_AVRO_DOUBLE,
  FEAST_AVRO_BYTES,
  FEAST_AVRO_STRING,
  FEAST_AVRO_RECORD,
  FEAST_AVRO_ENUM,
  FEAST_AVRO_ARRAY,
  FEAST_AVRO_MAP,
  FEAST_AVRO_UNION,
  FEAST_AVRO_FIXED
} feast_avro_kind;

typedef enum feast_avro_logical {
  FEAST_AVRO_LT_NONE = 0,
  FEAST_AVRO_LT_DATE,             /* int: days since 1970-01-01 */
  FEAST_AVRO_LT_TIMESTAMP_MILLIS, /* long: ms since the epoch, UTC */
  FEAST_AVRO_LT_TIMESTAMP_MICROS,
  FEAST_AVRO_LT_TIMESTAMP_NANOS,
  FEAST_AVRO_LT_LOCAL_MILLIS, /* long: local-timestamp-*, no zone (read as UTC) */
  FEAST_AVRO_LT_LOCAL_MICROS,
  FEAST_AVRO_LT_LOCAL_NANOS
} feast_avro_logical;

typedef struct feast_avro_node feast_avro_node;

typedef struct feast_avro_field {
  const char *name;
  const char *const *aliases; /* n_aliases names the writer may use for this field */
  size_t n_aliases;
  const feast_avro_node *type;
  const feast_json_value *default_value; /* NULL: no default ("default": null is a NULL-kind value) */
  size_t offset;                         /* of the field's JSON object, for messages */
} feast_avro_field;

struct feast_avro_node {
  feast_avro_kind kind;
  feast_avro_logical logical; /* INT and LONG only */
  const char *fullname;       /* RECORD, ENUM, FIXED: "ns.Name" (or "Name" in the null namespace) */
  const char *name;           /* the unqualified name */
  const char *const *aliases; /* fullnames */
  size_t n_aliases;
  size_t n; /* RECORD: fields; ENUM: symbols; UNION: branches */
  const feast_avro_field *fields;
  const char *const *symbols;
  int enum_default; /* ENUM: index of the default symbol, -1 when none */
  const feast_avro_node *const *branches;
  const feast_avro_node *items; /* ARRAY: items; MAP: values */
  int32_t size;                 /* FIXED: bytes */
};

typedef struct feast_avro_limits {
  int max_depth;    /* nested records, arrays, maps and unions; 0 = 32 */
  size_t max_nodes; /* types and fields in the schema; 0 = 20000 */
  size_t max_json;  /* bytes of schema JSON; 0 = 4 MiB */
} feast_avro_limits;

typedef struct feast_avro_schema {
  feast_arena *arena; /* owns the nodes, names and the JSON tree of defaults */
  const feast_avro_node *root;
  size_t n_nodes;
} feast_avro_schema;

/* Parse `len` bytes of schema JSON. `name` (borrowed, for messages) names
 * the document ("schema_json", "schema id 7"). limits may be NULL. Errors:
 * FEAST_E_CORRUPT for JSON that does not parse, FEAST_E_INVALID for JSON
 * that is not a valid schema, FEAST_E_UNSUPPORTED for recursive types,
 * FEAST_E_TOO_BIG past a limit. The caller owns *out and frees it with
 * feast_avro_schema_free. */
feast_code feast_avro_schema_parse(const char *json, size_t len, const char *name, const feast_avro_limits *limits,
                                   feast_avro_schema **out, feast_error *err);
void feast_avro_schema_free(feast_avro_schema *s); /* accepts NULL */

/* "long", "record", "union"... Never NULL. */
const char *feast_avro_kind_name(feast_avro_kind k);
/* "timestamp-millis"..., "" for none. */
const char *feast_avro_logical_name(feast_avro_logical lt);

/* A short description for messages, as the schema would be written:
 * "long", "long (timestamp-micros)", "record Loc", "array<double>",
 * "[null, float]". Writes into buf (always NUL-terminated); returns buf. */
const char *feast_avro_describe(const feast_avro_node *n, char *buf, size_t size);

/* [null, T] or [T, null] -> T; anything else unchanged. */
const feast_avro_node *feast_avro_unwrap_nullable(const feast_avro_node *n);
/* True for a union with a null branch. */
bool feast_avro_is_nullable(const feast_avro_node *n);

/* The field called `name` in a record, or NULL. */
const feast_avro_field *feast_avro_record_field(const feast_avro_node *record, const char *name, size_t len);

/* Follow a dotted path ("loc.city") from a record through nested records,
 * each of which may be nullable ([null, record]). Returns the last field,
 * or NULL with the reason in why ("no field 'nope' in record Loc"). */
const feast_avro_field *feast_avro_find_path(const feast_avro_node *record, const char *path, char *why, size_t size);

#endif
