/*
 * cmd_online_read.c - `feast get-online-features -f table:feature[,...]
 * -e name=value[,name=value] [-e ...] [--at TS] [-o json]`: the latest
 * values from the online store, one row per -e, with a status per value.
 * -o json prints the document Feast's HTTP feature server returns.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/cli_data.h"
#include "cli/commands.h"

static const char USAGE[] =
    "usage: feast get-online-features -f TABLE:FEATURE[,...] -e NAME=VALUE[,NAME=VALUE] [-e ...]\n"
    "                                 [--at TS] [-o table|json] [-p PROJECT]\n"
    "\n"
    "  -f, --features REFS  feature references (repeatable); TABLE:* for every feature\n"
    "  -e, --entity ROW     one entity row (repeatable); values are parsed to each entity's type\n"
    "      --at TS          measure max_age from this time (default: now)\n"
    "  -o, --output FMT     table (default) or json (Feast's /get-online-features document)\n";

#define MAX_ROWS 100000

static void print_table(const feast_online_result *res) {
  size_t names = feast_online_result_num_names(res), rows = feast_online_result_num_rows(res);
  const char **headers = calloc(names + 1, sizeof *headers);
  char **cells = calloc(names + 1, sizeof *cells);
  cli_table t;
  for (size_t i = 0; i < names; i++) headers[i] = feast_online_result_name(res, i);
  cli_table_init(&t, (int)names, headers);
  for (size_t r = 0; r < rows; r++) {
    for (size_t i = 0; i < names; i++) {
      feast_field_status st = feast_online_result_status(res, i, r);
      size_t len;
      const uint8_t *v = feast_online_result_value(res, i, r, &len);
      feast_error err;
      if (st != FEAST_STATUS_PRESENT || feast_value_to_json(v, len, &cells[i], NULL, &err) != FEAST_OK)
        cells[i] = strdup(feast_field_status_name(st));
    }
    cli_table_add(&t, (const char *const *)cells);
    for (size_t i = 0; i < names; i++) free(cells[i]);
  }
  cli_table_print(stdout, &t);
  cli_table_free(&t);
  free(headers);
  free(cells);
}

int cmd_get_online_features(int argc, char **argv) {
  static const struct option longopts[] = {{"features", required_argument, NULL, 'f'},
                                           {"entity", required_argument, NULL, 'e'},
                                           {"at", required_argument, NULL, 'a'},
                                           {"output", required_argument, NULL, 'o'},
                                           {"project", required_argument, NULL, 'p'},
                                           {"config", required_argument, NULL, 'c'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  cli_list refs = {0};
  const char **rows = calloc(MAX_ROWS, sizeof *rows);
  size_t n_rows = 0;
  const char *project = NULL, *config = NULL, *out = cli_global_output ? cli_global_output : "table";
  feast_ts at = feast_now();
  feast_error err;
  int rc = rows ? 0 : cli_fail("out of memory");
  optind = 1;
  opterr = 0;
  int c;
  while (!rc && (c = getopt_long(argc, argv, "f:e:o:p:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'f': rc = cli_list_add_split(&refs, optarg); break;
    case 'e':
      if (n_rows < MAX_ROWS) rows[n_rows++] = optarg;
      break;
    case 'a':
      if (feast_ts_parse(optarg, &at, &err)) rc = cli_fail_err(&err);
      break;
    case 'o': out = optarg; break;
    case 'p': project = optarg; break;
    case 'c': config = optarg; break;
    case 'h': fputs(USAGE, stdout); goto cleanup;
    default: rc = 2; fprintf(stderr, "feast: unknown or incomplete option '%s'\n%s", argv[optind - 1], USAGE);
    }
  }
  if (!rc && (optind < argc || !refs.n || !n_rows || (strcmp(out, "json") && strcmp(out, "table")))) {
    fprintf(stderr, "feast: %s\n%s",
            optind < argc ? "unexpected argument" : !refs.n ? "which features? (-f)" : !n_rows ? "which entities? (-e)"
                                                                                              : "-o takes table or json",
            USAGE);
    rc = 2;
  }
  if (rc) goto cleanup;
  feast_store *store;
  if ((rc = cli_store_open(config, project, &store))) goto cleanup;
  feast_batch *entity_rows = NULL;
  feast_online_result *res = NULL;
  char *json = NULL;
  size_t len;
  if (feast_entity_rows_from_strings(rows, n_rows, &entity_rows, &err) ||
      feast_store_get_online_features(store, (const char *const *)refs.items, refs.n, entity_rows, at, &res, &err)) {
    rc = cli_fail_err(&err);
  } else if (strcmp(out, "json") == 0) {
    if (feast_online_result_to_json(res, &json, &len, &err)) rc = cli_fail_err(&err);
    else printf("%s\n", json);
    free(json);
  } else {
    print_table(res);
  }
  feast_online_result_free(res);
  feast_batch_free(entity_rows);
  feast_store_free(store);
cleanup:
  cli_list_clear(&refs);
  free(rows);
  return rc;
}
