/*
 * serve_push.c - POST /push (docs/serve.md): rows into the online store,
 * the offline store (the table's file batch source, as `feast push` writes
 * it), or both. The document follows the feature server's push request,
 * with a feature table where later Feast versions name a push source:
 *
 *   {"feature_table": "driver_trips",          (or "push_source_name")
 *    "df": {"driver_id": [1001], "conv_rate": [0.5],
 *           "event_timestamp": ["2021-04-12T10:00:00Z"]},
 *    "to": "online" | "offline" | "online_and_offline",   (default online)
 *    "project": "default"}
 *
 * Columns are the batch source's (field mapping applied, as for `feast
 * push`), typed by the files already in the source when there are any, else
 * by the spec. Values: numbers or numeric strings for numbers, booleans,
 * strings, RFC 3339 strings or epoch seconds for timestamps, null. Online
 * writes go through the same "only if newer" ingestion as `feast ingest`;
 * an offline push writes nothing unless every row is valid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "engine/store_internal.h"
#include "feast/sdk.h"
#include "feast/source.h"
#include "format/json/json_reader.h"
#include "format/json/json_writer.h"
#include "serve/serve_http_handlers.h"
#include "serve/serve_internal.h"

/* A source yielding one batch it does not own; rewound for each use. */
typedef struct one_batch {
  feast_batch_source base;
  const feast_batch *b;
  bool done;
} one_batch;

static feast_code one_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  one_batch *o = (one_batch *)self;
  *out = NULL;
  if (o->done) return FEAST_OK;
  o->done = true;
  /* The consumer frees what it is given: hand it a copy of the columns. */
  feast_batch *copy = feast_batch_new(o->b->num_columns);
  if (!copy) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int i = 0; i < o->b->num_columns; i++) {
    const feast_array *a = o->b->columns[i];
    feast_array *c = feast_array_new(a->type, a->child ? a->child->type : feast_dtype_make(0));
    feast_code rc = c ? feast_array_append_range(c, a, 0, a->length, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (!rc) rc = feast_batch_set_column(copy, i, o->b->names[i], c, err);
    else feast_array_free(c);
    if (rc) {
      feast_batch_free(copy);
      return rc;
    }
  }
  copy->num_rows = o->b->num_rows;
  *out = copy;
  return FEAST_OK;
}

static void one_close(feast_batch_source *self) { (void)self; }

typedef struct column_type {
  const char *name;
  feast_dtype type;
} column_type;

/* What the spec says each batch source column holds (cmd_push.c's rule). */
static size_t spec_types(const feast_snapshot_table *st, column_type *out, size_t max) {
  const feast_feature_table_spec *t = &st->table->spec;
  const feast_data_source *s = &t->batch_source;
  size_t n = 0;
  for (size_t i = 0; i < t->n_entities && n < max; i++)
    out[n++] = (column_type){feast_source_column(s, t->entities[i]), feast_dtype_for_value_type(st->entity_types[i])};
  for (size_t i = 0; i < t->n_features && n < max; i++)
    if (!feast_value_type_is_list(t->features[i].value_type))
      out[n++] = (column_type){feast_source_column(s, t->features[i].name),
                               feast_dtype_for_value_type(t->features[i].value_type)};
  feast_dtype ts = feast_dtype_timestamp(FEAST_UNIT_US, true);
  if (s->event_timestamp_column && n < max) out[n++] = (column_type){s->event_timestamp_column, ts};
  if (s->created_timestamp_column && n < max) out[n++] = (column_type){s->created_timestamp_column, ts};
  return n;
}

static int64_t us_to_unit(int64_t us, int unit) {
  switch (unit) {
  case FEAST_UNIT_S: return us / 1000000;
  case FEAST_UNIT_MS: return us / 1000;
  case FEAST_UNIT_NS: return us * 1000;
  default: return us;
  }
}

/* One JSON value into column `a`. false: not a value of that type. */
static bool append_value(feast_array *a, const feast_json_value *v, feast_error *err, feast_code *rc) {
  *rc = FEAST_OK;
  if (v->kind == FEAST_JSON_NULL) {
    *rc = feast_array_append_null(a, err);
    return true;
  }
  feast_dtype t = a->type;
  if (feast_dtype_is_integer(t)) {
    int64_t x;
    if ((v->kind != FEAST_JSON_NUMBER && v->kind != FEAST_JSON_STRING) || !feast_json_number_int64(v->str, v->len, &x))
      return false;
    *rc = feast_array_append_int(a, x, err);
    return true;
  }
  switch (t.id) {
  case FEAST_DT_FLOAT:
  case FEAST_DT_DOUBLE: {
    double d;
    if ((v->kind != FEAST_JSON_NUMBER && v->kind != FEAST_JSON_STRING) || !feast_json_number_double(v->str, v->len, &d))
      return false;
    *rc = feast_array_append_double(a, d, err);
    return true;
  }
  case FEAST_DT_BOOL:
    if (v->kind != FEAST_JSON_TRUE && v->kind != FEAST_JSON_FALSE) return false;
    *rc = feast_array_append_bool(a, v->kind == FEAST_JSON_TRUE, err);
    return true;
  case FEAST_DT_STRING:
  case FEAST_DT_BINARY:
    if (v->kind != FEAST_JSON_STRING) return false;
    *rc = feast_array_append_bytes(a, v->str, v->len, err);
    return true;
  case FEAST_DT_TIMESTAMP:
  case FEAST_DT_DATE32: {
    feast_ts us;
    feast_error ignored;
    if (v->kind == FEAST_JSON_STRING) {
      if (feast_ts_parse(v->str, &us, &ignored)) return false;
    } else if (v->kind == FEAST_JSON_NUMBER) {
      double s;
      if (!feast_json_number_double(v->str, v->len, &s) || s < -1e11 || s > 1e11) return false;
      us = (feast_ts)(s * 1e6);
    } else {
      return false;
    }
    int64_t x = t.id == FEAST_DT_DATE32 ? (us >= 0 ? us / 86400000000ll : -((-us + 86399999999ll) / 86400000000ll))
                                        : us_to_unit(us, t.unit);
    *rc = feast_array_append_int(a, x, err);
    return true;
  }
  default: return false;
  }
}

static void files_json(void *ctx, const char *path, int64_t rows) {
  feast_buf *b = ctx;
  feast_error err;
  (void)rows;
  if (b->len > 1) feast_buf_append_byte(b, ',', &err);
  feast_json_append_string(b, path, strlen(path), FEAST_JSON_UTF8_REPLACE, &err);
}

static int status_of(feast_code code) {
  switch (code) {
  case FEAST_E_NOT_FOUND: return 404;
  case FEAST_E_INVALID:
  case FEAST_E_SCHEMA:
  case FEAST_E_VALIDATION:
  case FEAST_E_CORRUPT: return 400;
  case FEAST_E_UNSUPPORTED: return 422;
  case FEAST_E_TOO_BIG: return 413;
  case FEAST_E_NOMEM:
  case FEAST_E_CONNECT:
  case FEAST_E_TIMEOUT:
  case FEAST_E_SERVER: return 503;
  default: return 500;
  }
}

#define MAX_COLUMNS 1024

void serve_http_push(serve_http_request *r, serve_endpoint id) {
  r->endpoint = id;
  feast_error err;
  static const feast_json_limits limits = {.max_depth = 16};
  const feast_json_value *doc;
  if (feast_json_parse(r->body, r->body_len, "request body", &limits, r->arena, &doc, &err)) {
    serve_http_error(r, err.code == FEAST_E_NOMEM ? 503 : 400, "%s", err.message);
    return;
  }
  if (doc->kind != FEAST_JSON_OBJECT) {
    serve_http_error(r, 400, "the request must be an object with 'feature_table' and 'df'");
    return;
  }
  const char *table = NULL, *to = "online", *project = feast_store_project(r->ctx->store);
  const feast_json_value *df = NULL;
  for (size_t i = 0; i < doc->len; i++) {
    const char *k = doc->keys[i];
    const feast_json_value *v = &doc->items[i];
    if (!strcmp(k, "feature_table") || !strcmp(k, "push_source_name")) table = feast_json_string_of(v);
    else if (!strcmp(k, "df")) df = v;
    else if (!strcmp(k, "to")) to = feast_json_string_of(v);
    else if (!strcmp(k, "project")) project = feast_json_string_of(v);
    else if (strcmp(k, "allow_registry_cache")) {
      serve_http_error(r, 400, "unknown key '%.64s' (expected feature_table, df, to, project)", k);
      return;
    }
    if (!to || !project) {
      serve_http_error(r, 400, "'%s' must be a string", k);
      return;
    }
  }
  if (!table || !*table) {
    serve_http_error(r, 400, "'feature_table' must name the table to push to");
    return;
  }
  bool online = !strcmp(to, "online") || !strcmp(to, "online_and_offline") || !strcmp(to, "both");
  bool offline = !strcmp(to, "offline") || !strcmp(to, "online_and_offline") || !strcmp(to, "both");
  if (!online && !offline) {
    serve_http_error(r, 400, "'to' must be online, offline or online_and_offline");
    return;
  }
  /* Auth before anything about the table is told. */
  if (!serve_http_authorize(r, project, SERVE_WRITE)) return;
  if (strcmp(project, feast_store_project(r->ctx->store)) != 0) {
    serve_http_error(r, 404, "project '%.64s' is not served here (this daemon serves '%s')", project,
                     feast_store_project(r->ctx->store));
    return;
  }
  if (!df || df->kind != FEAST_JSON_OBJECT || df->len == 0) {
    serve_http_error(r, 400, "'df' must be an object of column name -> list of values");
    return;
  }
  if (df->len > MAX_COLUMNS) {
    serve_http_error(r, 400, "more than %d columns", MAX_COLUMNS);
    return;
  }
  feast_snapshot *snap = NULL;
  const feast_snapshot_table *st = NULL;
  if (feast_store_table(r->ctx->store, table, &snap, &st, &err)) {
    serve_http_error(r, status_of(err.code), "%s", err.message);
    return;
  }
  /* Files already in the source fix the types a push must have. */
  feast_batch *existing = NULL;
  feast_error probe;
  if (feast_source_schema(&st->table->spec.batch_source, &existing, &probe) != FEAST_OK) existing = NULL;
  column_type types[MAX_COLUMNS];
  size_t n_types = 0;
  if (existing) {
    const char *part = st->table->spec.batch_source.date_partition_column;
    for (int i = 0; i < existing->num_columns && n_types < MAX_COLUMNS; i++)
      if (!part || strcmp(existing->names[i], part) != 0)
        types[n_types++] = (column_type){existing->names[i], existing->columns[i]->type};
  } else {
    n_types = spec_types(st, types, MAX_COLUMNS);
  }
  size_t rows = 0;
  feast_batch *b = feast_batch_new((int)df->len);
  int code = 0;
  char msg[512] = "";
  feast_code rc = b ? FEAST_OK : FEAST_E_NOMEM;
  for (size_t i = 0; i < df->len && !rc && !code; i++) {
    const char *name = df->keys[i];
    const feast_json_value *col = &df->items[i];
    const column_type *ct = NULL;
    for (size_t k = 0; k < n_types && !ct; k++)
      if (!strcmp(types[k].name, name)) ct = &types[k];
    if (!ct) {
      code = 400;
      snprintf(msg, sizeof msg, "df.%.64s is not a column of %s's batch source", name, table);
      break;
    }
    if (col->kind != FEAST_JSON_ARRAY) {
      code = 400;
      snprintf(msg, sizeof msg, "df.%.64s must be a list of values", name);
      break;
    }
    if (i == 0) rows = col->len;
    if (col->len != rows || rows == 0) {
      code = 400;
      snprintf(msg, sizeof msg, "df.%.64s has %zu values, df.%.64s has %zu: every column needs one per row (and one row at least)",
               name, col->len, df->keys[0], rows);
      break;
    }
    feast_array *arr = feast_array_new(ct->type, feast_dtype_make(0));
    if (!arr) {
      rc = FEAST_E_NOMEM;
      break;
    }
    if ((rc = feast_batch_set_column(b, (int)i, name, arr, &err))) break;
    for (size_t j = 0; j < rows && !rc; j++) {
      if (!append_value(arr, &col->items[j], &err, &rc)) {
        char tn[64];
        code = 400;
        snprintf(msg, sizeof msg, "df.%.64s[%zu] is not a value of type %s", name, j,
                 feast_dtype_name(ct->type, tn, sizeof tn));
        break;
      }
    }
  }
  feast_batch_free(existing);
  if (!rc && !code) b->num_rows = (int64_t)rows;
  if (rc || code) {
    feast_batch_free(b);
    feast_snapshot_unref(snap);
    if (code) serve_http_error(r, code, "%s", msg);
    else serve_http_error(r, status_of(rc), "%s", rc == FEAST_E_NOMEM ? "out of memory" : err.message);
    return;
  }
  feast_buf out;
  feast_buf_init(&out, 1u << 20);
  feast_buf files;
  feast_buf_init(&files, 1u << 20);
  feast_buf_append_byte(&files, '[', &err);
  one_batch src = {{one_next, one_close}, b, false};
  if (offline) {
    rc = feast_store_push_offline(r->ctx->store, table, &src.base, files_json, &files, &err);
    if (rc) feast_error_prefix(&err, "offline: nothing was pushed: ");
  }
  feast_ingest_summary sum;
  memset(&sum, 0, sizeof sum);
  if (!rc && online) {
    src.done = false;
    feast_ingest_options opts;
    memset(&opts, 0, sizeof opts);
    opts.write_each_batch = true;
    rc = feast_store_ingest(r->ctx->store, table, &src.base, &opts, &sum, &err);
    if (rc) {
      serve_metrics_online_store_error(r->ctx->metrics);
      feast_error_prefix(&err, "online%s: ", offline ? " (the offline push was written)" : "");
    }
  }
  feast_batch_free(b);
  feast_snapshot_unref(snap);
  feast_buf_append_byte(&files, ']', &err);
  if (rc) {
    serve_http_error(r, status_of(rc), "%s", err.message);
  } else {
    feast_code wrc = feast_buf_printf(&out, &err, "{\"feature_table\":");
    if (!wrc) wrc = feast_json_append_string(&out, table, strlen(table), FEAST_JSON_UTF8_REPLACE, &err);
    if (!wrc) wrc = feast_buf_printf(&out, &err, ",\"rows\":%zu", rows);
    if (!wrc && online)
      wrc = feast_buf_printf(&out, &err, ",\"online\":{\"written\":%lld,\"skipped_older\":%lld,\"rejected\":%lld}",
                             (long long)sum.written, (long long)sum.skipped_older, (long long)sum.rejected);
    if (!wrc && offline) {
      wrc = feast_buf_printf(&out, &err, ",\"offline\":{\"files\":");
      if (!wrc) wrc = feast_buf_append(&out, files.data, files.len, &err);
      if (!wrc) wrc = feast_buf_append_byte(&out, '}', &err);
    }
    if (!wrc) wrc = feast_buf_append_str(&out, "}\n", &err);
    if (wrc) serve_http_error(r, 503, "out of memory");
    else serve_http_respond(r, 200, "application/json", (const char *)out.data, out.len);
    r->rows = rows;
  }
  feast_buf_free(&out);
  feast_buf_free(&files);
}
