/*
 * proto_decode_fuzz.c - the protobuf stream decoder on arbitrary bytes,
 * against a fixed descriptor set with every supported type
 * (tests/data/proto_decode_all.proto and proto_decode_p2.proto, embedded by
 * proto_decode_fuzz_desc.inc). The first input byte picks a plan; the rest
 * is split into messages by varint length prefixes. Besides not crashing,
 * the decoder must keep its promises: a row per good message and a reject
 * per bad one, in order, every column of the batch as long as the batch, and
 * the same verdict for a message decoded alone as within the batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/varint.h"
#include "format/proto/proto_decode.h"
#include "format/proto/proto_types.h"
#include "proto_decode_fuzz_desc.inc"

#define MAX_COLS 96
#define MAX_MSGS 16

static char path_store[MAX_COLS][128];

/* Every column path of m (natural types), depth-first. */
static void leaf_paths(const feast_proto_message *m, const char *prefix, int depth, feast_column_req *reqs, size_t *n) {
  for (size_t i = 0; i < m->n_fields && *n < MAX_COLS; i++) {
    const feast_proto_field *f = &m->fields[i];
    if (f->type == FEAST_PB_GROUP || feast_proto_is_map(f)) continue;
    char path[128];
    snprintf(path, sizeof path, "%s%s", prefix, f->name);
    if (f->type == FEAST_PB_MESSAGE && !feast_proto_is_timestamp(f->message) && !feast_proto_wrapper_type(f->message)) {
      if (f->label != FEAST_PB_REPEATED && depth < 3) {
        char sub[128];
        snprintf(sub, sizeof sub, "%s.", path);
        leaf_paths(f->message, sub, depth + 1, reqs, n);
      }
      continue;
    }
    snprintf(path_store[*n], sizeof path_store[*n], "%s", path);
    reqs[*n] = (feast_column_req){"column", path_store[*n], path_store[*n], FEAST_VT_INVALID};
    (*n)++;
  }
}

static feast_proto_plan *plans[4];

static void setup(void) {
  feast_error err;
  feast_proto_pool *pool = NULL;
  if (feast_proto_pool_parse(proto_decode_fuzz_desc, sizeof proto_decode_fuzz_desc, &pool, &err)) abort();
  feast_column_req reqs[MAX_COLS];
  size_t n = 0;
  leaf_paths(feast_proto_pool_message(pool, "feast.dec.All"), "", 0, reqs, &n);
  if (feast_proto_plan_compile(pool, "feast.dec.All", reqs, n, NULL, &plans[0], &err)) abort();
  feast_column_req typed[] = {
      {"entity", "i64", "i64", FEAST_VT_INT64},          {"feature", "u32", "u32", FEAST_VT_INT64},
      {"feature", "color", "color", FEAST_VT_STRING},    {"event timestamp", "ts", "ts", FEAST_VT_UNIX_TIMESTAMP},
      {"created timestamp", "c", "created_s", FEAST_VT_UNIX_TIMESTAMP},
      {"feature", "rts", "rts", FEAST_VT_UNIX_TIMESTAMP_LIST},
      {"feature", "w", "w_i64", FEAST_VT_UNIX_TIMESTAMP}, {"feature", "rc", "rcolor", FEAST_VT_STRING_LIST},
      {"feature", "l", "c_inner.deep.level", FEAST_VT_INT32}};
  feast_proto_plan_options ns = {FEAST_UNIT_NS};
  if (feast_proto_plan_compile(pool, "feast.dec.All", typed, sizeof typed / sizeof typed[0], &ns, &plans[1], &err))
    abort();
  n = 0;
  leaf_paths(feast_proto_pool_message(pool, "feast.dec2.P2"), "", 0, reqs, &n);
  if (feast_proto_plan_compile(pool, "feast.dec2.P2", reqs, n, NULL, &plans[2], &err)) abort();
  n = 0;
  leaf_paths(feast_proto_pool_message(pool, "feast.dec.Inner"), "", 0, reqs, &n);
  if (feast_proto_plan_compile(pool, "feast.dec.Inner", reqs, n, NULL, &plans[3], &err)) abort();
  feast_proto_pool_free(pool);
}

static void check_batch(const feast_batch *b) {
  for (int i = 0; i < b->num_columns; i++) {
    const feast_array *a = b->columns[i];
    if (a->length != b->num_rows) abort();
    if (a->offsets && a->length) {
      for (int64_t r = 0; r < a->length; r++)
        if (a->offsets[r] > a->offsets[r + 1]) abort();
      if (a->child && a->offsets[a->length] != a->child->length) abort();
      if (!a->child && a->offsets[a->length] != a->data_len) abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!plans[0]) setup();
  if (size < 1) return 0;
  const feast_proto_plan *plan = plans[data[0] & 3];
  feast_proto_slice msgs[MAX_MSGS];
  size_t n = 0;
  const uint8_t *p = data + 1, *end = data + size;
  while (p < end && n < MAX_MSGS - 1) {
    int ok = 1;
    const uint8_t *q = p;
    uint64_t len = feast_varint_read(&q, end, &ok);
    if (!ok || len > (uint64_t)(end - q)) break;
    msgs[n].data = q;
    msgs[n].len = (size_t)len;
    n++;
    p = q + len;
  }
  msgs[n].data = p; /* the rest is one more message */
  msgs[n].len = (size_t)(end - p);
  n++;

  feast_error err;
  feast_batch *batch = NULL;
  feast_proto_decoder *dec = NULL;
  if (feast_proto_plan_batch_new(plan, &batch, &err) || feast_proto_decoder_new(plan, &dec, &err)) abort();
  feast_proto_result res;
  if (feast_proto_decode(dec, msgs, n, batch, &res, &err)) abort();
  if (res.done != n || (size_t)res.rows + res.n_rejects != n || batch->num_rows != res.rows) abort();
  check_batch(batch);
  bool bad[MAX_MSGS] = {false};
  for (size_t i = 0; i < res.n_rejects; i++) {
    if (i && res.rejects[i].index <= res.rejects[i - 1].index) abort();
    if (res.rejects[i].offset > msgs[res.rejects[i].index].len) abort();
    bad[res.rejects[i].index] = true;
  }
  /* alone, each message gets the same verdict */
  for (size_t k = 0; k < n; k++) {
    feast_batch *one = NULL;
    if (feast_proto_plan_batch_new(plan, &one, &err)) abort();
    feast_proto_result r1;
    if (feast_proto_decode(dec, &msgs[k], 1, one, &r1, &err)) abort();
    if ((r1.n_rejects == 1) != bad[k]) abort();
    check_batch(one);
    feast_batch_free(one);
  }
  feast_proto_decoder_free(dec);
  feast_batch_free(batch);
  return 0;
}
