/*
 * yaml_tree.c - builds feast_ytree from libyaml events. libyaml's own
 * document loader recurses once per nesting level and expands aliases, so
 * outside input goes through the event API with an explicit stack instead.
 */
#include "format/yaml/yaml_tree.h"

#include <string.h>
#include <yaml.h>

#include "base/alloc.h"

bool feast_ynode_is_null(const feast_ynode *n) {
  if (!n) return true;
  if (n->kind != FEAST_Y_SCALAR || !n->plain) return false;
  return n->len == 0 || strcmp(n->text, "null") == 0 || strcmp(n->text, "Null") == 0 ||
         strcmp(n->text, "NULL") == 0 || strcmp(n->text, "~") == 0;
}

static feast_code add_child(feast_arena *a, feast_ynode *parent, feast_ynode *child, feast_error *err) {
  size_t used = parent->kind == FEAST_Y_MAP ? 2 * parent->n + parent->len : parent->n;
  if (used >= parent->cap) {
    /* Grow by doubling in the arena: the old array is abandoned, which at
     * most doubles the memory spent on item arrays. */
    size_t cap = parent->cap ? parent->cap * 2 : 8;
    feast_ynode **items = feast_arena_alloc(a, cap * sizeof *items);
    if (!items) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (parent->cap) memcpy(items, parent->items, parent->cap * sizeof *items);
    parent->items = items;
    parent->cap = cap;
  }
  if (parent->kind == FEAST_Y_SEQ) {
    parent->items[parent->n++] = child;
  } else {
    /* n counts complete pairs; a pending key sits at items[2n] until its
     * value arrives, flagged by the odd slot count kept in `len`. */
    parent->items[2 * parent->n + parent->len] = child;
    if (parent->len) {
      parent->len = 0;
      parent->n++;
    } else {
      parent->len = 1;
    }
  }
  return FEAST_OK;
}

static feast_code yaml_problem(yaml_parser_t *p, feast_error *err) {
  if (p->error == YAML_MEMORY_ERROR) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  const yaml_mark_t *m = p->context ? &p->context_mark : &p->problem_mark;
  if (p->problem && p->context)
    return feast_fail(err, FEAST_E_INVALID, "line %d, column %d: %s %s", (int)p->problem_mark.line + 1,
                      (int)p->problem_mark.column + 1, p->context, p->problem);
  return feast_fail(err, FEAST_E_INVALID, "line %d, column %d: %s", (int)m->line + 1, (int)m->column + 1,
                    p->problem ? p->problem : "malformed YAML");
}

static feast_code new_node(feast_arena *a, feast_ynode_kind kind, const yaml_mark_t *mark, feast_ynode **out,
                           feast_error *err) {
  feast_ynode *n = feast_arena_calloc(a, sizeof *n);
  if (!n) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  n->kind = kind;
  n->line = (int)mark->line + 1;
  *out = n;
  return FEAST_OK;
}

feast_code feast_ytree_parse(const char *text, size_t len, feast_ytree *out, feast_error *err) {
  memset(out, 0, sizeof *out);
  out->arena = feast_arena_new(0);
  if (!out->arena) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p)) {
    feast_ytree_free(out);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  feast_ynode *stack[FEAST_YAML_MAX_DEPTH];
  int depth = 0;
  size_t cap_docs = 0;
  feast_ydoc *cur = NULL;
  feast_code rc = FEAST_OK;
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      rc = yaml_problem(&p, err);
      break;
    }
    feast_ynode *node = NULL;
    int done = 0;
    switch (ev.type) {
    case YAML_STREAM_END_EVENT: done = 1; break;
    case YAML_DOCUMENT_START_EVENT:
      if (out->n == cap_docs) {
        size_t cap = cap_docs ? cap_docs * 2 : 4;
        feast_ydoc *docs = feast_arena_alloc(out->arena, cap * sizeof *docs);
        if (!docs) {
          rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
          break;
        }
        if (out->n) memcpy(docs, out->docs, out->n * sizeof *docs);
        out->docs = docs;
        cap_docs = cap;
      }
      cur = &out->docs[out->n++];
      cur->line = (int)ev.start_mark.line + 1;
      cur->root = NULL;
      break;
    case YAML_ALIAS_EVENT:
      rc = feast_fail(err, FEAST_E_INVALID, "line %d, column %d: aliases (*name) are not supported",
                      (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1);
      break;
    case YAML_SCALAR_EVENT:
      rc = new_node(out->arena, FEAST_Y_SCALAR, &ev.start_mark, &node, err);
      if (rc) break;
      node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
      node->len = ev.data.scalar.length;
      node->text = feast_arena_strndup(out->arena, (const char *)ev.data.scalar.value, ev.data.scalar.length);
      if (!node->text) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
      break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      if (depth == FEAST_YAML_MAX_DEPTH) {
        rc = feast_fail(err, FEAST_E_TOO_BIG, "line %d: nesting deeper than %d levels", (int)ev.start_mark.line + 1,
                        FEAST_YAML_MAX_DEPTH);
        break;
      }
      rc = new_node(out->arena, ev.type == YAML_MAPPING_START_EVENT ? FEAST_Y_MAP : FEAST_Y_SEQ, &ev.start_mark, &node,
                    err);
      break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: depth--; break;
    default: break;
    }
    if (!rc && (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
                ev.type == YAML_MAPPING_START_EVENT)) {
      if (depth > 0)
        rc = add_child(out->arena, stack[depth - 1], node, err);
      else if (cur)
        cur->root = node;
      if (!rc && ev.type != YAML_SCALAR_EVENT) stack[depth++] = node;
    }
    yaml_event_delete(&ev);
    if (rc || done) break;
  }
  yaml_parser_delete(&p);
  if (rc) feast_ytree_free(out);
  return rc;
}

void feast_ytree_free(feast_ytree *t) {
  feast_arena_free(t->arena);
  memset(t, 0, sizeof *t);
}
