/*
 * cmd_projects.c - `feast projects create|archive|list` (Feast 0.9's CLI).
 */
#include <string.h>

#include "cli/cli_common.h"
#include "cli/commands.h"

static const char USAGE[] =
    "usage: feast projects create NAME\n"
    "       feast projects archive NAME\n"
    "       feast projects list [--all] [-o table|json|yaml]\n"
    "\n"
    "Projects are namespaces for entities and feature tables. 'default' always\n"
    "exists and cannot be archived; nothing can be applied to an archived project.\n"
    "list shows active projects; --all includes archived ones.\n";

int cmd_projects(int argc, char **argv) {
  bool all = false;
  /* --all is only for list; strip it before the common parser. */
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--all") == 0) {
      all = true;
      for (int j = i; j < argc - 1; j++) argv[j] = argv[j + 1];
      argc--;
      i--;
    }
  cli_opts o;
  int rc = cli_parse(argc - 1, argv + 1, CLI_OPT_OUTPUT, USAGE, &o);
  if (rc) return rc < 0 ? 0 : rc;
  const char *sub = o.n_args ? o.args[0] : NULL;
  bool is_list = sub && strcmp(sub, "list") == 0;
  bool create = sub && strcmp(sub, "create") == 0;
  bool archive = sub && strcmp(sub, "archive") == 0;
  if (!(is_list && o.n_args == 1) && !((create || archive) && o.n_args == 2)) {
    fputs(USAGE, stderr);
    return 2;
  }
  feast_config cfg;
  feast_registry *reg;
  if ((rc = cli_open(&o, &cfg, &reg))) return rc;
  feast_error err;
  if (create || archive) {
    feast_code c = create ? feast_registry_create_project(reg, o.args[1], &err)
                          : feast_registry_archive_project(reg, o.args[1], &err);
    if (c)
      rc = cli_fail_err(&err);
    else if (o.format == CLI_TABLE)
      printf("%s project %s\n", create ? "Created" : "Archived", o.args[1]);
  } else {
    feast_project_list l;
    if (feast_registry_list_projects(reg, all, &l, &err)) {
      rc = cli_fail_err(&err);
    } else {
      cli_table t;
      const char *h[] = {"NAME", "STATUS"};
      cli_table_init(&t, 2, h);
      ov *list = ov_new(OV_LIST);
      for (size_t i = 0; i < l.n; i++) {
        const char *row[] = {l.items[i].name, l.items[i].archived ? "archived" : "active"};
        cli_table_add(&t, row);
        ov *p = ov_add(list, NULL, OV_OBJ);
        ov_add_str(p, "name", l.items[i].name);
        ov_add_bool(p, "archived", l.items[i].archived);
      }
      cli_print_listing(&t, list, o.format);
    }
    feast_project_list_clear(&l);
  }
  feast_registry_free(reg);
  feast_config_clear(&cfg);
  cli_opts_clear(&o);
  return rc;
}
