/*
 * spec_emit.c - specs back to text in the form spec_parse.c reads: one
 * `spec:` document, camelCase keys, enums by name, durations as "3600s".
 * The output is first built as a small tree (in an arena) so YAML can pick
 * block or `{}` style per value; then printed as YAML or JSON.
 *
 * Round trip holds for everything the parser can produce. A source's
 * options block is printed for its `type` only (the file form is a oneof),
 * so fields of other kinds set through the C API are not printed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "feast/specfile.h"
#include "format/json/json_writer.h"

typedef enum { EN_STR, EN_MAP, EN_SEQ } en_kind;

typedef struct enode enode;
struct enode {
  en_kind kind;
  const char *key; /* when a member of a map */
  const char *text;
  enode *first, *last, *next;
};

typedef struct ectx {
  feast_arena *a;
  bool oom;
} ectx;

static enode *mk(ectx *c, enode *parent, const char *key, en_kind kind, const char *text) {
  enode *n = feast_arena_calloc(c->a, sizeof *n);
  char *t = text ? feast_arena_strdup(c->a, text) : NULL;
  if (!n || (text && !t)) {
    c->oom = true;
    return NULL;
  }
  n->kind = kind;
  n->key = key;
  n->text = t;
  if (parent) {
    if (parent->last)
      parent->last->next = n;
    else
      parent->first = n;
    parent->last = n;
  }
  return n;
}

static void put_str(ectx *c, enode *m, const char *key, const char *v) {
  if (m && v) mk(c, m, key, EN_STR, v);
}

static void put_map(ectx *c, enode *m, const char *key, const feast_map *map) {
  if (!m || !map->n) return;
  enode *sub = mk(c, m, key, EN_MAP, NULL);
  for (size_t i = 0; sub && i < map->n; i++) {
    char *k = feast_arena_strdup(c->a, map->items[i].key);
    if (!k) c->oom = true;
    else put_str(c, sub, k, map->items[i].value);
  }
}

static void put_format(ectx *c, enode *m, const char *key, const feast_data_format *f) {
  if (!m || f->kind == FEAST_FORMAT_NONE) return;
  enode *fm = mk(c, m, key, EN_MAP, NULL);
  if (!fm) return;
  if (f->kind == FEAST_FORMAT_PARQUET) {
    mk(c, fm, "parquetFormat", EN_MAP, NULL);
  } else if (f->kind == FEAST_FORMAT_AVRO) {
    put_str(c, mk(c, fm, "avroFormat", EN_MAP, NULL), "schemaJson", f->schema_json);
  } else {
    put_str(c, mk(c, fm, "protoFormat", EN_MAP, NULL), "classPath", f->class_path);
  }
}

static const char *const source_type_names[] = {"INVALID", "BATCH_FILE", "BATCH_BIGQUERY", "STREAM_KAFKA",
                                                "STREAM_KINESIS"};

static void put_source(ectx *c, enode *m, const char *key, const feast_data_source *s) {
  enode *n = m ? mk(c, m, key, EN_MAP, NULL) : NULL;
  if (!n) return;
  if (s->type >= FEAST_SOURCE_FILE && s->type <= FEAST_SOURCE_KINESIS) put_str(c, n, "type", source_type_names[s->type]);
  put_map(c, n, "fieldMapping", &s->field_mapping);
  put_str(c, n, "eventTimestampColumn", s->event_timestamp_column);
  put_str(c, n, "createdTimestampColumn", s->created_timestamp_column);
  put_str(c, n, "datePartitionColumn", s->date_partition_column);
  enode *o;
  switch (s->type) {
  case FEAST_SOURCE_FILE:
    o = mk(c, n, "fileOptions", EN_MAP, NULL);
    put_format(c, o, "fileFormat", &s->file.file_format);
    put_str(c, o, "fileUrl", s->file.file_url);
    break;
  case FEAST_SOURCE_BIGQUERY:
    o = mk(c, n, "bigqueryOptions", EN_MAP, NULL);
    put_str(c, o, "tableRef", s->bigquery.table_ref);
    put_str(c, o, "query", s->bigquery.query);
    break;
  case FEAST_SOURCE_KAFKA:
    o = mk(c, n, "kafkaOptions", EN_MAP, NULL);
    put_str(c, o, "bootstrapServers", s->kafka.bootstrap_servers);
    put_str(c, o, "topic", s->kafka.topic);
    put_format(c, o, "messageFormat", &s->kafka.message_format);
    break;
  case FEAST_SOURCE_KINESIS:
    o = mk(c, n, "kinesisOptions", EN_MAP, NULL);
    put_str(c, o, "region", s->kinesis.region);
    put_str(c, o, "streamName", s->kinesis.stream_name);
    put_format(c, o, "recordFormat", &s->kinesis.record_format);
    break;
  default: break;
  }
  put_str(c, n, "descriptorSet", s->descriptor_set);
}

static bool format_is_empty(const feast_data_format *f) {
  return f->kind == FEAST_FORMAT_NONE && !f->schema_json && !f->class_path;
}

static bool source_is_empty(const feast_data_source *s) {
  return s->type == FEAST_SOURCE_INVALID && !s->field_mapping.n && !s->event_timestamp_column &&
         !s->created_timestamp_column && !s->date_partition_column && format_is_empty(&s->file.file_format) &&
         !s->file.file_url && !s->bigquery.table_ref && !s->bigquery.query && !s->kafka.bootstrap_servers &&
         !s->kafka.topic && format_is_empty(&s->kafka.message_format) && !s->kinesis.region &&
         !s->kinesis.stream_name && format_is_empty(&s->kinesis.record_format) && !s->descriptor_set;
}

/* ---- printing ---- */

typedef struct pr {
  feast_buf b;
  feast_error *err;
  feast_code rc;
} pr;

static void out(pr *p, const char *s) {
  if (!p->rc) p->rc = feast_buf_append_str(&p->b, s, p->err);
}
static void indent(pr *p, int n) {
  for (int i = 0; i < n && !p->rc; i++) p->rc = feast_buf_append_byte(&p->b, ' ', p->err);
}

/* Double-quoted with the one JSON escaper, whose output both JSON and YAML
 * read back as the same string. */
static void quoted(pr *p, const char *s) {
  if (!p->rc) p->rc = feast_json_append_string(&p->b, s, strlen(s), FEAST_JSON_UTF8_FAIL, p->err);
}

/* Plain YAML scalars only where no YAML reader could take them for
 * anything but the same string. */
static bool yaml_plain_ok(const char *s) {
  if (!*s) return false;
  if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')) return false;
  for (const char *q = s; *q; q++)
    if (!((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_' || *q == '.'))
      return false;
  static const char *const words[] = {"null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
                                      "yes",  "Yes",  "YES",  "no",   "No",   "NO",   "on",    "On",    "ON",
                                      "off",  "Off",  "OFF",  "y",    "Y",    "n",    "N",     NULL};
  for (int i = 0; words[i]; i++)
    if (strcmp(s, words[i]) == 0) return false;
  return true;
}

static void yaml_scalar(pr *p, const char *s) {
  if (yaml_plain_ok(s)) out(p, s);
  else quoted(p, s);
}

static void json_node(pr *p, const enode *n, int ind) {
  if (n->kind == EN_STR) {
    quoted(p, n->text);
    return;
  }
  bool map = n->kind == EN_MAP;
  if (!n->first) {
    out(p, map ? "{}" : "[]");
    return;
  }
  out(p, map ? "{\n" : "[\n");
  for (const enode *c = n->first; c; c = c->next) {
    indent(p, ind + 2);
    if (map) {
      quoted(p, c->key);
      out(p, ": ");
    }
    json_node(p, c, ind + 2);
    out(p, c->next ? ",\n" : "\n");
  }
  indent(p, ind);
  out(p, map ? "}" : "]");
}

static void yaml_value(pr *p, const enode *n, int ind);

/* The members of a map, the first one already positioned when `inline_first`
 * (after "- " in a list). */
static void yaml_map_body(pr *p, const enode *m, int ind, bool inline_first) {
  for (const enode *c = m->first; c; c = c->next) {
    if (!(inline_first && c == m->first)) indent(p, ind);
    yaml_scalar(p, c->key);
    out(p, ":");
    yaml_value(p, c, ind + 2);
  }
}

/* Prints what follows "key:" (or "-"), through the end of line. */
static void yaml_value(pr *p, const enode *n, int ind) {
  if (n->kind == EN_STR) {
    out(p, " ");
    yaml_scalar(p, n->text);
    out(p, "\n");
  } else if (!n->first) {
    out(p, n->kind == EN_MAP ? " {}\n" : " []\n");
  } else if (n->kind == EN_MAP) {
    out(p, "\n");
    yaml_map_body(p, n, ind, false);
  } else {
    out(p, "\n");
    for (const enode *c = n->first; c; c = c->next) {
      indent(p, ind);
      out(p, "-");
      if (c->kind == EN_MAP && c->first) {
        out(p, " ");
        yaml_map_body(p, c, ind + 2, true);
      } else {
        yaml_value(p, c, ind + 2);
      }
    }
  }
}

static feast_code print_doc(ectx *c, enode *doc, feast_spec_format fmt, char **outp, feast_error *err) {
  if (c->oom) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  pr p;
  feast_buf_init(&p.b, FEAST_BUF_UNLIMITED);
  p.err = err;
  p.rc = FEAST_OK;
  if (fmt == FEAST_SPEC_JSON) {
    json_node(&p, doc, 0);
    out(&p, "\n");
  } else {
    yaml_map_body(&p, doc, 0, false);
  }
  if (p.rc) {
    feast_buf_free(&p.b);
    return p.rc;
  }
  /* The caller frees with free(), so the text leaves feast_malloc's care. */
  char *s = malloc(p.b.len + 1);
  if (!s) {
    feast_buf_free(&p.b);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  if (p.b.len) memcpy(s, p.b.data, p.b.len);
  s[p.b.len] = 0;
  feast_buf_free(&p.b);
  *outp = s;
  return FEAST_OK;
}

feast_code feast_entity_emit(const feast_entity_spec *e, feast_spec_format fmt, char **outp, feast_error *err) {
  ectx c = {feast_arena_new(0), false};
  if (!c.a) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  enode *doc = mk(&c, NULL, NULL, EN_MAP, NULL);
  enode *s = doc ? mk(&c, doc, "spec", EN_MAP, NULL) : NULL;
  put_str(&c, s, "name", e->name);
  if (e->value_type != FEAST_VT_INVALID) put_str(&c, s, "valueType", feast_value_type_name(e->value_type));
  put_str(&c, s, "description", e->description);
  put_map(&c, s, "labels", &e->labels);
  feast_code rc = print_doc(&c, doc, fmt, outp, err);
  feast_arena_free(c.a);
  return rc;
}

feast_code feast_feature_table_emit(const feast_feature_table_spec *t, feast_spec_format fmt, char **outp,
                                    feast_error *err) {
  ectx c = {feast_arena_new(0), false};
  if (!c.a) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  enode *doc = mk(&c, NULL, NULL, EN_MAP, NULL);
  enode *s = doc ? mk(&c, doc, "spec", EN_MAP, NULL) : NULL;
  put_str(&c, s, "name", t->name);
  /* Always printed, even empty: it is what marks the document as a table. */
  if (s) {
    enode *l = mk(&c, s, "entities", EN_SEQ, NULL);
    for (size_t i = 0; l && i < t->n_entities; i++) put_str(&c, l, NULL, t->entities[i] ? t->entities[i] : "");
  }
  if (s && t->n_features) {
    enode *l = mk(&c, s, "features", EN_SEQ, NULL);
    for (size_t i = 0; l && i < t->n_features; i++) {
      const feast_feature_spec *f = &t->features[i];
      enode *fm = mk(&c, l, NULL, EN_MAP, NULL);
      put_str(&c, fm, "name", f->name);
      if (f->value_type != FEAST_VT_INVALID) put_str(&c, fm, "valueType", feast_value_type_name(f->value_type));
      put_map(&c, fm, "labels", &f->labels);
    }
  }
  put_map(&c, s, "labels", &t->labels);
  if (t->has_max_age) {
    char d[32];
    put_str(&c, s, "maxAge", feast_duration_format(t->max_age, d, sizeof d));
  }
  if (!source_is_empty(&t->batch_source)) put_source(&c, s, "batchSource", &t->batch_source);
  if (t->has_stream_source) put_source(&c, s, "streamSource", &t->stream_source);
  feast_code rc = print_doc(&c, doc, fmt, outp, err);
  feast_arena_free(c.a);
  return rc;
}
