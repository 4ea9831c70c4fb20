/*
 * buf.h - a growable byte buffer with a hard cap (curl's dynbuf). Every
 * buffer that grows from outside input gets a limit, and hitting it is a
 * distinct FEAST_E_TOO_BIG error rather than an out-of-memory.
 */
#ifndef FEAST_BASE_BUF_H
#define FEAST_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "feast/error.h"

typedef struct feast_buf {
  uint8_t *data; /* owned; NULL until the first append */
  size_t len;
  size_t cap;
  size_t max; /* growth past this fails with FEAST_E_TOO_BIG */
} feast_buf;

#define FEAST_BUF_UNLIMITED ((size_t)-1)

void feast_buf_init(feast_buf *b, size_t max);
void feast_buf_free(feast_buf *b);  /* back to the empty state; keeps max */
void feast_buf_reset(feast_buf *b); /* len = 0, memory kept */
feast_code feast_buf_reserve(feast_buf *b, size_t extra, feast_error *err);
feast_code feast_buf_append(feast_buf *b, const void *p, size_t n, feast_error *err);
feast_code feast_buf_append_byte(feast_buf *b, uint8_t c, feast_error *err);
feast_code feast_buf_append_str(feast_buf *b, const char *s, feast_error *err);
feast_code feast_buf_printf(feast_buf *b, feast_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A NUL-terminated view of the contents (adds the NUL, not counted in len).
 * Valid until the next change to the buffer. */
const char *feast_buf_cstr(feast_buf *b, feast_error *err);
/* Hand the data to the caller (who frees it with feast_free); buffer is reset. */
uint8_t *feast_buf_detach(feast_buf *b, size_t *len);

#endif
