/*
 * alloc.c - malloc wrappers with a failure-injection hook for tests.
 */
#include "base/alloc.h"

#include <stdatomic.h>
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

static int should_fail(void) {
  long limit = atomic_load_explicit(&fail_after, memory_order_relaxed);
  if (limit < 0) return 0; /* the normal case: no counting on the hot path */
  return atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed) >= limit;
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
