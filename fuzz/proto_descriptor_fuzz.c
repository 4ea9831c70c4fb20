/*
 * proto_descriptor_fuzz.c - the hand-written FileDescriptorSet decoder on
 * arbitrary bytes, then every lookup over whatever it accepted, then the
 * stream decoder's plan compiler over the first messages (every column path
 * it can reach, own types and Feast types), each plan used once to decode
 * the input itself as a message.
 */
#include <stdint.h>
#include <stdio.h>

#include "format/proto/descriptor.h"
#include "format/proto/proto_decode.h"
#include "format/proto/proto_types.h"

#define MAX_COLS 48

static char path_store[MAX_COLS][160];

static void leaf_paths(const feast_proto_message *m, const char *prefix, int depth, feast_column_req *reqs, size_t *n) {
  for (size_t i = 0; i < m->n_fields && *n < MAX_COLS; i++) {
    const feast_proto_field *f = &m->fields[i];
    char path[160];
    snprintf(path, sizeof path, "%s%s", prefix, f->name);
    if (f->type == FEAST_PB_MESSAGE && f->message && depth < 3 && f->label != FEAST_PB_REPEATED &&
        !feast_proto_is_timestamp(f->message) && !feast_proto_wrapper_type(f->message)) {
      char sub[160];
      snprintf(sub, sizeof sub, "%s.", path);
      leaf_paths(f->message, sub, depth + 1, reqs, n);
      continue;
    }
    snprintf(path_store[*n], sizeof path_store[*n], "%s", path);
    /* own kinds for most, a Feast type now and then (refusals are fine) */
    feast_value_type t = (feast_value_type)(f->number % 7 == 0 ? (f->number / 7) % 19 : 0);
    reqs[*n] = (feast_column_req){"column", path_store[*n], path_store[*n], t};
    (*n)++;
  }
}

static void plan_and_decode(const feast_proto_pool *pool, const feast_proto_message *m, const uint8_t *data,
                            size_t size) {
  feast_column_req reqs[MAX_COLS];
  size_t n = 0;
  leaf_paths(m, "", 0, reqs, &n);
  feast_error err;
  feast_proto_plan *plan = NULL;
  if (feast_proto_plan_compile(pool, m->full_name, reqs, n, NULL, &plan, &err)) return;
  feast_batch *batch = NULL;
  feast_proto_decoder *dec = NULL;
  if (!feast_proto_plan_batch_new(plan, &batch, &err) && !feast_proto_decoder_new(plan, &dec, &err)) {
    feast_proto_slice msg = {data, size};
    feast_proto_result res;
    feast_proto_decode(dec, &msg, 1, batch, &res, &err);
  }
  feast_proto_decoder_free(dec);
  feast_batch_free(batch);
  feast_proto_plan_free(plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  feast_proto_pool *pool = NULL;
  feast_error err;
  if (feast_proto_pool_parse(data, size, &pool, &err) != FEAST_OK) return 0;
  for (size_t i = 0; i < feast_proto_pool_message_count(pool); i++) {
    const feast_proto_message *m = feast_proto_pool_message_at(pool, i);
    const feast_proto_message *r;
    feast_proto_pool_resolve(pool, m->full_name, &r, &err);
    for (size_t j = 0; j < m->n_fields; j++) {
      feast_proto_message_field(m, m->fields[j].name);
      feast_proto_message_field_by_number(m, m->fields[j].number);
      feast_pb_type_name(m->fields[j].type);
    }
    if (i < 4) plan_and_decode(pool, m, data, size);
  }
  feast_proto_pool_free(pool);
  return 0;
}
