/*
 * cmd_push.c - `feast push TABLE FILE [--to online|offline|both]`: rows from
 * a Parquet or CSV file go to the table's batch source as a new Parquet file
 * (inside the right date partition when the source has one) through
 * feast_store_push_offline, the way Feast 0.9's client.ingest did, and/or
 * into the online store through the same "only if newer" path as
 * `feast ingest`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_common.h"
#include "cli/cli_data.h"
#include "cli/cli_ingest.h"
#include "cli/commands.h"
#include "feast/sdk.h"
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

/* Each Parquet file the library's push wrote. */
/* The files the offline part wrote: removed again when the online part
 * fails, so a failed `--to both` leaves the source as it was. */
typedef struct pushed_files {
  size_t n;
  char *paths[256];
} pushed_files;

static void print_file(void *ctx, const char *path, int64_t rows) {
  pushed_files *f = ctx;
  printf("offline: %s (%lld rows)\n", path, (long long)rows);
  if (f->n < sizeof f->paths / sizeof *f->paths) f->paths[f->n++] = strdup(path);
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
  if (feast_rows_open(file, types, ntypes, &src, &schema, &err) || read_all(src, &rows, &err)) {
    rc = cli_fail_err(&err);
    goto done;
  }
  if (rows.n == 0) {
    printf("%s holds no rows: nothing to push\n", file);
    goto done;
  }
  pushed_files written = {0};
  if (offline) {
    /* The file read again, as a source the library's push consumes. */
    feast_batch_source *again = NULL;
    feast_batch *again_schema = NULL;
    feast_code prc = feast_rows_open(file, types, ntypes, &again, &again_schema, &err);
    if (!prc) prc = feast_store_push_offline(store, table_name, again, print_file, &written, &err);
    if (prc) feast_error_prefix(&err, "%s: nothing was pushed: ", file);
    if (again) again->close(again);
    feast_batch_free(again_schema);
    if (prc) {
      rc = cli_fail_err(&err);
      goto done;
    }
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
    for (size_t i = 0; rc && i < written.n; i++)
      if (written.paths[i] && unlink(written.paths[i]) == 0) printf("offline: removed %s again\n", written.paths[i]);
  }
  for (size_t i = 0; i < written.n; i++) free(written.paths[i]);
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
