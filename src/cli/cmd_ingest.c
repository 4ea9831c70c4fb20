/*
 * cmd_ingest.c - `feast ingest TABLE` (and Feast 0.9's `feast jobs
 * sync-offline-to-online`): read a feature table's batch source inside a
 * time window and write the latest row per entity key into the online store;
 * rejected rows optionally go to a dead-letter Parquet file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/cli_data.h"
#include "cli/cli_ingest.h"
#include "cli/cli_paths.h"
#include "cli/commands.h"
#include "feast/parquet_writer.h"
#include "feast/source.h"

static const char USAGE[] =
    "usage: feast ingest TABLE [--start TS] [--end TS] [--dead-letter PATH] [-p PROJECT]\n"
    "       feast jobs sync-offline-to-online -t TABLE [-s TS] [-e TS] [--dead-letter PATH] [-p PROJECT]\n"
    "\n"
    "Read TABLE's batch source rows with START <= event time < END (all rows when no\n"
    "window is given) and write the latest row per entity key to the online store of\n"
    "feature_store.yaml. A stored row is replaced only by a newer (event, created) time.\n"
    "\n"
    "  -s, --start TS          window start, inclusive (2021-04-12T00:00:00Z, Unix seconds, ...)\n"
    "  -e, --end TS            window end, exclusive\n"
    "      --dead-letter PATH  write rejected rows (with a `reason` column) to this Parquet file\n"
    "  -p, --project NAME      project (default: from feature_store.yaml)\n"
    "      --config FILE       feature_store.yaml to use\n";

/* ---- dead letters: rejected rows with their reason, kept in memory ---- */

typedef struct dead_letters {
  feast_batch *rows; /* the source's columns + reason + source_row */
  feast_error err;
  bool failed;
} dead_letters;

static feast_code dead_letters_init(dead_letters *d, const feast_batch *like, feast_error *err) {
  int n = like->num_columns;
  feast_batch *b = feast_batch_new(n + 2);
  if (!b) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = FEAST_OK;
  for (int i = 0; i < n && !rc; i++) {
    const feast_array *c = like->columns[i];
    feast_array *e = feast_array_new(c->type, c->child ? c->child->type : feast_dtype_make(FEAST_DT_NULL));
    rc = e ? feast_batch_set_column(b, i, like->names[i], e, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  feast_array *reason = rc ? NULL : feast_array_new(feast_dtype_make(FEAST_DT_STRING), feast_dtype_make(FEAST_DT_NULL));
  feast_array *row = rc ? NULL : feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(FEAST_DT_NULL));
  if (!rc && (!reason || !row)) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) rc = feast_batch_set_column(b, n, "reason", reason, err);
  else feast_array_free(reason);
  if (!rc) rc = feast_batch_set_column(b, n + 1, "source_row", row, err);
  else feast_array_free(row);
  if (rc) {
    feast_batch_free(b);
    return rc;
  }
  d->rows = b;
  return FEAST_OK;
}

static void on_reject(void *ctx, const feast_batch *batch, int64_t row, int64_t source_row, const char *reason) {
  dead_letters *d = ctx;
  if (d->failed) return;
  if (!d->rows && dead_letters_init(d, batch, &d->err)) {
    d->failed = true;
    return;
  }
  int n = d->rows->num_columns - 2;
  if (batch->num_columns != n) {
    d->failed = true;
    feast_fail(&d->err, FEAST_E_INTERNAL, "rejected rows came with different columns");
    return;
  }
  feast_code rc = FEAST_OK;
  for (int i = 0; i < n && !rc; i++) rc = feast_array_append_range(d->rows->columns[i], batch->columns[i], row, 1, &d->err);
  if (!rc) rc = feast_array_append_bytes(d->rows->columns[n], reason, strlen(reason), &d->err);
  if (!rc) rc = feast_array_append_int(d->rows->columns[n + 1], source_row, &d->err);
  if (rc) d->failed = true;
  else d->rows->num_rows++;
}

/* ---- the command ---- */

static void print_summary(const char *table, const feast_ingest_summary *s, double seconds, bool ok) {
  printf("%s %s: %lld rows read, %lld written, %lld skipped as older, %lld rejected, %lld outside the window "
         "(%.2fs)\n",
         ok ? "ingested" : "ingestion stopped for", table, (long long)s->read, (long long)s->written,
         (long long)s->skipped_older, (long long)s->rejected, (long long)s->out_of_window, seconds);
  if (s->rejected && s->first_reject[0]) printf("first rejection: %s\n", s->first_reject);
}

int cli_ingest_source(feast_store *store, const char *table, const cli_ingest_args *a) {
  feast_error err;
  feast_ingest_options opts;
  memset(&opts, 0, sizeof opts);
  opts.has_start = a->has_start;
  opts.start = a->start;
  opts.has_end = a->has_end;
  opts.end = a->end;
  dead_letters dl;
  memset(&dl, 0, sizeof dl);
  if (a->dead_letter) {
    opts.dead_letter = on_reject;
    opts.dead_letter_ctx = &dl;
  }
  if (a->dead_letter && cli_check_output("--dead-letter", a->dead_letter, NULL, 0, store)) return 1;
  feast_batch_source *raw = a->rows, *src;
  if (!raw && feast_store_open_table_source(store, table, &opts, &raw, &err)) return cli_fail_err(&err);
  cli_progress progress;
  int64_t total = a->rows ? -1 : feast_source_num_rows(raw);
  if (total > 0) opts.expected_rows = total;
  cli_progress_init(&progress, table, total);
  if (cli_progress_source(raw, &progress, &src, &err)) return cli_fail_err(&err);
  feast_ingest_summary sum;
  memset(&sum, 0, sizeof sum);
  double t0 = cli_now();
  feast_code irc = feast_store_ingest(store, table, src, &opts, &sum, &err);
  cli_progress_end(&progress);
  src->close(src);
  print_summary(table, &sum, cli_now() - t0, irc == FEAST_OK);
  int rc = 0;
  if (irc) {
    rc = cli_fail_err(&err);
  } else if (a->dead_letter && dl.failed) {
    rc = cli_fail("dead letters: %s", dl.err.message);
  } else if (a->dead_letter && dl.rows) {
    if (feast_parquet_write_file(a->dead_letter, dl.rows, NULL, &err))
      rc = cli_fail_err(&err);
    else
      printf("%lld rejected rows written to %s\n", (long long)dl.rows->num_rows, a->dead_letter);
  }
  feast_batch_free(dl.rows);
  return rc;
}

static int parse_ts(const char *s, feast_ts *out, bool *has) {
  feast_error err;
  if (feast_ts_parse(s, out, &err)) return cli_fail_err(&err);
  *has = true;
  return 0;
}

int cmd_ingest(int argc, char **argv) {
  /* `feast jobs sync-offline-to-online -t T -s S -e E` is the same command. */
  bool jobs = strcmp(argv[0], "jobs") == 0;
  if (jobs && argc >= 2 && strcmp(argv[1], "start-stream-to-online") == 0) return cmd_stream_ingest(argc, argv);
  if (jobs) {
    if (argc < 2 || strcmp(argv[1], "sync-offline-to-online") != 0) {
      fprintf(stderr, "feast: jobs takes sync-offline-to-online or start-stream-to-online\n%s", USAGE);
      return 2;
    }
    argc--;
    argv++;
  }
  static const struct option longopts[] = {{"start", required_argument, NULL, 's'},
                                           {"end", required_argument, NULL, 'e'},
                                           {"table", required_argument, NULL, 't'},
                                           {"dead-letter", required_argument, NULL, 'd'},
                                           {"project", required_argument, NULL, 'p'},
                                           {"config", required_argument, NULL, 'c'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  cli_ingest_args a;
  memset(&a, 0, sizeof a);
  const char *table = NULL, *project = NULL, *config = NULL;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "s:e:t:p:h", longopts, NULL)) != -1) {
    int rc = 0;
    switch (c) {
    case 's': rc = parse_ts(optarg, &a.start, &a.has_start); break;
    case 'e': rc = parse_ts(optarg, &a.end, &a.has_end); break;
    case 't': table = optarg; break;
    case 'd': a.dead_letter = optarg; break;
    case 'p': project = optarg; break;
    case 'c': config = optarg; break;
    case 'h': fputs(USAGE, stdout); return 0;
    default: fprintf(stderr, "feast: unknown or incomplete option '%s'\n%s", argv[optind - 1], USAGE); return 2;
    }
    if (rc) return rc;
  }
  if (!jobs && optind < argc) table = argv[optind++];
  if (!table || optind < argc) {
    fprintf(stderr, "feast: %s\n%s", table ? "too many arguments" : "which feature table? (TABLE)", USAGE);
    return 2;
  }
  if (a.has_start && a.has_end && a.end <= a.start) return cli_fail("the window is empty: --end must be after --start");
  feast_store *store;
  int rc = cli_store_open(config, project, &store);
  if (rc) return rc;
  rc = cli_ingest_source(store, table, &a);
  feast_store_free(store);
  return rc;
}
