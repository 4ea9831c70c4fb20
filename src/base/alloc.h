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

/* n bytes for a table read at random (hash tables, join indexes). The
 * result is 64-byte aligned, so no 16- or 32-byte entry straddles two cache
 * lines (one miss, not two), and large tables are 2 MiB aligned and advised
 * onto huge pages (with 4 KiB pages nearly every access is also a TLB
 * miss). The caller owns *base and frees it (not the result) with
 * feast_free; NULL when out of memory. */
void *feast_table_alloc(size_t n, void **base);

/* Test hook: allocation number `n` from now on (0 = the next one) fails, and
 * every one after it. -1 turns failures off. Not thread-aware: tests only. */
void feast_alloc_fail_after(long n);
/* How many allocations have happened since the hook was last set to n >= 0
 * (nothing is counted while failures are off). */
long feast_alloc_count(void);

#endif
