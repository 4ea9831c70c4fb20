/*
 * file.h - reading a whole small file (specs, configuration, descriptor
 * sets, credentials) into a capped buffer, with the file named in every
 * failure; and the glob patterns of paths (fileUrl), with their escapes.
 */
#ifndef FEAST_BASE_FILE_H
#define FEAST_BASE_FILE_H

#include "base/buf.h"
#include "feast/error.h"

/* Append the file's bytes to `out` (its cap bounds the size): FEAST_E_IO
 * "PATH: cannot open: <reason>" or "PATH: read failed", FEAST_E_TOO_BIG
 * "PATH: larger than N bytes". */
feast_code feast_file_read_all(const char *path, feast_buf *out, feast_error *err);

/* Patterns in paths (fileUrl): `*`, `?`, `[` are glob(7) patterns unless
 * escaped with a backslash. The first unescaped one, or NULL. */
const char *feast_path_first_pattern(const char *path);
/* path[0..n) without its escaping backslashes, into out (n + 1 bytes). */
void feast_path_unescape(const char *path, size_t n, char *out);

#endif
