/*
 * thrift_read.c - Thrift compact protocol decoding with bounds checks.
 * Malformed input never reads past `end`: every primitive read checks
 * first and marks the reader bad, after which reads return zeros.
 */
#include "format/parquet/thrift_read.h"

void tc_init(tc_reader *r, const uint8_t *p, size_t n) {
  r->p = p;
  r->end = p + n;
  r->bad = 0;
  r->why = NULL;
  r->depth = 0;
}

void tc_fail(tc_reader *r, const char *why) {
  if (!r->bad) r->why = why;
  r->bad = 1;
  r->p = r->end;
}

static uint64_t varint(tc_reader *r) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end) {
      tc_fail(r, "truncated varint");
      return 0;
    }
    uint8_t b = *r->p++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  tc_fail(r, "varint longer than 10 bytes");
  return 0;
}

static int64_t zigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

int64_t tc_i64(tc_reader *r) { return zigzag(varint(r)); }

int32_t tc_i32(tc_reader *r) {
  int64_t v = tc_i64(r);
  if (v < INT32_MIN || v > INT32_MAX) {
    tc_fail(r, "i32 out of range");
    return 0;
  }
  return (int32_t)v;
}

void tc_struct_begin(tc_reader *r, int16_t *last_id) {
  *last_id = 0;
  if (++r->depth > TC_MAX_DEPTH) tc_fail(r, "structures nested too deeply");
}

void tc_struct_end(tc_reader *r) { r->depth--; }

int tc_next_field(tc_reader *r, int16_t *last_id, tc_field *f) {
  if (r->bad || r->p >= r->end) {
    if (!r->bad) tc_fail(r, "truncated struct");
    f->type = TC_STOP;
    return 0;
  }
  uint8_t b = *r->p++;
  f->type = b & 0x0f;
  if (f->type == TC_STOP) return 0;
  int delta = b >> 4;
  if (delta)
    f->id = *last_id + delta;
  else
    f->id = (int16_t)tc_i64(r);
  *last_id = (int16_t)f->id;
  f->bool_val = f->type == TC_TRUE;
  if (f->type > TC_STRUCT) {
    tc_fail(r, "unknown field type");
    f->type = TC_STOP;
    return 0;
  }
  return !r->bad;
}

int tc_bool(tc_reader *r, const tc_field *f) {
  (void)r;
  return f->bool_val;
}

const uint8_t *tc_binary(tc_reader *r, uint32_t *len) {
  uint64_t n = varint(r);
  if (r->bad || n > (uint64_t)(r->end - r->p)) {
    tc_fail(r, "string or binary runs past the end");
    *len = 0;
    return r->p;
  }
  const uint8_t *s = r->p;
  r->p += n;
  *len = (uint32_t)n;
  return s;
}

int32_t tc_list_begin(tc_reader *r, int *elem_type) {
  if (r->p >= r->end) {
    tc_fail(r, "truncated list");
    *elem_type = 0;
    return 0;
  }
  uint8_t b = *r->p++;
  *elem_type = b & 0x0f;
  uint64_t n = b >> 4;
  if (n == 15) n = varint(r);
  /* Every element takes at least one byte except booleans packed... which
   * also take one byte each in compact lists, so this bounds allocations. */
  if (n > (uint64_t)(r->end - r->p)) {
    tc_fail(r, "list longer than the remaining bytes");
    return 0;
  }
  return (int32_t)n;
}

int64_t tc_int_field(tc_reader *r, const tc_field *f) {
  switch (f->type) {
  case TC_I8:
    if (r->p >= r->end) {
      tc_fail(r, "truncated byte");
      return 0;
    }
    return (int8_t)*r->p++;
  case TC_I16:
  case TC_I32:
  case TC_I64: return tc_i64(r);
  default: tc_skip(r, f->type); tc_fail(r, "expected an integer field"); return 0;
  }
}

void tc_skip(tc_reader *r, int type) {
  if (r->bad) return;
  if (++r->depth > TC_MAX_DEPTH) {
    tc_fail(r, "structures nested too deeply");
    return;
  }
  switch (type) {
  case TC_TRUE:
  case TC_FALSE: break;
  case TC_I8:
    if (r->p >= r->end) tc_fail(r, "truncated byte");
    else r->p++;
    break;
  case TC_I16:
  case TC_I32:
  case TC_I64: (void)varint(r); break;
  case TC_DOUBLE:
    if (r->end - r->p < 8) tc_fail(r, "truncated double");
    else r->p += 8;
    break;
  case TC_BINARY: {
    uint32_t n;
    (void)tc_binary(r, &n);
    break;
  }
  case TC_LIST:
  case TC_SET: {
    int et;
    int32_t n = tc_list_begin(r, &et);
    for (int32_t i = 0; i < n && !r->bad; i++) {
      if (et == TC_TRUE || et == TC_FALSE) {
        if (r->p >= r->end) tc_fail(r, "truncated bool");
        else r->p++;
      } else {
        tc_skip(r, et);
      }
    }
    break;
  }
  case TC_MAP: {
    uint64_t n = varint(r);
    if (n == 0) break;
    if (r->p >= r->end || n > (uint64_t)(r->end - r->p)) {
      tc_fail(r, "map longer than the remaining bytes");
      break;
    }
    uint8_t kv = *r->p++;
    for (uint64_t i = 0; i < n && !r->bad; i++) {
      tc_skip(r, kv >> 4);
      tc_skip(r, kv & 0x0f);
    }
    break;
  }
  case TC_STRUCT: {
    int16_t last;
    tc_field f;
    tc_struct_begin(r, &last);
    while (tc_next_field(r, &last, &f)) tc_skip(r, f.type);
    tc_struct_end(r);
    break;
  }
  default: tc_fail(r, "unknown type to skip"); break;
  }
  r->depth--;
}
