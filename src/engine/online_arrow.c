/*
 * online_arrow.c - an online result as three Arrow struct arrays of the
 * same rows: the values (each name's column typed by its value type), the
 * statuses (uint8, Feast's FieldStatus numbers) and the stored event times
 * (timestamp[us, UTC], null where nothing was found). Bindings wrap them
 * without a copy.
 */
#include <string.h>

#include "feast/arrow.h"
#include "feast/online.h"
#include "feast/sdk.h"
#include "format/proto/value_array.h"

typedef struct exported {
  struct ArrowSchema *schema;
  struct ArrowArray *array;
} exported;

static void release_all(exported *e, int n) {
  for (int i = 0; i < n; i++) {
    if (e[i].array->release) e[i].array->release(e[i].array);
    if (e[i].schema->release) e[i].schema->release(e[i].schema);
  }
}

/* Column `name` of r as values of type vt. */
static feast_code value_column(const feast_online_result *r, size_t name, feast_value_type vt, feast_array **out,
                               feast_error *err) {
  feast_array *a = feast_pb_value_array_new(vt);
  if (!a) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  size_t rows = feast_online_result_num_rows(r);
  feast_code rc = feast_array_reserve(a, (int64_t)rows, 0, err);
  for (size_t row = 0; row < rows && !rc; row++) {
    size_t len;
    const uint8_t *v = feast_online_result_value(r, name, row, &len);
    rc = feast_pb_value_append(v, len, vt, a, err);
    if (rc) feast_error_prefix(err, "%s, row %zu: ", feast_online_result_name(r, name), row + 1);
  }
  if (rc) {
    feast_array_free(a);
    return rc;
  }
  *out = a;
  return FEAST_OK;
}

static feast_code meta_column(const feast_online_result *r, size_t name, bool status, feast_array **out,
                              feast_error *err) {
  feast_dtype t = status ? feast_dtype_make(FEAST_DT_UINT8) : feast_dtype_timestamp(FEAST_UNIT_US, true);
  feast_array *a = feast_array_new(t, t);
  if (!a) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  size_t rows = feast_online_result_num_rows(r);
  feast_code rc = feast_array_reserve(a, (int64_t)rows, 0, err);
  for (size_t row = 0; row < rows && !rc; row++) {
    feast_field_status st = feast_online_result_status(r, name, row);
    if (status) {
      rc = feast_array_append_int(a, (int64_t)st, err);
    } else {
      bool found = st == FEAST_STATUS_PRESENT || st == FEAST_STATUS_NULL_VALUE || st == FEAST_STATUS_OUTSIDE_MAX_AGE;
      feast_ts ts = feast_online_result_event_ts(r, name, row);
      rc = found && ts ? feast_array_append_int(a, ts, err) : feast_array_append_null(a, err);
    }
  }
  if (rc) {
    feast_array_free(a);
    return rc;
  }
  *out = a;
  return FEAST_OK;
}

feast_code feast_online_result_export_arrow(const feast_online_result *r, const feast_value_type *types,
                                            struct ArrowSchema *value_schema, struct ArrowArray *values,
                                            struct ArrowSchema *status_schema, struct ArrowArray *statuses,
                                            struct ArrowSchema *ts_schema, struct ArrowArray *event_ts,
                                            feast_error *err) {
  exported out[3] = {{value_schema, values}, {status_schema, statuses}, {ts_schema, event_ts}};
  for (int k = 0; k < 3; k++) {
    out[k].schema->release = NULL;
    out[k].array->release = NULL;
  }
  size_t names = feast_online_result_num_names(r), kept = 0;
  for (size_t i = 0; i < names; i++) kept += types[i] != FEAST_VT_INVALID;
  feast_code rc = FEAST_OK;
  for (int k = 0; k < 3 && !rc; k++) {
    feast_batch *b = feast_batch_new((int)kept);
    if (!b) {
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
      break;
    }
    b->num_rows = (int64_t)feast_online_result_num_rows(r);
    int c = 0;
    for (size_t i = 0; i < names && !rc; i++) {
      if (types[i] == FEAST_VT_INVALID) continue;
      feast_array *col = NULL;
      rc = k == 0 ? value_column(r, i, types[i], &col, err) : meta_column(r, i, k == 1, &col, err);
      if (!rc) rc = feast_batch_set_column(b, c++, feast_online_result_name(r, i), col, err);
    }
    if (!rc) rc = feast_batch_export(b, out[k].schema, out[k].array, err);
    if (rc) feast_batch_free(b); /* export takes the batch only on success */
  }
  if (rc) release_all(out, 3);
  return rc;
}
