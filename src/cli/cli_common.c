/*
 * cli_common.c - see cli_common.h.
 */
#include "cli/cli_common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feast/aws.h"
#include "feast/bigquery.h"


const char *cli_global_config;
const char *cli_global_output;

int cli_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("feast: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

int cli_fail_err(const feast_error *err) { return cli_fail("%s", err->message); }

static int parse_format(const char *s, cli_format *f) {
  if (strcmp(s, "table") == 0)
    *f = CLI_TABLE;
  else if (strcmp(s, "json") == 0)
    *f = CLI_JSON;
  else if (strcmp(s, "yaml") == 0)
    *f = CLI_YAML;
  else
    return -1;
  return 0;
}

/* "--name=value", "--name value", "-x value". */
static const char *opt_value(int argc, char **argv, int *i, const char *arg, const char *name) {
  size_t n = strlen(name);
  if (strncmp(arg, name, n) == 0 && arg[n] == '=') return arg + n + 1;
  if (*i + 1 >= argc) return NULL;
  return argv[++*i];
}

static bool is_opt(const char *arg, const char *s, const char *l) {
  size_t n = l ? strlen(l) : 0;
  return (s && strcmp(arg, s) == 0) || (l && (strcmp(arg, l) == 0 || (strncmp(arg, l, n) == 0 && arg[n] == '=')));
}

int cli_parse(int argc, char **argv, unsigned allowed, const char *usage, cli_opts *o) {
  memset(o, 0, sizeof *o);
  o->config_path = cli_global_config;
  if (cli_global_output && parse_format(cli_global_output, &o->format) != 0)
    return fprintf(stderr, "feast: -o takes table, json or yaml, not '%s'\n", cli_global_output), 2;
  bool options_done = false;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    const char *v;
    if (options_done || a[0] != '-' || a[1] == 0) {
      if (o->n_args == CLI_MAX_ARGS) return fprintf(stderr, "feast: too many arguments\n%s", usage), 2;
      o->args[o->n_args++] = a;
    } else if (strcmp(a, "--") == 0) {
      options_done = true;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      return -1;
    } else if (is_opt(a, NULL, "--config")) {
      if (!(v = opt_value(argc, argv, &i, a, "--config"))) goto missing;
      o->config_path = v;
    } else if ((allowed & CLI_OPT_PROJECT) && is_opt(a, "-p", "--project")) {
      if (!(v = opt_value(argc, argv, &i, a, "--project"))) goto missing;
      o->project = v;
    } else if ((allowed & CLI_OPT_OUTPUT) && is_opt(a, "-o", "--output")) {
      if (!(v = opt_value(argc, argv, &i, a, "--output"))) goto missing;
      if (parse_format(v, &o->format) != 0)
        return fprintf(stderr, "feast: -o takes table, json or yaml, not '%s'\n", v), 2;
    } else if ((allowed & CLI_OPT_LABELS) && is_opt(a, "-l", "--labels")) {
      if (!(v = opt_value(argc, argv, &i, a, "--labels"))) goto missing;
      /* "-l a=1,b=2" or repeated "-l a=1 -l b=2" */
      char *copy = strdup(v);
      if (!copy) return cli_fail("out of memory");
      for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        feast_error err;
        if (!eq || eq == kv) {
          fprintf(stderr, "feast: a label filter is key=value, not '%s'\n", kv);
          free(copy);
          return 2;
        }
        *eq = 0;
        if (feast_map_set(&o->labels, kv, eq + 1, &err)) {
          free(copy);
          return cli_fail_err(&err);
        }
      }
      free(copy);
    } else if ((allowed & CLI_OPT_FILES) && is_opt(a, "-f", "--filename")) {
      if (!(v = opt_value(argc, argv, &i, a, "--filename"))) goto missing;
      if (o->n_files == CLI_MAX_FILES) return fprintf(stderr, "feast: too many -f options\n"), 2;
      o->files[o->n_files++] = v;
    } else if ((allowed & CLI_OPT_SKIP) && strcmp(a, "--skip-source-check") == 0) {
      o->skip_source_check = true;
    } else {
      fprintf(stderr, "feast: unknown option '%s'\n%s", a, usage);
      return 2;
    }
    continue;
  missing:
    fprintf(stderr, "feast: option '%s' needs a value\n%s", a, usage);
    return 2;
  }
  return 0;
}

void cli_opts_clear(cli_opts *o) { feast_map_clear(&o->labels); }

int cli_load_config(const cli_opts *o, feast_config *cfg) {
  feast_error err;
  const char *path = o->config_path;
  if (!path) path = getenv("FEAST_CONFIG");
  if (path && !*path) path = NULL;
  if (!path && access("feature_store.yaml", F_OK) == 0) path = "feature_store.yaml";
  feast_code rc;
  if (path) {
    rc = feast_config_load(path, cfg, &err);
    /* apply's source check reads BigQuery tables with these settings */
    if (!rc && cfg->has_bigquery) rc = feast_bigquery_configure(cfg, &err);
    if (!rc && cfg->has_aws) rc = feast_aws_configure(cfg, &err);
  } else {
    char *cwd = getcwd(NULL, 0);
    if (!cwd) return cli_fail("cannot read the current folder: %s", strerror(errno));
    rc = feast_config_defaults(cwd, cfg, &err);
    free(cwd);
  }
  return rc ? cli_fail_err(&err) : 0;
}

/* mkdir -p for the folder of a SQLite registry file. */
static int make_parent(const char *file) {
  char *dir = strdup(file);
  if (!dir) return cli_fail("out of memory");
  char *slash = strrchr(dir, '/');
  int rc = 0;
  if (slash && slash != dir) {
    *slash = 0;
    for (char *p = dir + 1; *p && !rc; p++) {
      if (*p != '/') continue;
      *p = 0;
      if (mkdir(dir, 0777) != 0 && errno != EEXIST) rc = cli_fail("cannot create folder %s: %s", dir, strerror(errno));
      *p = '/';
    }
    if (!rc && mkdir(dir, 0777) != 0 && errno != EEXIST)
      rc = cli_fail("cannot create folder %s: %s", dir, strerror(errno));
  }
  free(dir);
  return rc;
}

int cli_open(const cli_opts *o, feast_config *cfg, feast_registry **reg) {
  int rc = cli_load_config(o, cfg);
  if (rc) return rc;
  bool url = strstr(cfg->registry, "://") != NULL;
  if (!url && (rc = make_parent(cfg->registry))) {
    feast_config_clear(cfg);
    return rc;
  }
  feast_error err;
  if (feast_registry_open(cfg->registry, reg, &err)) {
    feast_config_clear(cfg);
    return cli_fail_err(&err);
  }
  return 0;
}

const char *cli_project(const cli_opts *o, const feast_config *cfg) { return o->project ? o->project : cfg->project; }

int cli_list_add_split(cli_list *l, const char *arg) {
  char *save = NULL, *copy = strdup(arg);
  if (!copy) return cli_fail("out of memory");
  for (char *r = strtok_r(copy, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
    if (l->n == l->cap) {
      size_t cap = l->cap ? l->cap * 2 : 16;
      char **items = realloc(l->items, cap * sizeof *items);
      if (!items) {
        free(copy);
        return cli_fail("out of memory");
      }
      l->items = items;
      l->cap = cap;
    }
    if (!(l->items[l->n] = strdup(r))) {
      free(copy);
      return cli_fail("out of memory");
    }
    l->n++;
  }
  free(copy);
  return 0;
}

void cli_list_clear(cli_list *l) {
  for (size_t i = 0; i < l->n; i++) free(l->items[i]);
  free(l->items);
  memset(l, 0, sizeof *l);
}
