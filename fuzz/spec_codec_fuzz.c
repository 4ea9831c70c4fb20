/*
 * spec_codec_fuzz.c - the registry's stored spec blobs (registry/spec_codec.c)
 * on arbitrary bytes, as a damaged registry database would hand them over:
 * the first byte picks entity or table; whatever decodes must encode and
 * decode again to an equal spec.
 */
#include <stdint.h>
#include <stdlib.h>

#include "feast/specfile.h"
#include "registry/spec_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  feast_error err;
  feast_buf b;
  feast_buf_init(&b, 1 << 24);
  if (data[0] & 1) {
    feast_feature_table_spec t = {0}, back = {0};
    if (feast_codec_decode_table(data + 1, size - 1, &t, &err) == FEAST_OK) {
      if (feast_codec_encode_table(&t, &b, &err) != FEAST_OK) abort();
      if (feast_codec_decode_table(b.data, b.len, &back, &err) != FEAST_OK) abort();
      if (!feast_feature_table_spec_equal(&t, &back)) abort();
      feast_feature_table_spec_clear(&back);
    }
    feast_feature_table_spec_clear(&t);
  } else {
    feast_entity_spec e = {0}, back = {0};
    if (feast_codec_decode_entity(data + 1, size - 1, &e, &err) == FEAST_OK) {
      if (feast_codec_encode_entity(&e, &b, &err) != FEAST_OK) abort();
      if (feast_codec_decode_entity(b.data, b.len, &back, &err) != FEAST_OK) abort();
      if (!feast_entity_spec_equal(&e, &back)) abort();
      feast_entity_spec_clear(&back);
    }
    feast_entity_spec_clear(&e);
  }
  feast_buf_free(&b);
  return 0;
}
