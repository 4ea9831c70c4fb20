/*
 * cli_data.c - sources, stores and progress for the data commands.
 */
#include "cli/cli_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "cli/cli_common.h"
#include "feast/parquet.h"

feast_code cli_online_uri(const feast_config *cfg, char *uri, size_t size, feast_error *err) {
  const feast_store_config *s = &cfg->online_store;
  const char *type = s->type ? s->type : "lmdb";
  if (strcmp(type, "lmdb") == 0) {
    const char *path = feast_map_get(&s->settings, "path");
    if (!path) path = "data/online_store";
    if (path[0] == '/')
      snprintf(uri, size, "lmdb:%s", path);
    else
      snprintf(uri, size, "lmdb:%s/%s", cfg->dir ? cfg->dir : ".", path);
    return FEAST_OK;
  }
  const char *conn = feast_map_get(&s->settings, "connection_string");
  if (strcmp(type, "redis") == 0) {
    if (!conn) conn = "localhost:6379";
    snprintf(uri, size, "%s%s", strncmp(conn, "redis://", 8) == 0 ? "" : "redis://", conn);
    return FEAST_OK;
  }
  if (strcmp(type, "redis_cluster") == 0) {
    const char *nodes = feast_map_get(&s->settings, "startup_nodes");
    if (!nodes) nodes = conn;
    if (!nodes)
      return feast_fail(err, FEAST_E_INVALID,
                        "online_store: redis_cluster needs startup_nodes (\"host:port,host:port\")");
    snprintf(uri, size, "redis-cluster://%s", nodes);
    return FEAST_OK;
  }
  return feast_fail(err, FEAST_E_INVALID, "online_store: unknown type '%s' (expected lmdb, redis or redis_cluster)",
                    type);
}

int cli_online_open(const feast_config *cfg, feast_online_store **out) {
  char uri[4096];
  feast_error err;
  if (cli_online_uri(cfg, uri, sizeof uri, &err) || feast_online_store_open(uri, NULL, out, &err))
    return cli_fail_err(&err);
  return 0;
}

static feast_code file_source_check(const feast_data_source *s, feast_error *err) {
  if (s->type == FEAST_SOURCE_FILE && s->file.file_url) return FEAST_OK;
  if (s->type == FEAST_SOURCE_BIGQUERY)
    return feast_fail(err, FEAST_E_UNSUPPORTED,
                      "BigQuery batch source %s: reading BigQuery is not available in this build; "
                      "export the table to Parquet and register a file source",
                      s->bigquery.table_ref ? s->bigquery.table_ref : "");
  return feast_fail(err, FEAST_E_INVALID, "the table's batch source is not a file source");
}

feast_code cli_batch_source_open(const feast_data_source *s, const char *const *columns, int ncols, bool prune,
                                 feast_ts lo, feast_ts hi, feast_batch_source **out, feast_error *err) {
  feast_code rc = file_source_check(s, err);
  if (rc) return rc;
  feast_parquet_range ranges[2];
  int nranges = 0;
  if (prune) {
    ranges[nranges++] = (feast_parquet_range){s->event_timestamp_column, lo, hi};
    if (s->date_partition_column) ranges[nranges++] = (feast_parquet_range){s->date_partition_column, lo, hi};
  }
  feast_parquet_dataset_options o;
  memset(&o, 0, sizeof o);
  o.columns = columns;
  o.ncolumns = ncols;
  o.ranges = ranges;
  o.nranges = nranges;
  o.date_partition_column = s->date_partition_column;
  rc = feast_parquet_dataset_open(s->file.file_url, &o, out, err);
  return rc ? feast_error_prefix(err, "batch source %s: ", s->file.file_url) : FEAST_OK;
}

feast_code cli_batch_source_schema(const feast_data_source *s, feast_batch **out, feast_error *err) {
  feast_batch_source *src;
  feast_code rc = cli_batch_source_open(s, NULL, 0, false, 0, 0, &src, err);
  if (rc) return rc;
  rc = feast_parquet_source_schema(src, out, err);
  src->close(src);
  return rc;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static feast_code copy_schema(const feast_batch *from, feast_batch **out, feast_error *err) {
  feast_batch *b = feast_batch_new(from->num_columns);
  if (!b) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int i = 0; i < from->num_columns; i++) {
    const feast_array *c = from->columns[i];
    feast_array *e = feast_array_new(c->type, c->child ? c->child->type : feast_dtype_make(FEAST_DT_NULL));
    feast_code rc = e ? feast_batch_set_column(b, i, from->names[i], e, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (rc) {
      feast_batch_free(b);
      return rc;
    }
  }
  *out = b;
  return FEAST_OK;
}

feast_code cli_rows_open(const char *path, const feast_csv_column_type *types, int ntypes, feast_batch_source **out,
                         feast_batch **schema, feast_error *err) {
  feast_code rc;
  if (ends_with(path, ".csv")) {
    feast_csv_options o;
    feast_csv_options_init(&o);
    o.types = types;
    o.num_types = ntypes;
    if ((rc = feast_csv_open(path, &o, out, err))) return rc;
    rc = copy_schema(feast_csv_schema(*out), schema, err);
  } else {
    if ((rc = feast_parquet_dataset_open(path, NULL, out, err))) return rc;
    rc = feast_parquet_source_schema(*out, schema, err);
  }
  if (rc) (*out)->close(*out);
  return rc;
}

void cli_entities_free(feast_entity_spec *e, size_t n) {
  for (size_t i = 0; e && i < n; i++) feast_entity_spec_clear(&e[i]);
  feast_free(e);
}

feast_code cli_table_entities(feast_registry *reg, const char *project, const feast_feature_table_spec *t,
                              feast_entity_spec **out, feast_error *err) {
  feast_entity_spec *e = feast_calloc(t->n_entities + 1, sizeof *e);
  if (!e) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; i < t->n_entities; i++) {
    feast_entity ent;
    memset(&ent, 0, sizeof ent);
    feast_code rc = feast_registry_get_entity(reg, project, t->entities[i], &ent, err);
    if (rc) {
      cli_entities_free(e, i);
      return rc;
    }
    e[i] = ent.spec; /* moved: ent.meta holds nothing to free */
  }
  *out = e;
  return FEAST_OK;
}

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void cli_progress_init(cli_progress *p, const char *what, int64_t total) {
  p->what = what;
  p->tty = isatty(STDERR_FILENO) && !getenv("FEAST_NO_PROGRESS");
  p->start = cli_now();
  p->last = 0;
  p->total = total;
}

void cli_progress_update(cli_progress *p, int64_t done) {
  if (!p->tty) return;
  double now = cli_now();
  if (now - p->last < 0.2) return;
  p->last = now;
  double rate = done / (now - p->start > 1e-9 ? now - p->start : 1e-9);
  if (p->total > 0 && rate > 0) {
    double eta = (p->total - done) / rate;
    fprintf(stderr, "\r\033[K%s: %lld / %lld rows (%.0f%%), %.0f rows/s, ETA %.0fs", p->what, (long long)done,
            (long long)p->total, 100.0 * done / p->total, rate, eta > 0 ? eta : 0);
  } else {
    fprintf(stderr, "\r\033[K%s: %lld rows, %.0f rows/s", p->what, (long long)done, rate);
  }
}

void cli_progress_end(cli_progress *p) {
  if (p->tty && p->last > 0) fprintf(stderr, "\r\033[K");
}

typedef struct progress_source {
  feast_batch_source base;
  feast_batch_source *inner;
  cli_progress *p;
  int64_t rows;
} progress_source;

static feast_code progress_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  progress_source *s = (progress_source *)self;
  feast_code rc = s->inner->next(s->inner, out, err);
  if (!rc && *out) {
    s->rows += (*out)->num_rows;
    cli_progress_update(s->p, s->rows);
  }
  return rc;
}

static void progress_close(feast_batch_source *self) {
  progress_source *s = (progress_source *)self;
  s->inner->close(s->inner);
  feast_free(s);
}

feast_code cli_progress_source(feast_batch_source *inner, cli_progress *p, feast_batch_source **out, feast_error *err) {
  progress_source *s = feast_calloc(1, sizeof *s);
  if (!s) {
    inner->close(inner);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  s->base.next = progress_next;
  s->base.close = progress_close;
  s->inner = inner;
  s->p = p;
  *out = &s->base;
  return FEAST_OK;
}
