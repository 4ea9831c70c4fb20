/*
 * avro_confluent.c - Confluent-framed messages (see avro_confluent.h). A
 * topic uses a handful of schema ids, so the cache is a short array
 * searched from the id used last.
 */
#include "format/avro/avro_confluent.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

#define MAX_IDS 4096

typedef struct entry {
  uint32_t id;
  feast_avro_schema *writer; /* NULL when the id failed for good */
  feast_avro_plan *plan;
  feast_code code; /* the failure, when plan is NULL */
  char *why;
} entry;

struct feast_avro_confluent {
  feast_avro_schema *reader;
  feast_avro_column *cols;
  size_t n_cols;
  feast_avro_schema_lookup lookup;
  void *ctx;
  entry *entries;
  size_t n, cap;
  size_t last;
};

feast_code feast_avro_confluent_new(const char *reader_json, const feast_avro_column *cols, size_t n_cols,
                                    feast_avro_schema_lookup lookup, void *ctx, feast_avro_confluent **out,
                                    feast_error *err) {
  *out = NULL;
  feast_avro_confluent *c = feast_calloc(1, sizeof *c);
  if (!c) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  c->lookup = lookup;
  c->ctx = ctx;
  c->n_cols = n_cols;
  feast_code rc = feast_avro_schema_parse(reader_json ? reader_json : "", reader_json ? strlen(reader_json) : 0,
                                          "reader schema_json", NULL, &c->reader, err);
  if (!rc && !(c->cols = feast_calloc(n_cols + 1, sizeof *c->cols))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; i < n_cols && !rc; i++) {
    c->cols[i] = cols[i];
    if (!(c->cols[i].path = feast_strdup(cols[i].path ? cols[i].path : "")))
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  if (rc) {
    feast_avro_confluent_free(c);
    return rc;
  }
  *out = c;
  return FEAST_OK;
}

void feast_avro_confluent_free(feast_avro_confluent *c) {
  if (!c) return;
  for (size_t i = 0; i < c->n; i++) {
    feast_avro_plan_free(c->entries[i].plan);
    feast_avro_schema_free(c->entries[i].writer);
    feast_free(c->entries[i].why);
  }
  for (size_t i = 0; c->cols && i < c->n_cols; i++) feast_free((char *)c->cols[i].path);
  feast_free(c->cols);
  feast_free(c->entries);
  feast_avro_schema_free(c->reader);
  feast_free(c);
}

size_t feast_avro_confluent_cached(const feast_avro_confluent *c) { return c->n; }

static entry *find(feast_avro_confluent *c, uint32_t id) {
  if (c->last < c->n && c->entries[c->last].id == id) return &c->entries[c->last];
  for (size_t i = 0; i < c->n; i++)
    if (c->entries[i].id == id) {
      c->last = i;
      return &c->entries[i];
    }
  return NULL;
}

static uint32_t schema_id(const uint8_t *p) {
  return (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | (uint32_t)p[4];
}

/* Look id up and compile it; a permanent failure becomes an entry too. */
static feast_code learn(feast_avro_confluent *c, uint32_t id, feast_error *err) {
  if (c->n >= MAX_IDS)
    return feast_fail(err, FEAST_E_TOO_BIG, "more than %d Confluent schema ids in one stream", MAX_IDS);
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 8;
    entry *e = feast_realloc(c->entries, cap * sizeof *e);
    if (!e) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    c->entries = e;
    c->cap = cap;
  }
  entry e = {id, NULL, NULL, FEAST_OK, NULL};
  feast_error why;
  feast_error_clear(&why);
  const char *json = NULL;
  size_t len = 0;
  feast_code rc = c->lookup ? c->lookup(c->ctx, id, &json, &len, &why)
                            : feast_fail(&why, FEAST_E_NOT_FOUND, "no schema registry is configured");
  if (rc) {
    if (why.retriable || rc == FEAST_E_NOMEM) {
      feast_fail(err, rc, "schema id %u: %s", id, why.message);
      err->retriable = why.retriable;
      return rc;
    }
  } else {
    char name[48];
    snprintf(name, sizeof name, "schema id %u", id);
    rc = feast_avro_schema_parse(json, len, name, NULL, &e.writer, &why);
    if (!rc) rc = feast_avro_plan_compile(e.writer->root, c->reader->root, c->cols, c->n_cols, &e.plan, &why);
    if (rc == FEAST_E_NOMEM) {
      feast_avro_schema_free(e.writer);
      return feast_fail(err, rc, "%s", why.message);
    }
    if (rc) feast_error_prefix(&why, "schema id %u against the reader schema: ", id);
  }
  if (rc) {
    feast_avro_schema_free(e.writer);
    e.writer = NULL;
    e.code = rc;
    if (!(e.why = feast_strdup(why.message))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  c->entries[c->n++] = e;
  return FEAST_OK;
}

feast_code feast_avro_confluent_decode(feast_avro_confluent *c, feast_avro_decoder *dec, const feast_avro_msg *msgs,
                                       size_t n, size_t *done, feast_error *err) {
  if (done) *done = 0;
  /* every id first, so a registry that is down fails the call before any row */
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p = msgs[i].data;
    if (msgs[i].len < FEAST_AVRO_CONFLUENT_HEADER || p[0] != 0) continue;
    uint32_t id = schema_id(p);
    if (!find(c, id)) {
      feast_code rc = learn(c, id, err);
      if (rc) return rc;
    }
  }
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p = msgs[i].data;
    feast_code rc;
    char msg[FEAST_ERROR_MAX];
    if (msgs[i].len < FEAST_AVRO_CONFLUENT_HEADER || p[0] != 0) {
      if (msgs[i].len == 0)
        snprintf(msg, sizeof msg, "an empty message has no Confluent header");
      else if (p[0] != 0)
        snprintf(msg, sizeof msg, "at byte 0: magic byte 0x%02x, not the Confluent framing's 0", p[0]);
      else
        snprintf(msg, sizeof msg, "a %zu-byte message is shorter than the 5-byte Confluent header", msgs[i].len);
      rc = feast_avro_decoder_add_bad(dec, i, FEAST_E_CORRUPT, 0, msg, err);
    } else {
      entry *e = find(c, schema_id(p));
      if (!e) return feast_fail(err, FEAST_E_INTERNAL, "schema id %u was not looked up", schema_id(p));
      if (!e->plan)
        rc = feast_avro_decoder_add_bad(dec, i, e->code, 1, e->why, err);
      else
        rc = feast_avro_decode_framed(dec, e->plan, p, msgs[i].len, FEAST_AVRO_CONFLUENT_HEADER, i, err);
    }
    if (rc) return rc;
    if (done) *done = i + 1;
  }
  return FEAST_OK;
}
