/*
 * cmd_push.c - `feast push TABLE FILE [--to online|offline|both]`: rows from
 * a Parquet or CSV file go to the table's batch source as a new Parquet file
 * (inside the right date partition when the source has one), the way Feast
 * 0.9's client.ingest did, and/or into the online store through the same
 * "only if newer" path as `feast ingest`.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_common.h"
#include "cli/cli_data.h"
#include "cli/cli_ingest.h"
#include "cli/commands.h"
#include "feast/bigquery.h"
#include "feast/parquet_writer.h"
#include "feast/source.h"

static const char USAGE[] =
    "usage: feast push TABLE FILE [--to online|offline|both] [-p PROJECT]\n"
    "\n"
    "Push rows from FILE (Parquet, or CSV with a header row) whose columns are the\n"
    "table's batch source columns.\n"
    "  offline: appended to the batch source folder as a new Parquet file (in its\n"
    "           date partition folder when the source has datePartitionColumn), or to\n"
    "           the table of a BigQuery source by a load job\n"
    "  online:  written to the online store; older rows never replace newer ones\n"
    "  --to     where to push (default: both; offline first)\n";

/* Read every batch of the file (pushes are modest; ingest reads sources in a stream). */
typedef struct batches {
  feast_batch **items;
  int n;
} batches;

static void batches_free(batches *b) {
  for (int i = 0; i < b->n; i++) feast_batch_free(b->items[i]);
  free(b->items);
  memset(b, 0, sizeof *b);
}

static feast_code read_all(feast_batch_source *src, batches *out, feast_error *err) {
  for (;;) {
    feast_batch *b;
    feast_code rc = src->next(src, &b, err);
    if (rc) return rc;
    if (!b) return FEAST_OK;
    feast_batch **items = realloc(out->items, (size_t)(out->n + 1) * sizeof *items);
    if (!items) {
      feast_batch_free(b);
      return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    }
    out->items = items;
    out->items[out->n++] = b;
  }
}

/* A source replaying batches already read (taken over from `b`). */
typedef struct replay {
  feast_batch_source base;
  batches b;
  int next;
} replay;

static feast_code replay_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  (void)err;
  replay *r = (replay *)self;
  *out = r->next < r->b.n ? r->b.items[r->next] : NULL;
  if (*out) r->b.items[r->next++] = NULL;
  return FEAST_OK;
}

static void replay_close(feast_batch_source *self) {
  replay *r = (replay *)self;
  batches_free(&r->b);
  free(r);
}

/* CSV column types: what the spec says each column holds. */
static int csv_types(const feast_feature_table_spec *t, const feast_entity_spec *ents, feast_csv_column_type *types) {
  const feast_data_source *s = &t->batch_source;
  int n = 0;
  for (size_t i = 0; i < t->n_entities; i++)
    types[n++] = (feast_csv_column_type){feast_source_column(s, t->entities[i]),
                                         feast_dtype_for_value_type(ents[i].value_type)};
  for (size_t i = 0; i < t->n_features && n < 1020; i++)
    if (!feast_value_type_is_list(t->features[i].value_type))
      types[n++] = (feast_csv_column_type){feast_source_column(s, t->features[i].name),
                                           feast_dtype_for_value_type(t->features[i].value_type)};
  feast_dtype ts = feast_dtype_timestamp(FEAST_UNIT_US, true);
  if (s->event_timestamp_column) types[n++] = (feast_csv_column_type){s->event_timestamp_column, ts};
  if (s->created_timestamp_column) types[n++] = (feast_csv_column_type){s->created_timestamp_column, ts};
  return n;
}

/* CSV column types from the files already in the source, so the pushed file
 * matches them (partition columns come from folder names, not files). */
static int csv_types_from(const feast_batch *existing, const char *partition, feast_csv_column_type *types, int max) {
  int n = 0;
  for (int i = 0; i < existing->num_columns && n < max; i++)
    if (!partition || strcmp(existing->names[i], partition) != 0)
      types[n++] = (feast_csv_column_type){existing->names[i], existing->columns[i]->type};
  return n;
}

/* The pushed rows must have exactly the columns and types of the files
 * already in the source: the dataset reader requires one schema. */
static feast_code check_same_columns(const feast_batch *existing, const char *partition, const feast_batch *pushed,
                                     const char *file, feast_error *err) {
  feast_error_clear(err);
  char a[64], b[64];
  for (int i = 0; i < existing->num_columns; i++) {
    const char *name = existing->names[i];
    if (partition && strcmp(name, partition) == 0) continue;
    int j = feast_batch_find(pushed, name);
    if (j < 0) {
      feast_error_append(err, "column '%s' is missing (the batch source's files have it)", name);
      continue;
    }
    const feast_array *x = existing->columns[i], *y = pushed->columns[j];
    if (!feast_dtype_equal(x->type, y->type) ||
        (x->child && (!y->child || !feast_dtype_equal(x->child->type, y->child->type))))
      feast_error_append(err, "column '%s' is %s, the batch source's files have %s", name,
                         feast_dtype_name(y->child ? y->child->type : y->type, a, sizeof a),
                         feast_dtype_name(x->child ? x->child->type : x->type, b, sizeof b));
  }
  for (int j = 0; j < pushed->num_columns; j++)
    if (feast_batch_find(existing, pushed->names[j]) < 0 || (partition && strcmp(pushed->names[j], partition) == 0))
      feast_error_append(err, "column '%s' is not in the batch source's files", pushed->names[j]);
  if (!err->message[0]) return FEAST_OK;
  err->code = FEAST_E_SCHEMA;
  return feast_error_prefix(err, "%s does not match the batch source; nothing was pushed:\n", file);
}

/* The folder of a file source ("file:///data/x/" -> "/data/x"). */
static feast_code source_dir(const feast_data_source *s, char *dir, size_t size, feast_error *err) {
  const char *url = s->file.file_url;
  if (!url || s->type != FEAST_SOURCE_FILE)
    return feast_fail(err, FEAST_E_INVALID, "push --to offline needs a file batch source");
  if (strncmp(url, "file://", 7) == 0) url += 7;
  if (strpbrk(url, "*?["))
    return feast_fail(err, FEAST_E_INVALID, "batch source %s is a glob: push --to offline needs a folder", url);
  struct stat st;
  if (stat(url, &st) == 0 && !S_ISDIR(st.st_mode))
    return feast_fail(err, FEAST_E_INVALID,
                      "batch source %s is a single file: push --to offline needs a folder source", url);
  snprintf(dir, size, "%s", url);
  size_t n = strlen(dir);
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

/* A new batch holding rows idx[0..n) of b. */
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

#define US_PER_DAY (86400 * FEAST_US_PER_SEC)

static int64_t day_of(int64_t us) { return us / US_PER_DAY - (us % US_PER_DAY < 0); }

/* One new Parquet file per push (per date partition when partitioned). */
static feast_code write_offline(const feast_data_source *s, const batches *rows, feast_error *err) {
  char dir[PATH_MAX];
  feast_code rc = source_dir(s, dir, sizeof dir, err);
  if (rc) return rc;
  char name[96];
  snprintf(name, sizeof name, "part-%lld-%d.parquet", (long long)feast_now(), (int)getpid());
  if (!s->date_partition_column) {
    if (mkdirs(dir) != 0) return feast_fail(err, FEAST_E_IO, "cannot create %s: %s", dir, strerror(errno));
    char path[PATH_MAX + 100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    feast_parquet_writer *w;
    if ((rc = feast_parquet_writer_open(path, rows->items[0], NULL, &w, err))) return rc;
    for (int i = 0; i < rows->n && !rc; i++) rc = feast_parquet_writer_write(w, rows->items[i], err);
    if (!rc) rc = feast_parquet_writer_close(w, err);
    feast_parquet_writer_free(w);
    if (!rc) printf("offline: %s\n", path);
    return rc;
  }
  /* Partitioned: one file per event date, in <dir>/<column>=YYYY-MM-DD/. */
  int ts_col = feast_batch_find(rows->items[0], s->event_timestamp_column);
  if (ts_col < 0)
    return feast_fail(err, FEAST_E_SCHEMA, "the file has no event timestamp column '%s'", s->event_timestamp_column);
  for (int i = 0; i < rows->n && !rc; i++) {
    const feast_batch *b = rows->items[i];
    const feast_array *ts = b->columns[ts_col];
    int64_t *idx = malloc((size_t)(b->num_rows + 1) * sizeof *idx);
    bool *done = calloc((size_t)b->num_rows + 1, 1);
    if (!idx || !done) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    for (int64_t r = 0; !rc && r < b->num_rows; r++) {
      if (done[r]) continue;
      if (!feast_array_is_valid(ts, r)) {
        rc = feast_fail(err, FEAST_E_INVALID, "row %lld has no event timestamp", (long long)r + 1);
        break;
      }
      int64_t day = day_of(feast_array_get_ts_us(ts, r)), n = 0;
      for (int64_t k = r; k < b->num_rows; k++) {
        if (done[k] || !feast_array_is_valid(ts, k)) continue;
        if (day_of(feast_array_get_ts_us(ts, k)) == day) {
          idx[n++] = k;
          done[k] = true;
        }
      }
      int64_t y;
      unsigned m, d;
      feast_civil_from_days(day, &y, &m, &d);
      char part[PATH_MAX + 200], path[PATH_MAX + 400];
      snprintf(part, sizeof part, "%s/%s=%04lld-%02u-%02u", dir, s->date_partition_column, (long long)y, m, d);
      snprintf(path, sizeof path, "%s/b%d-%s", part, i, name);
      feast_batch *sub = NULL;
      if (mkdirs(part) != 0) {
        rc = feast_fail(err, FEAST_E_IO, "cannot create %s: %s", part, strerror(errno));
      } else if (!(rc = take_rows(b, idx, n, &sub, err))) {
        rc = feast_parquet_write_file(path, sub, NULL, err);
        feast_batch_free(sub);
        if (!rc) printf("offline: %s\n", path);
      }
    }
    free(idx);
    free(done);
  }
  return rc;
}

int cmd_push(int argc, char **argv) {
  static const struct option longopts[] = {{"to", required_argument, NULL, 't'},
                                           {"project", required_argument, NULL, 'p'},
                                           {"config", required_argument, NULL, 'c'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  const char *to = "both", *project = NULL, *config = NULL;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "p:h", longopts, NULL)) != -1) {
    switch (c) {
    case 't': to = optarg; break;
    case 'p': project = optarg; break;
    case 'c': config = optarg; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: fprintf(stderr, "feast: unknown or incomplete option '%s'\n%s", argv[optind - 1], USAGE); return 2;
    }
  }
  bool online = strcmp(to, "online") == 0 || strcmp(to, "both") == 0;
  bool offline = strcmp(to, "offline") == 0 || strcmp(to, "both") == 0;
  if (!online && !offline) return fprintf(stderr, "feast: --to takes online, offline or both\n%s", USAGE), 2;
  if (argc - optind != 2) return fprintf(stderr, "feast: push takes TABLE and FILE\n%s", USAGE), 2;
  const char *table_name = argv[optind], *file = argv[optind + 1];

  feast_store *store;
  int rc = cli_store_open(config, project, &store);
  if (rc) return rc;
  feast_registry *reg = feast_store_registry(store);
  const char *proj = feast_store_project(store);
  feast_error err;
  feast_feature_table table;
  memset(&table, 0, sizeof table);
  feast_entity_spec ents[64];
  size_t n_ents = 0;
  feast_batch_source *src = NULL;
  feast_batch *schema = NULL, *existing = NULL;
  batches rows = {0};
  feast_csv_column_type types[1024];
  if (feast_registry_get_feature_table(reg, proj, table_name, &table, &err)) {
    rc = cli_fail_err(&err);
    goto done;
  }
  for (; n_ents < table.spec.n_entities && n_ents < 64; n_ents++) {
    feast_entity e;
    memset(&e, 0, sizeof e);
    if (feast_registry_get_entity(reg, proj, table.spec.entities[n_ents], &e, &err)) {
      rc = cli_fail_err(&err);
      goto done;
    }
    ents[n_ents] = e.spec;
  }
  /* Files already in the source fix the schema a push must have. */
  const feast_data_source *bs = &table.spec.batch_source;
  feast_error probe;
  if (feast_source_schema(bs, &existing, &probe) != FEAST_OK) existing = NULL; /* an empty source: the spec decides */
  int ntypes = existing ? csv_types_from(existing, bs->date_partition_column, types, 1024)
                        : csv_types(&table.spec, ents, types);
  if (feast_rows_open(file, types, ntypes, &src, &schema, &err) ||
      (offline && existing && bs->type == FEAST_SOURCE_FILE &&
       check_same_columns(existing, bs->date_partition_column, schema, file, &err)) ||
      read_all(src, &rows, &err)) {
    rc = cli_fail_err(&err);
    goto done;
  }
  if (rows.n == 0) {
    printf("%s holds no rows: nothing to push\n", file);
    goto done;
  }
  if (offline && bs->type == FEAST_SOURCE_BIGQUERY) {
    /* A BigQuery source: one load job appends the rows to its table. */
    int64_t loaded = 0;
    if (feast_bigquery_append(bs, rows.items, (size_t)rows.n, &loaded, &err)) {
      rc = cli_fail_err(&err);
      goto done;
    }
    printf("offline: %lld rows appended to %s\n", (long long)loaded, bs->bigquery.table_ref);
  } else if (offline && write_offline(&table.spec.batch_source, &rows, &err)) {
    rc = cli_fail_err(&err);
    goto done;
  }
  if (online) {
    replay *r = calloc(1, sizeof *r);
    if (!r) {
      rc = cli_fail("out of memory");
      goto done;
    }
    r->base.next = replay_next;
    r->base.close = replay_close;
    r->b = rows;
    memset(&rows, 0, sizeof rows);
    cli_ingest_args a;
    memset(&a, 0, sizeof a);
    a.rows = &r->base;
    rc = cli_ingest_source(store, table_name, &a);
  }
done:
  batches_free(&rows);
  if (src) src->close(src);
  feast_batch_free(schema);
  feast_batch_free(existing);
  for (size_t i = 0; i < n_ents; i++) feast_entity_spec_clear(&ents[i]);
  feast_feature_table_clear(&table);
  feast_store_free(store);
  return rc;
}
