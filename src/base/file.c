/*
 * file.c - see file.h.
 */
#include "base/file.h"

#include <stdbool.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "feast/source.h"

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

const char *feast_path_first_pattern(const char *path) {
  for (const char *p = path; *p; p++) {
    if (*p == '\\' && p[1]) p++;
    else if (*p == '*' || *p == '?' || *p == '[') return p;
  }
  return NULL;
}

void feast_path_unescape(const char *path, size_t n, char *out) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (path[i] == '\\' && i + 1 < n) i++;
    out[k++] = path[i];
  }
  out[k] = 0;
}

size_t feast_file_url_escape(const char *path, char *out, size_t size) {
  size_t k = 0;
  for (const char *p = path; *p; p++) {
    bool special = *p == '*' || *p == '?' || *p == '[' || *p == '\\';
    if (special) {
      if (k + 1 < size) out[k] = '\\';
      k++;
    }
    if (k + 1 < size) out[k] = *p;
    k++;
  }
  if (size) out[k < size ? k : size - 1] = 0;
  return k;
}

bool feast_file_url_literal(const char *url, char *out, size_t size) {
  if (strncmp(url, "file://", 7) == 0) url += 7;
  size_t n = strlen(url);
  if (feast_path_first_pattern(url) || n >= size) return false;
  feast_path_unescape(url, n, out);
  return true;
}
