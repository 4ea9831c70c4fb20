/*
 * stream_decode_avro.c - the AvroFormat decoder of stream messages: the
 * source's schema_json compiled once into a plan (format/avro/avro_plan.h)
 * and each message decoded as one raw binary datum of it, as Feast 0.9
 * read them; or, with a schema registry URL, the Confluent framing (magic
 * byte, schema id) with each writer schema fetched once and resolved
 * against schema_json (format/avro/avro_confluent.h,
 * source/schema_registry.h). Rows stay in the decoder's reused buffers.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "format/avro/avro_confluent.h"
#include "format/avro/avro_decode.h"
#include "format/spec/source_columns.h"
#include "source/schema_registry.h"
#include "source/stream_decode.h"

typedef struct avro_dec {
  feast_stream_decoder base;
  feast_avro_schema *reader;
  feast_avro_plan *plan;          /* raw datums */
  feast_avro_confluent *confluent; /* Confluent framing */
  feast_schema_registry *registry;
  feast_avro_decoder *dec;
  feast_stream_msg_bad *bad;
  char (*causes)[48];
  size_t bad_cap;
} avro_dec;

_Static_assert(sizeof(feast_avro_msg) == sizeof(feast_stream_msg), "the same (data, len) pair");

/* The decoder's messages end with the reason ("field x at byte 3: bad
 * union index 7"): its last clause, without numbers, is the cause. */
static void cause_of(const char *message, char *out, size_t size) {
  const char *c = strrchr(message, ':');
  c = c ? c + 1 : message;
  while (*c == ' ') c++;
  size_t n = 0;
  for (; c[n] && c[n] != '(' && n + 1 < size; n++) {
    if (c[n] >= '0' && c[n] <= '9') break;
    out[n] = c[n];
  }
  while (n && out[n - 1] == ' ') n--;
  out[n] = 0;
  if (!n) snprintf(out, size, "undecodable");
}

static feast_code decode(feast_stream_decoder *base, const feast_stream_msg *msgs, size_t n, feast_batch **rows,
                         const feast_stream_msg_bad **bad, size_t *n_bad, feast_error *err) {
  avro_dec *a = (avro_dec *)base;
  *rows = NULL;
  *n_bad = 0;
  feast_avro_decoder_reset(a->dec);
  feast_avro_decoder_clear_bad(a->dec);
  size_t done = 0;
  const feast_avro_msg *m = (const feast_avro_msg *)(const void *)msgs;
  feast_code rc = a->confluent ? feast_avro_confluent_decode(a->confluent, a->dec, m, n, &done, err)
                               : feast_avro_decode_datums(a->dec, a->plan, m, n, &done, err);
  if (rc) return rc;
  if (done != n) return feast_fail(err, FEAST_E_INTERNAL, "the Avro decoder handled %zu of %zu messages", done, n);
  size_t nb = feast_avro_decoder_bad_count(a->dec);
  if (nb > a->bad_cap) {
    feast_stream_msg_bad *b = feast_realloc(a->bad, nb * sizeof *b);
    if (b) a->bad = b;
    char(*c)[48] = b ? feast_realloc(a->causes, nb * sizeof *c) : NULL;
    if (c) a->causes = c;
    if (!b || !c) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    a->bad_cap = nb;
  }
  for (size_t i = 0; i < nb; i++) {
    const feast_avro_bad *x = feast_avro_decoder_bad(a->dec, i);
    cause_of(x->message, a->causes[i], sizeof a->causes[i]);
    a->bad[i] = (feast_stream_msg_bad){x->index, a->causes[i], x->message};
  }
  *rows = (feast_batch *)feast_avro_decoder_peek(a->dec);
  *bad = a->bad;
  *n_bad = nb;
  return FEAST_OK;
}

static void dec_free(feast_stream_decoder *base) {
  avro_dec *a = (avro_dec *)base;
  feast_avro_decoder_free(a->dec);
  feast_avro_confluent_free(a->confluent);
  feast_schema_registry_free(a->registry);
  feast_avro_plan_free(a->plan);
  feast_avro_schema_free(a->reader);
  feast_free(a->bad);
  feast_free(a->causes);
  feast_free(a);
}

/* The wanted columns: each source column once, with its Feast type. */
static feast_code columns(const feast_column_reqs *reqs, feast_avro_column *cols, size_t *n, feast_error *err) {
  *n = 0;
  for (size_t i = 0; i < reqs->n; i++) {
    const feast_column_req *r = &reqs->items[i];
    if (r->type == FEAST_VT_INVALID)
      return feast_fail(err, FEAST_E_INVALID, "%s %s: its value type is not known", r->role, r->name);
    feast_avro_column c = {r->column, feast_dtype_for_value_type(r->type), feast_dtype_make(FEAST_DT_NULL)};
    if (c.type.id == FEAST_DT_LIST) c.child = feast_dtype_for_value_type(feast_value_type_element(r->type));
    bool seen = false;
    for (size_t j = 0; j < *n && !seen; j++) {
      if (strcmp(cols[j].path, c.path) != 0) continue;
      seen = true;
      if (cols[j].type.id != c.type.id)
        return feast_fail(err, FEAST_E_SCHEMA, "column %s is read as two different types (%s %s)", c.path, r->role,
                          r->name);
    }
    if (!seen) cols[(*n)++] = c;
  }
  return FEAST_OK;
}

feast_code feast_stream_decoder_avro(const feast_stream_decode_options *o, feast_stream_decoder **out,
                                     feast_error *err) {
  const char *json = o->format->schema_json;
  if (!json || !*json) return feast_fail(err, FEAST_E_INVALID, "the avro format has no schema_json");
  avro_dec *a = feast_calloc(1, sizeof *a);
  feast_column_reqs reqs = {0};
  feast_avro_column *cols = NULL;
  size_t n = 0;
  feast_code rc = a ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) rc = feast_column_reqs_build(o->table, o->source, o->entity_types, &reqs, err);
  if (!rc && !(cols = feast_calloc(reqs.n + 1, sizeof *cols))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) rc = columns(&reqs, cols, &n, err);
  if (!rc) rc = feast_avro_decoder_new(cols, n, &a->dec, err);
  if (!rc && o->schema_registry_url && *o->schema_registry_url) {
    rc = feast_schema_registry_new(o->schema_registry_url, NULL, &a->registry, err);
    if (!rc)
      rc = feast_avro_confluent_new(json, cols, n, feast_schema_registry_lookup, a->registry, &a->confluent, err);
  } else if (!rc) {
    rc = feast_avro_schema_parse(json, strlen(json), "schema_json", NULL, &a->reader, err);
    if (!rc) rc = feast_avro_plan_compile(a->reader->root, a->reader->root, cols, n, &a->plan, err);
  }
  feast_free(cols);
  feast_column_reqs_clear(&reqs);
  if (rc) {
    if (a) dec_free(&a->base);
    return rc;
  }
  a->base = (feast_stream_decoder){decode, dec_free};
  *out = &a->base;
  return FEAST_OK;
}
