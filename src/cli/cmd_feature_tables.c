/*
 * cmd_feature_tables.c - `feast feature-tables apply|describe|list|delete`
 * (Feast 0.9's CLI). describe prints the spec in the spec-file form, so
 * applying its output back changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "feast/specfile.h"

static const char USAGE[] =
    "usage: feast feature-tables apply -f FILE [-f FILE]... [-p PROJECT] [--skip-source-check]\n"
    "       feast feature-tables describe NAME [-p PROJECT] [-o yaml|json]\n"
    "       feast feature-tables list [-p PROJECT] [-l KEY=VALUE]... [-o table|json|yaml]\n"
    "       feast feature-tables delete NAME [-p PROJECT]\n"
    "\n"
    "  -p, --project NAME      project (default: from feature_store.yaml)\n"
    "  -l, --labels K=V[,K=V]  list only tables with these labels (repeatable)\n"
    "  --skip-source-check     do not check that sources supply the declared columns\n"
    "  -o, --output FORMAT     table, json or yaml\n";

static int describe(feast_registry *reg, const char *project, const cli_opts *o) {
  return cli_describe(reg, project, o, true);
}

static int list(feast_registry *reg, const char *project, const cli_opts *o) {
  feast_feature_table_list l;
  feast_error err;
  if (feast_registry_list_feature_tables(reg, project, &o->labels, &l, &err)) return cli_fail_err(&err);
  cli_table t;
  const char *h[] = {"NAME", "ENTITIES", "FEATURES", "REVISION"};
  cli_table_init(&t, 4, h);
  ov *out = ov_new(OV_LIST);
  for (size_t i = 0; i < l.n; i++) {
    const feast_feature_table_spec *s = &l.items[i].spec;
    char ents[512] = "", rev[24], nf[24];
    for (size_t k = 0; k < s->n_entities; k++) {
      size_t used = strlen(ents);
      snprintf(ents + used, sizeof ents - used, "%s%s", k ? "," : "", s->entities[k]);
    }
    snprintf(rev, sizeof rev, "%lld", (long long)l.items[i].meta.revision);
    snprintf(nf, sizeof nf, "%zu", s->n_features);
    const char *row[] = {s->name, ents, nf, rev};
    cli_table_add(&t, row);
    cli_table_ov(out, &l.items[i]);
  }
  cli_print_listing(&t, out, o->format);
  feast_feature_table_list_clear(&l);
  return 0;
}

static int delete(feast_registry *reg, const char *project, const cli_opts *o) {
  feast_error err;
  if (feast_registry_delete_feature_table(reg, project, o->args[1], &err)) return cli_fail_err(&err);
  printf("Deleted feature table %s\n", o->args[1]);
  return 0;
}

int cmd_feature_tables(int argc, char **argv) {
  cli_opts o;
  int rc = cli_parse(argc - 1, argv + 1, CLI_OPT_PROJECT | CLI_OPT_OUTPUT | CLI_OPT_LABELS | CLI_OPT_FILES | CLI_OPT_SKIP,
                     USAGE, &o);
  if (rc) return rc < 0 ? 0 : rc;
  const char *sub = o.n_args ? o.args[0] : "";
  if (strcmp(sub, "apply") == 0 && o.n_args == 1 && o.n_files > 0) {
    rc = cli_apply_specs(&o, FEAST_DOC_FEATURE_TABLE);
  } else if (strcmp(sub, "describe") == 0 && o.n_args == 2) {
    rc = cli_with_registry(&o, describe);
  } else if (strcmp(sub, "delete") == 0 && o.n_args == 2) {
    rc = cli_with_registry(&o, delete);
  } else if (strcmp(sub, "list") == 0 && o.n_args == 1) {
    rc = cli_with_registry(&o, list);
  } else {
    fputs(USAGE, stderr);
    rc = 2;
  }
  cli_opts_clear(&o);
  return rc;
}
