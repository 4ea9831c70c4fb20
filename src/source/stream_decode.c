/*
 * stream_decode.c - picks a stream message decoder by the source's format
 * (see stream_decode.h), and the null-marking helper the decoders share.
 */
#include "source/stream_decode.h"

#include <string.h>

#include "base/alloc.h"

feast_code feast_stream_decoder_open(const feast_stream_decode_options *o, feast_stream_decoder **out,
                                     feast_error *err) {
  *out = NULL;
  switch (o->format->kind) {
  case FEAST_FORMAT_PROTO: return feast_stream_decoder_proto(o, out, err);
  case FEAST_FORMAT_AVRO: return feast_stream_decoder_avro(o, out, err);
  default: return feast_fail(err, FEAST_E_INVALID, "the stream source has no message format (avro or proto)");
  }
}

feast_code feast_stream_set_null(feast_array *a, int64_t row, feast_error *err) {
  if (row < 0 || row >= a->length) return feast_fail(err, FEAST_E_INTERNAL, "row %lld out of range", (long long)row);
  if (!feast_array_is_valid(a, row)) return FEAST_OK;
  if (!a->validity) {
    int64_t cap = a->capacity > a->length ? a->capacity : a->length;
    size_t bytes = (size_t)((cap + 7) / 8);
    a->validity = feast_malloc(bytes);
    if (!a->validity) return feast_fail(err, FEAST_E_NOMEM, "out of memory allocating a validity bitmap");
    memset(a->validity, 0xff, bytes);
  }
  feast_bit_set(a->validity, row, false);
  a->null_count++;
  return FEAST_OK;
}
