/*
 * wire.c - bounded protobuf wire reads and capped writes (see wire.h).
 */
#include "format/proto/wire.h"

#include <string.h>

const char *feast_wire_varint_error(const uint8_t *p, const uint8_t *end) {
  for (int i = 0; i < FEAST_VARINT_MAX; i++) {
    if (p + i >= end) return "truncated varint";
    if (!(p[i] & 0x80)) return "varint longer than 64 bits";
  }
  return "varint longer than 10 bytes";
}

feast_code feast_wire_varint(feast_wire *w, uint64_t *out, feast_error *err) {
  const uint8_t *q = feast_wire_varint_at(w->p, w->end, out);
  if (!q) return feast_fail(err, FEAST_E_CORRUPT, "%s", feast_wire_varint_error(w->p, w->end));
  w->p = q;
  return FEAST_OK;
}

feast_code feast_wire_tag(feast_wire *w, uint32_t *field, int *wire_type, feast_error *err) {
  uint64_t k;
  feast_code rc = feast_wire_varint(w, &k, err);
  if (rc) return rc;
  if (k >> 32) return feast_fail(err, FEAST_E_CORRUPT, "field key out of range");
  *field = (uint32_t)(k >> 3);
  *wire_type = (int)(k & 7);
  if (*field == 0) return feast_fail(err, FEAST_E_CORRUPT, "field number 0");
  if (*wire_type > 5) return feast_fail(err, FEAST_E_CORRUPT, "wire type %d of field %u is invalid", *wire_type, *field);
  return FEAST_OK;
}

feast_code feast_wire_fixed32(feast_wire *w, uint32_t *out, feast_error *err) {
  if (w->end - w->p < 4) return feast_fail(err, FEAST_E_CORRUPT, "truncated fixed32");
  *out = feast_wire_le32(w->p);
  w->p += 4;
  return FEAST_OK;
}

feast_code feast_wire_fixed64(feast_wire *w, uint64_t *out, feast_error *err) {
  if (w->end - w->p < 8) return feast_fail(err, FEAST_E_CORRUPT, "truncated fixed64");
  *out = feast_wire_le64(w->p);
  w->p += 8;
  return FEAST_OK;
}

feast_code feast_wire_bytes(feast_wire *w, const uint8_t **data, size_t *len, feast_error *err) {
  uint64_t n;
  feast_code rc = feast_wire_varint(w, &n, err);
  if (rc) return rc;
  if (n > (uint64_t)(w->end - w->p)) return feast_fail(err, FEAST_E_CORRUPT, "length %llu past the end of input",
                                                       (unsigned long long)n);
  *data = w->p;
  *len = (size_t)n;
  w->p += n;
  return FEAST_OK;
}

static feast_code skip_one(feast_wire *w, int wire_type, feast_error *err) {
  uint64_t v;
  uint32_t v32;
  const uint8_t *d;
  size_t n;
  switch (wire_type) {
  case FEAST_WIRE_VARINT: return feast_wire_varint(w, &v, err);
  case FEAST_WIRE_I64: return feast_wire_fixed64(w, &v, err);
  case FEAST_WIRE_LEN: return feast_wire_bytes(w, &d, &n, err);
  case FEAST_WIRE_I32: return feast_wire_fixed32(w, &v32, err);
  default: return feast_fail(err, FEAST_E_CORRUPT, "unexpected wire type %d", wire_type);
  }
}

feast_code feast_wire_skip(feast_wire *w, uint32_t field, int wire_type, feast_error *err) {
  if (wire_type == FEAST_WIRE_EGROUP) return feast_fail(err, FEAST_E_CORRUPT, "end-group without start");
  if (wire_type != FEAST_WIRE_SGROUP) return skip_one(w, wire_type, err);
  /* Groups nest; track the open field numbers' count (not their values,
   * beyond the outermost) so that no recursion is needed. */
  uint64_t depth = 1;
  while (depth) {
    uint32_t f;
    int wt;
    feast_code rc = feast_wire_tag(w, &f, &wt, err);
    if (rc) return rc;
    if (wt == FEAST_WIRE_SGROUP) {
      depth++;
    } else if (wt == FEAST_WIRE_EGROUP) {
      depth--;
      if (!depth && f != field) return feast_fail(err, FEAST_E_CORRUPT, "group %u closed as %u", field, f);
    } else {
      rc = skip_one(w, wt, err);
      if (rc) return rc;
    }
  }
  return FEAST_OK;
}

feast_code feast_wire_next_field(feast_wire *w, feast_wire_field *f, feast_error *err) {
  uint32_t u32;
  feast_code rc = feast_wire_tag(w, &f->number, &f->wire_type, err);
  if (rc) return rc;
  f->value = 0;
  f->data = NULL;
  f->len = 0;
  switch (f->wire_type) {
  case FEAST_WIRE_VARINT: return feast_wire_varint(w, &f->value, err);
  case FEAST_WIRE_I64: return feast_wire_fixed64(w, &f->value, err);
  case FEAST_WIRE_I32:
    rc = feast_wire_fixed32(w, &u32, err);
    f->value = u32;
    return rc;
  case FEAST_WIRE_LEN: return feast_wire_bytes(w, &f->data, &f->len, err);
  default: return feast_wire_skip(w, f->number, f->wire_type, err);
  }
}

/* ---- writing ---- */

feast_code feast_wire_put_varint(feast_buf *b, uint64_t v, feast_error *err) {
  uint8_t tmp[FEAST_VARINT_MAX];
  return feast_buf_append(b, tmp, feast_varint_write(tmp, v), err);
}

feast_code feast_wire_put_tag(feast_buf *b, uint32_t field, int wire_type, feast_error *err) {
  return feast_wire_put_varint(b, (uint64_t)field << 3 | (uint64_t)wire_type, err);
}

feast_code feast_wire_put_bytes(feast_buf *b, uint32_t field, const void *p, size_t n, feast_error *err) {
  feast_code rc = feast_wire_put_tag(b, field, FEAST_WIRE_LEN, err);
  if (!rc) rc = feast_wire_put_varint(b, n, err);
  if (!rc && n) rc = feast_buf_append(b, p, n, err);
  return rc;
}

feast_code feast_wire_put_fixed32(feast_buf *b, uint32_t v, feast_error *err) {
  uint8_t tmp[4];
  for (int i = 0; i < 4; i++) tmp[i] = (uint8_t)(v >> (8 * i));
  return feast_buf_append(b, tmp, 4, err);
}

feast_code feast_wire_put_fixed64(feast_buf *b, uint64_t v, feast_error *err) {
  uint8_t tmp[8];
  for (int i = 0; i < 8; i++) tmp[i] = (uint8_t)(v >> (8 * i));
  return feast_buf_append(b, tmp, 8, err);
}
