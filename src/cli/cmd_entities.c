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

static int describe(feast_registry *reg, const char *project, const cli_opts *o) {
  return cli_describe(reg, project, o, false);
}

static int list(feast_registry *reg, const char *project, const cli_opts *o) {
  feast_entity_list l;
  feast_error err;
  if (feast_registry_list_entities(reg, project, &o->labels, &l, &err)) return cli_fail_err(&err);
  cli_table t;
  const char *h[] = {"NAME", "TYPE", "DESCRIPTION", "REVISION"};
  cli_table_init(&t, 4, h);
  ov *out = ov_new(OV_LIST);
  for (size_t i = 0; i < l.n; i++) {
    char rev[24];
    snprintf(rev, sizeof rev, "%lld", (long long)l.items[i].meta.revision);
    const char *row[] = {l.items[i].spec.name, feast_value_type_name(l.items[i].spec.value_type),
                         l.items[i].spec.description, rev};
    cli_table_add(&t, row);
    cli_entity_ov(out, &l.items[i]);
  }
  cli_print_listing(&t, out, o->format);
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
  } else if (strcmp(sub, "describe") == 0 && o.n_args == 2) {
    rc = cli_with_registry(&o, describe);
  } else if (strcmp(sub, "list") == 0 && o.n_args == 1) {
    rc = cli_with_registry(&o, list);
  } else {
    fputs(USAGE, stderr);
    rc = 2;
  }
  cli_opts_clear(&o);
  return rc;
}
