/*
 * ingest_schema.c - finds every column a table needs in a batch (through the
 * source's field_mapping) and checks its type against the spec, so a wrong
 * file fails with one message naming the column before anything is written.
 */
#include "engine/ingest_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "format/proto/feastproto.h"

static const char *found_type(const feast_array *a, char *buf, int size) {
  char child[64];
  if (a->type.id == FEAST_DT_LIST && a->child) {
    snprintf(buf, (size_t)size, "list<%s>", feast_dtype_name(a->child->type, child, sizeof child));
    return buf;
  }
  return feast_dtype_name(a->type, buf, size);
}

static feast_code find_col(const feast_batch *b, const char *col, const char *what, const char *name,
                           const feast_array **out, feast_error *err) {
  int i = feast_batch_find(b, col);
  if (i < 0) {
    feast_fail(err, FEAST_E_SCHEMA, "column \"%s\" (%s %s) is not in the input; it has:", col, what, name);
    for (int j = 0; j < b->num_columns; j++) feast_error_append(err, "  %s", b->names[j]);
    return FEAST_E_SCHEMA;
  }
  *out = b->columns[i];
  return FEAST_OK;
}

static feast_code check_type(const feast_array *a, feast_value_type vt, const char *col, const char *what,
                             const char *name, feast_error *err) {
  if (feast_pb_column_fits(vt, a)) return FEAST_OK;
  char buf[96];
  return feast_fail(err, FEAST_E_SCHEMA, "column \"%s\" (%s %s): expected %s, found %s", col, what, name,
                    feast_value_type_name(vt), found_type(a, buf, sizeof buf));
}

static feast_code check_ts(const feast_array *a, const char *col, const char *what, feast_error *err) {
  if (a->type.id == FEAST_DT_TIMESTAMP || a->type.id == FEAST_DT_DATE32) return FEAST_OK;
  char buf[96];
  return feast_fail(err, FEAST_E_SCHEMA, "column \"%s\" (%s): expected a timestamp, found %s", col, what,
                    found_type(a, buf, sizeof buf));
}


feast_code ingest_cols_resolve(const feast_feature_table_spec *t, const feast_data_source *src,
                               const feast_entity_spec *entities, size_t n_entities, const feast_batch *b,
                               ingest_cols *c, feast_error *err) {
  memset(c, 0, sizeof *c);
  size_t ne = t->n_entities;
  c->n_entities = ne;
  c->entity_names = feast_calloc(ne + 1, sizeof *c->entity_names);
  c->entity_types = feast_calloc(ne + 1, sizeof *c->entity_types);
  c->entity_cols = feast_calloc(ne + 1, sizeof *c->entity_cols);
  c->entity_colnames = feast_calloc(ne + 1, sizeof *c->entity_colnames);
  c->feature_cols = feast_calloc(t->n_features + 1, sizeof *c->feature_cols);
  size_t *order = feast_calloc(ne + 1, sizeof *order);
  if (!c->entity_names || !c->entity_types || !c->entity_cols || !c->entity_colnames || !c->feature_cols || !order) {
    feast_free(order);
    ingest_cols_clear(c);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  /* RedisKeyV2 lists entities sorted by name; tables have a handful, so an
   * insertion sort (thread-safe, unlike qsort with a global) is plenty. */
  for (size_t i = 0; i < ne; i++) {
    size_t j = i;
    while (j > 0 && strcmp(t->entities[order[j - 1]], t->entities[i]) > 0) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
  feast_code rc = FEAST_OK;
  for (size_t k = 0; k < ne && !rc; k++) {
    const char *name = t->entities[order[k]];
    const feast_entity_spec *e = NULL;
    for (size_t j = 0; j < n_entities; j++)
      if (strcmp(entities[j].name, name) == 0) e = &entities[j];
    if (!e) {
      rc = feast_fail(err, FEAST_E_INVALID, "table %s: entity %s has no declared type (entity spec missing)", t->name, name);
      break;
    }
    const char *col = feast_source_column(src, name);
    c->entity_names[k] = name;
    c->entity_types[k] = e->value_type;
    c->entity_colnames[k] = col;
    rc = find_col(b, col, "entity", name, &c->entity_cols[k], err);
    if (!rc) rc = check_type(c->entity_cols[k], e->value_type, col, "entity", name, err);
  }
  feast_free(order);
  for (size_t f = 0; f < t->n_features && !rc; f++) {
    const feast_feature_spec *fs = &t->features[f];
    const char *col = feast_source_column(src, fs->name);
    rc = find_col(b, col, "feature", fs->name, &c->feature_cols[f], err);
    if (!rc) rc = check_type(c->feature_cols[f], fs->value_type, col, "feature", fs->name, err);
  }
  if (!rc) {
    const char *ev = src->event_timestamp_column;
    if (!ev || !*ev) rc = feast_fail(err, FEAST_E_INVALID, "table %s: its source names no event_timestamp_column", t->name);
    else if (!(rc = find_col(b, ev, "event timestamp of", t->name, &c->event_col, err)))
      rc = check_ts(c->event_col, ev, "event timestamp", err);
  }
  const char *cr = src->created_timestamp_column;
  if (!rc && cr && *cr && !(rc = find_col(b, cr, "created timestamp of", t->name, &c->created_col, err)))
    rc = check_ts(c->created_col, cr, "created timestamp", err);
  if (rc) {
    feast_error_prefix(err, "table %s: ", t->name);
    ingest_cols_clear(c);
  }
  return rc;
}

void ingest_cols_clear(ingest_cols *c) {
  feast_free(c->entity_names);
  feast_free(c->entity_types);
  feast_free(c->entity_cols);
  feast_free(c->entity_colnames);
  feast_free(c->feature_cols);
  memset(c, 0, sizeof *c);
}
