/*
 * spec_codec.h - the registry's own serialization of specs for storage: a
 * versioned, length-prefixed binary form that covers every field of
 * feast/spec.h. It is self-contained (no dependency on the spec-file
 * parser) so storage works and is tested on its own, and it is stable:
 * fields are only ever appended under a new version byte.
 *
 * Decoding treats the bytes as outside input: every length is checked, and a
 * damaged value is FEAST_E_CORRUPT, never a crash.
 */
#ifndef FEAST_REGISTRY_SPEC_CODEC_H
#define FEAST_REGISTRY_SPEC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "feast/spec.h"

feast_code feast_codec_encode_entity(const feast_entity_spec *e, feast_buf *out, feast_error *err);
feast_code feast_codec_encode_table(const feast_feature_table_spec *t, feast_buf *out, feast_error *err);
/* *out must be zeroed; on failure it is left cleared. */
feast_code feast_codec_decode_entity(const uint8_t *p, size_t n, feast_entity_spec *out, feast_error *err);
feast_code feast_codec_decode_table(const uint8_t *p, size_t n, feast_feature_table_spec *out, feast_error *err);

#endif
