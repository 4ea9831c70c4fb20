/*
 * json_writer.h - the one JSON writer of libfeast: string escaping, number
 * formatting and a writer that places commas and colons, appending to a
 * capped feast_buf.
 *
 * Strings are escaped so that the output is valid JSON and also a valid
 * double-quoted YAML scalar that reads back the same: besides '"', '\' and
 * the C0 controls, DEL, the C1 controls and U+FFFE/U+FFFF are written as
 * \uXXXX. Input must be UTF-8; what is done with invalid bytes is the
 * caller's choice (feast_json_utf8).
 *
 * Doubles are written as the shortest text that reads back to the same
 * value (floats: the same float); NaN and infinities, which JSON cannot
 * hold, as the strings "NaN", "Infinity", "-Infinity" (protobuf-JSON).
 */
#ifndef FEAST_FORMAT_JSON_WRITER_H
#define FEAST_FORMAT_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "feast/error.h"

typedef enum feast_json_utf8 {
  FEAST_JSON_UTF8_FAIL = 0, /* invalid UTF-8 is FEAST_E_INVALID */
  FEAST_JSON_UTF8_REPLACE   /* each invalid byte becomes U+FFFD (data values shown to people) */
} feast_json_utf8;

/* Append s[0..n) as a JSON string literal, quotes included. */
feast_code feast_json_append_string(feast_buf *out, const char *s, size_t n, feast_json_utf8 mode, feast_error *err);
/* Append d as a JSON number (or one of the strings above). `as_float`
 * chooses the shortest text that reads back to the same float. */
feast_code feast_json_append_double(feast_buf *out, double d, bool as_float, feast_error *err);
/* Append the bytes as a standard base64 JSON string (protobuf-JSON's bytes). */
feast_code feast_json_append_base64(feast_buf *out, const uint8_t *p, size_t n, feast_error *err);

/* A writer: call the functions in document order; it adds the separators.
 * Errors are sticky: after the first failure every call does nothing, and
 * feast_jw_finish returns that failure. */
#define FEAST_JW_MAX_DEPTH 64

typedef struct feast_json_writer {
  /* private */
  feast_buf *out;
  feast_error *err;
  feast_code rc;
  int depth;
  bool after_key;
  bool has_members[FEAST_JW_MAX_DEPTH + 1];
  feast_json_utf8 mode;
} feast_json_writer;

/* `out` and `err` are borrowed for the writer's life. */
void feast_jw_init(feast_json_writer *w, feast_buf *out, feast_json_utf8 mode, feast_error *err);
void feast_jw_object(feast_json_writer *w);
void feast_jw_object_end(feast_json_writer *w);
void feast_jw_array(feast_json_writer *w);
void feast_jw_array_end(feast_json_writer *w);
void feast_jw_key(feast_json_writer *w, const char *key);
void feast_jw_key_n(feast_json_writer *w, const char *key, size_t n);
void feast_jw_string(feast_json_writer *w, const char *s); /* NULL writes null */
void feast_jw_string_n(feast_json_writer *w, const char *s, size_t n);
void feast_jw_int(feast_json_writer *w, int64_t v);
void feast_jw_uint(feast_json_writer *w, uint64_t v);
void feast_jw_double(feast_json_writer *w, double v, bool as_float);
void feast_jw_bool(feast_json_writer *w, bool v);
void feast_jw_null(feast_json_writer *w);
/* Text that is already a whole JSON value (not checked). */
void feast_jw_raw(feast_json_writer *w, const char *json, size_t n);
/* FEAST_OK, or the first failure; also fails when containers are left open. */
feast_code feast_jw_finish(feast_json_writer *w);

#endif
