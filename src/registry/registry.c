/*
 * registry.c - the registry engine's handle, projects, and reads (get, list
 * with label filters, delete). Apply lives in apply.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "registry/registry_internal.h"
#include "registry/spec_codec.h"

#define TX_ATTEMPTS 12

feast_code feast_registry_open(const char *url_or_path, feast_registry **out, feast_error *err) {
  *out = NULL;
  if (!url_or_path || !*url_or_path) return feast_fail(err, FEAST_E_INVALID, "registry: no path or URL given");
  feast_registry *reg = feast_calloc(1, sizeof *reg);
  if (!reg) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc;
  if (strncmp(url_or_path, "postgresql://", 13) == 0 || strncmp(url_or_path, "postgres://", 11) == 0)
    rc = feast_registry_postgres_open(url_or_path, &reg->backend, err);
  else if (strncmp(url_or_path, "sqlite://", 9) == 0)
    rc = feast_registry_sqlite_open(url_or_path + 9, &reg->backend, err);
  else
    rc = feast_registry_sqlite_open(url_or_path, &reg->backend, err);
  if (rc) {
    feast_free(reg);
    return rc;
  }
  *out = reg;
  return FEAST_OK;
}

void feast_registry_free(feast_registry *reg) {
  if (!reg) return;
  if (reg->backend) reg->backend->ops->close(reg->backend);
  feast_free(reg);
}

const char *feast_registry_backend_name(const feast_registry *reg) { return reg->backend->ops->name; }

feast_code feast_registry_revision(feast_registry *reg, int64_t *out, feast_error *err) {
  return reg->backend->ops->revision(reg->backend, out, err);
}

static void backoff(int attempt) {
  /* Grow the pause and spread competing processes apart. */
  long ms = 5L * (attempt + 1) + (long)((unsigned)clock() % 7u);
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

feast_code feast_registry_run_tx(feast_registry *reg, bool write, registry_tx_fn fn, void *ctx, feast_error *err) {
  feast_registry_backend *s = reg->backend;
  feast_code rc = FEAST_OK;
  for (int attempt = 0; attempt < TX_ATTEMPTS; attempt++) {
    if (attempt) backoff(attempt);
    rc = s->ops->begin(s, write, err);
    if (!rc) {
      rc = fn(reg, ctx, err);
      if (rc)
        s->ops->rollback(s);
      else
        rc = s->ops->commit(s, err);
    }
    if (!(rc == FEAST_E_CONFLICT && err->retriable)) return rc;
  }
  return rc;
}

feast_code feast_registry_fail_missing(feast_error *err, bool table, const char *name, const char *project) {
  return feast_fail(err, FEAST_E_NOT_FOUND, "%s '%s' does not exist in project '%s'", table ? "feature table" : "entity",
                    name, feast_registry_project_or_default(project));
}

const char *feast_registry_project_or_default(const char *project) {
  return project && *project ? project : FEAST_DEFAULT_PROJECT;
}

feast_code feast_registry_check_project_name(const char *name, feast_error *err) {
  size_t n = strlen(name);
  bool ok = n > 0 && n <= 64;
  for (size_t i = 0; ok && i < n; i++) {
    char c = name[i];
    ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  if (!ok)
    return feast_fail(err, FEAST_E_INVALID,
                      "project name '%s' is not valid: use 1 to 64 letters, digits or underscores", name);
  return FEAST_OK;
}

/* ---- projects ---- */

typedef struct project_op {
  const char *name;
  bool archive;
} project_op;

static feast_code create_project_tx(feast_registry *reg, void *ctx, feast_error *err) {
  project_op *op = ctx;
  feast_registry_backend *s = reg->backend;
  bool found = false, archived = false;
  feast_code rc = s->ops->project_get(s, op->name, &found, &archived, err);
  if (rc) return rc;
  if (found || strcmp(op->name, FEAST_DEFAULT_PROJECT) == 0)
    return feast_fail(err, FEAST_E_EXISTS, "project '%s' already exists%s", op->name, archived ? " (archived)" : "");
  return s->ops->project_put(s, op->name, false, feast_now(), err);
}

static feast_code archive_project_tx(feast_registry *reg, void *ctx, feast_error *err) {
  project_op *op = ctx;
  feast_registry_backend *s = reg->backend;
  bool found = false, archived = false;
  feast_code rc = s->ops->project_get(s, op->name, &found, &archived, err);
  if (rc) return rc;
  if (!found) return feast_fail(err, FEAST_E_NOT_FOUND, "project '%s' does not exist", op->name);
  if (archived) return FEAST_OK;
  return s->ops->project_put(s, op->name, true, feast_now(), err);
}

feast_code feast_registry_create_project(feast_registry *reg, const char *name, feast_error *err) {
  feast_code rc = feast_registry_check_project_name(name, err);
  if (rc) return rc;
  project_op op = {name, false};
  return feast_registry_run_tx(reg, true, create_project_tx, &op, err);
}

feast_code feast_registry_archive_project(feast_registry *reg, const char *name, feast_error *err) {
  if (strcmp(name, FEAST_DEFAULT_PROJECT) == 0)
    return feast_fail(err, FEAST_E_INVALID, "project 'default' cannot be archived");
  project_op op = {name, true};
  return feast_registry_run_tx(reg, true, archive_project_tx, &op, err);
}

typedef struct project_list_ctx {
  feast_project_list *out;
  bool include_archived;
  bool saw_default;
} project_list_ctx;

static feast_code project_add(feast_project_list *l, const char *name, bool archived, feast_error *err) {
  feast_project_info *items = feast_realloc(l->items, (l->n + 1) * sizeof *items);
  if (!items) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  l->items = items;
  if (!(items[l->n].name = feast_strdup(name))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  items[l->n++].archived = archived;
  return FEAST_OK;
}

static feast_code project_row(void *vctx, const char *name, bool archived, feast_error *err) {
  project_list_ctx *c = vctx;
  if (strcmp(name, FEAST_DEFAULT_PROJECT) == 0) c->saw_default = true;
  if (archived && !c->include_archived) return FEAST_OK;
  return project_add(c->out, name, archived, err);
}

static int project_cmp(const void *a, const void *b) {
  return strcmp(((const feast_project_info *)a)->name, ((const feast_project_info *)b)->name);
}

static feast_code list_projects_tx(feast_registry *reg, void *ctx, feast_error *err) {
  project_list_ctx *c = ctx;
  feast_project_list_clear(c->out);
  c->saw_default = false;
  feast_code rc = reg->backend->ops->project_list(reg->backend, project_row, c, err);
  if (!rc && !c->saw_default) {
    rc = project_add(c->out, FEAST_DEFAULT_PROJECT, false, err);
    if (!rc) qsort(c->out->items, c->out->n, sizeof *c->out->items, project_cmp);
  }
  return rc;
}

feast_code feast_registry_list_projects(feast_registry *reg, bool include_archived, feast_project_list *out,
                                        feast_error *err) {
  memset(out, 0, sizeof *out);
  project_list_ctx c = {out, include_archived, false};
  feast_code rc = feast_registry_run_tx(reg, false, list_projects_tx, &c, err);
  if (rc) feast_project_list_clear(out);
  return rc;
}

void feast_project_list_clear(feast_project_list *l) {
  for (size_t i = 0; i < l->n; i++) feast_free(l->items[i].name);
  feast_free(l->items);
  memset(l, 0, sizeof *l);
}

/* ---- objects ---- */

void feast_entity_clear(feast_entity *e) {
  feast_entity_spec_clear(&e->spec);
  memset(&e->meta, 0, sizeof e->meta);
}

void feast_feature_table_clear(feast_feature_table *t) {
  feast_feature_table_spec_clear(&t->spec);
  memset(&t->meta, 0, sizeof t->meta);
}

void feast_entity_list_clear(feast_entity_list *l) {
  for (size_t i = 0; i < l->n; i++) feast_entity_clear(&l->items[i]);
  feast_free(l->items);
  memset(l, 0, sizeof *l);
}

void feast_feature_table_list_clear(feast_feature_table_list *l) {
  for (size_t i = 0; i < l->n; i++) feast_feature_table_clear(&l->items[i]);
  feast_free(l->items);
  memset(l, 0, sizeof *l);
}

static void set_meta(feast_meta *m, const feast_registry_record *row) {
  m->created = row->created;
  m->last_updated = row->last_updated;
  m->revision = row->revision;
}

static feast_code decode_entity_row(void *ctx, const feast_registry_record *row, feast_error *err) {
  feast_entity *e = ctx;
  memset(e, 0, sizeof *e);
  feast_code rc = feast_codec_decode_entity(row->spec, row->spec_len, &e->spec, err);
  if (rc) return feast_error_prefix(err, "entity %s: ", row->name);
  set_meta(&e->meta, row);
  return FEAST_OK;
}

static feast_code decode_table_row(void *ctx, const feast_registry_record *row, feast_error *err) {
  feast_feature_table *t = ctx;
  memset(t, 0, sizeof *t);
  feast_code rc = feast_codec_decode_table(row->spec, row->spec_len, &t->spec, err);
  if (rc) return feast_error_prefix(err, "feature table %s: ", row->name);
  set_meta(&t->meta, row);
  return FEAST_OK;
}

feast_code feast_registry_load_entity(feast_registry *reg, const char *project, const char *name, feast_entity *out,
                                      bool *found, feast_error *err) {
  memset(out, 0, sizeof *out);
  return reg->backend->ops->object_get(reg->backend, FEAST_REG_ENTITY, project, name, decode_entity_row, out, found, err);
}

feast_code feast_registry_load_table(feast_registry *reg, const char *project, const char *name,
                                     feast_feature_table *out, bool *found, feast_error *err) {
  memset(out, 0, sizeof *out);
  return reg->backend->ops->object_get(reg->backend, FEAST_REG_TABLE, project, name, decode_table_row, out, found, err);
}

typedef struct get_ctx {
  const char *project, *name;
  feast_registry_object kind;
  void *out;
} get_ctx;

static feast_code get_tx(feast_registry *reg, void *vctx, feast_error *err) {
  get_ctx *c = vctx;
  bool found = false;
  feast_code rc = c->kind == FEAST_REG_ENTITY ? feast_registry_load_entity(reg, c->project, c->name, c->out, &found, err)
                                          : feast_registry_load_table(reg, c->project, c->name, c->out, &found, err);
  if (!rc && !found) rc = feast_registry_fail_missing(err, c->kind == FEAST_REG_TABLE, c->name, c->project);
  return rc;
}

feast_code feast_registry_get_entity(feast_registry *reg, const char *project, const char *name, feast_entity *out,
                                     feast_error *err) {
  get_ctx c = {feast_registry_project_or_default(project), name, FEAST_REG_ENTITY, out};
  memset(out, 0, sizeof *out);
  return feast_registry_run_tx(reg, false, get_tx, &c, err);
}

feast_code feast_registry_get_feature_table(feast_registry *reg, const char *project, const char *name,
                                            feast_feature_table *out, feast_error *err) {
  get_ctx c = {feast_registry_project_or_default(project), name, FEAST_REG_TABLE, out};
  memset(out, 0, sizeof *out);
  return feast_registry_run_tx(reg, false, get_tx, &c, err);
}

static bool labels_match(const feast_map *have, const feast_map *want) {
  if (!want) return true;
  for (size_t i = 0; i < want->n; i++) {
    const char *v = feast_map_get(have, want->items[i].key);
    if (!v || strcmp(v, want->items[i].value) != 0) return false;
  }
  return true;
}

typedef struct list_ctx {
  const char *project;
  const feast_map *labels;
  feast_registry_object kind;
  feast_entity_list *entities;
  feast_feature_table_list *tables;
} list_ctx;

/* One stored object into the list, when its labels match. */
static feast_code list_row(void *vctx, const feast_registry_record *row, feast_error *err) {
  list_ctx *c = vctx;
  bool entity = c->kind == FEAST_REG_ENTITY;
  feast_entity e;
  feast_feature_table t;
  feast_code rc = entity ? decode_entity_row(&e, row, err) : decode_table_row(&t, row, err);
  if (rc) return rc;
  void **items = entity ? (void **)&c->entities->items : (void **)&c->tables->items;
  size_t *n = entity ? &c->entities->n : &c->tables->n, size = entity ? sizeof e : sizeof t;
  void *grown = NULL;
  if (labels_match(entity ? &e.spec.labels : &t.spec.labels, c->labels)) {
    if (!(grown = feast_realloc(*items, (*n + 1) * size))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  if (!grown) {
    if (entity) feast_entity_clear(&e);
    else feast_feature_table_clear(&t);
    return rc;
  }
  *items = grown;
  memcpy((char *)grown + *n * size, entity ? (const void *)&e : (const void *)&t, size);
  (*n)++;
  return FEAST_OK;
}

static feast_code list_tx(feast_registry *reg, void *vctx, feast_error *err) {
  list_ctx *c = vctx;
  if (c->entities) feast_entity_list_clear(c->entities);
  if (c->tables) feast_feature_table_list_clear(c->tables);
  return reg->backend->ops->object_list(reg->backend, c->kind, c->project, list_row, c, err);
}

feast_code feast_registry_list_entities(feast_registry *reg, const char *project, const feast_map *labels,
                                        feast_entity_list *out, feast_error *err) {
  memset(out, 0, sizeof *out);
  list_ctx c = {feast_registry_project_or_default(project), labels, FEAST_REG_ENTITY, out, NULL};
  feast_code rc = feast_registry_run_tx(reg, false, list_tx, &c, err);
  if (rc) feast_entity_list_clear(out);
  return rc;
}

feast_code feast_registry_list_feature_tables(feast_registry *reg, const char *project, const feast_map *labels,
                                              feast_feature_table_list *out, feast_error *err) {
  memset(out, 0, sizeof *out);
  list_ctx c = {feast_registry_project_or_default(project), labels, FEAST_REG_TABLE, NULL, out};
  feast_code rc = feast_registry_run_tx(reg, false, list_tx, &c, err);
  if (rc) feast_feature_table_list_clear(out);
  return rc;
}

typedef struct project_ctx {
  const char *project;
  feast_entity_list *entities;
  feast_feature_table_list *tables;
  int64_t *revision;
} project_ctx;

static feast_code project_tx(feast_registry *reg, void *vctx, feast_error *err) {
  project_ctx *p = vctx;
  list_ctx e = {p->project, NULL, FEAST_REG_ENTITY, p->entities, NULL};
  list_ctx t = {p->project, NULL, FEAST_REG_TABLE, NULL, p->tables};
  feast_code rc = reg->backend->ops->revision(reg->backend, p->revision, err);
  if (!rc) rc = list_tx(reg, &e, err);
  if (!rc) rc = list_tx(reg, &t, err);
  return rc;
}

feast_code feast_registry_read_project(feast_registry *reg, const char *project, feast_entity_list *entities,
                                       feast_feature_table_list *tables, int64_t *revision, feast_error *err) {
  memset(entities, 0, sizeof *entities);
  memset(tables, 0, sizeof *tables);
  project_ctx c = {feast_registry_project_or_default(project), entities, tables, revision};
  feast_code rc = feast_registry_run_tx(reg, false, project_tx, &c, err);
  if (rc) {
    feast_entity_list_clear(entities);
    feast_feature_table_list_clear(tables);
  }
  return rc;
}

static feast_code delete_tx(feast_registry *reg, void *vctx, feast_error *err) {
  get_ctx *c = vctx;
  bool found = false;
  feast_code rc = reg->backend->ops->object_delete(reg->backend, FEAST_REG_TABLE, c->project, c->name, &found, err);
  if (!rc && !found) rc = feast_registry_fail_missing(err, true, c->name, c->project);
  return rc;
}

feast_code feast_registry_delete_feature_table(feast_registry *reg, const char *project, const char *name,
                                               feast_error *err) {
  get_ctx c = {feast_registry_project_or_default(project), name, FEAST_REG_TABLE, NULL};
  return feast_registry_run_tx(reg, true, delete_tx, &c, err);
}
