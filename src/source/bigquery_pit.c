/*
 * bigquery_pit.c - the point-in-time join as GoogleSQL (bigquery_pit.h).
 * Every name goes through feast_bq_sql_ident, every time bound through
 * feast_bq_sql_time_literal; nothing from a spec is pasted unquoted.
 */
#include "source/bigquery_pit.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "source/bigquery_types.h"

/* TIMESTAMP(x) for DATE and DATETIME columns, x for TIMESTAMP ones. */
static feast_code ts_expr(feast_buf *b, const char *alias, const char *col, const char *bq_type, feast_error *err) {
  bool wrap = bq_type && strcasecmp(bq_type, "TIMESTAMP") != 0;
  feast_code rc = wrap ? feast_buf_append_str(b, "TIMESTAMP(", err) : FEAST_OK;
  if (!rc && alias) rc = feast_buf_printf(b, err, "%s.", alias);
  if (!rc) rc = feast_bq_sql_ident(b, col, err);
  if (!rc && wrap) rc = feast_buf_append_byte(b, ')', err);
  return rc;
}

static const char *type_of(const feast_bq_source *s, const char *col) {
  const feast_bq_field *f = feast_bq_table_find(&s->meta, col);
  return f ? f->type : "TIMESTAMP";
}

/* The entity names the tables join on, each once. */
static size_t entity_keys(const feast_bq_pit_request *r, const char **keys, size_t max) {
  size_t n = 0;
  for (size_t t = 0; t < r->n_tables; t++)
    for (size_t e = 0; e < r->tables[t].spec->n_entities; e++) {
      const char *k = r->tables[t].spec->entities[e];
      bool dup = false;
      for (size_t j = 0; j < n && !dup; j++) dup = strcmp(keys[j], k) == 0;
      if (!dup && n < max) keys[n++] = k;
    }
  return n;
}

static feast_code ent_cte(const feast_bq_pit_request *r, feast_buf *b, feast_error *err) {
  feast_code rc = feast_buf_append_str(b, "WITH ent AS (\n  SELECT ", err);
  if (!rc)
    rc = r->entity_has_row ? feast_buf_append_str(b, FEAST_BQ_ROW_COLUMN, err)
                           : feast_buf_append_str(b, "ROW_NUMBER() OVER () - 1 AS " FEAST_BQ_ROW_COLUMN, err);
  if (!rc) rc = feast_buf_append_str(b, ", ", err);
  if (!rc) rc = ts_expr(b, NULL, r->entity_ts, r->entity_ts_type, err);
  if (!rc) rc = feast_buf_append_str(b, " AS feast_ts__", err);
  const char *keys[256];
  size_t nk = entity_keys(r, keys, 256);
  const char *cols[512];
  size_t nc = 0;
  for (size_t i = 0; i < nk; i++) cols[nc++] = keys[i];
  for (size_t i = 0; i < r->n_entity_out && nc < 512; i++) {
    bool dup = strcmp(r->entity_out[i], FEAST_BQ_ROW_COLUMN) == 0 || strcmp(r->entity_out[i], "feast_ts__") == 0;
    for (size_t j = 0; j < nc && !dup; j++) dup = strcmp(cols[j], r->entity_out[i]) == 0;
    if (!dup) cols[nc++] = r->entity_out[i];
  }
  for (size_t i = 0; !rc && i < nc; i++) {
    rc = feast_buf_append_str(b, ", ", err);
    if (!rc) rc = feast_bq_sql_ident(b, cols[i], err);
  }
  if (!rc) rc = feast_buf_printf(b, err, "\n  FROM %s\n)", r->entity_from);
  return rc;
}

static feast_code table_ctes(const feast_bq_pit_request *r, size_t t, feast_buf *b, feast_error *err) {
  const feast_bq_pit_table *pt = &r->tables[t];
  const feast_feature_table_spec *spec = pt->spec;
  const feast_data_source *ds = &spec->batch_source;
  const feast_bq_source *src = pt->src;
  const char *ev = ds->event_timestamp_column, *cr = ds->created_timestamp_column;
  feast_code rc = feast_buf_printf(b, err, ",\nt%zu_src AS (\n  SELECT ", t);
  for (size_t k = 0; !rc && k < spec->n_entities; k++) {
    rc = feast_bq_sql_ident(b, feast_source_column(ds, spec->entities[k]), err);
    if (!rc) rc = feast_buf_printf(b, err, " AS k%zu, ", k);
  }
  if (!rc) rc = ts_expr(b, NULL, ev, type_of(src, ev), err);
  if (!rc) rc = feast_buf_append_str(b, " AS ev", err);
  if (!rc && cr) {
    rc = feast_buf_append_str(b, ", ", err);
    if (!rc) rc = ts_expr(b, NULL, cr, type_of(src, cr), err);
    if (!rc) rc = feast_buf_append_str(b, " AS cr", err);
  }
  for (size_t f = 0; !rc && f < pt->n_features; f++) {
    const char *col = feast_source_column(ds, pt->features[f]);
    int fi = feast_feature_table_find_feature(spec, pt->features[f]);
    bool ts = fi >= 0 && spec->features[fi].value_type == FEAST_VT_UNIX_TIMESTAMP; /* DATE, DATETIME: as TIMESTAMP */
    rc = feast_buf_append_str(b, ", ", err);
    if (!rc) rc = ts ? ts_expr(b, NULL, col, type_of(src, col), err) : feast_bq_sql_ident(b, col, err);
    if (!rc) rc = feast_buf_printf(b, err, " AS f%zu", f);
  }
  char from[2600];
  if (src->is_query) snprintf(from, sizeof from, "(\n%s\n)", src->sql);
  else feast_bq_ref_sql(&src->table, from, sizeof from);
  if (!rc) rc = feast_buf_printf(b, err, "\n  FROM %s", from);
  /* The event times any entity row can use: prunes partitions and rows before the join. */
  feast_ts lo = FEAST_TS_MIN, hi = r->ts_hi;
  if (r->ts_lo != FEAST_TS_MIN && spec->has_max_age && spec->max_age >= 0 && r->ts_lo >= FEAST_TS_MIN + spec->max_age)
    lo = r->ts_lo - spec->max_age;
  feast_buf where;
  feast_buf_init(&where, 1 << 16);
  if (!rc) rc = feast_bq_window_predicate(src, ds, lo, hi, &where, err);
  if (!rc && where.len) rc = feast_buf_printf(b, err, "\n  WHERE %s", (const char *)where.data);
  feast_buf_free(&where);
  if (!rc) rc = feast_buf_printf(b, err, "\n),\nt%zu AS (\n  SELECT " FEAST_BQ_ROW_COLUMN, t);
  for (size_t f = 0; !rc && f < pt->n_features; f++) rc = feast_buf_printf(b, err, ", f%zu", f);
  if (!rc) rc = feast_buf_append_str(b, " FROM (\n    SELECT e." FEAST_BQ_ROW_COLUMN, err);
  for (size_t f = 0; !rc && f < pt->n_features; f++) rc = feast_buf_printf(b, err, ", s.f%zu", f);
  if (!rc)
    rc = feast_buf_printf(b, err,
                          ",\n      ROW_NUMBER() OVER (PARTITION BY e." FEAST_BQ_ROW_COLUMN " ORDER BY s.ev DESC%s) AS rn\n"
                          "    FROM ent e JOIN t%zu_src s ON ",
                          cr ? ", s.cr DESC NULLS LAST" : "", t);
  for (size_t k = 0; !rc && k < spec->n_entities; k++) {
    rc = feast_buf_append_str(b, "e.", err);
    if (!rc) rc = feast_bq_sql_ident(b, spec->entities[k], err);
    if (!rc) rc = feast_buf_printf(b, err, " = s.k%zu AND ", k);
  }
  if (!rc) rc = feast_buf_append_str(b, "s.ev <= e.feast_ts__", err);
  if (!rc && spec->has_max_age)
    rc = feast_buf_printf(b, err, " AND UNIX_MICROS(e.feast_ts__) - UNIX_MICROS(s.ev) <= %lld", (long long)spec->max_age);
  if (!rc) rc = feast_buf_append_str(b, "\n  ) WHERE rn = 1\n)", err);
  return rc;
}

feast_code feast_bq_pit_sql(const feast_bq_pit_request *r, feast_buf *b, feast_error *err) {
  feast_code rc = ent_cte(r, b, err);
  for (size_t t = 0; !rc && t < r->n_tables; t++) rc = table_ctes(r, t, b, err);
  if (!rc) rc = feast_buf_append_str(b, "\nSELECT e." FEAST_BQ_ROW_COLUMN, err);
  for (size_t i = 0; !rc && i < r->n_entity_out; i++) {
    if (strcmp(r->entity_out[i], FEAST_BQ_ROW_COLUMN) == 0) continue; /* selected first already */
    rc = feast_buf_append_str(b, ", e.", err);
    if (!rc) rc = feast_bq_sql_ident(b, r->entity_out[i], err);
  }
  for (size_t t = 0; !rc && t < r->n_tables; t++)
    for (size_t f = 0; !rc && f < r->tables[t].n_features; f++) {
      rc = feast_buf_printf(b, err, ", t%zu.f%zu AS ", t, f);
      if (!rc) rc = feast_bq_sql_ident(b, r->tables[t].out_names[f], err);
    }
  for (size_t t = 0; !rc && r->match_flags && t < r->n_tables; t++)
    rc = feast_buf_printf(b, err, ", t%zu." FEAST_BQ_ROW_COLUMN " IS NOT NULL AS feast_m%zu__", t, t);
  if (!rc) rc = feast_buf_append_str(b, "\nFROM ent e", err);
  for (size_t t = 0; !rc && t < r->n_tables; t++)
    rc = feast_buf_printf(b, err, "\n  LEFT JOIN t%zu ON t%zu." FEAST_BQ_ROW_COLUMN " = e." FEAST_BQ_ROW_COLUMN, t, t);
  if (!rc && !feast_buf_cstr(b, err)) rc = err->code;
  return rc;
}
