/*
 * gcp_jwt.h - the JSON Web Token a service-account key signs to get an
 * OAuth2 access token (RFC 7519, RS256 = RSASSA-PKCS1-v1_5 with SHA-256,
 * through OpenSSL), and the base64url it is written in.
 */
#ifndef FEAST_CLOUD_GCP_JWT_H
#define FEAST_CLOUD_GCP_JWT_H

#include <stddef.h>

#include "base/buf.h"
#include "feast/error.h"

/* Append base64url of p[0..n) without padding. */
feast_code feast_b64url_append(feast_buf *out, const void *p, size_t n, feast_error *err);

/* Append header.claims.signature: the header is {"alg":"RS256","typ":"JWT"}
 * plus "kid" when given; `claims` is a JSON object's text. `pem` is the
 * key's PKCS#8 (or PKCS#1) PEM private key, which must be RSA; a key that
 * does not parse or is not RSA is FEAST_E_INVALID ("the private_key of
 * <name>: ..."), `name` naming the credentials file. */
feast_code feast_gcp_jwt_rs256(const char *pem, const char *kid, const char *claims, const char *name, feast_buf *out,
                               feast_error *err);

#endif
