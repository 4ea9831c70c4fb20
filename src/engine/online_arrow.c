/*
 * online_arrow.c - an online result as three Arrow struct arrays of the
 * same rows: the values (each name's column typed by its value type), the
 * statuses (uint8, Feast's FieldStatus numbers) and the stored event times
 * (timestamp[us, UTC], null where nothing was found). Bindings wrap them
 * without a copy. feast_store_online_arrow reads and exports in one call,
 * typing each feature column from the registry snapshot.
 */
#include <string.h>

#include "base/alloc.h"
#include "engine/snapshot.h"
#include "engine/store_internal.h"
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

/* The value type of result column `name` ("table__feature") among the
 * tables `refs` name; INVALID for names that are no feature (entities). */
static feast_value_type feature_type(feast_store *s, const char *const *refs, size_t n_refs, const char *name) {
  for (size_t k = 0; k < n_refs; k++) {
    const char *colon = strchr(refs[k], ':');
    if (!colon) continue;
    size_t len = (size_t)(colon - refs[k]);
    if (strncmp(name, refs[k], len) != 0 || strncmp(name + len, "__", 2) != 0) continue;
    char table[256];
    if (len >= sizeof table) continue;
    memcpy(table, refs[k], len);
    table[len] = '\0';
    feast_snapshot *snap = NULL;
    const feast_snapshot_table *t;
    feast_error ignored;
    feast_value_type vt = FEAST_VT_INVALID;
    if (feast_store_table(s, table, &snap, &t, &ignored) == FEAST_OK) {
      int f = feast_feature_table_find_feature(&t->table->spec, name + len + 2);
      if (f >= 0) vt = t->table->spec.features[f].value_type;
    }
    feast_snapshot_unref(snap);
    if (vt != FEAST_VT_INVALID) return vt;
  }
  return FEAST_VT_INVALID;
}

feast_code feast_store_online_arrow(feast_store *s, const char *const *refs, size_t n_refs,
                                    const feast_batch *entity_rows, feast_ts at, struct ArrowSchema *value_schema,
                                    struct ArrowArray *values, struct ArrowSchema *status_schema,
                                    struct ArrowArray *statuses, struct ArrowSchema *ts_schema,
                                    struct ArrowArray *event_ts, feast_error *err) {
  feast_online_result *r = NULL;
  feast_code rc = feast_store_get_online_features(s, refs, n_refs, entity_rows, at, &r, err);
  if (rc) return rc;
  size_t names = feast_online_result_num_names(r);
  feast_value_type *types = feast_calloc(names + 1, sizeof *types);
  if (!types) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; !rc && i < names; i++) {
    const char *name = feast_online_result_name(r, i);
    types[i] = feast_batch_find(entity_rows, name) >= 0 ? FEAST_VT_INVALID : feature_type(s, refs, n_refs, name);
  }
  if (!rc)
    rc = feast_online_result_export_arrow(r, types, value_schema, values, status_schema, statuses, ts_schema,
                                          event_ts, err);
  feast_free(types);
  feast_online_result_free(r);
  return rc;
}
