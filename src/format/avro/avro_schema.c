/*
 * avro_schema.c - Avro schema JSON to nodes (see avro_schema.h). One
 * recursive walk over the JSON tree; named types go into a small hash table
 * as soon as their name is known, so a reference from inside their own
 * definition is recognised as recursion rather than as an unknown name.
 */
#include "format/avro/avro_schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"

#define NAMED_BUCKETS 256

typedef struct named {
  struct named *next;
  const char *fullname;
  feast_avro_node *node;
  bool complete; /* false while its own definition is being read */
} named;

typedef struct parser {
  feast_arena *arena;
  const char *doc_name;
  const char *json;
  size_t json_len;
  int max_depth;
  size_t max_nodes, n_nodes;
  named *buckets[NAMED_BUCKETS];
  char path[512]; /* dotted field path of what is being read, for messages */
  feast_error *err;
} parser;

static const char *const kind_names[] = {"null",   "boolean", "int",   "long",  "float", "double", "bytes",
                                         "string", "record",  "enum",  "array", "map",   "union",  "fixed"};

const char *feast_avro_kind_name(feast_avro_kind k) {
  return (unsigned)k < sizeof kind_names / sizeof *kind_names ? kind_names[k] : "?";
}

const char *feast_avro_logical_name(feast_avro_logical lt) {
  switch (lt) {
  case FEAST_AVRO_LT_DATE: return "date";
  case FEAST_AVRO_LT_TIMESTAMP_MILLIS: return "timestamp-millis";
  case FEAST_AVRO_LT_TIMESTAMP_MICROS: return "timestamp-micros";
  case FEAST_AVRO_LT_TIMESTAMP_NANOS: return "timestamp-nanos";
  case FEAST_AVRO_LT_LOCAL_MILLIS: return "local-timestamp-millis";
  case FEAST_AVRO_LT_LOCAL_MICROS: return "local-timestamp-micros";
  case FEAST_AVRO_LT_LOCAL_NANOS: return "local-timestamp-nanos";
  default: return "";
  }
}

/* ---- messages ---- */

static feast_code fail_at(parser *p, feast_code code, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static feast_code fail_at(parser *p, feast_code code, size_t offset, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  int line = 1, col = 1;
  for (size_t i = 0; i < offset && i < p->json_len; i++) {
    if (p->json[i] == '\n') {
      line++;
      col = 1;
    } else if (((unsigned char)p->json[i] & 0xC0) != 0x80) {
      col++;
    }
  }
  if (p->path[0])
    return feast_fail(p->err, code, "%s: line %d, column %d: field %s: %s", p->doc_name, line, col, p->path, msg);
  return feast_fail(p->err, code, "%s: line %d, column %d: %s", p->doc_name, line, col, msg);
}

static feast_code oom(parser *p) { return feast_fail(p->err, FEAST_E_NOMEM, "%s: out of memory", p->doc_name); }

/* ---- names ---- */

static bool valid_name(const char *s, size_t n) {
  if (!n) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

/* A namespace or fullname: dot-separated names (the empty namespace too). */
static bool valid_dotted(const char *s, bool allow_empty) {
  if (!*s) return allow_empty;
  for (;;) {
    const char *dot = strchr(s, '.');
    size_t n = dot ? (size_t)(dot - s) : strlen(s);
    if (!valid_name(s, n)) return false;
    if (!dot) return true;
    s = dot + 1;
  }
}

static bool is_primitive_name(const char *s) {
  for (int k = FEAST_AVRO_NULL; k <= FEAST_AVRO_STRING; k++)
    if (strcmp(s, kind_names[k]) == 0) return true;
  return false;
}

/* name "a.b.C" is full already; else ns + "." + name (or name alone). */
static const char *qualify(parser *p, const char *name, const char *ns) {
  if (strchr(name, '.') || !ns || !*ns) return feast_arena_strdup(p->arena, name);
  size_t a = strlen(ns), b = strlen(name);
  char *s = feast_arena_alloc(p->arena, a + b + 2);
  if (!s) return NULL;
  memcpy(s, ns, a);
  s[a] = '.';
  memcpy(s + a + 1, name, b + 1);
  return s;
}

static named *lookup(parser *p, const char *fullname) {
  uint64_t h = feast_hash64(fullname, strlen(fullname), 0) % NAMED_BUCKETS;
  for (named *e = p->buckets[h]; e; e = e->next)
    if (strcmp(e->fullname, fullname) == 0) return e;
  return NULL;
}

static feast_code define(parser *p, feast_avro_node *node, size_t offset, named **out) {
  if (lookup(p, node->fullname))
    return fail_at(p, FEAST_E_INVALID, offset, "the name '%s' is defined twice", node->fullname);
  named *e = feast_arena_calloc(p->arena, sizeof *e);
  if (!e) return oom(p);
  uint64_t h = feast_hash64(node->fullname, strlen(node->fullname), 0) % NAMED_BUCKETS;
  e->fullname = node->fullname;
  e->node = node;
  e->next = p->buckets[h];
  p->buckets[h] = e;
  *out = e;
  return FEAST_OK;
}

/* ---- nodes ---- */

static feast_avro_node *new_node(parser *p, feast_avro_kind kind, size_t offset) {
  if (++p->n_nodes > p->max_nodes) {
    fail_at(p, FEAST_E_TOO_BIG, offset, "the schema has more than %zu types and fields", p->max_nodes);
    return NULL;
  }
  feast_avro_node *n = feast_arena_calloc(p->arena, sizeof *n);
  if (!n) {
    oom(p);
    return NULL;
  }
  n->kind = kind;
  n->enum_default = -1;
  return n;
}

static feast_code parse_type(parser *p, const feast_json_value *v, const char *ns, int depth, const feast_avro_node **out);

static feast_code string_list(parser *p, const feast_json_value *arr, const char *what, const char *ns, bool qualify_names,
                              const char *const **out, size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  if (!arr) return FEAST_OK;
  if (arr->kind != FEAST_JSON_ARRAY) return fail_at(p, FEAST_E_INVALID, arr->offset, "%s must be an array of names", what);
  const char **list = feast_arena_calloc(p->arena, (arr->len + 1) * sizeof *list);
  if (!list) return oom(p);
  for (size_t i = 0; i < arr->len; i++) {
    const feast_json_value *s = &arr->items[i];
    if (s->kind != FEAST_JSON_STRING) return fail_at(p, FEAST_E_INVALID, s->offset, "%s must be an array of names", what);
    if (qualify_names ? !valid_dotted(s->str, false) : !valid_name(s->str, s->len))
      return fail_at(p, FEAST_E_INVALID, s->offset, "'%s' in %s is not a valid Avro name", s->str, what);
    list[i] = qualify_names ? qualify(p, s->str, ns) : s->str;
    if (!list[i]) return oom(p);
  }
  *out = list;
  *n_out = arr->len;
  return FEAST_OK;
}

/* name / namespace / aliases of a record, enum or fixed. */
static feast_code named_header(parser *p, const feast_json_value *v, const char *ns, feast_avro_node *n,
                               const char **own_ns) {
  const feast_json_value *name = feast_json_get(v, "name");
  if (!name || name->kind != FEAST_JSON_STRING)
    return fail_at(p, FEAST_E_INVALID, v->offset, "a %s needs a \"name\"", feast_avro_kind_name(n->kind));
  if (!valid_dotted(name->str, false) || name->len != strlen(name->str))
    return fail_at(p, FEAST_E_INVALID, name->offset, "'%s' is not a valid Avro name", name->str);
  const feast_json_value *nsv = feast_json_get(v, "namespace");
  if (nsv && nsv->kind != FEAST_JSON_STRING && nsv->kind != FEAST_JSON_NULL)
    return fail_at(p, FEAST_E_INVALID, nsv->offset, "\"namespace\" must be a string");
  const char *space = ns;
  if (nsv && nsv->kind == FEAST_JSON_STRING) {
    if (!valid_dotted(nsv->str, true))
      return fail_at(p, FEAST_E_INVALID, nsv->offset, "'%s' is not a valid namespace", nsv->str);
    space = nsv->str;
  }
  const char *dot = strrchr(name->str, '.');
  if (dot) {
    space = feast_arena_strndup(p->arena, name->str, (size_t)(dot - name->str));
    if (!space) return oom(p);
  }
  n->fullname = qualify(p, name->str, space);
  if (!n->fullname) return oom(p);
  n->name = dot ? dot + 1 : name->str;
  if (is_primitive_name(n->name))
    return fail_at(p, FEAST_E_INVALID, name->offset, "'%s' is a primitive type and cannot name a %s", n->name,
                   feast_avro_kind_name(n->kind));
  *own_ns = space;
  return string_list(p, feast_json_get(v, "aliases"), "aliases", space, true, &n->aliases, &n->n_aliases);
}

static feast_code push_path(parser *p, const char *field, size_t *saved) {
  size_t used = strlen(p->path);
  *saved = used;
  int w = snprintf(p->path + used, sizeof p->path - used, "%s%s", used ? "." : "", field);
  if (w < 0 || (size_t)w >= sizeof p->path - used) p->path[sizeof p->path - 1] = 0; /* a long path is cut, not refused */
  return FEAST_OK;
}

static feast_code parse_record(parser *p, const feast_json_value *v, const char *ns, int depth, feast_avro_node *n) {
  const char *own_ns;
  feast_code rc = named_header(p, v, ns, n, &own_ns);
  named *entry;
  if (rc || (rc = define(p, n, v->offset, &entry))) return rc;
  const feast_json_value *fields = feast_json_get(v, "fields");
  if (!fields || fields->kind != FEAST_JSON_ARRAY)
    return fail_at(p, FEAST_E_INVALID, v->offset, "record %s needs a \"fields\" array", n->fullname);
  feast_avro_field *fs = feast_arena_calloc(p->arena, (fields->len + 1) * sizeof *fs);
  if (!fs) return oom(p);
  for (size_t i = 0; i < fields->len; i++) {
    const feast_json_value *f = &fields->items[i];
    if (f->kind != FEAST_JSON_OBJECT)
      return fail_at(p, FEAST_E_INVALID, f->offset, "record %s: each field must be an object", n->fullname);
    if (++p->n_nodes > p->max_nodes)
      return fail_at(p, FEAST_E_TOO_BIG, f->offset, "the schema has more than %zu types and fields", p->max_nodes);
    const feast_json_value *name = feast_json_get(f, "name");
    if (!name || name->kind != FEAST_JSON_STRING)
      return fail_at(p, FEAST_E_INVALID, f->offset, "record %s: field %zu needs a \"name\"", n->fullname, i);
    if (!valid_name(name->str, name->len))
      return fail_at(p, FEAST_E_INVALID, name->offset, "record %s: '%s' is not a valid field name", n->fullname,
                     name->str);
    for (size_t j = 0; j < i; j++)
      if (strcmp(fs[j].name, name->str) == 0)
        return fail_at(p, FEAST_E_INVALID, name->offset, "record %s: field '%s' is defined twice", n->fullname,
                       name->str);
    size_t saved;
    push_path(p, name->str, &saved);
    fs[i].name = name->str;
    fs[i].offset = f->offset;
    const feast_json_value *type = feast_json_get(f, "type");
    if (!type) return fail_at(p, FEAST_E_INVALID, f->offset, "the field needs a \"type\"");
    if ((rc = parse_type(p, type, own_ns, depth + 1, &fs[i].type))) return rc;
    if ((rc = string_list(p, feast_json_get(f, "aliases"), "aliases", NULL, false, &fs[i].aliases, &fs[i].n_aliases)))
      return rc;
    fs[i].default_value = feast_json_get(f, "default");
    p->path[saved] = 0;
  }
  n->fields = fs;
  n->n = fields->len;
  entry->complete = true;
  return FEAST_OK;
}

static feast_code parse_enum(parser *p, const feast_json_value *v, const char *ns, feast_avro_node *n) {
  const char *own_ns;
  feast_code rc = named_header(p, v, ns, n, &own_ns);
  named *entry;
  if (rc || (rc = define(p, n, v->offset, &entry))) return rc;
  const feast_json_value *syms = feast_json_get(v, "symbols");
  if (!syms || syms->kind != FEAST_JSON_ARRAY)
    return fail_at(p, FEAST_E_INVALID, v->offset, "enum %s needs a \"symbols\" array", n->fullname);
  if ((rc = string_list(p, syms, "symbols", NULL, false, &n->symbols, &n->n))) return rc;
  for (size_t i = 0; i < n->n; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp(n->symbols[i], n->symbols[j]) == 0)
        return fail_at(p, FEAST_E_INVALID, syms->items[i].offset, "enum %s: symbol '%s' is listed twice", n->fullname,
                       n->symbols[i]);
  const feast_json_value *def = feast_json_get(v, "default");
  if (def) {
    if (def->kind != FEAST_JSON_STRING)
      return fail_at(p, FEAST_E_INVALID, def->offset, "enum %s: \"default\" must be one of its symbols", n->fullname);
    for (size_t i = 0; i < n->n; i++)
      if (strcmp(n->symbols[i], def->str) == 0) n->enum_default = (int)i;
    if (n->enum_default < 0)
      return fail_at(p, FEAST_E_INVALID, def->offset, "enum %s: default '%s' is not one of its symbols", n->fullname,
                     def->str);
  }
  entry->complete = true;
  return FEAST_OK;
}

static feast_code parse_fixed(parser *p, const feast_json_value *v, const char *ns, feast_avro_node *n) {
  const char *own_ns;
  feast_code rc = named_header(p, v, ns, n, &own_ns);
  named *entry;
  if (rc || (rc = define(p, n, v->offset, &entry))) return rc;
  const feast_json_value *size = feast_json_get(v, "size");
  int64_t sz;
  if (!size || size->kind != FEAST_JSON_NUMBER || !feast_json_number_int64(size->str, size->len, &sz) || sz < 0 ||
      sz > INT32_MAX)
    return fail_at(p, FEAST_E_INVALID, size ? size->offset : v->offset, "fixed %s needs a \"size\" from 0 to %d",
                   n->fullname, INT32_MAX);
  n->size = (int32_t)sz;
  entry->complete = true;
  return FEAST_OK;
}

static feast_avro_logical logical_of(feast_avro_kind k, const char *lt) {
  if (!lt) return FEAST_AVRO_LT_NONE;
  if (k == FEAST_AVRO_INT) return strcmp(lt, "date") == 0 ? FEAST_AVRO_LT_DATE : FEAST_AVRO_LT_NONE;
  if (k != FEAST_AVRO_LONG) return FEAST_AVRO_LT_NONE;
  static const struct {
    const char *name;
    feast_avro_logical lt;
  } longs[] = {{"timestamp-millis", FEAST_AVRO_LT_TIMESTAMP_MILLIS},   {"timestamp-micros", FEAST_AVRO_LT_TIMESTAMP_MICROS},
               {"timestamp-nanos", FEAST_AVRO_LT_TIMESTAMP_NANOS},     {"local-timestamp-millis", FEAST_AVRO_LT_LOCAL_MILLIS},
               {"local-timestamp-micros", FEAST_AVRO_LT_LOCAL_MICROS}, {"local-timestamp-nanos", FEAST_AVRO_LT_LOCAL_NANOS}};
  for (size_t i = 0; i < sizeof longs / sizeof *longs; i++)
    if (strcmp(lt, longs[i].name) == 0) return longs[i].lt;
  return FEAST_AVRO_LT_NONE;
}

/* A type named by a string: a primitive or a named type defined earlier. */
static feast_code by_name(parser *p, const feast_json_value *v, const char *ns, const feast_avro_node **out) {
  for (int k = FEAST_AVRO_NULL; k <= FEAST_AVRO_STRING; k++)
    if (strcmp(v->str, kind_names[k]) == 0) {
      *out = new_node(p, (feast_avro_kind)k, v->offset);
      return *out ? FEAST_OK : p->err->code;
    }
  if (!valid_dotted(v->str, false) || v->len != strlen(v->str))
    return fail_at(p, FEAST_E_INVALID, v->offset, "'%s' is not a type name", v->str);
  named *e = NULL;
  if (!strchr(v->str, '.') && ns && *ns) {
    const char *full = qualify(p, v->str, ns);
    if (!full) return oom(p);
    e = lookup(p, full);
  }
  if (!e) e = lookup(p, v->str);
  if (!e) {
    if (strcmp(v->str, "record") == 0 || strcmp(v->str, "enum") == 0 || strcmp(v->str, "array") == 0 ||
        strcmp(v->str, "map") == 0 || strcmp(v->str, "fixed") == 0)
      return fail_at(p, FEAST_E_INVALID, v->offset, "'%s' must be written as an object: {\"type\": \"%s\", ...}", v->str,
                     v->str);
    return fail_at(p, FEAST_E_INVALID, v->offset, "unknown type '%s'", v->str);
  }
  if (!e->complete)
    return fail_at(p, FEAST_E_UNSUPPORTED, v->offset, "recursive type: '%s' is used inside its own definition",
                   e->fullname);
  *out = e->node;
  return FEAST_OK;
}

static feast_code parse_union(parser *p, const feast_json_value *v, const char *ns, int depth, const feast_avro_node **out) {
  feast_avro_node *n = new_node(p, FEAST_AVRO_UNION, v->offset);
  if (!n) return p->err->code;
  if (v->len == 0) return fail_at(p, FEAST_E_INVALID, v->offset, "a union needs at least one branch");
  const feast_avro_node **br = feast_arena_calloc(p->arena, v->len * sizeof *br);
  if (!br) return oom(p);
  for (size_t i = 0; i < v->len; i++) {
    feast_code rc = parse_type(p, &v->items[i], ns, depth + 1, &br[i]);
    if (rc) return rc;
    if (br[i]->kind == FEAST_AVRO_UNION)
      return fail_at(p, FEAST_E_INVALID, v->items[i].offset, "a union cannot hold another union directly");
    for (size_t j = 0; j < i; j++) {
      bool named_kind = br[i]->fullname != NULL;
      if (br[j]->kind == br[i]->kind && (!named_kind || strcmp(br[j]->fullname, br[i]->fullname) == 0))
        return fail_at(p, FEAST_E_INVALID, v->items[i].offset, "the union holds %s twice",
                       named_kind ? br[i]->fullname : feast_avro_kind_name(br[i]->kind));
    }
  }
  n->branches = br;
  n->n = v->len;
  *out = n;
  return FEAST_OK;
}

static feast_code parse_type(parser *p, const feast_json_value *v, const char *ns, int depth, const feast_avro_node **out) {
  if (depth > p->max_depth)
    return fail_at(p, FEAST_E_TOO_BIG, v->offset, "the schema nests deeper than %d levels", p->max_depth);
  if (v->kind == FEAST_JSON_STRING) return by_name(p, v, ns, out);
  if (v->kind == FEAST_JSON_ARRAY) return parse_union(p, v, ns, depth, out);
  if (v->kind != FEAST_JSON_OBJECT)
    return fail_at(p, FEAST_E_INVALID, v->offset, "a type must be a name, an object or an array (union)");
  const feast_json_value *type = feast_json_get(v, "type");
  if (!type) return fail_at(p, FEAST_E_INVALID, v->offset, "a type object needs a \"type\"");
  if (type->kind != FEAST_JSON_STRING)
    return fail_at(p, FEAST_E_INVALID, type->offset, "\"type\" of a type object must be a string");
  const char *t = type->str;
  feast_avro_node *n;
  feast_code rc = FEAST_OK;
  if (strcmp(t, "record") == 0 || strcmp(t, "error") == 0) {
    if (!(n = new_node(p, FEAST_AVRO_RECORD, v->offset))) return p->err->code;
    rc = parse_record(p, v, ns, depth, n);
  } else if (strcmp(t, "enum") == 0) {
    if (!(n = new_node(p, FEAST_AVRO_ENUM, v->offset))) return p->err->code;
    rc = parse_enum(p, v, ns, n);
  } else if (strcmp(t, "fixed") == 0) {
    if (!(n = new_node(p, FEAST_AVRO_FIXED, v->offset))) return p->err->code;
    rc = parse_fixed(p, v, ns, n);
  } else if (strcmp(t, "array") == 0 || strcmp(t, "map") == 0) {
    bool arr = t[0] == 'a';
    if (!(n = new_node(p, arr ? FEAST_AVRO_ARRAY : FEAST_AVRO_MAP, v->offset))) return p->err->code;
    const feast_json_value *items = feast_json_get(v, arr ? "items" : "values");
    if (!items) return fail_at(p, FEAST_E_INVALID, v->offset, "an %s needs \"%s\"", t, arr ? "items" : "values");
    rc = parse_type(p, items, ns, depth + 1, &n->items);
  } else {
    for (int k = FEAST_AVRO_NULL; k <= FEAST_AVRO_STRING; k++)
      if (strcmp(t, kind_names[k]) == 0) {
        if (!(n = new_node(p, (feast_avro_kind)k, v->offset))) return p->err->code;
        n->logical = logical_of(n->kind, feast_json_string_of(feast_json_get(v, "logicalType")));
        *out = n;
        return FEAST_OK;
      }
    /* {"type": "com.example.Named"}: a reference in object form */
    return by_name(p, type, ns, out);
  }
  if (!rc) *out = n;
  return rc;
}

feast_code feast_avro_schema_parse(const char *json, size_t len, const char *name, const feast_avro_limits *limits,
                                   feast_avro_schema **out, feast_error *err) {
  *out = NULL;
  parser p;
  memset(&p, 0, sizeof p);
  p.doc_name = name ? name : "Avro schema";
  p.json = json;
  p.json_len = len;
  p.err = err;
  p.max_depth = limits && limits->max_depth > 0 ? limits->max_depth : 32;
  p.max_nodes = limits && limits->max_nodes ? limits->max_nodes : 20000;
  size_t max_json = limits && limits->max_json ? limits->max_json : ((size_t)4 << 20);
  if (len > max_json)
    return feast_fail(err, FEAST_E_TOO_BIG, "%s: the schema is %zu bytes, more than the limit of %zu", p.doc_name, len,
                      max_json);
  feast_avro_schema *s = feast_calloc(1, sizeof *s);
  if (!s || !(s->arena = feast_arena_new(0))) {
    feast_free(s);
    return feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", p.doc_name);
  }
  p.arena = s->arena;
  /* Each schema level is up to three JSON levels (type object, fields
   * array, field object). */
  int json_depth = 3 * p.max_depth + 8;
  feast_json_limits jl = {json_depth > FEAST_JSON_MAX_DEPTH ? FEAST_JSON_MAX_DEPTH : json_depth, max_json, 0};
  const feast_json_value *root;
  feast_code rc = feast_json_parse(json, len, p.doc_name, &jl, s->arena, &root, err);
  if (!rc) rc = parse_type(&p, root, NULL, 0, &s->root);
  if (rc) {
    feast_avro_schema_free(s);
    return rc;
  }
  s->n_nodes = p.n_nodes;
  *out = s;
  return FEAST_OK;
}

void feast_avro_schema_free(feast_avro_schema *s) {
  if (!s) return;
  feast_arena_free(s->arena);
  feast_free(s);
}

/* ---- queries ---- */

const char *feast_avro_describe(const feast_avro_node *n, char *buf, size_t size) {
  if (!size) return buf;
  buf[0] = 0;
  switch (n->kind) {
  case FEAST_AVRO_RECORD:
  case FEAST_AVRO_ENUM:
  case FEAST_AVRO_FIXED: snprintf(buf, size, "%s %s", feast_avro_kind_name(n->kind), n->name); break;
  case FEAST_AVRO_ARRAY: {
    char inner[128];
    snprintf(buf, size, "array<%s>", feast_avro_describe(n->items, inner, sizeof inner));
    break;
  }
  case FEAST_AVRO_MAP: {
    char inner[128];
    snprintf(buf, size, "map<%s>", feast_avro_describe(n->items, inner, sizeof inner));
    break;
  }
  case FEAST_AVRO_UNION: {
    size_t used = (size_t)snprintf(buf, size, "[");
    for (size_t i = 0; i < n->n && used < size; i++) {
      char inner[128];
      used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                               feast_avro_describe(n->branches[i], inner, sizeof inner));
    }
    if (used < size) snprintf(buf + used, size - used, "]");
    break;
  }
  default:
    if (n->logical)
      snprintf(buf, size, "%s (%s)", feast_avro_kind_name(n->kind), feast_avro_logical_name(n->logical));
    else
      snprintf(buf, size, "%s", feast_avro_kind_name(n->kind));
  }
  return buf;
}

const feast_avro_node *feast_avro_unwrap_nullable(const feast_avro_node *n) {
  if (n->kind != FEAST_AVRO_UNION || n->n != 2) return n;
  if (n->branches[0]->kind == FEAST_AVRO_NULL) return n->branches[1];
  if (n->branches[1]->kind == FEAST_AVRO_NULL) return n->branches[0];
  return n;
}

bool feast_avro_is_nullable(const feast_avro_node *n) {
  if (n->kind != FEAST_AVRO_UNION) return n->kind == FEAST_AVRO_NULL;
  for (size_t i = 0; i < n->n; i++)
    if (n->branches[i]->kind == FEAST_AVRO_NULL) return true;
  return false;
}

const feast_avro_field *feast_avro_record_field(const feast_avro_node *record, const char *name, size_t len) {
  if (record->kind != FEAST_AVRO_RECORD) return NULL;
  for (size_t i = 0; i < record->n; i++)
    if (strlen(record->fields[i].name) == len && memcmp(record->fields[i].name, name, len) == 0)
      return &record->fields[i];
  return NULL;
}

const feast_avro_field *feast_avro_find_path(const feast_avro_node *record, const char *path, char *why, size_t size) {
  const feast_avro_node *cur = record;
  const char *part = path;
  for (;;) {
    const char *dot = strchr(part, '.');
    size_t len = dot ? (size_t)(dot - part) : strlen(part);
    const feast_avro_node *r = feast_avro_unwrap_nullable(cur);
    if (r->kind != FEAST_AVRO_RECORD) {
      char d[128];
      snprintf(why, size, "'%.*s' is %s, not a record", (int)(part - path - 1), path, feast_avro_describe(cur, d, sizeof d));
      return NULL;
    }
    const feast_avro_field *f = feast_avro_record_field(r, part, len);
    if (!f) {
      snprintf(why, size, "no field '%.*s' in record %s", (int)len, part, r->name);
      return NULL;
    }
    if (!dot) return f;
    cur = f->type;
    part = dot + 1;
  }
}
