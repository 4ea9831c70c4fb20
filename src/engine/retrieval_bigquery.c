/*
 * retrieval_bigquery.c - historical retrieval with BigQuery in it
 * (retrieval_bigquery.h).
 *
 * Every request is first checked by the local engine itself, over the
 * first entity batch and empty sources (their schemas come from the
 * connectors: tables.get, dry runs), so a pushed-down request reports the
 * same problems with the same words as a local one and its output schema
 * is the local engine's. Then the planner picks:
 *   pull:     the local engine reads the BigQuery tables through the
 *             Storage Read API (the window as a row restriction) and joins;
 *   pushdown: the BigQuery tables are joined in BigQuery (bigquery_pit.c);
 *             other tables, if any, locally; columns put together by row.
 * A BigQuery destination gets the pushed-down query's result directly, or
 * the assembled rows through a load job.
 */
#include "engine/retrieval_bigquery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stddef.h>

#include "base/alloc.h"
#include "cloud/gcp/bq_api.h"
#include "engine/retrieval_internal.h"
#include "source/bigquery.h"
#include "source/bigquery_pit.h"

#define OUT_BATCH_ROWS 65536
#define STAGING_HOURS 24
/* auto: push down when the BigQuery tables hold this many times more rows
 * than there are entity rows, and more than PULL_MAX_ROWS in all (below
 * that, reading them is quicker than a job's latency). */
#define PUSH_RATIO 4
#define PULL_MAX_ROWS INT64_C(2000000)

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- batches in memory ---- */

typedef struct bq_batches {
  feast_batch **b;
  size_t n;
  int64_t rows;
} bq_batches;

static void batches_free(bq_batches *s) {
  for (size_t i = 0; i < s->n; i++) feast_batch_free(s->b[i]);
  feast_free(s->b);
  memset(s, 0, sizeof *s);
}

static feast_code batches_add(bq_batches *s, feast_batch *b, feast_error *err) {
  feast_batch **g = feast_realloc(s->b, (s->n + 1) * sizeof *g);
  if (!g) {
    feast_batch_free(b);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  s->b = g;
  s->b[s->n++] = b;
  s->rows += b->num_rows;
  return FEAST_OK;
}

static feast_code read_all(feast_batch_source *src, bq_batches *out, feast_error *err) {
  for (;;) {
    feast_batch *b;
    feast_code rc = src->next(src, &b, err);
    if (rc || !b) return rc;
    if ((rc = batches_add(out, b, err))) return rc;
  }
}

static feast_code batch_copy(const feast_batch *b, bool rows, feast_batch **out, feast_error *err) {
  feast_batch *c = feast_batch_new(b->num_columns);
  if (!c) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = FEAST_OK;
  for (int i = 0; !rc && i < b->num_columns; i++) {
    const feast_array *a = b->columns[i];
    feast_array *x = feast_array_new(a->type, a->child ? a->child->type : feast_dtype_make(FEAST_DT_NULL));
    if (!x) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (!rc && rows) rc = feast_array_append_range(x, a, 0, a->length, err);
    if (!rc) rc = feast_batch_set_column(c, i, b->names[i], x, err);
    else feast_array_free(x);
  }
  c->num_rows = rows ? b->num_rows : 0;
  if (rc) {
    feast_batch_free(c);
    return rc;
  }
  *out = c;
  return FEAST_OK;
}

/* A source replaying copies of batches (the originals stay). */
typedef struct bq_replay {
  feast_batch_source base;
  const bq_batches *from;
  size_t next;
} bq_replay;

static feast_code replay_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  bq_replay *r = (bq_replay *)self;
  *out = NULL;
  if (r->next >= r->from->n) return FEAST_OK;
  return batch_copy(r->from->b[r->next++], true, out, err);
}

static void replay_close(feast_batch_source *self) { feast_free(self); }

static feast_code replay_new(const bq_batches *from, feast_batch_source **out, feast_error *err) {
  bq_replay *r = feast_calloc(1, sizeof *r);
  if (!r) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  r->base.next = replay_next;
  r->base.close = replay_close;
  r->from = from;
  *out = &r->base;
  return FEAST_OK;
}

/* Sources with no rows: the check run reads schemas only. */
static feast_code none_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  (void)self;
  (void)err;
  *out = NULL;
  return FEAST_OK;
}
static void none_close(feast_batch_source *self) { feast_free(self); }

static feast_code open_none(void *ctx, const feast_feature_table_spec *t, const char *const *cols, int n, feast_ts lo,
                            feast_ts hi, feast_batch_source **out, feast_error *err) {
  (void)ctx, (void)t, (void)cols, (void)n, (void)lo, (void)hi;
  feast_batch_source *s = feast_calloc(1, sizeof *s);
  if (!s) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  s->next = none_next;
  s->close = none_close;
  *out = s;
  return FEAST_OK;
}

/* ---- the request's tables ---- */

typedef struct tref {
  const feast_retrieval_table *rt;
  bool bq;
  size_t n_feat;
  const char **feats;
  char **out_names;
  feast_bq_source src; /* when bq, resolved by the pushdown */
  bool resolved;
} tref;

typedef struct bq_job {
  const feast_retrieval_request *req;
  const feast_bigquery_historical_options *bo;
  feast_bigquery_historical_info *info;
  feast_bq *client;
  size_t n_tables;
  tref *tables;            /* first-reference order */
  size_t n_bq;
  const feast_bq_source *ent_bq; /* entity rows in BigQuery (pending) */
  bq_batches ents;            /* entity rows here */
  bool ents_local;
  feast_batch *out_schema; /* the local engine's output schema */
  int n_entity_cols;
  feast_ts ts_lo, ts_hi;
  char project[256];
} bq_job;

static void job_free(bq_job *j) {
  for (size_t i = 0; i < j->n_tables; i++) {
    tref *t = &j->tables[i];
    for (size_t f = 0; f < t->n_feat; f++) feast_free(t->out_names[f]);
    feast_free(t->out_names);
    feast_free(t->feats);
    if (t->resolved) feast_bq_source_clear(&t->src);
  }
  feast_free(j->tables);
  batches_free(&j->ents);
  feast_batch_free(j->out_schema);
  feast_bq_release(j->client);
}

/* The tables the references name, in first-reference order, with their
 * features (malformed or unknown references are the check's to report). */
static feast_code collect_tables(bq_job *j, feast_error *err) {
  const feast_retrieval_request *req = j->req;
  j->tables = feast_calloc(req->n_tables + 1, sizeof *j->tables);
  if (!j->tables) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t r = 0; r < req->n_refs; r++) {
    const char *ref = req->refs[r], *colon = ref ? strchr(ref, ':') : NULL;
    if (!colon) continue;
    size_t len = (size_t)(colon - ref);
    tref *t = NULL;
    for (size_t i = 0; i < j->n_tables && !t; i++)
      if (strlen(j->tables[i].rt->spec->name) == len && strncmp(j->tables[i].rt->spec->name, ref, len) == 0)
        t = &j->tables[i];
    if (!t) {
      const feast_retrieval_table *rt = NULL;
      for (size_t i = 0; i < req->n_tables && !rt; i++)
        if (strlen(req->tables[i].spec->name) == len && strncmp(req->tables[i].spec->name, ref, len) == 0)
          rt = &req->tables[i];
      if (!rt) continue;
      t = &j->tables[j->n_tables++];
      t->rt = rt;
      t->bq = rt->spec->batch_source.type == FEAST_SOURCE_BIGQUERY;
      j->n_bq += t->bq;
      t->feats = feast_calloc(req->n_refs + 1, sizeof *t->feats);
      t->out_names = feast_calloc(req->n_refs + 1, sizeof *t->out_names);
      if (!t->feats || !t->out_names) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    }
    bool dup = false;
    for (size_t f = 0; f < t->n_feat && !dup; f++) dup = strcmp(t->feats[f], colon + 1) == 0;
    if (dup) continue;
    size_t n = len + strlen(colon + 1) + 3;
    if (!(t->out_names[t->n_feat] = feast_malloc(n))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    snprintf(t->out_names[t->n_feat], n, "%.*s__%s", (int)len, ref, colon + 1);
    t->feats[t->n_feat++] = colon + 1;
  }
  return FEAST_OK;
}

bool feast_bq_retrieval_involved(const feast_retrieval_request *req, const feast_bigquery_historical_options *bo) {
  if (bo && bo->destination) return true;
  if (feast_bq_rows_pending(req->entities)) return true;
  for (size_t r = 0; r < req->n_refs; r++) {
    const char *ref = req->refs[r], *colon = ref ? strchr(ref, ':') : NULL;
    if (!colon) continue;
    for (size_t i = 0; i < req->n_tables; i++)
      if (strlen(req->tables[i].spec->name) == (size_t)(colon - ref) &&
          strncmp(req->tables[i].spec->name, ref, (size_t)(colon - ref)) == 0 &&
          req->tables[i].spec->batch_source.type == FEAST_SOURCE_BIGQUERY)
        return true;
  }
  return false;
}

/* ---- the check, by the local engine ---- */

static feast_code check(bq_job *j, feast_error *err) {
  feast_batch *first = NULL;
  feast_code rc;
  if (j->ent_bq) rc = feast_bq_schema_batch(j->ent_bq, NULL, 0, &first, err);
  else if (j->ents.n) rc = batch_copy(j->ents.b[0], true, &first, err);
  else return feast_fail(err, FEAST_E_INVALID, "the entity rows yielded no batch, so their columns are unknown");
  if (rc) return rc;
  bq_batches one = {0};
  if ((rc = batches_add(&one, first, err))) return rc;
  feast_batch_source *ents = NULL, *out = NULL;
  rc = replay_new(&one, &ents, err);
  feast_retrieval_request r = *j->req;
  r.entities = ents;
  r.open_source = open_none;
  r.progress = NULL;
  if (!rc) rc = feast_historical_retrieve(&r, &out, NULL, err);
  if (!rc) rc = batch_copy(feast_retrieval_schema(out), false, &j->out_schema, err);
  if (out) out->close(out);
  if (ents) ents->close(ents);
  batches_free(&one);
  if (!rc) {
    int feats = 0;
    for (size_t i = 0; i < j->n_tables; i++) feats += (int)j->tables[i].n_feat;
    j->n_entity_cols = j->out_schema->num_columns - feats;
  }
  return rc;
}

/* ---- the planner ---- */

typedef enum plan_kind { PLAN_PULL, PLAN_PUSH } plan_kind;

static plan_kind plan(bq_job *j, char *reason, size_t cap) {
  const char *policy = j->bo && j->bo->pushdown ? j->bo->pushdown : feast_bq_pushdown(j->client);
  if (strcmp(policy, "never") == 0) {
    snprintf(reason, cap, "pushdown: never");
    return PLAN_PULL;
  }
  if (strcmp(policy, "always") == 0) {
    snprintf(reason, cap, "pushdown: always");
    return j->n_bq ? PLAN_PUSH : PLAN_PULL;
  }
  if (!j->n_bq) {
    snprintf(reason, cap, "no table's source is in BigQuery");
    return PLAN_PULL;
  }
  if (j->bo && j->bo->destination && j->n_bq == j->n_tables) {
    snprintf(reason, cap, "the training set goes to a BigQuery table and every table is in BigQuery");
    return PLAN_PUSH;
  }
  int64_t src_rows = 0;
  bool unknown = false;
  for (size_t i = 0; i < j->n_tables; i++) {
    if (!j->tables[i].bq) continue;
    const feast_bq_source *s = &j->tables[i].src;
    if (s->is_query || s->meta.num_rows < 0) unknown = true;
    else src_rows += s->meta.num_rows;
  }
  int64_t ent_rows = j->ents_local ? j->ents.rows : j->ent_bq && j->ent_bq->meta.num_rows >= 0 ? j->ent_bq->meta.num_rows : -1;
  if (unknown) {
    snprintf(reason, cap, "a query source of unknown size: the join goes where the data is");
    return PLAN_PUSH;
  }
  if (ent_rows >= 0 && src_rows > PUSH_RATIO * ent_rows && src_rows > PULL_MAX_ROWS) {
    snprintf(reason, cap, "%lld source rows in BigQuery vs %lld entity rows: pushdown", (long long)src_rows,
             (long long)ent_rows);
    return PLAN_PUSH;
  }
  if (ent_rows < 0) {
    snprintf(reason, cap, "entity rows of unknown count in BigQuery: pushdown");
    return PLAN_PUSH;
  }
  snprintf(reason, cap, "%lld source rows in BigQuery vs %lld entity rows: reading them is cheaper", (long long)src_rows,
           (long long)ent_rows);
  return PLAN_PULL;
}

/* ---- uploading entity rows ---- */

/* A column in the form a staging table holds it: integers as int64,
 * timestamps (and dates) as timestamp[us, UTC]. */
static feast_code upload_column(const feast_array *a, bool as_ts, feast_array **out, feast_error *err) {
  feast_dtype t = a->type;
  bool ints = feast_dtype_is_integer(t);
  if (!as_ts && !ints) {
    feast_array *c = feast_array_new(t, a->child ? a->child->type : feast_dtype_make(FEAST_DT_NULL));
    feast_code rc = c ? feast_array_append_range(c, a, 0, a->length, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (rc) feast_array_free(c);
    else *out = c;
    return rc;
  }
  feast_array *c = feast_array_new(as_ts ? feast_dtype_timestamp(FEAST_UNIT_US, true) : feast_dtype_make(FEAST_DT_INT64),
                                   feast_dtype_make(FEAST_DT_NULL));
  feast_code rc = c ? feast_array_reserve(c, a->length, 0, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int64_t i = 0; !rc && i < a->length; i++) {
    if (!feast_array_is_valid(a, i)) rc = feast_array_append_null(c, err);
    else rc = feast_array_append_int(c, as_ts ? feast_array_get_ts_us(a, i) : feast_array_get_int(a, i), err);
  }
  if (rc) feast_array_free(c);
  else *out = c;
  return rc;
}

static bool is_entity_key(const bq_job *j, const char *name) {
  for (size_t i = 0; i < j->n_tables; i++)
    for (size_t e = 0; e < j->tables[i].rt->spec->n_entities; e++)
      if (strcmp(j->tables[i].rt->spec->entities[e], name) == 0) return true;
  return false;
}

/* The staging form of entity batch i: feast_row__, then the key columns
 * and the timestamp (or, for a destination, every column). */
static feast_code upload_batch(bq_job *j, size_t bi, int64_t base, bool all, feast_batch **out, feast_error *err) {
  const feast_batch *b = j->ents.b[bi];
  const char *ts = j->req->entity_ts_column ? j->req->entity_ts_column : "event_timestamp";
  feast_batch *u = feast_batch_new(b->num_columns + 1);
  if (!u) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_array *row = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(FEAST_DT_NULL));
  feast_code rc = row ? feast_array_reserve(row, b->num_rows, 0, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int64_t i = 0; !rc && i < b->num_rows; i++) rc = feast_array_append_int(row, base + i, err);
  if (!rc) rc = feast_batch_set_column(u, 0, FEAST_BQ_ROW_COLUMN, row, err);
  else feast_array_free(row);
  int k = 1;
  for (int c = 0; !rc && c < b->num_columns; c++) {
    bool is_ts = strcmp(b->names[c], ts) == 0;
    if (!all && !is_ts && !is_entity_key(j, b->names[c])) continue;
    feast_array *a = NULL;
    bool ts_col = is_ts || b->columns[c]->type.id == FEAST_DT_TIMESTAMP || b->columns[c]->type.id == FEAST_DT_DATE32;
    if (!(rc = upload_column(b->columns[c], ts_col, &a, err))) rc = feast_batch_set_column(u, k++, b->names[c], a, err);
  }
  u->num_columns = k;
  u->num_rows = b->num_rows;
  if (rc) {
    feast_batch_free(u);
    return rc;
  }
  *out = u;
  return FEAST_OK;
}

static void staging_ref(bq_job *j, const char *what, feast_bq_ref *out) {
  memset(out, 0, sizeof *out);
  snprintf(out->project, sizeof out->project, "%s", j->project);
  snprintf(out->dataset, sizeof out->dataset, "%s", feast_bq_staging_dataset(j->client));
  feast_bq_job_id(what, out->table, sizeof out->table);
}

static void progress(bq_job *j, const char *phase, int64_t done, int64_t total) {
  if (j->req->progress) j->req->progress(j->req->progress_ctx, phase, done, total);
}

static feast_code upload_entities(bq_job *j, bool all, feast_bq_ref *dest, feast_error *err) {
  double t0 = now_s();
  progress(j, "upload entities", 0, j->ents.rows);
  bq_batches up = {0};
  feast_code rc = FEAST_OK;
  int64_t base = 0;
  for (size_t i = 0; !rc && i < j->ents.n; i++) {
    feast_batch *u = NULL;
    if (!(rc = upload_batch(j, i, base, all, &u, err))) rc = batches_add(&up, u, err);
    base += j->ents.b[i]->num_rows;
  }
  staging_ref(j, "entities", dest);
  feast_bq_job lj;
  memset(&lj, 0, sizeof lj);
  if (!rc) rc = feast_bq_datasets_ensure(j->client, dest->project, dest->dataset, err);
  if (!rc)
    rc = feast_bq_load_batches(j->client, dest, up.b[0], NULL, up.b, up.n, false,
                               feast_now() + (int64_t)STAGING_HOURS * 3600 * FEAST_US_PER_SEC, NULL, &lj, err);
  if (rc) feast_error_prefix(err, "uploading the entity rows: ");
  feast_bq_job_clear(&lj);
  batches_free(&up);
  if (j->info) {
    j->info->rows_uploaded = j->ents.rows;
    j->info->upload_seconds = now_s() - t0;
  }
  progress(j, "upload entities", j->ents.rows, j->ents.rows);
  return rc;
}

/* ---- the pushed-down join ---- */

static const char *bq_type_of_column(const feast_bq_source *s, const char *col) {
  const feast_bq_field *f = s ? feast_bq_table_find(&s->meta, col) : NULL;
  return f ? f->type : "TIMESTAMP";
}

/* Write the query for the BigQuery tables. */
static feast_code pit_query(bq_job *j, const feast_bq_ref *uploaded, bool with_entities, feast_buf *sql, feast_error *err) {
  feast_bq_pit_table *pts = feast_calloc(j->n_bq + 1, sizeof *pts);
  const char **ent_out = feast_calloc((size_t)j->n_entity_cols + 1, sizeof *ent_out);
  if (!pts || !ent_out) {
    feast_free(pts);
    feast_free(ent_out);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  size_t k = 0;
  for (size_t i = 0; i < j->n_tables; i++) {
    tref *t = &j->tables[i];
    if (!t->bq) continue;
    pts[k++] = (feast_bq_pit_table){t->rt->spec, &t->src, t->n_feat, t->feats, (const char *const *)t->out_names};
  }
  char from[2600];
  const char *ts = j->req->entity_ts_column ? j->req->entity_ts_column : "event_timestamp";
  feast_bq_pit_request r;
  memset(&r, 0, sizeof r);
  if (uploaded) {
    feast_bq_ref_sql(uploaded, from, sizeof from);
    r.entity_from = from;
    r.entity_has_row = true;
    r.entity_ts_type = "TIMESTAMP";
  } else if (j->ent_bq->is_query) {
    r.entity_from = NULL; /* set below: the query text may be long */
    r.entity_ts_type = bq_type_of_column(j->ent_bq, ts);
  } else {
    feast_bq_ref_sql(&j->ent_bq->table, from, sizeof from);
    r.entity_from = from;
    r.entity_ts_type = bq_type_of_column(j->ent_bq, ts);
  }
  /* A training set used as entity rows already numbers them. */
  const feast_bq_field *rowf = !uploaded ? feast_bq_table_find(&j->ent_bq->meta, FEAST_BQ_ROW_COLUMN) : NULL;
  if (rowf && strcmp(bq_type_of_column(j->ent_bq, FEAST_BQ_ROW_COLUMN), "INTEGER") == 0) r.entity_has_row = true;
  feast_buf qfrom;
  feast_buf_init(&qfrom, 64 << 20);
  feast_code rc = FEAST_OK;
  if (!uploaded && j->ent_bq->is_query) {
    rc = feast_buf_printf(&qfrom, err, "(\n%s\n)", j->ent_bq->sql);
    if (!rc && !feast_buf_cstr(&qfrom, err)) rc = err->code;
    r.entity_from = (const char *)qfrom.data;
  }
  r.entity_ts = ts;
  if (with_entities) {
    for (int c = 0; c < j->n_entity_cols; c++) ent_out[c] = j->out_schema->names[c];
    r.n_entity_out = (size_t)j->n_entity_cols;
    r.entity_out = ent_out;
  }
  r.ts_lo = j->ts_lo;
  r.ts_hi = j->ts_hi;
  r.n_tables = k;
  r.tables = pts;
  r.match_flags = !(j->bo && j->bo->destination && j->n_bq == j->n_tables); /* rows read back: count matches */
  if (!rc) rc = feast_bq_pit_sql(&r, sql, err);
  feast_buf_free(&qfrom);
  feast_free(pts);
  feast_free(ent_out);
  return rc;
}

/* Run the join into `dest` (replaced). */
static feast_code run_join(bq_job *j, const char *sql, const feast_bq_ref *dest, feast_error *err) {
  progress(j, "bigquery job", 0, -1);
  feast_bq_job_options o;
  memset(&o, 0, sizeof o);
  o.destination = dest;
  o.label = "historical";
  feast_bq_job bj;
  feast_code rc = feast_bq_query(j->client, j->project, sql, &o, &bj, err);
  if (rc) feast_error_prefix(err, "the point-in-time join in BigQuery: ");
  if (!rc && j->info) {
    snprintf(j->info->job_id, sizeof j->info->job_id, "%s", bj.job_id);
    j->info->bytes_processed = bj.bytes_processed;
    j->info->bytes_billed = bj.bytes_billed;
    j->info->job_seconds = bj.seconds;
  }
  if (!rc) feast_bq_job_clear(&bj);
  progress(j, "bigquery job", 1, 1);
  return rc;
}

/* ---- the output: entity rows, pushed-down columns, local columns ---- */

typedef enum col_from { FROM_ENTITY, FROM_PUSH, FROM_LOCAL } col_from;

typedef struct merged {
  feast_batch_source base;
  feast_batch *schema;
  int ncols;
  col_from *from;
  int *index;            /* column index in its source (entity batch, result, local batch) */
  bq_batches ents;          /* local entity rows, moved out one batch at a time */
  bool ents_local;
  feast_batch *res;      /* the pushed-down result, all rows (NULL when none) */
  int64_t *pos;          /* pos[row] = where entity row `row` is in res */
  int64_t n_rows;
  feast_batch_source *local; /* the local engine's result for the other tables */
  size_t next_batch;
  int64_t row_base;
} merged;

/* feast_retrieval_schema reads any retrieval output as an rt_out: the
 * schema must sit where rt_out keeps it. */
_Static_assert(offsetof(merged, schema) == offsetof(rt_out, schema), "merged must start like rt_out");

static feast_code merged_next(feast_batch_source *self, feast_batch **out, feast_error *err);

static void merged_close(feast_batch_source *self) {
  merged *m = (merged *)self;
  feast_batch_free(m->schema);
  feast_free(m->from);
  feast_free(m->index);
  batches_free(&m->ents);
  feast_batch_free(m->res);
  feast_free(m->pos);
  if (m->local) m->local->close(m->local);
  feast_free(m);
}

/* Bring a result column to the output type: only timestamps may differ
 * (a unit or the zone flag). */
static feast_code conform(feast_array **a, const feast_array *want, const char *name, feast_error *err) {
  feast_array *x = *a;
  if (feast_dtype_equal(x->type, want->type) &&
      (!want->child || (x->child && feast_dtype_equal(x->child->type, want->child->type))))
    return FEAST_OK;
  if (x->type.id == FEAST_DT_TIMESTAMP && want->type.id == FEAST_DT_TIMESTAMP) {
    feast_array *c = feast_array_new(want->type, feast_dtype_make(FEAST_DT_NULL));
    feast_code rc = c ? feast_array_reserve(c, x->length, 0, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    int64_t mul = want->type.unit == FEAST_UNIT_NS ? 1000 : 1, div = want->type.unit == FEAST_UNIT_MS ? 1000
                                                               : want->type.unit == FEAST_UNIT_S  ? 1000000
                                                                                                  : 1;
    for (int64_t i = 0; !rc && i < x->length; i++)
      rc = feast_array_is_valid(x, i) ? feast_array_append_int(c, feast_array_get_ts_us(x, i) * mul / div, err)
                                      : feast_array_append_null(c, err);
    if (rc) {
      feast_array_free(c);
      return rc;
    }
    feast_array_free(x);
    *a = c;
    return FEAST_OK;
  }
  char t1[64], t2[64];
  return feast_fail(err, FEAST_E_SCHEMA, "column %s came back from BigQuery as %s, expected %s", name,
                    feast_dtype_name(x->type, t1, sizeof t1), feast_dtype_name(want->type, t2, sizeof t2));
}

static feast_code merged_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  merged *m = (merged *)self;
  *out = NULL;
  int64_t n;
  feast_batch *eb = NULL, *lb = NULL;
  if (m->ents_local) {
    if (m->next_batch >= m->ents.n) return FEAST_OK;
    eb = m->ents.b[m->next_batch];
    m->ents.b[m->next_batch++] = NULL;
    n = eb->num_rows;
  } else {
    if (m->row_base >= m->n_rows) return FEAST_OK;
    n = m->n_rows - m->row_base < OUT_BATCH_ROWS ? m->n_rows - m->row_base : OUT_BATCH_ROWS;
  }
  feast_code rc = FEAST_OK;
  if (m->local) {
    rc = m->local->next(m->local, &lb, err);
    if (!rc && (!lb || lb->num_rows != n))
      rc = feast_fail(err, FEAST_E_INTERNAL, "the local part of the join yielded %lld rows for an entity batch of %lld",
                      lb ? (long long)lb->num_rows : -1LL, (long long)n);
  }
  feast_batch *b = rc ? NULL : feast_batch_new(m->ncols);
  if (!rc && !b) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int c = 0; !rc && c < m->ncols; c++) {
    feast_array *a = NULL;
    if (m->from[c] == FROM_ENTITY) {
      a = eb->columns[m->index[c]];
      eb->columns[m->index[c]] = NULL;
    } else if (m->from[c] == FROM_LOCAL) {
      a = lb->columns[m->index[c]];
      lb->columns[m->index[c]] = NULL;
    } else {
      rc = feast_array_take(m->res->columns[m->index[c]], m->pos + m->row_base, n, &a, err);
      if (!rc) rc = conform(&a, m->schema->columns[c], m->schema->names[c], err);
    }
    if (!rc) rc = feast_batch_set_column(b, c, m->schema->names[c], a, err);
    else feast_array_free(a);
  }
  if (b) b->num_rows = n;
  m->row_base += n;
  feast_batch_free(eb);
  feast_batch_free(lb);
  if (rc) {
    feast_batch_free(b);
    return rc;
  }
  *out = b;
  return FEAST_OK;
}

/* Concatenate the result batches and index them by row number. */
static feast_code index_result(merged *m, bq_batches *res, int64_t n_rows, int64_t *matched, int n_flags,
                               feast_error *err) {
  m->n_rows = n_rows;
  if (!(m->pos = feast_malloc((size_t)(n_rows + 1) * sizeof *m->pos))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int64_t i = 0; i < n_rows; i++) m->pos[i] = -1;
  feast_code rc = FEAST_OK;
  if (!res->n) return n_rows ? feast_fail(err, FEAST_E_SERVER, "the join's result has no rows") : FEAST_OK;
  rc = batch_copy(res->b[0], false, &m->res, err);
  for (size_t i = 0; !rc && i < res->n; i++) {
    for (int c = 0; !rc && c < m->res->num_columns; c++) {
      int k = feast_batch_find(res->b[i], m->res->names[c]);
      rc = k < 0 ? feast_fail(err, FEAST_E_SERVER, "a result batch lacks column %s", m->res->names[c])
                 : feast_array_append_range(m->res->columns[c], res->b[i]->columns[k], 0, res->b[i]->num_rows, err);
    }
    m->res->num_rows += res->b[i]->num_rows;
    feast_batch_free(res->b[i]);
    res->b[i] = NULL;
  }
  if (rc) return rc;
  int rc_col = feast_batch_find(m->res, FEAST_BQ_ROW_COLUMN);
  if (rc_col < 0) return feast_fail(err, FEAST_E_SERVER, "the join's result has no %s column", FEAST_BQ_ROW_COLUMN);
  const feast_array *rows = m->res->columns[rc_col];
  for (int64_t i = 0; i < m->res->num_rows; i++) {
    int64_t r = feast_array_is_valid(rows, i) ? feast_array_get_int(rows, i) : -1;
    if (r < 0 || r >= n_rows || m->pos[r] >= 0)
      return feast_fail(err, FEAST_E_SERVER, "the join's result has row number %lld %s", (long long)r,
                        r >= 0 && r < n_rows ? "twice" : "out of range");
    m->pos[r] = i;
  }
  if (m->res->num_rows != n_rows)
    return feast_fail(err, FEAST_E_SERVER, "the join's result has %lld rows for %lld entity rows",
                      (long long)m->res->num_rows, (long long)n_rows);
  for (int f = 0; f < n_flags; f++) {
    char name[32];
    snprintf(name, sizeof name, "feast_m%d__", f);
    int c = feast_batch_find(m->res, name);
    for (int64_t i = 0; c >= 0 && i < m->res->num_rows; i++)
      *matched += feast_array_is_valid(m->res->columns[c], i) && feast_array_get_int(m->res->columns[c], i);
  }
  return FEAST_OK;
}

/* Where each output column comes from. */
static feast_code wire_columns(bq_job *j, merged *m, const feast_batch *local_schema, feast_error *err) {
  m->ncols = j->out_schema->num_columns;
  m->from = feast_calloc((size_t)m->ncols + 1, sizeof *m->from);
  m->index = feast_calloc((size_t)m->ncols + 1, sizeof *m->index);
  if (!m->from || !m->index) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int c = 0; c < m->ncols; c++) {
    const char *name = j->out_schema->names[c];
    if (c < j->n_entity_cols) {
      m->from[c] = m->ents_local ? FROM_ENTITY : FROM_PUSH;
      m->index[c] = m->ents_local ? c : feast_batch_find(m->res, name);
    } else {
      int k = m->res ? feast_batch_find(m->res, name) : -1;
      bool pushed = false;
      for (size_t t = 0; t < j->n_tables && !pushed; t++)
        for (size_t f = 0; f < j->tables[t].n_feat && !pushed; f++)
          pushed = j->tables[t].bq && strcmp(j->tables[t].out_names[f], name) == 0;
      if (pushed) {
        m->from[c] = FROM_PUSH;
        m->index[c] = k;
      } else {
        m->from[c] = FROM_LOCAL;
        m->index[c] = local_schema ? feast_batch_find(local_schema, name) : -1;
      }
    }
    if (m->index[c] < 0) return feast_fail(err, FEAST_E_INTERNAL, "output column %s has no source", name);
  }
  return FEAST_OK;
}

/* The local engine over the tables that are not in BigQuery. */
static feast_code local_part(bq_job *j, feast_batch_source **out, const feast_batch **schema, feast_retrieval_summary *sum,
                             feast_error *err) {
  const char **refs = feast_calloc(j->req->n_refs + 1, sizeof *refs);
  if (!refs) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  size_t n = 0;
  for (size_t r = 0; r < j->req->n_refs; r++) {
    const char *ref = j->req->refs[r], *colon = strchr(ref, ':');
    bool bq = false;
    for (size_t t = 0; colon && t < j->n_tables; t++)
      bq |= j->tables[t].bq && strlen(j->tables[t].rt->spec->name) == (size_t)(colon - ref) &&
            strncmp(j->tables[t].rt->spec->name, ref, (size_t)(colon - ref)) == 0;
    if (!bq) refs[n++] = ref;
  }
  feast_batch_source *ents = NULL;
  feast_code rc = replay_new(&j->ents, &ents, err);
  feast_retrieval_request r = *j->req;
  r.refs = refs;
  r.n_refs = n;
  r.entities = ents;
  if (!rc) rc = feast_historical_retrieve(&r, out, sum, err);
  if (!rc) *schema = feast_retrieval_schema(*out);
  if (ents) ents->close(ents);
  feast_free(refs);
  return rc;
}

static feast_code pushdown(bq_job *j, feast_batch_source **out, feast_retrieval_summary *sum, feast_error *err) {
  double t0 = now_s();
  feast_code rc = FEAST_OK;
  /* Entity rows in BigQuery with tables that are not: the local part needs
   * the rows here, in the same order as the pushed-down part. */
  if (j->ent_bq && j->n_bq < j->n_tables) {
    rc = read_all(j->req->entities, &j->ents, err);
    j->ent_bq = NULL;
    j->ents_local = true;
  }
  const char *dest_uri = j->bo ? j->bo->destination : NULL;
  bool direct = dest_uri && j->n_bq == j->n_tables; /* the query writes the training set itself */
  feast_bq_ref uploaded, result;
  bool have_upload = false;
  if (!rc && j->ents_local) {
    rc = upload_entities(j, direct, &uploaded, err);
    have_upload = !rc;
  }
  feast_buf sql;
  feast_buf_init(&sql, 256 << 20);
  if (!rc) rc = pit_query(j, have_upload ? &uploaded : NULL, direct || !j->ents_local, &sql, err);
  if (!rc && direct) {
    rc = feast_bq_ref_parse(dest_uri, j->project, &result, err);
  } else if (!rc) {
    staging_ref(j, "result", &result);
    rc = feast_bq_datasets_ensure(j->client, result.project, result.dataset, err);
  }
  if (!rc) rc = run_join(j, (const char *)sql.data, &result, err);
  feast_buf_free(&sql);
  if (have_upload) {
    feast_error e;
    feast_bq_tables_delete(j->client, &uploaded, true, &e); /* it would expire; no need to wait */
  }
  if (!rc && !direct) {
    feast_bq_tables_expire(j->client, &result, feast_now() + (int64_t)STAGING_HOURS * 3600 * FEAST_US_PER_SEC, err);
    feast_error_clear(err);
  }
  if (!rc && j->info) feast_bq_ref_format(&result, j->info->destination, sizeof j->info->destination);
  merged *m = rc ? NULL : feast_calloc(1, sizeof *m);
  if (!rc && !m) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) {
    m->base.next = merged_next;
    m->base.close = merged_close;
    m->ents_local = j->ents_local;
  }
  if (!rc && direct) { /* the rows are in the destination: nothing comes back */
    m->n_rows = 0;
    m->ents_local = false;
    rc = batch_copy(j->out_schema, false, &m->schema, err);
    if (!rc && sum) {
      memset(sum, 0, sizeof *sum);
      sum->entity_rows = j->ents_local ? j->ents.rows : -1;
      sum->n_tables = (int)j->n_tables;
      sum->seconds = now_s() - t0;
    }
    if (!rc) {
      *out = &m->base;
      return FEAST_OK;
    }
  }
  /* Read the result back. */
  bq_batches res = {0};
  int64_t matched = 0;
  if (!rc) {
    double r0 = now_s();
    feast_bq_table meta;
    feast_batch_source *rd = NULL;
    progress(j, "read result", 0, -1);
    rc = feast_bq_tables_get(j->client, &result, &meta, err);
    if (!rc) rc = feast_bq_read_table(j->client, &result, &meta, NULL, 0, NULL, j->req->threads, 0, true,
                                      "the join's result", &rd, err);
    if (!rc) rc = read_all(rd, &res, err);
    if (rd) rd->close(rd);
    feast_bq_table_free(&meta);
    if (j->info) j->info->read_seconds = now_s() - r0;
    progress(j, "read result", res.rows, res.rows);
  }
  int64_t n_rows = j->ents_local ? j->ents.rows : res.rows;
  if (!rc) rc = index_result(m, &res, n_rows, &matched, (int)j->n_bq, err);
  batches_free(&res);
  const feast_batch *local_schema = NULL;
  feast_retrieval_summary lsum;
  memset(&lsum, 0, sizeof lsum);
  if (!rc && j->n_bq < j->n_tables) rc = local_part(j, &m->local, &local_schema, &lsum, err);
  if (!rc) rc = batch_copy(j->out_schema, false, &m->schema, err);
  if (!rc) rc = wire_columns(j, m, local_schema, err);
  if (!rc) {
    m->ents = j->ents; /* moved: the output hands them out */
    memset(&j->ents, 0, sizeof j->ents);
  }
  if (rc) {
    if (m) merged_close(&m->base);
    return rc;
  }
  if (sum) {
    sum->entity_rows = n_rows;
    sum->n_tables = (int)j->n_tables;
    sum->matched = matched + lsum.matched;
    sum->source_rows = lsum.source_rows;
    sum->tables_spilled = lsum.tables_spilled;
    sum->partitions = lsum.partitions;
    sum->seconds = now_s() - t0;
  }
  *out = &m->base;
  return FEAST_OK;
}

/* A training set computed here, loaded into the destination table. */
static feast_code load_destination(bq_job *j, feast_batch_source **out, feast_error *err) {
  feast_bq_ref dest;
  feast_code rc = feast_bq_ref_parse(j->bo->destination, j->project, &dest, err);
  feast_bq_job lj;
  memset(&lj, 0, sizeof lj);
  if (!rc)
    rc = feast_bq_load_batches(j->client, &dest, j->out_schema, *out, NULL, 0, false, 0, NULL, &lj, err);
  feast_bq_job_clear(&lj);
  if (!rc && j->info) feast_bq_ref_format(&dest, j->info->destination, sizeof j->info->destination);
  (*out)->close(*out);
  *out = NULL;
  merged *m = rc ? NULL : feast_calloc(1, sizeof *m);
  if (!rc && !m) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) {
    m->base.next = merged_next;
    m->base.close = merged_close;
    rc = batch_copy(j->out_schema, false, &m->schema, err);
    if (rc) merged_close(&m->base);
    else *out = &m->base;
  }
  return rc;
}

feast_code feast_bq_historical_retrieve(const feast_retrieval_request *req, const feast_bigquery_historical_options *bo,
                                        feast_batch_source **out, feast_retrieval_summary *summary,
                                        feast_bigquery_historical_info *info, feast_error *err) {
  *out = NULL;
  bq_job j;
  memset(&j, 0, sizeof j);
  j.req = req;
  j.bo = bo;
  j.info = info;
  j.ts_lo = FEAST_TS_MIN;
  j.ts_hi = FEAST_TS_MAX;
  if (info) memset(info, 0, sizeof *info);
  feast_code rc = feast_bq_acquire(&j.client, err);
  if (!rc) rc = collect_tables(&j, err);
  j.ent_bq = feast_bq_rows_pending(req->entities);
  if (!rc && !j.ent_bq) {
    rc = read_all(req->entities, &j.ents, err);
    if (rc) feast_error_prefix(err, "entity rows: ");
    j.ents_local = true;
  }
  if (!rc) rc = check(&j, err);
  if (!rc) { /* jobs run in bigquery.project, else the credentials', else the first table's */
    char first[256] = "";
    for (size_t i = 0; i < j.n_tables && !first[0]; i++) {
      const char *ref = j.tables[i].bq ? j.tables[i].rt->spec->batch_source.bigquery.table_ref : NULL;
      feast_bq_ref r;
      feast_error e;
      if (ref && !feast_bq_ref_parse(ref, "-", &r, &e) && strcmp(r.project, "-") != 0)
        snprintf(first, sizeof first, "%s", r.project);
    }
    if (!first[0] && j.ent_bq && !j.ent_bq->is_query) snprintf(first, sizeof first, "%s", j.ent_bq->table.project);
    snprintf(j.project, sizeof j.project, "%s", feast_bq_job_project(j.client, first));
  }
  for (size_t i = 0; !rc && i < j.n_tables; i++) {
    if (!j.tables[i].bq) continue;
    rc = feast_bq_source_resolve(j.client, &j.tables[i].rt->spec->batch_source, &j.tables[i].src, err);
    if (!rc) j.tables[i].resolved = true;
    else feast_error_prefix(err, "feature table '%s': ", j.tables[i].rt->spec->name);
  }
  if (!rc && j.ents_local) { /* the entity times bound what the sources must give */
    const char *ts = req->entity_ts_column ? req->entity_ts_column : "event_timestamp";
    feast_ts lo = FEAST_TS_MAX, hi = FEAST_TS_MIN;
    for (size_t b = 0; b < j.ents.n; b++) {
      int c = feast_batch_find(j.ents.b[b], ts);
      const feast_array *a = c >= 0 ? j.ents.b[b]->columns[c] : NULL;
      for (int64_t i = 0; a && i < a->length; i++) {
        if (!feast_array_is_valid(a, i)) continue;
        feast_ts t = feast_array_get_ts_us(a, i);
        if (t < lo) lo = t;
        if (t > hi) hi = t;
      }
    }
    if (lo <= hi) {
      j.ts_lo = lo;
      j.ts_hi = hi;
    }
  }
  if (!rc && !j.project[0])
    rc = feast_fail(err, FEAST_E_INVALID, "no project to run BigQuery jobs in: set bigquery.project in feature_store.yaml");
  char reason[256] = "";
  plan_kind p = PLAN_PULL;
  if (!rc) p = plan(&j, reason, sizeof reason);
  if (info) {
    snprintf(info->reason, sizeof info->reason, "%s", reason);
    snprintf(info->plan, sizeof info->plan, "%s",
             p == PLAN_PUSH ? (j.n_bq < j.n_tables ? "mixed" : "pushdown") : j.n_bq ? "pull" : "local");
  }
  if (!rc && p == PLAN_PUSH) {
    rc = pushdown(&j, out, summary, err);
  } else if (!rc) {
    feast_retrieval_request r = *req;
    feast_batch_source *ents = NULL;
    if (j.ents_local) rc = replay_new(&j.ents, &ents, err);
    if (ents) r.entities = ents;
    if (!rc) rc = feast_historical_retrieve(&r, out, summary, err);
    if (ents) ents->close(ents);
  }
  if (!rc && bo && bo->destination && p == PLAN_PULL) rc = load_destination(&j, out, err);
  if (!rc && bo && bo->destination && p == PLAN_PUSH && j.n_bq < j.n_tables) rc = load_destination(&j, out, err);
  job_free(&j);
  return rc;
}
