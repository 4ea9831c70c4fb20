/*
 * avro_resolve.c - writer/reader schema matching (see avro_resolve.h).
 * The deep check walks the writer schema; named types used many times are
 * walked each time they are used, so a step budget keeps a small schema
 * that expands exponentially from running away.
 */
#include "format/avro/avro_resolve.h"

#include <stdio.h>
#include <string.h>

#define RESOLVE_STEPS 1000000

static bool name_matches(const feast_avro_node *w, const feast_avro_node *r) {
  if (strcmp(w->name, r->name) == 0) return true;
  for (size_t i = 0; i < r->n_aliases; i++) {
    const char *a = r->aliases[i], *dot = strrchr(a, '.');
    if (strcmp(a, w->fullname) == 0 || strcmp(dot ? dot + 1 : a, w->name) == 0) return true;
  }
  return false;
}

bool feast_avro_matches(const feast_avro_node *w, const feast_avro_node *r) {
  feast_avro_kind wk = w->kind, rk = r->kind;
  if (wk == rk) {
    switch (wk) {
    case FEAST_AVRO_RECORD:
    case FEAST_AVRO_ENUM: return name_matches(w, r);
    case FEAST_AVRO_FIXED: return w->size == r->size && name_matches(w, r);
    case FEAST_AVRO_ARRAY:
    case FEAST_AVRO_MAP: {
      /* items may be unions: they match when some pairing can */
      const feast_avro_node *wi = w->items, *ri = r->items;
      if (wi->kind == FEAST_AVRO_UNION || ri->kind == FEAST_AVRO_UNION) return true;
      return feast_avro_matches(wi, ri);
    }
    default: return true;
    }
  }
  switch (wk) {
  case FEAST_AVRO_INT: return rk == FEAST_AVRO_LONG || rk == FEAST_AVRO_FLOAT || rk == FEAST_AVRO_DOUBLE;
  case FEAST_AVRO_LONG: return rk == FEAST_AVRO_FLOAT || rk == FEAST_AVRO_DOUBLE;
  case FEAST_AVRO_FLOAT: return rk == FEAST_AVRO_DOUBLE;
  case FEAST_AVRO_STRING: return rk == FEAST_AVRO_BYTES;
  case FEAST_AVRO_BYTES: return rk == FEAST_AVRO_STRING;
  default: return false;
  }
}

const feast_avro_node *feast_avro_reader_branch(const feast_avro_node *w, const feast_avro_node *r) {
  if (r->kind != FEAST_AVRO_UNION) return feast_avro_matches(w, r) ? r : NULL;
  /* An exact kind first would be kinder ([long, int] reading an int), but
   * the specification says the first that matches. */
  for (size_t i = 0; i < r->n; i++)
    if (feast_avro_matches(w, r->branches[i])) return r->branches[i];
  return NULL;
}

const feast_avro_field *feast_avro_reader_field(const feast_avro_node *rrec, const char *name) {
  const feast_avro_field *f = feast_avro_record_field(rrec, name, strlen(name));
  if (f) return f;
  for (size_t i = 0; i < rrec->n; i++)
    for (size_t a = 0; a < rrec->fields[i].n_aliases; a++)
      if (strcmp(rrec->fields[i].aliases[a], name) == 0) return &rrec->fields[i];
  return NULL;
}

bool feast_avro_writer_has(const feast_avro_node *wrec, const feast_avro_field *rf) {
  for (size_t i = 0; i < wrec->n; i++) {
    const char *wn = wrec->fields[i].name;
    if (strcmp(wn, rf->name) == 0) return true;
    for (size_t a = 0; a < rf->n_aliases; a++)
      if (strcmp(rf->aliases[a], wn) == 0) return true;
  }
  return false;
}

/* ---- the deep check ---- */

typedef struct checker {
  long steps;
  char path[512];
  feast_error *err;
} checker;

static feast_code mismatch(checker *c, const feast_avro_node *w, const feast_avro_node *r) {
  char a[160], b[160];
  return feast_fail(c->err, FEAST_E_SCHEMA, "%s%s%swriter %s cannot be read as reader %s", c->path[0] ? "field " : "",
                    c->path, c->path[0] ? ": " : "", feast_avro_describe(w, a, sizeof a),
                    feast_avro_describe(r, b, sizeof b));
}

static feast_code check(checker *c, const feast_avro_node *w, const feast_avro_node *r);

static feast_code check_record(checker *c, const feast_avro_node *w, const feast_avro_node *r) {
  size_t base = strlen(c->path);
  feast_code rc = FEAST_OK;
  for (size_t i = 0; i < w->n && !rc; i++) {
    const feast_avro_field *rf = feast_avro_reader_field(r, w->fields[i].name);
    if (!rf) continue; /* skipped */
    snprintf(c->path + base, sizeof c->path - base, "%s%s", base ? "." : "", rf->name);
    rc = check(c, w->fields[i].type, rf->type);
    c->path[base] = 0;
  }
  for (size_t i = 0; i < r->n && !rc; i++) {
    const feast_avro_field *rf = &r->fields[i];
    if (feast_avro_writer_has(w, rf) || rf->default_value) continue;
    rc = feast_fail(c->err, FEAST_E_SCHEMA, "%s%s%sreader field '%s' of record %s is not in the writer's record %s and has no default",
                    c->path[0] ? "field " : "", c->path, c->path[0] ? ": " : "", rf->name, r->name, w->name);
  }
  return rc;
}

static feast_code check(checker *c, const feast_avro_node *w, const feast_avro_node *r) {
  if (++c->steps > RESOLVE_STEPS)
    return feast_fail(c->err, FEAST_E_TOO_BIG,
                      "the schemas expand to more than %d types once named types are substituted", RESOLVE_STEPS);
  if (w->kind == FEAST_AVRO_UNION) {
    /* each branch is resolved when a datum picks it; one the reader cannot
     * take fails that datum only */
    for (size_t i = 0; i < w->n; i++) {
      const feast_avro_node *rb = feast_avro_reader_branch(w->branches[i], r);
      if (rb) {
        feast_code rc = check(c, w->branches[i], rb);
        if (rc) return rc;
      }
    }
    return FEAST_OK;
  }
  const feast_avro_node *rb = feast_avro_reader_branch(w, r);
  if (!rb) return mismatch(c, w, r);
  switch (w->kind) {
  case FEAST_AVRO_RECORD: return check_record(c, w, rb);
  case FEAST_AVRO_ARRAY:
  case FEAST_AVRO_MAP: {
    size_t base = strlen(c->path);
    snprintf(c->path + base, sizeof c->path - base, "%s", w->kind == FEAST_AVRO_ARRAY ? "[]" : "{}");
    feast_code rc = check(c, w->items, rb->items);
    c->path[base] = 0;
    return rc;
  }
  default: return FEAST_OK;
  }
}

feast_code feast_avro_resolve_check(const feast_avro_node *writer, const feast_avro_node *reader, feast_error *err) {
  checker c;
  memset(&c, 0, sizeof c);
  c.err = err;
  return check(&c, writer, reader);
}
