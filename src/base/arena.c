/*
 * arena.c - chunked bump allocation. Oversized requests get a chunk of their
 * own so a single large allocation never wastes a whole standard chunk.
 */
#include "base/arena.h"

#include <stdint.h>
#include <string.h>

#include "base/alloc.h"

typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t size, used;
  _Alignas(16) unsigned char data[];
} arena_chunk;

struct feast_arena {
  arena_chunk *head;
  size_t chunk_size;
  size_t used;
};

static arena_chunk *chunk_new(size_t size) {
  arena_chunk *c = feast_malloc(sizeof(arena_chunk) + size);
  if (!c) return NULL;
  c->next = NULL;
  c->size = size;
  c->used = 0;
  return c;
}

feast_arena *feast_arena_new(size_t chunk_size) {
  feast_arena *a = feast_malloc(sizeof *a);
  if (!a) return NULL;
  a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
  a->used = 0;
  a->head = chunk_new(a->chunk_size);
  if (!a->head) {
    feast_free(a);
    return NULL;
  }
  return a;
}

void feast_arena_free(feast_arena *a) {
  if (!a) return;
  for (arena_chunk *c = a->head, *n; c; c = n) {
    n = c->next;
    feast_free(c);
  }
  feast_free(a);
}

void feast_arena_reset(feast_arena *a) {
  arena_chunk *c = a->head;
  while (c->next) {
    arena_chunk *n = c->next;
    feast_free(c);
    c = n;
  }
  /* The last chunk in the list is the first one made: keep it. */
  a->head = c;
  c->used = 0;
  a->used = 0;
}

void *feast_arena_alloc(feast_arena *a, size_t n) {
  size_t need = (n + 15) & ~(size_t)15;
  if (need < n) return NULL;
  arena_chunk *c = a->head;
  if (c->size - c->used < need) {
    size_t size = need > a->chunk_size ? need : a->chunk_size;
    arena_chunk *fresh = chunk_new(size);
    if (!fresh) return NULL;
    if (size > a->chunk_size) {
      /* Oversized: slot it behind the head so the head keeps filling up. */
      fresh->next = c->next;
      c->next = fresh;
      fresh->used = need;
      a->used += need;
      return fresh->data;
    }
    fresh->next = c;
    a->head = c = fresh;
  }
  void *p = c->data + c->used;
  c->used += need;
  a->used += need;
  return p;
}

void *feast_arena_calloc(feast_arena *a, size_t n) {
  void *p = feast_arena_alloc(a, n);
  if (p) memset(p, 0, n);
  return p;
}

char *feast_arena_strndup(feast_arena *a, const char *s, size_t n) {
  char *d = feast_arena_alloc(a, n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *feast_arena_strdup(feast_arena *a, const char *s) { return feast_arena_strndup(a, s, strlen(s)); }

size_t feast_arena_used(const feast_arena *a) { return a->used; }
