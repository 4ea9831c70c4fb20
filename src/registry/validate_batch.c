/*
 * validate_batch.c - schema compliance of a batch source: its columns come
 * from its connector's schema() (a file source's Parquet footers, no row
 * group decoded) and every required column must exist with a compatible
 * type, one line per offending column (FEAST_E_SCHEMA), like avro_check.c
 * and proto_check.c. The type rules are ingestion's (feast_pb_column_fits
 * and the timestamp rule of engine/ingest_schema.c), so a source that
 * passes here is one `feast ingest` accepts.
 *
 * A source whose files cannot be read (missing path, no files yet, remote
 * URL) is a problem too, with a hint: --skip-source-check exists for
 * sources not reachable at apply time.
 */
#include <stdio.h>
#include <string.h>

#include "format/proto/feastproto.h"
#include "registry/validate.h"
#include "source/connector.h"

static const char SKIP_HINT[] = " (if the source is not reachable at apply time, use --skip-source-check)";

static bool is_ts_role(const feast_column_req *r) {
  return strcmp(r->role, "event timestamp") == 0 || strcmp(r->role, "created timestamp") == 0;
}

static bool fits(const feast_column_req *r, const feast_array *a) {
  if (r->type == FEAST_VT_INVALID) return true;
  if (is_ts_role(r)) return a->type.id == FEAST_DT_TIMESTAMP || a->type.id == FEAST_DT_DATE32;
  return feast_pb_column_fits(r->type, a);
}

/* What the column may hold, in the reader's type names. */
static const char *expected_scalar(feast_value_type t) {
  switch (t) {
  case FEAST_VT_INT64: return "int64 (or int32)";
  case FEAST_VT_INT32: return "int32";
  case FEAST_VT_DOUBLE: return "double (or float)";
  case FEAST_VT_FLOAT: return "float";
  case FEAST_VT_STRING: return "string";
  case FEAST_VT_BYTES: return "binary or fixed_binary";
  case FEAST_VT_BOOL: return "bool";
  case FEAST_VT_UNIX_TIMESTAMP: return "a timestamp (any unit)";
  default: return "?";
  }
}

static void expected_desc(const feast_column_req *r, char *buf, size_t size) {
  if (is_ts_role(r)) snprintf(buf, size, "a timestamp (any unit) or date32");
  else if (feast_value_type_is_list(r->type))
    snprintf(buf, size, "list<%s>", expected_scalar(feast_value_type_element(r->type)));
  else snprintf(buf, size, "%s", expected_scalar(r->type));
}

static void found_desc(const feast_array *a, char *buf, size_t size) {
  char t[64];
  if (a->type.id == FEAST_DT_LIST && a->child)
    snprintf(buf, size, "list<%s>", feast_dtype_name(a->child->type, t, sizeof t));
  else snprintf(buf, size, "%s", feast_dtype_name(a->type, t, sizeof t));
}

feast_code feast_batch_source_check(const feast_data_source *s, const feast_column_req *reqs, size_t n,
                                    feast_error *err) {
  const feast_connector *conn = feast_connector_for(s->type);
  const char *url = s->type == FEAST_SOURCE_FILE ? s->file.file_url
                    : s->bigquery.table_ref && *s->bigquery.table_ref ? s->bigquery.table_ref
                                                                        : s->bigquery.query ? "the query" : NULL;
  if (!url || !*url || !conn || !conn->schema) return FEAST_OK; /* reported by the option rules */
  const char *where = s->type == FEAST_SOURCE_FILE ? "the Parquet files of" : "the columns of";
  feast_batch *schema = NULL;
  /* All columns first, so a missing column's message can list what there
   * is. A file with a column this build cannot read (a map, a struct) fails
   * that; then only the required columns are opened. */
  feast_code rc = conn->schema(s, NULL, 0, &schema, err);
  if (rc == FEAST_E_UNSUPPORTED && n > 0 && n < 4096) {
    const char *cols[4096];
    int k = 0;
    for (size_t i = 0; i < n; i++) {
      bool dup = false;
      for (int j = 0; j < k && !dup; j++) dup = strcmp(cols[j], reqs[i].column) == 0;
      if (!dup) cols[k++] = reqs[i].column;
    }
    rc = conn->schema(s, cols, k, &schema, err);
  }
  if (rc) {
    size_t len = strlen(err->message);
    if (rc != FEAST_E_NOMEM && len + sizeof SKIP_HINT <= sizeof err->message)
      memcpy(err->message + len, SKIP_HINT, sizeof SKIP_HINT);
    return rc;
  }
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    const feast_column_req *r = &reqs[i];
    int c = feast_batch_find(schema, r->column);
    char line[1024], exp[96], found[96];
    if (c < 0) {
      int used = snprintf(line, sizeof line, "column '%s' (%s %s): not in %s %s (they have:", r->column, r->role,
                          r->name, where, url);
      for (int j = 0; j < schema->num_columns && used > 0 && (size_t)used < sizeof line - 8; j++)
        used += snprintf(line + used, sizeof line - (size_t)used, "%s %s", j ? "," : "", schema->names[j]);
      if (used > 0 && (size_t)used < sizeof line - 2) snprintf(line + used, sizeof line - (size_t)used, ")");
    } else if (!fits(r, schema->columns[c])) {
      expected_desc(r, exp, sizeof exp);
      found_desc(schema->columns[c], found, sizeof found);
      snprintf(line, sizeof line, "column '%s' (%s %s): expected %s for %s, found %s", r->column, r->role, r->name, exp,
               feast_value_type_name(r->type), found);
    } else {
      continue;
    }
    if (!bad++) feast_fail(err, FEAST_E_SCHEMA, "%s", line);
    else feast_error_append(err, "%s", line);
  }
  feast_batch_free(schema);
  return bad ? FEAST_E_SCHEMA : FEAST_OK;
}
