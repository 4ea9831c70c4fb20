/*
 * spec_parse.c - spec files (YAML or JSON, Feast 0.9 protobuf-JSON form) to
 * feast_spec_doc. Only shape is checked here: known keys, the right kind of
 * value, enums and durations that parse. Feast Core's rules live in
 * src/registry/validate.c. Keys may be camelCase or snake_case; messages
 * quote the key path as the user wrote it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/file.h"
#include "feast/specfile.h"
#include "format/yaml/yaml_tree.h"

#define SPECFILE_MAX_BYTES ((size_t)16 << 20)

typedef struct pctx {
  const char *file;
  int doc;
  feast_error *err;
  char path[512];
  size_t plen;
  char *base_dir; /* folder of the spec file, for relative descriptorSet paths */
} pctx;

static feast_code perr(pctx *c, const feast_ynode *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static feast_code perr(pctx *c, const feast_ynode *n, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return feast_fail(c->err, FEAST_E_INVALID, "%s: document %d (line %d): %s%s%s", c->file, c->doc, n ? n->line : 0,
                    c->path, c->plen ? ": " : "", msg);
}

static size_t push(pctx *c, const char *key) {
  size_t old = c->plen;
  int w = snprintf(c->path + c->plen, sizeof c->path - c->plen, "%s%s", c->plen ? "." : "", key);
  if (w > 0) c->plen = c->plen + (size_t)w < sizeof c->path ? c->plen + (size_t)w : sizeof c->path - 1;
  return old;
}
static size_t push_index(pctx *c, size_t i) {
  size_t old = c->plen;
  int w = snprintf(c->path + c->plen, sizeof c->path - c->plen, "[%zu]", i);
  if (w > 0) c->plen = c->plen + (size_t)w < sizeof c->path ? c->plen + (size_t)w : sizeof c->path - 1;
  return old;
}
static void pop(pctx *c, size_t old) {
  c->plen = old;
  c->path[old] = 0;
}

/* snake_case -> camelCase so both spellings meet one table of names. */
static void canonical_key(const char *k, char *out, size_t size) {
  size_t j = 0;
  for (size_t i = 0; k[i] && j + 1 < size; i++) {
    if (k[i] == '_' && k[i + 1] && j > 0) {
      out[j++] = (char)toupper((unsigned char)k[++i]);
    } else {
      out[j++] = k[i];
    }
  }
  out[j] = 0;
}

/* Walks a mapping's keys against a list of known names. Calls back with the
 * index of the name; unknown or repeated keys are errors. */
typedef feast_code (*key_fn)(pctx *c, int which, const feast_ynode *val, void *obj);

static const char *kind_name(const feast_ynode *n) {
  if (!n) return "nothing";
  return n->kind == FEAST_Y_MAP ? "a mapping" : n->kind == FEAST_Y_SEQ ? "a list" : "a scalar";
}

static feast_code walk_map(pctx *c, const feast_ynode *map, const char *const *names, key_fn fn, void *obj) {
  if (map->kind != FEAST_Y_MAP) return perr(c, map, "expected a mapping, found %s", kind_name(map));
  int nnames = 0;
  while (names[nnames]) nnames++;
  unsigned long long seen = 0;
  for (size_t i = 0; i < map->n; i++) {
    const feast_ynode *k = map->items[2 * i], *v = map->items[2 * i + 1];
    if (k->kind != FEAST_Y_SCALAR) return perr(c, k, "keys must be strings, found %s", kind_name(k));
    char canon[128];
    canonical_key(k->text, canon, sizeof canon);
    int which = -1;
    for (int j = 0; j < nnames; j++)
      if (strcmp(canon, names[j]) == 0) which = j;
    size_t old = push(c, k->text);
    if (which < 0) {
      char expected[512] = "";
      for (int j = 0; j < nnames; j++) {
        size_t l = strlen(expected);
        snprintf(expected + l, sizeof expected - l, "%s%s", j ? ", " : "", names[j]);
      }
      feast_code rc = perr(c, k, "unknown key (expected one of: %s)", expected);
      pop(c, old);
      return rc;
    }
    if (seen & (1ULL << which)) {
      feast_code rc = perr(c, k, "given more than once");
      pop(c, old);
      return rc;
    }
    seen |= 1ULL << which;
    feast_code rc = fn(c, which, v, obj);
    pop(c, old);
    if (rc) return rc;
  }
  return FEAST_OK;
}

static feast_code get_string(pctx *c, const feast_ynode *n, char **out) {
  if (feast_ynode_is_null(n)) return FEAST_OK;
  if (n->kind != FEAST_Y_SCALAR) return perr(c, n, "expected a string, found %s", kind_name(n));
  if (strlen(n->text) != n->len) return perr(c, n, "strings may not contain NUL characters");
  char *s = feast_strdup(n->text);
  if (!s) return feast_fail(c->err, FEAST_E_NOMEM, "out of memory");
  feast_free(*out);
  *out = s;
  return FEAST_OK;
}

static feast_code get_string_map(pctx *c, const feast_ynode *n, feast_map *m) {
  if (feast_ynode_is_null(n)) return FEAST_OK;
  if (n->kind != FEAST_Y_MAP) return perr(c, n, "expected a mapping of strings, found %s", kind_name(n));
  for (size_t i = 0; i < n->n; i++) {
    const feast_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
    if (k->kind != FEAST_Y_SCALAR) return perr(c, k, "keys must be strings, found %s", kind_name(k));
    size_t old = push(c, k->text);
    feast_code rc = FEAST_OK;
    if (v->kind != FEAST_Y_SCALAR)
      rc = perr(c, v, "expected a string, found %s", kind_name(v));
    else if (strlen(k->text) != k->len || strlen(v->text) != v->len)
      rc = perr(c, v, "strings may not contain NUL characters");
    else if (feast_map_get(m, k->text))
      rc = perr(c, k, "given more than once");
    else
      rc = feast_map_set(m, k->text, v->text, c->err);
    pop(c, old);
    if (rc) return rc;
  }
  return FEAST_OK;
}

static feast_code get_value_type(pctx *c, const feast_ynode *n, feast_value_type *out) {
  if (feast_ynode_is_null(n)) return FEAST_OK;
  if (n->kind != FEAST_Y_SCALAR) return perr(c, n, "expected a value type name, found %s", kind_name(n));
  feast_value_type t = feast_value_type_parse(n->text);
  if (t == FEAST_VT_INVALID && n->plain) {
    /* protobuf-JSON also allows an enum by number */
    char *end;
    long v = strtol(n->text, &end, 10);
    if (*n->text && !*end && v > 0 && v < 100 && strcmp(feast_value_type_name((feast_value_type)v), "INVALID") != 0)
      t = (feast_value_type)v;
  }
  if (t == FEAST_VT_INVALID && strcmp(n->text, "INVALID") != 0)
    return perr(c, n, "unknown value type '%s' (expected BYTES, STRING, INT32, INT64, DOUBLE, FLOAT, BOOL, "
                      "UNIX_TIMESTAMP or one of their _LIST forms)", n->text);
  *out = t;
  return FEAST_OK;
}

/* ---- data formats ---- */

static feast_code fmt_avro_key(pctx *c, int which, const feast_ynode *v, void *obj) {
  (void)which;
  return get_string(c, v, &((feast_data_format *)obj)->schema_json);
}
static feast_code fmt_proto_key(pctx *c, int which, const feast_ynode *v, void *obj) {
  (void)which;
  return get_string(c, v, &((feast_data_format *)obj)->class_path);
}
static const char *const no_keys[] = {NULL};
static feast_code fmt_none_key(pctx *c, int which, const feast_ynode *v, void *obj) {
  (void)c, (void)which, (void)v, (void)obj;
  return FEAST_OK;
}

static const char *const format_keys[] = {"parquetFormat", "avroFormat", "protoFormat", NULL};
static feast_code format_key(pctx *c, int which, const feast_ynode *v, void *obj) {
  feast_data_format *f = obj;
  if (f->kind != FEAST_FORMAT_NONE) return perr(c, v, "only one of parquetFormat, avroFormat, protoFormat may be given");
  static const char *const avro_keys[] = {"schemaJson", NULL};
  static const char *const proto_keys[] = {"classPath", NULL};
  switch (which) {
  case 0:
    f->kind = FEAST_FORMAT_PARQUET;
    return feast_ynode_is_null(v) ? FEAST_OK : walk_map(c, v, no_keys, fmt_none_key, f);
  case 1:
    f->kind = FEAST_FORMAT_AVRO;
    return feast_ynode_is_null(v) ? FEAST_OK : walk_map(c, v, avro_keys, fmt_avro_key, f);
  default:
    f->kind = FEAST_FORMAT_PROTO;
    return feast_ynode_is_null(v) ? FEAST_OK : walk_map(c, v, proto_keys, fmt_proto_key, f);
  }
}

static feast_code get_format(pctx *c, const feast_ynode *n, feast_data_format *f) {
  if (feast_ynode_is_null(n)) return FEAST_OK;
  return walk_map(c, n, format_keys, format_key, f);
}

/* ---- sources ---- */

typedef struct src_ctx {
  feast_data_source *s;
  feast_source_type declared;
  feast_source_type inferred;
} src_ctx;

static feast_code file_key(pctx *c, int which, const feast_ynode *v, void *obj) {
  feast_data_source *s = obj;
  return which == 0 ? get_format(c, v, &s->file.file_format) : get_string(c, v, &s->file.file_url);
}
static feast_code bq_key(pctx *c, int which, const feast_ynode *v, void *obj) {
  feast_data_source *s = obj;
  return get_string(c, v, which == 0 ? &s->bigquery.table_ref : &s->bigquery.query);
}
static feast_code kafka_key(pctx *c, int which, const feast_ynode *v, void *obj) {
  feast_data_source *s = obj;
  if (which == 2) return get_format(c, v, &s->kafka.message_format);
  return get_string(c, v, which == 0 ? &s->kafka.bootstrap_servers : &s->kafka.topic);
}
static feast_code kinesis_key(pctx *c, int which, const feast_ynode *v, void *obj) {
  feast_data_source *s = obj;
  if (which == 2) return get_format(c, v, &s->kinesis.record_format);
  return get_string(c, v, which == 0 ? &s->kinesis.region : &s->kinesis.stream_name);
}

static const char *const type_names[] = {"INVALID", "BATCH_FILE", "BATCH_BIGQUERY", "STREAM_KAFKA", "STREAM_KINESIS"};

static feast_code resolve_descriptor_path(pctx *c, const feast_ynode *v, char **path) {
  if (!*path || (*path)[0] == '/') return FEAST_OK;
  char cwd[PATH_MAX] = "";
  feast_buf b;
  feast_buf_init(&b, FEAST_BUF_UNLIMITED);
  feast_code rc = FEAST_OK;
  if (!c->base_dir || c->base_dir[0] != '/') {
    /* Store an absolute path: the registry outlives the working folder. */
    if (!getcwd(cwd, sizeof cwd)) return perr(c, v, "cannot resolve relative path: working folder unknown");
    rc = feast_buf_printf(&b, c->err, "%s/", cwd);
  }
  if (!rc && c->base_dir) rc = feast_buf_printf(&b, c->err, "%s/", c->base_dir);
  if (!rc) rc = feast_buf_append_str(&b, *path, c->err);
  if (!rc) rc = feast_buf_append_byte(&b, 0, c->err);
  if (rc) {
    feast_buf_free(&b);
    return rc;
  }
  size_t len;
  feast_free(*path);
  *path = (char *)feast_buf_detach(&b, &len);
  return FEAST_OK;
}

static const char *const source_keys[] = {"type",           "fieldMapping",    "eventTimestampColumn",
                                          "createdTimestampColumn", "datePartitionColumn", "fileOptions",
                                          "bigqueryOptions", "kafkaOptions",  "kinesisOptions",
                                          "descriptorSet",  NULL};
static feast_code source_key(pctx *c, int which, const feast_ynode *v, void *obj) {
  src_ctx *sc = obj;
  feast_data_source *s = sc->s;
  static const char *const file_keys[] = {"fileFormat", "fileUrl", NULL};
  static const char *const bq_keys[] = {"tableRef", "query", NULL};
  static const char *const kafka_keys[] = {"bootstrapServers", "topic", "messageFormat", NULL};
  static const char *const kinesis_keys[] = {"region", "streamName", "recordFormat", NULL};
  switch (which) {
  case 0: {
    if (v->kind != FEAST_Y_SCALAR) return perr(c, v, "expected a source type name, found %s", kind_name(v));
    for (int t = 1; t <= 4; t++)
      if (strcmp(v->text, type_names[t]) == 0) sc->declared = (feast_source_type)t;
    if (!sc->declared)
      return perr(c, v, "unknown source type '%s' (expected BATCH_FILE, BATCH_BIGQUERY, STREAM_KAFKA or STREAM_KINESIS)",
                  v->text);
    return FEAST_OK;
  }
  case 1: return get_string_map(c, v, &s->field_mapping);
  case 2: return get_string(c, v, &s->event_timestamp_column);
  case 3: return get_string(c, v, &s->created_timestamp_column);
  case 4: return get_string(c, v, &s->date_partition_column);
  case 9: {
    feast_code rc = get_string(c, v, &s->descriptor_set);
    return rc ? rc : resolve_descriptor_path(c, v, &s->descriptor_set);
  }
  default: break;
  }
  if (feast_ynode_is_null(v)) return FEAST_OK;
  if (sc->inferred)
    return perr(c, v, "only one of fileOptions, bigqueryOptions, kafkaOptions, kinesisOptions may be given");
  sc->inferred = (feast_source_type)(which - 4);
  switch (which) {
  case 5: return walk_map(c, v, file_keys, file_key, s);
  case 6: return walk_map(c, v, bq_keys, bq_key, s);
  case 7: return walk_map(c, v, kafka_keys, kafka_key, s);
  default: return walk_map(c, v, kinesis_keys, kinesis_key, s);
  }
}

static feast_code get_source(pctx *c, const feast_ynode *n, feast_data_source *s) {
  src_ctx sc = {s, FEAST_SOURCE_INVALID, FEAST_SOURCE_INVALID};
  feast_code rc = walk_map(c, n, source_keys, source_key, &sc);
  if (rc) return rc;
  if (sc.declared && sc.inferred && sc.declared != sc.inferred) {
    size_t old = push(c, "type");
    rc = perr(c, n, "type %s does not match the options given (%s)", type_names[sc.declared],
              type_names[sc.inferred]);
    pop(c, old);
    return rc;
  }
  s->type = sc.declared ? sc.declared : sc.inferred;
  return FEAST_OK;
}

/* ---- entities and tables ---- */

static const char *const entity_keys[] = {"name", "valueType", "description", "labels", NULL};
static feast_code entity_key(pctx *c, int which, const feast_ynode *v, void *obj) {
  feast_entity_spec *e = obj;
  switch (which) {
  case 0: return get_string(c, v, &e->name);
  case 1: return get_value_type(c, v, &e->value_type);
  case 2: return get_string(c, v, &e->description);
  default: return get_string_map(c, v, &e->labels);
  }
}

static const char *const feature_keys[] = {"name", "valueType", "labels", NULL};
static feast_code feature_key(pctx *c, int which, const feast_ynode *v, void *obj) {
  feast_feature_spec *f = obj;
  switch (which) {
  case 0: return get_string(c, v, &f->name);
  case 1: return get_value_type(c, v, &f->value_type);
  default: return get_string_map(c, v, &f->labels);
  }
}

static feast_code get_entities(pctx *c, const feast_ynode *v, feast_feature_table_spec *t) {
  if (feast_ynode_is_null(v)) return FEAST_OK;
  if (v->kind != FEAST_Y_SEQ) return perr(c, v, "expected a list of entity names, found %s", kind_name(v));
  t->entities = feast_calloc(v->n ? v->n : 1, sizeof *t->entities);
  if (!t->entities) return feast_fail(c->err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; i < v->n; i++) {
    size_t old = push_index(c, i);
    feast_code rc = FEAST_OK;
    if (feast_ynode_is_null(v->items[i]))
      rc = perr(c, v->items[i], "expected an entity name, found null");
    else
      rc = get_string(c, v->items[i], &t->entities[i]);
    pop(c, old);
    if (rc) return rc;
    t->n_entities++;
  }
  return FEAST_OK;
}

static feast_code get_features(pctx *c, const feast_ynode *v, feast_feature_table_spec *t) {
  if (feast_ynode_is_null(v)) return FEAST_OK;
  if (v->kind != FEAST_Y_SEQ) return perr(c, v, "expected a list of features, found %s", kind_name(v));
  t->features = feast_calloc(v->n ? v->n : 1, sizeof *t->features);
  if (!t->features) return feast_fail(c->err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; i < v->n; i++) {
    size_t old = push_index(c, i);
    t->n_features++;
    feast_code rc = walk_map(c, v->items[i], feature_keys, feature_key, &t->features[i]);
    pop(c, old);
    if (rc) return rc;
  }
  return FEAST_OK;
}

static const char *const table_keys[] = {"name",   "entities",    "features",     "labels",
                                         "maxAge", "batchSource", "streamSource", NULL};
static feast_code table_key(pctx *c, int which, const feast_ynode *v, void *obj) {
  feast_feature_table_spec *t = obj;
  switch (which) {
  case 0: return get_string(c, v, &t->name);
  case 1: return get_entities(c, v, t);
  case 2: return get_features(c, v, t);
  case 3: return get_string_map(c, v, &t->labels);
  case 4: {
    if (feast_ynode_is_null(v)) return FEAST_OK;
    if (v->kind != FEAST_Y_SCALAR) return perr(c, v, "expected a duration such as \"3600s\", found %s", kind_name(v));
    feast_error derr;
    if (feast_duration_parse(v->text, &t->max_age, &derr)) return perr(c, v, "%s", derr.message);
    t->has_max_age = true;
    return FEAST_OK;
  }
  case 5: return feast_ynode_is_null(v) ? FEAST_OK : get_source(c, v, &t->batch_source);
  default:
    if (feast_ynode_is_null(v)) return FEAST_OK;
    t->has_stream_source = true;
    return get_source(c, v, &t->stream_source);
  }
}

/* A table names features, entities or sources; anything else is an entity. */
static bool looks_like_table(const feast_ynode *spec) {
  for (size_t i = 0; i < spec->n; i++) {
    const feast_ynode *k = spec->items[2 * i];
    if (k->kind != FEAST_Y_SCALAR) continue;
    char canon[128];
    canonical_key(k->text, canon, sizeof canon);
    if (!strcmp(canon, "features") || !strcmp(canon, "entities") || !strcmp(canon, "batchSource") ||
        !strcmp(canon, "streamSource") || !strcmp(canon, "maxAge"))
      return true;
  }
  return false;
}

static const char *const doc_keys[] = {"spec", "meta", NULL};
typedef struct doc_ctx {
  feast_spec_doc *d;
  const feast_ynode *spec;
} doc_ctx;
static feast_code doc_key(pctx *c, int which, const feast_ynode *v, void *obj) {
  (void)c;
  /* `meta` (as `feast ... describe` prints it) is registry-owned: ignored. */
  if (which == 0) ((doc_ctx *)obj)->spec = v;
  return FEAST_OK;
}

static feast_code parse_doc(pctx *c, const feast_ynode *root, feast_spec_doc *d) {
  doc_ctx dc = {d, NULL};
  feast_code rc = walk_map(c, root, doc_keys, doc_key, &dc);
  if (rc) return rc;
  if (!dc.spec || feast_ynode_is_null(dc.spec)) return perr(c, root, "missing key 'spec'");
  size_t old = push(c, "spec");
  if (dc.spec->kind != FEAST_Y_MAP) {
    rc = perr(c, dc.spec, "expected a mapping, found %s", kind_name(dc.spec));
  } else if (looks_like_table(dc.spec)) {
    d->kind = FEAST_DOC_FEATURE_TABLE;
    rc = walk_map(c, dc.spec, table_keys, table_key, &d->table);
  } else {
    d->kind = FEAST_DOC_ENTITY;
    rc = walk_map(c, dc.spec, entity_keys, entity_key, &d->entity);
  }
  pop(c, old);
  return rc;
}

static void doc_clear(feast_spec_doc *d) {
  feast_free(d->file);
  feast_entity_spec_clear(&d->entity);
  feast_feature_table_spec_clear(&d->table);
  memset(d, 0, sizeof *d);
}

void feast_spec_docs_clear(feast_spec_docs *docs) {
  for (size_t i = 0; i < docs->n; i++) doc_clear(&docs->docs[i]);
  feast_free(docs->docs);
  docs->docs = NULL;
  docs->n = 0;
}

static feast_code add_doc(pctx *c, const feast_ynode *root, int line, feast_spec_docs *out) {
  feast_spec_doc *docs = feast_realloc(out->docs, (out->n + 1) * sizeof *docs);
  if (!docs) return feast_fail(c->err, FEAST_E_NOMEM, "out of memory");
  out->docs = docs;
  feast_spec_doc *d = &docs[out->n];
  memset(d, 0, sizeof *d);
  d->index = c->doc;
  d->line = line;
  d->file = feast_strdup(c->file);
  if (!d->file) return feast_fail(c->err, FEAST_E_NOMEM, "out of memory");
  out->n++; /* counted now so that a failure below is cleaned up by the caller */
  return parse_doc(c, root, d);
}

feast_code feast_specfile_parse_text(const char *text, size_t len, const char *name, feast_spec_docs *docs,
                                     feast_error *err) {
  if (!name) name = "<text>";
  feast_ytree tree;
  feast_code rc = feast_ytree_parse(text, len, &tree, err);
  if (rc) return feast_error_prefix(err, "%s: ", name);
  pctx c = {0};
  c.file = name;
  c.err = err;
  const char *slash = strrchr(name, '/');
  if (slash) {
    c.base_dir = feast_strndup(name, slash == name ? 1 : (size_t)(slash - name));
    if (!c.base_dir) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  feast_spec_docs fresh = {0, NULL};
  for (size_t i = 0; i < tree.n && !rc; i++) {
    const feast_ynode *root = tree.docs[i].root;
    if (feast_ynode_is_null(root)) {
      c.doc++; /* an empty document still counts, as the reader sees it */
      continue;
    }
    if (root->kind == FEAST_Y_SEQ) {
      /* A JSON (or YAML) list of spec objects: each is a document. */
      for (size_t j = 0; j < root->n && !rc; j++) {
        c.doc++;
        rc = add_doc(&c, root->items[j], root->items[j]->line, &fresh);
      }
    } else {
      c.doc++;
      rc = add_doc(&c, root, root->line, &fresh); /* where its content starts */
    }
  }
  feast_free(c.base_dir);
  feast_ytree_free(&tree);
  if (!rc && fresh.n) {
    feast_spec_doc *all = feast_realloc(docs->docs, (docs->n + fresh.n) * sizeof *all);
    if (!all) {
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    } else {
      memcpy(all + docs->n, fresh.docs, fresh.n * sizeof *all);
      docs->docs = all;
      docs->n += fresh.n;
      feast_free(fresh.docs);
      return FEAST_OK;
    }
  }
  feast_spec_docs_clear(&fresh);
  return rc;
}

feast_code feast_specfile_parse(const char *path, feast_spec_docs *docs, feast_error *err) {
  feast_buf b;
  feast_buf_init(&b, SPECFILE_MAX_BYTES);
  feast_code rc = feast_file_read_all(path, &b, err);
  if (!rc) rc = feast_specfile_parse_text(b.data ? (const char *)b.data : "", b.len, path, docs, err);
  feast_buf_free(&b);
  return rc;
}
