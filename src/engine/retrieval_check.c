/*
 * retrieval_check.c - planning a historical retrieval: parse the feature
 * references, resolve each table's columns through field_mapping, and check
 * the entity rows and every source schema before any work. Every problem is
 * collected, one per line, so a user fixes them all in one round.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "engine/retrieval_internal.h"

static bool elem_ok(feast_dtype d, feast_value_type vt) {
  switch (vt) {
  case FEAST_VT_INT64: return d.id == FEAST_DT_INT64 || d.id == FEAST_DT_INT32;
  case FEAST_VT_DOUBLE: return d.id == FEAST_DT_DOUBLE || d.id == FEAST_DT_FLOAT;
  case FEAST_VT_UNIX_TIMESTAMP: return d.id == FEAST_DT_TIMESTAMP;
  case FEAST_VT_INT32: return d.id == FEAST_DT_INT32;
  case FEAST_VT_FLOAT: return d.id == FEAST_DT_FLOAT;
  case FEAST_VT_BOOL: return d.id == FEAST_DT_BOOL;
  case FEAST_VT_STRING: return d.id == FEAST_DT_STRING;
  case FEAST_VT_BYTES: return d.id == FEAST_DT_BINARY;
  default: return false;
  }
}

bool rt_type_ok(const feast_array *col, feast_value_type vt) {
  if (feast_value_type_is_list(vt))
    return col->type.id == FEAST_DT_LIST && col->child && elem_ok(col->child->type, feast_value_type_element(vt));
  return elem_ok(col->type, vt);
}

static bool is_ts(const feast_array *a) { return a->type.id == FEAST_DT_TIMESTAMP || a->type.id == FEAST_DT_DATE32; }

static const char *type_name(const feast_array *a, char *buf, int size) {
  if (a->type.id == FEAST_DT_LIST && a->child) {
    char c[48];
    snprintf(buf, (size_t)size, "list<%s>", feast_dtype_name(a->child->type, c, sizeof c));
    return buf;
  }
  return feast_dtype_name(a->type, buf, size);
}

/* "a, b, c" (cut short when long). */
static const char *column_list(const feast_batch *b, char *buf, size_t size) {
  size_t n = 0;
  buf[0] = 0;
  for (int i = 0; i < b->num_columns && n + 4 < size; i++) {
    int w = snprintf(buf + n, size - n, "%s%s", i ? ", " : "", b->names[i]);
    if (w < 0) break;
    n += (size_t)w;
  }
  if (n >= size) memcpy(buf + size - 4, "...", 4);
  return buf;
}

/* Checks column `col` of b against vt; appends a problem and returns 1 when wrong. */
static int check_col(feast_error *err, const feast_batch *b, const char *where, const char *col,
                     feast_value_type vt, const char *what) {
  int c = feast_batch_find(b, col);
  char cols[256], tn[64];
  if (c < 0) {
    feast_error_append(err, "%s has no column '%s' (%s; columns: %s)", where, col, what, column_list(b, cols, sizeof cols));
    return 1;
  }
  if (!rt_type_ok(b->columns[c], vt)) {
    feast_error_append(err, "%s: column '%s' is %s, expected %s (%s)", where, col,
                       type_name(b->columns[c], tn, sizeof tn), feast_value_type_name(vt), what);
    return 1;
  }
  return 0;
}

static int check_ts_col(feast_error *err, const feast_batch *b, const char *where, const char *col, const char *what) {
  int c = feast_batch_find(b, col);
  char cols[256], tn[64];
  if (c < 0) {
    feast_error_append(err, "%s has no %s column '%s' (columns: %s)", where, what, col, column_list(b, cols, sizeof cols));
    return 1;
  }
  if (!is_ts(b->columns[c])) {
    feast_error_append(err, "%s: %s column '%s' is %s, not a timestamp", where, what, col,
                       type_name(b->columns[c], tn, sizeof tn));
    return 1;
  }
  return 0;
}

static int check_source(const rt_table *t, const feast_batch *b, feast_error *err) {
  char where[300];
  snprintf(where, sizeof where, "the source of feature table '%s'", t->name);
  int n = 0;
  for (int k = 0; k < t->n_keys; k++) {
    char what[200];
    snprintf(what, sizeof what, "entity '%s'", t->ent_keys[k]);
    n += check_col(err, b, where, t->src_keys[k], t->entity_types[k], what);
  }
  n += check_ts_col(err, b, where, t->event_ts, "event timestamp");
  if (t->created_ts) n += check_ts_col(err, b, where, t->created_ts, "created timestamp");
  for (int f = 0; f < t->n_feat; f++) {
    char what[200];
    const feast_feature_spec *fs = &t->spec->features[t->feat_idx[f]];
    snprintf(what, sizeof what, "feature '%s'", fs->name);
    n += check_col(err, b, where, t->feat_cols[f], fs->value_type, what);
  }
  return n;
}

feast_code rt_check_source_batch(const rt_table *t, const feast_batch *b, feast_error *err) {
  feast_error_clear(err);
  if (check_source(t, b, err)) {
    err->code = FEAST_E_SCHEMA;
    return FEAST_E_SCHEMA;
  }
  return FEAST_OK;
}

static rt_table *table_for(rt_out *o, const feast_retrieval_table *rt, size_t n_refs, feast_error *err) {
  for (int i = 0; i < o->n_tables; i++)
    if (strcmp(o->tables[i].name, rt->spec->name) == 0) return &o->tables[i];
  rt_table *t = &o->tables[o->n_tables];
  memset(t, 0, sizeof *t);
  t->spec = rt->spec;
  t->entity_types = rt->entity_types;
  t->name = feast_strdup(rt->spec->name);
  t->feat_idx = feast_calloc(n_refs, sizeof(int));
  if (!t->name || !t->feat_idx) {
    feast_fail(err, FEAST_E_NOMEM, "out of memory planning a retrieval");
    return NULL;
  }
  o->n_tables++;
  return t;
}

static bool key_type_ok(feast_value_type vt) {
  return vt == FEAST_VT_INT64 || vt == FEAST_VT_INT32 || vt == FEAST_VT_STRING || vt == FEAST_VT_BYTES ||
         vt == FEAST_VT_BOOL;
}

/* Names and projection of t, after the references are known. */
static feast_code resolve_table(rt_table *t, int *problems, feast_error *err) {
  const feast_data_source *bs = &t->spec->batch_source;
  if (t->spec->n_entities > PIT_MAX_KEYS || t->spec->n_entities == 0) {
    feast_error_append(err, "feature table '%s' has %zu entities; between 1 and %d are supported", t->name,
                       t->spec->n_entities, PIT_MAX_KEYS);
    (*problems)++;
  }
  t->n_keys = t->spec->n_entities > PIT_MAX_KEYS ? 0 : (int)t->spec->n_entities;
  for (int k = 0; k < t->n_keys; k++) {
    const char *e = t->spec->entities[k];
    if (!(t->ent_keys[k] = feast_strdup(e)) || !(t->src_keys[k] = feast_strdup(feast_source_column(bs, e))))
      return feast_fail(err, FEAST_E_NOMEM, "out of memory planning a retrieval");
    feast_value_type vt = t->entity_types ? t->entity_types[k] : FEAST_VT_INVALID;
    if (!key_type_ok(vt)) {
      feast_error_append(err, "entity '%s' of feature table '%s' has type %s, which cannot be a join key", e, t->name,
                         feast_value_type_name(vt));
      (*problems)++;
    }
  }
  if (!bs->event_timestamp_column || !*bs->event_timestamp_column) {
    feast_error_append(err, "feature table '%s' has no event_timestamp_column in its batch source", t->name);
    (*problems)++;
    t->event_ts = feast_strdup("event_timestamp");
  } else {
    t->event_ts = feast_strdup(bs->event_timestamp_column);
  }
  if (bs->created_timestamp_column && *bs->created_timestamp_column)
    t->created_ts = feast_strdup(bs->created_timestamp_column);
  t->feat_cols = feast_calloc((size_t)t->n_feat + 1, sizeof(char *));
  t->out_names = feast_calloc((size_t)t->n_feat + 1, sizeof(char *));
  t->proj = feast_calloc((size_t)(t->n_keys + t->n_feat + 2), sizeof(char *));
  t->feat_vt = feast_calloc((size_t)t->n_feat + 1, sizeof(feast_value_type));
  if (!t->event_ts || !t->feat_cols || !t->out_names || !t->proj || !t->feat_vt)
    return feast_fail(err, FEAST_E_NOMEM, "out of memory planning a retrieval");
  for (int f = 0; f < t->n_feat; f++) {
    const char *fname = t->spec->features[t->feat_idx[f]].name;
    t->feat_vt[f] = t->spec->features[t->feat_idx[f]].value_type;
    size_t n = strlen(t->name) + strlen(fname) + 3;
    t->feat_cols[f] = feast_strdup(feast_source_column(bs, fname));
    t->out_names[f] = feast_malloc(n);
    if (!t->feat_cols[f] || !t->out_names[f]) return feast_fail(err, FEAST_E_NOMEM, "out of memory planning a retrieval");
    snprintf(t->out_names[f], n, "%s__%s", t->name, fname);
  }
  /* distinct source columns: keys, timestamps, features */
  const char *want[PIT_MAX_KEYS + 2];
  int nw = 0;
  for (int k = 0; k < t->n_keys; k++) want[nw++] = t->src_keys[k];
  want[nw++] = t->event_ts;
  if (t->created_ts) want[nw++] = t->created_ts;
  for (int i = 0; i < nw + t->n_feat; i++) {
    const char *c = i < nw ? want[i] : t->feat_cols[i - nw];
    bool seen = false;
    for (int j = 0; j < t->n_proj; j++) seen |= strcmp(t->proj[j], c) == 0;
    if (!seen) t->proj[t->n_proj++] = c;
  }
  t->max_age_us = t->spec->has_max_age ? t->spec->max_age : -1;
  return FEAST_OK;
}

static feast_code source_schema(const feast_retrieval_request *req, const rt_table *t, feast_batch **out,
                                feast_error *err) {
  *out = NULL;
  if (req->source_schema) return req->source_schema(req->source_ctx, t->spec, out, err);
  feast_batch_source *src = NULL;
  feast_code rc = req->open_source(req->source_ctx, t->spec, NULL, 0, FEAST_TS_MIN, FEAST_TS_MAX, &src, err);
  if (rc) return rc;
  rc = src->next(src, out, err);
  src->close(src);
  if (!rc && !*out) rc = feast_fail(err, FEAST_E_SCHEMA, "the source has no batch to take a schema from");
  return rc;
}

feast_code rt_plan(rt_out *o, const feast_retrieval_request *req, const feast_batch *first, feast_error *err) {
  feast_error_clear(err);
  int ref_problems = 0, problems = 0;
  o->tables = feast_calloc(req->n_refs + 1, sizeof(rt_table));
  if (!o->tables) return feast_fail(err, FEAST_E_NOMEM, "out of memory planning a retrieval");
  if (req->n_refs == 0) {
    feast_error_append(err, "no feature references given");
    ref_problems++;
  }
  for (size_t r = 0; r < req->n_refs; r++) {
    const char *ref = req->refs[r];
    const char *colon = ref ? strchr(ref, ':') : NULL;
    if (!colon || colon == ref || !colon[1]) {
      feast_error_append(err, "feature reference '%s' is not of the form table:feature", ref ? ref : "(null)");
      ref_problems++;
      continue;
    }
    size_t tl = (size_t)(colon - ref);
    const feast_retrieval_table *rt = NULL;
    for (size_t i = 0; i < req->n_tables && !rt; i++)
      if (strlen(req->tables[i].spec->name) == tl && strncmp(req->tables[i].spec->name, ref, tl) == 0)
        rt = &req->tables[i];
    if (!rt) {
      feast_error_append(err, "unknown feature table '%.*s' in reference '%s'", (int)tl, ref, ref);
      ref_problems++;
      continue;
    }
    int fi = feast_feature_table_find_feature(rt->spec, colon + 1);
    if (fi < 0) {
      feast_error_append(err, "feature table '%s' has no feature '%s' (reference '%s')", rt->spec->name, colon + 1, ref);
      ref_problems++;
      continue;
    }
    feast_error scratch;
    rt_table *t = table_for(o, rt, req->n_refs, &scratch);
    if (!t) return feast_fail(err, scratch.code, "%s", scratch.message);
    bool dup = false;
    for (int f = 0; f < t->n_feat; f++) dup |= t->feat_idx[f] == fi;
    if (dup) {
      feast_error_append(err, "feature reference '%s' is given twice", ref);
      ref_problems++;
      continue;
    }
    t->feat_idx[t->n_feat++] = fi;
  }
  for (int i = 0; i < o->n_tables; i++) {
    feast_code rc = resolve_table(&o->tables[i], &problems, err);
    if (rc) return rc;
  }
  /* the entity rows */
  const char *ets = o->entity_ts;
  problems += check_ts_col(err, first, "the entity rows", ets, "timestamp");
  for (int i = 0; i < o->n_tables; i++) {
    rt_table *t = &o->tables[i];
    for (int k = 0; k < t->n_keys; k++) {
      char what[300];
      bool again = false; /* report a shared entity column once */
      for (int j = 0; j < i; j++)
        for (int kk = 0; kk < o->tables[j].n_keys; kk++) again |= strcmp(o->tables[j].ent_keys[kk], t->ent_keys[k]) == 0;
      if (again || !t->entity_types) continue;
      snprintf(what, sizeof what, "entity of feature table '%s'", t->name);
      problems += check_col(err, first, "the entity rows", t->ent_keys[k], t->entity_types[k], what);
    }
  }
  /* the sources */
  for (int i = 0; i < o->n_tables; i++) {
    rt_table *t = &o->tables[i];
    if (!t->entity_types) continue;
    feast_batch *schema = NULL;
    feast_error serr;
    feast_error_clear(&serr);
    if (source_schema(req, t, &schema, &serr)) {
      feast_error_append(err, "feature table '%s': %s", t->name, serr.message);
      problems++;
    } else {
      problems += check_source(t, schema, err);
      t->src_ns = rt_ns_timestamps(t, schema);
    }
    feast_batch_free(schema);
  }
  if (problems) {
    err->code = FEAST_E_SCHEMA;
    return FEAST_E_SCHEMA;
  }
  if (ref_problems) {
    err->code = FEAST_E_NOT_FOUND;
    return FEAST_E_NOT_FOUND;
  }
  return FEAST_OK;
}

bool rt_ns_timestamps(const rt_table *t, const feast_batch *b) {
  int e = feast_batch_find(b, t->event_ts);
  if (e < 0 || b->columns[e]->type.id != FEAST_DT_TIMESTAMP || b->columns[e]->type.unit != FEAST_UNIT_NS) return false;
  if (!t->created_ts) return true;
  int c = feast_batch_find(b, t->created_ts);
  return c >= 0 && b->columns[c]->type.id == FEAST_DT_TIMESTAMP;
}
