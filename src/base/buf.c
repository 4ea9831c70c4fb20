/*
 * buf.c - capped growable buffers; growth doubles, so appends are amortized O(1).
 */
#include "base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

void feast_buf_init(feast_buf *b, size_t max) {
  b->data = NULL;
  b->len = b->cap = 0;
  b->max = max;
}

void feast_buf_free(feast_buf *b) {
  feast_free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void feast_buf_reset(feast_buf *b) { b->len = 0; }

feast_code feast_buf_reserve(feast_buf *b, size_t extra, feast_error *err) {
  if (extra > b->max || b->len > b->max - extra)
    return feast_fail(err, FEAST_E_TOO_BIG, "buffer would grow past its limit of %zu bytes", b->max);
  size_t need = b->len + extra;
  if (need <= b->cap) return FEAST_OK;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
  if (cap > b->max) cap = b->max;
  uint8_t *p = feast_realloc(b->data, cap + 1); /* +1 leaves room for cstr's NUL */
  if (!p) return feast_fail(err, FEAST_E_NOMEM, "out of memory growing a buffer to %zu bytes", cap);
  b->data = p;
  b->cap = cap;
  return FEAST_OK;
}

feast_code feast_buf_append(feast_buf *b, const void *p, size_t n, feast_error *err) {
  if (n == 0) return FEAST_OK;
  feast_code rc = feast_buf_reserve(b, n, err);
  if (rc) return rc;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return FEAST_OK;
}

feast_code feast_buf_append_byte(feast_buf *b, uint8_t c, feast_error *err) {
  return feast_buf_append(b, &c, 1, err);
}

feast_code feast_buf_append_str(feast_buf *b, const char *s, feast_error *err) {
  return feast_buf_append(b, s, strlen(s), err);
}

feast_code feast_buf_printf(feast_buf *b, feast_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return feast_fail(err, FEAST_E_INTERNAL, "bad format string");
  if ((size_t)n < sizeof small) return feast_buf_append(b, small, (size_t)n, err);
  feast_code rc = feast_buf_reserve(b, (size_t)n + 1, err);
  if (rc) return rc;
  va_start(ap, fmt);
  vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return FEAST_OK;
}

const char *feast_buf_cstr(feast_buf *b, feast_error *err) {
  if (!b->data && feast_buf_reserve(b, 1, err)) return NULL;
  b->data[b->len] = '\0';
  return (const char *)b->data;
}

uint8_t *feast_buf_detach(feast_buf *b, size_t *len) {
  uint8_t *p = b->data;
  if (len) *len = b->len;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}
