/*
 * proto_descriptor_fuzz.c - the hand-written FileDescriptorSet decoder on
 * arbitrary bytes, then every lookup over whatever it accepted.
 */
#include <stdint.h>

#include "format/proto/descriptor.h"

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
  }
  feast_proto_pool_free(pool);
  return 0;
}
