/*
 * proto_plan.c - compiles wanted column paths into the per-message dispatch
 * tables of proto_plan.h. First a tree of the messages on wanted paths is
 * built (a node per path prefix, not per type: one type reached by two paths
 * is two nodes with their own columns), then it is laid out depth-first so
 * that every subtree is a contiguous range of nodes, leaves and oneof cases,
 * and each node gets a table from field key to action.
 */
#include "format/proto/proto_plan.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "format/proto/proto_types.h"
#include "format/proto/wire.h"

#define MAX_PATH_DEPTH 64
#define MAX_DENSE_FIELD 2047 /* fields up to here take the one- or two-byte key table */
#define MIN_KEY_LIMIT 128    /* keys of fields 1..15: one byte */
#define MAX_ENUM_SPAN 1024

typedef struct bnode {
  int parent;
  const feast_proto_message *msg;
  const feast_proto_field *via; /* the field of the parent that holds it */
  char *path;
  int index; /* depth-first position */
  int node_end, leaf_begin, leaf_end; /* the subtree's ranges */
} bnode;

typedef struct bleaf {
  int node;
  const feast_proto_field *f;
  feast_value_type type;
  const char *path;
  size_t req;
  bool list;
  feast_dtype dtype, elem;
  int index;
} bleaf;

typedef struct build {
  feast_proto_plan *plan;
  const feast_proto_message *top;
  const feast_proto_plan_options *opts;
  bnode *bn;
  int n_bn;
  bleaf *bl;
  int n_bl;
  int next_node, next_leaf, next_oneof;
  int problems, schema_problems;
  feast_error *err;
} build;

static feast_code oom(feast_error *err) { return feast_fail(err, FEAST_E_NOMEM, "out of memory compiling a protobuf plan"); }

static void problem(build *b, const feast_column_req *r, bool schema, const char *fmt, const char *a, const char *c) {
  char why[512], line[900];
  snprintf(why, sizeof why, fmt, a, c);
  snprintf(line, sizeof line, "column '%s' (%s %s): %s", r->column ? r->column : "", r->role ? r->role : "column",
           r->name ? r->name : (r->column ? r->column : ""), why);
  if (!b->problems++) feast_fail(b->err, FEAST_E_SCHEMA, "%s", line);
  else feast_error_append(b->err, "%s", line);
  if (schema) b->schema_problems++;
}

/* Wire type of one value of a field of type t. */
static int value_wire(feast_pb_type t) {
  switch (t) {
  case FEAST_PB_DOUBLE:
  case FEAST_PB_FIXED64:
  case FEAST_PB_SFIXED64: return FEAST_WIRE_I64;
  case FEAST_PB_FLOAT:
  case FEAST_PB_FIXED32:
  case FEAST_PB_SFIXED32: return FEAST_WIRE_I32;
  case FEAST_PB_STRING:
  case FEAST_PB_BYTES:
  case FEAST_PB_MESSAGE: return FEAST_WIRE_LEN;
  case FEAST_PB_GROUP: return FEAST_WIRE_SGROUP;
  default: return FEAST_WIRE_VARINT;
  }
}

static uint8_t value_conv(feast_pb_type t) {
  switch (t) {
  case FEAST_PB_INT32:
  case FEAST_PB_SFIXED32:
  case FEAST_PB_ENUM: return FEAST_PCONV_I32;
  case FEAST_PB_UINT32:
  case FEAST_PB_FIXED32:
  case FEAST_PB_FLOAT: return FEAST_PCONV_U32;
  case FEAST_PB_BOOL: return FEAST_PCONV_BOOL;
  case FEAST_PB_SINT32: return FEAST_PCONV_ZZ32;
  case FEAST_PB_SINT64: return FEAST_PCONV_ZZ64;
  default: return FEAST_PCONV_RAW;
  }
}

static uint8_t store_for(feast_dtype t, feast_pb_type p, const feast_proto_field *f) {
  if (p == FEAST_PB_ENUM) return FEAST_PSTORE_ENUM;
  if (t.id == FEAST_DT_TIMESTAMP) return p == FEAST_PB_MESSAGE && feast_proto_is_timestamp(f->message) ? FEAST_PSTORE_TS : FEAST_PSTORE_TS_INT;
  if (t.id == FEAST_DT_BOOL) return FEAST_PSTORE_BIT;
  if (t.id == FEAST_DT_STRING || t.id == FEAST_DT_BINARY) return FEAST_PSTORE_VAR;
  return feast_dtype_byte_width(t) == 8 ? FEAST_PSTORE_W8 : FEAST_PSTORE_W4;
}

static int find_child(const build *b, int parent, const feast_proto_field *via) {
  for (int i = 1; i < b->n_bn; i++)
    if (b->bn[i].parent == parent && b->bn[i].via == via) return i;
  return -1;
}

static int find_leaf_field(const build *b, int node, const feast_proto_field *f) {
  for (int i = 0; i < b->n_bl; i++)
    if (b->bl[i].node == node && b->bl[i].f == f) return i;
  return -1;
}

/* Walk one wanted path; adds nodes and a leaf, or records a problem. */
static feast_code add_path(build *b, const feast_column_req *r, size_t req_index) {
  const char *path = r->column;
  if (!path || !*path) {
    problem(b, r, true, "an empty column name%s%s", "", "");
    return FEAST_OK;
  }
  for (int i = 0; i < b->n_bl; i++) {
    if (strcmp(b->bl[i].path, path) != 0) continue;
    if (b->bl[i].type != r->type)
      problem(b, r, true, "asked for as %s and as %s", feast_value_type_name(b->bl[i].type),
              feast_value_type_name(r->type));
    return FEAST_OK;
  }
  int cur = 0, depth = 0;
  const feast_proto_message *m = b->top;
  const char *p = path;
  char part[256];
  for (;;) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    if (len == 0 || len >= sizeof part) {
      problem(b, r, true, "'%s' is not a dotted path of field names%s", path, "");
      return FEAST_OK;
    }
    if (++depth > MAX_PATH_DEPTH) {
      problem(b, r, true, "the path is deeper than %s%s levels", "64", "");
      return FEAST_OK;
    }
    memcpy(part, p, len);
    part[len] = 0;
    const feast_proto_field *f = feast_proto_message_field(m, part);
    if (!f) {
      problem(b, r, true, "no field '%s' in message %s", part, m->full_name);
      return FEAST_OK;
    }
    if (feast_proto_is_map(f)) {
      problem(b, r, false, "field '%s' of %s is a map; map fields are not supported (use a repeated message or "
                           "separate fields)", part, m->full_name);
      return FEAST_OK;
    }
    if (f->type == FEAST_PB_GROUP) {
      problem(b, r, false, "field '%s' of %s is a proto2 group; groups are not supported", part, m->full_name);
      return FEAST_OK;
    }
    if (dot) {
      if (f->type != FEAST_PB_MESSAGE || !f->message || f->label == FEAST_PB_REPEATED) {
        problem(b, r, true, "field '%s' of %s is not a singular message, so a path cannot go through it", part,
                m->full_name);
        return FEAST_OK;
      }
      if (find_leaf_field(b, cur, f) >= 0) {
        problem(b, r, true, "the path goes inside '%s', which is a column itself%s", part, "");
        return FEAST_OK;
      }
      int child = find_child(b, cur, f);
      if (child < 0) {
        bnode *n = &b->bn[b->n_bn];
        n->parent = cur;
        n->msg = f->message;
        n->via = f;
        n->path = feast_arena_strndup(b->plan->arena, path, (size_t)(dot - path));
        if (!n->path) return oom(b->err);
        child = b->n_bn++;
      }
      cur = child;
      m = f->message;
      p = dot + 1;
      continue;
    }
    /* the last component: the column's field */
    if (find_child(b, cur, f) >= 0) {
      problem(b, r, true, "'%s' is a column and also on the path of another column%s", part, "");
      return FEAST_OK;
    }
    bleaf *l = &b->bl[b->n_bl];
    memset(l, 0, sizeof *l);
    if (r->type == FEAST_VT_INVALID) {
      if (!feast_proto_natural_dtype(f, &l->elem, &l->list)) {
        problem(b, r, true, "field '%s' of %s is a message; name one of its fields", part, m->full_name);
        return FEAST_OK;
      }
    } else if (!feast_proto_field_fits(r->type, f)) {
      char found[300];
      const char *base = f->type == FEAST_PB_MESSAGE || f->type == FEAST_PB_ENUM ? f->type_name : feast_pb_type_name(f->type);
      snprintf(found, sizeof found, "%s%s", f->label == FEAST_PB_REPEATED ? "repeated " : "", base ? base : "?");
      char want[200];
      snprintf(want, sizeof want, "%s%s for %s", feast_value_type_is_list(r->type) ? "repeated " : "",
               feast_proto_expected_desc(r->type), feast_value_type_name(r->type));
      problem(b, r, true, "expected %s, found %s", want, found);
      return FEAST_OK;
    } else {
      l->list = feast_value_type_is_list(r->type);
      l->elem = feast_dtype_for_value_type(feast_value_type_element(r->type));
    }
    l->dtype = l->list ? feast_dtype_make(FEAST_DT_LIST) : l->elem;
    l->node = cur;
    l->f = f;
    l->type = r->type;
    l->path = feast_arena_strdup(b->plan->arena, path);
    l->req = req_index;
    if (!l->path) return oom(b->err);
    b->n_bl++;
    return FEAST_OK;
  }
}

/* Depth-first numbering: a node, its own leaves, then its children. */
static void number_dfs(build *b, int n) {
  b->bn[n].index = b->next_node++;
  b->bn[n].leaf_begin = b->next_leaf;
  for (int i = 0; i < b->n_bl; i++)
    if (b->bl[i].node == n) b->bl[i].index = b->next_leaf++;
  for (int i = 1; i < b->n_bn; i++)
    if (b->bn[i].parent == n) number_dfs(b, i);
  b->bn[n].node_end = b->next_node;
  b->bn[n].leaf_end = b->next_leaf;
}

static feast_code build_enum(build *b, const feast_proto_enum *e, const feast_proto_enum_names **out) {
  feast_arena *a = b->plan->arena;
  feast_proto_enum_names *en = feast_arena_calloc(a, sizeof *en);
  if (!en) return oom(b->err);
  en->default_name = "0";
  if (e->n_values) {
    en->default_name = e->value_names[0];
    en->min = en->max = e->value_numbers[0];
  }
  for (size_t i = 0; i < e->n_values; i++) {
    int32_t v = e->value_numbers[i];
    if (v < en->min) en->min = v;
    if (v > en->max) en->max = v;
  }
  for (size_t i = e->n_values; i-- > 0;)
    if (e->value_numbers[i] == 0) en->default_name = e->value_names[i];
  if (e->n_values && (int64_t)en->max - en->min < MAX_ENUM_SPAN) {
    size_t span = (size_t)((int64_t)en->max - en->min + 1);
    en->names = feast_arena_calloc(a, span * sizeof *en->names);
    en->lens = feast_arena_calloc(a, span * sizeof *en->lens);
    if (!en->names || !en->lens) return oom(b->err);
    for (size_t i = 0; i < e->n_values; i++) {
      size_t k = (size_t)((int64_t)e->value_numbers[i] - en->min);
      if (en->names[k]) continue; /* an alias: the first declared name wins */
      en->names[k] = feast_arena_strdup(a, e->value_names[i]);
      if (!en->names[k]) return oom(b->err);
      en->lens[k] = (uint32_t)strlen(en->names[k]);
    }
  } else {
    en->min = 1, en->max = 0; /* empty dense range */
    en->sparse_numbers = feast_arena_calloc(a, (e->n_values + 1) * sizeof *en->sparse_numbers);
    en->sparse_names = feast_arena_calloc(a, (e->n_values + 1) * sizeof *en->sparse_names);
    if (!en->sparse_numbers || !en->sparse_names) return oom(b->err);
    for (size_t i = 0; i < e->n_values; i++) {
      int32_t v = e->value_numbers[i];
      size_t j = en->n_sparse;
      bool dup = false;
      for (size_t k = 0; k < en->n_sparse; k++) dup |= en->sparse_numbers[k] == v;
      if (dup) continue;
      while (j > 0 && en->sparse_numbers[j - 1] > v) {
        en->sparse_numbers[j] = en->sparse_numbers[j - 1];
        en->sparse_names[j] = en->sparse_names[j - 1];
        j--;
      }
      en->sparse_numbers[j] = v;
      en->sparse_names[j] = feast_arena_strdup(a, e->value_names[i]);
      if (!en->sparse_names[j]) return oom(b->err);
      en->n_sparse++;
    }
  }
  en->default_name = feast_arena_strdup(a, en->default_name);
  if (!en->default_name) return oom(b->err);
  *out = en;
  return FEAST_OK;
}

/* A node's actions while they are gathered: key -> action. */
typedef struct keyed {
  uint32_t key;
  feast_proto_action act;
} keyed;

static int count_oneof_members(const feast_proto_message *m, int32_t oneof) {
  int n = 0;
  for (size_t i = 0; i < m->n_fields; i++) n += m->fields[i].oneof_index == oneof;
  return n;
}

/* Actions for a value field (leaf) f. */
static size_t leaf_actions(const bleaf *l, int leaf_index, keyed *out) {
  const feast_proto_field *f = l->f;
  feast_proto_action a = {0};
  a.target = (uint16_t)leaf_index;
  a.field = (uint32_t)f->number;
  a.oneof = -1;
  a.repeated = l->list;
  size_t n = 0;
  feast_pb_type vt = feast_proto_value_type(f);
  if (f->type == FEAST_PB_MESSAGE) {
    a.op = feast_proto_is_timestamp(f->message) ? FEAST_POP_TIMESTAMP : FEAST_POP_WRAPPER;
    a.wire = (uint8_t)value_wire(vt);
    a.conv = value_conv(vt);
    a.utf8 = vt == FEAST_PB_STRING;
    out[n++] = (keyed){((uint32_t)f->number << 3) | FEAST_WIRE_LEN, a};
    return n;
  }
  int wt = value_wire(vt);
  a.conv = value_conv(vt);
  a.utf8 = vt == FEAST_PB_STRING;
  a.op = wt == FEAST_WIRE_LEN ? FEAST_POP_BYTES : wt == FEAST_WIRE_I32 ? FEAST_POP_FIXED32 : wt == FEAST_WIRE_I64 ? FEAST_POP_FIXED64 : FEAST_POP_VARINT;
  out[n++] = (keyed){((uint32_t)f->number << 3) | (uint32_t)wt, a};
  if (l->list && wt != FEAST_WIRE_LEN) { /* parsers take both packed and unpacked, whatever the declaration */
    a.op = FEAST_POP_PACKED;
    a.wire = (uint8_t)wt;
    out[n++] = (keyed){((uint32_t)f->number << 3) | FEAST_WIRE_LEN, a};
  }
  return n;
}

static uint8_t fast_kind(const feast_proto_action *a) {
  if (a->repeated || a->oneof >= 0) return FEAST_PFAST_NONE;
  switch (a->op) {
  case FEAST_POP_VARINT:
    return a->conv == FEAST_PCONV_RAW ? FEAST_PFAST_VARINT_RAW
           : a->conv == FEAST_PCONV_I32 ? FEAST_PFAST_VARINT_I32
           : a->conv == FEAST_PCONV_BOOL ? FEAST_PFAST_VARINT_BOOL
                                         : FEAST_PFAST_NONE;
  case FEAST_POP_FIXED32: return a->conv == FEAST_PCONV_U32 ? FEAST_PFAST_FIXED32 : FEAST_PFAST_NONE;
  case FEAST_POP_FIXED64: return FEAST_PFAST_FIXED64;
  case FEAST_POP_BYTES: return FEAST_PFAST_BYTES;
  case FEAST_POP_TIMESTAMP: return FEAST_PFAST_TIMESTAMP;
  default: return FEAST_PFAST_NONE;
  }
}

static feast_code build_node(build *b, int bi) {
  feast_proto_plan *plan = b->plan;
  bnode *bn = &b->bn[bi];
  feast_proto_node *nd = &plan->nodes[bn->index];
  const feast_proto_message *m = bn->msg;
  nd->message = feast_arena_strdup(plan->arena, m->full_name);
  nd->path = bn->path ? bn->path : "";
  nd->parent = bn->parent < 0 ? -1 : b->bn[bn->parent].index;
  if (!nd->message) return oom(b->err);
  /* Gather the actions: wanted leaves, child nodes, oneof siblings. */
  size_t cap = 2 * (size_t)b->n_bl + (size_t)b->n_bn + m->n_fields + 4;
  keyed *ks = feast_calloc(cap, sizeof *ks);
  if (!ks) return oom(b->err);
  size_t nk = 0;
  for (int i = 0; i < b->n_bl; i++)
    if (b->bl[i].node == bi) nk += leaf_actions(&b->bl[i], b->bl[i].index, ks + nk);
  for (int i = 1; i < b->n_bn; i++) {
    if (b->bn[i].parent != bi) continue;
    feast_proto_action a = {0};
    a.op = FEAST_POP_MESSAGE;
    a.target = (uint16_t)b->bn[i].index;
    a.field = (uint32_t)b->bn[i].via->number;
    a.oneof = -1;
    ks[nk++] = (keyed){((uint32_t)a.field << 3) | FEAST_WIRE_LEN, a};
  }
  /* Oneofs with a wanted member and more than one member get a case slot;
   * their unwanted members set it too. */
  size_t wanted_n = nk;
  int32_t *seen_oneofs = feast_calloc(m->n_fields + 1, sizeof *seen_oneofs);
  size_t n_seen = 0;
  if (!seen_oneofs) {
    feast_free(ks);
    return oom(b->err);
  }
  for (size_t i = 0; i < m->n_fields; i++) {
    const feast_proto_field *f = &m->fields[i];
    if (f->oneof_index < 0 || count_oneof_members(m, f->oneof_index) < 2) continue;
    bool wanted = false;
    for (size_t k = 0; k < wanted_n; k++) wanted |= ks[k].act.field == (uint32_t)f->number;
    if (!wanted) continue;
    bool done = false;
    for (size_t k = 0; k < n_seen; k++) done |= seen_oneofs[k] == f->oneof_index;
    if (done) continue; /* this oneof has its slot already */
    seen_oneofs[n_seen++] = f->oneof_index;
    int slot = b->next_oneof++;
    int nm = count_oneof_members(m, f->oneof_index);
    plan->oneof_members[slot] = feast_arena_calloc(plan->arena, (size_t)nm * sizeof **plan->oneof_members);
    if (!plan->oneof_members[slot]) {
      feast_free(ks);
      feast_free(seen_oneofs);
      return oom(b->err);
    }
    for (size_t j = 0; j < m->n_fields; j++) {
      const feast_proto_field *g = &m->fields[j];
      if (g->oneof_index != f->oneof_index) continue;
      struct feast_proto_oneof_member *mem = &plan->oneof_members[slot][plan->oneof_members_n[slot]++];
      mem->field = (uint32_t)g->number;
      mem->leaf = -1;
      mem->node = -1;
      bool has = false;
      for (size_t k = 0; k < wanted_n; k++) {
        if (ks[k].act.field != (uint32_t)g->number) continue;
        has = true;
        ks[k].act.oneof = (int16_t)slot;
        if (ks[k].act.op == FEAST_POP_MESSAGE) mem->node = ks[k].act.target;
        else mem->leaf = ks[k].act.target;
      }
      if (!has) {
        feast_proto_action a = {0};
        a.op = FEAST_POP_ONEOF;
        a.field = (uint32_t)g->number;
        a.oneof = (int16_t)slot;
        ks[nk++] = (keyed){((uint32_t)g->number << 3) | (uint32_t)value_wire(g->type), a};
      }
    }
  }
  feast_free(seen_oneofs);
  /* Lay the actions out: four sentinels, then one per key. */
  nd->actions = feast_arena_calloc(plan->arena, (nk + 4) * sizeof *nd->actions);
  if (!nd->actions) {
    feast_free(ks);
    return oom(b->err);
  }
  nd->n_actions = nk + 4;
  for (int s = 0; s < 4; s++) nd->actions[s].op = (uint8_t)s, nd->actions[s].oneof = -1;
  uint32_t max_field = 0;
  for (size_t k = 0; k < nk; k++) {
    nd->actions[k + 4] = ks[k].act;
    nd->actions[k + 4].fast = fast_kind(&ks[k].act);
    feast_proto_action *a = &nd->actions[k + 4];
    if (a->op >= FEAST_POP_VARINT && a->op <= FEAST_POP_WRAPPER && !a->repeated) {
      uint8_t st = plan->leaves[a->target].store;
      a->direct = st == FEAST_PSTORE_W8 ? 8 : st == FEAST_PSTORE_W4 ? 4 : st == FEAST_PSTORE_BIT ? 1 : 0;
    }
    if (ks[k].act.field <= MAX_DENSE_FIELD && ks[k].act.field > max_field) max_field = ks[k].act.field;
  }
  nd->key_limit = (max_field + 1) << 3;
  if (nd->key_limit < MIN_KEY_LIMIT) nd->key_limit = MIN_KEY_LIMIT;
  nd->dispatch = feast_arena_alloc(plan->arena, nd->key_limit * sizeof *nd->dispatch);
  size_t n_sparse_max = 6 * nk + 1;
  nd->sparse = feast_arena_calloc(plan->arena, n_sparse_max * sizeof *nd->sparse);
  if (!nd->dispatch || !nd->sparse) {
    feast_free(ks);
    return oom(b->err);
  }
  for (uint32_t key = 0; key < nd->key_limit; key++) {
    uint32_t wt = key & 7;
    nd->dispatch[key] = key >> 3 == 0 || wt > 5 ? FEAST_POP_FIELD0 : wt == FEAST_WIRE_EGROUP ? FEAST_POP_END_GROUP : FEAST_POP_SKIP;
  }
  /* A wanted field's other wire types are errors (not unknown fields): a
   * value of another type under its number means the writer used another
   * schema, and reading it as absent would hide that. */
  for (size_t k = 0; k < nk; k++) {
    uint32_t field = ks[k].act.field;
    bool value_field = ks[k].act.op != FEAST_POP_ONEOF;
    for (uint32_t wt = 0; wt <= 5; wt++) {
      uint32_t key = (field << 3) | wt;
      uint16_t act = FEAST_POP_SKIP;
      bool mapped = false;
      for (size_t j = 0; j < nk; j++)
        if (ks[j].key == key) act = (uint16_t)(j + 4), mapped = true;
      if (!mapped) {
        if (!value_field) continue;
        act = wt == FEAST_WIRE_EGROUP ? FEAST_POP_END_GROUP : FEAST_POP_BAD_WIRE;
      }
      if (key < nd->key_limit) {
        nd->dispatch[key] = act;
      } else {
        bool dup = false;
        for (size_t s = 0; s < nd->n_sparse; s++) dup |= nd->sparse[s].key == key;
        if (dup) continue;
        size_t s = nd->n_sparse++;
        while (s > 0 && nd->sparse[s - 1].key > key) {
          nd->sparse[s] = nd->sparse[s - 1];
          s--;
        }
        nd->sparse[s].key = key;
        nd->sparse[s].action = act;
      }
    }
  }
  feast_free(ks);
  return FEAST_OK;
}

static feast_code lay_out(build *b) {
  feast_proto_plan *plan = b->plan;
  feast_arena *a = plan->arena;
  plan->n_nodes = b->n_bn;
  plan->n_leaves = b->n_bl;
  plan->nodes = feast_arena_calloc(a, (size_t)b->n_bn * sizeof *plan->nodes);
  plan->leaves = feast_arena_calloc(a, ((size_t)b->n_bl + 1) * sizeof *plan->leaves);
  size_t max_oneofs = 1;
  for (int i = 0; i < b->n_bn; i++) max_oneofs += b->bn[i].msg->n_fields;
  plan->oneof_members_n = feast_arena_calloc(a, max_oneofs * sizeof *plan->oneof_members_n);
  plan->oneof_members = feast_arena_calloc(a, max_oneofs * sizeof *plan->oneof_members);
  plan->list_leaves = feast_arena_calloc(a, ((size_t)b->n_bl + 1) * sizeof *plan->list_leaves);
  if (!plan->nodes || !plan->leaves || !plan->oneof_members_n || !plan->oneof_members || !plan->list_leaves)
    return oom(b->err);
  number_dfs(b, 0);
  for (int i = 0; i < b->n_bn; i++) {
    feast_proto_node *nd = &plan->nodes[b->bn[i].index];
    nd->node_begin = b->bn[i].index;
    nd->node_end = b->bn[i].node_end;
    nd->leaf_begin = b->bn[i].leaf_begin;
    nd->leaf_end = b->bn[i].leaf_end;
  }
  for (int i = 0; i < b->n_bl; i++) {
    bleaf *bl = &b->bl[i];
    feast_proto_leaf *l = &plan->leaves[bl->index];
    const feast_proto_message *m = b->bn[bl->node].msg;
    l->path = bl->path;
    l->node = b->bn[bl->node].index;
    feast_pb_type vt = feast_proto_value_type(bl->f);
    uint8_t s = store_for(bl->elem, vt, bl->f);
    l->store = bl->list ? FEAST_PSTORE_LIST : s;
    l->elem_store = s;
    l->nullable = bl->f->type == FEAST_PB_MESSAGE || bl->f->oneof_index >= 0 || !m->proto3;
    if (bl->list) l->nullable = 0; /* an unset repeated field is an empty list */
    l->ts_mul = 1, l->ts_div = 1;
    switch (b->opts ? b->opts->int64_ts_unit : FEAST_UNIT_S) {
    case FEAST_UNIT_S: l->ts_mul = 1000000; break;
    case FEAST_UNIT_MS: l->ts_mul = 1000; break;
    case FEAST_UNIT_NS: l->ts_div = 1000; break;
    default: break;
    }
    if (vt == FEAST_PB_ENUM) {
      feast_code rc = build_enum(b, bl->f->enum_type, &l->enums);
      if (rc) return rc;
    }
    if (bl->list) plan->list_leaves[plan->n_list_leaves++] = (uint16_t)bl->index;
  }
  /* Nodes in depth-first order, each with its oneof slots numbered before
   * those of its children. */
  for (int k = 0; k < b->n_bn; k++) {
    int bi = -1;
    for (int i = 0; i < b->n_bn; i++)
      if (b->bn[i].index == k) bi = i;
    feast_proto_node *nd = &plan->nodes[k];
    nd->oneof_begin = b->next_oneof;
    feast_code rc = build_node(b, bi);
    if (rc) return rc;
  }
  plan->n_oneofs = b->next_oneof;
  /* Oneof slots were numbered node by node in depth-first order, so a
   * subtree's slots end where those of the node after it begin. */
  for (int k = 0; k < b->n_bn; k++) {
    feast_proto_node *nd = &plan->nodes[k];
    nd->oneof_end = nd->node_end < b->n_bn ? plan->nodes[nd->node_end].oneof_begin : plan->n_oneofs;
  }
  /* Columns in request order. */
  plan->n_columns = b->n_bl;
  plan->column_names = feast_arena_calloc(a, ((size_t)b->n_bl + 1) * sizeof *plan->column_names);
  plan->column_types = feast_arena_calloc(a, ((size_t)b->n_bl + 1) * sizeof *plan->column_types);
  plan->column_elems = feast_arena_calloc(a, ((size_t)b->n_bl + 1) * sizeof *plan->column_elems);
  plan->column_request = feast_arena_calloc(a, ((size_t)b->n_bl + 1) * sizeof *plan->column_request);
  plan->column_leaf = feast_arena_calloc(a, ((size_t)b->n_bl + 1) * sizeof *plan->column_leaf);
  if (!plan->column_names || !plan->column_types || !plan->column_elems || !plan->column_request || !plan->column_leaf)
    return oom(b->err);
  for (int i = 0; i < b->n_bl; i++) {
    plan->column_names[i] = b->bl[i].path;
    plan->column_types[i] = b->bl[i].dtype;
    plan->column_elems[i] = b->bl[i].elem;
    plan->column_request[i] = b->bl[i].req;
    plan->column_leaf[i] = b->bl[i].index;
    plan->leaves[b->bl[i].index].column = i;
  }
  for (int i = 0; i < b->n_bn; i++) {
    int depth = 0;
    for (int p = i; p > 0; p = b->bn[p].parent) depth++;
    if (depth > plan->max_depth) plan->max_depth = depth;
  }
  return FEAST_OK;
}

feast_code feast_proto_plan_compile(const feast_proto_pool *pool, const char *class_path, const feast_column_req *cols,
                                    size_t n, const feast_proto_plan_options *opts, feast_proto_plan **out,
                                    feast_error *err) {
  *out = NULL;
  const feast_proto_message *top;
  feast_code rc = feast_proto_pool_resolve(pool, class_path ? class_path : "", &top, err);
  if (rc) return rc;
  if (n > 4096) return feast_fail(err, FEAST_E_TOO_BIG, "%zu columns wanted from %s; at most 4096", n, top->full_name);
  feast_proto_plan *plan = feast_calloc(1, sizeof *plan);
  build b = {0};
  b.plan = plan;
  b.top = top;
  b.opts = opts;
  b.err = err;
  size_t max_nodes = 1;
  for (size_t i = 0; i < n; i++)
    for (const char *p = cols[i].column; p && *p; p++) max_nodes += *p == '.';
  if (!plan || !(plan->arena = feast_arena_new(0)) || !(b.bn = feast_calloc(max_nodes, sizeof *b.bn)) ||
      !(b.bl = feast_calloc(n + 1, sizeof *b.bl))) {
    rc = oom(err);
    goto done;
  }
  plan->message = feast_arena_strdup(plan->arena, top->full_name);
  if (!plan->message) {
    rc = oom(err);
    goto done;
  }
  b.bn[0].parent = -1;
  b.bn[0].msg = top;
  b.n_bn = 1;
  for (size_t i = 0; i < n && !rc; i++) rc = add_path(&b, &cols[i], i);
  if (!rc && b.problems) rc = b.schema_problems ? FEAST_E_SCHEMA : FEAST_E_UNSUPPORTED;
  if (rc) {
    if (b.problems) {
      err->code = rc;
      feast_error_prefix(err, "message %s: ", top->full_name);
    }
    goto done;
  }
  rc = lay_out(&b);
done:
  feast_free(b.bn);
  feast_free(b.bl);
  if (rc) {
    feast_proto_plan_free(plan);
    return rc;
  }
  *out = plan;
  return FEAST_OK;
}

void feast_proto_plan_free(feast_proto_plan *plan) {
  if (!plan) return;
  feast_arena_free(plan->arena);
  feast_free(plan);
}

const char *feast_proto_plan_message(const feast_proto_plan *plan) { return plan->message; }
int feast_proto_plan_column_count(const feast_proto_plan *plan) { return plan->n_columns; }
const char *feast_proto_plan_column_name(const feast_proto_plan *plan, int i) { return plan->column_names[i]; }
feast_dtype feast_proto_plan_column_dtype(const feast_proto_plan *plan, int i, feast_dtype *elem) {
  if (elem) *elem = plan->column_elems[i];
  return plan->column_types[i];
}
size_t feast_proto_plan_column_request(const feast_proto_plan *plan, int i) { return plan->column_request[i]; }

feast_code feast_proto_plan_batch_new(const feast_proto_plan *plan, feast_batch **out, feast_error *err) {
  *out = NULL;
  feast_batch *b = feast_batch_new(plan->n_columns);
  if (!b) return oom(err);
  for (int i = 0; i < plan->n_columns; i++) {
    feast_array *a = feast_array_new(plan->column_types[i], plan->column_elems[i]);
    feast_code rc = a ? feast_batch_set_column(b, i, plan->column_names[i], a, err) : oom(err);
    if (rc) {
      feast_batch_free(b);
      return rc;
    }
  }
  *out = b;
  return FEAST_OK;
}
