/*
 * online_json.c - printing an online-read result as the Feast HTTP feature
 * server's JSON, and parsing "name=value,..." entity rows from text.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "format/proto/feastproto.h"
#include "format/json/json_writer.h"
#include "feast/online.h"

feast_code feast_online_result_to_json(const feast_online_result *r, char **out, size_t *len, feast_error *err) {
  feast_buf b;
  feast_buf_init(&b, (size_t)1 << 31);
  size_t nn = feast_online_result_num_names(r), nr = feast_online_result_num_rows(r);
  feast_code rc = feast_buf_append_str(&b, "{\"metadata\":{\"feature_names\":[", err);
  for (size_t i = 0; i < nn && !rc; i++) {
    const char *nm = feast_online_result_name(r, i);
    if (i) rc = feast_buf_append_byte(&b, ',', err);
    if (!rc) rc = feast_json_append_string(&b, nm, strlen(nm), FEAST_JSON_UTF8_REPLACE, err);
  }
  if (!rc) rc = feast_buf_append_str(&b, "]},\"results\":[", err);
  for (size_t i = 0; i < nn && !rc; i++) {
    rc = feast_buf_append_str(&b, i ? ",{\"values\":[" : "{\"values\":[", err);
    for (size_t row = 0; row < nr && !rc; row++) {
      size_t vl;
      const uint8_t *v = feast_online_result_value(r, i, row, &vl);
      if (row) rc = feast_buf_append_byte(&b, ',', err);
      if (!rc) rc = feast_pb_value_to_json(v, vl, &b, err);
    }
    if (!rc) rc = feast_buf_append_str(&b, "],\"statuses\":[", err);
    for (size_t row = 0; row < nr && !rc; row++)
      rc = feast_buf_printf(&b, err, "%s\"%s\"", row ? "," : "", feast_field_status_name(feast_online_result_status(r, i, row)));
    if (!rc) rc = feast_buf_append_str(&b, "],\"event_timestamps\":[", err);
    for (size_t row = 0; row < nr && !rc; row++) {
      char ts[FEAST_TS_STRLEN];
      rc = feast_buf_printf(&b, err, "%s\"%s\"", row ? "," : "", feast_ts_format(feast_online_result_event_ts(r, i, row), ts, sizeof ts));
    }
    if (!rc) rc = feast_buf_append_str(&b, "]}", err);
  }
  if (!rc) rc = feast_buf_append_str(&b, "]}", err);
  if (!rc && !feast_buf_cstr(&b, err)) rc = err->code;
  if (rc) {
    feast_buf_free(&b);
    return rc;
  }
  *out = (char *)feast_buf_detach(&b, len);
  return FEAST_OK;
}

/* One "name=value" item of row `row`; names must match the first row's. */
feast_code feast_entity_rows_from_strings(const char *const *rows, size_t n_rows, feast_batch **out, feast_error *err) {
  *out = NULL;
  if (!n_rows) return feast_fail(err, FEAST_E_INVALID, "entity rows: none given");
  int ncols = 1;
  for (const char *p = rows[0]; *p; p++) ncols += *p == ',';
  feast_batch *b = feast_batch_new(ncols);
  if (!b) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = FEAST_OK;
  for (size_t r = 0; r < n_rows && !rc; r++) {
    const char *p = rows[r];
    for (int c = 0; c < ncols && !rc; c++) {
      const char *end = strchr(p, ',');
      if (!end) end = p + strlen(p);
      const char *eq = memchr(p, '=', (size_t)(end - p));
      if (!eq || eq == p) {
        rc = feast_fail(err, FEAST_E_INVALID, "entity row %zu: \"%s\": expected name=value[,name=value...]", r + 1, rows[r]);
        break;
      }
      size_t nlen = (size_t)(eq - p);
      for (int d = 0; r == 0 && d < c && !rc; d++)
        if (strlen(b->names[d]) == nlen && strncmp(b->names[d], p, nlen) == 0)
          rc = feast_fail(err, FEAST_E_INVALID, "entity row 1: \"%s\": entity %s is given twice", rows[r], b->names[d]);
      if (rc) break;
      if (r == 0) {
        char *name = feast_strndup(p, nlen);
        feast_array *a = feast_array_new(feast_dtype_make(FEAST_DT_STRING), feast_dtype_make(0));
        if (!name || !a) {
          feast_free(name);
          feast_array_free(a);
          rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
          break;
        }
        rc = feast_batch_set_column(b, c, name, a, err);
        feast_free(name);
        if (rc) break;
      } else if (strlen(b->names[c]) != nlen || strncmp(b->names[c], p, nlen) != 0) {
        rc = feast_fail(err, FEAST_E_INVALID, "entity row %zu: \"%s\": expected %s as entity %d, like row 1", r + 1,
                        rows[r], b->names[c], c + 1);
        break;
      }
      rc = feast_array_append_bytes(b->columns[c], eq + 1, (size_t)(end - eq - 1), err);
      p = *end ? end + 1 : end;
      if (!rc && c == ncols - 1 && *end)
        rc = feast_fail(err, FEAST_E_INVALID, "entity row %zu: \"%s\": more entities than row 1", r + 1, rows[r]);
      if (!rc && c < ncols - 1 && !*end)
        rc = feast_fail(err, FEAST_E_INVALID, "entity row %zu: \"%s\": fewer entities than row 1", r + 1, rows[r]);
    }
  }
  if (rc) {
    feast_batch_free(b);
    return rc;
  }
  b->num_rows = (int64_t)n_rows;
  *out = b;
  return FEAST_OK;
}

feast_code feast_value_to_json(const uint8_t *value, size_t len, char **out, size_t *out_len, feast_error *err) {
  feast_buf b;
  feast_buf_init(&b, FEAST_BUF_UNLIMITED);
  feast_code rc = feast_pb_value_to_json(value, len, &b, err);
  if (!rc && !feast_buf_cstr(&b, err)) rc = err ? err->code : FEAST_E_NOMEM;
  if (rc) {
    feast_buf_free(&b);
    return rc;
  }
  *out = (char *)feast_buf_detach(&b, out_len);
  return FEAST_OK;
}
