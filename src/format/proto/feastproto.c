/*
 * feastproto.c - protobuf wire encoding of feast.types.Value, RedisKeyV2 and
 * google.protobuf.Timestamp, written by hand because the online path needs
 * only these three messages and must be byte-exact with protoc's output.
 */
#include "format/proto/feastproto.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/json/json_writer.h"
#include "format/proto/wire.h"

enum { WT_VARINT = FEAST_WIRE_VARINT, WT_I64 = FEAST_WIRE_I64, WT_LEN = FEAST_WIRE_LEN, WT_I32 = FEAST_WIRE_I32 };

/* ---- column type checks ---- */

static bool scalar_fits(feast_value_type vt, const feast_array *col) {
  switch (vt) {
  case FEAST_VT_BYTES: return col->type.id == FEAST_DT_BINARY || col->type.id == FEAST_DT_FIXED_BINARY;
  case FEAST_VT_STRING: return col->type.id == FEAST_DT_STRING;
  case FEAST_VT_INT32: return col->type.id == FEAST_DT_INT32;
  case FEAST_VT_INT64: return col->type.id == FEAST_DT_INT64 || col->type.id == FEAST_DT_INT32;
  case FEAST_VT_DOUBLE: return col->type.id == FEAST_DT_DOUBLE || col->type.id == FEAST_DT_FLOAT;
  case FEAST_VT_FLOAT: return col->type.id == FEAST_DT_FLOAT;
  case FEAST_VT_BOOL: return col->type.id == FEAST_DT_BOOL;
  case FEAST_VT_UNIX_TIMESTAMP: return col->type.id == FEAST_DT_TIMESTAMP;
  default: return false;
  }
}

bool feast_pb_column_fits(feast_value_type vt, const feast_array *col) {
  if (!feast_value_type_is_list(vt)) return scalar_fits(vt, col);
  return col->type.id == FEAST_DT_LIST && col->child && scalar_fits(feast_value_type_element(vt), col->child);
}

/* ---- Value encoding ---- */

static uint64_t ts_seconds(int64_t us) { return (uint64_t)(us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000)); }

/* One scalar element, without tag, in the encoding its wire type needs. */
static feast_code put_scalar_body(feast_value_type et, const feast_array *a, int64_t i, feast_buf *b, feast_error *err) {
  switch (et) {
  case FEAST_VT_INT32:
  case FEAST_VT_INT64: return feast_wire_put_varint(b, (uint64_t)feast_array_get_int(a, i), err);
  case FEAST_VT_BOOL: return feast_wire_put_varint(b, feast_array_get_int(a, i) ? 1 : 0, err);
  case FEAST_VT_UNIX_TIMESTAMP: return feast_wire_put_varint(b, ts_seconds(feast_array_get_ts_us(a, i)), err);
  case FEAST_VT_DOUBLE: {
    double d = feast_array_get_double(a, i);
    uint64_t u;
    memcpy(&u, &d, 8);
    return feast_wire_put_fixed64(b, u, err);
  }
  case FEAST_VT_FLOAT: {
    float f = (float)feast_array_get_double(a, i);
    uint32_t u;
    memcpy(&u, &f, 4);
    return feast_wire_put_fixed32(b, u, err);
  }
  default: return feast_fail(err, FEAST_E_INTERNAL, "put_scalar_body: type %d", (int)et);
  }
}

static int scalar_wire(feast_value_type et) {
  switch (et) {
  case FEAST_VT_BYTES:
  case FEAST_VT_STRING: return WT_LEN;
  case FEAST_VT_DOUBLE: return WT_I64;
  case FEAST_VT_FLOAT: return WT_I32;
  default: return WT_VARINT;
  }
}

static feast_code put_list(const feast_array *a, int64_t row, feast_value_type vt, feast_buf *out, feast_error *err) {
  const feast_array *c = a->child;
  feast_value_type et = feast_value_type_element(vt);
  int64_t lo = a->offsets[row], hi = a->offsets[row + 1];
  feast_buf body;
  feast_buf_init(&body, out->max);
  feast_code rc = FEAST_OK;
  for (int64_t i = lo; i < hi && !rc; i++) {
    if (!feast_array_is_valid(c, i)) {
      rc = feast_fail(err, FEAST_E_INVALID, "list element %lld is null (a Feast list cannot hold nulls)",
                      (long long)(i - lo));
    } else if (scalar_wire(et) == WT_LEN) {
      size_t n;
      const uint8_t *p = feast_array_get_bytes(c, i, &n);
      rc = feast_wire_put_bytes(&body, 1, p, n, err);
    } else {
      rc = put_scalar_body(et, c, i, &body, err);
    }
  }
  if (!rc) {
    if (scalar_wire(et) != WT_LEN && body.len) {
      /* packed: the list message holds one length-delimited field 1 */
      feast_buf msg;
      feast_buf_init(&msg, out->max);
      rc = feast_wire_put_bytes(&msg, 1, body.data, body.len, err);
      if (!rc) rc = feast_wire_put_bytes(out, (uint32_t)vt, msg.data, msg.len, err);
      feast_buf_free(&msg);
    } else {
      rc = feast_wire_put_bytes(out, (uint32_t)vt, body.data, body.len, err);
    }
  }
  feast_buf_free(&body);
  return rc;
}

feast_code feast_pb_value_from_array(const feast_array *a, int64_t row, feast_value_type vt, feast_buf *out,
                                     feast_error *err) {
  if (!feast_array_is_valid(a, row)) return FEAST_OK;
  if (feast_value_type_is_list(vt)) {
    if (!feast_pb_column_fits(vt, a)) return feast_fail(err, FEAST_E_SCHEMA, "column does not hold %s", feast_value_type_name(vt));
    return put_list(a, row, vt, out, err);
  }
  if (a->type.id == FEAST_DT_STRING && vt != FEAST_VT_STRING) {
    size_t n;
    const uint8_t *p = feast_array_get_bytes(a, row, &n);
    return feast_pb_value_from_text((const char *)p, n, vt, out, err);
  }
  if (!scalar_fits(vt, a)) return feast_fail(err, FEAST_E_SCHEMA, "column does not hold %s", feast_value_type_name(vt));
  if (vt == FEAST_VT_BYTES || vt == FEAST_VT_STRING) {
    size_t n;
    const uint8_t *p = feast_array_get_bytes(a, row, &n);
    return feast_wire_put_bytes(out, (uint32_t)vt, p, n, err);
  }
  feast_code rc = feast_wire_put_tag(out, (uint32_t)vt, scalar_wire(vt), err);
  return rc ? rc : put_scalar_body(vt, a, row, out, err);
}

feast_code feast_pb_value_from_text(const char *s, size_t n, feast_value_type vt, feast_buf *out, feast_error *err) {
  if (vt == FEAST_VT_STRING || vt == FEAST_VT_BYTES) return feast_wire_put_bytes(out, (uint32_t)vt, s, n, err);
  char tmp[128];
  if (n >= sizeof tmp) return feast_fail(err, FEAST_E_INVALID, "value \"%.40s...\" is too long for %s", s, feast_value_type_name(vt));
  memcpy(tmp, s, n);
  tmp[n] = 0;
  feast_array *a = NULL;
  feast_code rc = FEAST_OK;
  char *end = NULL;
  errno = 0;
  switch (vt) {
  case FEAST_VT_INT32:
  case FEAST_VT_INT64: {
    long long v = strtoll(tmp, &end, 10);
    if (!n || *end || errno || (vt == FEAST_VT_INT32 && (v < INT32_MIN || v > INT32_MAX)))
      return feast_fail(err, FEAST_E_INVALID, "\"%s\" is not a valid %s", tmp, feast_value_type_name(vt));
    rc = feast_wire_put_tag(out, (uint32_t)vt, WT_VARINT, err);
    return rc ? rc : feast_wire_put_varint(out, (uint64_t)v, err);
  }
  case FEAST_VT_BOOL: {
    int v = !strcmp(tmp, "true") || !strcmp(tmp, "1") || !strcmp(tmp, "True");
    if (!v && strcmp(tmp, "false") && strcmp(tmp, "0") && strcmp(tmp, "False"))
      return feast_fail(err, FEAST_E_INVALID, "\"%s\" is not a valid BOOL", tmp);
    rc = feast_wire_put_tag(out, (uint32_t)vt, WT_VARINT, err);
    return rc ? rc : feast_wire_put_varint(out, (uint64_t)v, err);
  }
  case FEAST_VT_DOUBLE:
  case FEAST_VT_FLOAT: {
    double d = strtod(tmp, &end);
    if (!n || *end) return feast_fail(err, FEAST_E_INVALID, "\"%s\" is not a valid %s", tmp, feast_value_type_name(vt));
    a = feast_array_new(feast_dtype_make(vt == FEAST_VT_FLOAT ? FEAST_DT_FLOAT : FEAST_DT_DOUBLE), feast_dtype_make(0));
    if (!a) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    rc = feast_array_append_double(a, d, err);
    break;
  }
  case FEAST_VT_UNIX_TIMESTAMP: {
    feast_ts ts;
    if (feast_ts_parse(tmp, &ts, err)) return feast_fail(err, FEAST_E_INVALID, "\"%s\" is not a valid UNIX_TIMESTAMP", tmp);
    a = feast_array_new(feast_dtype_timestamp(FEAST_UNIT_US, true), feast_dtype_make(0));
    if (!a) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    rc = feast_array_append_int(a, ts, err);
    break;
  }
  default:
    return feast_fail(err, FEAST_E_UNSUPPORTED, "cannot parse a %s from text", feast_value_type_name(vt));
  }
  if (!rc) rc = feast_pb_value_from_array(a, 0, vt, out, err);
  feast_array_free(a);
  return rc;
}

/* ---- Value decoding ---- */

/* Finds the last oneof member of a Value (protobuf: the last one wins). */
static feast_code value_member(const uint8_t *p, size_t n, int *field, const uint8_t **body, size_t *blen,
                               uint64_t *scalar, feast_error *err) {
  feast_wire w = feast_wire_make(p, n);
  feast_wire_field fl;
  *field = 0;
  while (!feast_wire_done(&w)) {
    if (feast_wire_next_field(&w, &fl, err)) return feast_error_prefix(err, "Value: ");
    uint32_t f = fl.number;
    int wt = fl.wire_type;
    if ((f >= 1 && f <= 8) || (f >= 11 && f <= 18)) {
      if (f >= 11 && wt != WT_LEN) return feast_fail(err, FEAST_E_CORRUPT, "Value: list field %u not a message", f);
      if (f < 11 && wt != scalar_wire((feast_value_type)f))
        return feast_fail(err, FEAST_E_CORRUPT, "Value: field %u has wire type %d", f, wt);
      *field = (int)f;
      *body = fl.data;
      *blen = fl.len;
      *scalar = fl.value;
    }
  }
  return FEAST_OK;
}

feast_code feast_pb_value_kind(const uint8_t *p, size_t n, int *field, feast_error *err) {
  const uint8_t *b;
  size_t bl;
  uint64_t v;
  return value_member(p, n, field, &b, &bl, &v, err);
}

static feast_code json_scalar(feast_buf *out, feast_value_type et, uint64_t v, const uint8_t *b, size_t bl,
                              feast_error *err) {
  switch (et) {
  case FEAST_VT_BYTES: return feast_json_append_base64(out, b, bl, err);
  case FEAST_VT_STRING: return feast_json_append_string(out, (const char *)b, bl, FEAST_JSON_UTF8_REPLACE, err);
  case FEAST_VT_INT32: return feast_buf_printf(out, err, "%d", (int32_t)(uint32_t)v);
  case FEAST_VT_INT64:
  case FEAST_VT_UNIX_TIMESTAMP: return feast_buf_printf(out, err, "%lld", (long long)(int64_t)v);
  case FEAST_VT_BOOL: return feast_buf_append_str(out, v ? "true" : "false", err);
  case FEAST_VT_DOUBLE: {
    double d;
    memcpy(&d, &v, 8);
    return feast_json_append_double(out, d, false, err);
  }
  case FEAST_VT_FLOAT: {
    uint32_t u = (uint32_t)v;
    float f;
    memcpy(&f, &u, 4);
    return feast_json_append_double(out, f, true, err);
  }
  default: return feast_fail(err, FEAST_E_INTERNAL, "json_scalar %d", (int)et);
  }
}

static feast_code list_elem(feast_buf *out, feast_value_type et, uint64_t v, const uint8_t *b, size_t bl, int *first,
                            feast_error *err) {
  feast_code rc = *first ? FEAST_OK : feast_buf_append_byte(out, ',', err);
  *first = 0;
  return rc ? rc : json_scalar(out, et, v, b, bl, err);
}

/* A list message: `repeated val = 1`, packed or not (parsers must accept both). */
static feast_code json_list(feast_buf *out, feast_value_type et, const uint8_t *p, size_t n, feast_error *err) {
  feast_wire w = feast_wire_make(p, n);
  int wt = scalar_wire(et), first = 1;
  feast_code rc = feast_buf_append_byte(out, '[', err);
  while (!feast_wire_done(&w) && !rc) {
    feast_wire_field f;
    if (feast_wire_next_field(&w, &f, err)) return feast_error_prefix(err, "list: ");
    if (f.number != 1) return feast_fail(err, FEAST_E_CORRUPT, "list: field %u", f.number);
    if (f.wire_type == WT_LEN && wt != WT_LEN) { /* packed: elements without tags */
      feast_wire seg = feast_wire_make(f.data, f.len);
      while (!feast_wire_done(&seg) && !rc) {
        uint64_t v = 0;
        uint32_t u32;
        feast_code erc = wt == WT_VARINT ? feast_wire_varint(&seg, &v, err)
                         : wt == WT_I64  ? feast_wire_fixed64(&seg, &v, err)
                                         : feast_wire_fixed32(&seg, &u32, err);
        if (erc) return feast_error_prefix(err, "list: ");
        if (wt == WT_I32) v = u32;
        rc = list_elem(out, et, v, NULL, 0, &first, err);
      }
    } else if (f.wire_type == wt) {
      rc = list_elem(out, et, f.value, f.data, f.len, &first, err);
    } else {
      return feast_fail(err, FEAST_E_CORRUPT, "list: wire type %d", f.wire_type);
    }
  }
  return rc ? rc : feast_buf_append_byte(out, ']', err);
}

feast_code feast_pb_value_to_json(const uint8_t *p, size_t n, feast_buf *out, feast_error *err) {
  int f;
  const uint8_t *b = NULL;
  size_t bl = 0;
  uint64_t v = 0;
  feast_code rc = value_member(p, n, &f, &b, &bl, &v, err);
  if (rc) return rc;
  if (!f) return feast_buf_append_str(out, "null", err);
  if (f >= 11) return json_list(out, feast_value_type_element((feast_value_type)f), b, bl, err);
  return json_scalar(out, (feast_value_type)f, v, b, bl, err);
}

/* ---- RedisKeyV2, Timestamp ---- */

feast_code feast_pb_redis_key(const char *project, size_t n, const char *const *names, const uint8_t *const *values,
                              const size_t *value_lens, feast_buf *out, feast_error *err) {
  feast_code rc = FEAST_OK;
  if (project && *project) rc = feast_wire_put_bytes(out, 1, project, strlen(project), err);
  for (size_t i = 0; i < n && !rc; i++) rc = feast_wire_put_bytes(out, 2, names[i], strlen(names[i]), err);
  for (size_t i = 0; i < n && !rc; i++) rc = feast_wire_put_bytes(out, 3, values[i], value_lens[i], err);
  return rc;
}

feast_code feast_pb_timestamp(feast_ts ts, feast_buf *out, feast_error *err) {
  int64_t sec = (int64_t)ts_seconds(ts);
  int32_t nanos = (int32_t)((ts - sec * 1000000) * 1000);
  feast_code rc = FEAST_OK;
  if (sec) {
    rc = feast_wire_put_tag(out, 1, WT_VARINT, err);
    if (!rc) rc = feast_wire_put_varint(out, (uint64_t)sec, err);
  }
  if (!rc && nanos) {
    rc = feast_wire_put_tag(out, 2, WT_VARINT, err);
    if (!rc) rc = feast_wire_put_varint(out, (uint64_t)(int64_t)nanos, err);
  }
  return rc;
}

feast_code feast_pb_timestamp_parse(const uint8_t *p, size_t n, feast_ts *out, feast_error *err) {
  feast_wire w = feast_wire_make(p, n);
  int64_t sec = 0, nanos = 0;
  while (!feast_wire_done(&w)) {
    feast_wire_field f;
    if (feast_wire_next_field(&w, &f, err) || f.wire_type != WT_VARINT)
      return feast_fail(err, FEAST_E_CORRUPT, "Timestamp: malformed");
    if (f.number == 1) sec = (int64_t)f.value;
    else if (f.number == 2) nanos = (int32_t)(uint32_t)f.value;
  }
  if (nanos < 0 || nanos > 999999999 || sec > INT64_MAX / 1000000 - 1 || sec < INT64_MIN / 1000000 + 1)
    return feast_fail(err, FEAST_E_CORRUPT, "Timestamp: out of range");
  *out = sec * 1000000 + nanos / 1000;
  return FEAST_OK;
}
