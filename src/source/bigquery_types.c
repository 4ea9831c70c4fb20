/*
 * bigquery_types.c - the BigQuery-to-feast type table of bigquery_types.h.
 * Legacy names (INTEGER, FLOAT, BOOLEAN, RECORD) and GoogleSQL names
 * (INT64, FLOAT64, BOOL, STRUCT) are both in use: tables.get answers with
 * the legacy ones, DDL-created tables with either.
 */
#include "source/bigquery_types.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is(const char *t, const char *a, const char *b) {
  return strcasecmp(t, a) == 0 || (b && strcasecmp(t, b) == 0);
}

static bool scalar_dtype(const char *t, feast_dtype *out, char *why, size_t size) {
  if (is(t, "INTEGER", "INT64")) *out = feast_dtype_make(FEAST_DT_INT64);
  else if (is(t, "FLOAT", "FLOAT64")) *out = feast_dtype_make(FEAST_DT_DOUBLE);
  else if (is(t, "BOOLEAN", "BOOL")) *out = feast_dtype_make(FEAST_DT_BOOL);
  else if (is(t, "STRING", "JSON") || is(t, "GEOGRAPHY", NULL)) *out = feast_dtype_make(FEAST_DT_STRING);
  else if (is(t, "BYTES", NULL)) *out = feast_dtype_make(FEAST_DT_BINARY);
  else if (is(t, "TIMESTAMP", NULL)) *out = feast_dtype_timestamp(FEAST_UNIT_US, true);
  else if (is(t, "DATETIME", NULL)) *out = feast_dtype_timestamp(FEAST_UNIT_US, false);
  else if (is(t, "DATE", NULL)) *out = feast_dtype_make(FEAST_DT_DATE32);
  else if (is(t, "TIME", NULL)) {
    *out = feast_dtype_make(FEAST_DT_TIME64);
    out->unit = FEAST_UNIT_US;
  } else if (is(t, "NUMERIC", "DECIMAL")) {
    *out = feast_dtype_make(FEAST_DT_DECIMAL128);
    out->width = 38;
    out->scale = 9;
  } else {
    snprintf(why, size, "BigQuery type %s has no feast column type (use a query source that casts it)", t);
    return false;
  }
  return true;
}

bool feast_bq_field_dtype(const feast_bq_field *f, feast_dtype *type, feast_dtype *child, char *why, size_t size) {
  *child = feast_dtype_make(FEAST_DT_NULL);
  bool repeated = f->mode && strcasecmp(f->mode, "REPEATED") == 0;
  if (is(f->type, "RECORD", "STRUCT")) {
    snprintf(why, size, "column %s is a %sRECORD: select its fields in a query source", f->name,
             repeated ? "REPEATED " : "");
    return false;
  }
  feast_dtype t;
  if (!scalar_dtype(f->type, &t, why, size)) return false;
  if (repeated) {
    *type = feast_dtype_make(FEAST_DT_LIST);
    *child = t;
  } else {
    *type = t;
  }
  return true;
}

bool feast_bq_field_is_datetime(const feast_bq_field *f) { return is(f->type, "DATETIME", NULL); }

bool feast_bq_field_readable(const feast_bq_field *f, char *why, size_t size) {
  feast_dtype t, c;
  if (!feast_bq_field_dtype(f, &t, &c, why, size)) return false;
  bool repeated = t.id == FEAST_DT_LIST;
  if (is(f->type, "NUMERIC", "DECIMAL")) {
    snprintf(why, size, "column %s is NUMERIC, which feast does not read: CAST it to FLOAT64 in a query source", f->name);
    return false;
  }
  if (repeated && feast_bq_field_is_datetime(f)) {
    snprintf(why, size, "column %s is a REPEATED DATETIME, which feast does not read: CAST it to TIMESTAMP", f->name);
    return false;
  }
  return true;
}

bool feast_bq_type_for_dtype(feast_dtype t, feast_dtype child, const char **type, bool *repeated) {
  *repeated = t.id == FEAST_DT_LIST;
  feast_dtype s = *repeated ? child : t;
  switch (s.id) {
  case FEAST_DT_BOOL: *type = "BOOLEAN"; break;
  case FEAST_DT_INT8:
  case FEAST_DT_INT16:
  case FEAST_DT_INT32:
  case FEAST_DT_INT64:
  case FEAST_DT_UINT8:
  case FEAST_DT_UINT16:
  case FEAST_DT_UINT32: *type = "INTEGER"; break;
  case FEAST_DT_FLOAT16:
  case FEAST_DT_FLOAT:
  case FEAST_DT_DOUBLE: *type = "FLOAT"; break;
  case FEAST_DT_STRING: *type = "STRING"; break;
  case FEAST_DT_BINARY:
  case FEAST_DT_FIXED_BINARY: *type = "BYTES"; break;
  case FEAST_DT_DATE32: *type = "DATE"; break;
  case FEAST_DT_TIMESTAMP: *type = "TIMESTAMP"; break;
  default: return false;
  }
  return !(*repeated && s.id == FEAST_DT_LIST);
}
