/*
 * yaml_tree.h - YAML/JSON text to a small node tree (scalars, mappings,
 * sequences, each with its line), built from libyaml's event stream so the
 * nesting depth is capped and anchors/aliases are refused (no "billion
 * laughs"). All nodes live in one arena owned by the tree.
 */
#ifndef FEAST_FORMAT_YAML_TREE_H
#define FEAST_FORMAT_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "feast/error.h"

#define FEAST_YAML_MAX_DEPTH 64

typedef enum feast_ynode_kind { FEAST_Y_SCALAR = 1, FEAST_Y_MAP, FEAST_Y_SEQ } feast_ynode_kind;

typedef struct feast_ynode feast_ynode;
struct feast_ynode {
  feast_ynode_kind kind;
  int line;        /* 1-based */
  bool plain;      /* SCALAR written without quotes (so `null`/`~` mean null) */
  char *text;      /* SCALAR: NUL-terminated */
  size_t len;      /* SCALAR: bytes in text */
  size_t n;        /* MAP: pairs; SEQ: items */
  size_t cap;
  feast_ynode **items; /* MAP: key at 2i, value at 2i+1; SEQ: item i */
};

typedef struct feast_ydoc {
  int line; /* where the document starts */
  feast_ynode *root; /* NULL for an empty document */
} feast_ydoc;

typedef struct feast_ytree {
  feast_arena *arena;
  size_t n;
  feast_ydoc *docs; /* in the arena */
} feast_ytree;

/* Parse every document of text. On failure the message reads
 * "line L, column C: problem" (the caller prefixes the file name). */
feast_code feast_ytree_parse(const char *text, size_t len, feast_ytree *out, feast_error *err);
void feast_ytree_free(feast_ytree *t);

/* A plain null scalar: `null`, `Null`, `NULL`, `~` or nothing. */
bool feast_ynode_is_null(const feast_ynode *n);

#endif
