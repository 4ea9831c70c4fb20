/*
 * cli_common.h - what every registry command shares: option parsing
 * (--config, -p/--project, -o, -l key=value, -f, --skip-source-check,
 * --help), finding and loading feature_store.yaml, opening the registry,
 * and the one-line "feast: <cause>" failure report.
 */
#ifndef FEAST_CLI_COMMON_H
#define FEAST_CLI_COMMON_H

#include <stdbool.h>

#include "cli/output.h"
#include "feast/config.h"
#include "feast/registry.h"

/* Set by main from options given before the command name. */
extern const char *cli_global_config;
extern const char *cli_global_output;

#define CLI_MAX_FILES 256
#define CLI_MAX_ARGS 8

typedef struct cli_opts {
  const char *config_path;
  const char *project;
  cli_format format;
  feast_map labels;
  int n_files;
  const char *files[CLI_MAX_FILES];
  bool skip_source_check;
  int n_args;
  const char *args[CLI_MAX_ARGS]; /* positional arguments */
} cli_opts;

/* Which options a command takes (the rest are usage errors). */
enum { CLI_OPT_PROJECT = 1, CLI_OPT_OUTPUT = 2, CLI_OPT_LABELS = 4, CLI_OPT_FILES = 8, CLI_OPT_SKIP = 16 };

/* A growable list of strings the CLI owns (feature references, ...). */
typedef struct cli_list {
  size_t n, cap;
  char **items;
} cli_list;

/* Append each comma-separated part of `arg` (copied). 0, or 1 when out of
 * memory (reported). */
int cli_list_add_split(cli_list *l, const char *arg);
void cli_list_clear(cli_list *l);

/* Parses argv[0..argc); prints `usage` for --help (returns -1: exit 0) and on
 * a usage error (returns 2). 0 when parsed. */
int cli_parse(int argc, char **argv, unsigned allowed, const char *usage, cli_opts *o);
void cli_opts_clear(cli_opts *o);

/* Print "feast: <message>" on stderr; returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_fail_err(const feast_error *err);

/* Load the configuration (--config, FEAST_CONFIG, ./feature_store.yaml,
 * else defaults for the current folder). Returns an exit code. */
int cli_load_config(const cli_opts *o, feast_config *cfg);
/* Load the configuration and open its registry (creating the SQLite file's
 * folder when missing). Returns an exit code. */
int cli_open(const cli_opts *o, feast_config *cfg, feast_registry **reg);
/* -p when given, else the configuration's project. */
const char *cli_project(const cli_opts *o, const feast_config *cfg);



/* ---- shared by the registry commands (cli_registry.c) ---- */

/* Parse the spec files named by -f (files or folders; default: the
 * repository folder), keep only documents of `only_kind` (0 = any; others
 * are an error), apply them and print what happened. Returns an exit code. */
int cli_apply_specs(const cli_opts *o, int only_kind);
/* Open the configuration and registry, run fn with the project (-p or
 * the configuration's), close both. Returns fn's exit code, or the open's. */
typedef int (*cli_registry_fn)(feast_registry *reg, const char *project, const cli_opts *o);
int cli_with_registry(const cli_opts *o, cli_registry_fn fn);
/* Print a listing: the table for people (-o table), else the tree as JSON
 * or YAML; frees both. */
void cli_print_listing(cli_table *t, ov *tree, cli_format fmt);
/* `feast entities|feature-tables describe NAME`: the spec of o->args[1]
 * as YAML or JSON. Returns the exit code. */
int cli_describe(feast_registry *reg, const char *project, const cli_opts *o, bool table);
/* Entity / feature table summaries for -o json|yaml. */
void cli_entity_ov(ov *parent, const feast_entity *e);
void cli_table_ov(ov *parent, const feast_feature_table *t);
void cli_meta_ov(ov *parent, const feast_meta *m);
#endif
