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

#include "cli/cli_common.h"
#include "cli/cli_data.h"
#include "cli/cli_paths.h"
#include "cli/commands.h"
#include "feast/bigquery.h"
#include "feast/parquet_writer.h"
#include "feast/source.h"
#include "feast/store.h"

static const char USAGE[] =
    "usage: feast get-historical-features -f TABLE:FEATURE[,...] -e ENTITIES -o OUT.parquet\n"
    "                                     [--timestamp-column NAME] [--memory-limit SIZE]\n"
    "                                     [--threads N] [--codec CODEC] [--pushdown auto|always|never] [-p PROJECT]\n"
    "\n"
    "For every row of ENTITIES (a Parquet file, a dataset folder or a CSV file with the\n"
    "entity columns and an event timestamp column) and every referenced table, join the\n"
    "latest feature row with event time in [ts - max_age, ts] (ties: latest created time).\n"
    "OUT.parquet holds the entity columns, then one column per feature named TABLE__FEATURE.\n"
    "ENTITIES may be bq://PROJECT.DATASET.TABLE or bq:SELECT ... (rows in BigQuery), OUT may be\n"
    "bq://PROJECT.DATASET.TABLE (the training set is left in that table). When tables' sources are\n"
    "in BigQuery the join may run there (docs/bigquery.md).\n"
    "\n"
    "  -f, --features REFS        feature references (repeatable)\n"
    "  -e, --entities PATH        entity rows\n"
    "  -o, --output PATH          the training set (Parquet)\n"
    "      --timestamp-column C   entity timestamp column (default: event_timestamp)\n"
    "      --memory-limit SIZE    e.g. 4G, 512M (default: a quarter of RAM); larger inputs spill to disk\n"
    "      --threads N            threads for decoding, joining and writing (default: every core)\n"
    "      --codec CODEC          snappy (default), zstd, gzip, lz4, none\n"
    "      --pushdown POLICY      auto (default: bigquery.pushdown), always, never: join in BigQuery or here\n";

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

int cmd_get_historical_features(int argc, char **argv) {
  static const struct option longopts[] = {{"features", required_argument, NULL, 'f'},
                                           {"entities", required_argument, NULL, 'e'},
                                           {"output", required_argument, NULL, 'o'},
                                           {"timestamp-column", required_argument, NULL, 't'},
                                           {"memory-limit", required_argument, NULL, 'm'},
                                           {"threads", required_argument, NULL, 'j'},
                                           {"codec", required_argument, NULL, 'z'},
                                           {"project", required_argument, NULL, 'p'},
                                           {"pushdown", required_argument, NULL, 'P'},
                                           {"config", required_argument, NULL, 'c'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  cli_list refs = {0};
  int threads = 0;
  const char *entities_path = NULL, *out_path = NULL, *ts_col = "event_timestamp", *project = NULL;
  const char *config = NULL, *codec_name = "snappy", *pushdown = NULL;
  size_t memory_limit = 0;
  int rc = 0;
  optind = 1;
  opterr = 0;
  int c;
  while (!rc && (c = getopt_long(argc, argv, "f:e:o:p:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'f': rc = cli_list_add_split(&refs, optarg); break;
    case 'e': entities_path = optarg; break;
    case 'o': out_path = optarg; break;
    case 't': ts_col = optarg; break;
    case 'm':
      if (parse_size(optarg, &memory_limit)) rc = cli_fail("--memory-limit takes a size such as 4G or 512M, not '%s'", optarg);
      break;
    case 'j': threads = atoi(optarg); break;
    case 'z': codec_name = optarg; break;
    case 'p': project = optarg; break;
    case 'P': pushdown = optarg; break;
    case 'c': config = optarg; break;
    case 'h': fputs(USAGE, stdout); goto cleanup;
    default: rc = 2; fprintf(stderr, "feast: unknown or incomplete option '%s'\n%s", argv[optind - 1], USAGE);
    }
  }
  if (!rc && (!refs.n || !entities_path || !out_path || optind < argc)) {
    fprintf(stderr, "feast: %s\n%s",
            !refs.n ? "which features? (-f)" : !entities_path ? "which entity rows? (-e)"
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

  feast_store *store;
  if ((rc = cli_store_open(config, project, &store))) goto cleanup;
  feast_batch_source *entities = NULL, *result = NULL;
  feast_batch *entity_schema = NULL;
  feast_parquet_writer *w = NULL;
  feast_csv_column_type types[256];
  int ntypes = feast_store_entity_column_types(store, (const char *const *)refs.items, refs.n, ts_col, types, 256);
  bool to_bq = feast_bigquery_is_uri(out_path);
  if (to_bq && strncmp(out_path, "bq://", 5) != 0) {
    rc = cli_fail("-o %s: a BigQuery destination is bq://PROJECT.DATASET.TABLE", out_path);
    goto close;
  }
  const char *inputs[] = {entities_path};
  if (!to_bq && (rc = cli_check_output("-o", out_path, inputs, 1, store))) goto close;
  if (feast_bigquery_is_uri(entities_path) ? feast_bigquery_rows_open(entities_path, &entities, &entity_schema, &err)
                                           : feast_rows_open(entities_path, types, ntypes, &entities, &entity_schema, &err)) {
    rc = cli_fail_err(&err);
    goto close;
  }
  hist_progress prog;
  memset(&prog, 0, sizeof prog);
  cli_progress_init(&prog.p, "", -1);
  feast_historical_options opts = {ts_col, memory_limit, threads, NULL, on_progress, &prog};
  wopts.threads = threads; /* --threads bounds the writer too (0: its default) */
  feast_retrieval_summary sum;
  memset(&sum, 0, sizeof sum);
  double t0 = cli_now();
  feast_bigquery_historical_options bo = {to_bq ? out_path : NULL, pushdown};
  feast_bigquery_historical_info info;
  if (feast_store_get_historical_features_bq(store, (const char *const *)refs.items, refs.n, entities, &opts, &bo,
                                             &result, &sum, &info, &err)) {
    cli_progress_end(&prog.p);
    rc = cli_fail_err(&err);
    goto close;
  }
  if (strcmp(info.plan, "local") != 0)
    fprintf(stderr, "bigquery: plan %s (%s)%s%s, %lld bytes processed; upload %.2fs, job %.2fs, read %.2fs\n",
            info.plan, info.reason, info.job_id[0] ? ", job " : "", info.job_id, (long long)info.bytes_processed,
            info.upload_seconds, info.job_seconds, info.read_seconds);
  if (to_bq) {
    cli_progress_end(&prog.p);
    printf("wrote the training set to bq://%s: %d tables, %lld entity rows (%.2fs)\n", info.destination, sum.n_tables,
           (long long)sum.entity_rows, cli_now() - t0);
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
  feast_store_free(store);
cleanup:
  cli_list_clear(&refs);
  return rc;
}
