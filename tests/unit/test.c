/*
 * test.c - runner behind TEST_MAIN, plus temp-dir and path helpers.
 */
#include "test.h"

#include <limits.h>
#include <unistd.h>

int test_failures_in_case;
const char *test_case_name = "";

static int selected(int argc, char **argv, const char *name) {
  if (argc < 2) return 1;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], name) == 0) return 1;
  return 0;
}

int test_main(int argc, char **argv, const test_case *cases) {
  int passed = 0, failed = 0;
  for (const test_case *c = cases; c->name; c++) {
    if (!selected(argc, argv, c->name)) continue;
    test_case_name = c->name;
    test_failures_in_case = 0;
    c->fn();
    if (test_failures_in_case) {
      failed++;
      fprintf(stderr, "FAIL %s\n", c->name);
    } else {
      passed++;
    }
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

const char *test_tmpdir(void) {
  static char path[PATH_MAX];
  static int counter;
  const char *base = getenv("TMPDIR");
  snprintf(path, sizeof path, "%s/feast-test-%d-%d", base ? base : "/tmp", (int)getpid(), counter++);
  char cmd[2 * PATH_MAX + 64];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", path, path);
  if (system(cmd) != 0) fprintf(stderr, "cannot create %s\n", path);
  return path;
}

const char *test_repo_root(void) {
  const char *root = getenv("FEAST_REPO_ROOT");
  return root ? root : ".";
}

const char *test_parquet_testing_dir(void) {
  static char path[PATH_MAX];
  const char *env = getenv("FEAST_PARQUET_TESTING");
  if (env) return env;
  snprintf(path, sizeof path, "%s/../shared/parquet-testing", test_repo_root());
  return path;
}
