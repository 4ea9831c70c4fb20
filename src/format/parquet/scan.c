/*
 * scan.c - streams batches from (file, row group) tasks. With more than one
 * task and more than one thread, workers decode row groups ahead of the
 * consumer (at most `threads + 1` tasks in flight, so memory stays bounded
 * to a few row groups) while next() hands batches out strictly in task
 * order. Projection maps requested names to file or partition columns;
 * ranges on file columns prune row groups by statistics.
 */
#include "format/parquet/scan.h"

#include <pthread.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "format/parquet/reader.h"

typedef struct task {
  int file, rg;
} task;

typedef struct decode_slot {
  feast_batch **batches;
  int n, cap, next;
  feast_code rc;
  feast_error *err; /* only on failure */
  int done;
} decode_slot;

typedef struct outcol {
  const char *name;
  int part; /* -1: a file column */
} outcol;

typedef struct scan {
  feast_batch_source base; /* first: the public face */
  pq_scan_file *files;
  int nfiles;
  const char **pnames;
  int npart;
  feast_arena *arena;
  outcol *out;
  int nout;
  int **filecols; /* per file: indices of the projected file columns */
  int nfilecols;
  feast_batch *schema;
  feast_parquet_options opts;
  task *tasks;
  decode_slot *slots;
  int ntasks;
  int64_t *est; /* per task: decoded bytes, estimated from the footer */
  int64_t ahead, peak_ahead; /* estimated bytes of the tasks started and not yet consumed */
  /* threading */
  int nthreads;
  pthread_t *threads;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int next_task; /* next for a worker */
  int cur;       /* consumer's task */
  int stop;
  /* one thread: the reader of the consumer's task */
  pq_rgreader *rr;
  int opened;
} scan;

static void slot_clear(decode_slot *s) {
  for (int i = s->next; i < s->n; i++) feast_batch_free(s->batches[i]);
  feast_free(s->batches);
  feast_free(s->err);
  memset(s, 0, sizeof *s);
}

static feast_code part_column(const char *v, int64_t n, feast_array **out, feast_error *err) {
  feast_array *a = feast_array_new(feast_dtype_make(FEAST_DT_STRING), feast_dtype_make(FEAST_DT_NULL));
  if (!a) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  size_t l = v ? strlen(v) : 0;
  feast_code rc = feast_array_reserve(a, n, (int64_t)l * n, err);
  for (int64_t i = 0; i < n && !rc; i++) rc = v ? feast_array_append_bytes(a, v, l, err) : feast_array_append_null(a, err);
  if (rc) {
    feast_array_free(a);
    return rc;
  }
  *out = a;
  return FEAST_OK;
}

/* Reorders a decoded batch (taking it) into the output layout, adding partition columns. */
static feast_code shape(scan *s, int file, feast_batch *b, feast_batch **out, feast_error *err) {
  *out = NULL;
  feast_batch *o = feast_batch_new(s->nout);
  feast_code rc = FEAST_OK;
  if (!o) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  int fi = 0;
  for (int j = 0; j < s->nout && !rc; j++) {
    feast_array *a = NULL;
    if (s->out[j].part < 0) {
      a = b->columns[fi];
      b->columns[fi++] = NULL;
    } else if ((rc = part_column(s->files[file].pvals[s->out[j].part], b->num_rows, &a, err))) {
      break;
    }
    rc = feast_batch_set_column(o, j, s->out[j].name, a, err);
  }
  if (o) o->num_rows = b->num_rows;
  feast_batch_free(b);
  if (rc) {
    feast_batch_free(o);
    return rc;
  }
  *out = o;
  return FEAST_OK;
}

/* Records a task's failure (the error is copied: `err` belongs to the caller). */
static void slot_fail(decode_slot *sl, feast_code rc, const feast_error *err) {
  sl->rc = rc;
  sl->err = feast_malloc(sizeof *sl->err);
  if (sl->err) *sl->err = *err;
}

/* Worker side: decodes task t batch by batch, handing each batch to the
 * consumer as soon as it is ready (the consumer may be taking them already). */
static void run_task(scan *s, int t, pq_rgreader *rr, feast_error *err) {
  decode_slot *sl = &s->slots[t];
  int file = s->tasks[t].file;
  const pq_scan_file *f = &s->files[file];
  feast_code rc = pq_rgreader_open(rr, f->file, s->tasks[t].rg, s->filecols[file], s->nfilecols, err);
  while (!rc) {
    feast_batch *b, *o;
    if ((rc = pq_rgreader_next(rr, s->opts.batch_rows, &b, err)) || !b) break;
    if ((rc = shape(s, file, b, &o, err))) break;
    pthread_mutex_lock(&s->mu);
    if (sl->n == sl->cap) {
      int cap = sl->cap ? sl->cap * 2 : 16;
      feast_batch **nb = feast_realloc(sl->batches, sizeof *nb * (size_t)cap);
      if (!nb) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
      else sl->batches = nb, sl->cap = cap;
    }
    if (!rc) {
      sl->batches[sl->n++] = o;
      pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    if (rc) feast_batch_free(o);
  }
  pthread_mutex_lock(&s->mu);
  if (rc) slot_fail(sl, rc, err);
  sl->done = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* May a worker start the next task? At most threads + 1 tasks in flight,
 * and within max_ahead_bytes unless nothing else is (so one always runs). */
static bool may_start(const scan *s) {
  int t = s->next_task;
  if (t > s->cur + s->nthreads) return false;
  return s->opts.max_ahead_bytes <= 0 || t == s->cur || s->ahead + s->est[t] <= s->opts.max_ahead_bytes;
}

static void *worker(void *arg) {
  scan *s = arg;
  feast_error *err = feast_malloc(sizeof *err);
  pq_rgreader *rr = pq_rgreader_new(); /* this worker's buffers, reused task after task */
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (!s->stop && s->next_task < s->ntasks && !may_start(s)) pthread_cond_wait(&s->cv, &s->mu);
    if (s->stop || s->next_task >= s->ntasks) break;
    int t = s->next_task++;
    s->ahead += s->est[t];
    if (s->ahead > s->peak_ahead) s->peak_ahead = s->ahead;
    if (err && rr) {
      pthread_mutex_unlock(&s->mu);
      run_task(s, t, rr, err);
      pthread_mutex_lock(&s->mu);
    } else {
      s->slots[t].rc = FEAST_E_NOMEM;
      s->slots[t].done = 1;
      pthread_cond_broadcast(&s->cv);
    }
  }
  pthread_mutex_unlock(&s->mu);
  pq_rgreader_free(rr);
  feast_free(err);
  return NULL;
}

/* Batches come out in task order; a failed task first hands out the batches
 * it decoded before the failure, then its error, on every later call. */
static feast_code scan_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  scan *s = (scan *)self;
  *out = NULL;
  for (;;) {
    if (s->cur >= s->ntasks) return FEAST_OK;
    decode_slot *sl = &s->slots[s->cur];
    if (s->threads) {
      pthread_mutex_lock(&s->mu);
      while (sl->next >= sl->n && !sl->done) pthread_cond_wait(&s->cv, &s->mu);
      if (sl->next < sl->n) {
        *out = sl->batches[sl->next++];
        pthread_mutex_unlock(&s->mu);
        return FEAST_OK;
      }
      pthread_mutex_unlock(&s->mu);
    } else if (!sl->done) {
      /* one thread: decode lazily, one batch per call, into reused buffers */
      feast_code rc = FEAST_OK;
      int file = s->tasks[s->cur].file;
      if (!s->rr && !(s->rr = pq_rgreader_new())) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
      if (!rc && !s->opened) {
        rc = pq_rgreader_open(s->rr, s->files[file].file, s->tasks[s->cur].rg, s->filecols[file], s->nfilecols, err);
        s->opened = 1;
      }
      feast_batch *b = NULL;
      if (!rc) rc = pq_rgreader_next(s->rr, s->opts.batch_rows, &b, err);
      if (!rc && b && !(rc = shape(s, file, b, out, err))) return FEAST_OK;
      if (rc) slot_fail(sl, rc, err);
      sl->done = 1;
      s->opened = 0;
    }
    if (sl->rc) {
      feast_code rc = sl->rc;
      if (sl->err) *err = *sl->err;
      else feast_fail(err, rc, "decoding failed (out of memory)");
      return rc; /* stays failed: the same error on every call */
    }
    slot_clear(sl);
    if (s->threads) {
      pthread_mutex_lock(&s->mu);
      s->ahead -= s->est[s->cur]; /* a finished task was started */
    }
    s->cur++;
    if (s->threads) {
      pthread_cond_broadcast(&s->cv);
      pthread_mutex_unlock(&s->mu);
    }
  }
}

static void scan_close(feast_batch_source *self) {
  scan *s = (scan *)self;
  if (!s) return;
  if (s->threads) {
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->nthreads; i++) pthread_join(s->threads[i], NULL);
    feast_free(s->threads);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
  }
  pq_rgreader_free(s->rr);
  for (int i = 0; s->slots && i < s->ntasks; i++) slot_clear(&s->slots[i]);
  feast_free(s->slots);
  feast_free(s->tasks);
  feast_free(s->est);
  for (int i = 0; i < s->nfiles; i++) {
    if (s->files[i].owned) feast_parquet_file_free(s->files[i].file);
    if (s->filecols) feast_free(s->filecols[i]);
  }
  feast_free(s->filecols);
  feast_free(s->files);
  feast_free(s->out);
  feast_batch_free(s->schema);
  feast_arena_free(s->arena);
  feast_free(s);
}

/* Decoded bytes of a task, from the footer: per projected column the larger
 * of its uncompressed chunk and rows x value width (dictionary-encoded
 * chunks are small but decode to full width), plus offsets and validity;
 * partition columns are small strings repeated. */
static int64_t task_bytes(const scan *s, const task *t) {
  const feast_parquet_file *f = s->files[t->file].file;
  const pq_row_group *g = &f->meta->row_groups[t->rg];
  int64_t rows = g->num_rows, n = 0;
  for (int k = 0; k < s->nfilecols; k++) {
    const pq_column *c = &f->cols[s->filecols[t->file][k]];
    int64_t chunk = 0;
    for (int l = 0; l < c->nleaves && c->leaf + l < g->ncolumns; l++) chunk += g->columns[c->leaf + l].total_uncompressed;
    int w = feast_dtype_byte_width(c->is_list ? c->elem : c->type);
    int64_t full = rows * (w > 0 ? w : 4) + rows / 8 + 1;
    n += chunk > full ? chunk : full;
  }
  return n + rows * 8 * (int64_t)(s->nout - s->nfilecols);
}

int64_t pq_scan_peak_ahead(const feast_batch_source *src) { return ((const scan *)src)->peak_ahead; }

static int find_part(scan *s, const char *name) {
  for (int i = 0; i < s->npart; i++)
    if (strcmp(s->pnames[i], name) == 0) return i;
  return -1;
}

static feast_code build(scan *s, const char *const *columns, int ncols, const feast_parquet_range *ranges, int nranges,
                        feast_error *err) {
  feast_parquet_file *f0 = s->files[0].file;
  /* output columns */
  int total = ncols > 0 ? ncols : f0->ncols + s->npart;
  s->out = feast_calloc((size_t)(total ? total : 1), sizeof *s->out);
  if (!s->out) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  s->nout = total;
  for (int j = 0; j < total; j++) {
    if (ncols > 0) {
      int p = find_part(s, columns[j]);
      if (p >= 0) {
        s->out[j].name = s->pnames[p];
        s->out[j].part = p;
        continue;
      }
      int c = feast_parquet_column_index(f0, columns[j]);
      if (c < 0) return feast_fail(err, FEAST_E_NOT_FOUND, "%s: no column named '%s'", f0->name, columns[j]);
      s->out[j].name = f0->cols[c].name;
      s->out[j].part = -1;
    } else if (j < f0->ncols) {
      s->out[j].name = f0->cols[j].name;
      s->out[j].part = -1;
    } else {
      s->out[j].name = s->pnames[j - f0->ncols];
      s->out[j].part = j - f0->ncols;
    }
    if (s->out[j].part < 0 && s->nfiles > 0) {
      feast_code rc = feast_parquet_column_check(f0, feast_parquet_column_index(f0, s->out[j].name), err);
      if (rc) return rc;
    }
  }
  /* per-file projection by name */
  s->filecols = feast_calloc((size_t)s->nfiles, sizeof *s->filecols);
  if (!s->filecols) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int j = 0; j < total; j++) s->nfilecols += s->out[j].part < 0;
  for (int i = 0; i < s->nfiles; i++) {
    s->filecols[i] = feast_malloc(sizeof(int) * (size_t)(s->nfilecols + 1));
    if (!s->filecols[i]) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    int k = 0;
    for (int j = 0; j < total; j++)
      if (s->out[j].part < 0) {
        int c = feast_parquet_column_index(s->files[i].file, s->out[j].name);
        if (c < 0)
          return feast_fail(err, FEAST_E_SCHEMA, "%s: no column named '%s' (other files have it)",
                            s->files[i].file->name, s->out[j].name);
        s->filecols[i][k++] = c;
      }
  }
  /* schema batch */
  s->schema = feast_batch_new(total);
  if (!s->schema) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int j = 0; j < total; j++) {
    feast_dtype t = feast_dtype_make(FEAST_DT_STRING), e = feast_dtype_make(FEAST_DT_NULL);
    if (s->out[j].part < 0) t = feast_parquet_column_type(f0, feast_parquet_column_index(f0, s->out[j].name), &e);
    feast_array *a = feast_array_new(t, e);
    feast_code rc = a ? feast_batch_set_column(s->schema, j, s->out[j].name, a, err)
                      : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (rc) return rc;
  }
  /* tasks, pruned by statistics */
  int64_t ntasks = 0;
  for (int i = 0; i < s->nfiles; i++) ntasks += feast_parquet_num_row_groups(s->files[i].file);
  if (ntasks > INT32_MAX / 2) return feast_fail(err, FEAST_E_TOO_BIG, "too many row groups");
  s->tasks = feast_malloc(sizeof *s->tasks * (size_t)(ntasks ? ntasks : 1));
  if (!s->tasks) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int i = 0; i < s->nfiles; i++) {
    feast_parquet_file *f = s->files[i].file;
    if (s->files[i].skip) continue;
    for (int g = 0; g < feast_parquet_num_row_groups(f); g++) {
      int skip = feast_parquet_row_group_rows(f, g) == 0;
      for (int r = 0; r < nranges && !skip; r++)
        skip = pq_row_group_excluded(f, g, feast_parquet_column_index(f, ranges[r].column), ranges[r].lo,
                                     ranges[r].hi);
      if (!skip) s->tasks[s->ntasks++] = (task){i, g};
    }
  }
  s->slots = feast_calloc((size_t)(s->ntasks ? s->ntasks : 1), sizeof *s->slots);
  s->est = feast_calloc((size_t)(s->ntasks ? s->ntasks : 1), sizeof *s->est);
  if (!s->slots || !s->est) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int t = 0; t < s->ntasks; t++) s->est[t] = task_bytes(s, &s->tasks[t]);
  /* threads only pay off with work to overlap; a remote file's row group
   * first waits for its ranged GETs, so two more workers keep the cores
   * decoding while others wait (tasks in flight stay bounded by them) */
  int remote = 0;
  for (int i = 0; i < s->nfiles && !remote; i++) remote = s->files[i].file->io.read != NULL;
  s->nthreads = s->opts.threads > 1 && s->ntasks > 1 ? s->opts.threads : 0;
  if (remote && s->nthreads) s->nthreads += 2; /* threads = 1 stays lazy: a schema-only open fetches no row group */
  if (s->nthreads > 8) s->nthreads = 8;
  if (s->nthreads) {
    s->threads = feast_calloc((size_t)s->nthreads, sizeof *s->threads);
    if (!s->threads) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    int started = 0;
    for (int i = 0; i < s->nthreads; i++)
      if (pthread_create(&s->threads[i], NULL, worker, s) == 0) started++;
      else break;
    if (started == 0) {
      feast_free(s->threads);
      s->threads = NULL;
      pthread_mutex_destroy(&s->mu);
      pthread_cond_destroy(&s->cv);
      s->nthreads = 0;
    }
    if (s->threads) { /* workers read nthreads under the lock */
      pthread_mutex_lock(&s->mu);
      s->nthreads = started;
      pthread_mutex_unlock(&s->mu);
    }
  }
  return FEAST_OK;
}

feast_code pq_scan_open(pq_scan_file *files, int nfiles, const char **pnames, int npart, void *arena,
                        const char *const *columns, int ncols, const feast_parquet_range *ranges, int nranges,
                        const feast_parquet_options *opts, feast_batch_source **out, feast_error *err) {
  *out = NULL;
  scan *s = feast_calloc(1, sizeof *s);
  if (!s) {
    for (int i = 0; i < nfiles; i++)
      if (files[i].owned) feast_parquet_file_free(files[i].file);
    feast_free(files);
    feast_arena_free(arena);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  s->base.next = scan_next;
  s->base.close = scan_close;
  s->files = files;
  s->nfiles = nfiles;
  s->pnames = pnames;
  s->npart = npart;
  s->arena = arena;
  s->opts = nfiles > 0 ? files[0].file->opts : (feast_parquet_options){0};
  if (opts) {
    if (opts->threads > 0) s->opts.threads = opts->threads;
    if (opts->batch_rows > 0) s->opts.batch_rows = opts->batch_rows;
    if (opts->max_ahead_bytes > 0) s->opts.max_ahead_bytes = opts->max_ahead_bytes;
  }
  if (s->opts.batch_rows <= 0) s->opts.batch_rows = 65536;
  feast_code rc = nfiles > 0 ? build(s, columns, ncols, ranges, nranges, err)
                             : feast_fail(err, FEAST_E_INTERNAL, "scan over no files");
  if (rc) {
    scan_close(&s->base);
    return rc;
  }
  *out = &s->base;
  return FEAST_OK;
}

feast_code feast_parquet_reader_open(feast_parquet_file *f, const char *const *columns, int ncols,
                                     const feast_parquet_range *ranges, int nranges, const feast_parquet_options *opts,
                                     feast_batch_source **out, feast_error *err) {
  *out = NULL;
  pq_scan_file *files = feast_calloc(1, sizeof *files);
  if (!files) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  files[0].file = f;
  return pq_scan_open(files, 1, NULL, 0, NULL, columns, ncols, ranges, nranges, opts, out, err);
}

static feast_code copy_schema(const feast_batch *src, feast_batch **out, feast_error *err) {
  feast_batch *b = feast_batch_new(src->num_columns);
  if (!b) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int j = 0; j < src->num_columns; j++) {
    const feast_array *c = src->columns[j];
    feast_array *a = feast_array_new(c->type, c->child ? c->child->type : feast_dtype_make(FEAST_DT_NULL));
    feast_code rc = a ? feast_batch_set_column(b, j, src->names[j], a, err)
                      : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (rc) {
      feast_batch_free(b);
      return rc;
    }
  }
  *out = b;
  return FEAST_OK;
}

feast_code feast_parquet_source_schema(feast_batch_source *src, feast_batch **out, feast_error *err) {
  *out = NULL;
  if (!src || src->next != scan_next)
    return feast_fail(err, FEAST_E_INVALID, "not a source made by the Parquet reader");
  return copy_schema(((scan *)src)->schema, out, err);
}

int64_t feast_parquet_dataset_num_rows(const feast_batch_source *src) {
  if (!src || src->next != scan_next) return -1;
  const scan *s = (const scan *)src;
  int64_t n = 0;
  for (int t = 0; t < s->ntasks; t++)
    n += feast_parquet_row_group_rows(s->files[s->tasks[t].file].file, s->tasks[t].rg);
  return n;
}

feast_code feast_parquet_schema_batch(const feast_parquet_file *f, const char *const *columns, int ncols,
                                      feast_batch **out, feast_error *err) {
  *out = NULL;
  int total = ncols > 0 ? ncols : f->ncols;
  feast_batch *b = feast_batch_new(total);
  if (!b) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int j = 0; j < total; j++) {
    int c = ncols > 0 ? feast_parquet_column_index(f, columns[j]) : j;
    feast_code rc;
    if (c < 0) {
      rc = feast_fail(err, FEAST_E_NOT_FOUND, "%s: no column named '%s'", f->name, columns[j]);
    } else {
      feast_array *a = feast_array_new(f->cols[c].type, f->cols[c].elem);
      rc = a ? feast_batch_set_column(b, j, f->cols[c].name, a, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    }
    if (rc) {
      feast_batch_free(b);
      return rc;
    }
  }
  *out = b;
  return FEAST_OK;
}
