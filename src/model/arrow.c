/*
 * arrow.c - the Arrow C Data Interface: exporting batches (moving buffers,
 * no copies), importing them (copying), and wrapping a batch source as an
 * ArrowArrayStream. Format strings follow the Arrow spec's table.
 */
#include "feast/arrow.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "base/alloc.h"

/* ---- formats ---- */

static void format_of(feast_dtype t, char *buf, size_t size) {
  static const char *units = "smun";
  switch ((feast_dtype_id)t.id) {
  case FEAST_DT_NULL: snprintf(buf, size, "n"); break;
  case FEAST_DT_BOOL: snprintf(buf, size, "b"); break;
  case FEAST_DT_INT8: snprintf(buf, size, "c"); break;
  case FEAST_DT_UINT8: snprintf(buf, size, "C"); break;
  case FEAST_DT_INT16: snprintf(buf, size, "s"); break;
  case FEAST_DT_UINT16: snprintf(buf, size, "S"); break;
  case FEAST_DT_INT32: snprintf(buf, size, "i"); break;
  case FEAST_DT_UINT32: snprintf(buf, size, "I"); break;
  case FEAST_DT_INT64: snprintf(buf, size, "l"); break;
  case FEAST_DT_UINT64: snprintf(buf, size, "L"); break;
  case FEAST_DT_FLOAT16: snprintf(buf, size, "e"); break;
  case FEAST_DT_FLOAT: snprintf(buf, size, "f"); break;
  case FEAST_DT_DOUBLE: snprintf(buf, size, "g"); break;
  case FEAST_DT_STRING: snprintf(buf, size, "u"); break;
  case FEAST_DT_BINARY: snprintf(buf, size, "z"); break;
  case FEAST_DT_FIXED_BINARY: snprintf(buf, size, "w:%d", t.width); break;
  case FEAST_DT_DATE32: snprintf(buf, size, "tdD"); break;
  case FEAST_DT_TIME32: snprintf(buf, size, "tt%c", units[t.unit & 3]); break;
  case FEAST_DT_TIME64: snprintf(buf, size, "tt%c", units[t.unit & 3]); break;
  case FEAST_DT_TIMESTAMP: snprintf(buf, size, "ts%c:%s", units[t.unit & 3], t.utc ? "UTC" : ""); break;
  case FEAST_DT_DECIMAL128: snprintf(buf, size, "d:%d,%d", t.width, t.scale); break;
  case FEAST_DT_LIST: snprintf(buf, size, "+l"); break;
  }
}

static int parse_format(const char *f, feast_dtype *t) {
  static const struct {
    const char *f;
    feast_dtype_id id;
  } simple[] = {{"n", FEAST_DT_NULL},   {"b", FEAST_DT_BOOL},   {"c", FEAST_DT_INT8},    {"C", FEAST_DT_UINT8},
                {"s", FEAST_DT_INT16},  {"S", FEAST_DT_UINT16}, {"i", FEAST_DT_INT32},   {"I", FEAST_DT_UINT32},
                {"l", FEAST_DT_INT64},  {"L", FEAST_DT_UINT64}, {"e", FEAST_DT_FLOAT16}, {"f", FEAST_DT_FLOAT},
                {"g", FEAST_DT_DOUBLE}, {"u", FEAST_DT_STRING}, {"z", FEAST_DT_BINARY},  {"tdD", FEAST_DT_DATE32},
                {"+l", FEAST_DT_LIST}};
  for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
    if (strcmp(f, simple[i].f) == 0) {
      *t = feast_dtype_make(simple[i].id);
      return 1;
    }
  const char *units = "smun";
  if (strncmp(f, "w:", 2) == 0) {
    *t = feast_dtype_make(FEAST_DT_FIXED_BINARY);
    t->width = atoi(f + 2);
    return t->width > 0;
  }
  if (strncmp(f, "d:", 2) == 0) {
    int p, s;
    if (sscanf(f + 2, "%d,%d", &p, &s) != 2 || strchr(strchr(f, ',') + 1, ',')) return 0; /* no 256-bit */
    *t = feast_dtype_make(FEAST_DT_DECIMAL128);
    t->width = p;
    t->scale = s;
    return 1;
  }
  if (strncmp(f, "tt", 2) == 0 && f[2] && strchr(units, f[2]) && !f[3]) {
    int u = (int)(strchr(units, f[2]) - units);
    *t = feast_dtype_make(u <= FEAST_UNIT_MS ? FEAST_DT_TIME32 : FEAST_DT_TIME64);
    t->unit = (uint8_t)u;
    return 1;
  }
  if (strncmp(f, "ts", 2) == 0 && f[2] && strchr(units, f[2]) && f[3] == ':') {
    *t = feast_dtype_timestamp((feast_time_unit)(strchr(units, f[2]) - units), f[4] != '\0');
    return 1;
  }
  return 0;
}

/* ---- export ---- */

typedef struct schema_private {
  char format[32];
  char *name;
  struct ArrowSchema *child_ptrs[1];
  struct ArrowSchema child;
} schema_private;

typedef struct struct_schema_private {
  struct ArrowSchema **child_ptrs;
  struct ArrowSchema *children;
  int n;
} struct_schema_private;

static void release_column_schema(struct ArrowSchema *s) {
  schema_private *p = s->private_data;
  if (s->n_children && p->child.release) p->child.release(&p->child);
  feast_free(p->name);
  feast_free(p);
  s->release = NULL;
}

static feast_code export_column_schema(const feast_array *a, const char *name, struct ArrowSchema *s,
                                       feast_error *err) {
  schema_private *p = feast_calloc(1, sizeof *p);
  if (!p || (name && !(p->name = feast_strdup(name)))) {
    feast_free(p);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory exporting a schema");
  }
  format_of(a->type, p->format, sizeof p->format);
  memset(s, 0, sizeof *s);
  s->format = p->format;
  s->name = p->name;
  s->flags = ARROW_FLAG_NULLABLE;
  s->private_data = p;
  s->release = release_column_schema;
  if (a->type.id == FEAST_DT_LIST) {
    feast_code rc = export_column_schema(a->child, "item", &p->child, err);
    if (rc) {
      s->release(s);
      return rc;
    }
    p->child_ptrs[0] = &p->child;
    s->n_children = 1;
    s->children = p->child_ptrs;
  }
  return FEAST_OK;
}

static void release_struct_schema(struct ArrowSchema *s) {
  struct_schema_private *p = s->private_data;
  for (int i = 0; i < p->n; i++)
    if (p->children[i].release) p->children[i].release(&p->children[i]);
  feast_free(p->children);
  feast_free(p->child_ptrs);
  feast_free(p);
  s->release = NULL;
}

feast_code feast_batch_export_schema(const feast_batch *b, struct ArrowSchema *s, feast_error *err) {
  struct_schema_private *p = feast_calloc(1, sizeof *p);
  if (p) {
    p->children = feast_calloc((size_t)b->num_columns + 1, sizeof *p->children);
    p->child_ptrs = feast_calloc((size_t)b->num_columns + 1, sizeof *p->child_ptrs);
  }
  if (!p || !p->children || !p->child_ptrs) {
    if (p) {
      feast_free(p->children);
      feast_free(p->child_ptrs);
    }
    feast_free(p);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory exporting a schema");
  }
  memset(s, 0, sizeof *s);
  s->format = "+s";
  s->private_data = p;
  s->release = release_struct_schema;
  s->n_children = b->num_columns;
  s->children = p->child_ptrs;
  for (int i = 0; i < b->num_columns; i++) {
    feast_code rc = export_column_schema(b->columns[i], b->names[i], &p->children[i], err);
    if (rc) {
      s->release(s);
      return rc;
    }
    p->child_ptrs[i] = &p->children[i];
    p->n = i + 1;
  }
  return FEAST_OK;
}

typedef struct array_private {
  feast_array *col; /* owned: freed on release */
  const void *buffers[3];
  struct ArrowArray *child_ptrs[1];
  struct ArrowArray child;
} array_private;

static void release_column_array(struct ArrowArray *a) {
  array_private *p = a->private_data;
  if (a->n_children && p->child.release) p->child.release(&p->child);
  if (p->col) {
    p->col->child = NULL; /* the child was exported on its own */
    feast_array_free(p->col);
  }
  feast_free(p);
  a->release = NULL;
}

static feast_code export_column(feast_array *col, struct ArrowArray *a, feast_error *err) {
  feast_code rc = feast_array_reserve(col, 0, 0, err); /* guarantees offsets/values exist */
  if (rc) return rc;
  array_private *p = feast_calloc(1, sizeof *p);
  if (!p) return feast_fail(err, FEAST_E_NOMEM, "out of memory exporting a column");
  memset(a, 0, sizeof *a);
  a->length = col->length;
  a->null_count = col->null_count;
  a->buffers = p->buffers;
  a->private_data = p;
  a->release = release_column_array;
  p->buffers[0] = col->null_count ? col->validity : NULL;
  switch ((feast_dtype_id)col->type.id) {
  case FEAST_DT_NULL: a->n_buffers = 0; break;
  case FEAST_DT_STRING:
  case FEAST_DT_BINARY:
    a->n_buffers = 3;
    p->buffers[1] = col->offsets;
    p->buffers[2] = col->data ? (const void *)col->data : (const void *)col->offsets;
    break;
  case FEAST_DT_LIST:
    a->n_buffers = 2;
    p->buffers[1] = col->offsets;
    if ((rc = export_column(col->child, &p->child, err))) {
      feast_free(p);
      a->release = NULL;
      return rc;
    }
    p->child_ptrs[0] = &p->child;
    a->n_children = 1;
    a->children = p->child_ptrs;
    break;
  default:
    a->n_buffers = 2;
    p->buffers[1] = col->values;
    break;
  }
  p->col = col;
  return FEAST_OK;
}

/* Undo an export without freeing the columns: they go back to their owner. */
static void disown(struct ArrowArray *a) {
  array_private *p = a->private_data;
  if (a->n_children) disown(&p->child);
  p->col = NULL;
}

typedef struct batch_private {
  int n;
  const void *buffers[1];
  struct ArrowArray **child_ptrs;
  struct ArrowArray *children;
} batch_private;

static void release_batch_array(struct ArrowArray *a) {
  batch_private *p = a->private_data;
  for (int i = 0; i < p->n; i++)
    if (p->children[i].release) p->children[i].release(&p->children[i]);
  feast_free(p->children);
  feast_free(p->child_ptrs);
  feast_free(p);
  a->release = NULL;
}

feast_code feast_batch_export(feast_batch *b, struct ArrowSchema *schema, struct ArrowArray *array,
                              feast_error *err) {
  feast_code rc = feast_batch_export_schema(b, schema, err);
  if (rc) return rc;
  batch_private *p = feast_calloc(1, sizeof *p);
  if (p) {
    p->children = feast_calloc((size_t)b->num_columns + 1, sizeof *p->children);
    p->child_ptrs = feast_calloc((size_t)b->num_columns + 1, sizeof *p->child_ptrs);
  }
  /* Reserve first so that nothing can fail after columns start moving. */
  for (int i = 0; p && i < b->num_columns && !rc; i++) rc = feast_array_reserve(b->columns[i], 0, 0, err);
  if (!p || !p->children || !p->child_ptrs || rc) {
    if (p) {
      feast_free(p->children);
      feast_free(p->child_ptrs);
    }
    feast_free(p);
    schema->release(schema);
    return rc ? rc : feast_fail(err, FEAST_E_NOMEM, "out of memory exporting a batch");
  }
  for (int i = 0; i < b->num_columns; i++) {
    rc = export_column(b->columns[i], &p->children[i], err);
    if (rc) { /* only the small private allocation can fail here */
      for (int j = 0; j < i; j++) {
        disown(&p->children[j]);
        p->children[j].release(&p->children[j]);
      }
      feast_free(p->children);
      feast_free(p->child_ptrs);
      feast_free(p);
      schema->release(schema);
      return rc;
    }
    p->child_ptrs[i] = &p->children[i];
  }
  p->n = b->num_columns;
  memset(array, 0, sizeof *array);
  array->length = b->num_rows;
  array->n_buffers = 1;
  array->buffers = p->buffers;
  array->n_children = b->num_columns;
  array->children = p->child_ptrs;
  array->private_data = p;
  array->release = release_batch_array;
  for (int i = 0; i < b->num_columns; i++) b->columns[i] = NULL;
  feast_batch_free(b);
  return FEAST_OK;
}

/* ---- import ---- */

static feast_code import_column(const struct ArrowSchema *s, const struct ArrowArray *a, feast_array **out,
                                feast_error *err);

static feast_code import_column(const struct ArrowSchema *s, const struct ArrowArray *a, feast_array **out,
                                feast_error *err) {
  feast_dtype t;
  if (!parse_format(s->format, &t))
    return feast_fail(err, FEAST_E_UNSUPPORTED, "column '%s': Arrow format '%s' is not supported",
                      s->name ? s->name : "?", s->format);
  /* A read-only view over the producer's buffers, then a copy of its rows. */
  feast_array view;
  memset(&view, 0, sizeof view);
  view.type = t;
  view.length = a->offset + a->length;
  view.validity = a->null_count != 0 && a->n_buffers > 0 ? (uint8_t *)a->buffers[0] : NULL;
  feast_array *child_view = NULL;
  feast_code rc = FEAST_OK;
  if (t.id == FEAST_DT_STRING || t.id == FEAST_DT_BINARY) {
    view.offsets = (int32_t *)a->buffers[1];
    view.data = (uint8_t *)a->buffers[2];
  } else if (t.id == FEAST_DT_LIST) {
    if (s->n_children != 1 || a->n_children != 1)
      return feast_fail(err, FEAST_E_CORRUPT, "list column '%s' without exactly one child", s->name ? s->name : "?");
    if (a->children[0]->offset != 0)
      return feast_fail(err, FEAST_E_UNSUPPORTED, "list column '%s': sliced child arrays are not supported",
                        s->name ? s->name : "?");
    view.offsets = (int32_t *)a->buffers[1];
    if ((rc = import_column(s->children[0], a->children[0], &child_view, err))) return rc;
    view.child = child_view;
  } else if (t.id != FEAST_DT_NULL) {
    view.values = (void *)a->buffers[1];
  }
  feast_array *col = feast_array_new(t, child_view ? child_view->type : feast_dtype_make(FEAST_DT_NULL));
  if (!col) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory importing a column");
  if (!rc && t.id == FEAST_DT_NULL) {
    for (int64_t i = 0; i < a->length && !rc; i++) rc = feast_array_append_null(col, err);
  } else if (!rc) {
    rc = feast_array_append_range(col, &view, a->offset, a->length, err);
  }
  feast_array_free(child_view);
  if (rc) {
    feast_array_free(col);
    return rc;
  }
  *out = col;
  return FEAST_OK;
}

feast_code feast_batch_import(const struct ArrowSchema *schema, const struct ArrowArray *array, feast_batch **out,
                              feast_error *err) {
  if (strcmp(schema->format, "+s") != 0 || schema->n_children != array->n_children)
    return feast_fail(err, FEAST_E_INVALID, "expected a struct array (format '+s'), got '%s'", schema->format);
  feast_batch *b = feast_batch_new((int)schema->n_children);
  if (!b) return feast_fail(err, FEAST_E_NOMEM, "out of memory importing a batch");
  b->num_rows = array->length;
  for (int i = 0; i < b->num_columns; i++) {
    feast_array *col;
    struct ArrowArray child = *array->children[i];
    child.offset += array->offset; /* a sliced struct shifts its children */
    child.length = array->length;
    feast_code rc = import_column(schema->children[i], &child, &col, err);
    if (!rc) rc = feast_batch_set_column(b, i, schema->children[i]->name ? schema->children[i]->name : "", col, err);
    if (rc) {
      feast_batch_free(b);
      return rc;
    }
  }
  *out = b;
  return FEAST_OK;
}

/* ---- streams ---- */

typedef struct stream_private {
  feast_batch_source *src;
  feast_batch *schema; /* empty columns carrying names and types */
  feast_error err;
} stream_private;

static int stream_get_schema(struct ArrowArrayStream *st, struct ArrowSchema *out) {
  stream_private *p = st->private_data;
  return feast_batch_export_schema(p->schema, out, &p->err) ? EIO : 0;
}

static int stream_get_next(struct ArrowArrayStream *st, struct ArrowArray *out) {
  stream_private *p = st->private_data;
  feast_batch *b = NULL;
  if (p->src->next(p->src, &b, &p->err)) return EIO;
  if (!b) {
    memset(out, 0, sizeof *out); /* release == NULL marks the end */
    return 0;
  }
  struct ArrowSchema s;
  if (feast_batch_export(b, &s, out, &p->err)) {
    feast_batch_free(b);
    return EIO;
  }
  s.release(&s);
  return 0;
}

static const char *stream_last_error(struct ArrowArrayStream *st) {
  stream_private *p = st->private_data;
  return p->err.code ? p->err.message : NULL;
}

static void stream_release(struct ArrowArrayStream *st) {
  stream_private *p = st->private_data;
  if (p->src) p->src->close(p->src);
  feast_batch_free(p->schema);
  feast_free(p);
  st->release = NULL;
}

feast_code feast_arrow_stream_export(feast_batch_source *src, const feast_batch *schema_batch, struct ArrowArrayStream *out,
                               feast_error *err) {
  stream_private *p = feast_calloc(1, sizeof *p);
  feast_batch *sb = p ? feast_batch_new(schema_batch->num_columns) : NULL;
  if (!sb) {
    feast_free(p);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory creating a stream");
  }
  for (int i = 0; i < schema_batch->num_columns; i++) {
    const feast_array *c = schema_batch->columns[i];
    feast_array *e = feast_array_new(c->type, c->child ? c->child->type : feast_dtype_make(FEAST_DT_NULL));
    if (!e) {
      feast_batch_free(sb);
      feast_free(p);
      return feast_fail(err, FEAST_E_NOMEM, "out of memory creating a stream");
    }
    feast_code rc = feast_batch_set_column(sb, i, schema_batch->names[i], e, err);
    if (rc) {
      feast_batch_free(sb);
      feast_free(p);
      return rc;
    }
  }
  p->src = src;
  p->schema = sb;
  memset(out, 0, sizeof *out);
  out->get_schema = stream_get_schema;
  out->get_next = stream_get_next;
  out->get_last_error = stream_last_error;
  out->release = stream_release;
  out->private_data = p;
  return FEAST_OK;
}

typedef struct import_source {
  feast_batch_source base;
  struct ArrowArrayStream stream;
  struct ArrowSchema schema;
} import_source;

static feast_code import_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  import_source *s = (import_source *)self;
  struct ArrowArray array;
  int e = s->stream.get_next(&s->stream, &array);
  if (e) {
    const char *msg = s->stream.get_last_error ? s->stream.get_last_error(&s->stream) : NULL;
    return feast_fail(err, FEAST_E_IO, "reading an Arrow stream: %s", msg ? msg : strerror(e));
  }
  if (!array.release) {
    *out = NULL;
    return FEAST_OK;
  }
  feast_code rc = feast_batch_import(&s->schema, &array, out, err);
  array.release(&array);
  return rc;
}

static void import_close(feast_batch_source *self) {
  import_source *s = (import_source *)self;
  if (s->schema.release) s->schema.release(&s->schema);
  if (s->stream.release) s->stream.release(&s->stream);
  feast_free(s);
}

feast_code feast_arrow_stream_import(struct ArrowArrayStream *stream, feast_batch_source **out, feast_error *err) {
  import_source *s = feast_calloc(1, sizeof *s);
  if (!s) return feast_fail(err, FEAST_E_NOMEM, "out of memory importing an Arrow stream");
  s->stream = *stream;
  stream->release = NULL; /* moved */
  int e = s->stream.get_schema(&s->stream, &s->schema);
  if (e) {
    const char *msg = s->stream.get_last_error ? s->stream.get_last_error(&s->stream) : NULL;
    feast_fail(err, FEAST_E_IO, "reading an Arrow stream's schema: %s", msg ? msg : strerror(e));
    import_close(&s->base);
    return err ? err->code : FEAST_E_IO;
  }
  s->base.next = import_next;
  s->base.close = import_close;
  *out = &s->base;
  return FEAST_OK;
}
