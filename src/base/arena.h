/*
 * arena.h - a bump allocator for per-request and per-batch memory (h2o's
 * pools): many small allocations, one free. Not thread-safe; one arena per
 * request or per worker.
 */
#ifndef FEAST_BASE_ARENA_H
#define FEAST_BASE_ARENA_H

#include <stddef.h>

typedef struct feast_arena feast_arena;

/* chunk_size: bytes per chunk (0 = 64 KiB). NULL on out-of-memory. */
feast_arena *feast_arena_new(size_t chunk_size);
void feast_arena_free(feast_arena *a); /* accepts NULL */
/* Free everything allocated so far but keep the first chunk for reuse. */
void feast_arena_reset(feast_arena *a);
/* 16-byte aligned memory valid until reset or free; NULL on out-of-memory. */
void *feast_arena_alloc(feast_arena *a, size_t n);
void *feast_arena_calloc(feast_arena *a, size_t n);
char *feast_arena_strndup(feast_arena *a, const char *s, size_t n);
char *feast_arena_strdup(feast_arena *a, const char *s);
/* Bytes handed out since the last reset (for memory accounting). */
size_t feast_arena_used(const feast_arena *a);

#endif
