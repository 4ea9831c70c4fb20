/*
 * descriptor.c - decodes FileDescriptorSet -> FileDescriptorProto ->
 * DescriptorProto / FieldDescriptorProto / EnumDescriptorProto into a pool
 * (see descriptor.h). Unknown fields are skipped, as protobuf readers must.
 * Nesting of message declarations is capped; all memory is in one arena.
 */
#include "format/proto/descriptor.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/file.h"
#include "format/proto/wire.h"

#define MAX_NESTING 64
#define MAX_DESCRIPTOR_BYTES ((size_t)64 << 20)

struct feast_proto_pool {
  feast_arena *arena;
  size_t n_messages, cap_messages;
  feast_proto_message **messages; /* feast_malloc'd array of arena pointers */
  size_t n_enums, cap_enums;
  feast_proto_enum **enums;
};

typedef struct dctx {
  feast_proto_pool *pool;
  feast_error *err;
  const char *file;
  bool proto3;
} dctx;

static feast_code oom(dctx *c) { return feast_fail(c->err, FEAST_E_NOMEM, "out of memory"); }

/* The boolean option `field` of an options message (FieldOptions.packed,
 * MessageOptions.map_entry); other options are skipped. */
static feast_code option_bool(const uint8_t *v, size_t vl, uint32_t field, bool *out, feast_error *err) {
  feast_wire w = feast_wire_make(v, vl);
  feast_wire_field f;
  while (!feast_wire_done(&w)) {
    feast_code rc = feast_wire_next_field(&w, &f, err);
    if (rc) return rc;
    if (f.number == field && f.wire_type == FEAST_WIRE_VARINT) *out = f.value != 0;
  }
  return FEAST_OK;
}

/* The next length-delimited field, skipping every other kind; *more is
 * false at the end of input. */
static feast_code next_len(feast_wire *w, feast_wire_field *f, bool *more, feast_error *err) {
  while ((*more = !feast_wire_done(w))) {
    feast_code rc = feast_wire_next_field(w, f, err);
    if (rc || f->wire_type == FEAST_WIRE_LEN) return rc;
  }
  return FEAST_OK;
}

static char *join_name(dctx *c, const char *scope, const uint8_t *name, size_t len) {
  size_t sl = scope && *scope ? strlen(scope) + 1 : 0;
  char *s = feast_arena_alloc(c->pool->arena, sl + len + 1);
  if (!s) return NULL;
  if (sl) {
    memcpy(s, scope, sl - 1);
    s[sl - 1] = '.';
  }
  memcpy(s + sl, name, len);
  s[sl + len] = 0;
  return s;
}

static char *arena_str(dctx *c, const uint8_t *d, size_t n) {
  if (memchr(d, 0, n)) return NULL;
  return feast_arena_strndup(c->pool->arena, (const char *)d, n);
}

static feast_code push_ptr(void ***arr, size_t *n, size_t *cap, void *p, dctx *c) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    void **a = feast_realloc(*arr, nc * sizeof *a);
    if (!a) return oom(c);
    *arr = a;
    *cap = nc;
  }
  (*arr)[(*n)++] = p;
  return FEAST_OK;
}

static feast_code parse_enum(dctx *c, const char *scope, const uint8_t *d, size_t n) {
  feast_proto_enum *e = feast_arena_calloc(c->pool->arena, sizeof *e);
  if (!e) return oom(c);
  /* first pass: name and value count */
  feast_wire w = feast_wire_make(d, n);
  feast_wire_field f;
  size_t nvalues = 0;
  const uint8_t *name = (const uint8_t *)"";
  size_t name_len = 0;
  feast_code rc;
  for (bool more = true; (rc = next_len(&w, &f, &more, c->err)) == FEAST_OK && more;) {
    if (f.number == 1) name = f.data, name_len = f.len;
    else if (f.number == 2) nvalues++;
  }
  if (rc) return rc;
  if (memchr(name, 0, name_len)) return feast_fail(c->err, FEAST_E_CORRUPT, "enum name holds a NUL byte");
  e->full_name = join_name(c, scope, name, name_len);
  e->value_names = feast_arena_calloc(c->pool->arena, (nvalues ? nvalues : 1) * sizeof *e->value_names);
  e->value_numbers = feast_arena_calloc(c->pool->arena, (nvalues ? nvalues : 1) * sizeof *e->value_numbers);
  if (!e->full_name || !e->value_names || !e->value_numbers) return oom(c);
  w = feast_wire_make(d, n);
  for (bool more = true; (rc = next_len(&w, &f, &more, c->err)) == FEAST_OK && more;) {
    if (f.number != 2) continue;
    feast_wire vw = feast_wire_make(f.data, f.len);
    feast_wire_field g;
    const char *vname = "";
    int32_t number = 0;
    while (!feast_wire_done(&vw)) {
      if ((rc = feast_wire_next_field(&vw, &g, c->err))) return rc;
      if (g.number == 1 && g.wire_type == FEAST_WIRE_LEN) {
        if (!(vname = arena_str(c, g.data, g.len))) return feast_fail(c->err, FEAST_E_CORRUPT, "bad enum value name");
      } else if (g.number == 2 && g.wire_type == FEAST_WIRE_VARINT) {
        number = (int32_t)(uint32_t)g.value;
      }
    }
    e->value_names[e->n_values] = vname;
    e->value_numbers[e->n_values] = number;
    e->n_values++;
  }
  if (rc) return rc;
  return push_ptr((void ***)&c->pool->enums, &c->pool->n_enums, &c->pool->cap_enums, e, c);
}

static feast_code parse_field(dctx *c, const uint8_t *d, size_t n, feast_proto_field *fd) {
  feast_wire w = feast_wire_make(d, n);
  feast_wire_field f;
  fd->oneof_index = -1;
  fd->label = FEAST_PB_OPTIONAL;
  while (!feast_wire_done(&w)) {
    feast_code rc = feast_wire_next_field(&w, &f, c->err);
    if (rc) return rc;
    if (f.wire_type == FEAST_WIRE_LEN && f.number == 8) {
      if ((rc = option_bool(f.data, f.len, 2, &fd->packed, c->err))) return rc; /* FieldOptions.packed = 2 */
    } else if (f.wire_type == FEAST_WIRE_LEN && (f.number == 1 || f.number == 6)) {
      const uint8_t *v = f.data;
      size_t vl = f.len;
      if (f.number == 6 && vl && v[0] == '.') v++, vl--;
      const char *str = arena_str(c, v, vl);
      if (!str) return memchr(v, 0, vl) ? feast_fail(c->err, FEAST_E_CORRUPT, "field name holds a NUL byte") : oom(c);
      if (f.number == 1) fd->name = str;
      else fd->type_name = str;
    } else if (f.wire_type == FEAST_WIRE_VARINT) {
      int32_t v = (int32_t)(uint32_t)f.value;
      if (f.number == 3) fd->number = v;
      else if (f.number == 4) fd->label = (feast_pb_label)v;
      else if (f.number == 5) fd->type = (feast_pb_type)v;
      else if (f.number == 9) fd->oneof_index = v;
    }
  }
  if (!fd->name) return feast_fail(c->err, FEAST_E_CORRUPT, "%s: a field has no name", c->file);
  if (fd->label < FEAST_PB_OPTIONAL || fd->label > FEAST_PB_REPEATED)
    return feast_fail(c->err, FEAST_E_CORRUPT, "%s: field %s has label %d", c->file, fd->name, (int)fd->label);
  if (fd->type < FEAST_PB_DOUBLE || fd->type > FEAST_PB_SINT64)
    return feast_fail(c->err, FEAST_E_CORRUPT, "%s: field %s has type %d", c->file, fd->name, (int)fd->type);
  return FEAST_OK;
}

static feast_code parse_message(dctx *c, const char *scope, const uint8_t *d, size_t n, int depth) {
  if (depth > MAX_NESTING)
    return feast_fail(c->err, FEAST_E_TOO_BIG, "%s: messages nested deeper than %d", c->file, MAX_NESTING);
  feast_proto_message *m = feast_arena_calloc(c->pool->arena, sizeof *m);
  if (!m) return oom(c);
  m->file = c->file;
  m->proto3 = c->proto3;
  /* pass 1: name, field count, map_entry option */
  feast_wire w = feast_wire_make(d, n);
  feast_wire_field f;
  size_t nfields = 0;
  const uint8_t *name = NULL;
  size_t name_len = 0;
  feast_code rc;
  for (bool more = true; (rc = next_len(&w, &f, &more, c->err)) == FEAST_OK && more;) {
    if (f.number == 1) name = f.data, name_len = f.len;
    else if (f.number == 2) nfields++;
    else if (f.number == 7 && (rc = option_bool(f.data, f.len, 7, &m->map_entry, c->err))) /* MessageOptions.map_entry */
      return rc;
  }
  if (rc) return rc;
  if (!name || !name_len || memchr(name, 0, name_len))
    return feast_fail(c->err, FEAST_E_CORRUPT, "%s: a message has no valid name", c->file);
  m->full_name = join_name(c, scope, name, name_len);
  m->fields = feast_arena_calloc(c->pool->arena, (nfields ? nfields : 1) * sizeof *m->fields);
  if (!m->full_name || !m->fields) return oom(c);
  m->name = strrchr(m->full_name, '.') ? strrchr(m->full_name, '.') + 1 : m->full_name;
  rc = push_ptr((void ***)&c->pool->messages, &c->pool->n_messages, &c->pool->cap_messages, m, c);
  if (rc) return rc;
  /* pass 2: fields, nested messages and enums */
  w = feast_wire_make(d, n);
  for (bool more = true; (rc = next_len(&w, &f, &more, c->err)) == FEAST_OK && more;) {
    if (f.number == 2) rc = parse_field(c, f.data, f.len, &m->fields[m->n_fields++]);
    else if (f.number == 3) rc = parse_message(c, m->full_name, f.data, f.len, depth + 1);
    else if (f.number == 4) rc = parse_enum(c, m->full_name, f.data, f.len);
    if (rc) return rc;
  }
  return rc;
}

static feast_code parse_file(dctx *c, const uint8_t *d, size_t n) {
  /* pass 1: name, package, syntax (they may follow the messages) */
  feast_wire w = feast_wire_make(d, n);
  feast_wire_field f;
  const char *package = "";
  c->file = "<unnamed .proto>";
  c->proto3 = false;
  feast_code rc;
  for (bool more = true; (rc = next_len(&w, &f, &more, c->err)) == FEAST_OK && more;) {
    if (f.number != 1 && f.number != 2 && f.number != 12) continue;
    char *str = arena_str(c, f.data, f.len);
    if (!str) return memchr(f.data, 0, f.len) ? feast_fail(c->err, FEAST_E_CORRUPT, "file name holds a NUL byte") : oom(c);
    if (f.number == 1) c->file = str;
    else if (f.number == 2) package = str;
    else c->proto3 = strcmp(str, "proto3") == 0;
  }
  if (rc) return rc;
  w = feast_wire_make(d, n);
  for (bool more = true; (rc = next_len(&w, &f, &more, c->err)) == FEAST_OK && more;) {
    if (f.number == 4) rc = parse_message(c, package, f.data, f.len, 1);
    else if (f.number == 5) rc = parse_enum(c, package, f.data, f.len);
    if (rc) return rc;
  }
  return rc;
}
static const feast_proto_enum *find_enum(const feast_proto_pool *p, const char *name) {
  for (size_t i = 0; i < p->n_enums; i++)
    if (strcmp(p->enums[i]->full_name, name) == 0) return p->enums[i];
  return NULL;
}

static feast_code resolve_types(feast_proto_pool *p, feast_error *err) {
  for (size_t i = 0; i < p->n_messages; i++) {
    feast_proto_message *m = p->messages[i];
    for (size_t j = 0; j < m->n_fields; j++) {
      feast_proto_field *f = &m->fields[j];
      if (f->type == FEAST_PB_MESSAGE || f->type == FEAST_PB_GROUP) {
        f->message = f->type_name ? feast_proto_pool_message(p, f->type_name) : NULL;
        if (!f->message)
          return feast_fail(err, FEAST_E_CORRUPT,
                            "%s: field %s.%s refers to message type '%s', which the descriptor set does not hold "
                            "(build it with protoc --include_imports)",
                            m->file, m->full_name, f->name, f->type_name ? f->type_name : "");
      } else if (f->type == FEAST_PB_ENUM) {
        f->enum_type = f->type_name ? find_enum(p, f->type_name) : NULL;
        if (!f->enum_type)
          return feast_fail(err, FEAST_E_CORRUPT,
                            "%s: field %s.%s refers to enum type '%s', which the descriptor set does not hold "
                            "(build it with protoc --include_imports)",
                            m->file, m->full_name, f->name, f->type_name ? f->type_name : "");
      }
    }
  }
  return FEAST_OK;
}

feast_code feast_proto_pool_parse(const uint8_t *data, size_t len, feast_proto_pool **out, feast_error *err) {
  *out = NULL;
  feast_proto_pool *p = feast_calloc(1, sizeof *p);
  if (!p || !(p->arena = feast_arena_new(0))) {
    feast_free(p);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  dctx c = {p, err, "", false};
  dctx *cp = &c;
  feast_code rc = FEAST_OK;
  feast_wire w = feast_wire_make(data, len);
  feast_wire_field f;
  for (bool more = true; !rc && (rc = next_len(&w, &f, &more, err)) == FEAST_OK && more;)
    if (f.number == 1) rc = parse_file(cp, f.data, f.len);
  if (!rc) rc = resolve_types(p, err);
  if (rc) {
    if (rc == FEAST_E_CORRUPT && !strstr(err->message, "descriptor set"))
      feast_error_prefix(err, "not a valid FileDescriptorSet: ");
    feast_proto_pool_free(p);
    return rc;
  }
  *out = p;
  return FEAST_OK;
}

feast_code feast_proto_pool_load(const char *path, feast_proto_pool **out, feast_error *err) {
  *out = NULL;
  feast_buf b;
  feast_buf_init(&b, MAX_DESCRIPTOR_BYTES);
  feast_code rc = feast_file_read_all(path, &b, err);
  if (rc) {
    feast_buf_free(&b);
    return rc;
  }
  rc = feast_proto_pool_parse(b.data ? b.data : (const uint8_t *)"", b.len, out, err);
  feast_buf_free(&b);
  if (rc) feast_error_prefix(err, "%s: ", path);
  return rc;
}

void feast_proto_pool_free(feast_proto_pool *p) {
  if (!p) return;
  feast_free(p->messages);
  feast_free(p->enums);
  feast_arena_free(p->arena);
  feast_free(p);
}

size_t feast_proto_pool_message_count(const feast_proto_pool *p) { return p->n_messages; }
const feast_proto_message *feast_proto_pool_message_at(const feast_proto_pool *p, size_t i) {
  return i < p->n_messages ? p->messages[i] : NULL;
}

const feast_proto_message *feast_proto_pool_message(const feast_proto_pool *p, const char *name) {
  if (name[0] == '.') name++;
  for (size_t i = 0; i < p->n_messages; i++)
    if (strcmp(p->messages[i]->full_name, name) == 0) return p->messages[i];
  return NULL;
}

/* How many trailing dot-separated components a and b share. */
static int common_tail(const char *a, const char *b) {
  const char *pa = a + strlen(a), *pb = b + strlen(b);
  int n = 0;
  for (;;) {
    const char *sa = pa, *sb = pb;
    while (sa > a && sa[-1] != '.') sa--;
    while (sb > b && sb[-1] != '.') sb--;
    if (pa - sa != pb - sb || memcmp(sa, sb, (size_t)(pa - sa)) != 0) return n;
    n++;
    if (sa == a || sb == b) return n;
    pa = sa - 1;
    pb = sb - 1;
  }
}

feast_code feast_proto_pool_resolve(const feast_proto_pool *p, const char *class_path, const feast_proto_message **out,
                                    feast_error *err) {
  *out = feast_proto_pool_message(p, class_path);
  if (*out) return FEAST_OK;
  char norm[1024];
  snprintf(norm, sizeof norm, "%s", class_path);
  for (char *q = norm; *q; q++)
    if (*q == '$') *q = '.';
  int best = 0, ties = 0;
  for (size_t i = 0; i < p->n_messages; i++) {
    int s = common_tail(norm, p->messages[i]->full_name);
    if (s > best) best = s, ties = 0, *out = p->messages[i];
    else if (s && s == best) ties++;
  }
  if (!best) {
    *out = NULL;
    return feast_fail(err, FEAST_E_NOT_FOUND, "class path '%s' names no message in the descriptor set", class_path);
  }
  if (ties) {
    *out = NULL;
    return feast_fail(err, FEAST_E_INVALID,
                      "class path '%s' matches %d messages in the descriptor set; give the full protobuf name",
                      class_path, ties + 1);
  }
  return FEAST_OK;
}

const feast_proto_field *feast_proto_message_field(const feast_proto_message *m, const char *name) {
  for (size_t i = 0; i < m->n_fields; i++)
    if (strcmp(m->fields[i].name, name) == 0) return &m->fields[i];
  return NULL;
}

const feast_proto_field *feast_proto_message_field_by_number(const feast_proto_message *m, int32_t number) {
  for (size_t i = 0; i < m->n_fields; i++)
    if (m->fields[i].number == number) return &m->fields[i];
  return NULL;
}

const char *feast_pb_type_name(feast_pb_type t) {
  static const char *const names[] = {"unknown", "double",  "float",   "int64",   "uint64", "int32", "fixed64",
                                      "fixed32", "bool",    "string",  "group",   "message", "bytes", "uint32",
                                      "enum",    "sfixed32", "sfixed64", "sint32", "sint64"};
  return (int)t >= 1 && (int)t <= 18 ? names[t] : names[0];
}
