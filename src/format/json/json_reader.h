/*
 * json_reader.h - the one JSON reader of libfeast: everything that takes
 * JSON from outside (Avro schemas, cloud API responses, credentials files,
 * HTTP request bodies, the SDK's requests) reads it here.
 *
 * Two ways in, over one tokenizer:
 *   - a pull reader (feast_json_next) that hands out one token at a time and
 *     builds nothing, for large documents and hot paths;
 *   - feast_json_parse, a tree in an arena, for small documents read whole.
 *
 * Input is strict RFC 8259 JSON in UTF-8: no comments, no trailing commas,
 * no NaN; invalid UTF-8, raw control characters and lone surrogates are
 * errors. Nesting depth, input size and string length are capped
 * (feast_json_limits); hitting a cap is FEAST_E_TOO_BIG, bad syntax
 * FEAST_E_CORRUPT, and every message names the document, line and column.
 */
#ifndef FEAST_FORMAT_JSON_READER_H
#define FEAST_FORMAT_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "feast/error.h"

#define FEAST_JSON_MAX_DEPTH 512 /* the most a reader can be configured for */

typedef struct feast_json_limits {
  int max_depth;     /* containers open at once; 0 = 64 */
  size_t max_input;  /* bytes of the whole document; 0 = 64 MiB */
  size_t max_string; /* bytes of one unescaped string or number; 0 = max_input */
} feast_json_limits;

typedef enum feast_json_kind {
  FEAST_JSON_END = 0, /* the document is complete; nothing follows */
  FEAST_JSON_NULL,
  FEAST_JSON_FALSE,
  FEAST_JSON_TRUE,
  FEAST_JSON_NUMBER, /* str/len: its text, as written */
  FEAST_JSON_STRING, /* str/len: unescaped UTF-8 (may contain NUL bytes) */
  FEAST_JSON_KEY,    /* an object member's name (unescaped); its value is the next token */
  FEAST_JSON_OBJECT, /* '{' */
  FEAST_JSON_OBJECT_END,
  FEAST_JSON_ARRAY, /* '[' */
  FEAST_JSON_ARRAY_END
} feast_json_kind;

typedef struct feast_json_token {
  feast_json_kind kind;
  /* Borrowed: valid until the next call on the reader. NUL-terminated. */
  const char *str;
  size_t len;
  size_t offset; /* byte offset of the token in the input */
} feast_json_token;

typedef struct feast_json_reader {
  /* private */
  const char *name;
  const uint8_t *begin, *p, *end;
  int depth, max_depth;
  size_t max_string;
  int state;
  bool done;
  uint8_t in_object[FEAST_JSON_MAX_DEPTH]; /* per open container: 1 = object */
  feast_buf scratch;                       /* unescaped strings */
} feast_json_reader;

/* Read `len` bytes at `data` (not copied: they must outlive the reader).
 * `name` (borrowed, for messages) names the document, e.g. "schema_json of
 * table driver_trips". `limits` may be NULL. Fails with FEAST_E_TOO_BIG
 * when the input is over max_input. */
feast_code feast_json_reader_init(feast_json_reader *r, const void *data, size_t len, const char *name,
                                  const feast_json_limits *limits, feast_error *err);
void feast_json_reader_free(feast_json_reader *r);

/* The next token. After the top-level value has ended, FEAST_JSON_END
 * (trailing non-space bytes are an error). */
feast_code feast_json_next(feast_json_reader *r, feast_json_token *tok, feast_error *err);

/* Skip the rest of the value whose first token is `tok` (an OBJECT or ARRAY
 * token is skipped through its end; a scalar needs nothing). */
feast_code feast_json_skip(feast_json_reader *r, const feast_json_token *tok, feast_error *err);

/* Fail with FEAST_E_CORRUPT naming the document, line and column of byte
 * `offset`: "schema.json: line 3, column 7: <message>". For callers that
 * find a well-formed document wrong. */
feast_code feast_json_fail_at(const feast_json_reader *r, size_t offset, feast_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- numbers (of NUMBER tokens, or their text) ---- */

/* An integer written without fraction or exponent that fits int64. */
bool feast_json_number_int64(const char *s, size_t len, int64_t *out);
bool feast_json_number_uint64(const char *s, size_t len, uint64_t *out);
/* Any JSON number (out-of-range values become +-inf, as strtod gives). */
bool feast_json_number_double(const char *s, size_t len, double *out);

/* ---- the tree ---- */

typedef struct feast_json_value feast_json_value;
struct feast_json_value {
  feast_json_kind kind; /* NULL, FALSE, TRUE, NUMBER, STRING, OBJECT or ARRAY */
  size_t offset;        /* where it starts in the input */
  const char *str;      /* NUMBER: text; STRING: unescaped; NUL-terminated */
  size_t len;           /* NUMBER/STRING: bytes; OBJECT/ARRAY: members */
  const char *const *keys;       /* OBJECT: member names (NUL-terminated) */
  const size_t *key_lens;        /* OBJECT */
  const feast_json_value *items; /* OBJECT: member values; ARRAY: elements */
};

/* Parse a whole document into `arena` (the tree lives until the arena is
 * reset or freed). Same limits and errors as the pull reader. */
feast_code feast_json_parse(const void *data, size_t len, const char *name, const feast_json_limits *limits,
                            feast_arena *arena, const feast_json_value **out, feast_error *err);

/* The value of member `key` (the first, when a name is given twice), or
 * NULL when `obj` is not an object or has no such member. */
const feast_json_value *feast_json_get(const feast_json_value *obj, const char *key);
/* The string of a STRING value, else NULL. */
const char *feast_json_string_of(const feast_json_value *v);

#endif
