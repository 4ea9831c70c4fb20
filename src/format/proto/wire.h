/*
 * wire.h - the one protobuf wire format module, both directions. Reading:
 * varints, tags, fixed-width values and length-delimited slices over a
 * bounded byte range; every read checks the end of input and fails with
 * FEAST_E_CORRUPT rather than reading past. Writing: the same pieces
 * appended to a capped feast_buf, in protoc's byte order. Descriptor sets,
 * Feast's messages (feastproto.c) and stream messages (proto_decode.c, on
 * the inline reads) all go through here; the varint itself is base/varint.h.
 */
#ifndef FEAST_FORMAT_PROTO_WIRE_H
#define FEAST_FORMAT_PROTO_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/varint.h"
#include "feast/error.h"

enum {
  FEAST_WIRE_VARINT = 0,
  FEAST_WIRE_I64 = 1,
  FEAST_WIRE_LEN = 2,
  FEAST_WIRE_SGROUP = 3,
  FEAST_WIRE_EGROUP = 4,
  FEAST_WIRE_I32 = 5
};

typedef struct feast_wire {
  const uint8_t *p;
  const uint8_t *end;
} feast_wire;

static inline feast_wire feast_wire_make(const void *data, size_t len) {
  feast_wire w = {(const uint8_t *)data, (const uint8_t *)data + len};
  return w;
}
static inline int feast_wire_done(const feast_wire *w) { return w->p >= w->end; }

feast_code feast_wire_varint(feast_wire *w, uint64_t *out, feast_error *err);
/* A field key: number (1..2^29-1) and wire type (0..5). */
feast_code feast_wire_tag(feast_wire *w, uint32_t *field, int *wire_type, feast_error *err);
feast_code feast_wire_fixed32(feast_wire *w, uint32_t *out, feast_error *err);
feast_code feast_wire_fixed64(feast_wire *w, uint64_t *out, feast_error *err);
/* A length-delimited value; *data points into the input (no copy). */
feast_code feast_wire_bytes(feast_wire *w, const uint8_t **data, size_t *len, feast_error *err);
/* Skip the value of a field whose tag was just read (groups included,
 * without recursion). */
feast_code feast_wire_skip(feast_wire *w, uint32_t field, int wire_type, feast_error *err);

/* One whole field, as feast_wire_next_field reads it. */
typedef struct feast_wire_field {
  uint32_t number;
  int wire_type;
  uint64_t value;      /* VARINT, I64, I32 */
  const uint8_t *data; /* LEN: points into the input (no copy) */
  size_t len;
} feast_wire_field;

/* Read the next field: tag and value. A group is skipped over whole and
 * reported as wire type SGROUP with no value, so a reader that wants none
 * of it simply ignores it. */
feast_code feast_wire_next_field(feast_wire *w, feast_wire_field *f, feast_error *err);

/* ---- inline reads for decoding hot paths ----
 * Each returns the position after the value, or NULL when the value is
 * truncated or malformed (nothing is read then); feast_wire_varint_error
 * says why for an error message. Bounds are the caller's [p, end). */

static inline const uint8_t *feast_wire_varint_at(const uint8_t *p, const uint8_t *end, uint64_t *out) {
  int ok = 1;
  const uint8_t *q = p;
  uint64_t v = feast_varint_read(&q, end, &ok);
  if (!ok || feast_varint_overflows(p, q)) return NULL;
  *out = v;
  return q;
}
/* Why feast_wire_varint_at failed at p: "truncated varint", "varint longer
 * than 10 bytes" or "varint longer than 64 bits". Static string. */
const char *feast_wire_varint_error(const uint8_t *p, const uint8_t *end);

/* Little-endian loads; the caller has checked that 4 (8) bytes remain. */
static inline uint32_t feast_wire_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t feast_wire_le64(const uint8_t *p) {
  return (uint64_t)feast_wire_le32(p) | (uint64_t)feast_wire_le32(p + 4) << 32;
}

/* ---- writing ---- */

feast_code feast_wire_put_varint(feast_buf *b, uint64_t v, feast_error *err);
feast_code feast_wire_put_tag(feast_buf *b, uint32_t field, int wire_type, feast_error *err);
/* A length-delimited field: tag, length, bytes. */
feast_code feast_wire_put_bytes(feast_buf *b, uint32_t field, const void *p, size_t n, feast_error *err);
/* The bytes of a fixed32/fixed64 value (no tag). */
feast_code feast_wire_put_fixed32(feast_buf *b, uint32_t v, feast_error *err);
feast_code feast_wire_put_fixed64(feast_buf *b, uint64_t v, feast_error *err);

static inline int64_t feast_wire_zigzag64(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }
static inline int32_t feast_wire_zigzag32(uint32_t v) { return (int32_t)(v >> 1) ^ -(int32_t)(v & 1); }

#endif
