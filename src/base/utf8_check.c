/*
 * utf8_check.c - see utf8_check.h. Stream strings are mostly ASCII, so eight
 * bytes are tested at a time until a byte with the top bit shows up.
 */
#include "base/utf8_check.h"

#include <string.h>

bool feast_utf8_valid(const uint8_t *s, size_t n, size_t *bad_at) {
  size_t i = 0;
  while (i < n) {
    if (n - i >= 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (!(w & UINT64_C(0x8080808080808080))) {
        i += 8;
        continue;
      }
    }
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;      /* overlong */
      else if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;      /* overlong */
      else if (c == 0xF4) hi = 0x8F; /* past U+10FFFF */
    } else {
      goto bad;
    }
    if (n - i < len || s[i + 1] < lo || s[i + 1] > hi) goto bad;
    for (size_t k = 2; k < len; k++)
      if ((s[i + k] & 0xC0) != 0x80) goto bad;
    i += len;
  }
  return true;
bad:
  if (bad_at) *bad_at = i;
  return false;
}
