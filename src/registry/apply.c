/*
 * apply.c - feast_registry_apply: validate every document against the rules
 * and the stored registry, then create, update or leave each object, all in
 * one write transaction so a failed apply stores nothing. Unchanged specs
 * keep their revision and last_updated, which makes apply idempotent.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "registry/registry_internal.h"
#include "registry/spec_codec.h"

/* Specs are small; this only guards against absurd input. */
#define MAX_SPEC_BYTES (64u << 20)

typedef struct apply_ctx {
  const char *project;
  const feast_spec_docs *docs;
  bool skip_source_check;
  feast_apply_result *res;
  feast_registry *reg;
  feast_code lookup_rc; /* a store error met inside the validation callback */
  feast_error lookup_err;
} apply_ctx;

const char *feast_apply_action_name(feast_apply_action a) {
  switch (a) {
    case FEAST_APPLY_CREATED: return "created";
    case FEAST_APPLY_UPDATED: return "updated";
    case FEAST_APPLY_UNCHANGED: return "unchanged";
  }
  return "?";
}

void feast_apply_result_clear(feast_apply_result *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) feast_free(r->items[i].name);
  feast_free(r->items);
  memset(r, 0, sizeof *r);
}

static const char *doc_name(const feast_spec_doc *d) {
  const char *n = d->kind == FEAST_DOC_ENTITY ? d->entity.name : d->table.name;
  return n ? n : "";
}

/* "specs.yaml: document 2 (line 14)" */
static void doc_where(const feast_spec_doc *d, char *buf, size_t size) {
  snprintf(buf, size, "%s: document %d (line %d)", d->file ? d->file : "<input>", d->index, d->line);
}

/* Add a problem to the report: the first one sets the code, later ones append. */
static void problem(feast_error *err, int *count, const char *fmt, const char *where, const char *name,
                    const char *a, const char *b) {
  if ((*count)++ == 0)
    feast_fail(err, FEAST_E_VALIDATION, fmt, where, name, a, b);
  else
    feast_error_append(err, fmt, where, name, a, b);
}

/* Validation's view of the registry: the stored entity's type. A store
 * failure cannot travel through the callback, so it is kept for later. */
static feast_value_type lookup_entity(void *vctx, const char *name) {
  apply_ctx *c = vctx;
  if (c->lookup_rc) return FEAST_VT_INVALID;
  feast_entity e;
  bool found = false;
  c->lookup_rc = feast_registry_load_entity(c->reg, c->project, name, &e, &found, &c->lookup_err);
  if (c->lookup_rc || !found) return FEAST_VT_INVALID;
  feast_value_type vt = e.spec.value_type;
  feast_entity_clear(&e);
  return vt;
}

/* The rules that need the stored registry or the whole batch and are ours,
 * not the spec validator's: names given twice, entity type changes. */
static feast_code check_against_store(apply_ctx *c, feast_error *err) {
  int problems = 0;
  char where[600];
  for (size_t i = 0; i < c->docs->n; i++) {
    const feast_spec_doc *d = &c->docs->docs[i];
    doc_where(d, where, sizeof where);
    for (size_t j = 0; j < i; j++) {
      const feast_spec_doc *o = &c->docs->docs[j];
      if (o->kind == d->kind && strcmp(doc_name(o), doc_name(d)) == 0) {
        char first[600];
        doc_where(o, first, sizeof first);
        problem(err, &problems, "%s: %s '%s' is also defined in %s", where,
                d->kind == FEAST_DOC_ENTITY ? "entity" : "feature table", doc_name(d), first);
        break;
      }
    }
    if (d->kind != FEAST_DOC_ENTITY || !d->entity.name) continue;
    feast_entity old;
    bool found = false;
    feast_error lerr;
    feast_code rc = feast_registry_load_entity(c->reg, c->project, d->entity.name, &old, &found, &lerr);
    if (rc) {
      *err = lerr;
      return rc;
    }
    if (found && old.spec.value_type != d->entity.value_type)
      problem(err, &problems,
              "%s: entity '%s': valueType cannot change from %s to %s (create a new entity instead)", where,
              d->entity.name, feast_value_type_name(old.spec.value_type), feast_value_type_name(d->entity.value_type));
    if (found) feast_entity_clear(&old);
  }
  return problems ? FEAST_E_VALIDATION : FEAST_OK;
}

typedef struct old_row {
  bool found;
  feast_ts created;
  int64_t revision;
  bool same;
  const feast_spec_doc *doc;
} old_row;

static feast_code compare_row(void *vctx, const feast_registry_record *row, feast_error *err) {
  old_row *o = vctx;
  o->created = row->created;
  o->revision = row->revision;
  feast_code rc;
  if (o->doc->kind == FEAST_DOC_ENTITY) {
    feast_entity_spec e = {0};
    if ((rc = feast_codec_decode_entity(row->spec, row->spec_len, &e, err))) return rc;
    o->same = feast_entity_spec_equal(&e, &o->doc->entity);
    feast_entity_spec_clear(&e);
  } else {
    feast_feature_table_spec t = {0};
    if ((rc = feast_codec_decode_table(row->spec, row->spec_len, &t, err))) return rc;
    o->same = feast_feature_table_spec_equal(&t, &o->doc->table);
    feast_feature_table_spec_clear(&t);
  }
  return FEAST_OK;
}

static feast_code store_doc(apply_ctx *c, const feast_spec_doc *d, feast_ts now, feast_apply_item *item,
                            feast_error *err) {
  feast_registry_backend *s = c->reg->backend;
  feast_registry_object kind = d->kind == FEAST_DOC_ENTITY ? FEAST_REG_ENTITY : FEAST_REG_TABLE;
  old_row old = {false, 0, 0, false, d};
  feast_code rc = s->ops->object_get(s, kind, c->project, doc_name(d), compare_row, &old, &old.found, err);
  if (rc) return rc;
  item->kind = d->kind;
  if (!(item->name = feast_strdup(doc_name(d)))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (old.found && old.same) {
    item->action = FEAST_APPLY_UNCHANGED;
    item->revision = old.revision;
    return FEAST_OK;
  }
  feast_buf b;
  feast_buf_init(&b, MAX_SPEC_BYTES);
  rc = kind == FEAST_REG_ENTITY ? feast_codec_encode_entity(&d->entity, &b, err)
                            : feast_codec_encode_table(&d->table, &b, err);
  if (!rc) {
    feast_registry_record row = {doc_name(d), b.data, b.len, old.found ? old.created : now, now, old.found ? old.revision + 1 : 1};
    rc = s->ops->object_put(s, kind, c->project, &row, err);
    item->action = old.found ? FEAST_APPLY_UPDATED : FEAST_APPLY_CREATED;
    item->revision = row.revision;
  }
  feast_buf_free(&b);
  return rc;
}

static feast_code apply_tx(feast_registry *reg, void *vctx, feast_error *err) {
  apply_ctx *c = vctx;
  feast_registry_backend *s = reg->backend;
  feast_apply_result_clear(c->res);
  c->lookup_rc = FEAST_OK;

  bool found = false, archived = false;
  feast_ts now = feast_now();
  feast_code rc = s->ops->project_get(s, c->project, &found, &archived, err);
  if (rc) return rc;
  if (archived) return feast_fail(err, FEAST_E_INVALID, "project '%s' is archived; nothing can be applied to it", c->project);
  if (!found && (rc = s->ops->project_put(s, c->project, false, now, err))) return rc;

  rc = feast_specs_validate(c->docs, lookup_entity, c, c->skip_source_check, err);
  if (c->lookup_rc) {
    *err = c->lookup_err;
    return c->lookup_rc;
  }
  if (rc) return rc;
  if ((rc = check_against_store(c, err))) return rc;

  if (c->docs->n) {
    c->res->items = feast_calloc(c->docs->n, sizeof *c->res->items);
    if (!c->res->items) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < c->docs->n; i++) {
    c->res->n = i + 1;
    if ((rc = store_doc(c, &c->docs->docs[i], now, &c->res->items[i], err))) {
      char where[600];
      doc_where(&c->docs->docs[i], where, sizeof where);
      return feast_error_prefix(err, "%s: ", where);
    }
  }
  return FEAST_OK;
}

feast_code feast_registry_apply(feast_registry *reg, const char *project, const feast_spec_docs *docs,
                                bool skip_source_check, feast_apply_result *out, feast_error *err) {
  feast_apply_result local = {0};
  feast_apply_result *res = out ? out : &local;
  memset(res, 0, sizeof *res);
  apply_ctx c = {feast_registry_project_or_default(project), docs, skip_source_check, res, reg, FEAST_OK, {0}};
  feast_code rc = feast_registry_check_project_name(c.project, err);
  if (!rc) rc = feast_registry_run_tx(reg, true, apply_tx, &c, err);
  if (rc || !out) feast_apply_result_clear(res);
  return rc;
}
