/*
 * online_read.c - the online read: entity rows -> one key per (row, table),
 * built from that table's own entities -> the store's read -> a status per
 * value (PRESENT, NULL_VALUE, NOT_FOUND, OUTSIDE_MAX_AGE). All result memory
 * sits in one arena freed with the result (h2o's per-request pool).
 */
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "format/proto/feastproto.h"
#include "online/backend.h"

struct feast_online_result {
  feast_arena *arena;
  size_t n_names, n_rows;
  const char **names;
  feast_field_status *status; /* [name * n_rows + row] */
  feast_ts *ts;
  const uint8_t **vals;
  size_t *lens;
};

static const feast_entity_spec *find_entity(const feast_online_request *q, const char *name) {
  for (size_t i = 0; i < q->n_entities; i++)
    if (strcmp(q->entities[i].name, name) == 0) return &q->entities[i];
  return NULL;
}

static void *arena_calloc(feast_arena *a, size_t n, size_t size) { return feast_arena_calloc(a, n * size + 1); }

/* Encode every entity-row column to serialized Values (the result's entity
 * names), parsing STRING columns to the declared type. */
static feast_code encode_entities(feast_online_result *r, const feast_online_request *q, feast_buf *scratch,
                                  feast_error *err) {
  const feast_batch *eb = q->entity_rows;
  for (int c = 0; c < eb->num_columns; c++) {
    for (int d = 0; d < c; d++)
      if (strcmp(eb->names[d], eb->names[c]) == 0)
        return feast_fail(err, FEAST_E_INVALID, "entity rows: entity \"%s\" is given twice", eb->names[c]);
    const feast_entity_spec *e = find_entity(q, eb->names[c]);
    if (!e) return feast_fail(err, FEAST_E_INVALID, "entity rows: column \"%s\" is not a declared entity", eb->names[c]);
    r->names[c] = eb->names[c];
    for (size_t row = 0; row < r->n_rows; row++) {
      size_t at = (size_t)c * r->n_rows + row;
      if (!feast_array_is_valid(eb->columns[c], (int64_t)row))
        return feast_fail(err, FEAST_E_INVALID, "entity row %zu: %s is null", row + 1, e->name);
      feast_buf_reset(scratch);
      feast_code rc = feast_pb_value_from_array(eb->columns[c], (int64_t)row, e->value_type, scratch, err);
      if (rc) return feast_error_prefix(err, "entity row %zu: %s: ", row + 1, e->name);
      uint8_t *p = feast_arena_alloc(r->arena, scratch->len + 1);
      if (!p) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
      memcpy(p, scratch->data, scratch->len);
      r->vals[at] = p;
      r->lens[at] = scratch->len;
      r->status[at] = FEAST_STATUS_PRESENT;
    }
  }
  return FEAST_OK;
}

static feast_code read_table(feast_online_store *s, feast_online_result *r, const feast_online_request *q,
                             const feast_online_table_request *tq, size_t first_name, feast_buf *scratch,
                             feast_error *err) {
  const feast_feature_table_spec *t = tq->table;
  const char *project = q->project && *q->project ? q->project : "default";
  const feast_batch *eb = q->entity_rows;
  size_t ne = t->n_entities, nf = tq->n_features ? tq->n_features : t->n_features;
  const char **names = arena_calloc(r->arena, ne, sizeof *names);
  int *colof = arena_calloc(r->arena, ne, sizeof *colof);
  const char **feats = arena_calloc(r->arena, nf, sizeof *feats);
  const uint8_t **ev = arena_calloc(r->arena, ne, sizeof *ev);
  size_t *el = arena_calloc(r->arena, ne, sizeof *el);
  const uint8_t **keys = arena_calloc(r->arena, r->n_rows, sizeof *keys);
  size_t *key_lens = arena_calloc(r->arena, r->n_rows, sizeof *key_lens);
  feast_online_record *recs = arena_calloc(r->arena, r->n_rows, sizeof *recs);
  if (!names || !colof || !feats || !ev || !el || !keys || !key_lens || !recs) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  /* sorted entity names (RedisKeyV2 order), each with its entity-row column */
  for (size_t i = 0; i < ne; i++) {
    size_t j = i;
    while (j > 0 && strcmp(names[j - 1], t->entities[i]) > 0) {
      names[j] = names[j - 1];
      j--;
    }
    names[j] = t->entities[i];
  }
  for (size_t i = 0; i < ne; i++) {
    colof[i] = feast_batch_find(eb, names[i]);
    if (colof[i] < 0)
      return feast_fail(err, FEAST_E_INVALID, "table %s needs entity %s, which the entity rows do not have", t->name, names[i]);
  }
  for (size_t f = 0, at = 0; f < nf; f++) {
    feats[f] = tq->n_features ? tq->features[f] : t->features[f].name;
    /* requests usually name features in the table's order: look at the
     * one after the last match before searching them all */
    bool in_order = at < t->n_features && strcmp(t->features[at].name, feats[f]) == 0;
    int fi = in_order ? (int)at : feast_feature_table_find_feature(t, feats[f]);
    if (fi < 0) return feast_fail(err, FEAST_E_NOT_FOUND, "feature %s:%s does not exist", t->name, feats[f]);
    at = (size_t)fi + 1;
    char *nm = feast_arena_alloc(r->arena, strlen(t->name) + strlen(feats[f]) + 3);
    if (!nm) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    strcpy(nm, t->name);
    strcat(nm, "__");
    strcat(nm, feats[f]);
    r->names[first_name + f] = nm;
  }
  for (size_t row = 0; row < r->n_rows; row++) {
    for (size_t i = 0; i < ne; i++) {
      size_t at = (size_t)colof[i] * r->n_rows + row;
      ev[i] = r->vals[at];
      el[i] = r->lens[at];
    }
    feast_buf_reset(scratch);
    feast_code rc = feast_pb_redis_key(project, ne, names, ev, el, scratch, err);
    if (rc) return rc;
    uint8_t *k = feast_arena_alloc(r->arena, scratch->len);
    if (!k) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    memcpy(k, scratch->data, scratch->len);
    keys[row] = k;
    key_lens[row] = scratch->len;
  }
  feast_online_table st = {t->name, nf, feats, t->has_max_age, t->max_age};
  feast_code rc = s->ops->read(s, &st, keys, key_lens, r->n_rows, r->arena, recs, err);
  if (rc) return feast_error_prefix(err, "table %s: reading the %s store: ", t->name, s->ops->kind);
  for (size_t f = 0; f < nf; f++) {
    for (size_t row = 0; row < r->n_rows; row++) {
      size_t at = (first_name + f) * r->n_rows + row;
      const feast_online_record *rec = &recs[row];
      if (!rec->found || !rec->has[f]) {
        r->status[at] = FEAST_STATUS_NOT_FOUND;
        continue;
      }
      r->ts[at] = rec->event_ts;
      if (t->has_max_age && q->at_ts - rec->event_ts > t->max_age) {
        r->status[at] = FEAST_STATUS_OUTSIDE_MAX_AGE;
        continue;
      }
      r->vals[at] = rec->values[f];
      r->lens[at] = rec->value_lens[f];
      /* A store's bytes are outside input (another writer, a damaged
       * store): one that is not a feast.types.Value is an error, never
       * PRESENT (issue 15). */
      int member = 0;
      if (rec->value_lens[f] && feast_pb_value_kind(rec->values[f], rec->value_lens[f], &member, err))
        return feast_error_prefix(err, "table %s: feature %s, entity row %zu: the %s store holds a value that is not "
                                       "a feast.types.Value: ", t->name, feats[f], row + 1, s->ops->kind);
      r->status[at] = member ? FEAST_STATUS_PRESENT : FEAST_STATUS_NULL_VALUE;
    }
  }
  return FEAST_OK;
}

feast_code feast_online_read(feast_online_store *s, const feast_online_request *q, feast_online_result **out,
                             feast_error *err) {
  *out = NULL;
  if (!q->entity_rows) return feast_fail(err, FEAST_E_INVALID, "online read: no entity rows");
  feast_online_result *r = feast_calloc(1, sizeof *r);
  if (!r || !(r->arena = feast_arena_new(0))) {
    feast_free(r);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  r->n_rows = (size_t)q->entity_rows->num_rows;
  r->n_names = (size_t)q->entity_rows->num_columns;
  for (size_t i = 0; i < q->n_tables; i++)
    r->n_names += q->tables[i].n_features ? q->tables[i].n_features : q->tables[i].table->n_features;
  size_t cells = r->n_names * r->n_rows;
  r->names = arena_calloc(r->arena, r->n_names, sizeof *r->names);
  r->status = arena_calloc(r->arena, cells, sizeof *r->status);
  r->ts = arena_calloc(r->arena, cells, sizeof *r->ts);
  r->vals = arena_calloc(r->arena, cells, sizeof *r->vals);
  r->lens = arena_calloc(r->arena, cells, sizeof *r->lens);
  feast_buf scratch;
  feast_buf_init(&scratch, (size_t)64 << 20);
  feast_code rc = FEAST_OK;
  if (!r->names || !r->status || !r->ts || !r->vals || !r->lens) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) rc = encode_entities(r, q, &scratch, err);
  size_t first = (size_t)q->entity_rows->num_columns;
  for (size_t i = 0; i < q->n_tables && !rc; i++) {
    rc = read_table(s, r, q, &q->tables[i], first, &scratch, err);
    first += q->tables[i].n_features ? q->tables[i].n_features : q->tables[i].table->n_features;
  }
  feast_buf_free(&scratch);
  if (rc) {
    feast_online_result_free(r);
    return rc;
  }
  *out = r;
  return FEAST_OK;
}

void feast_online_result_free(feast_online_result *r) {
  if (!r) return;
  feast_arena_free(r->arena);
  feast_free(r);
}

size_t feast_online_result_num_names(const feast_online_result *r) { return r->n_names; }
size_t feast_online_result_num_rows(const feast_online_result *r) { return r->n_rows; }
const char *feast_online_result_name(const feast_online_result *r, size_t name) { return r->names[name]; }
feast_field_status feast_online_result_status(const feast_online_result *r, size_t name, size_t row) {
  return r->status[name * r->n_rows + row];
}
feast_ts feast_online_result_event_ts(const feast_online_result *r, size_t name, size_t row) {
  return r->ts[name * r->n_rows + row];
}
const uint8_t *feast_online_result_value(const feast_online_result *r, size_t name, size_t row, size_t *len) {
  *len = r->lens[name * r->n_rows + row];
  return r->vals[name * r->n_rows + row];
}
