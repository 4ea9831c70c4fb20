/*
 * value_array.h - serialized feast.types.Value messages (as online stores
 * hold them) appended to typed column arrays, so an online result can leave
 * as Arrow columns instead of per-value JSON.
 */
#ifndef FEAST_FORMAT_PROTO_VALUE_ARRAY_H
#define FEAST_FORMAT_PROTO_VALUE_ARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "feast/array.h"
#include "feast/error.h"
#include "feast/types.h"

/* The array type for values of type vt (lists: LIST of the element's type).
 * The caller owns the result: release it with feast_array_free; NULL on
 * out-of-memory. */
feast_array *feast_pb_value_array_new(feast_value_type vt);

/* Append the Value in p[0..n) to `a` (made by feast_pb_value_array_new(vt)):
 * the empty Value appends a null; a Value of another type than vt, or bytes
 * that are not a Value, fail with FEAST_E_CORRUPT and append nothing. */
feast_code feast_pb_value_append(const uint8_t *p, size_t n, feast_value_type vt, feast_array *a, feast_error *err);

#endif
