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

#include "base/alloc.h"
#include "base/buf.h"
#include "cli/cli_common.h"
#include "cli/cli_data.h"
#include "cli/commands.h"
#include "format/feastproto.h"

static const char USAGE[] =
    "usage: feast get-online-features -f TABLE:FEATURE[,...] -e NAME=VALUE[,NAME=VALUE] [-e ...]\n"
    "                                 [--at TS] [-o table|json] [-p PROJECT]\n"
    "\n"
    "  -f, --features REFS  feature references (repeatable); TABLE:* for every feature\n"
    "  -e, --entity ROW     one entity row (repeatable); values are parsed to each entity's type\n"
    "      --at TS          measure max_age from this time (default: now)\n"
    "  -o, --output FMT     table (default) or json (Feast's /get-online-features document)\n";

#define MAX_REFS 1024
#define MAX_ROWS 100000
#define MAX_TABLES 64

typedef struct ref_table {
  feast_feature_table t;
  const char *features[MAX_REFS];
  size_t n_features;
  bool all;
} ref_table;

/* Split "a:b,c:d" and file each feature under its table (first-reference order). */
static int add_refs(char *list, ref_table *tables, size_t *n_tables, const char **names, feast_error *err) {
  for (char *save = NULL, *r = strtok_r(list, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
    char *colon = strchr(r, ':');
    if (!colon || colon == r || !colon[1]) {
      feast_fail(err, FEAST_E_INVALID, "'%s' is not a feature reference (TABLE:FEATURE)", r);
      return 2;
    }
    *colon = '\0';
    size_t i = 0;
    while (i < *n_tables && strcmp(names[i], r) != 0) i++;
    if (i == *n_tables) {
      if (*n_tables == MAX_TABLES) return feast_fail(err, FEAST_E_TOO_BIG, "more than %d tables", MAX_TABLES), 1;
      names[(*n_tables)++] = r;
    }
    if (strcmp(colon + 1, "*") == 0) tables[i].all = true;
    else if (tables[i].n_features < MAX_REFS) tables[i].features[tables[i].n_features++] = colon + 1;
  }
  return 0;
}

static void print_table(const feast_online_result *res) {
  size_t names = feast_online_result_num_names(res), rows = feast_online_result_num_rows(res);
  const char **headers = feast_calloc(names + 1, sizeof *headers);
  char **cells = feast_calloc(names + 1, sizeof *cells);
  cli_table t;
  for (size_t i = 0; i < names; i++) headers[i] = feast_online_result_name(res, i);
  cli_table_init(&t, (int)names, headers);
  for (size_t r = 0; r < rows; r++) {
    for (size_t i = 0; i < names; i++) {
      feast_field_status st = feast_online_result_status(res, i, r);
      size_t len;
      const uint8_t *v = feast_online_result_value(res, i, r, &len);
      feast_buf b;
      feast_buf_init(&b, 1 << 20);
      feast_error err;
      if (st == FEAST_STATUS_PRESENT && feast_pb_value_to_json(v, len, &b, &err) == FEAST_OK)
        cells[i] = feast_strdup(feast_buf_cstr(&b, &err));
      else
        cells[i] = feast_strdup(feast_field_status_name(st));
      feast_buf_free(&b);
    }
    cli_table_add(&t, (const char *const *)cells);
    for (size_t i = 0; i < names; i++) feast_free(cells[i]);
  }
  cli_table_print(stdout, &t);
  cli_table_free(&t);
  feast_free(headers);
  feast_free(cells);
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
  static ref_table tables[MAX_TABLES];
  const char *table_names[MAX_TABLES];
  size_t n_tables = 0;
  const char **rows = feast_calloc(MAX_ROWS, sizeof *rows);
  size_t n_rows = 0;
  char *ref_lists[256];
  int n_lists = 0;
  const char *project = NULL, *config = cli_global_config, *out = cli_global_output ? cli_global_output : "table";
  feast_ts at = feast_now();
  feast_error err;
  int rc = 0;
  memset(tables, 0, sizeof tables);
  optind = 1;
  opterr = 0;
  int c;
  while (!rc && (c = getopt_long(argc, argv, "f:e:o:p:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'f':
      if (n_lists == 256 || !(ref_lists[n_lists] = feast_strdup(optarg))) {
        rc = cli_fail("too many -f options");
      } else if ((rc = add_refs(ref_lists[n_lists++], tables, &n_tables, table_names, &err))) {
        fprintf(stderr, "feast: %s\n", err.message);
      }
      break;
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
  if (!rc && (optind < argc || !n_tables || !n_rows || (strcmp(out, "json") && strcmp(out, "table")))) {
    fprintf(stderr, "feast: %s\n%s",
            optind < argc ? "unexpected argument" : !n_tables ? "which features? (-f)" : !n_rows ? "which entities? (-e)"
                                                                                                 : "-o takes table or json",
            USAGE);
    rc = 2;
  }
  if (rc) goto cleanup;

  cli_opts o;
  memset(&o, 0, sizeof o);
  o.config_path = config;
  o.project = project;
  feast_config cfg;
  feast_registry *reg;
  if ((rc = cli_open(&o, &cfg, &reg))) goto cleanup;
  const char *proj = cli_project(&o, &cfg);
  feast_online_store *store = NULL;
  feast_batch *entity_rows = NULL;
  feast_online_result *res = NULL;
  feast_online_table_request reqs[MAX_TABLES];
  feast_entity_spec ents[256];
  size_t n_ents = 0;
  /* Every problem with the references, reported together. */
  feast_error problems;
  feast_error_clear(&problems);
  for (size_t i = 0; i < n_tables; i++) {
    ref_table *rt = &tables[i];
    if (feast_registry_get_feature_table(reg, proj, table_names[i], &rt->t, &err)) {
      feast_error_append(&problems, "%s", err.message);
      continue;
    }
    for (size_t k = 0; k < rt->n_features; k++)
      if (feast_feature_table_find_feature(&rt->t.spec, rt->features[k]) < 0)
        feast_error_append(&problems, "feature table %s has no feature '%s'", table_names[i], rt->features[k]);
    for (size_t k = 0; k < rt->t.spec.n_entities; k++) {
      bool have = false;
      for (size_t j = 0; j < n_ents && !have; j++) have = strcmp(ents[j].name, rt->t.spec.entities[k]) == 0;
      if (have || n_ents == 256) continue;
      feast_entity e;
      memset(&e, 0, sizeof e);
      if (feast_registry_get_entity(reg, proj, rt->t.spec.entities[k], &e, &err))
        feast_error_append(&problems, "%s", err.message);
      else
        ents[n_ents++] = e.spec;
    }
    reqs[i].table = &rt->t.spec;
    reqs[i].n_features = rt->all ? 0 : rt->n_features;
    reqs[i].features = rt->features;
  }
  if (problems.message[0]) {
    rc = cli_fail("%s", problems.message);
  } else if (!(rc = cli_online_open(&cfg, &store))) {
    feast_online_request req = {proj, n_tables, reqs, n_ents, ents, NULL, at};
    char *json = NULL;
    size_t len;
    if (feast_entity_rows_from_strings(rows, n_rows, &entity_rows, &err) ||
        (req.entity_rows = entity_rows, feast_online_read(store, &req, &res, &err))) {
      rc = cli_fail_err(&err);
    } else if (strcmp(out, "json") == 0) {
      if (feast_online_result_to_json(res, &json, &len, &err)) rc = cli_fail_err(&err);
      else printf("%s\n", json);
      free(json);
    } else {
      print_table(res);
    }
  }
  feast_online_result_free(res);
  feast_batch_free(entity_rows);
  feast_online_store_free(store);
  for (size_t j = 0; j < n_ents; j++) feast_entity_spec_clear(&ents[j]);
  for (size_t i = 0; i < n_tables; i++) feast_feature_table_clear(&tables[i].t);
  feast_registry_free(reg);
  feast_config_clear(&cfg);
cleanup:
  for (int i = 0; i < n_lists; i++) feast_free(ref_lists[i]);
  feast_free(rows);
  return rc;
}
