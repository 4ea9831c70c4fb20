/*
 * cmd_apply.c - `feast apply`: register every spec of the repository (or of
 * the -f files/folders) in one all-or-nothing transaction.
 */
#include "cli/cli_common.h"
#include "cli/commands.h"

static const char USAGE[] =
    "usage: feast apply [-f FILE|DIR]... [-p PROJECT] [--skip-source-check] [-o table|json|yaml] [--config FILE]\n"
    "\n"
    "Validate and register entities and feature tables. Without -f, every *.yaml, *.yml\n"
    "and *.json file in the repository folder (feature_store.yaml's) except\n"
    "feature_store.yaml is read. All documents are applied together or not at all;\n"
    "unchanged specs keep their revision.\n"
    "\n"
    "  -f, --filename PATH     a spec file or a folder of them (repeatable)\n"
    "  -p, --project NAME      project (default: from feature_store.yaml)\n"
    "  --skip-source-check     do not check that sources supply the declared columns\n"
    "  -o, --output FORMAT     table (default), json or yaml\n";

int cmd_apply(int argc, char **argv) {
  cli_opts o;
  int rc = cli_parse(argc - 1, argv + 1, CLI_OPT_PROJECT | CLI_OPT_OUTPUT | CLI_OPT_FILES | CLI_OPT_SKIP, USAGE, &o);
  if (rc) return rc < 0 ? 0 : rc;
  if (o.n_args) {
    cli_opts_clear(&o);
    return cli_fail("apply takes no arguments; name spec files with -f"), 2;
  }
  rc = cli_apply_specs(&o, 0);
  cli_opts_clear(&o);
  return rc;
}
