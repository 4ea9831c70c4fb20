/*
 * bq_tables.c - table references and the table and dataset calls of
 * bq_api.h: reading table resources (schemas with nested records,
 * partitioning, sizes), tables.get / insert / patch / delete, datasets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "cloud/gcp/bq_api.h"
#include "cloud/gcp/bq_rest.h"
#include "format/json/json_writer.h"

/* ---- references ---- */

static bool id_char(char ch, bool project) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
         ch == '-' || ch == '$' || (project && (ch == '.' || ch == ':'));
}

static bool copy_part(char *dst, size_t cap, const char *s, size_t n, bool project) {
  if (!n || n >= cap) return false;
  for (size_t i = 0; i < n; i++)
    if (!id_char(s[i], project)) return false;
  memcpy(dst, s, n);
  dst[n] = 0;
  return true;
}

feast_code feast_bq_ref_parse(const char *text, const char *default_project, feast_bq_ref *out, feast_error *err) {
  memset(out, 0, sizeof *out);
  const char *s = text ? text : "";
  if (strncmp(s, "bq://", 5) == 0) s += 5;
  char buf[2400];
  size_t n = strlen(s);
  if (n >= sizeof buf) return feast_fail(err, FEAST_E_INVALID, "BigQuery table '%.100s...' is too long", s);
  if (n >= 2 && s[0] == '`' && s[n - 1] == '`') {
    memcpy(buf, s + 1, n - 2);
    buf[n - 2] = 0;
  } else {
    memcpy(buf, s, n + 1);
  }
  /* The table is after the last '.', the dataset before it; the project is
   * what comes before the dataset (after a ':' or a '.'). Projects may
   * hold ':' and '.' themselves (domain-scoped: "example.com:proj"). */
  char *dot = strrchr(buf, '.');
  bool ok = dot != NULL;
  const char *project = NULL, *dataset = NULL;
  size_t plen = 0, dlen = 0;
  if (ok) {
    *dot = 0;
    char *colon = strrchr(buf, ':'), *dot2 = strrchr(buf, '.');
    char *sep = colon && (!dot2 || colon > dot2) ? colon : dot2;
    if (sep) {
      project = buf;
      plen = (size_t)(sep - buf);
      dataset = sep + 1;
    } else {
      project = default_project;
      plen = project ? strlen(project) : 0;
      dataset = buf;
    }
    dlen = strlen(dataset);
    ok = project && copy_part(out->project, sizeof out->project, project, plen, true) &&
         copy_part(out->dataset, sizeof out->dataset, dataset, dlen, false) &&
         copy_part(out->table, sizeof out->table, dot + 1, strlen(dot + 1), false);
  }
  if (!ok)
    return feast_fail(err, FEAST_E_INVALID,
                      "'%s' is not a BigQuery table: expected project:dataset.table or project.dataset.table%s", text,
                      default_project ? " (or dataset.table)" : "");
  return FEAST_OK;
}

void feast_bq_ref_format(const feast_bq_ref *r, char *out, size_t cap) {
  snprintf(out, cap, "%s.%s.%s", r->project, r->dataset, r->table);
}

void feast_bq_ref_sql(const feast_bq_ref *r, char *out, size_t cap) {
  snprintf(out, cap, "`%s.%s.%s`", r->project, r->dataset, r->table);
}

/* ---- table resources ---- */

void feast_bq_table_free(feast_bq_table *t) {
  feast_arena_free(t->arena);
  memset(t, 0, sizeof *t);
}

static const char *str_in(feast_arena *a, const feast_json_value *v) {
  const char *s = feast_json_string_of(v);
  return s ? feast_arena_strndup(a, s, v->len) : NULL;
}

/* int64 values come as strings in BigQuery's JSON ("numRows": "1000"). */
static int64_t int_of(const feast_json_value *v, int64_t fallback) {
  int64_t x;
  if (v && (v->kind == FEAST_JSON_STRING || v->kind == FEAST_JSON_NUMBER) && feast_json_number_int64(v->str, v->len, &x))
    return x;
  return fallback;
}

static feast_code fields_of(feast_arena *a, const feast_json_value *arr, const char *name, int depth,
                            const feast_bq_field **out, size_t *n_out, feast_error *err) {
  *out = NULL;
  *n_out = 0;
  if (!arr) return FEAST_OK;
  if (arr->kind != FEAST_JSON_ARRAY) return feast_fail(err, FEAST_E_CORRUPT, "%s: \"fields\" is not an array", name);
  if (depth > 15) return feast_fail(err, FEAST_E_CORRUPT, "%s: records nested more than 15 deep", name);
  feast_bq_field *f = feast_arena_calloc(a, (arr->len + 1) * sizeof *f);
  if (!f) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; i < arr->len; i++) {
    const feast_json_value *v = &arr->items[i];
    f[i].name = str_in(a, feast_json_get(v, "name"));
    f[i].type = str_in(a, feast_json_get(v, "type"));
    f[i].mode = str_in(a, feast_json_get(v, "mode"));
    if (!f[i].mode) f[i].mode = "NULLABLE";
    if (!f[i].name || !f[i].type)
      return feast_fail(err, FEAST_E_CORRUPT, "%s: field %zu of the schema has no name or type", name, i + 1);
    feast_code rc = fields_of(a, feast_json_get(v, "fields"), name, depth + 1, &f[i].fields, &f[i].n_fields, err);
    if (rc) return rc;
  }
  *out = f;
  *n_out = arr->len;
  return FEAST_OK;
}

feast_code feast_bq_table_from_json(const void *docp, bool schema_only, const char *name, feast_bq_table *out,
                                    feast_error *err) {
  const feast_json_value *doc = docp;
  memset(out, 0, sizeof *out);
  if (!doc || doc->kind != FEAST_JSON_OBJECT) return feast_fail(err, FEAST_E_CORRUPT, "%s: not a JSON object", name);
  if (!(out->arena = feast_arena_new(0))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  const feast_json_value *schema = schema_only ? doc : feast_json_get(doc, "schema");
  feast_code rc = fields_of(out->arena, feast_json_get(schema, "fields"), name, 0, &out->fields, &out->n_fields, err);
  out->num_rows = int_of(feast_json_get(doc, "numRows"), -1);
  out->num_bytes = int_of(feast_json_get(doc, "numBytes"), -1);
  out->kind = str_in(out->arena, feast_json_get(doc, "type"));
  out->location = str_in(out->arena, feast_json_get(doc, "location"));
  const feast_json_value *tp = feast_json_get(doc, "timePartitioning");
  if (tp) {
    out->partition_type = str_in(out->arena, feast_json_get(tp, "type"));
    if (!out->partition_type) out->partition_type = "DAY";
    out->partition_field = str_in(out->arena, feast_json_get(tp, "field"));
    const feast_json_value *req = feast_json_get(tp, "requirePartitionFilter");
    out->require_partition_filter = req && req->kind == FEAST_JSON_TRUE;
  }
  const feast_json_value *req = feast_json_get(doc, "requirePartitionFilter");
  if (req && req->kind == FEAST_JSON_TRUE) out->require_partition_filter = true;
  if (rc) feast_bq_table_free(out);
  return rc;
}

feast_code feast_bq_table_parse(const void *json, size_t len, const char *name, feast_bq_table *out, feast_error *err) {
  feast_arena *a = feast_arena_new(0);
  if (!a) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  const feast_json_value *doc;
  feast_json_limits lim = {64, 64 << 20, 0};
  feast_code rc = feast_json_parse(json, len, name, &lim, a, &doc, err);
  if (!rc) rc = feast_bq_table_from_json(doc, false, name, out, err);
  feast_arena_free(a);
  return rc;
}

const feast_bq_field *feast_bq_table_find(const feast_bq_table *t, const char *name) {
  for (size_t i = 0; i < t->n_fields; i++)
    if (strcmp(t->fields[i].name, name) == 0) return &t->fields[i];
  /* BigQuery column names are case-insensitive. */
  for (size_t i = 0; i < t->n_fields; i++)
    if (strcasecmp(t->fields[i].name, name) == 0) return &t->fields[i];
  return NULL;
}

/* ---- calls ---- */

static feast_code table_path(const feast_bq_ref *r, feast_buf *b, feast_error *err) {
  feast_code rc = feast_buf_append_str(b, "/projects/", err);
  if (!rc) rc = feast_bq_path_escape(b, r->project, err);
  if (!rc) rc = feast_buf_append_str(b, "/datasets/", err);
  if (!rc) rc = feast_bq_path_escape(b, r->dataset, err);
  if (!rc && r->table[0]) rc = feast_buf_append_str(b, "/tables/", err);
  if (!rc && r->table[0]) rc = feast_bq_path_escape(b, r->table, err);
  const char *p = rc ? NULL : feast_buf_cstr(b, err);
  return rc ? rc : p ? FEAST_OK : err->code;
}

feast_code feast_bq_tables_get(feast_bq *c, const feast_bq_ref *ref, feast_bq_table *out, feast_error *err) {
  memset(out, 0, sizeof *out);
  feast_buf path;
  feast_buf_init(&path, 8192);
  char name[2400], what[2500];
  feast_bq_ref_format(ref, name, sizeof name);
  snprintf(what, sizeof what, "BigQuery tables.get %s", name);
  feast_arena *a = feast_arena_new(0);
  feast_code rc = a ? table_path(ref, &path, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_bq_reply reply;
  if (!rc) {
    feast_bq_call call = {.method = "GET", .path = (const char *)path.data, .what = what};
    rc = feast_bq_send(c, &call, a, &reply, err);
    if (rc == FEAST_E_NOT_FOUND) {
      feast_error e = *err;
      feast_fail(err, FEAST_E_NOT_FOUND, "BigQuery table %s does not exist (%s)", name, e.message);
    }
  }
  if (!rc) rc = feast_bq_table_from_json(reply.doc, false, what, out, err);
  feast_arena_free(a);
  feast_buf_free(&path);
  return rc;
}

feast_code feast_bq_tables_delete(feast_bq *c, const feast_bq_ref *ref, bool missing_ok, feast_error *err) {
  feast_buf path;
  feast_buf_init(&path, 8192);
  char name[2400], what[2500];
  feast_bq_ref_format(ref, name, sizeof name);
  snprintf(what, sizeof what, "BigQuery tables.delete %s", name);
  feast_arena *a = feast_arena_new(0);
  feast_code rc = a ? table_path(ref, &path, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) {
    feast_bq_reply reply;
    feast_bq_call call = {.method = "DELETE", .path = (const char *)path.data, .what = what};
    rc = feast_bq_send(c, &call, a, &reply, err);
    if (rc == FEAST_E_NOT_FOUND && missing_ok) rc = FEAST_OK;
  }
  feast_arena_free(a);
  feast_buf_free(&path);
  return rc;
}

/* A tables.insert or tables.patch body. */
static feast_code table_body(const feast_bq_ref *ref, const char *fields_json, feast_ts expires, feast_buf *b,
                             feast_error *err) {
  feast_json_writer w;
  feast_jw_init(&w, b, FEAST_JSON_UTF8_FAIL, err);
  feast_jw_object(&w);
  if (fields_json) {
    feast_jw_key(&w, "tableReference");
    feast_jw_object(&w);
    feast_jw_key(&w, "projectId");
    feast_jw_string(&w, ref->project);
    feast_jw_key(&w, "datasetId");
    feast_jw_string(&w, ref->dataset);
    feast_jw_key(&w, "tableId");
    feast_jw_string(&w, ref->table);
    feast_jw_object_end(&w);
    feast_jw_key(&w, "schema");
    feast_jw_object(&w);
    feast_jw_key(&w, "fields");
    feast_jw_raw(&w, fields_json, strlen(fields_json));
    feast_jw_object_end(&w);
  }
  if (expires) {
    char ms[32];
    snprintf(ms, sizeof ms, "%lld", (long long)(expires / 1000));
    feast_jw_key(&w, "expirationTime");
    feast_jw_string(&w, ms);
  }
  feast_jw_object_end(&w);
  return feast_jw_finish(&w);
}

static feast_code table_write(feast_bq *c, const char *method, const feast_bq_ref *ref, const char *fields_json,
                              feast_ts expires, feast_error *err) {
  feast_buf path, body;
  feast_buf_init(&path, 8192);
  feast_buf_init(&body, 16 << 20);
  char name[2400], what[2500];
  feast_bq_ref_format(ref, name, sizeof name);
  snprintf(what, sizeof what, "BigQuery tables.%s %s", fields_json ? "insert" : "patch", name);
  feast_bq_ref dsref = *ref;
  if (fields_json) dsref.table[0] = 0; /* insert goes to the dataset's tables collection */
  feast_arena *a = feast_arena_new(0);
  feast_code rc = a ? table_path(&dsref, &path, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc && fields_json) rc = feast_buf_append_str(&path, "/tables", err);
  const char *p = rc ? NULL : feast_buf_cstr(&path, err);
  if (!rc && !p) rc = err->code;
  if (!rc) rc = table_body(ref, fields_json, expires, &body, err);
  if (!rc) {
    feast_bq_reply reply;
    feast_bq_call call = {.method = method, .path = p, .body = body.data, .body_len = body.len, .what = what};
    rc = feast_bq_send(c, &call, a, &reply, err);
  }
  feast_arena_free(a);
  feast_buf_free(&path);
  feast_buf_free(&body);
  return rc;
}

feast_code feast_bq_tables_expire(feast_bq *c, const feast_bq_ref *ref, feast_ts when, feast_error *err) {
  return table_write(c, "PATCH", ref, NULL, when, err);
}

feast_code feast_bq_tables_create(feast_bq *c, const feast_bq_ref *ref, const char *fields_json, feast_ts expires,
                                  feast_error *err) {
  return table_write(c, "POST", ref, fields_json ? fields_json : "[]", expires, err);
}

feast_code feast_bq_datasets_ensure(feast_bq *c, const char *project, const char *dataset, feast_error *err) {
  feast_bq_ref ref;
  memset(&ref, 0, sizeof ref);
  snprintf(ref.project, sizeof ref.project, "%s", project);
  snprintf(ref.dataset, sizeof ref.dataset, "%s", dataset);
  feast_buf path, body;
  feast_buf_init(&path, 8192);
  feast_buf_init(&body, 8192);
  char what[1400];
  snprintf(what, sizeof what, "BigQuery datasets.get %s.%s", project, dataset);
  feast_arena *a = feast_arena_new(0);
  feast_code rc = a ? table_path(&ref, &path, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_bq_reply reply;
  if (!rc) {
    feast_bq_call call = {.method = "GET", .path = (const char *)path.data, .what = what};
    rc = feast_bq_send(c, &call, a, &reply, err);
  }
  if (rc == FEAST_E_NOT_FOUND) {
    feast_json_writer w;
    feast_jw_init(&w, &body, FEAST_JSON_UTF8_FAIL, err);
    feast_jw_object(&w);
    feast_jw_key(&w, "datasetReference");
    feast_jw_object(&w);
    feast_jw_key(&w, "projectId");
    feast_jw_string(&w, project);
    feast_jw_key(&w, "datasetId");
    feast_jw_string(&w, dataset);
    feast_jw_object_end(&w);
    if (feast_bq_location(c)) {
      feast_jw_key(&w, "location");
      feast_jw_string(&w, feast_bq_location(c));
    }
    feast_jw_key(&w, "description");
    feast_jw_string(&w, "feast staging: temporary tables of historical retrieval (they expire)");
    feast_jw_object_end(&w);
    rc = feast_jw_finish(&w);
    feast_buf ipath;
    feast_buf_init(&ipath, 8192);
    if (!rc) rc = feast_buf_append_str(&ipath, "/projects/", err);
    if (!rc) rc = feast_bq_path_escape(&ipath, project, err);
    if (!rc) rc = feast_buf_append_str(&ipath, "/datasets", err);
    const char *p = rc ? NULL : feast_buf_cstr(&ipath, err);
    if (!rc && !p) rc = err->code;
    snprintf(what, sizeof what, "BigQuery datasets.insert %s.%s", project, dataset);
    if (!rc) {
      feast_bq_call call = {.method = "POST", .path = p, .body = body.data, .body_len = body.len, .what = what};
      rc = feast_bq_send(c, &call, a, &reply, err);
      if (rc == FEAST_E_EXISTS) rc = FEAST_OK; /* another process made it meanwhile */
    }
    feast_buf_free(&ipath);
  }
  feast_arena_free(a);
  feast_buf_free(&path);
  feast_buf_free(&body);
  return rc;
}
