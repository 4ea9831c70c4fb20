/*
 * writer.c - the public Parquet writer: the temp file and its atomic
 * rename, the split of incoming batches into row groups, and the footer
 * (schema, row group metadata, key-value metadata, column orders).
 * Columns are independent until the row group is flushed, so a batch's
 * columns are encoded and compressed on `threads` threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "feast/parquet_writer.h"
#include "feast/version.h"
#include "format/parquet/parquet_format.h"
#include "format/parquet/writer_internal.h"

struct feast_parquet_writer {
  char *path, *tmp_path; /* tmp_path == a copy of path when in_place */
  bool in_place;         /* path is a device, FIFO or socket: written directly, never renamed over */
  int fd;
  feast_parquet_write_options opts;
  char **kv; /* 2 * num_metadata copies */
  int ncols;
  char **names;
  feast_array **schema; /* empty arrays carrying the column types */
  pq_colw *cols;
  int64_t pos, rg_rows, total_rows;
  feast_buf rowgroups, rg_cols;
  int num_rowgroups;
  bool done;   /* closed successfully: the file is in place */
  bool broken; /* a write failed: only free is allowed */
};

void feast_parquet_write_options_init(feast_parquet_write_options *o) {
  memset(o, 0, sizeof *o);
  o->codec = FEAST_PQ_SNAPPY;
}

feast_code feast_parquet_codec_parse(const char *name, feast_parquet_codec *out, feast_error *err) {
  static const struct {
    const char *name;
    feast_parquet_codec codec;
  } names[] = {{"snappy", FEAST_PQ_SNAPPY}, {"zstd", FEAST_PQ_ZSTD},         {"gzip", FEAST_PQ_GZIP},
               {"lz4", FEAST_PQ_LZ4_RAW},   {"lz4_raw", FEAST_PQ_LZ4_RAW},   {"none", FEAST_PQ_UNCOMPRESSED},
               {"uncompressed", FEAST_PQ_UNCOMPRESSED}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (name && strcasecmp(name, names[i].name) == 0) {
      *out = names[i].codec;
      return FEAST_OK;
    }
  return feast_fail(err, FEAST_E_INVALID, "unknown Parquet codec '%s' (use snappy, zstd, gzip, lz4 or none)",
                    name ? name : "");
}

static bool codec_known(int c) {
  return c == FEAST_PQ_UNCOMPRESSED || c == FEAST_PQ_SNAPPY || c == FEAST_PQ_GZIP || c == FEAST_PQ_ZSTD ||
         c == FEAST_PQ_LZ4_RAW;
}

void feast_parquet_writer_free(feast_parquet_writer *w) {
  if (!w) return;
  if (w->fd >= 0) close(w->fd);
  if (!w->done && w->tmp_path && !w->in_place) unlink(w->tmp_path);
  for (int i = 0; i < w->ncols; i++) {
    if (w->cols) pq_colw_free(&w->cols[i]);
    if (w->names) feast_free(w->names[i]);
    if (w->schema) feast_array_free(w->schema[i]);
  }
  feast_free(w->cols);
  feast_free(w->names);
  feast_free(w->schema);
  for (int i = 0; w->kv && i < 2 * w->opts.num_metadata; i++) feast_free(w->kv[i]);
  feast_free(w->kv);
  feast_buf_free(&w->rowgroups);
  feast_buf_free(&w->rg_cols);
  feast_free(w->path);
  feast_free(w->tmp_path);
  feast_free(w);
}

static feast_code nomem(feast_error *err) { return feast_fail(err, FEAST_E_NOMEM, "out of memory opening a Parquet writer"); }

feast_code feast_parquet_writer_open(const char *path, const feast_batch *schema,
                                     const feast_parquet_write_options *opts, feast_parquet_writer **out,
                                     feast_error *err) {
  *out = NULL;
  if (!path || !*path || !schema) return feast_fail(err, FEAST_E_INVALID, "parquet writer: a path and a schema are required");
  feast_parquet_writer *w = feast_calloc(1, sizeof *w);
  if (!w) return nomem(err);
  w->fd = -1;
  feast_buf_init(&w->rowgroups, FEAST_BUF_UNLIMITED);
  feast_buf_init(&w->rg_cols, FEAST_BUF_UNLIMITED);
  feast_code rc = FEAST_OK;
  if (opts)
    w->opts = *opts;
  else
    feast_parquet_write_options_init(&w->opts);
  feast_parquet_write_options *o = &w->opts;
  if (!codec_known((int)o->codec)) {
    rc = feast_fail(err, FEAST_E_UNSUPPORTED, "%s: Parquet codec %d is not supported for writing", path, (int)o->codec);
    goto fail;
  }
  if (o->threads <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = n >= 2 ? 2 : 1;
  }
  if (o->threads > 16) o->threads = 16;
  if (o->data_page_version == 0) o->data_page_version = 1;
  if (o->data_page_version != 1 && o->data_page_version != 2) {
    rc = feast_fail(err, FEAST_E_INVALID, "%s: data page version must be 1 or 2, not %d", path, o->data_page_version);
    goto fail;
  }
  if (o->data_page_size <= 0) o->data_page_size = 1 << 20;
  if (o->dictionary_page_limit <= 0) o->dictionary_page_limit = 1 << 20;
  if (o->row_group_size <= 0) o->row_group_size = 1 << 20;
  if (o->num_metadata < 0 || (o->num_metadata > 0 && !o->metadata)) {
    rc = feast_fail(err, FEAST_E_INVALID, "%s: bad key-value metadata", path);
    goto fail;
  }
  if (o->num_metadata > 0) {
    if (!(w->kv = feast_calloc((size_t)o->num_metadata * 2, sizeof(char *)))) goto oom;
    for (int i = 0; i < o->num_metadata; i++) {
      if (!o->metadata[i].key) {
        rc = feast_fail(err, FEAST_E_INVALID, "%s: metadata entry %d has no key", path, i);
        goto fail;
      }
      w->kv[2 * i] = feast_strdup(o->metadata[i].key);
      w->kv[2 * i + 1] = feast_strdup(o->metadata[i].value ? o->metadata[i].value : "");
      if (!w->kv[2 * i] || !w->kv[2 * i + 1]) goto oom;
    }
  }
  o->metadata = NULL;

  w->ncols = schema->num_columns;
  if (!(w->names = feast_calloc((size_t)w->ncols + 1, sizeof(char *))) ||
      !(w->schema = feast_calloc((size_t)w->ncols + 1, sizeof(feast_array *))) ||
      !(w->cols = feast_calloc((size_t)w->ncols + 1, sizeof(pq_colw))))
    goto oom;
  for (int i = 0; i < w->ncols; i++) {
    const feast_array *col = schema->columns[i];
    const char *name = schema->names[i] ? schema->names[i] : "";
    if (!col) {
      rc = feast_fail(err, FEAST_E_INVALID, "%s: column %d is missing", path, i);
      goto fail;
    }
    for (int j = 0; j < i; j++)
      if (strcmp(w->names[j], name) == 0) {
        rc = feast_fail(err, FEAST_E_INVALID, "%s: column name '%s' appears twice", path, name);
        goto fail;
      }
    if (!(w->names[i] = feast_strdup(name))) goto oom;
    if (col->type.id == FEAST_DT_LIST && col->child && col->child->type.id == FEAST_DT_LIST) {
      rc = feast_fail(err, FEAST_E_UNSUPPORTED, "%s: column '%s': lists of lists cannot be written", path, name);
      goto fail;
    }
    if (!(w->schema[i] = feast_array_new(col->type, col->child ? col->child->type : feast_dtype_make(FEAST_DT_NULL))))
      goto oom;
    if ((rc = pq_colw_init(&w->cols[i], w->names[i], col, &w->opts, err))) {
      feast_error_prefix(err, "%s: ", path);
      goto fail;
    }
  }

  size_t plen = strlen(path);
  struct stat st;
  bool exists = stat(path, &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) {
    rc = feast_fail(err, FEAST_E_INVALID, "%s: is a folder; give the output a file name", path);
    goto fail;
  }
  if (!(w->path = feast_strdup(path))) goto oom;
  if (exists && !S_ISREG(st.st_mode)) {
    /* A device, FIFO or socket: write into it. The temp file and rename
     * would replace it with a regular file (-o /dev/null, as root, would
     * delete /dev/null). */
    w->in_place = true;
    if (!(w->tmp_path = feast_strdup(path))) goto oom;
    w->fd = open(path, O_WRONLY | O_CLOEXEC);
  } else {
    /* Hidden (".name.tmp-XXXXXX" beside it): a reader of the folder, ours
     * or pyarrow's, never takes a file a killed writer left for data. */
    if (!(w->tmp_path = feast_malloc(plen + 18))) goto oom;
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path) + 1 : 0;
    snprintf(w->tmp_path, plen + 18, "%.*s.%s.tmp-XXXXXX", dl, path, path + dl);
    w->fd = mkstemp(w->tmp_path);
  }
  if (w->fd < 0) {
    rc = feast_fail(err, FEAST_E_IO, "cannot create '%s'%s: %s", path, w->in_place ? "" : " (its temporary file)",
                    strerror(errno));
    feast_free(w->tmp_path);
    w->tmp_path = NULL;
    goto fail;
  }
  if (!w->in_place) (void)fchmod(w->fd, 0644); /* mkstemp makes 0600; a data file should read like any other */
  if ((rc = pq_write_all(w->fd, "PAR1", 4, w->tmp_path, err))) goto fail;
  w->pos = 4;
  *out = w;
  return FEAST_OK;
oom:
  rc = nomem(err);
fail:
  feast_parquet_writer_free(w);
  return rc;
}

static feast_code flush_row_group(feast_parquet_writer *w, feast_error *err) {
  feast_code rc;
  int64_t first = w->pos, bytes = 0, unc = 0;
  feast_buf_reset(&w->rg_cols);
  for (int i = 0; i < w->ncols; i++) {
    int64_t cb, cu;
    if ((rc = pq_colw_finish_chunk(&w->cols[i], w->fd, w->tmp_path, &w->pos, &w->rg_cols, &cb, &cu, err)))
      return feast_error_prefix(err, "%s: column '%s': ", w->path, w->names[i]);
    bytes += cb;
    unc += cu;
  }
  /* RowGroup { 1: columns, 2: total_byte_size, 3: num_rows, 5: file_offset, 6: total_compressed_size } */
  tw t;
  tw_init(&t, &w->rowgroups, err);
  tw_struct_begin(&t);
  tw_field_list_begin(&t, 1, TW_STRUCT, w->ncols);
  tw_raw(&t, w->rg_cols.data, w->rg_cols.len);
  tw_field_i64(&t, 2, unc);
  tw_field_i64(&t, 3, w->rg_rows);
  tw_field_i64(&t, 5, first);
  tw_field_i64(&t, 6, bytes);
  tw_struct_end(&t);
  if ((rc = tw_finish(&t))) return rc;
  w->num_rowgroups++;
  w->total_rows += w->rg_rows;
  w->rg_rows = 0;
  return FEAST_OK;
}

static feast_code check_batch(feast_parquet_writer *w, const feast_batch *b, feast_error *err) {
  char t1[64], t2[64];
  if (b->num_columns != w->ncols)
    return feast_fail(err, FEAST_E_SCHEMA, "%s: batch has %d columns, the file has %d", w->path, b->num_columns,
                      w->ncols);
  for (int i = 0; i < w->ncols; i++) {
    const feast_array *c = b->columns[i], *s = w->schema[i];
    const char *name = b->names[i] ? b->names[i] : "";
    if (strcmp(name, w->names[i]) != 0)
      return feast_fail(err, FEAST_E_SCHEMA, "%s: batch column %d is '%s', the file's is '%s'", w->path, i, name,
                        w->names[i]);
    if (!c || !feast_dtype_equal(c->type, s->type) ||
        (s->child && (!c->child || !feast_dtype_equal(c->child->type, s->child->type))))
      return feast_fail(err, FEAST_E_SCHEMA, "%s: column '%s' is %s in the batch but %s in the file", w->path, name,
                        c ? feast_dtype_name(c->child ? c->child->type : c->type, t1, sizeof t1) : "missing",
                        feast_dtype_name(s->child ? s->child->type : s->type, t2, sizeof t2));
    if (c->length != b->num_rows)
      return feast_fail(err, FEAST_E_INVALID, "%s: column '%s' has %lld rows, the batch %lld", w->path, name,
                        (long long)c->length, (long long)b->num_rows);
  }
  return FEAST_OK;
}

/* Appending rows [row, row + take) of a batch, one column at a time, by
 * whichever thread takes the next column. */
typedef struct append_job {
  feast_parquet_writer *w;
  const feast_batch *b;
  int64_t row, take;
  int next;       /* next column to take (atomic) */
  int failed_col; /* lowest failing column, or ncols */
  pthread_mutex_t mu;
  feast_error err; /* the failure of failed_col */
} append_job;

static void *append_worker(void *p) {
  append_job *j = p;
  feast_error err;
  for (;;) {
    int i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
    if (i >= j->w->ncols) break;
    if (pq_colw_append(&j->w->cols[i], j->b->columns[i], j->row, j->take, &err)) {
      pthread_mutex_lock(&j->mu);
      if (i < j->failed_col) {
        j->failed_col = i;
        j->err = err;
      }
      pthread_mutex_unlock(&j->mu);
    }
  }
  return NULL;
}

static feast_code append_rows(feast_parquet_writer *w, const feast_batch *b, int64_t row, int64_t take,
                              feast_error *err) {
  int threads = w->opts.threads < w->ncols ? w->opts.threads : w->ncols;
  if (threads <= 1 || take < 4096) {
    for (int i = 0; i < w->ncols; i++) {
      feast_code rc = pq_colw_append(&w->cols[i], b->columns[i], row, take, err);
      if (rc) return rc;
    }
    return FEAST_OK;
  }
  append_job j;
  memset(&j, 0, sizeof j);
  j.w = w;
  j.b = b;
  j.row = row;
  j.take = take;
  j.failed_col = w->ncols;
  pthread_mutex_init(&j.mu, NULL);
  pthread_t tid[16];
  int started = 0;
  while (started < threads - 1 && pthread_create(&tid[started], NULL, append_worker, &j) == 0)
    started++; /* a thread that cannot start leaves more columns to the others */
  append_worker(&j);
  for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
  pthread_mutex_destroy(&j.mu);
  if (j.failed_col < w->ncols) {
    *err = j.err;
    return err->code;
  }
  return FEAST_OK;
}

feast_code feast_parquet_writer_write(feast_parquet_writer *w, const feast_batch *b, feast_error *err) {
  if (w->done || w->broken)
    return feast_fail(err, FEAST_E_INVALID, "%s: the Parquet writer is closed or failed earlier", w->path);
  feast_code rc = check_batch(w, b, err);
  if (rc) return rc;
  for (int64_t row = 0; row < b->num_rows;) {
    int64_t take = b->num_rows - row;
    if (take > w->opts.row_group_size - w->rg_rows) take = w->opts.row_group_size - w->rg_rows;
    if ((rc = append_rows(w, b, row, take, err))) {
      w->broken = true;
      return feast_error_prefix(err, "%s: ", w->path);
    }
    w->rg_rows += take;
    row += take;
    if (w->rg_rows >= w->opts.row_group_size && (rc = flush_row_group(w, err))) {
      w->broken = true;
      return rc;
    }
  }
  return FEAST_OK;
}

static feast_code write_footer(feast_parquet_writer *w, feast_error *err) {
  feast_buf f;
  feast_buf_init(&f, FEAST_BUF_UNLIMITED);
  tw t;
  tw_init(&t, &f, err);
  tw_struct_begin(&t);
  tw_field_i32(&t, 1, 2); /* format version 2: logical types, min_value/max_value */
  int nschema = 1;
  for (int i = 0; i < w->ncols; i++) nschema += pq_schema_count(w->schema[i]->type);
  tw_field_list_begin(&t, 2, TW_STRUCT, nschema);
  tw_struct_begin(&t);
  tw_field_string(&t, 4, "schema");
  tw_field_i32(&t, 5, w->ncols);
  tw_struct_end(&t);
  for (int i = 0; i < w->ncols; i++) pq_schema_write(&t, w->names[i], w->schema[i]->type, &w->cols[i].leaf);
  tw_field_i64(&t, 3, w->total_rows);
  tw_field_list_begin(&t, 4, TW_STRUCT, w->num_rowgroups);
  tw_raw(&t, w->rowgroups.data, w->rowgroups.len);
  if (w->opts.num_metadata > 0) {
    tw_field_list_begin(&t, 5, TW_STRUCT, w->opts.num_metadata);
    for (int i = 0; i < w->opts.num_metadata; i++) {
      tw_struct_begin(&t);
      tw_field_string(&t, 1, w->kv[2 * i]);
      tw_field_string(&t, 2, w->kv[2 * i + 1]);
      tw_struct_end(&t);
    }
  }
  tw_field_string(&t, 6, "feast-c version " FEAST_VERSION);
  /* ColumnOrder per leaf: TYPE_ORDER, so readers trust min_value/max_value. */
  tw_field_list_begin(&t, 7, TW_STRUCT, w->ncols);
  for (int i = 0; i < w->ncols; i++) {
    tw_struct_begin(&t);
    tw_field_struct_begin(&t, 1);
    tw_struct_end(&t);
    tw_struct_end(&t);
  }
  tw_struct_end(&t);
  feast_code rc = tw_finish(&t);
  if (!rc && f.len > UINT32_MAX) rc = feast_fail(err, FEAST_E_TOO_BIG, "%s: footer exceeds 4 GiB", w->path);
  if (!rc) {
    uint8_t tail[8] = {(uint8_t)f.len, (uint8_t)(f.len >> 8), (uint8_t)(f.len >> 16), (uint8_t)(f.len >> 24),
                       'P', 'A', 'R', '1'};
    if (!(rc = pq_write_all(w->fd, f.data, f.len, w->tmp_path, err)))
      rc = pq_write_all(w->fd, tail, 8, w->tmp_path, err);
  }
  feast_buf_free(&f);
  return rc;
}

feast_code feast_parquet_writer_close(feast_parquet_writer *w, feast_error *err) {
  if (w->done || w->broken)
    return feast_fail(err, FEAST_E_INVALID, "%s: the Parquet writer is closed or failed earlier", w->path);
  feast_code rc = FEAST_OK;
  if (w->rg_rows > 0) rc = flush_row_group(w, err);
  if (!rc) rc = write_footer(w, err);
  if (!rc && fsync(w->fd) != 0 && !(w->in_place && (errno == EINVAL || errno == EROFS || errno == ENOTSUP)))
    rc = feast_fail(err, FEAST_E_IO, "fsync '%s': %s", w->tmp_path, strerror(errno));
  if (w->fd >= 0 && close(w->fd) != 0 && !rc)
    rc = feast_fail(err, FEAST_E_IO, "closing '%s': %s", w->tmp_path, strerror(errno));
  w->fd = -1;
  if (!rc && !w->in_place && rename(w->tmp_path, w->path) != 0)
    rc = feast_fail(err, FEAST_E_IO, "renaming '%s' to '%s': %s", w->tmp_path, w->path, strerror(errno));
  if (rc) {
    w->broken = true;
    if (!w->in_place) unlink(w->tmp_path);
    return rc;
  }
  w->done = true;
  return FEAST_OK;
}

feast_code feast_parquet_write_file(const char *path, const feast_batch *batch,
                                    const feast_parquet_write_options *opts, feast_error *err) {
  feast_parquet_writer *w;
  feast_code rc = feast_parquet_writer_open(path, batch, opts, &w, err);
  if (rc) return rc;
  rc = feast_parquet_writer_write(w, batch, err);
  if (!rc) rc = feast_parquet_writer_close(w, err);
  feast_parquet_writer_free(w);
  return rc;
}
