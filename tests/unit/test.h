/*
 * test.h - the unit-test harness: one binary per module, each TEST a
 * function, CHECKs that record the file and line of every failure and go
 * on. The binary prints "N passed, N failed" and exits non-zero on failure.
 * scripts/run-unit-tests.sh runs every binary in its own process with a
 * timeout (libuv's habit).
 */
#ifndef FEAST_TEST_H
#define FEAST_TEST_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int test_failures_in_case;
extern const char *test_case_name;

#define CHECK(cond)                                                                                                    \
  do {                                                                                                                 \
    if (!(cond)) {                                                                                                     \
      fprintf(stderr, "  %s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__, test_case_name, #cond);               \
      test_failures_in_case++;                                                                                         \
    }                                                                                                                  \
  } while (0)

#define CHECK_INT(a, b)                                                                                                \
  do {                                                                                                                 \
    long long va_ = (long long)(a), vb_ = (long long)(b);                                                              \
    if (va_ != vb_) {                                                                                                  \
      fprintf(stderr, "  %s:%d: %s: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, test_case_name, #a, va_, \
              #b, vb_);                                                                                                \
      test_failures_in_case++;                                                                                         \
    }                                                                                                                  \
  } while (0)

#define CHECK_STR(a, b)                                                                                                \
  do {                                                                                                                 \
    const char *sa_ = (a), *sb_ = (b);                                                                                 \
    if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                                                       \
      fprintf(stderr, "  %s:%d: %s: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, test_case_name, #a,        \
              sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");                                                             \
      test_failures_in_case++;                                                                                         \
    }                                                                                                                  \
  } while (0)

/* The call must succeed; on failure print the error message. */
#define CHECK_OK(call, errp)                                                                                           \
  do {                                                                                                                 \
    int rc_ = (int)(call);                                                                                             \
    if (rc_ != 0) {                                                                                                    \
      fprintf(stderr, "  %s:%d: %s: %s returned %d: %s\n", __FILE__, __LINE__, test_case_name, #call, rc_,          \
              (errp)->message);                                                                                         \
      test_failures_in_case++;                                                                                         \
    }                                                                                                                  \
  } while (0)

/* The error message must contain the substring. */
#define CHECK_CONTAINS(haystack, needle)                                                                               \
  do {                                                                                                                 \
    const char *h_ = (haystack), *n_ = (needle);                                                                       \
    if (!h_ || !strstr(h_, n_)) {                                                                                      \
      fprintf(stderr, "  %s:%d: %s: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, test_case_name,           \
              h_ ? h_ : "(null)", n_);                                                                                 \
      test_failures_in_case++;                                                                                         \
    }                                                                                                                  \
  } while (0)

typedef void (*test_fn)(void);
typedef struct test_case {
  const char *name;
  test_fn fn;
} test_case;

/* Runs the cases (or only those named on the command line). */
int test_main(int argc, char **argv, const test_case *cases);

#define TEST_MAIN(...)                                                                                                 \
  int main(int argc, char **argv) {                                                                                    \
    static const test_case cases_[] = {__VA_ARGS__, {NULL, NULL}};                                                    \
    return test_main(argc, argv, cases_);                                                                              \
  }
#define T(fn) {#fn, fn}

/* A fresh empty directory under $TMPDIR for this test; returned path is
 * static storage, valid until the next call. */
const char *test_tmpdir(void);
/* The repository root (tests read shared fixtures relative to it). */
const char *test_repo_root(void);
/* The Parquet conformance files: $FEAST_PARQUET_TESTING, else
 * ../shared/parquet-testing beside the repository. */
const char *test_parquet_testing_dir(void);

#endif
