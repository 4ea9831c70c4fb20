/*
 * uri.c - percent-encoding and decoding (see uri.h).
 */
#include "net/uri.h"

static bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

feast_code feast_uri_encode(feast_buf *out, const char *s, size_t n, bool keep_slash, feast_error *err) {
  static const char hex[] = "0123456789ABCDEF";
  /* Worst case triples the input; reserve once so the loop cannot fail. */
  if (n > ((size_t)-1) / 3) return feast_fail(err, FEAST_E_TOO_BIG, "uri: %zu bytes to encode", n);
  feast_code rc = feast_buf_reserve(out, n * 3, err);
  if (rc) return rc;
  uint8_t *w = out->data + out->len;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      *w++ = c;
    } else {
      *w++ = '%';
      *w++ = (uint8_t)hex[c >> 4];
      *w++ = (uint8_t)hex[c & 15];
    }
  }
  out->len = (size_t)(w - out->data);
  return FEAST_OK;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

feast_code feast_uri_decode(feast_buf *out, const char *s, size_t n, feast_error *err) {
  feast_code rc = feast_buf_reserve(out, n, err);
  if (rc) return rc;
  uint8_t *w = out->data + out->len;
  for (size_t i = 0; i < n; i++) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < n && (hi = hex_value(s[i + 1])) >= 0 && (lo = hex_value(s[i + 2])) >= 0) {
      *w++ = (uint8_t)(hi * 16 + lo);
      i += 2;
    } else {
      *w++ = (uint8_t)s[i];
    }
  }
  out->len = (size_t)(w - out->data);
  return FEAST_OK;
}
