/*
 * thrift_write.c - Thrift compact-protocol encoding (see thrift_write.h).
 * Field headers pack the id delta into the type byte when it is 1..15, as
 * the compact protocol specifies; booleans live in the field type itself.
 */
#include "format/parquet/thrift_write.h"

#include <string.h>

#include "base/varint.h"

void tw_init(tw *w, feast_buf *out, feast_error *err) {
  memset(w, 0, sizeof *w);
  w->out = out;
  w->err = err;
  w->depth = 0;
  w->last_id[0] = 0;
}

static void put(tw *w, const void *p, size_t n) {
  if (w->rc) return;
  w->rc = feast_buf_append(w->out, p, n, w->err);
}

static void put_byte(tw *w, uint8_t b) { put(w, &b, 1); }

void tw_varint(tw *w, uint64_t v) {
  uint8_t tmp[FEAST_VARINT_MAX];
  put(w, tmp, feast_varint_write(tmp, v));
}

static void field_header(tw *w, int16_t id, int type) {
  int16_t last = w->last_id[w->depth];
  int delta = id - last;
  if (delta > 0 && delta <= 15) {
    put_byte(w, (uint8_t)((delta << 4) | type));
  } else {
    put_byte(w, (uint8_t)type);
    tw_varint(w, tw_zigzag64(id));
  }
  w->last_id[w->depth] = id;
}

void tw_struct_begin(tw *w) {
  if (w->rc) return;
  if (w->depth + 1 >= TW_MAX_DEPTH) {
    w->rc = feast_fail(w->err, FEAST_E_INTERNAL, "thrift struct nesting too deep");
    return;
  }
  w->depth++;
  w->last_id[w->depth] = 0;
}

void tw_struct_end(tw *w) {
  put_byte(w, 0); /* STOP */
  if (w->depth > 0) w->depth--;
}

void tw_field_i32(tw *w, int16_t id, int32_t v) {
  field_header(w, id, TW_I32);
  tw_varint(w, tw_zigzag64(v));
}

void tw_field_i64(tw *w, int16_t id, int64_t v) {
  field_header(w, id, TW_I64);
  tw_varint(w, tw_zigzag64(v));
}

void tw_field_i8(tw *w, int16_t id, int8_t v) {
  field_header(w, id, TW_BYTE);
  put_byte(w, (uint8_t)v);
}

void tw_field_bool(tw *w, int16_t id, bool v) { field_header(w, id, v ? TW_BOOL_TRUE : TW_BOOL_FALSE); }

void tw_field_binary(tw *w, int16_t id, const void *p, size_t n) {
  field_header(w, id, TW_BINARY);
  tw_varint(w, n);
  if (n) put(w, p, n);
}

void tw_field_string(tw *w, int16_t id, const char *s) { tw_field_binary(w, id, s, strlen(s)); }

void tw_field_struct_begin(tw *w, int16_t id) {
  field_header(w, id, TW_STRUCT);
  tw_struct_begin(w);
}

void tw_field_list_begin(tw *w, int16_t id, int elem_type, int32_t n) {
  field_header(w, id, TW_LIST);
  if (n < 15) {
    put_byte(w, (uint8_t)((n << 4) | elem_type));
  } else {
    put_byte(w, (uint8_t)(0xf0 | elem_type));
    tw_varint(w, (uint64_t)n);
  }
}

void tw_raw(tw *w, const void *p, size_t n) { put(w, p, n); }

void tw_elem_i32(tw *w, int32_t v) { tw_varint(w, tw_zigzag64(v)); }

void tw_elem_string(tw *w, const char *s) {
  size_t n = strlen(s);
  tw_varint(w, n);
  if (n) put(w, s, n);
}

feast_code tw_finish(tw *w) { return w->rc; }
