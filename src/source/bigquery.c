/*
 * bigquery.c - the BigQuery connector: a BigQuerySource's table_ref
 * (project:dataset.table or project.dataset.table) or query read through
 * the Storage Read API (bigquery_read.c), with the event-time window pushed
 * into the read as a row restriction, which BigQuery also uses to prune the
 * partitions of a table partitioned on that column; a date partition
 * column is restricted too. A query source (or a view) runs as a query job
 * with the window in its WHERE clause, and its result table is read the
 * same way. schema() reads tables.get (or a dry run's schema) only.
 */
#include "source/bigquery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "source/bigquery_read.h"
#include "source/bigquery_types.h"
#include "source/connector.h"

/* ---- SQL text ---- */

void feast_bq_sql_time_literal(feast_ts ts, const char *bq_type, char *out, size_t cap) {
  /* BigQuery's range: 0001-01-01 to 9999-12-31 23:59:59.999999 UTC. */
  const feast_ts lo = INT64_C(-62135596800000000), hi = INT64_C(253402300799999999);
  if (ts < lo) ts = lo;
  if (ts > hi) ts = hi;
  int64_t days = ts / (86400 * FEAST_US_PER_SEC), us = ts % (86400 * FEAST_US_PER_SEC);
  if (us < 0) {
    us += 86400 * FEAST_US_PER_SEC;
    days--;
  }
  int64_t y;
  unsigned m, d;
  feast_civil_from_days(days, &y, &m, &d);
  int64_t secs = us / FEAST_US_PER_SEC, frac = us % FEAST_US_PER_SEC;
  const char *t = bq_type ? bq_type : "TIMESTAMP";
  if (strcasecmp(t, "DATE") == 0)
    snprintf(out, cap, "DATE '%04lld-%02u-%02u'", (long long)y, m, d);
  else
    snprintf(out, cap, "%s '%04lld-%02u-%02u %02lld:%02lld:%02lld.%06lld%s'",
             strcasecmp(t, "DATETIME") == 0 ? "DATETIME" : "TIMESTAMP", (long long)y, m, d, (long long)(secs / 3600),
             (long long)(secs / 60 % 60), (long long)(secs % 60), (long long)frac,
             strcasecmp(t, "DATETIME") == 0 ? "" : "+00:00");
}

feast_code feast_bq_sql_ident(feast_buf *b, const char *name, feast_error *err) {
  if (strchr(name, '`') || strchr(name, '\\') || strchr(name, '\n'))
    return feast_fail(err, FEAST_E_INVALID, "'%s' cannot be a BigQuery column name (backquote, backslash or newline)",
                      name);
  feast_code rc = feast_buf_append_byte(b, '`', err);
  if (!rc) rc = feast_buf_append_str(b, name, err);
  return rc ? rc : feast_buf_append_byte(b, '`', err);
}

feast_code feast_bq_sql_string(feast_buf *b, const char *s, feast_error *err) {
  feast_code rc = feast_buf_append_byte(b, '\'', err);
  for (; !rc && *s; s++) {
    if (*s == '\'' || *s == '\\') rc = feast_buf_append_byte(b, '\\', err);
    if (!rc) rc = *s == '\n' ? feast_buf_append_str(b, "\\n", err) : feast_buf_append_byte(b, (uint8_t)*s, err);
  }
  return rc ? rc : feast_buf_append_byte(b, '\'', err);
}

static feast_code bound(feast_buf *out, const feast_bq_field *f, const char *op, feast_ts ts, feast_error *err) {
  char lit[96];
  feast_bq_sql_time_literal(ts, f->type, lit, sizeof lit);
  feast_code rc = out->len ? feast_buf_append_str(out, " AND ", err) : FEAST_OK;
  if (!rc) rc = feast_bq_sql_ident(out, f->name, err);
  return rc ? rc : feast_buf_printf(out, err, " %s %s", op, lit);
}

static bool time_type(const feast_bq_field *f) {
  return f && (strcasecmp(f->type, "TIMESTAMP") == 0 || strcasecmp(f->type, "DATETIME") == 0 ||
               strcasecmp(f->type, "DATE") == 0);
}

feast_code feast_bq_window_predicate(const feast_bq_source *src, const feast_data_source *s, feast_ts lo, feast_ts hi,
                                     feast_buf *out, feast_error *err) {
  const char *cols[2] = {s->event_timestamp_column, s->date_partition_column};
  feast_code rc = FEAST_OK;
  for (int k = 0; k < 2 && !rc; k++) {
    if (!cols[k] || (k == 1 && cols[0] && strcmp(cols[0], cols[1]) == 0)) continue;
    const feast_bq_field *f = feast_bq_table_find(&src->meta, cols[k]);
    if (!time_type(f)) continue; /* the source check reports a wrong type; a string date partition is not pruned */
    if (lo != FEAST_TS_MIN) rc = bound(out, f, ">=", lo, err);
    if (!rc && hi != FEAST_TS_MAX) rc = bound(out, f, "<=", hi, err);
  }
  if (!rc && !feast_buf_cstr(out, err)) rc = err->code;
  return rc;
}

/* ---- sources ---- */

void feast_bq_source_clear(feast_bq_source *s) {
  feast_free(s->sql);
  feast_free(s->project);
  feast_bq_table_free(&s->meta);
  memset(s, 0, sizeof *s);
}

feast_code feast_bq_source_resolve(feast_bq *c, const feast_data_source *s, feast_bq_source *out, feast_error *err) {
  memset(out, 0, sizeof *out);
  const char *query = s->bigquery.query, *ref = s->bigquery.table_ref;
  feast_code rc = FEAST_OK;
  if (query && *query) {
    out->is_query = true;
    snprintf(out->label, sizeof out->label, "BigQuery query source");
    out->sql = feast_strdup(query);
    out->project = feast_strdup(feast_bq_job_project(c, ""));
    if (!out->sql || !out->project) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    else if (!out->project[0])
      rc = feast_fail(err, FEAST_E_INVALID,
                      "a BigQuery query source needs a project to run in: set bigquery.project in feature_store.yaml");
    if (!rc) rc = feast_bq_query_schema(c, out->project, out->sql, &out->meta, NULL, err);
    if (rc) feast_error_prefix(err, "BigQuery query source: ");
  } else if (ref && *ref) {
    snprintf(out->label, sizeof out->label, "BigQuery source %s", ref);
    rc = feast_bq_ref_parse(ref, feast_bq_job_project(c, NULL), &out->table, err);
    if (!rc) rc = feast_bq_tables_get(c, &out->table, &out->meta, err);
    if (!rc) out->project = feast_strdup(feast_bq_job_project(c, out->table.project));
    if (!rc && !out->project) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (!rc && out->meta.kind && strcasecmp(out->meta.kind, "TABLE") != 0 && strcasecmp(out->meta.kind, "SNAPSHOT") != 0) {
      /* Views and external tables are not readable by the Storage Read API. */
      char sql[2600], name[2400];
      feast_bq_ref_sql(&out->table, name, sizeof name);
      snprintf(sql, sizeof sql, "SELECT * FROM %s", name);
      out->is_query = true;
      if (!(out->sql = feast_strdup(sql))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    }
  } else {
    rc = feast_fail(err, FEAST_E_INVALID, "the BigQuery source has neither table_ref nor query");
  }
  if (rc) feast_bq_source_clear(out);
  return rc;
}

feast_code feast_bq_read_table(feast_bq *c, const feast_bq_ref *table, const feast_bq_table *meta,
                               const char *const *columns, int ncols, const char *restriction, int threads,
                               int64_t ahead_bytes, bool drop, const char *label, feast_batch_source **out,
                               feast_error *err) {
  feast_bq_reader_options o;
  memset(&o, 0, sizeof o);
  o.client = c;
  o.table = table;
  o.meta = meta;
  o.columns = columns;
  o.ncols = ncols;
  o.row_restriction = restriction && *restriction ? restriction : NULL;
  o.threads = threads;
  o.ahead_bytes = ahead_bytes;
  o.drop_table = drop;
  o.label = label;
  return feast_bq_reader_open(&o, out, err);
}

feast_code feast_bq_read_query(feast_bq *c, const char *project, const char *sql, int threads, int64_t ahead_bytes,
                               const char *label, feast_batch_source **out, feast_bq_job *job, feast_error *err) {
  feast_bq_job_options o;
  memset(&o, 0, sizeof o);
  o.label = "read";
  feast_code rc = feast_bq_query(c, project, sql, &o, job, err);
  if (!rc && !job->destination.table[0]) rc = feast_fail(err, FEAST_E_SERVER, "%s: the query job has no result table", label);
  feast_bq_table meta;
  memset(&meta, 0, sizeof meta);
  if (!rc && !job->has_schema) rc = feast_bq_tables_get(c, &job->destination, &meta, err);
  /* The emulator keeps every anonymous result in a dataset of its own: drop it. */
  if (!rc)
    rc = feast_bq_read_table(c, &job->destination, job->has_schema ? &job->schema : &meta, NULL, 0, NULL, threads,
                             ahead_bytes, feast_bq_is_emulator(c), label, out, err);
  feast_bq_table_free(&meta);
  return rc;
}

/* ---- the connector ---- */

feast_code feast_bq_schema_batch(const feast_bq_source *src, const char *const *columns, int ncols, feast_batch **out,
                                 feast_error *err) {
  size_t n = ncols > 0 ? (size_t)ncols : src->meta.n_fields;
  feast_batch *b = feast_batch_new((int)n);
  int k = 0;
  feast_code rc = b ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; !rc && i < n; i++) {
    const feast_bq_field *f = ncols > 0 ? feast_bq_table_find(&src->meta, columns[i]) : &src->meta.fields[i];
    if (!f) continue; /* the check reports it missing */
    feast_dtype t, child;
    char why[512];
    if (!feast_bq_field_dtype(f, &t, &child, why, sizeof why)) {
      rc = feast_fail(err, FEAST_E_UNSUPPORTED, "%s: %s", src->label, why);
      break;
    }
    feast_array *a = feast_array_new(t, child);
    rc = a ? feast_batch_set_column(b, k++, ncols > 0 ? columns[i] : f->name, a, err)
           : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  if (b) b->num_columns = k;
  if (rc) {
    feast_batch_free(b);
    return rc;
  }
  *out = b;
  return FEAST_OK;
}

static feast_code bq_schema(const feast_data_source *s, const char *const *columns, int ncols, feast_batch **out,
                            feast_error *err) {
  feast_bq *c;
  feast_code rc = feast_bq_acquire(&c, err);
  if (rc) return rc;
  feast_bq_source src;
  rc = feast_bq_source_resolve(c, s, &src, err);
  feast_bq_release(c);
  if (rc) return rc;
  rc = feast_bq_schema_batch(&src, columns, ncols, out, err);
  feast_bq_source_clear(&src);
  return rc;
}

static feast_code bq_open(const feast_data_source *s, const feast_batch_read *r, feast_batch_source **out,
                          feast_error *err) {
  feast_bq *c;
  feast_code rc = feast_bq_acquire(&c, err);
  if (rc) return rc;
  feast_bq_source src;
  if ((rc = feast_bq_source_resolve(c, s, &src, err))) {
    feast_bq_release(c);
    return rc;
  }
  feast_buf where, sql;
  feast_buf_init(&where, 1 << 16);
  feast_buf_init(&sql, 16 << 20);
  if (r->prune) rc = feast_bq_window_predicate(&src, s, r->lo, r->hi, &where, err);
  const char *restriction = where.len ? (const char *)where.data : NULL;
  if (!rc && !src.is_query) {
    rc = feast_bq_read_table(c, &src.table, &src.meta, r->columns, r->ncols, restriction, r->threads, r->ahead_bytes,
                             false, src.label, out, err);
  } else if (!rc) {
    /* SELECT the projection FROM (the query) WHERE the window. */
    rc = feast_buf_append_str(&sql, "SELECT ", err);
    for (int i = 0; !rc && i < (r->ncols > 0 ? r->ncols : 1); i++) {
      if (i) rc = feast_buf_append_str(&sql, ", ", err);
      if (!rc) rc = r->ncols > 0 ? feast_bq_sql_ident(&sql, r->columns[i], err) : feast_buf_append_str(&sql, "*", err);
    }
    if (!rc) rc = feast_buf_printf(&sql, err, " FROM (\n%s\n)%s%s", src.sql, restriction ? " WHERE " : "",
                                   restriction ? restriction : "");
    const char *text = rc ? NULL : feast_buf_cstr(&sql, err);
    if (!rc && !text) rc = err->code;
    feast_bq_job job;
    memset(&job, 0, sizeof job);
    if (!rc) rc = feast_bq_read_query(c, src.project, text, r->threads, r->ahead_bytes, src.label, out, &job, err);
    feast_bq_job_clear(&job);
  }
  feast_buf_free(&where);
  feast_buf_free(&sql);
  feast_bq_source_clear(&src);
  feast_bq_release(c);
  return rc;
}

const feast_connector feast_bigquery_connector = {
    .name = "bigquery",
    .type = FEAST_SOURCE_BIGQUERY,
    .open_batch = bq_open,
    .schema = bq_schema,
    .num_rows = feast_bq_reader_num_rows,
};
