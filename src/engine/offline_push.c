/*
 * offline_push.c - rows appended to a feature table's file batch source as
 * new Parquet files, the way Feast 0.9's client.ingest wrote them: one file
 * per call in the source's folder, or one per event date in
 * <dir>/<date_partition_column>=YYYY-MM-DD/ when the source is partitioned.
 * The pushed rows must have the columns of the files already there (the
 * dataset reader needs one schema); timestamps in another unit or zone are
 * converted to the existing files' type, nothing else is. A BigQuery
 * source takes the rows by one load job instead (feast_bigquery_append).
 * An s3:// folder gets the same objects, each written to a temporary file
 * and uploaded (one PUT, or multipart above 16 MiB).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/buf.h"
#include "engine/snapshot.h"
#include "engine/store_internal.h"
#include "feast/aws.h"
#include "feast/bigquery.h"
#include "feast/parquet_writer.h"
#include "feast/sdk.h"
#include "feast/source.h"
#include "format/json/json_writer.h"
#include "source/s3_source.h"

#define US_PER_DAY (86400 * FEAST_US_PER_SEC)

/* The folder of a file source ("file:///data/x/" -> "/data/x"). */
static feast_code source_dir(const feast_data_source *s, const char *table, char *dir, size_t size,
                             feast_error *err) {
  const char *url = s->file.file_url;
  if (s->type != FEAST_SOURCE_FILE || !url)
    return feast_fail(err, FEAST_E_UNSUPPORTED,
                      "table '%s': rows can be pushed to a file batch source only (this one is %s)", table,
                      s->type == FEAST_SOURCE_BIGQUERY ? "BigQuery" : "not a file source");
  if (strncmp(url, "file://", 7) == 0) url += 7;
  bool remote = feast_s3_is_url(url);
  if (strstr(url, "://") && !remote)
    return feast_fail(err, FEAST_E_UNSUPPORTED,
                      "table '%s': pushing to %s is not supported (local files and s3:// only)", table,
                      s->file.file_url);
  /* Feast 0.9 strips a trailing "*" (a glob over the folder). */
  size_t n = strlen(url);
  while (n > 0 && url[n - 1] == '*' && (n < 2 || url[n - 2] != '\\')) n--;
  if (n >= size) return feast_fail(err, FEAST_E_INVALID, "table '%s': file_url too long", table);
  const char *pat = feast_path_first_pattern(url);
  if (pat && pat < url + n)
    return feast_fail(err, FEAST_E_INVALID, "table '%s': batch source %s is a glob: pushing needs a folder", table,
                      s->file.file_url);
  feast_path_unescape(url, n, dir); /* the folder's real name */
  n = strlen(dir);
  struct stat st;
  if (remote) {
    /* An object where the folder should be: the rows would land beside it, unread. */
    size_t kl = strlen(dir);
    if (kl > 8 && strcmp(dir + kl - 8, ".parquet") == 0)
      return feast_fail(err, FEAST_E_INVALID,
                        "table '%s': batch source %s is a single file: pushing needs a folder", table,
                        s->file.file_url);
  } else if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
    return feast_fail(err, FEAST_E_INVALID, "table '%s': batch source %s is a single file: pushing needs a folder",
                      table, s->file.file_url);
  while (n > 1 && dir[n - 1] == '/') dir[--n] = '\0';
  return FEAST_OK;
}

static int mkdirs(const char *path) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      if (mkdir(tmp, 0777) != 0 && errno != EEXIST) return -1;
      *p = '/';
    }
  return mkdir(tmp, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static int64_t unit_per_us(feast_time_unit u, int64_t v, bool to_us) {
  static const int64_t scale[] = {1000000, 1000, 1, 1000}; /* s, ms, us: us per unit; ns: ns per us */
  if (u == FEAST_UNIT_NS) return to_us ? v / 1000 - (v % 1000 < 0) : v * 1000;
  return to_us ? v * scale[u] : v / scale[u] - (v % scale[u] < 0);
}

/* A copy of timestamp column `a` in type `to` (another unit or zone). */
static feast_code convert_timestamps(const feast_array *a, feast_dtype to, feast_array **out, feast_error *err) {
  feast_array *r = feast_array_new(to, to);
  if (!r) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = feast_array_reserve(r, a->length, 0, err);
  for (int64_t i = 0; i < a->length && !rc; i++) {
    if (!feast_array_is_valid(a, i)) {
      rc = feast_array_append_null(r, err);
      continue;
    }
    int64_t us = unit_per_us((feast_time_unit)a->type.unit, feast_array_get_int(a, i), true);
    rc = feast_array_append_int(r, unit_per_us((feast_time_unit)to.unit, us, false), err);
  }
  if (rc) {
    feast_array_free(r);
    return rc;
  }
  *out = r;
  return FEAST_OK;
}

/* `b` in the schema of the existing files: same columns, timestamps
 * converted, the partition column dropped (its value is the folder name).
 * Every mismatch is listed at once. The caller owns *out. */
static feast_code conform(const feast_batch *existing, const char *partition, const feast_batch *b, int batch_no,
                          feast_batch **out, feast_error *err) {
  feast_error_clear(err);
  char x[64], y[64];
  int n = 0;
  for (int i = 0; i < b->num_columns; i++) {
    const char *name = b->names[i];
    if (partition && strcmp(name, partition) == 0) continue;
    if (existing && feast_batch_find(existing, name) < 0)
      feast_error_append(err, "column '%s' is not in the batch source's files", name);
    n++;
  }
  if (existing)
    for (int i = 0; i < existing->num_columns; i++) {
      const char *name = existing->names[i];
      if (partition && strcmp(name, partition) == 0) continue;
      int j = feast_batch_find(b, name);
      if (j < 0) {
        feast_error_append(err, "column '%s' is missing (the batch source's files have it)", name);
        continue;
      }
      const feast_array *want = existing->columns[i], *got = b->columns[j];
      bool both_ts = want->type.id == FEAST_DT_TIMESTAMP && got->type.id == FEAST_DT_TIMESTAMP;
      if (!both_ts && (!feast_dtype_equal(want->type, got->type) ||
                       (want->child && (!got->child || !feast_dtype_equal(want->child->type, got->child->type)))))
        feast_error_append(err, "column '%s' is %s, the batch source's files have %s", name,
                           feast_dtype_name(got->child ? got->child->type : got->type, x, sizeof x),
                           feast_dtype_name(want->child ? want->child->type : want->type, y, sizeof y));
    }
  if (err->message[0]) {
    err->code = FEAST_E_SCHEMA;
    return batch_no > 0 ? feast_error_prefix(err, "batch %d: ", batch_no) : err->code;
  }
  feast_batch *r = feast_batch_new(n);
  if (!r) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  r->num_rows = b->num_rows;
  feast_code rc = FEAST_OK;
  int c = 0;
  /* Existing files fix the column order; without them the rows' order is kept. */
  int total = existing ? existing->num_columns : b->num_columns;
  for (int k = 0; k < total && !rc; k++) {
    const char *name = existing ? existing->names[k] : b->names[k];
    if (partition && strcmp(name, partition) == 0) continue;
    const feast_array *src = b->columns[feast_batch_find(b, name)];
    feast_array *col = NULL;
    const feast_array *want = existing ? existing->columns[k] : NULL;
    if (want && want->type.id == FEAST_DT_TIMESTAMP && !feast_dtype_equal(want->type, src->type))
      rc = convert_timestamps(src, want->type, &col, err);
    else if (!(col = feast_array_new(src->type, src->child ? src->child->type : src->type)))
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    else
      rc = feast_array_append_range(col, src, 0, src->length, err);
    if (!rc) rc = feast_batch_set_column(r, c++, name, col, err);
    else feast_array_free(col);
  }
  if (rc) {
    feast_batch_free(r);
    return rc;
  }
  *out = r;
  return FEAST_OK;
}

/* Rows idx[0..n) of b as a new batch. */
static feast_code take_rows(const feast_batch *b, const int64_t *idx, int64_t n, feast_batch **out, feast_error *err) {
  feast_batch *r = feast_batch_new(b->num_columns);
  if (!r) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  r->num_rows = n;
  for (int c = 0; c < b->num_columns; c++) {
    feast_array *col;
    feast_code rc = feast_array_take(b->columns[c], idx, n, &col, err);
    if (!rc) rc = feast_batch_set_column(r, c, b->names[c], col, err);
    if (rc) {
      feast_batch_free(r);
      return rc;
    }
  }
  *out = r;
  return FEAST_OK;
}

static int64_t day_of(int64_t us) { return us / US_PER_DAY - (us % US_PER_DAY < 0); }

/* A local file is written under a hidden name (readers skip names that
 * start with '.') and renamed into place only when every file of the push
 * is written: a push that fails, or is killed, shows nothing of itself. */
typedef struct staged_file {
  char *hidden, *final;
  int64_t rows;
} staged_file;

typedef struct push_state {
  const char *dir;
  const feast_data_source *src;
  char stem[96];
  feast_push_file_fn on_file;
  void *ctx;
  staged_file *staged;
  size_t n_staged, cap_staged;
} push_state;

static feast_code note_file(push_state *st, const char *path, int64_t rows, feast_error *err) {
  (void)err;
  if (st->on_file) st->on_file(st->ctx, path, rows);
  return FEAST_OK;
}

static feast_code stage(push_state *st, const char *hidden, const char *final, int64_t rows, feast_error *err) {
  if (st->n_staged == st->cap_staged) {
    size_t cap = st->cap_staged ? 2 * st->cap_staged : 8;
    staged_file *g = feast_realloc(st->staged, cap * sizeof *g);
    if (!g) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    st->staged = g;
    st->cap_staged = cap;
  }
  staged_file *f = &st->staged[st->n_staged];
  f->hidden = feast_strdup(hidden);
  f->final = feast_strdup(final);
  f->rows = rows;
  if (!f->hidden || !f->final) {
    feast_free(f->hidden);
    feast_free(f->final);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  st->n_staged++;
  return FEAST_OK;
}

/* Every staged file into place (rc OK), or every one removed. */
static feast_code unstage(push_state *st, feast_code rc, feast_error *err) {
  for (size_t i = 0; i < st->n_staged; i++) {
    staged_file *f = &st->staged[i];
    if (!rc && rename(f->hidden, f->final) != 0)
      rc = feast_fail(err, FEAST_E_IO, "renaming '%s' to '%s': %s", f->hidden, f->final, strerror(errno));
    else if (!rc)
      note_file(st, f->final, f->rows, err);
  }
  for (size_t i = 0; i < st->n_staged; i++) {
    if (rc) unlink(st->staged[i].hidden); /* after a failed rename, those already renamed stay */
    feast_free(st->staged[i].hidden);
    feast_free(st->staged[i].final);
  }
  feast_free(st->staged);
  st->staged = NULL;
  st->n_staged = st->cap_staged = 0;
  return rc;
}

static feast_code put_s3_file(const char *path, const feast_batch *b, feast_error *err);

/* Write `b` as the file `path` of the push: staged locally, put directly
 * on S3 (an object appears whole or not at all). */
static feast_code push_file(push_state *st, const char *path, const feast_batch *b, feast_error *err) {
  if (feast_s3_is_url(path)) {
    feast_code rc = put_s3_file(path, b, err);
    return rc ? rc : note_file(st, path, b->num_rows, err);
  }
  char hidden[PATH_MAX + 600];
  const char *slash = strrchr(path, '/');
  int dl = slash ? (int)(slash - path) + 1 : 0;
  if (snprintf(hidden, sizeof hidden, "%.*s.%s.pending", dl, path, path + dl) >= (int)sizeof hidden)
    return feast_fail(err, FEAST_E_INVALID, "path too long: %s", path);
  feast_code rc = feast_parquet_write_file(hidden, b, NULL, err);
  if (rc) return rc;
  rc = stage(st, hidden, path, b->num_rows, err);
  if (rc) unlink(hidden);
  return rc;
}

/* A Parquet file at s3:// `path`: written to a temporary file and
 * uploaded (multipart when large). */
static feast_code put_s3_file(const char *path, const feast_batch *b, feast_error *err) {
  const char *tmpdir = getenv("TMPDIR");
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s/feast-push-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
  int fd = mkstemp(tmp);
  if (fd < 0) return feast_fail(err, FEAST_E_IO, "cannot create a temporary file in %s: %s", tmp, strerror(errno));
  close(fd);
  feast_code rc = feast_parquet_write_file(tmp, b, NULL, err);
  if (!rc) rc = feast_s3_put_file(path, tmp, err);
  unlink(tmp);
  return rc;
}

/* One batch (already in the files' schema) into its file(s). */
static feast_code write_batch(push_state *st, const feast_batch *b, int batch_no, feast_error *err) {
  const char *part_col = st->src->date_partition_column;
  char path[PATH_MAX + 512];
  if (!part_col) {
    if (!feast_s3_is_url(st->dir) && mkdirs(st->dir) != 0) return feast_fail(err, FEAST_E_IO, "cannot create %s: %s", st->dir, strerror(errno));
    if (snprintf(path, sizeof path, "%s/%s-%d.parquet", st->dir, st->stem, batch_no) >= (int)sizeof path)
      return feast_fail(err, FEAST_E_INVALID, "path too long under %s", st->dir);
    return push_file(st, path, b, err);
  }
  int ts_col = feast_batch_find(b, st->src->event_timestamp_column);
  if (ts_col < 0 || b->columns[ts_col]->type.id != FEAST_DT_TIMESTAMP)
    return feast_fail(err, FEAST_E_SCHEMA, "the rows have no timestamp column '%s' (the event timestamp) to "
                      "choose each row's '%s' partition", st->src->event_timestamp_column, part_col);
  const feast_array *ts = b->columns[ts_col];
  int64_t *idx = feast_malloc((size_t)(b->num_rows + 1) * sizeof *idx);
  bool *done = feast_calloc((size_t)b->num_rows + 1, 1);
  feast_code rc = idx && done ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int64_t r = 0; !rc && r < b->num_rows; r++) {
    if (done[r]) continue;
    if (!feast_array_is_valid(ts, r)) {
      rc = feast_fail(err, FEAST_E_INVALID, "row %lld has no event timestamp ('%s')", (long long)r + 1,
                      st->src->event_timestamp_column);
      break;
    }
    int64_t day = day_of(feast_array_get_ts_us(ts, r)), n = 0;
    for (int64_t k = r; k < b->num_rows; k++)
      if (!done[k] && feast_array_is_valid(ts, k) && day_of(feast_array_get_ts_us(ts, k)) == day) {
        idx[n++] = k;
        done[k] = true;
      }
    int64_t y;
    unsigned m, d;
    feast_civil_from_days(day, &y, &m, &d);
    char part[PATH_MAX + 256];
    if (snprintf(part, sizeof part, "%s/%s=%04lld-%02u-%02u", st->dir, part_col, (long long)y, m, d) >=
            (int)sizeof part ||
        snprintf(path, sizeof path, "%s/%s-%d.parquet", part, st->stem, batch_no) >= (int)sizeof path) {
      rc = feast_fail(err, FEAST_E_INVALID, "path too long under %s", st->dir);
      break;
    }
    feast_batch *sub = NULL;
    if (!feast_s3_is_url(part) && mkdirs(part) != 0) rc = feast_fail(err, FEAST_E_IO, "cannot create %s: %s", part, strerror(errno));
    if (!rc) rc = take_rows(b, idx, n, &sub, err);
    if (!rc) rc = push_file(st, path, sub, err);
    feast_batch_free(sub);
  }
  feast_free(idx);
  feast_free(done);
  return rc;
}

/* The event timestamp and every mapped column must be in the rows (the
 * checks Feast 0.9's ingest made before writing). */
static feast_code check_columns(const feast_data_source *s, const char *table, const feast_batch *b,
                                feast_error *err) {
  feast_error_clear(err);
  if (s->event_timestamp_column && feast_batch_find(b, s->event_timestamp_column) < 0)
    feast_error_append(err, "the rows have no event timestamp column '%s'", s->event_timestamp_column);
  for (size_t i = 0; i < s->field_mapping.n; i++)
    if (feast_batch_find(b, s->field_mapping.items[i].value) < 0)
      feast_error_append(err, "the rows have no column '%s' (field_mapping %s -> %s)", s->field_mapping.items[i].value,
                         s->field_mapping.items[i].key, s->field_mapping.items[i].value);
  if (!err->message[0]) return FEAST_OK;
  err->code = FEAST_E_SCHEMA;
  return feast_error_prefix(err, "cannot push to table '%s': ", table);
}

/* A BigQuery source: the batches, checked as for files, are appended to its
 * table by one load job (all rows or none); on_file hears the table. */
static feast_code push_bigquery(const feast_data_source *src, const char *table, feast_batch_source *rows,
                                feast_push_file_fn on_file, void *ctx, feast_error *err) {
  feast_batch **got = NULL;
  size_t n = 0, cap = 0;
  feast_code rc = FEAST_OK;
  for (;;) {
    feast_batch *b = NULL;
    if ((rc = rows->next(rows, &b, err)) || !b) break;
    if (b->num_rows > 0 && !(rc = check_columns(src, table, b, err)) && n == cap) {
      feast_batch **grown = feast_realloc(got, (cap = cap ? 2 * cap : 8) * sizeof *got);
      if (!grown) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
      else got = grown;
    }
    if (!rc && b->num_rows > 0) got[n++] = b;
    else feast_batch_free(b);
    if (rc) break;
  }
  int64_t loaded = 0;
  if (!rc && n) rc = feast_bigquery_append(src, got, n, &loaded, err);
  if (!rc && n && on_file) on_file(ctx, src->bigquery.table_ref, loaded);
  for (size_t i = 0; i < n; i++) feast_batch_free(got[i]);
  feast_free(got);
  return rc;
}

feast_code feast_store_push_offline(feast_store *s, const char *table, feast_batch_source *rows,
                                    feast_push_file_fn on_file, void *ctx, feast_error *err) {
  feast_snapshot *snap = NULL;
  const feast_snapshot_table *t;
  feast_code rc = feast_store_table(s, table, &snap, &t, err);
  if (rc) return rc;
  const feast_data_source *src = &t->table->spec.batch_source;
  if (src->type == FEAST_SOURCE_BIGQUERY) {
    rc = push_bigquery(src, table, rows, on_file, ctx, err);
    feast_snapshot_unref(snap);
    return rc;
  }
  char dir[PATH_MAX];
  feast_batch *existing = NULL;
  push_state st = {.dir = dir, .src = src, .on_file = on_file, .ctx = ctx};
  snprintf(st.stem, sizeof st.stem, "part-%lld-%d", (long long)feast_now(), (int)getpid());
  rc = source_dir(src, table, dir, sizeof dir, err);
  /* Files already in the source fix the schema; an empty source takes the rows'. */
  feast_error probe;
  if (!rc && feast_source_schema(src, &existing, &probe) != FEAST_OK) existing = NULL;
  /* Every batch is read and checked before any file is written: a push
   * that fails leaves the source as it was (pushes are modest). */
  feast_batch **fit = NULL;
  int n = 0, cap = 0;
  for (int batch_no = 1; !rc; batch_no++) {
    feast_batch *b = NULL, *f = NULL;
    if ((rc = rows->next(rows, &b, err)) || !b) break;
    if (b->num_rows > 0) {
      rc = check_columns(src, table, b, err);
      if (!rc) rc = conform(existing, src->date_partition_column, b, batch_no, &f, err);
      if (!rc && n == cap) {
        feast_batch **grown = feast_realloc(fit, (size_t)(cap = cap ? 2 * cap : 8) * sizeof *fit);
        if (!grown) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
        else fit = grown;
      }
      if (!rc) fit[n++] = f;
      else feast_batch_free(f);
    }
    feast_batch_free(b);
  }
  for (int i = 0; i < n && !rc; i++) rc = write_batch(&st, fit[i], i, err);
  rc = unstage(&st, rc, err);
  for (int i = 0; i < n; i++) feast_batch_free(fit[i]);
  feast_free(fit);
  feast_batch_free(existing);
  feast_snapshot_unref(snap);
  return rc;
}

typedef struct json_files {
  feast_buf *b;
  int n;
  int64_t rows;
  feast_code rc;
  feast_error *err;
} json_files;

static void add_json_file(void *ctx, const char *path, int64_t rows) {
  json_files *j = ctx;
  if (j->rc) return;
  j->rc = feast_buf_append_str(j->b, j->n++ ? "," : "", j->err);
  if (!j->rc) j->rc = feast_json_append_string(j->b, path, strlen(path), FEAST_JSON_UTF8_REPLACE, j->err);
  j->rows += rows;
}

feast_code feast_store_push_offline_arrow(feast_store *s, const char *table, struct ArrowArrayStream *rows, char **out,
                                          feast_error *err) {
  *out = NULL;
  feast_batch_source *src;
  feast_code rc = feast_arrow_stream_import(rows, &src, err);
  if (rc) {
    if (rows->release) rows->release(rows);
    return rc;
  }
  feast_buf json;
  feast_buf_init(&json, (size_t)1 << 24);
  json_files j = {.b = &json, .err = err};
  rc = feast_buf_append_str(&json, "{\"files\":[", err);
  if (!rc) rc = feast_store_push_offline(s, table, src, add_json_file, &j, err);
  src->close(src);
  if (!rc) rc = j.rc;
  if (!rc) rc = feast_buf_printf(&json, err, "],\"rows\":%lld}", (long long)j.rows);
  if (!rc && !feast_buf_cstr(&json, err)) rc = err->code;
  if (!rc) *out = (char *)feast_buf_detach(&json, NULL);
  feast_buf_free(&json);
  return rc;
}
