/*
 * file.c - see file.h.
 */
#include "base/file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

feast_code feast_file_read_all(const char *path, feast_buf *out, feast_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return feast_fail(err, FEAST_E_IO, "%s: cannot open: %s", path, strerror(errno));
  char chunk[65536];
  size_t n;
  feast_code rc = FEAST_OK;
  while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) rc = feast_buf_append(out, chunk, n, err);
  if (!rc && ferror(f)) rc = feast_fail(err, FEAST_E_IO, "%s: read failed: %s", path, strerror(errno));
  fclose(f);
  if (rc == FEAST_E_TOO_BIG) return feast_fail(err, FEAST_E_TOO_BIG, "%s: larger than %zu bytes", path, out->max);
  if (rc == FEAST_E_NOMEM) feast_error_prefix(err, "%s: ", path);
  return rc;
}
