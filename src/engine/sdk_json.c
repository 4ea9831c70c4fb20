/*
 * sdk_json.c - the conveniences of sdk.h for language bindings: registry
 * objects and apply results as JSON (so bindings need no struct mirrors)
 * and historical retrieval from an Arrow stream or a file path.
 */
#include "feast/sdk.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "feast/bigquery.h"
#include "feast/source.h"
#include "format/proto/feastproto.h"
#include "format/json/json_writer.h"

#define JSON_MAX ((size_t)1 << 31)

void feast_string_free(char *s) { feast_free(s); }

static const char *kind_name(feast_doc_kind k) { return k == FEAST_DOC_ENTITY ? "entity" : "feature_table"; }

static feast_code finish(feast_buf *b, feast_code rc, char **out, feast_error *err) {
  if (!rc && !feast_buf_cstr(b, err)) rc = err->code;
  if (rc) {
    feast_buf_free(b);
    return rc;
  }
  *out = (char *)feast_buf_detach(b, NULL);
  return FEAST_OK;
}

feast_code feast_store_apply_json(feast_store *s, const char *const *paths, size_t n_paths, const char *text,
                                  const char *text_name, bool skip_source_check, char **out, feast_error *err) {
  *out = NULL;
  feast_spec_docs docs;
  memset(&docs, 0, sizeof docs);
  feast_apply_result res;
  memset(&res, 0, sizeof res);
  feast_code rc = FEAST_OK;
  for (size_t i = 0; i < n_paths && !rc; i++) rc = feast_specfile_parse(paths[i], &docs, err);
  if (!rc && text) rc = feast_specfile_parse_text(text, strlen(text), text_name ? text_name : "<text>", &docs, err);
  if (!rc && docs.n == 0) rc = feast_fail(err, FEAST_E_INVALID, "apply: no spec documents given");
  if (!rc)
    rc = feast_registry_apply(feast_store_registry(s), feast_store_project(s), &docs, skip_source_check, &res, err);
  feast_buf b;
  feast_buf_init(&b, JSON_MAX);
  if (!rc) rc = feast_buf_append_byte(&b, '[', err);
  for (size_t i = 0; i < res.n && !rc; i++) {
    const feast_apply_item *it = &res.items[i];
    rc = feast_buf_printf(&b, err, "%s{\"kind\":\"%s\",\"name\":", i ? "," : "", kind_name(it->kind));
    if (!rc) rc = feast_json_append_string(&b, it->name, strlen(it->name), FEAST_JSON_UTF8_REPLACE, err);
    if (!rc)
      rc = feast_buf_printf(&b, err, ",\"action\":\"%s\",\"revision\":%lld}", feast_apply_action_name(it->action),
                            (long long)it->revision);
  }
  if (!rc) rc = feast_buf_append_byte(&b, ']', err);
  feast_apply_result_clear(&res);
  feast_spec_docs_clear(&docs);
  return finish(&b, rc, out, err);
}

/* {"spec":...,"meta":...} for one object; `spec` is an entity or table spec. */
static feast_code object_json(feast_buf *b, feast_doc_kind kind, const void *spec, const feast_meta *meta,
                              feast_error *err) {
  char *text = NULL;
  feast_code rc = kind == FEAST_DOC_ENTITY ? feast_entity_emit(spec, FEAST_SPEC_JSON, &text, err)
                                           : feast_feature_table_emit(spec, FEAST_SPEC_JSON, &text, err);
  if (rc) return rc;
  /* The emitted document is {"spec": {...}}: drop its closing brace and add meta. */
  size_t n = strlen(text);
  while (n && (text[n - 1] == '\n' || text[n - 1] == ' ')) n--;
  if (!n || text[n - 1] != '}') rc = feast_fail(err, FEAST_E_INTERNAL, "spec JSON does not end in '}'");
  if (!rc) rc = feast_buf_append(b, text, n - 1, err);
  free(text);
  char c[FEAST_TS_STRLEN], u[FEAST_TS_STRLEN];
  if (!rc)
    rc = feast_buf_printf(b, err, ",\"meta\":{\"createdTimestamp\":\"%s\",\"lastUpdatedTimestamp\":\"%s\",\"revision\":%lld}}",
                          feast_ts_format(meta->created, c, sizeof c), feast_ts_format(meta->last_updated, u, sizeof u),
                          (long long)meta->revision);
  return rc;
}

feast_code feast_store_describe_json(feast_store *s, feast_doc_kind kind, const char *name, char **out,
                                     feast_error *err) {
  *out = NULL;
  feast_buf b;
  feast_buf_init(&b, JSON_MAX);
  feast_code rc;
  if (kind == FEAST_DOC_ENTITY) {
    feast_entity e;
    memset(&e, 0, sizeof e);
    rc = feast_registry_get_entity(feast_store_registry(s), feast_store_project(s), name, &e, err);
    if (!rc) rc = object_json(&b, kind, &e.spec, &e.meta, err);
    feast_entity_clear(&e);
  } else {
    feast_feature_table t;
    memset(&t, 0, sizeof t);
    rc = feast_registry_get_feature_table(feast_store_registry(s), feast_store_project(s), name, &t, err);
    if (!rc) rc = object_json(&b, kind, &t.spec, &t.meta, err);
    feast_feature_table_clear(&t);
  }
  return finish(&b, rc, out, err);
}

feast_code feast_store_list_json(feast_store *s, feast_doc_kind kind, const char *const *keys,
                                 const char *const *values, size_t n_labels, char **out, feast_error *err) {
  *out = NULL;
  feast_map labels;
  memset(&labels, 0, sizeof labels);
  feast_code rc = FEAST_OK;
  for (size_t i = 0; i < n_labels && !rc; i++) rc = feast_map_set(&labels, keys[i], values[i], err);
  feast_buf b;
  feast_buf_init(&b, JSON_MAX);
  if (!rc) rc = feast_buf_append_byte(&b, '[', err);
  feast_registry *reg = feast_store_registry(s);
  const char *project = feast_store_project(s);
  if (!rc && kind == FEAST_DOC_ENTITY) {
    feast_entity_list l;
    memset(&l, 0, sizeof l);
    rc = feast_registry_list_entities(reg, project, &labels, &l, err);
    for (size_t i = 0; i < l.n && !rc; i++) {
      if (i) rc = feast_buf_append_byte(&b, ',', err);
      if (!rc) rc = object_json(&b, kind, &l.items[i].spec, &l.items[i].meta, err);
    }
    feast_entity_list_clear(&l);
  } else if (!rc) {
    feast_feature_table_list l;
    memset(&l, 0, sizeof l);
    rc = feast_registry_list_feature_tables(reg, project, &labels, &l, err);
    for (size_t i = 0; i < l.n && !rc; i++) {
      if (i) rc = feast_buf_append_byte(&b, ',', err);
      if (!rc) rc = object_json(&b, kind, &l.items[i].spec, &l.items[i].meta, err);
    }
    feast_feature_table_list_clear(&l);
  }
  if (!rc) rc = feast_buf_append_byte(&b, ']', err);
  feast_map_clear(&labels);
  return finish(&b, rc, out, err);
}

feast_code feast_store_projects_json(feast_store *s, bool include_archived, char **out, feast_error *err) {
  *out = NULL;
  feast_project_list l;
  memset(&l, 0, sizeof l);
  feast_code rc = feast_registry_list_projects(feast_store_registry(s), include_archived, &l, err);
  feast_buf b;
  feast_buf_init(&b, JSON_MAX);
  if (!rc) rc = feast_buf_append_byte(&b, '[', err);
  for (size_t i = 0; i < l.n && !rc; i++) {
    rc = feast_buf_append_str(&b, i ? ",{\"name\":" : "{\"name\":", err);
    if (!rc) rc = feast_json_append_string(&b, l.items[i].name, strlen(l.items[i].name), FEAST_JSON_UTF8_REPLACE, err);
    if (!rc) rc = feast_buf_printf(&b, err, ",\"archived\":%s}", l.items[i].archived ? "true" : "false");
  }
  if (!rc) rc = feast_buf_append_byte(&b, ']', err);
  feast_project_list_clear(&l);
  return finish(&b, rc, out, err);
}

feast_code feast_store_historical_stream(feast_store *s, const char *const *refs, size_t n_refs,
                                         struct ArrowArrayStream *entities, const char *entities_path,
                                         const feast_historical_options *opts, struct ArrowArrayStream *out,
                                         feast_retrieval_summary *summary, feast_error *err) {
  feast_batch_source *ents = NULL, *res = NULL;
  feast_batch *schema = NULL;
  feast_code rc;
  if (entities) {
    rc = feast_arrow_stream_import(entities, &ents, err);
    if (rc && entities->release) entities->release(entities);
  } else if (entities_path) {
    feast_csv_column_type types[256];
    int nt = feast_store_entity_column_types(s, refs, n_refs, opts ? opts->entity_ts_column : NULL, types, 256);
    /* bq://P.D.T or bq:SELECT ...: entity rows in BigQuery (a BigQuerySource's) */
    rc = feast_bigquery_is_uri(entities_path) ? feast_bigquery_rows_open(entities_path, &ents, &schema, err)
                                              : feast_rows_open(entities_path, types, nt, &ents, &schema, err);
  } else {
    rc = feast_fail(err, FEAST_E_INVALID, "historical retrieval needs entity rows (a stream or a file path)");
  }
  if (rc) return rc;
  rc = feast_store_get_historical_features(s, refs, n_refs, ents, opts, &res, summary, err);
  ents->close(ents);
  feast_batch_free(schema);
  if (rc) return rc;
  rc = feast_arrow_stream_export(res, feast_retrieval_schema(res), out, err);
  if (rc) res->close(res);
  return rc;
}

size_t feast_abi_sizeof(const char *name) {
  static const struct {
    const char *name;
    size_t size;
  } sizes[] = {
      {"feast_error", sizeof(feast_error)},
      {"feast_ingest_options", sizeof(feast_ingest_options)},
      {"feast_ingest_summary", sizeof(feast_ingest_summary)},
      {"feast_historical_options", sizeof(feast_historical_options)},
      {"feast_retrieval_summary", sizeof(feast_retrieval_summary)},
      {"feast_stream_run_options", sizeof(feast_stream_run_options)},
      {"feast_stream_counters", sizeof(feast_stream_counters)},
  };
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    if (strcmp(sizes[i].name, name) == 0) return sizes[i].size;
  return 0;
}
