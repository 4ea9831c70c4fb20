/*
 * cmd_version.c - `feast version`.
 */
#include <stdio.h>

#include "cli/commands.h"
#include "feast/version.h"

int cmd_version(int argc, char **argv) {
  (void)argc;
  (void)argv;
  printf("feast %s\n", FEAST_VERSION);
  return 0;
}
