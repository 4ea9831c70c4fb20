/*
 * cmd_historical.c - `feast get-historical-features -f REFS -e ENTITIES
 * -o OUT.parquet`: the point-in-time join of an entity file (Parquet file,
 * dataset folder or CSV) with the referenced tables' batch sources, streamed
 * into a Parquet file. The engine is src/engine/retrieval*.c; this file
 * binds it to the registry, the Parquet dataset reader and the writer.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "cli/cli_common.h"
#include "cli/cli_data.h"
#include "cli/commands.h"
#include "feast/parquet_writer.h"
#include "feast/retrieval.h"

static const char USAGE[] =
    "usage: feast get-historical-features -f TABLE:FEATURE[,...] -e ENTITIES -o OUT.parquet\n"
    "                                     [--timestamp-column NAME] [--memory-limit SIZE]\n"
    "                                     [--threads N] [--codec CODEC] [-p PROJECT]\n"
    "\n"
    "For every row of ENTITIES (a Parquet file, a dataset folder or a CSV file with the\n"
    "entity columns and an event timestamp column) and every referenced table, join the\n"
    "latest feature row with event time in [ts - max_age, ts] (ties: latest created time).\n"
    "OUT.parquet holds the entity columns, then one column per feature named TABLE__FEATURE.\n"
    "\n"
    "  -f, --features REFS        feature references (repeatable)\n"
    "  -e, --entities PATH        entity rows\n"
    "  -o, --output PATH          the training set (Parquet)\n"
    "      --timestamp-column C   entity timestamp column (default: event_timestamp)\n"
    "      --memory-limit SIZE    e.g. 4G, 512M (default: a quarter of RAM); larger inputs spill to disk\n"
    "      --threads N            worker threads (default: every core)\n"
    "      --codec CODEC          snappy (default), zstd, gzip, lz4, none\n";

#define MAX_TABLES 64

typedef struct hist_tables {
  feast_feature_table t[MAX_TABLES];
  feast_value_type types[MAX_TABLES][64];
  feast_retrieval_table rt[MAX_TABLES];
  size_t n;
} hist_tables;

static feast_code open_source(void *ctx, const feast_feature_table_spec *table, const char *const *columns,
                              int ncols, feast_ts lo, feast_ts hi, feast_batch_source **out, feast_error *err) {
  (void)ctx;
  return cli_batch_source_open(&table->batch_source, columns, ncols, true, lo, hi, out, err);
}

static feast_code source_schema(void *ctx, const feast_feature_table_spec *table, feast_batch **out,
                                feast_error *err) {
  (void)ctx;
  return cli_batch_source_schema(&table->batch_source, out, err);
}

typedef struct hist_progress {
  cli_progress p;
  char phase[128];
} hist_progress;

static void on_progress(void *ctx, const char *phase, int64_t done, int64_t total) {
  hist_progress *h = ctx;
  if (strcmp(h->phase, phase) != 0) {
    cli_progress_end(&h->p);
    snprintf(h->phase, sizeof h->phase, "%s", phase);
    cli_progress_init(&h->p, h->phase, total);
  }
  cli_progress_update(&h->p, done);
}

static int parse_size(const char *s, size_t *out) {
  char *end;
  double v = strtod(s, &end);
  double mul = 1;
  switch (*end) {
  case 'k': case 'K': mul = 1024.0; end++; break;
  case 'm': case 'M': mul = 1024.0 * 1024; end++; break;
  case 'g': case 'G': mul = 1024.0 * 1024 * 1024; end++; break;
  case 't': case 'T': mul = 1024.0 * 1024 * 1024 * 1024; end++; break;
  default: break;
  }
  if (*end == 'B' || *end == 'b') end++;
  if (end == s || *end || v <= 0) return -1;
  *out = (size_t)(v * mul);
  return 0;
}

/* Load each referenced table and its entities' types from the registry;
 * every problem is appended to `problems`. */
static void load_tables(feast_registry *reg, const char *project, char **refs, int n_refs, hist_tables *h,
                        feast_error *problems) {
  for (int i = 0; i < n_refs; i++) {
    char *colon = strchr(refs[i], ':');
    if (!colon) continue; /* the engine reports malformed references */
    size_t len = (size_t)(colon - refs[i]);
    bool have = false;
    for (size_t k = 0; k < h->n && !have; k++)
      have = strlen(h->t[k].spec.name) == len && strncmp(h->t[k].spec.name, refs[i], len) == 0;
    if (have || h->n == MAX_TABLES) continue;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)len, refs[i]);
    feast_error err;
    feast_feature_table *t = &h->t[h->n];
    memset(t, 0, sizeof *t);
    if (feast_registry_get_feature_table(reg, project, name, t, &err)) {
      if (err.code != FEAST_E_NOT_FOUND) feast_error_append(problems, "%s", err.message);
      continue; /* unknown tables are reported by the engine, with the rest */
    }
    for (size_t e = 0; e < t->spec.n_entities && e < 64; e++) {
      feast_entity ent;
      memset(&ent, 0, sizeof ent);
      if (feast_registry_get_entity(reg, project, t->spec.entities[e], &ent, &err)) {
        feast_error_append(problems, "%s", err.message);
        h->types[h->n][e] = FEAST_VT_INVALID;
      } else {
        h->types[h->n][e] = ent.spec.value_type;
        feast_entity_clear(&ent);
      }
    }
    h->rt[h->n].spec = &t->spec;
    h->rt[h->n].entity_types = h->types[h->n];
    h->n++;
  }
}

/* CSV entity files: entity columns take their declared types, the
 * timestamp column is a timestamp; the rest is inferred. */
static int entity_csv_types(const hist_tables *h, const char *ts_col, feast_csv_column_type *types) {
  int n = 0;
  types[n++] = (feast_csv_column_type){ts_col, feast_dtype_timestamp(FEAST_UNIT_US, true)};
  for (size_t i = 0; i < h->n; i++)
    for (size_t e = 0; e < h->t[i].spec.n_entities && n < 256; e++) {
      bool dup = false;
      for (int k = 0; k < n && !dup; k++) dup = strcmp(types[k].name, h->t[i].spec.entities[e]) == 0;
      if (!dup) types[n++] = (feast_csv_column_type){h->t[i].spec.entities[e], feast_dtype_for_value_type(h->types[i][e])};
    }
  return n;
}

int cmd_get_historical_features(int argc, char **argv) {
  static const struct option longopts[] = {{"features", required_argument, NULL, 'f'},
                                           {"entities", required_argument, NULL, 'e'},
                                           {"output", required_argument, NULL, 'o'},
                                           {"timestamp-column", required_argument, NULL, 't'},
                                           {"memory-limit", required_argument, NULL, 'm'},
                                           {"threads", required_argument, NULL, 'j'},
                                           {"codec", required_argument, NULL, 'z'},
                                           {"project", required_argument, NULL, 'p'},
                                           {"config", required_argument, NULL, 'c'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  char *refs[1024];
  int n_refs = 0, threads = 0;
  const char *entities_path = NULL, *out_path = NULL, *ts_col = "event_timestamp", *project = NULL;
  const char *config = cli_global_config, *codec_name = "snappy";
  size_t memory_limit = 0;
  int rc = 0;
  optind = 1;
  opterr = 0;
  int c;
  while (!rc && (c = getopt_long(argc, argv, "f:e:o:p:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'f': {
      char *save = NULL, *copy = feast_strdup(optarg);
      for (char *r = strtok_r(copy, ",", &save); r && n_refs < 1024; r = strtok_r(NULL, ",", &save))
        refs[n_refs++] = feast_strdup(r);
      feast_free(copy);
      break;
    }
    case 'e': entities_path = optarg; break;
    case 'o': out_path = optarg; break;
    case 't': ts_col = optarg; break;
    case 'm':
      if (parse_size(optarg, &memory_limit)) rc = cli_fail("--memory-limit takes a size such as 4G or 512M, not '%s'", optarg);
      break;
    case 'j': threads = atoi(optarg); break;
    case 'z': codec_name = optarg; break;
    case 'p': project = optarg; break;
    case 'c': config = optarg; break;
    case 'h': fputs(USAGE, stdout); goto cleanup;
    default: rc = 2; fprintf(stderr, "feast: unknown or incomplete option '%s'\n%s", argv[optind - 1], USAGE);
    }
  }
  if (!rc && (!n_refs || !entities_path || !out_path || optind < argc)) {
    fprintf(stderr, "feast: %s\n%s",
            !n_refs ? "which features? (-f)" : !entities_path ? "which entity rows? (-e)"
                                           : !out_path        ? "where to write? (-o OUT.parquet)"
                                                              : "unexpected argument",
            USAGE);
    rc = 2;
  }
  feast_parquet_write_options wopts;
  feast_parquet_write_options_init(&wopts);
  feast_error err;
  if (!rc && feast_parquet_codec_parse(codec_name, &wopts.codec, &err)) rc = cli_fail_err(&err);
  if (rc) goto cleanup;

  cli_opts o;
  memset(&o, 0, sizeof o);
  o.config_path = config;
  o.project = project;
  feast_config cfg;
  feast_registry *reg;
  if ((rc = cli_open(&o, &cfg, &reg))) goto cleanup;
  hist_tables *h = feast_calloc(1, sizeof *h);
  feast_batch_source *entities = NULL, *result = NULL;
  feast_batch *entity_schema = NULL;
  feast_parquet_writer *w = NULL;
  feast_error problems;
  feast_error_clear(&problems);
  if (!h) {
    rc = cli_fail("out of memory");
    goto close;
  }
  load_tables(reg, cli_project(&o, &cfg), refs, n_refs, h, &problems);
  if (problems.message[0]) {
    rc = cli_fail("%s", problems.message);
    goto close;
  }
  feast_csv_column_type types[256];
  if (cli_rows_open(entities_path, types, entity_csv_types(h, ts_col, types), &entities, &entity_schema, &err)) {
    rc = cli_fail_err(&err);
    goto close;
  }
  hist_progress prog;
  memset(&prog, 0, sizeof prog);
  cli_progress_init(&prog.p, "", -1);
  feast_retrieval_request req;
  memset(&req, 0, sizeof req);
  req.entities = entities;
  req.entity_ts_column = ts_col;
  req.n_refs = (size_t)n_refs;
  req.refs = (const char *const *)refs;
  req.n_tables = h->n;
  req.tables = h->rt;
  req.open_source = open_source;
  req.source_schema = source_schema;
  req.memory_limit = memory_limit;
  req.threads = threads;
  req.progress = on_progress;
  req.progress_ctx = &prog;
  feast_retrieval_summary sum;
  memset(&sum, 0, sizeof sum);
  double t0 = cli_now();
  if (feast_historical_retrieve(&req, &result, &sum, &err)) {
    cli_progress_end(&prog.p);
    rc = cli_fail_err(&err);
    goto close;
  }
  int64_t rows = 0;
  feast_code wrc = feast_parquet_writer_open(out_path, feast_retrieval_schema(result), &wopts, &w, &err);
  while (!wrc) {
    feast_batch *b;
    if ((wrc = result->next(result, &b, &err)) || !b) break;
    rows += b->num_rows;
    wrc = feast_parquet_writer_write(w, b, &err);
    feast_batch_free(b);
  }
  if (!wrc) wrc = feast_parquet_writer_close(w, &err);
  cli_progress_end(&prog.p);
  if (wrc) {
    rc = cli_fail_err(&err);
    goto close;
  }
  printf("wrote %lld rows to %s: %d tables, %lld of %lld (row, table) pairs matched, %lld feature rows read%s (%.2fs)\n",
         (long long)rows, out_path, sum.n_tables, (long long)sum.matched, (long long)sum.entity_rows * sum.n_tables,
         (long long)sum.source_rows, sum.tables_spilled ? ", spilled to disk" : "", cli_now() - t0);
close:
  feast_parquet_writer_free(w);
  if (result) result->close(result);
  if (entities) entities->close(entities);
  feast_batch_free(entity_schema);
  if (h) {
    for (size_t i = 0; i < h->n; i++) feast_feature_table_clear(&h->t[i]);
    feast_free(h);
  }
  feast_registry_free(reg);
  feast_config_clear(&cfg);
cleanup:
  for (int i = 0; i < n_refs; i++) feast_free(refs[i]);
  return rc;
}
