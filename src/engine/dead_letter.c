/*
 * dead_letter.c - the Parquet-folder dead-letter sink and the per-cause
 * counts every sink keeps (see dead_letter.h).
 */
#include "engine/dead_letter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "feast/array.h"
#include "feast/parquet_writer.h"
#include "feast/time.h"

enum { C_TABLE, C_PARTITION, C_OFFSET, C_RECEIVED, C_CAUSE, C_REASON, C_VALUE, N_COLS };
static const char *const NAMES[N_COLS] = {"table", "partition", "offset", "received_at", "cause", "reason", "value"};

typedef struct parquet_sink {
  feast_dead_letters base;
  char *dir; /* folder/<table> */
  char *table;
  feast_batch *rows; /* letters since the last flush */
  feast_code failed; /* sticky */
  feast_error fail_err;
  int64_t files;
} parquet_sink;

static feast_batch *new_rows(feast_error *err) {
  feast_batch *b = feast_batch_new(N_COLS);
  if (!b) return NULL;
  for (int i = 0; i < N_COLS; i++) {
    feast_dtype t = i == C_RECEIVED ? feast_dtype_timestamp(FEAST_UNIT_US, true)
                    : i == C_VALUE  ? feast_dtype_make(FEAST_DT_BINARY)
                                    : feast_dtype_make(FEAST_DT_STRING);
    feast_array *a = feast_array_new(t, feast_dtype_make(FEAST_DT_NULL));
    if (!a || feast_batch_set_column(b, i, NAMES[i], a, err)) {
      feast_batch_free(b);
      return NULL;
    }
  }
  return b;
}

void feast_dead_letter_count(feast_dead_letter_causes *c, const char *cause) {
  if (!cause || !*cause) cause = "undecodable";
  size_t i = 0;
  while (i < c->n && strcmp(c->items[i].cause, cause) != 0) i++;
  if (i == c->n) {
    if (c->n == FEAST_DEAD_LETTER_CAUSES) {
      i = c->n - 1;
      snprintf(c->items[i].cause, sizeof c->items[i].cause, "other");
    } else {
      snprintf(c->items[i].cause, sizeof c->items[i].cause, "%s", cause);
      c->items[i].pending = c->items[i].written = 0;
      c->n++;
    }
  }
  c->items[i].pending++;
}

void feast_dead_letter_durable(feast_dead_letter_causes *c) {
  for (size_t i = 0; i < c->n; i++) {
    c->items[i].written += c->items[i].pending;
    c->items[i].pending = 0;
  }
}

static void add(feast_dead_letters *base, const feast_stream_origin *o, const char *cause, const char *reason) {
  parquet_sink *s = (parquet_sink *)base;
  if (s->failed) return;
  feast_error *err = &s->fail_err;
  if (!s->rows && !(s->rows = new_rows(err))) {
    s->failed = feast_fail(err, FEAST_E_NOMEM, "dead letters of %s: out of memory", s->table);
    return;
  }
  feast_array **c = s->rows->columns;
  const char *part = o->partition ? o->partition : "", *off = o->offset ? o->offset : "";
  feast_code rc = feast_array_append_bytes(c[C_TABLE], s->table, strlen(s->table), err);
  if (!rc) rc = feast_array_append_bytes(c[C_PARTITION], part, strlen(part), err);
  if (!rc) rc = feast_array_append_bytes(c[C_OFFSET], off, strlen(off), err);
  if (!rc) rc = feast_array_append_int(c[C_RECEIVED], feast_now(), err);
  if (!cause || !*cause) cause = "undecodable";
  if (!rc) rc = feast_array_append_bytes(c[C_CAUSE], cause, strlen(cause), err);
  if (!rc) rc = feast_array_append_bytes(c[C_REASON], reason, strlen(reason), err);
  if (!rc) rc = feast_array_append_bytes(c[C_VALUE], o->raw ? o->raw : (const uint8_t *)"", o->raw_len, err);
  if (rc) {
    s->failed = rc;
    return;
  }
  s->rows->num_rows++;
  feast_dead_letter_count(&s->base.causes, cause);
}

static feast_code sync_dir(const char *dir, feast_error *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return feast_fail(err, FEAST_E_IO, "dead letters: cannot open %s: %s", dir, strerror(errno));
  int rc = fsync(fd);
  int e = errno;
  close(fd);
  return rc ? feast_fail(err, FEAST_E_IO, "dead letters: fsync %s: %s", dir, strerror(e)) : FEAST_OK;
}

static feast_code flush(feast_dead_letters *base, feast_error *err) {
  parquet_sink *s = (parquet_sink *)base;
  if (s->failed) {
    *err = s->fail_err;
    return s->failed;
  }
  if (!s->rows || !s->rows->num_rows) return FEAST_OK;
  char path[4096];
  snprintf(path, sizeof path, "%s/%lld-%d-%lld.parquet", s->dir, (long long)feast_now(), (int)getpid(),
           (long long)s->files);
  feast_code rc = feast_parquet_write_file(path, s->rows, NULL, err);
  if (!rc) rc = sync_dir(s->dir, err);
  if (rc) return feast_error_prefix(err, "dead letters of %s: ", s->table);
  s->files++;
  s->base.written += s->rows->num_rows;
  feast_dead_letter_durable(&s->base.causes);
  feast_batch_free(s->rows);
  s->rows = NULL;
  return FEAST_OK;
}

static void close_sink(feast_dead_letters *base) {
  parquet_sink *s = (parquet_sink *)base;
  feast_batch_free(s->rows);
  feast_free(s->dir);
  feast_free(s->table);
  feast_free(s);
}

feast_code feast_dead_letters_parquet(const char *folder, const char *table, feast_dead_letters **out,
                                      feast_error *err) {
  if (mkdir(folder, 0777) && errno != EEXIST)
    return feast_fail(err, FEAST_E_IO, "dead letters: cannot create %s: %s", folder, strerror(errno));
  size_t n = strlen(folder) + strlen(table) + 2;
  parquet_sink *s = feast_calloc(1, sizeof *s);
  char *dir = feast_malloc(n);
  char *t = feast_strdup(table);
  if (!s || !dir || !t) {
    feast_free(s);
    feast_free(dir);
    feast_free(t);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  snprintf(dir, n, "%s/%s", folder, table);
  if (mkdir(dir, 0777) && errno != EEXIST) {
    feast_code rc = feast_fail(err, FEAST_E_IO, "dead letters: cannot create %s: %s", dir, strerror(errno));
    feast_free(s);
    feast_free(dir);
    feast_free(t);
    return rc;
  }
  s->base = (feast_dead_letters){add, flush, close_sink, 0, {0}};
  s->dir = dir;
  s->table = t;
  *out = &s->base;
  return FEAST_OK;
}
