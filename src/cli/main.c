/*
 * main.c - the `feast` binary: finds the command and hands it argv.
 * Global options (--config, -o) are parsed by each command through
 * cli_common so that `feast -o json entities list` and
 * `feast entities list -o json` both work.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const cli_command commands[] = {
    {"version", cmd_version, "print the version"},
    {"parquet", cmd_parquet, "inspect Parquet files: schema, cat"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out) {
  fprintf(out, "usage: feast [--config FILE] COMMAND [ARGS]\n\ncommands:\n");
  for (const cli_command *c = commands; c->name; c++) fprintf(out, "  %-26s %s\n", c->name, c->summary);
  fprintf(out, "\nRun 'feast COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const cli_command *c = commands; c->name; c++)
    if (strcmp(argv[1], c->name) == 0) return c->run(argc - 1, argv + 1);
  fprintf(stderr, "feast: unknown command '%s' (see 'feast --help')\n", argv[1]);
  return 2;
}
