/*
 * json.h - JSON text for programs built on libfeast: the same escaping the
 * library uses for its own JSON (the CLI's -o json and -o yaml output go
 * through it).
 */
#ifndef FEAST_JSON_H
#define FEAST_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "feast/error.h"
#include "feast/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* s[0..n) as a JSON string literal, quotes included. The text is also a
 * YAML double-quoted scalar that reads back the same (DEL, C1 controls and
 * U+FFFE/F are escaped too). Invalid UTF-8 is FEAST_E_INVALID, or with
 * `replace_invalid` each bad byte becomes U+FFFD. On success
 * *out is NUL-terminated, *out_len (may be NULL) its length; the caller
 * owns *out: release it with free(). */
FEAST_API feast_code feast_json_quote(const char *s, size_t n, bool replace_invalid, char **out, size_t *out_len,
                                     feast_error *err);

#ifdef __cplusplus
}
#endif
#endif
