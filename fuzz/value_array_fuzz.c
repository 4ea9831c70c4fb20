/*
 * value_array_fuzz.c - feast.types.Value bytes (as read back from online
 * stores) appended to an array of every value type: any input is appended
 * whole or refused cleanly, and never leaves half a row behind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "format/proto/value_array.h"

static const feast_value_type TYPES[] = {
    FEAST_VT_BYTES,      FEAST_VT_STRING,      FEAST_VT_INT32,      FEAST_VT_INT64,       FEAST_VT_DOUBLE,
    FEAST_VT_FLOAT,      FEAST_VT_BOOL,        FEAST_VT_BYTES_LIST, FEAST_VT_STRING_LIST, FEAST_VT_INT32_LIST,
    FEAST_VT_INT64_LIST, FEAST_VT_DOUBLE_LIST, FEAST_VT_FLOAT_LIST, FEAST_VT_BOOL_LIST};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (size_t t = 0; t < sizeof TYPES / sizeof *TYPES; t++) {
    feast_array *a = feast_pb_value_array_new(TYPES[t]);
    if (!a) return 0;
    feast_error err;
    for (int round = 0; round < 2; round++) {
      int64_t before = a->length, child_before = a->child ? a->child->length : 0;
      feast_code rc = feast_pb_value_append(data, size, TYPES[t], a, &err);
      if (rc && (a->length != before || (a->child && a->child->length != child_before))) abort();
      if (!rc && a->length != before + 1) abort();
      if (a->child && a->length && a->offsets[a->length] != a->child->length) abort();
    }
    feast_array_free(a);
  }
  return 0;
}
