/*
 * cmd_entities.c - `feast entities apply|describe|list` (Feast 0.9's CLI).
 * describe prints the spec in the spec-file form, so applying its output
 * back changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "feast/specfile.h"

static const char USAGE[] =
    "usage: feast entities apply -f FILE [-f FILE]... [-p PROJECT]\n"
    "       feast entities describe NAME [-p PROJECT] [-o yaml|json]\n"
    "       feast entities list [-p PROJECT] [-l KEY=VALUE]... [-o table|json|yaml]\n"
    "\n"
    "  -p, --project NAME      project (default: from feature_store.yaml)\n"
    "  -l, --labels K=V[,K=V]  list only entities with these labels (repeatable)\n"
    "  -o, --output FORMAT     table, json or yaml\n";

static int describe(feast_registry *reg, const char *project, const char *name, cli_format fmt) {
  feast_entity e;
  feast_error err;
  if (feast_registry_get_entity(reg, project, name, &e, &err)) return cli_fail_err(&err);
  char *text = NULL;
  int rc = 0;
  if (feast_entity_emit(&e.spec, fmt == CLI_JSON ? FEAST_SPEC_JSON : FEAST_SPEC_YAML, &text, &err))
    rc = cli_fail_err(&err);
  else
    fputs(text, stdout);
  free(text);
  feast_entity_clear(&e);
  return rc;
}

static int list(feast_registry *reg, const char *project, const feast_map *labels, cli_format fmt) {
  feast_entity_list l;
  feast_error err;
  if (feast_registry_list_entities(reg, project, labels, &l, &err)) return cli_fail_err(&err);
  if (fmt == CLI_TABLE) {
    cli_table t;
    const char *h[] = {"NAME", "TYPE", "DESCRIPTION", "REVISION"};
    cli_table_init(&t, 4, h);
    for (size_t i = 0; i < l.n; i++) {
      char rev[24];
      snprintf(rev, sizeof rev, "%lld", (long long)l.items[i].meta.revision);
      const char *row[] = {l.items[i].spec.name, feast_value_type_name(l.items[i].spec.value_type),
                           l.items[i].spec.description, rev};
      cli_table_add(&t, row);
    }
    cli_table_print(stdout, &t);
    cli_table_free(&t);
  } else {
    ov *out = ov_new(OV_LIST);
    for (size_t i = 0; i < l.n; i++) cli_entity_ov(out, &l.items[i]);
    ov_print(stdout, out, fmt);
    ov_free(out);
  }
  feast_entity_list_clear(&l);
  return 0;
}

int cmd_entities(int argc, char **argv) {
  cli_opts o;
  int rc = cli_parse(argc - 1, argv + 1, CLI_OPT_PROJECT | CLI_OPT_OUTPUT | CLI_OPT_LABELS | CLI_OPT_FILES | CLI_OPT_SKIP,
                     USAGE, &o);
  if (rc) return rc < 0 ? 0 : rc;
  const char *sub = o.n_args ? o.args[0] : "";
  if (strcmp(sub, "apply") == 0 && o.n_args == 1 && o.n_files > 0) {
    rc = cli_apply_specs(&o, FEAST_DOC_ENTITY);
  } else if ((strcmp(sub, "describe") == 0 && o.n_args == 2) || (strcmp(sub, "list") == 0 && o.n_args == 1)) {
    feast_config cfg;
    feast_registry *reg;
    if (!(rc = cli_open(&o, &cfg, &reg))) {
      rc = o.n_args == 2 ? describe(reg, cli_project(&o, &cfg), o.args[1], o.format)
                         : list(reg, cli_project(&o, &cfg), &o.labels, o.format);
      feast_registry_free(reg);
      feast_config_clear(&cfg);
    }
  } else {
    fputs(USAGE, stderr);
    rc = 2;
  }
  cli_opts_clear(&o);
  return rc;
}
