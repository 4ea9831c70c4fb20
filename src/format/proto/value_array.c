/*
 * value_array.c - feast.types.Value bytes into column arrays. A Value is a
 * oneof whose field number is its value type (1..7 scalars, 11..17 lists of
 * a wrapper message holding field 1, packed or not). Everything is read
 * through wire.h, bounded by the input; a list is checked whole before any
 * element is appended, so a bad Value never leaves half a row.
 */
#include "format/proto/value_array.h"

#include <string.h>

#include "format/proto/wire.h"

feast_array *feast_pb_value_array_new(feast_value_type vt) {
  feast_value_type el = feast_value_type_is_list(vt) ? feast_value_type_element(vt) : vt;
  return feast_array_new(feast_dtype_for_value_type(vt), feast_dtype_for_value_type(el));
}

/* The wire type a scalar of type t is written with. */
static int wire_of(feast_value_type t) {
  switch (t) {
  case FEAST_VT_BYTES:
  case FEAST_VT_STRING: return FEAST_WIRE_LEN;
  case FEAST_VT_DOUBLE: return FEAST_WIRE_I64;
  case FEAST_VT_FLOAT: return FEAST_WIRE_I32;
  default: return FEAST_WIRE_VARINT;
  }
}

static feast_code append_scalar(feast_array *a, feast_value_type t, const feast_wire_field *f, feast_error *err) {
  switch (t) {
  case FEAST_VT_BYTES:
  case FEAST_VT_STRING: return feast_array_append_bytes(a, f->data, f->len, err);
  case FEAST_VT_INT32: return feast_array_append_int(a, (int32_t)(uint32_t)f->value, err);
  case FEAST_VT_INT64:
  case FEAST_VT_UNIX_TIMESTAMP: return feast_array_append_int(a, (int64_t)f->value, err);
  case FEAST_VT_BOOL: return feast_array_append_bool(a, f->value != 0, err);
  case FEAST_VT_DOUBLE: {
    double d;
    uint64_t bits = f->value;
    memcpy(&d, &bits, sizeof d);
    return feast_array_append_double(a, d, err);
  }
  case FEAST_VT_FLOAT: {
    float x;
    uint32_t bits = (uint32_t)f->value;
    memcpy(&x, &bits, sizeof x);
    return feast_array_append_double(a, x, err);
  }
  default: return feast_fail(err, FEAST_E_CORRUPT, "Value: type %d is not a scalar", (int)t);
  }
}

/* One pass over a list wrapper's bytes: counts its elements (`a` NULL) or
 * appends them to `a`. Packed runs of fixed or varint elements and
 * one-per-field elements are both accepted, as protobuf parsers do. */
static feast_code walk_list(const uint8_t *p, size_t n, feast_value_type el, feast_array *a, int64_t *count,
                            feast_error *err) {
  feast_wire w = feast_wire_make(p, n);
  int want = wire_of(el);
  *count = 0;
  while (!feast_wire_done(&w)) {
    feast_wire_field f;
    if (feast_wire_next_field(&w, &f, err)) {
      err->code = FEAST_E_CORRUPT;
      return feast_error_prefix(err, "Value list: ");
    }
    if (f.number != 1) continue; /* unknown fields are skipped */
    if (f.wire_type == want) {
      (*count)++;
      if (a) {
        feast_code rc = append_scalar(a, el, &f, err);
        if (rc) return rc;
      }
      continue;
    }
    if (f.wire_type != FEAST_WIRE_LEN || want == FEAST_WIRE_LEN)
      return feast_fail(err, FEAST_E_CORRUPT, "Value list: element of wire type %d, expected %d", f.wire_type, want);
    feast_wire run = feast_wire_make(f.data, f.len); /* a packed run */
    while (!feast_wire_done(&run)) {
      feast_wire_field e = {.number = 1, .wire_type = want};
      feast_code rc = want == FEAST_WIRE_VARINT ? feast_wire_varint(&run, &e.value, err)
                      : want == FEAST_WIRE_I64  ? feast_wire_fixed64(&run, &e.value, err)
                                                : FEAST_OK;
      if (want == FEAST_WIRE_I32) {
        uint32_t v32 = 0;
        rc = feast_wire_fixed32(&run, &v32, err);
        e.value = v32;
      }
      if (rc) {
        err->code = FEAST_E_CORRUPT;
        return feast_error_prefix(err, "Value list: packed elements: ");
      }
      (*count)++;
      if (a && (rc = append_scalar(a, el, &e, err))) return rc;
    }
  }
  return FEAST_OK;
}

feast_code feast_pb_value_append(const uint8_t *p, size_t n, feast_value_type vt, feast_array *a, feast_error *err) {
  feast_wire w = feast_wire_make(p, n);
  feast_wire_field member = {0};
  int found = 0;
  while (!feast_wire_done(&w)) { /* the last oneof member wins, as in protobuf */
    feast_wire_field f;
    if (feast_wire_next_field(&w, &f, err)) {
      err->code = FEAST_E_CORRUPT;
      return feast_error_prefix(err, "Value: ");
    }
    if (f.wire_type == FEAST_WIRE_SGROUP) continue;
    member = f;
    found = 1;
  }
  if (!found) return feast_array_append_null(a, err);
  if ((int)member.number != (int)vt)
    return feast_fail(err, FEAST_E_CORRUPT, "Value: holds type %u, the column is %s", member.number,
                      feast_value_type_name(vt));
  if (!feast_value_type_is_list(vt)) {
    if (member.wire_type != wire_of(vt))
      return feast_fail(err, FEAST_E_CORRUPT, "Value: %s with wire type %d", feast_value_type_name(vt),
                        member.wire_type);
    return append_scalar(a, vt, &member, err);
  }
  if (member.wire_type != FEAST_WIRE_LEN)
    return feast_fail(err, FEAST_E_CORRUPT, "Value: %s is not a message", feast_value_type_name(vt));
  feast_value_type el = feast_value_type_element(vt);
  int64_t count;
  feast_code rc = walk_list(member.data, member.len, el, NULL, &count, err); /* check whole first */
  if (!rc) rc = walk_list(member.data, member.len, el, a->child, &count, err);
  if (!rc) rc = feast_array_append_list_end(a, err);
  return rc;
}
