/*
 * feastproto_fuzz.c - the decoders of bytes read back from online stores
 * (feast.types.Value to JSON, google.protobuf.Timestamp): any input must
 * give FEAST_OK or a clean error, never a crash or an over-read.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "format/proto/feastproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  feast_error err;
  feast_buf b;
  feast_buf_init(&b, 1 << 20);
  (void)feast_pb_value_to_json(data, size, &b, &err);
  feast_buf_free(&b);
  feast_ts ts;
  (void)feast_pb_timestamp_parse(data, size, &ts, &err);
  int field;
  (void)feast_pb_value_kind(data, size, &field, &err);
  return 0;
}
