/*
 * uri.h - percent-encoding as RFC 3986 and AWS SigV4 define it: every byte
 * but the unreserved A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex).
 * SigV4's canonical forms, S3 object keys in URLs and query strings all use
 * this one encoding, so there is one implementation.
 */
#ifndef FEAST_NET_URI_H
#define FEAST_NET_URI_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "feast/error.h"

/* Append s[0..n) percent-encoded; with keep_slash, '/' is written as is
 * (paths), otherwise as %2F (query keys and values). */
feast_code feast_uri_encode(feast_buf *out, const char *s, size_t n, bool keep_slash, feast_error *err);

/* Append s[0..n) with each valid %XX decoded (a '%' not followed by two hex
 * digits is kept as is; '+' is not a space). */
feast_code feast_uri_decode(feast_buf *out, const char *s, size_t n, feast_error *err);

#endif
