/*
 * snapshot.c - loading a project's specs once, and looking them up by name
 * (binary search: the registry lists in name order).
 */
#include "engine/snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

struct feast_snapshot {
  int refs; /* atomic */
  int64_t revision;
  feast_entity_list entities;
  feast_feature_table_list tables;
  feast_snapshot_table *resolved; /* per table */
  feast_value_type *types;        /* all tables' entity types, back to back */
  const feast_entity_spec **ents; /* likewise */
};

static int cmp_name_len(const char *a, const char *b, size_t blen) {
  int c = strncmp(a, b, blen);
  return c ? c : (a[blen] != 0);
}

const feast_entity *feast_snapshot_entity_get(const feast_snapshot *s, const char *name) {
  size_t lo = 0, hi = s->entities.n, len = strlen(name);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cmp_name_len(s->entities.items[mid].spec.name, name, len);
    if (!c) return &s->entities.items[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

const feast_snapshot_table *feast_snapshot_table_get(const feast_snapshot *s, const char *name, size_t len) {
  size_t lo = 0, hi = s->tables.n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cmp_name_len(s->tables.items[mid].spec.name, name, len);
    if (!c) return &s->resolved[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

static int cmp_entity(const void *a, const void *b) {
  return strcmp(((const feast_entity *)a)->spec.name, ((const feast_entity *)b)->spec.name);
}
static int cmp_table(const void *a, const void *b) {
  return strcmp(((const feast_feature_table *)a)->spec.name, ((const feast_feature_table *)b)->spec.name);
}

feast_code feast_snapshot_load(feast_registry *reg, const char *project, feast_snapshot **out, feast_error *err) {
  feast_snapshot *s = feast_calloc(1, sizeof *s);
  if (!s) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  s->refs = 1;
  feast_code rc = feast_registry_read_project(reg, project, &s->entities, &s->tables, &s->revision, err);
  /* The backends list in name order already; sorting again costs nothing
   * and keeps the binary search right whatever a backend does. */
  if (!rc && s->entities.n > 1) qsort(s->entities.items, s->entities.n, sizeof *s->entities.items, cmp_entity);
  if (!rc && s->tables.n > 1) qsort(s->tables.items, s->tables.n, sizeof *s->tables.items, cmp_table);
  size_t n_slots = 0;
  for (size_t i = 0; !rc && i < s->tables.n; i++) n_slots += s->tables.items[i].spec.n_entities;
  if (!rc) {
    s->resolved = feast_calloc(s->tables.n + 1, sizeof *s->resolved);
    s->types = feast_calloc(n_slots + 1, sizeof *s->types);
    s->ents = feast_calloc(n_slots + 1, sizeof *s->ents);
    if (!s->resolved || !s->types || !s->ents) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  for (size_t i = 0, at = 0; !rc && i < s->tables.n; i++) {
    const feast_feature_table *t = &s->tables.items[i];
    s->resolved[i] = (feast_snapshot_table){t, s->types + at, s->ents + at};
    for (size_t e = 0; e < t->spec.n_entities; e++, at++) {
      const feast_entity *ent = feast_snapshot_entity_get(s, t->spec.entities[e]);
      s->types[at] = ent ? ent->spec.value_type : FEAST_VT_INVALID;
      s->ents[at] = ent ? &ent->spec : NULL;
    }
  }
  if (rc) {
    feast_snapshot_unref(s);
    return rc;
  }
  *out = s;
  return FEAST_OK;
}

void feast_snapshot_ref(feast_snapshot *s) { __atomic_fetch_add(&s->refs, 1, __ATOMIC_RELAXED); }

void feast_snapshot_unref(feast_snapshot *s) {
  if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
  feast_entity_list_clear(&s->entities);
  feast_feature_table_list_clear(&s->tables);
  feast_free(s->resolved);
  feast_free(s->types);
  feast_free(s->ents);
  feast_free(s);
}

int64_t feast_snapshot_revision(const feast_snapshot *s) { return s->revision; }
