/*
 * validate.c - Feast Core's rules for entities and feature tables: names,
 * reserved words, uniqueness, entity references, value types, max_age and
 * the presence and kind of sources. Every problem is collected (never only
 * the first), one line each, naming file, document and field.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "registry/validate.h"

void feast_vproblem(feast_vctx *v, const char *field, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const feast_spec_doc *d = v->doc;
  if (!v->problems++)
    feast_fail(v->err, FEAST_E_VALIDATION, "%s: document %d (line %d): %s: %s", d->file ? d->file : "<specs>",
               d->index, d->line, field, msg);
  else
    feast_error_append(v->err, "%s: document %d (line %d): %s: %s", d->file ? d->file : "<specs>", d->index, d->line,
                       field, msg);
}

void feast_vproblem_lines(feast_vctx *v, const char *field, const char *message) {
  char copy[FEAST_ERROR_MAX];
  snprintf(copy, sizeof copy, "%s", message);
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    feast_vproblem(v, field, "%s", line);
}

#define FEAST_MAX_NAME 128

static bool valid_name(const char *s) {
  if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return false;
  for (s++; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
      return false;
  return true;
}

static bool reserved(const char *s) {
  return s && (strcmp(s, "event_timestamp") == 0 || strcmp(s, "created_timestamp") == 0);
}

/* Name rules shared by entities, tables and features. */
static void check_name(feast_vctx *v, const char *field, const char *name, bool is_column) {
  if (!name || !*name) {
    feast_vproblem(v, field, "a name is required");
  } else if (!valid_name(name)) {
    feast_vproblem(v, field, "name '%s' must match ^[a-zA-Z_][a-zA-Z0-9_]*$", name);
  } else if (strlen(name) > FEAST_MAX_NAME) {
    /* online keys hold table and entity names; LMDB's keys hold 511 bytes */
    feast_vproblem(v, field, "name '%.32s...' is %zu characters; names are at most %d", name, strlen(name),
                   FEAST_MAX_NAME);
  } else if (is_column && reserved(name)) {
    feast_vproblem(v, field, "'%s' is reserved (event_timestamp and created_timestamp cannot name entities or "
                             "features)", name);
  }
}

feast_code feast_entity_update_check(const feast_entity_spec *stored, const feast_entity_spec *updated,
                                     feast_error *err) {
  if (stored->value_type != updated->value_type)
    return feast_fail(err, FEAST_E_VALIDATION, "entity %s: value type cannot change from %s to %s", stored->name,
                      feast_value_type_name(stored->value_type), feast_value_type_name(updated->value_type));
  return FEAST_OK;
}

/* Feast Core refuses empty label keys. */
static void check_labels(feast_vctx *v, const char *field, const feast_map *m) {
  for (size_t i = 0; i < m->n; i++)
    if (!m->items[i].key || !*m->items[i].key) feast_vproblem(v, field, "a label key cannot be empty");
}

static void validate_entity(feast_vctx *v, const feast_entity_spec *e) {
  check_name(v, "spec.name", e->name, true);
  check_labels(v, "spec.labels", &e->labels);
  if (e->value_type == FEAST_VT_INVALID)
    feast_vproblem(v, "spec.valueType", "a value type is required (e.g. INT64, STRING)");
  else if (feast_value_type_is_list(e->value_type) || !strcmp(feast_value_type_name(e->value_type), "INVALID"))
    feast_vproblem(v, "spec.valueType", "%s cannot be an entity's type (entities are scalar keys)",
                   feast_value_type_name(e->value_type));
}

/* Whether entity `name` exists: defined by an entity document before
 * `upto`, else known to the registry. *type is its type (INVALID when its
 * own document lacks one; that document reports it). */
static bool entity_exists(const feast_spec_docs *docs, size_t upto, const char *name, feast_entity_lookup lookup,
                          void *ctx, feast_value_type *type) {
  for (size_t i = upto; i-- > 0;) {
    const feast_spec_doc *d = &docs->docs[i];
    if (d->kind == FEAST_DOC_ENTITY && d->entity.name && strcmp(d->entity.name, name) == 0) {
      *type = d->entity.value_type;
      return true;
    }
  }
  *type = lookup ? lookup(ctx, name) : FEAST_VT_INVALID;
  return *type != FEAST_VT_INVALID;
}

static void validate_table(feast_vctx *v, const feast_spec_docs *docs, size_t index, feast_entity_lookup lookup,
                           void *ctx, bool skip_source_check) {
  const feast_feature_table_spec *t = &v->doc->table;
  char field[96];
  check_name(v, "spec.name", t->name, false);
  check_labels(v, "spec.labels", &t->labels);
  if (!t->n_entities) feast_vproblem(v, "spec.entities", "a feature table needs at least one entity");
  feast_value_type *types = feast_calloc(t->n_entities ? t->n_entities : 1, sizeof *types);
  for (size_t i = 0; i < t->n_entities; i++) {
    const char *e = t->entities[i];
    snprintf(field, sizeof field, "spec.entities[%zu]", i);
    check_name(v, field, e, true);
    if (!valid_name(e)) continue;
    for (size_t j = 0; j < i; j++)
      if (t->entities[j] && strcmp(t->entities[j], e) == 0) feast_vproblem(v, field, "entity '%s' is listed twice", e);
    feast_value_type vt;
    if (!entity_exists(docs, index, e, lookup, ctx, &vt))
      feast_vproblem(v, field, "entity '%s' does not exist (define it first, in an earlier document or with "
                               "`feast entities apply -f FILE`)", e);
    if (types) types[i] = vt;
  }
  for (size_t i = 0; i < t->n_features; i++) {
    const feast_feature_spec *f = &t->features[i];
    snprintf(field, sizeof field, "spec.features[%zu].labels", i);
    check_labels(v, field, &f->labels);
    snprintf(field, sizeof field, "spec.features[%zu].name", i);
    check_name(v, field, f->name, true);
    if (valid_name(f->name)) {
      for (size_t j = 0; j < i; j++)
        if (t->features[j].name && strcmp(t->features[j].name, f->name) == 0)
          feast_vproblem(v, field, "feature '%s' is defined twice", f->name);
      for (size_t j = 0; j < t->n_entities; j++)
        if (t->entities[j] && strcmp(t->entities[j], f->name) == 0)
          feast_vproblem(v, field, "'%s' is both an entity and a feature of this table", f->name);
    }
    snprintf(field, sizeof field, "spec.features[%zu].valueType", i);
    if (f->value_type == FEAST_VT_INVALID || !strcmp(feast_value_type_name(f->value_type), "INVALID"))
      feast_vproblem(v, field, "feature '%s' needs a valid value type", f->name ? f->name : "");
  }
  if (t->has_max_age && t->max_age < 0) feast_vproblem(v, "spec.maxAge", "must not be negative");

  if (t->batch_source.type == FEAST_SOURCE_INVALID)
    feast_vproblem(v, "spec.batchSource", "a batch source is required (fileOptions or bigqueryOptions)");
  else if (t->batch_source.type != FEAST_SOURCE_FILE && t->batch_source.type != FEAST_SOURCE_BIGQUERY)
    feast_vproblem(v, "spec.batchSource", "must be a batch source (BATCH_FILE or BATCH_BIGQUERY), not a stream");
  else
    feast_validate_source(v, t, &t->batch_source, "batchSource", types, skip_source_check);
  if (t->has_stream_source) {
    if (t->stream_source.type != FEAST_SOURCE_KAFKA && t->stream_source.type != FEAST_SOURCE_KINESIS)
      feast_vproblem(v, "spec.streamSource", "must be a stream source (kafkaOptions or kinesisOptions)");
    else
      feast_validate_source(v, t, &t->stream_source, "streamSource", types, skip_source_check);
  }
  feast_free(types);
}

feast_code feast_specs_validate(const feast_spec_docs *docs, feast_entity_lookup lookup, void *ctx,
                                bool skip_source_check, feast_error *err) {
  feast_vctx v = {err, 0, NULL};
  feast_error_clear(err);
  for (size_t i = 0; i < docs->n; i++) {
    v.doc = &docs->docs[i];
    if (v.doc->kind == FEAST_DOC_ENTITY) validate_entity(&v, &v.doc->entity);
    else validate_table(&v, docs, i, lookup, ctx, skip_source_check);
  }
  return v.problems ? FEAST_E_VALIDATION : FEAST_OK;
}
