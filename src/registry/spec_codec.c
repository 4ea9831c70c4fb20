/*
 * spec_codec.c - see spec_codec.h. Layout: 4-byte magic "FSC" + version,
 * one kind byte, then fields in declaration order. Strings are a u32
 * little-endian length (0xFFFFFFFF = NULL) and the bytes; integers are
 * little-endian; maps are a u32 count and key/value string pairs.
 */
#include "registry/spec_codec.h"

#include <string.h>

#include "base/alloc.h"

#define CODEC_VERSION '1'
#define KIND_ENTITY 'E'
#define KIND_TABLE 'T'
#define NULL_LEN 0xFFFFFFFFu

/* ---- encoding ---- */

static feast_code put_u32(feast_buf *b, uint32_t v, feast_error *err) {
  uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  return feast_buf_append(b, x, 4, err);
}

static feast_code put_i64(feast_buf *b, int64_t v, feast_error *err) {
  uint64_t u = (uint64_t)v;
  uint8_t x[8];
  for (int i = 0; i < 8; i++) x[i] = (uint8_t)(u >> (8 * i));
  return feast_buf_append(b, x, 8, err);
}

static feast_code put_str(feast_buf *b, const char *s, feast_error *err) {
  if (!s) return put_u32(b, NULL_LEN, err);
  size_t n = strlen(s);
  if (n >= NULL_LEN) return feast_fail(err, FEAST_E_TOO_BIG, "string of %zu bytes is too long to store", n);
  feast_code rc = put_u32(b, (uint32_t)n, err);
  return rc ? rc : feast_buf_append(b, s, n, err);
}

static feast_code put_map(feast_buf *b, const feast_map *m, feast_error *err) {
  feast_code rc = put_u32(b, (uint32_t)m->n, err);
  for (size_t i = 0; !rc && i < m->n; i++) {
    rc = put_str(b, m->items[i].key, err);
    if (!rc) rc = put_str(b, m->items[i].value, err);
  }
  return rc;
}

static feast_code put_format(feast_buf *b, const feast_data_format *f, feast_error *err) {
  feast_code rc = put_u32(b, (uint32_t)f->kind, err);
  if (!rc) rc = put_str(b, f->schema_json, err);
  if (!rc) rc = put_str(b, f->class_path, err);
  return rc;
}

static feast_code put_source(feast_buf *b, const feast_data_source *s, feast_error *err) {
  feast_code rc = put_u32(b, (uint32_t)s->type, err);
  if (!rc) rc = put_map(b, &s->field_mapping, err);
  if (!rc) rc = put_str(b, s->event_timestamp_column, err);
  if (!rc) rc = put_str(b, s->created_timestamp_column, err);
  if (!rc) rc = put_str(b, s->date_partition_column, err);
  if (!rc) rc = put_format(b, &s->file.file_format, err);
  if (!rc) rc = put_str(b, s->file.file_url, err);
  if (!rc) rc = put_str(b, s->bigquery.table_ref, err);
  if (!rc) rc = put_str(b, s->bigquery.query, err);
  if (!rc) rc = put_str(b, s->kafka.bootstrap_servers, err);
  if (!rc) rc = put_str(b, s->kafka.topic, err);
  if (!rc) rc = put_format(b, &s->kafka.message_format, err);
  if (!rc) rc = put_str(b, s->kinesis.region, err);
  if (!rc) rc = put_str(b, s->kinesis.stream_name, err);
  if (!rc) rc = put_format(b, &s->kinesis.record_format, err);
  if (!rc) rc = put_str(b, s->descriptor_set, err);
  return rc;
}

static feast_code put_header(feast_buf *b, char kind, feast_error *err) {
  const uint8_t h[5] = {'F', 'S', 'C', CODEC_VERSION, (uint8_t)kind};
  return feast_buf_append(b, h, sizeof h, err);
}

feast_code feast_codec_encode_entity(const feast_entity_spec *e, feast_buf *out, feast_error *err) {
  feast_code rc = put_header(out, KIND_ENTITY, err);
  if (!rc) rc = put_str(out, e->name, err);
  if (!rc) rc = put_u32(out, (uint32_t)e->value_type, err);
  if (!rc) rc = put_str(out, e->description, err);
  if (!rc) rc = put_map(out, &e->labels, err);
  return rc;
}

feast_code feast_codec_encode_table(const feast_feature_table_spec *t, feast_buf *out, feast_error *err) {
  feast_code rc = put_header(out, KIND_TABLE, err);
  if (!rc) rc = put_str(out, t->name, err);
  if (!rc) rc = put_u32(out, (uint32_t)t->n_entities, err);
  for (size_t i = 0; !rc && i < t->n_entities; i++) rc = put_str(out, t->entities[i], err);
  if (!rc) rc = put_u32(out, (uint32_t)t->n_features, err);
  for (size_t i = 0; !rc && i < t->n_features; i++) {
    rc = put_str(out, t->features[i].name, err);
    if (!rc) rc = put_u32(out, (uint32_t)t->features[i].value_type, err);
    if (!rc) rc = put_map(out, &t->features[i].labels, err);
  }
  if (!rc) rc = put_map(out, &t->labels, err);
  if (!rc) rc = put_u32(out, t->has_max_age ? 1 : 0, err);
  if (!rc) rc = put_i64(out, t->max_age, err);
  if (!rc) rc = put_source(out, &t->batch_source, err);
  if (!rc) rc = put_u32(out, t->has_stream_source ? 1 : 0, err);
  if (!rc) rc = put_source(out, &t->stream_source, err);
  return rc;
}

/* ---- decoding ---- */

typedef struct blob_reader {
  const uint8_t *p;
  size_t n, pos;
  feast_error *err;
} blob_reader;

static feast_code corrupt(blob_reader *r, const char *what) {
  return feast_fail(r->err, FEAST_E_CORRUPT, "stored spec is damaged: %s at byte %zu", what, r->pos);
}

static feast_code get_u32(blob_reader *r, uint32_t *v) {
  if (r->n - r->pos < 4) return corrupt(r, "truncated integer");
  const uint8_t *x = r->p + r->pos;
  *v = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
  r->pos += 4;
  return FEAST_OK;
}

static feast_code get_i64(blob_reader *r, int64_t *v) {
  if (r->n - r->pos < 8) return corrupt(r, "truncated integer");
  uint64_t u = 0;
  for (int i = 0; i < 8; i++) u |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
  *v = (int64_t)u;
  r->pos += 8;
  return FEAST_OK;
}

/* A count of items that each take at least `min_bytes`: bounded by what is left. */
static feast_code get_count(blob_reader *r, size_t min_bytes, size_t *count) {
  uint32_t c = 0;
  feast_code rc = get_u32(r, &c);
  if (rc) return rc;
  if ((size_t)c > (r->n - r->pos) / min_bytes) return corrupt(r, "count larger than the data");
  *count = c;
  return FEAST_OK;
}

static feast_code get_str(blob_reader *r, char **out) {
  uint32_t len = 0;
  feast_code rc = get_u32(r, &len);
  if (rc) return rc;
  *out = NULL;
  if (len == NULL_LEN) return FEAST_OK;
  if (len > r->n - r->pos) return corrupt(r, "truncated string");
  if (memchr(r->p + r->pos, 0, len)) return corrupt(r, "NUL inside a string");
  *out = feast_strndup((const char *)r->p + r->pos, len);
  if (!*out) return feast_fail(r->err, FEAST_E_NOMEM, "out of memory");
  r->pos += len;
  return FEAST_OK;
}

static feast_code get_enum(blob_reader *r, uint32_t max, int *out) {
  uint32_t v;
  feast_code rc = get_u32(r, &v);
  if (rc) return rc;
  if (v > max) return corrupt(r, "enum out of range");
  *out = (int)v;
  return FEAST_OK;
}

static feast_code get_map(blob_reader *r, feast_map *m) {
  size_t count = 0;
  feast_code rc = get_count(r, 8, &count);
  if (rc || count == 0) return rc;
  m->items = feast_calloc(count, sizeof *m->items);
  if (!m->items) return feast_fail(r->err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; i < count; i++) {
    m->n = i + 1;
    if ((rc = get_str(r, &m->items[i].key)) || (rc = get_str(r, &m->items[i].value))) return rc;
    if (!m->items[i].key || !m->items[i].value) return corrupt(r, "NULL map entry");
  }
  return FEAST_OK;
}

static feast_code get_format(blob_reader *r, feast_data_format *f) {
  int kind = 0;
  feast_code rc = get_enum(r, FEAST_FORMAT_PROTO, &kind);
  if (rc) return rc;
  f->kind = (feast_format_kind)kind;
  if ((rc = get_str(r, &f->schema_json))) return rc;
  return get_str(r, &f->class_path);
}

static feast_code get_source(blob_reader *r, feast_data_source *s) {
  int type = 0;
  feast_code rc = get_enum(r, FEAST_SOURCE_KINESIS, &type);
  if (rc) return rc;
  s->type = (feast_source_type)type;
  if ((rc = get_map(r, &s->field_mapping)) || (rc = get_str(r, &s->event_timestamp_column)) ||
      (rc = get_str(r, &s->created_timestamp_column)) || (rc = get_str(r, &s->date_partition_column)) ||
      (rc = get_format(r, &s->file.file_format)) || (rc = get_str(r, &s->file.file_url)) ||
      (rc = get_str(r, &s->bigquery.table_ref)) || (rc = get_str(r, &s->bigquery.query)) ||
      (rc = get_str(r, &s->kafka.bootstrap_servers)) || (rc = get_str(r, &s->kafka.topic)) ||
      (rc = get_format(r, &s->kafka.message_format)) || (rc = get_str(r, &s->kinesis.region)) ||
      (rc = get_str(r, &s->kinesis.stream_name)) || (rc = get_format(r, &s->kinesis.record_format)) ||
      (rc = get_str(r, &s->descriptor_set)))
    return rc;
  return FEAST_OK;
}

static feast_code get_header(blob_reader *r, char kind) {
  if (r->n < 5 || memcmp(r->p, "FSC", 3) != 0) return corrupt(r, "bad magic");
  if (r->p[3] != CODEC_VERSION) return corrupt(r, "unknown encoding version");
  if (r->p[4] != (uint8_t)kind) return corrupt(r, "wrong object kind");
  r->pos = 5;
  return FEAST_OK;
}

static feast_code get_value_type(blob_reader *r, feast_value_type *vt) {
  int v = 0;
  feast_code rc = get_enum(r, FEAST_VT_UNIX_TIMESTAMP_LIST, &v);
  if (!rc) *vt = (feast_value_type)v;
  return rc;
}

static feast_code finish(blob_reader *r, feast_code rc, const char *name) {
  if (!rc && r->pos != r->n) rc = corrupt(r, "trailing bytes");
  if (!rc && !name) rc = corrupt(r, "missing name");
  return rc;
}

feast_code feast_codec_decode_entity(const uint8_t *p, size_t n, feast_entity_spec *out, feast_error *err) {
  blob_reader r = {p, n, 0, err};
  feast_code rc = get_header(&r, KIND_ENTITY);
  if (!rc) rc = get_str(&r, &out->name);
  if (!rc) rc = get_value_type(&r, &out->value_type);
  if (!rc) rc = get_str(&r, &out->description);
  if (!rc) rc = get_map(&r, &out->labels);
  rc = finish(&r, rc, out->name);
  if (rc) feast_entity_spec_clear(out);
  return rc;
}

static feast_code decode_table(blob_reader *r, feast_feature_table_spec *t) {
  size_t count = 0;
  feast_code rc = get_header(r, KIND_TABLE);
  if (rc || (rc = get_str(r, &t->name)) || (rc = get_count(r, 4, &count))) return rc;
  if (count) {
    if (!(t->entities = feast_calloc(count, sizeof *t->entities))) return feast_fail(r->err, FEAST_E_NOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
      t->n_entities = i + 1;
      if ((rc = get_str(r, &t->entities[i]))) return rc;
      if (!t->entities[i]) return corrupt(r, "NULL entity name");
    }
  }
  if ((rc = get_count(r, 12, &count))) return rc;
  if (count) {
    if (!(t->features = feast_calloc(count, sizeof *t->features))) return feast_fail(r->err, FEAST_E_NOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
      t->n_features = i + 1;
      feast_feature_spec *f = &t->features[i];
      if ((rc = get_str(r, &f->name)) || (rc = get_value_type(r, &f->value_type)) || (rc = get_map(r, &f->labels)))
        return rc;
      if (!f->name) return corrupt(r, "NULL feature name");
    }
  }
  uint32_t flag = 0;
  if ((rc = get_map(r, &t->labels)) || (rc = get_u32(r, &flag))) return rc;
  t->has_max_age = flag != 0;
  if ((rc = get_i64(r, &t->max_age)) || (rc = get_source(r, &t->batch_source)) || (rc = get_u32(r, &flag))) return rc;
  t->has_stream_source = flag != 0;
  return get_source(r, &t->stream_source);
}

feast_code feast_codec_decode_table(const uint8_t *p, size_t n, feast_feature_table_spec *out, feast_error *err) {
  blob_reader r = {p, n, 0, err};
  feast_code rc = decode_table(&r, out);
  rc = finish(&r, rc, out->name);
  if (rc) feast_feature_table_spec_clear(out);
  return rc;
}
