/*
 * utf8_check.h - strict UTF-8 validation (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF), for decoders that put outside bytes
 * into STRING columns, which the Arrow layout requires to be UTF-8.
 */
#ifndef FEAST_BASE_UTF8_CHECK_H
#define FEAST_BASE_UTF8_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..n) is valid UTF-8. When it is not and bad_at is not NULL,
 * *bad_at is the offset of the first byte of the first invalid sequence. */
bool feast_utf8_valid(const uint8_t *s, size_t n, size_t *bad_at);

/* The same answer, with short ASCII strings (most field values) checked
 * inline, without a call. */
static inline bool feast_utf8_valid_inline(const uint8_t *s, size_t n) {
  if (n <= 16) {
    uint8_t any = 0;
    for (size_t i = 0; i < n; i++) any |= s[i];
    if (!(any & 0x80)) return true;
  }
  return feast_utf8_valid(s, n, NULL);
}

#endif
