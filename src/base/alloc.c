/*
 * alloc.c - malloc wrappers with a failure-injection hook for tests.
 */
#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

static long fail_after = -1;
static long alloc_count;

void feast_alloc_fail_after(long n) {
  fail_after = n;
  alloc_count = 0;
}

long feast_alloc_count(void) { return alloc_count; }

static int should_fail(void) {
  long i = alloc_count++;
  return fail_after >= 0 && i >= fail_after;
}

void *feast_malloc(size_t n) {
  if (should_fail()) return NULL;
  return malloc(n ? n : 1);
}

void *feast_calloc(size_t count, size_t size) {
  if (should_fail()) return NULL;
  return calloc(count ? count : 1, size ? size : 1);
}

void *feast_realloc(void *p, size_t n) {
  if (should_fail()) return NULL;
  return realloc(p, n ? n : 1);
}

void feast_free(void *p) { free(p); }

char *feast_strndup(const char *s, size_t n) {
  if (!s) return NULL;
  char *d = feast_malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *feast_strdup(const char *s) { return s ? feast_strndup(s, strlen(s)) : NULL; }
