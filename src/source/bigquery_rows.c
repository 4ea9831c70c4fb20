/*
 * bigquery_rows.c - the public BigQuery calls of feast/bigquery.h that
 * are about rows and settings: bq:// URIs of entity rows (opened lazily, so
 * a pushed-down retrieval can join the table where it is), the process
 * settings from a configuration, and appending rows to a source's table
 * with a load job.
 */
#include "feast/bigquery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/file.h"
#include "feast/parquet_writer.h"
#include "format/json/json_writer.h"
#include "source/bigquery.h"
#include "source/bigquery_types.h"

feast_code feast_bigquery_configure(const feast_config *cfg, feast_error *err) {
  return feast_bq_settings_set(cfg && cfg->has_bigquery ? &cfg->bigquery : NULL, err);
}

bool feast_bigquery_is_uri(const char *s) { return s && strncmp(s, "bq:", 3) == 0 && s[3]; }

/* ---- lazy rows ---- */

typedef struct lazy {
  feast_batch_source base;
  feast_bq *client;
  feast_bq_source src;
  feast_batch_source *inner; /* opened on the first next() */
} lazy;

static feast_code lazy_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  lazy *l = (lazy *)self;
  if (!l->inner) {
    feast_code rc;
    if (l->src.is_query) {
      feast_bq_job job;
      memset(&job, 0, sizeof job);
      rc = feast_bq_read_query(l->client, l->src.project, l->src.sql, 0, 0, l->src.label, &l->inner, &job, err);
      feast_bq_job_clear(&job);
    } else {
      rc = feast_bq_read_table(l->client, &l->src.table, &l->src.meta, NULL, 0, NULL, 0, 0, false, l->src.label,
                               &l->inner, err);
    }
    if (rc) return rc;
  }
  return l->inner->next(l->inner, out, err);
}

static void lazy_close(feast_batch_source *self) {
  lazy *l = (lazy *)self;
  if (l->inner) l->inner->close(l->inner);
  feast_bq_source_clear(&l->src);
  feast_bq_release(l->client);
  feast_free(l);
}

const feast_bq_source *feast_bq_rows_pending(const feast_batch_source *src) {
  if (!src || src->next != lazy_next) return NULL;
  const lazy *l = (const lazy *)src;
  return l->inner ? NULL : &l->src;
}

feast_code feast_bigquery_rows_open(const char *uri, feast_batch_source **out, feast_batch **schema, feast_error *err) {
  if (!feast_bigquery_is_uri(uri))
    return feast_fail(err, FEAST_E_INVALID, "'%s' is not bq://project.dataset.table or bq:SELECT ...", uri ? uri : "");
  lazy *l = feast_calloc(1, sizeof *l);
  if (!l) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  l->base.next = lazy_next;
  l->base.close = lazy_close;
  feast_code rc = feast_bq_acquire(&l->client, err);
  feast_data_source ds;
  memset(&ds, 0, sizeof ds);
  ds.type = FEAST_SOURCE_BIGQUERY;
  if (strncmp(uri, "bq://", 5) == 0) ds.bigquery.table_ref = (char *)uri + 5;
  else ds.bigquery.query = (char *)uri + 3;
  if (!rc) rc = feast_bq_source_resolve(l->client, &ds, &l->src, err);
  if (!rc) {
    snprintf(l->src.label, sizeof l->src.label, "entity rows %.2500s", uri);
    rc = feast_bq_schema_batch(&l->src, NULL, 0, schema, err);
  }
  if (rc) {
    lazy_close(&l->base);
    return rc;
  }
  *out = &l->base;
  return FEAST_OK;
}

/* ---- appending to a source's table ---- */

/* A TableFieldSchema array for the batch's columns. */
feast_code feast_bq_fields_json(const feast_batch *b, feast_buf *out, feast_error *err) {
  feast_json_writer w;
  feast_jw_init(&w, out, FEAST_JSON_UTF8_FAIL, err);
  feast_jw_array(&w);
  for (int i = 0; i < b->num_columns; i++) {
    const feast_array *a = b->columns[i];
    const char *type;
    bool repeated;
    if (!feast_bq_type_for_dtype(a->type, a->child ? a->child->type : feast_dtype_make(FEAST_DT_NULL), &type, &repeated)) {
      char t[64];
      return feast_fail(err, FEAST_E_UNSUPPORTED, "column %s: %s has no BigQuery type", b->names[i],
                        feast_dtype_name(a->type, t, sizeof t));
    }
    feast_jw_object(&w);
    feast_jw_key(&w, "name");
    feast_jw_string(&w, b->names[i]);
    feast_jw_key(&w, "type");
    feast_jw_string(&w, type);
    feast_jw_key(&w, "mode");
    feast_jw_string(&w, repeated ? "REPEATED" : "NULLABLE");
    feast_jw_object_end(&w);
  }
  feast_jw_array_end(&w);
  feast_code rc = feast_jw_finish(&w);
  if (!rc && !feast_buf_cstr(out, err)) rc = err->code;
  return rc;
}

feast_code feast_bq_load_batches(feast_bq *c, const feast_bq_ref *dest, const feast_batch *schema,
                                 feast_batch_source *rows, feast_batch *const *batches, size_t n_batches, bool append,
                                 feast_ts expires, int64_t *loaded, feast_bq_job *job, feast_error *err) {
  char path[4096];
  const char *tmp = getenv("TMPDIR");
  snprintf(path, sizeof path, "%s/feast-bq-load-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0) return feast_fail(err, FEAST_E_IO, "cannot create a temporary file in %s", tmp && *tmp ? tmp : "/tmp");
  close(fd);
  feast_buf fields, data;
  feast_buf_init(&fields, 1 << 20);
  feast_buf_init(&data, FEAST_BUF_UNLIMITED);
  feast_parquet_writer *w = NULL;
  int64_t n = 0;
  feast_code rc = feast_bq_fields_json(schema, &fields, err);
  if (!rc) rc = feast_parquet_writer_open(path, schema, NULL, &w, err);
  for (size_t i = 0; !rc && i < n_batches; i++) {
    n += batches[i]->num_rows;
    rc = feast_parquet_writer_write(w, batches[i], err);
  }
  while (!rc && rows) {
    feast_batch *b;
    if ((rc = rows->next(rows, &b, err)) || !b) break;
    n += b->num_rows;
    rc = feast_parquet_writer_write(w, b, err);
    feast_batch_free(b);
  }
  if (!rc) rc = feast_parquet_writer_close(w, err);
  feast_parquet_writer_free(w);
  if (!rc) rc = feast_file_read_all(path, &data, err);
  unlink(path);
  memset(job, 0, sizeof *job);
  if (!rc)
    rc = feast_bq_load(c, dest, "PARQUET", (const char *)fields.data, data.data, data.len, append, expires, job, err);
  if (!rc && loaded) *loaded = n;
  feast_buf_free(&fields);
  feast_buf_free(&data);
  return rc;
}

/* One name per type (tables.get may answer with either). */
static const char *canonical(const char *t) {
  static const char *const PAIRS[][2] = {{"INT64", "INTEGER"}, {"FLOAT64", "FLOAT"}, {"BOOL", "BOOLEAN"}, {"STRUCT", "RECORD"}};
  for (size_t i = 0; i < sizeof PAIRS / sizeof *PAIRS; i++)
    if (strcasecmp(t, PAIRS[i][0]) == 0 || strcasecmp(t, PAIRS[i][1]) == 0) return PAIRS[i][1];
  return t;
}

feast_code feast_bigquery_append(const feast_data_source *s, feast_batch *const *batches, size_t n, int64_t *loaded,
                                 feast_error *err) {
  if (loaded) *loaded = 0;
  if (s->type != FEAST_SOURCE_BIGQUERY || !s->bigquery.table_ref || !*s->bigquery.table_ref)
    return feast_fail(err, FEAST_E_INVALID, "rows can be appended to a BigQuery source with a table_ref only");
  if (!n) return FEAST_OK;
  feast_bq *c;
  feast_code rc = feast_bq_acquire(&c, err);
  if (rc) return rc;
  feast_bq_source src;
  if ((rc = feast_bq_source_resolve(c, s, &src, err))) {
    feast_bq_release(c);
    return rc;
  }
  /* The columns are checked against the table before anything is loaded;
   * one load job makes the append all or nothing. */
  feast_error_clear(err);
  const feast_batch *b = batches[0];
  int bad = 0;
  for (int i = 0; i < b->num_columns; i++) {
    const feast_bq_field *f = feast_bq_table_find(&src.meta, b->names[i]);
    const char *type;
    bool repeated;
    const feast_array *a = b->columns[i];
    bool ok = f && feast_bq_type_for_dtype(a->type, a->child ? a->child->type : feast_dtype_make(FEAST_DT_NULL), &type,
                                           &repeated);
    if (ok) {
      feast_dtype want, child;
      char why[256];
      ok = feast_bq_field_dtype(f, &want, &child, why, sizeof why) && (want.id == FEAST_DT_LIST) == repeated &&
           strcmp(type, canonical(f->type)) == 0;
    }
    if (!ok) {
      char t[64];
      if (!bad++) feast_fail(err, FEAST_E_SCHEMA, "%s: nothing was loaded:", src.label);
      if (f)
        feast_error_append(err, "column '%s' (%s) does not fit the table's %s %s", b->names[i],
                           feast_dtype_name(a->type, t, sizeof t), f->mode, f->type);
      else
        feast_error_append(err, "column '%s' is not in the table", b->names[i]);
    }
  }
  if (bad) rc = FEAST_E_SCHEMA;
  feast_bq_job job;
  memset(&job, 0, sizeof job);
  if (!rc) rc = feast_bq_load_batches(c, &src.table, b, NULL, batches, n, true, 0, loaded, &job, err);
  feast_bq_job_clear(&job);
  feast_bq_source_clear(&src);
  feast_bq_release(c);
  return rc;
}
