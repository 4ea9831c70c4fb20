/*
 * stream_decode_proto.c - the ProtoFormat decoder of stream messages: the
 * source's descriptor set and class_path compiled once into a plan
 * (format/proto/proto_plan.h), each call's messages decoded into a new batch
 * (format/proto/proto_decode.h), and entity keys and timestamps that were
 * never on the wire made null, so the row rules reject them (an unset proto3
 * scalar is read as its default, which would otherwise write key 0).
 */
#include <string.h>

#include "base/alloc.h"
#include "format/proto/proto_decode.h"
#include "source/stream_decode.h"

typedef struct proto_dec {
  feast_stream_decoder base;
  feast_proto_plan *plan;
  feast_proto_decoder *dec;
  feast_batch *rows;
  int n_required;
  int *required; /* plan columns that must be on the wire: entities, timestamps */
  feast_stream_msg_bad *bad;
  size_t bad_cap;
} proto_dec;

_Static_assert(sizeof(feast_proto_slice) == sizeof(feast_stream_msg), "the same (data, len) pair");

static feast_code decode(feast_stream_decoder *base, const feast_stream_msg *msgs, size_t n, feast_batch **rows,
                         const feast_stream_msg_bad **bad, size_t *n_bad, feast_error *err) {
  proto_dec *p = (proto_dec *)base;
  *rows = NULL;
  *n_bad = 0;
  feast_batch_free(p->rows);
  p->rows = NULL;
  feast_code rc = feast_proto_plan_batch_new(p->plan, &p->rows, err);
  if (rc) return rc;
  feast_proto_result res;
  rc = feast_proto_decode(p->dec, (const feast_proto_slice *)(const void *)msgs, n, p->rows, &res, err);
  if (rc) return rc;
  for (int64_t r = 0; r < res.rows; r++)
    for (int k = 0; k < p->n_required; k++)
      if (!feast_proto_decoder_present(p->dec, r, p->required[k]) &&
          (rc = feast_stream_set_null(p->rows->columns[p->required[k]], r, err)))
        return rc;
  if (res.n_rejects > p->bad_cap) {
    feast_stream_msg_bad *nb = feast_realloc(p->bad, res.n_rejects * sizeof *nb);
    if (!nb) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    p->bad = nb;
    p->bad_cap = res.n_rejects;
  }
  for (size_t i = 0; i < res.n_rejects; i++)
    p->bad[i] = (feast_stream_msg_bad){res.rejects[i].index, res.rejects[i].cause, res.rejects[i].reason};
  *rows = p->rows;
  *bad = p->bad;
  *n_bad = res.n_rejects;
  return FEAST_OK;
}

static void dec_free(feast_stream_decoder *base) {
  proto_dec *p = (proto_dec *)base;
  feast_batch_free(p->rows);
  feast_proto_decoder_free(p->dec);
  feast_proto_plan_free(p->plan);
  feast_free(p->required);
  feast_free(p->bad);
  feast_free(p);
}

feast_code feast_stream_decoder_proto(const feast_stream_decode_options *o, feast_stream_decoder **out,
                                      feast_error *err) {
  const feast_data_source *s = o->source;
  const char *class_path = o->format->class_path;
  if (!class_path || !*class_path) return feast_fail(err, FEAST_E_INVALID, "the proto format has no class_path");
  if (!s->descriptor_set || !*s->descriptor_set)
    return feast_fail(err, FEAST_E_INVALID,
                      "decoding %s needs the source's descriptor_set (a FileDescriptorSet from protoc "
                      "--descriptor_set_out --include_imports)",
                      class_path);
  feast_proto_pool *pool = NULL;
  feast_code rc = feast_proto_pool_load(s->descriptor_set, &pool, err);
  if (rc) return feast_error_prefix(err, "descriptor set %s: ", s->descriptor_set);
  feast_column_reqs reqs = {0};
  proto_dec *p = feast_calloc(1, sizeof *p);
  if (!p) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) rc = feast_column_reqs_build(o->table, s, o->entity_types, &reqs, err);
  if (!rc) rc = feast_proto_plan_compile(pool, class_path, reqs.items, reqs.n, NULL, &p->plan, err);
  feast_proto_pool_free(pool);
  if (!rc) rc = feast_proto_decoder_new(p->plan, &p->dec, err);
  if (!rc && !(p->required = feast_calloc(reqs.n + 1, sizeof *p->required)))
    rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; !rc && i < reqs.n; i++) {
    if (strcmp(reqs.items[i].role, "feature") == 0) continue;
    int n = feast_proto_plan_column_count(p->plan);
    for (int c = 0; c < n; c++)
      if (strcmp(feast_proto_plan_column_name(p->plan, c), reqs.items[i].column) == 0) {
        bool seen = false;
        for (int k = 0; k < p->n_required; k++) seen |= p->required[k] == c;
        if (!seen) p->required[p->n_required++] = c;
      }
  }
  feast_column_reqs_clear(&reqs);
  if (rc) {
    if (p) dec_free(&p->base);
    return rc;
  }
  p->base = (feast_stream_decoder){decode, dec_free};
  *out = &p->base;
  return FEAST_OK;
}
