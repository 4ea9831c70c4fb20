/*
 * alloc.h - the one allocation wrapper. Every allocation in libfeast goes
 * through these, so tests can make the Nth allocation fail (SQLite's habit)
 * and prove that every failure path reports FEAST_E_NOMEM and leaks nothing.
 */
#ifndef FEAST_BASE_ALLOC_H
#define FEAST_BASE_ALLOC_H

#include <stddef.h>

void *feast_malloc(size_t n);
void *feast_calloc(size_t count, size_t size);
void *feast_realloc(void *p, size_t n);
void feast_free(void *p);
char *feast_strdup(const char *s);               /* NULL in, NULL out */
char *feast_strndup(const char *s, size_t n);

/* Test hook: allocation number `n` from now on (0 = the next one) fails, and
 * every one after it. -1 turns failures off. Not thread-aware: tests only. */
void feast_alloc_fail_after(long n);
/* How many allocations have happened since the hook was last set to n >= 0
 * (nothing is counted while failures are off). */
long feast_alloc_count(void);

#endif
