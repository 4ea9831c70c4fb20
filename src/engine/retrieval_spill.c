/*
 * retrieval_spill.c - the out-of-core join of one feature table.
 *
 * Both sides are partitioned by the hash of the entity key into temporary
 * files (entity side: row number, timestamp, key columns; source side: the
 * projected columns of rows inside the time range), so equal keys meet in
 * the same partition. Each partition is then joined in memory with the same
 * core as the in-memory path, and its result (row number + feature values,
 * in row order) is written to a result file. The output restores entity-row
 * order by reading, for each row, the next result of the partition its key
 * hashed to (part_of_row, 2 bytes per entity row).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "engine/retrieval_internal.h"

static feast_code file_for(rt_out *o, spill_file **f, feast_error *err) {
  return *f ? FEAST_OK : spill_open(o->spill_dir, f, err);
}

/* Writes the rows of b whose part[i] >= 0 to files[part[i]]: columns
 * `names` (and a leading row-number column when row_base >= 0). */
static feast_code write_parts(rt_out *o, const feast_batch *b, const int32_t *part, int P, const char *const *names,
                              int n_names, int64_t row_base, spill_file **files, feast_error *err) {
  int64_t n = b->num_rows;
  int64_t *start = feast_calloc((size_t)P + 1, sizeof(int64_t));
  int64_t *pos = feast_calloc((size_t)P + 1, sizeof(int64_t));
  int64_t *idx = feast_malloc((size_t)(n + 1) * sizeof(int64_t));
  feast_code rc = FEAST_OK;
  if (!start || !pos || !idx) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory partitioning a batch");
  if (!rc) {
    for (int64_t i = 0; i < n; i++)
      if (part[i] >= 0) start[part[i] + 1]++;
    for (int p = 0; p < P; p++) start[p + 1] += start[p];
    memcpy(pos, start, (size_t)P * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++)
      if (part[i] >= 0) idx[pos[part[i]]++] = i;
  }
  for (int p = 0; !rc && p < P; p++) {
    int64_t cnt = start[p + 1] - start[p];
    if (!cnt) continue;
    int extra = row_base >= 0 ? 1 : 0;
    feast_batch *sub = feast_batch_new(n_names + extra);
    if (!sub) {
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory partitioning a batch");
      break;
    }
    sub->num_rows = cnt;
    if (extra) {
      feast_array *r = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(FEAST_DT_NULL));
      rc = r ? feast_array_reserve(r, cnt, 0, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory partitioning");
      for (int64_t k = 0; !rc && k < cnt; k++) ((int64_t *)r->values)[k] = row_base + idx[start[p] + k];
      if (r) r->length = cnt;
      if (!rc) rc = feast_batch_set_column(sub, 0, RT_ROW_COL, r, err);
      else feast_array_free(r);
    }
    for (int c = 0; !rc && c < n_names; c++) {
      int ci = feast_batch_find(b, names[c]);
      feast_array *a = NULL;
      if (ci < 0) rc = feast_fail(err, FEAST_E_SCHEMA, "column '%s' is missing from a batch", names[c]);
      if (!rc) rc = feast_array_take(b->columns[ci], idx + start[p], cnt, &a, err);
      if (!rc) rc = feast_batch_set_column(sub, c + extra, names[c], a, err);
    }
    if (!rc) rc = file_for(o, &files[p], err);
    if (!rc) rc = spill_write(files[p], sub, err);
    feast_batch_free(sub);
  }
  feast_free(start);
  feast_free(pos);
  feast_free(idx);
  return rc;
}

static int32_t part_of(uint64_t h, int P) { return (int32_t)((h >> 32) % (uint64_t)P); }

static feast_code spill_entities(rt_out *o, rt_table *t, spill_file **E, feast_error *err) {
  int P = t->parts;
  const char *names[PIT_MAX_KEYS + 1];
  for (int k = 0; k < t->n_keys; k++) names[k] = t->ent_keys[k];
  names[t->n_keys] = o->entity_ts;
  int64_t row = 0;
  feast_code rc = FEAST_OK;
  uint8_t scratch[1024];
  for (int64_t bi = 0; !rc && bi < o->n_ent_batches; bi++) {
    feast_batch *b = NULL;
    if ((rc = rt_entity_batch(o, bi, false, &b, err))) break;
    pit_keycols k;
    int32_t *part = feast_malloc((size_t)(b->num_rows + 1) * sizeof(int32_t));
    if (!part) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory partitioning entity rows");
    if (!rc) rc = pit_keycols_of(b, t->n_keys, (const char *const *)t->ent_keys, &k, err);
    for (int64_t i = 0; !rc && i < b->num_rows; i++) {
      bool null;
      uint64_t h = pit_key_hash(&k, i, &null, scratch, sizeof scratch);
      part[i] = null ? 0 : part_of(h, P); /* null keys match nothing; any partition will do */
      t->part_of_row[row + i] = (uint16_t)part[i];
    }
    if (!rc) rc = write_parts(o, b, part, P, names, t->n_keys + 1, row, E, err);
    row += b->num_rows;
    feast_free(part);
    if (o->ent_file) feast_batch_free(b);
  }
  return rc;
}

static feast_code spill_source(rt_out *o, rt_table *t, const feast_retrieval_request *req, spill_file **F,
                               int64_t *source_rows, feast_error *err) {
  int P = t->parts;
  feast_batch_source *src = NULL;
  int64_t lo = t->max_age_us >= 0 ? (o->ts_min < INT64_MIN + t->max_age_us ? INT64_MIN : o->ts_min - t->max_age_us)
                                  : FEAST_TS_MIN;
  feast_code rc = req->open_source(req->source_ctx, t->spec, t->proj, t->n_proj, lo, o->ts_max, &src, err);
  uint8_t scratch[1024];
  char phase[300];
  snprintf(phase, sizeof phase, "spill %s", t->name);
  while (!rc) {
    feast_batch *b = NULL;
    if ((rc = src->next(src, &b, err)) || !b) break;
    *source_rows += b->num_rows;
    pit_keycols k;
    int32_t *part = feast_malloc((size_t)(b->num_rows + 1) * sizeof(int32_t));
    if (!part) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory partitioning source rows");
    if (!rc) rc = rt_check_source_batch(t, b, err);
    if (!rc && t->cfg.ns && !rt_ns_timestamps(t, b))
      rc = feast_fail(err, FEAST_E_SCHEMA, "event timestamps change unit between batches");
    if (!rc) rc = pit_keycols_of(b, t->n_keys, (const char *const *)t->src_keys, &k, err);
    const feast_array *ts = rc ? NULL : b->columns[feast_batch_find(b, t->event_ts)];
    for (int64_t i = 0; !rc && i < b->num_rows; i++) {
      bool null;
      part[i] = -1;
      if (!feast_array_is_valid(ts, i)) continue;
      int64_t v = pit_ts(ts, i, t->cfg.ns);
      if (v < t->cfg.lo || v > t->cfg.hi) continue;
      uint64_t h = pit_key_hash(&k, i, &null, scratch, sizeof scratch);
      if (!null) part[i] = part_of(h, P);
    }
    if (!rc) rc = write_parts(o, b, part, P, t->proj, t->n_proj, -1, F, err);
    feast_free(part);
    feast_batch_free(b);
    if (o->progress) o->progress(o->progress_ctx, phase, *source_rows, -1);
  }
  if (src) src->close(src);
  if (rc) feast_error_prefix(err, "feature table '%s': ", t->name);
  return rc;
}

/* Joins partition p and writes its result file. */
static feast_code join_part(rt_out *o, rt_table *t, spill_file *E, spill_file *F, spill_file **R, int64_t *matched,
                            feast_error *err) {
  pit_batches ent = {0}, feat = {0};
  pit_index *x = NULL;
  int64_t *win = NULL;
  feast_batch *res = NULL;
  feast_code rc = spill_rewind(E, err);
  while (!rc) {
    feast_batch *b;
    if ((rc = spill_read(E, &b, err)) || !b) break;
    rc = pit_batches_push(&ent, b, err);
  }
  if (!rc) rc = pit_index_new(&t->cfg, &ent, &x, err);
  if (!rc && F) rc = spill_rewind(F, err);
  while (!rc && F) {
    feast_batch *b;
    int64_t kept = 0;
    if ((rc = spill_read(F, &b, err)) || !b) break;
    if (!(rc = pit_index_add(x, b, feat.n, &kept, err)) && kept)
      rc = pit_batches_push(&feat, b, err);
    else
      feast_batch_free(b);
  }
  int64_t m = 0;
  if (!rc && !(win = feast_malloc((size_t)(ent.rows + 1) * sizeof *win)))
    rc = feast_fail(err, FEAST_E_NOMEM, "out of memory joining a partition");
  if (!rc) rc = pit_index_probe(x, win, &m, err);
  *matched += m;
  pit_index_free(x);
  if (!rc && !(res = feast_batch_new(t->n_feat + 1))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) {
    res->num_rows = ent.rows;
    feast_array *r = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(FEAST_DT_NULL));
    rc = r ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    for (int64_t bi = 0; !rc && bi < ent.n; bi++)
      rc = feast_array_append_range(r, ent.b[bi]->columns[0], 0, ent.b[bi]->num_rows, err);
    if (!rc) rc = feast_batch_set_column(res, 0, RT_ROW_COL, r, err);
    else feast_array_free(r);
  }
  for (int f = 0; !rc && f < t->n_feat; f++) {
    feast_array *a = rt_feature_array(t, f);
    rc = a ? pit_gather(a, &feat, t->feat_cols[f], win, ent.rows, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (!rc) rc = feast_batch_set_column(res, f + 1, t->out_names[f], a, err);
    else feast_array_free(a);
  }
  if (!rc) rc = spill_open(o->spill_dir, R, err);
  if (!rc) rc = spill_write(*R, res, err);
  if (!rc) rc = spill_rewind(*R, err);
  feast_batch_free(res);
  feast_free(win);
  pit_batches_clear(&ent);
  pit_batches_clear(&feat);
  return rc;
}

/* ---- partitions larger than the limit are split again ---- */

/* Rewrites the batches of `in` into Q files by a hash of their key columns
 * independent of the one that made `in` (a different mix per depth).
 * Entity files keep null keys (in file 0); source files have none. */
static feast_code resplit(rt_out *o, spill_file *in, const char *const *keys, int n_keys, int depth, int Q,
                          spill_file **out, feast_error *err) {
  uint8_t scratch[1024];
  feast_code rc = spill_rewind(in, err);
  while (!rc) {
    feast_batch *b = NULL;
    if ((rc = spill_read(in, &b, err)) || !b) break;
    pit_keycols k;
    int32_t *part = feast_malloc((size_t)(b->num_rows + 1) * sizeof(int32_t));
    if (!part) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory splitting a spill partition");
    if (!rc) rc = pit_keycols_of(b, n_keys, keys, &k, err);
    for (int64_t i = 0; !rc && i < b->num_rows; i++) {
      bool null;
      uint64_t h = pit_key_hash(&k, i, &null, scratch, sizeof scratch);
      part[i] = null ? 0 : (int32_t)(feast_hash_u64(h + (uint64_t)depth) % (uint64_t)Q);
    }
    if (!rc) rc = write_parts(o, b, part, Q, (const char *const *)b->names, b->num_columns, -1, out, err);
    feast_free(part);
    feast_batch_free(b);
  }
  return rc;
}

typedef struct row_at {
  int64_t row, at;
} row_at;

static int by_row(const void *a, const void *b) {
  int64_t x = ((const row_at *)a)->row, y = ((const row_at *)b)->row;
  return (x > y) - (x < y);
}

/* The sub-partitions' results (row column first, each in row order) as one
 * result file in row order, as the output expects of a partition. */
static feast_code merge_results(rt_out *o, spill_file **SR, int Q, spill_file **R, feast_error *err) {
  feast_batch *all = NULL, *sorted = NULL;
  row_at *order = NULL;
  int64_t *idx = NULL;
  feast_code rc = FEAST_OK;
  for (int q = 0; !rc && q < Q; q++) {
    if (!SR[q]) continue;
    if ((rc = spill_rewind(SR[q], err))) break;
    for (;;) {
      feast_batch *b = NULL;
      if ((rc = spill_read(SR[q], &b, err)) || !b) break;
      if (!all) {
        all = b;
        continue;
      }
      for (int c = 0; !rc && c < all->num_columns; c++)
        rc = feast_array_append_range(all->columns[c], b->columns[c], 0, b->num_rows, err);
      all->num_rows += b->num_rows;
      feast_batch_free(b);
      if (rc) break;
    }
  }
  int64_t n = all ? all->num_rows : 0;
  if (!rc && all) {
    order = feast_malloc((size_t)(n + 1) * sizeof *order);
    idx = feast_malloc((size_t)(n + 1) * sizeof *idx);
    if (!order || !idx) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory merging spill partitions");
  }
  if (!rc && all) {
    const int64_t *rows = all->columns[0]->values;
    for (int64_t i = 0; i < n; i++) order[i] = (row_at){rows[i], i};
    qsort(order, (size_t)n, sizeof *order, by_row);
    for (int64_t i = 0; i < n; i++) idx[i] = order[i].at;
    if (!(sorted = feast_batch_new(all->num_columns))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    for (int c = 0; !rc && c < all->num_columns; c++) {
      feast_array *a = NULL;
      rc = feast_array_take(all->columns[c], idx, n, &a, err);
      if (!rc) rc = feast_batch_set_column(sorted, c, all->names[c], a, err);
    }
    if (!rc) sorted->num_rows = n;
  }
  if (!rc) rc = spill_open(o->spill_dir, R, err);
  if (!rc && sorted) rc = spill_write(*R, sorted, err);
  if (!rc) rc = spill_rewind(*R, err);
  feast_batch_free(all);
  feast_batch_free(sorted);
  feast_free(order);
  feast_free(idx);
  return rc;
}

/* Joins partition (E, F) into *R; when it holds more than half the memory
 * limit it is split into sub-partitions first (grace hash join), at most
 * three levels deep: a single hot key cannot be split, and is joined in
 * memory whatever its size. */
static feast_code join_or_split(rt_out *o, rt_table *t, spill_file *E, spill_file *F, spill_file **R, int depth,
                                int64_t *matched, feast_error *err) {
  size_t limit = o->memory_limit ? o->memory_limit : 1;
  uint64_t bytes = (uint64_t)spill_bytes(E) + (F ? (uint64_t)spill_bytes(F) : 0);
  if (depth >= 3 || bytes <= limit / 2) return join_part(o, t, E, F, R, matched, err);
  uint64_t unit = limit / 4 ? limit / 4 : 1;
  int Q = bytes / unit + 1 > 64 ? 64 : (int)(bytes / unit + 1);
  if (Q < 2) Q = 2;
  spill_file **SE = feast_calloc((size_t)Q, sizeof *SE), **SF = feast_calloc((size_t)Q, sizeof *SF);
  spill_file **SR = feast_calloc((size_t)Q, sizeof *SR);
  feast_code rc = SE && SF && SR ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory splitting a partition");
  if (!rc) rc = resplit(o, E, (const char *const *)t->ent_keys, t->n_keys, depth, Q, SE, err);
  if (!rc && F) rc = resplit(o, F, (const char *const *)t->src_keys, t->n_keys, depth, Q, SF, err);
  for (int q = 0; !rc && q < Q; q++) {
    if (SE[q]) rc = join_or_split(o, t, SE[q], SF[q], &SR[q], depth + 1, matched, err);
    spill_close(SE[q]);
    spill_close(SF[q]);
    SE[q] = SF[q] = NULL;
  }
  if (!rc) rc = merge_results(o, SR, Q, R, err);
  for (int q = 0; q < Q; q++) {
    if (SE) spill_close(SE[q]);
    if (SF) spill_close(SF[q]);
    if (SR) spill_close(SR[q]);
  }
  feast_free(SE);
  feast_free(SF);
  feast_free(SR);
  return rc;
}

feast_code rt_join_spilled(rt_out *o, rt_table *t, const feast_retrieval_request *req, int64_t *source_rows,
                           int64_t *matched, feast_error *err) {
  int P = o->parts;
  t->parts = P;
  t->spilled = true;
  t->part_of_row = feast_malloc((size_t)(o->n_ent_rows + 1) * sizeof(uint16_t));
  t->results = feast_calloc((size_t)P, sizeof(spill_file *));
  t->cur = feast_calloc((size_t)P, sizeof(feast_batch *));
  t->cur_pos = feast_calloc((size_t)P, sizeof(int64_t));
  spill_file **E = feast_calloc((size_t)P, sizeof(spill_file *));
  spill_file **F = feast_calloc((size_t)P, sizeof(spill_file *));
  feast_code rc = FEAST_OK;
  if (!t->part_of_row || !t->results || !t->cur || !t->cur_pos || !E || !F)
    rc = feast_fail(err, FEAST_E_NOMEM, "out of memory spilling feature table '%s'", t->name);
  if (!rc) rc = spill_entities(o, t, E, err);
  if (!rc) rc = spill_source(o, t, req, F, source_rows, err);
  char phase[300];
  snprintf(phase, sizeof phase, "join %s", t->name);
  for (int p = 0; !rc && p < P; p++) {
    if (E[p]) rc = join_or_split(o, t, E[p], F[p], &t->results[p], 0, matched, err);
    spill_close(E[p]);
    spill_close(F[p]);
    E[p] = F[p] = NULL;
    if (o->progress) o->progress(o->progress_ctx, phase, p + 1, P);
  }
  for (int p = 0; E && F && p < P; p++) {
    spill_close(E[p]);
    spill_close(F[p]);
  }
  feast_free(E);
  feast_free(F);
  return rc;
}

feast_code rt_spilled_columns(rt_out *o, rt_table *t, int64_t n, feast_array **cols, feast_error *err) {
  feast_code rc = FEAST_OK;
  for (int f = 0; !rc && f < t->n_feat; f++) {
    cols[f] = rt_feature_array(t, f);
    rc = cols[f] ? feast_array_reserve(cols[f], n, 0, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  for (int64_t r = 0; !rc && r < n; r++) {
    int64_t row = o->row_base + r;
    int p = t->part_of_row[row];
    while (!rc && (!t->cur[p] || t->cur_pos[p] >= t->cur[p]->num_rows)) {
      feast_batch_free(t->cur[p]);
      t->cur[p] = NULL;
      t->cur_pos[p] = 0;
      if (!t->results[p]) rc = feast_fail(err, FEAST_E_INTERNAL, "no result file for partition %d", p);
      if (!rc) rc = spill_read(t->results[p], &t->cur[p], err);
      if (!rc && !t->cur[p]) rc = feast_fail(err, FEAST_E_INTERNAL, "partition %d ran out of rows at row %lld", p, (long long)row);
    }
    if (rc) break;
    const feast_batch *b = t->cur[p];
    int64_t i = t->cur_pos[p]++;
    if (((const int64_t *)b->columns[0]->values)[i] != row) {
      rc = feast_fail(err, FEAST_E_INTERNAL, "partition %d is out of order at row %lld", p, (long long)row);
      break;
    }
    for (int f = 0; !rc && f < t->n_feat; f++) rc = pit_append_converted(cols[f], b->columns[f + 1], i, err);
  }
  if (rc) {
    for (int f = 0; f < t->n_feat; f++) {
      feast_array_free(cols[f]);
      cols[f] = NULL;
    }
  }
  return rc;
}
