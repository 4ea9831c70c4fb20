/*
 * retrieval.c - historical retrieval: reads the entity rows, runs the
 * point-in-time join table by table (in memory while the working set fits
 * memory_limit, else through spill files), and hands the result out as a
 * batch source whose batches follow the entity input's batches.
 *
 * Memory: the entity batches, one table's projected source batches and its
 * index, and the finished output columns. A table whose working set would
 * pass the limit is joined again through partition files
 * (retrieval_spill.c); entity batches themselves go to a spill file when
 * they alone take more than half the limit.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "engine/retrieval_internal.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t default_limit(void) {
  long pages = sysconf(_SC_PHYS_PAGES), ps = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || ps <= 0) return (size_t)1 << 30;
  return (size_t)pages * (size_t)ps / 4;
}

static int64_t sat_sub(int64_t a, int64_t b) { return b > 0 && a < INT64_MIN + b ? INT64_MIN : a - b; }
static int64_t sat_mul1000(int64_t a) {
  if (a > INT64_MAX / 1000) return INT64_MAX;
  if (a < INT64_MIN / 1000) return INT64_MIN;
  return a * 1000;
}

static void report(rt_out *o, const char *phase, int64_t done, int64_t total) {
  if (o->progress) o->progress(o->progress_ctx, phase, done, total);
}

feast_array *rt_feature_array(const rt_table *t, int f) {
  feast_value_type vt = t->feat_vt[f];
  feast_dtype child = feast_dtype_for_value_type(feast_value_type_element(vt));
  feast_dtype dt = feast_value_type_is_list(vt) ? feast_dtype_make(FEAST_DT_LIST) : feast_dtype_for_value_type(vt);
  return feast_array_new(dt, child);
}

feast_code rt_entity_batch(rt_out *o, int64_t i, bool take, feast_batch **out, feast_error *err) {
  *out = NULL;
  if (o->ent_file) {
    feast_code rc = i == 0 ? spill_rewind(o->ent_file, err) : FEAST_OK;
    if (!rc) rc = spill_read(o->ent_file, out, err);
    if (!rc && !*out) rc = feast_fail(err, FEAST_E_INTERNAL, "entity spill file ended at batch %lld", (long long)i);
    return rc;
  }
  *out = o->ent.b[i];
  if (take) o->ent.b[i] = NULL;
  return FEAST_OK;
}

/* ---- the output source ---- */

static void free_table(rt_table *t, int64_t n_batches) {
  for (int k = 0; k < PIT_MAX_KEYS; k++) {
    feast_free(t->ent_keys[k]);
    feast_free(t->src_keys[k]);
  }
  for (int f = 0; f < t->n_feat; f++) {
    if (t->feat_cols) feast_free(t->feat_cols[f]);
    if (t->out_names) feast_free(t->out_names[f]);
  }
  if (t->mem) {
    for (int64_t b = 0; b < n_batches; b++) {
      if (!t->mem[b]) continue;
      for (int f = 0; f < t->n_feat; f++) feast_array_free(t->mem[b][f]);
      feast_free(t->mem[b]);
    }
    feast_free(t->mem);
  }
  for (int p = 0; p < t->parts; p++) {
    if (t->results) spill_close(t->results[p]);
    if (t->cur) feast_batch_free(t->cur[p]);
  }
  feast_free(t->results);
  feast_free(t->cur);
  feast_free(t->cur_pos);
  feast_free(t->part_of_row);
  feast_free(t->name);
  feast_free(t->event_ts);
  feast_free(t->created_ts);
  feast_free(t->feat_idx);
  feast_free(t->feat_cols);
  feast_free(t->out_names);
  feast_free(t->feat_vt);
  feast_free((void *)t->proj);
}

static void out_close(feast_batch_source *s) {
  rt_out *o = (rt_out *)s;
  if (!o) return;
  for (int i = 0; i < o->n_tables; i++) free_table(&o->tables[i], o->n_ent_batches);
  feast_free(o->tables);
  pit_index_free(o->index);
  if (o->next_src) o->next_src->close(o->next_src);
  pit_batches_clear(&o->ent);
  spill_close(o->ent_file);
  feast_batch_free(o->schema);
  feast_free(o->entity_ts);
  feast_free(o);
}

static feast_code out_next(feast_batch_source *s, feast_batch **out, feast_error *err) {
  rt_out *o = (rt_out *)s;
  *out = NULL;
  if (o->next_batch >= o->n_ent_batches) return FEAST_OK;
  int64_t bi = o->next_batch;
  feast_batch *eb;
  feast_code rc = rt_entity_batch(o, bi, true, &eb, err);
  if (rc) return rc;
  feast_batch *ob = feast_batch_new(o->schema->num_columns);
  if (!ob) {
    feast_batch_free(eb);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory building an output batch");
  }
  int64_t n = eb->num_rows;
  ob->num_rows = n;
  int ci = 0;
  for (int c = 0; !rc && c < eb->num_columns; c++) {
    feast_array *col = eb->columns[c];
    eb->columns[c] = NULL;
    rc = feast_batch_set_column(ob, ci++, eb->names[c], col, err);
  }
  feast_batch_free(eb);
  for (int i = 0; !rc && i < o->n_tables; i++) {
    rt_table *t = &o->tables[i];
    if (!t->spilled) {
      for (int f = 0; !rc && f < t->n_feat; f++) {
        feast_array *col = t->mem[bi][f];
        t->mem[bi][f] = NULL;
        rc = feast_batch_set_column(ob, ci++, t->out_names[f], col, err);
      }
    } else {
      feast_array **cols = feast_calloc((size_t)t->n_feat + 1, sizeof *cols);
      if (!cols) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory building an output batch");
      if (!rc) rc = rt_spilled_columns(o, t, n, cols, err);
      for (int f = 0; f < t->n_feat; f++) {
        if (!rc)
          rc = feast_batch_set_column(ob, ci++, t->out_names[f], cols[f], err);
        else
          feast_array_free(cols[f]);
      }
      feast_free(cols);
    }
  }
  if (rc) {
    feast_batch_free(ob);
    return rc;
  }
  o->next_batch++;
  o->row_base += n;
  *out = ob;
  return FEAST_OK;
}

const feast_batch *feast_retrieval_schema(const feast_batch_source *out) { return ((const rt_out *)out)->schema; }

/* ---- reading the entity rows ---- */

/* Does b have the entity columns of the schema (its first n columns)? */
static bool same_columns(const feast_batch *a, int n, const feast_batch *b) {
  if (n != b->num_columns) return false;
  for (int i = 0; i < n; i++)
    if (strcmp(a->names[i], b->names[i]) != 0 || !feast_dtype_equal(a->columns[i]->type, b->columns[i]->type))
      return false;
  return true;
}

static feast_code add_entity_batch(rt_out *o, feast_batch *b, size_t *bytes, feast_error *err) {
  int tc = feast_batch_find(b, o->entity_ts);
  const feast_array *ts = b->columns[tc];
  for (int64_t i = 0; i < b->num_rows; i++) {
    if (!feast_array_is_valid(ts, i)) continue;
    int64_t v = feast_array_get_ts_us(ts, i);
    if (v < o->ts_min) o->ts_min = v;
    if (v > o->ts_max) o->ts_max = v;
  }
  o->n_ent_batches++;
  o->n_ent_rows += b->num_rows;
  if (o->ent_file) {
    feast_code rc = spill_write(o->ent_file, b, err);
    feast_batch_free(b);
    return rc;
  }
  *bytes += pit_batch_bytes(b);
  feast_code rc = pit_batches_push(&o->ent, b, err);
  if (rc || *bytes <= o->memory_limit / 2) return rc;
  /* the entity rows alone take half the budget: move them to a file */
  if ((rc = spill_open(o->spill_dir, &o->ent_file, err))) return rc;
  for (int64_t i = 0; !rc && i < o->ent.n; i++) rc = spill_write(o->ent_file, o->ent.b[i], err);
  pit_batches_clear(&o->ent);
  *bytes = 0;
  return rc;
}

static feast_code read_entities(rt_out *o, const feast_retrieval_request *req, feast_batch *first, size_t *bytes,
                                feast_error *err) {
  feast_code rc = FEAST_OK;
  feast_batch *b = first; /* may be freed once added (spilled), so later batches compare with the schema */
  while (b) {
    if (b != first && !same_columns(o->schema, o->n_entity_cols, b)) {
      feast_batch_free(b);
      return feast_fail(err, FEAST_E_SCHEMA, "entity rows: batch %lld has other columns than the first batch",
                        (long long)o->n_ent_batches + 1);
    }
    if ((rc = add_entity_batch(o, b, bytes, err))) return rc;
    report(o, "entities", o->n_ent_rows, -1);
    if ((rc = req->entities->next(req->entities, &b, err))) return feast_error_prefix(err, "entity rows: ");
  }
  return FEAST_OK;
}

/* ---- the in-memory join of one table ---- */

/* Once a batch is indexed only its feature columns are read again (by the
 * gather): free the key and timestamp columns now, so the memory they took
 * is reused by the next batches instead of growing the working set. */
static void drop_indexed_columns(const rt_table *t, feast_batch *b) {
  for (int c = 0; c < b->num_columns; c++) {
    bool feature = false;
    for (int f = 0; f < t->n_feat && !feature; f++) feature = strcmp(b->names[c], t->feat_cols[f]) == 0;
    if (!feature) {
      feast_array_free(b->columns[c]);
      b->columns[c] = NULL;
    }
  }
}

static feast_code open_table_source(rt_out *o, const rt_table *t, const feast_retrieval_request *req,
                                    feast_batch_source **src, feast_error *err) {
  int64_t lo = t->max_age_us >= 0 ? sat_sub(o->ts_min, t->max_age_us) : FEAST_TS_MIN;
  return req->open_source(req->source_ctx, t->spec, t->proj, t->n_proj, lo, o->ts_max, src, err);
}

/* Joins table i in memory: reads its source (opened ahead as o->next_src,
 * or now), indexes it, probes and gathers. Before the gather it opens table
 * i + 1's source, so that table's first row groups decode meanwhile. */
static feast_code join_in_memory(rt_out *o, int i, const feast_retrieval_request *req, size_t *used, bool *too_big,
                                 int64_t *source_rows, int64_t *matched, feast_error *err) {
  rt_table *t = &o->tables[i];
  *too_big = false;
  pit_index *x = NULL;
  feast_batch_source *src = o->next_src;
  pit_batches feat = {0};
  int64_t *win = NULL;
  size_t feat_bytes = 0;
  char phase[300];
  snprintf(phase, sizeof phase, "read %s", t->name);
  o->next_src = NULL;
  size_t fixed = *used + (size_t)o->n_ent_rows * 8; /* entity rows, finished outputs, the winners */
  feast_code rc = FEAST_OK;
  if (o->index && pit_index_rebind(o->index, &t->cfg)) {
    x = o->index;
    o->index = NULL;
  } else {
    pit_index_free(o->index);
    o->index = NULL;
    if (fixed + pit_index_estimate(o->n_ent_rows) > o->memory_limit) *too_big = true; /* do not even build it */
  }
  if (!*too_big) rc = src ? FEAST_OK : open_table_source(o, t, req, &src, err);
  /* a new index is built while the source's workers decode the first row groups */
  if (!rc && !*too_big && !x) rc = pit_index_new(&t->cfg, &o->ent, &x, err);
  while (!rc && !*too_big) {
    feast_batch *b = NULL;
    if ((rc = src->next(src, &b, err)) || !b) break;
    *source_rows += b->num_rows;
    int64_t kept = 0;
    rc = rt_check_source_batch(t, b, err);
    if (!rc && t->cfg.ns && !rt_ns_timestamps(t, b))
      rc = feast_fail(err, FEAST_E_SCHEMA, "event timestamps change unit between batches");
    if (!rc) rc = pit_index_add(x, b, feat.n, &kept, err);
    if (rc || !kept) {
      feast_batch_free(b);
      continue;
    }
    drop_indexed_columns(t, b);
    feat_bytes += pit_batch_bytes(b);
    if ((rc = pit_batches_push(&feat, b, err))) break;
    report(o, phase, *source_rows, -1);
    if (fixed + feat_bytes + pit_index_bytes(x) > o->memory_limit) {
      *too_big = true;
      break;
    }
  }
  if (src) src->close(src);
  if (rc) feast_error_prefix(err, "feature table '%s': ", t->name);
  if (!rc && !*too_big) {
    snprintf(phase, sizeof phase, "join %s", t->name);
    report(o, phase, 0, o->n_ent_rows);
    win = feast_malloc((size_t)(o->n_ent_rows + 1) * sizeof *win);
    if (!win) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory joining feature table '%s'", t->name);
    if (!rc) rc = pit_index_probe(x, win, matched, err);
    if (!rc && i + 1 < o->n_tables) { /* kept for the next table */
      o->index = x;
      x = NULL;
      rc = open_table_source(o, &o->tables[i + 1], req, &o->next_src, err);
      if (rc) feast_error_prefix(err, "feature table '%s': ", o->tables[i + 1].name);
    }
    pit_index_free(x);
    x = NULL;
    if (!rc && !(t->mem = feast_calloc((size_t)o->n_ent_batches + 1, sizeof *t->mem)))
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory gathering features");
    int64_t base = 0;
    for (int64_t bi = 0; !rc && bi < o->n_ent_batches; bi++) {
      int64_t n = o->ent.b[bi]->num_rows;
      if (!(t->mem[bi] = feast_calloc((size_t)t->n_feat + 1, sizeof(feast_array *)))) {
        rc = feast_fail(err, FEAST_E_NOMEM, "out of memory gathering features");
        break;
      }
      for (int f = 0; !rc && f < t->n_feat; f++) {
        feast_array *a = rt_feature_array(t, f);
        if (!a) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory gathering features");
        if (!rc) rc = pit_gather(a, &feat, t->feat_cols[f], win + base, n, err);
        t->mem[bi][f] = a;
        if (!rc) {
          feast_batch one = {n, 1, NULL, &t->mem[bi][f]};
          *used += pit_batch_bytes(&one);
        }
      }
      base += n;
    }
    report(o, phase, o->n_ent_rows, o->n_ent_rows);
  }
  pit_index_free(x);
  pit_batches_clear(&feat);
  feast_free(win);
  return rc;
}

/* ---- the entry points ---- */

static void setup_cfg(rt_out *o, rt_table *t, const feast_batch *first) {
  pit_cfg *c = &t->cfg;
  const feast_array *ets = first->columns[feast_batch_find(first, o->entity_ts)];
  memset(c, 0, sizeof *c);
  c->n_keys = t->n_keys;
  c->entity_keys = (const char *const *)t->ent_keys;
  c->entity_ts = o->entity_ts;
  c->source_keys = (const char *const *)t->src_keys;
  c->event_ts = t->event_ts;
  c->created_ts = t->created_ts;
  c->has_max_age = t->max_age_us >= 0;
  c->ns = t->src_ns && ets->type.id == FEAST_DT_TIMESTAMP && ets->type.unit == FEAST_UNIT_NS;
  c->threads = o->threads;
  int64_t lo = c->has_max_age ? sat_sub(o->ts_min, t->max_age_us) : FEAST_TS_MIN, hi = o->ts_max;
  c->max_age = c->has_max_age ? t->max_age_us : 0;
  if (c->ns) {
    c->max_age = sat_mul1000(c->max_age);
    lo = sat_mul1000(lo);
    hi = sat_mul1000(hi);
    hi = hi > INT64_MAX - 999 ? INT64_MAX : hi + 999;
  }
  c->lo = lo;
  c->hi = hi;
}

feast_code feast_historical_retrieve(const feast_retrieval_request *req, feast_batch_source **out,
                                     feast_retrieval_summary *summary, feast_error *err) {
  double t0 = now_s();
  *out = NULL;
  if (!req || !req->entities || !req->open_source)
    return feast_fail(err, FEAST_E_INVALID, "a retrieval needs entity rows and an open_source callback");
  rt_out *o = feast_calloc(1, sizeof *o);
  if (!o) return feast_fail(err, FEAST_E_NOMEM, "out of memory starting a retrieval");
  o->base.next = out_next;
  o->base.close = out_close;
  o->memory_limit = req->memory_limit ? req->memory_limit : default_limit();
  o->threads = req->threads > 0 ? req->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (o->threads < 1) o->threads = 1;
  o->spill_dir = req->spill_dir;
  o->parts = req->spill_partitions > 0 ? req->spill_partitions : 64;
  if (o->parts > 65535) o->parts = 65535;
  o->progress = req->progress;
  o->progress_ctx = req->progress_ctx;
  o->ts_min = INT64_MAX;
  o->ts_max = INT64_MIN;
  o->entity_ts = feast_strdup(req->entity_ts_column ? req->entity_ts_column : "event_timestamp");
  feast_batch *first = NULL;
  feast_code rc = o->entity_ts ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory starting a retrieval");
  if (!rc && (rc = req->entities->next(req->entities, &first, err))) feast_error_prefix(err, "entity rows: ");
  if (!rc && !first) rc = feast_fail(err, FEAST_E_INVALID, "the entity rows yielded no batch, so their columns are unknown");
  if (!rc) rc = rt_plan(o, req, first, err);
  /* the output schema: entity columns, then the features */
  if (!rc) {
    int n = first->num_columns;
    for (int i = 0; i < o->n_tables; i++) n += o->tables[i].n_feat;
    o->n_entity_cols = first->num_columns;
    if (!(o->schema = feast_batch_new(n))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory starting a retrieval");
    int ci = 0;
    for (int c = 0; !rc && c < first->num_columns; c++) {
      const feast_array *a = first->columns[c];
      feast_array *e = feast_array_new(a->type, a->child ? a->child->type : feast_dtype_make(FEAST_DT_NULL));
      rc = e ? feast_batch_set_column(o->schema, ci++, first->names[c], e, err)
             : feast_fail(err, FEAST_E_NOMEM, "out of memory starting a retrieval");
    }
    for (int i = 0; !rc && i < o->n_tables; i++) {
      rt_table *t = &o->tables[i];
      for (int f = 0; !rc && f < t->n_feat; f++) {
        feast_array *e = rt_feature_array(t, f);
        rc = e ? feast_batch_set_column(o->schema, ci++, t->out_names[f], e, err)
               : feast_fail(err, FEAST_E_NOMEM, "out of memory starting a retrieval");
      }
    }
  }
  size_t used = 0;
  if (!rc) {
    rc = read_entities(o, req, first, &used, err);
    first = NULL; /* owned by the entity list now */
  }
  feast_batch_free(first);
  feast_retrieval_summary sum;
  memset(&sum, 0, sizeof sum);
  sum.entity_rows = o->n_ent_rows;
  sum.n_tables = o->n_tables;
  for (int i = 0; !rc && i < o->n_tables; i++) {
    rt_table *t = &o->tables[i];
    setup_cfg(o, t, o->schema); /* now that the entity time range is known */
    bool too_big = o->ent_file != NULL;
    int64_t rows = 0, matched = 0;
    if (!too_big) rc = join_in_memory(o, i, req, &used, &too_big, &rows, &matched, err);
    if (!rc && too_big) {
      rows = matched = 0;
      rc = rt_join_spilled(o, t, req, &rows, &matched, err);
      sum.tables_spilled++;
      sum.partitions = t->parts;
    }
    sum.source_rows += rows;
    sum.matched += matched;
  }
  if (rc) {
    out_close(&o->base);
    return rc;
  }
  sum.seconds = now_s() - t0;
  if (summary) *summary = sum;
  *out = &o->base;
  return FEAST_OK;
}

feast_code feast_historical_retrieve_stream(const feast_retrieval_request *req, struct ArrowArrayStream *out,
                                            feast_retrieval_summary *summary, feast_error *err) {
  feast_batch_source *src = NULL;
  feast_code rc = feast_historical_retrieve(req, &src, summary, err);
  if (rc) return rc;
  rc = feast_arrow_stream_export(src, feast_retrieval_schema(src), out, err);
  if (rc) src->close(src);
  return rc;
}
