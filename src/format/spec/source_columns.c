/*
 * source_columns.c - builds the column list of source_columns.h.
 */
#include "format/spec/source_columns.h"

#include <string.h>

#include "base/alloc.h"

feast_code feast_column_reqs_build(const feast_feature_table_spec *t, const feast_data_source *s,
                                   const feast_value_type *entity_types, feast_column_reqs *out, feast_error *err) {
  out->n = 0;
  out->items = feast_calloc(t->n_entities + t->n_features + 2, sizeof *out->items);
  if (!out->items) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; i < t->n_entities; i++) {
    if (!t->entities[i]) continue;
    feast_column_req r = {"entity", t->entities[i], feast_source_column(s, t->entities[i]),
                          entity_types ? entity_types[i] : FEAST_VT_INVALID};
    out->items[out->n++] = r;
  }
  for (size_t i = 0; i < t->n_features; i++) {
    if (!t->features[i].name) continue;
    feast_column_req r = {"feature", t->features[i].name, feast_source_column(s, t->features[i].name),
                          t->features[i].value_type};
    out->items[out->n++] = r;
  }
  if (s->event_timestamp_column && *s->event_timestamp_column) {
    feast_column_req r = {"event timestamp", s->event_timestamp_column, s->event_timestamp_column,
                          FEAST_VT_UNIX_TIMESTAMP};
    out->items[out->n++] = r;
  }
  if (s->created_timestamp_column && *s->created_timestamp_column) {
    feast_column_req r = {"created timestamp", s->created_timestamp_column, s->created_timestamp_column,
                          FEAST_VT_UNIX_TIMESTAMP};
    out->items[out->n++] = r;
  }
  return FEAST_OK;
}

void feast_column_reqs_clear(feast_column_reqs *r) {
  feast_free(r->items);
  r->items = NULL;
  r->n = 0;
}
