/*
 * alloc.c - malloc wrappers with a failure-injection hook for tests.
 */
#include "base/alloc.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Atomic because decoder threads allocate too; relaxed ordering is enough
 * for a counter that only tests read. */
static atomic_long fail_after = -1;
static atomic_long alloc_count;

void feast_alloc_fail_after(long n) {
  atomic_store_explicit(&alloc_count, 0, memory_order_relaxed);
  atomic_store_explicit(&fail_after, n, memory_order_relaxed);
}

long feast_alloc_count(void) { return atomic_load_explicit(&alloc_count, memory_order_relaxed); }

/* FEAST_FAIL_ALLOC=N makes only the Nth allocation of the process fail
 * (the recovery paths after it keep running); FEAST_FAIL_ALLOC_COUNT=FILE
 * writes how many there were at exit. For the failure-injection tests of
 * whole commands (tests/py/test_failure_injection.py). */
static long fail_once_at = -1;

__attribute__((constructor)) static void env_hook(void) {
  const char *v = getenv("FEAST_FAIL_ALLOC");
  if (v) fail_once_at = atol(v);
  if (v || getenv("FEAST_FAIL_ALLOC_COUNT")) atomic_store_explicit(&fail_after, LONG_MAX, memory_order_relaxed);
}

__attribute__((destructor)) static void env_report(void) {
  const char *f = getenv("FEAST_FAIL_ALLOC_COUNT");
  FILE *o = f ? fopen(f, "w") : NULL;
  if (!o) return;
  fprintf(o, "alloc %ld\n", feast_alloc_count());
  fclose(o);
}

static int should_fail(void) {
  long limit = atomic_load_explicit(&fail_after, memory_order_relaxed);
  if (limit < 0) return 0; /* the normal case: no counting on the hot path */
  long n = atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
  return n >= limit || n + 1 == fail_once_at;
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

void *feast_table_alloc(size_t n, void **base) {
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t align = n >= 4 * huge ? huge : 64;
  *base = feast_malloc(n + align);
  if (!*base) return NULL;
  void *p = (void *)(((uintptr_t)*base + align - 1) & ~(align - 1));
#ifdef MADV_HUGEPAGE
  if (align == huge) (void)madvise(p, n & ~(huge - 1), MADV_HUGEPAGE); /* a hint; whole huge pages only */
#endif
  return p;
}
