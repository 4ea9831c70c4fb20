/*
 * file.c - opening a Parquet file (path via pread, or a memory image):
 * magic and footer checks, schema accessors, key-value metadata, reading a
 * row group into batches, and min/max statistics for row-group pruning.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "format/parquet/parquet_format.h"
#include "format/parquet/reader.h"

#define MAX_FOOTER (64u << 20)

static void fill_opts(feast_parquet_options *o, const feast_parquet_options *in) {
  if (in) *o = *in;
  else memset(o, 0, sizeof *o);
  if (o->batch_rows <= 0) o->batch_rows = 65536;
  if (o->batch_rows > INT32_MAX / 2) o->batch_rows = INT32_MAX / 2;
  if (o->max_page_bytes <= 0) o->max_page_bytes = 256 << 20;
  if (o->max_page_bytes > INT32_MAX) o->max_page_bytes = INT32_MAX;
  if (o->max_chunk_bytes <= 0) o->max_chunk_bytes = INT64_C(2) << 30;
  if (o->threads <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = n >= 2 ? 2 : 1;
  }
}

feast_code pq_read_at(const feast_parquet_file *f, uint64_t off, size_t len, uint8_t *buf, feast_error *err) {
  if (off > f->size || len > f->size - off)
    return feast_fail(err, FEAST_E_CORRUPT, "read of %zu bytes at offset %llu past the end of the file (%llu bytes)",
                      len, (unsigned long long)off, (unsigned long long)f->size);
  if (f->mem) {
    memcpy(buf, f->mem + off, len);
    return FEAST_OK;
  }
  if (f->io.read) return len ? f->io.read(f->io.ctx, off, len, buf, err) : FEAST_OK;
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(f->fd, buf + done, len - done, (off_t)(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return feast_fail(err, FEAST_E_IO, "read failed: %s", strerror(errno));
    if (n == 0) return feast_fail(err, FEAST_E_CORRUPT, "file ends early (truncated?)");
    done += (size_t)n;
  }
  return FEAST_OK;
}

void feast_parquet_file_free(feast_parquet_file *f) {
  if (!f) return;
  if (f->fd >= 0) close(f->fd);
  if (f->io.close) f->io.close(f->io.ctx);
  pq_meta_free(f->meta);
  feast_free(f->cols);
  feast_free(f->name);
  feast_free(f);
}

/* A remote file's last bytes in one request: the footer of most files fits
 * (pyarrow reads the same 64 KiB); a larger footer costs one more. */
#define REMOTE_TAIL (64u << 10)

static feast_code finish_open(feast_parquet_file *f, feast_error *err) {
  uint8_t tail[8], head[4];
  if (f->size < 12) return feast_fail(err, FEAST_E_CORRUPT, "%llu bytes is too small for a Parquet file",
                                      (unsigned long long)f->size);
  uint8_t *rtail = NULL; /* remote: the file's last rlen bytes */
  size_t rlen = 0;
  feast_code rc;
  if (f->io.read) {
    rlen = f->size < REMOTE_TAIL ? (size_t)f->size : REMOTE_TAIL;
    if (!(rtail = feast_malloc(rlen))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if ((rc = pq_read_at(f, f->size - rlen, rlen, rtail, err))) {
      feast_free(rtail);
      return rc;
    }
    memcpy(tail, rtail + rlen - 8, 8);
    /* The leading magic only when it came with the tail: no request for 4 bytes. */
    memcpy(head, rlen == f->size ? rtail : (const uint8_t *)"PAR1", 4);
  } else {
    rc = pq_read_at(f, f->size - 8, 8, tail, err);
    if (!rc) rc = pq_read_at(f, 0, 4, head, err);
    if (rc) return rc;
  }
  if (rtail && (memcmp(tail + 4, "PARE", 4) == 0 || memcmp(head, "PAR1", 4) != 0 || memcmp(tail + 4, "PAR1", 4) != 0))
    feast_free(rtail), rtail = NULL, rlen = 0;
  if (memcmp(tail + 4, "PARE", 4) == 0)
    return feast_fail(err, FEAST_E_UNSUPPORTED, "encrypted footer (PARE): encrypted Parquet is not supported");
  if (memcmp(head, "PAR1", 4) != 0 || memcmp(tail + 4, "PAR1", 4) != 0)
    return feast_fail(err, FEAST_E_CORRUPT, "not a Parquet file (magic bytes PAR1 missing)");
  uint32_t flen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24;
  if (flen > f->size - 12) {
    feast_free(rtail);
    return feast_fail(err, FEAST_E_CORRUPT, "footer length %u exceeds the file size %llu", flen,
                      (unsigned long long)f->size);
  }
  if (flen > MAX_FOOTER) {
    feast_free(rtail);
    return feast_fail(err, FEAST_E_TOO_BIG, "footer of %u bytes exceeds the 64 MiB limit", flen);
  }
  if (rtail && (size_t)flen + 8 <= rlen) {
    rc = pq_meta_parse(rtail + rlen - 8 - flen, flen, &f->meta, err);
    feast_free(rtail);
  } else {
    feast_free(rtail);
    uint8_t *buf = feast_malloc(flen ? flen : 1);
    if (!buf) return feast_fail(err, FEAST_E_NOMEM, "out of memory for a footer of %u bytes", flen);
    rc = pq_read_at(f, f->size - 8 - flen, flen, buf, err);
    if (!rc) rc = pq_meta_parse(buf, flen, &f->meta, err);
    feast_free(buf);
  }
  if (rc) return rc;
  if (f->meta->encrypted_footer_hint)
    return feast_fail(err, FEAST_E_UNSUPPORTED, "encrypted columns (plaintext footer): not supported");
  for (int g = 0; g < f->meta->nrow_groups; g++)
    if (f->meta->row_groups[g].num_rows < 0)
      return feast_fail(err, FEAST_E_CORRUPT, "row group %d has a negative row count", g);
  return pq_schema_build(f, err);
}

static feast_code open_common(feast_parquet_file *f, const char *name, const feast_parquet_options *opts,
                              feast_parquet_file **out, feast_error *err) {
  fill_opts(&f->opts, opts);
  f->name = feast_strdup(name ? name : "(memory)");
  feast_code rc = f->name ? finish_open(f, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (rc) {
    feast_error_prefix(err, "%s: ", name ? name : "(memory)");
    feast_parquet_file_free(f);
    return rc;
  }
  *out = f;
  return FEAST_OK;
}

feast_code feast_parquet_file_open(const char *path, const feast_parquet_options *opts, feast_parquet_file **out,
                                   feast_error *err) {
  *out = NULL;
  feast_parquet_file *f = feast_calloc(1, sizeof *f);
  if (!f) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  f->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (f->fd < 0) {
    int e = errno;
    feast_free(f);
    return feast_fail(err, e == ENOENT ? FEAST_E_NOT_FOUND : FEAST_E_IO, "%s: cannot open: %s", path, strerror(e));
  }
  struct stat st;
  if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(f->fd);
    feast_free(f);
    return feast_fail(err, FEAST_E_IO, "%s: not a regular file", path);
  }
  f->size = (uint64_t)st.st_size;
  return open_common(f, path, opts, out, err);
}

feast_code feast_parquet_file_open_io(const feast_parquet_io *io, uint64_t size, const char *name,
                                      const feast_parquet_options *opts, feast_parquet_file **out, feast_error *err) {
  *out = NULL;
  feast_parquet_file *f = feast_calloc(1, sizeof *f);
  if (!f) {
    if (io->close) io->close(io->ctx);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  f->fd = -1;
  f->io = *io;
  f->size = size;
  return open_common(f, name, opts, out, err);
}

feast_code feast_parquet_file_open_memory(const void *data, size_t len, const char *name,
                                          const feast_parquet_options *opts, feast_parquet_file **out,
                                          feast_error *err) {
  *out = NULL;
  feast_parquet_file *f = feast_calloc(1, sizeof *f);
  if (!f) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  f->fd = -1;
  f->mem = data;
  f->size = len;
  return open_common(f, name, opts, out, err);
}

int feast_parquet_num_columns(const feast_parquet_file *f) { return f->ncols; }
const char *feast_parquet_column_name(const feast_parquet_file *f, int i) {
  return i >= 0 && i < f->ncols ? f->cols[i].name : NULL;
}
feast_dtype feast_parquet_column_type(const feast_parquet_file *f, int i, feast_dtype *elem) {
  feast_dtype none = feast_dtype_make(FEAST_DT_NULL);
  if (i < 0 || i >= f->ncols) {
    if (elem) *elem = none;
    return none;
  }
  if (elem) *elem = f->cols[i].elem;
  return f->cols[i].type;
}
int feast_parquet_column_index(const feast_parquet_file *f, const char *name) {
  for (int i = 0; i < f->ncols; i++)
    if (strcmp(f->cols[i].name, name) == 0) return i;
  return -1;
}
feast_code feast_parquet_column_check(const feast_parquet_file *f, int i, feast_error *err) {
  if (i < 0 || i >= f->ncols) return feast_fail(err, FEAST_E_INVALID, "%s: no column %d", f->name, i);
  if (f->cols[i].unsupported) return feast_fail(err, FEAST_E_UNSUPPORTED, "%s: %s", f->name, f->cols[i].why);
  return FEAST_OK;
}
int64_t feast_parquet_num_rows(const feast_parquet_file *f) { return f->meta->num_rows; }
int feast_parquet_num_row_groups(const feast_parquet_file *f) { return f->meta->nrow_groups; }
int64_t feast_parquet_row_group_rows(const feast_parquet_file *f, int rg) {
  return rg >= 0 && rg < f->meta->nrow_groups ? f->meta->row_groups[rg].num_rows : -1;
}
int feast_parquet_num_metadata(const feast_parquet_file *f) { return f->meta->nkv; }
const char *feast_parquet_metadata_key(const feast_parquet_file *f, int i) {
  return i >= 0 && i < f->meta->nkv ? f->meta->kv[i].key : NULL;
}
const char *feast_parquet_metadata_value(const feast_parquet_file *f, int i) {
  return i >= 0 && i < f->meta->nkv ? f->meta->kv[i].value : NULL;
}
const char *feast_parquet_metadata_get(const feast_parquet_file *f, const char *key) {
  for (int i = 0; i < f->meta->nkv; i++)
    if (strcmp(f->meta->kv[i].key, key) == 0) return f->meta->kv[i].value;
  return NULL;
}

struct pq_rgreader {
  const feast_parquet_file *f;
  int rg;
  const int *cols;
  int ncols;
  pq_colreader **crs; /* kept across row groups: their buffers are reused */
  int ncrs;
  int64_t total, done;
};

pq_rgreader *pq_rgreader_new(void) { return feast_calloc(1, sizeof(pq_rgreader)); }

void pq_rgreader_free(pq_rgreader *r) {
  if (!r) return;
  for (int i = 0; i < r->ncrs; i++) pq_colreader_free(r->crs[i]);
  feast_free(r->crs);
  feast_free(r);
}

static feast_code rg_fail(pq_rgreader *r, feast_code rc, int bad_col, feast_error *err) {
  const feast_parquet_file *f = r->f;
  if (bad_col >= 0)
    feast_error_prefix(err, "%s: row group %d: column %s: ", f->name, r->rg, f->cols[bad_col].name);
  else if (rc != FEAST_E_NOMEM)
    feast_error_prefix(err, "%s: row group %d: ", f->name, r->rg);
  r->done = r->total; /* nothing more from this row group */
  return rc;
}

feast_code pq_rgreader_open(pq_rgreader *r, const feast_parquet_file *f, int rg, const int *cols, int ncols,
                            feast_error *err) {
  r->f = f;
  r->rg = rg;
  r->cols = cols;
  r->ncols = ncols;
  r->total = r->done = 0;
  if (rg < 0 || rg >= f->meta->nrow_groups)
    return feast_fail(err, FEAST_E_INVALID, "%s: no row group %d", f->name, rg);
  int64_t total = f->meta->row_groups[rg].num_rows;
  if (total == 0) return FEAST_OK; /* empty row groups may have placeholder chunks */
  if (ncols > r->ncrs) {
    pq_colreader **n = feast_realloc(r->crs, sizeof *n * (size_t)ncols);
    if (!n) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    for (int i = r->ncrs; i < ncols; i++) n[i] = NULL;
    r->crs = n;
    r->ncrs = ncols;
  }
  r->total = total;
  if (!f->io.read_many) {
    for (int i = 0; i < ncols; i++) {
      feast_code rc = pq_colreader_open(f, rg, cols[i], &r->crs[i], err);
      if (rc) return rg_fail(r, rc, cols[i], err);
    }
    return FEAST_OK;
  }
  /* Remote: every chunk this row group needs, in one batch of ranged reads. */
  feast_parquet_range_read *rr = feast_malloc(sizeof *rr * (size_t)(ncols ? ncols : 1));
  if (!rr) return rg_fail(r, feast_fail(err, FEAST_E_NOMEM, "out of memory"), -1, err);
  for (int i = 0; i < ncols; i++) {
    uint8_t *buf;
    feast_code rc = pq_colreader_prepare(f, rg, cols[i], &r->crs[i], &rr[i].offset, &rr[i].len, &buf, err);
    if (rc) {
      feast_free(rr);
      return rg_fail(r, rc, cols[i], err);
    }
    rr[i].dst = buf;
  }
  feast_code rc = f->io.read_many(f->io.ctx, rr, (size_t)ncols, err);
  feast_free(rr);
  return rc ? rg_fail(r, rc, -1, err) : FEAST_OK;
}

feast_code pq_rgreader_next(pq_rgreader *r, int64_t batch_rows, feast_batch **out, feast_error *err) {
  *out = NULL;
  if (r->done >= r->total) return FEAST_OK;
  const feast_parquet_file *f = r->f;
  int64_t n = r->total - r->done < batch_rows ? r->total - r->done : batch_rows;
  feast_batch *b = feast_batch_new(r->ncols);
  if (!b) return rg_fail(r, feast_fail(err, FEAST_E_NOMEM, "out of memory"), -1, err);
  b->num_rows = n;
  for (int i = 0; i < r->ncols; i++) {
    feast_array *a;
    feast_code rc = pq_colreader_read(r->crs[i], n, &a, err);
    if (!rc && a->length != n) {
      int64_t got = r->done + a->length;
      feast_array_free(a);
      rc = feast_fail(err, FEAST_E_CORRUPT, "holds %lld rows but the row group says %lld", (long long)got,
                      (long long)r->total);
    }
    if (!rc) rc = feast_batch_set_column(b, i, f->cols[r->cols[i]].name, a, err);
    if (rc) {
      feast_batch_free(b);
      return rg_fail(r, rc, r->cols[i], err);
    }
  }
  r->done += n;
  *out = b;
  return FEAST_OK;
}

feast_code pq_read_row_group_batches(const feast_parquet_file *f, int rg, const int *cols, int ncols,
                                     int64_t batch_rows, pq_emit_fn emit, void *ctx, feast_error *err) {
  pq_rgreader *r = pq_rgreader_new();
  if (!r) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = pq_rgreader_open(r, f, rg, cols, ncols, err);
  while (!rc) {
    feast_batch *b;
    if ((rc = pq_rgreader_next(r, batch_rows, &b, err)) || !b) break;
    if ((rc = emit(ctx, b, err))) rc = rg_fail(r, rc, -1, err);
  }
  pq_rgreader_free(r);
  return rc;
}

typedef struct concat_ctx {
  feast_batch *all;
} concat_ctx;

static feast_code concat_emit(void *vctx, feast_batch *b, feast_error *err) {
  concat_ctx *c = vctx;
  if (!c->all) {
    c->all = b;
    return FEAST_OK;
  }
  feast_code rc = FEAST_OK;
  for (int i = 0; i < b->num_columns && !rc; i++)
    rc = feast_array_append_range(c->all->columns[i], b->columns[i], 0, b->num_rows, err);
  c->all->num_rows += b->num_rows;
  feast_batch_free(b);
  return rc;
}

feast_code feast_parquet_read_row_group(const feast_parquet_file *f, int rg, const int *columns, int ncols,
                                        feast_batch **out, feast_error *err) {
  *out = NULL;
  int *all = NULL;
  if (!columns || ncols <= 0) {
    ncols = f->ncols;
    all = feast_malloc(sizeof *all * (size_t)(ncols ? ncols : 1));
    if (!all) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    for (int i = 0; i < ncols; i++) all[i] = i;
    columns = all;
  }
  for (int i = 0; i < ncols; i++)
    if (columns[i] < 0 || columns[i] >= f->ncols) {
      feast_free(all);
      return feast_fail(err, FEAST_E_INVALID, "%s: no column %d", f->name, columns[i]);
    }
  concat_ctx c = {NULL};
  /* One batch for the whole row group (bounded by the array limits). */
  int64_t rows = feast_parquet_row_group_rows(f, rg);
  feast_code rc = pq_read_row_group_batches(f, rg, columns, ncols, rows > 0 ? rows : 1, concat_emit, &c, err);
  if (!rc && !c.all) {
    c.all = feast_batch_new(ncols);
    if (!c.all) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    for (int i = 0; i < ncols && !rc; i++) {
      feast_array *a = feast_array_new(f->cols[columns[i]].type, f->cols[columns[i]].elem);
      rc = a ? feast_batch_set_column(c.all, i, f->cols[columns[i]].name, a, err)
             : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    }
  }
  feast_free(all);
  if (rc) {
    feast_batch_free(c.all);
    return rc;
  }
  *out = c.all;
  return FEAST_OK;
}

static int64_t stat_int(const pq_bytes *b, int phys, int *ok) {
  if (phys == PQ_INT32 && b->len == 4) {
    int32_t v;
    memcpy(&v, b->p, 4);
    return v;
  }
  if (phys == PQ_INT64 && b->len == 8) {
    int64_t v;
    memcpy(&v, b->p, 8);
    return v;
  }
  *ok = 0;
  return 0;
}

/* Converts a raw statistic to the predicate's units; floor division keeps pruning conservative. */
static int64_t to_pred_units(const pq_column *c, int64_t v) {
  if (c->type.id == FEAST_DT_DATE32) return v * INT64_C(86400000000);
  if (c->type.id != FEAST_DT_TIMESTAMP) return v;
  switch (c->type.unit) {
  case FEAST_UNIT_MS: return v * 1000;
  case FEAST_UNIT_NS: return v >= 0 ? v / 1000 : -((-v + 999) / 1000);
  default: return v;
  }
}

int pq_row_group_excluded(const feast_parquet_file *f, int rg, int col, int64_t lo, int64_t hi) {
  if (col < 0 || col >= f->ncols || rg < 0 || rg >= f->meta->nrow_groups) return 0;
  const pq_column *c = &f->cols[col];
  if (c->unsupported || c->is_list || c->leaf >= f->meta->row_groups[rg].ncolumns) return 0;
  switch (c->type.id) {
  case FEAST_DT_INT8:
  case FEAST_DT_INT16:
  case FEAST_DT_INT32:
  case FEAST_DT_INT64:
  case FEAST_DT_DATE32:
  case FEAST_DT_TIMESTAMP: break;
  default: return 0;
  }
  if (c->conv == PQ_CV_INT96) return 0;
  const pq_chunk_meta *m = &f->meta->row_groups[rg].columns[c->leaf];
  if (!m->min.set || !m->max.set) return 0;
  int ok = 1;
  int64_t mn = stat_int(&m->min, c->phys, &ok), mx = stat_int(&m->max, c->phys, &ok);
  if (!ok || mn > mx) return 0;
  /* Saturate conversions far outside any real timestamp range. */
  if (c->type.id == FEAST_DT_TIMESTAMP && c->type.unit == FEAST_UNIT_MS &&
      (mn < INT64_MIN / 1000 || mx > INT64_MAX / 1000))
    return 0;
  if (c->type.id == FEAST_DT_DATE32 && (mn < -106751991 || mx > 106751991)) return 0;
  mn = to_pred_units(c, mn);
  mx = to_pred_units(c, mx);
  return mx < lo || mn > hi;
}
