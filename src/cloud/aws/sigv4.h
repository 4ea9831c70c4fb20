/*
 * sigv4.h - AWS Signature Version 4 over OpenSSL: the canonical request,
 * the string to sign, the derived signing key and the Authorization header
 * (or, presigned, the X-Amz-* query parameters).
 *
 * The caller hands over the request as it will be sent: the URL path
 * already percent-encoded (S3 keys through feast_uri_encode), query
 * parameters raw (the signer encodes them, and the canonical query string
 * it returns is also the URL's query, so the request and its signature can
 * never disagree on an encoding). S3 takes the path as is; every other
 * service normalizes it (dot segments, empty segments) and encodes it a
 * second time, as AWS's rules say.
 *
 * Verified against AWS's published test suite (tests/data/sigv4/) and
 * against botocore on random requests (tests/py/test_sigv4.py).
 */
#ifndef FEAST_CLOUD_AWS_SIGV4_H
#define FEAST_CLOUD_AWS_SIGV4_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "feast/error.h"

/* One set of credentials. Plain arrays so that a copy is a struct
 * assignment and a cache can hand out copies under a lock. */
typedef struct feast_aws_credentials {
  char access_key_id[128];
  char secret_access_key[128];
  char session_token[4096]; /* "" for long-term keys */
  int64_t expires_at;       /* unix seconds; 0 = does not expire */
  char source[64];          /* where they came from, for messages ("environment") */
} feast_aws_credentials;

typedef struct feast_sigv4_pair {
  const char *name;
  const char *value;
} feast_sigv4_pair;

typedef struct feast_sigv4_input {
  const char *method;
  const char *host; /* the Host header: "host" or "host:port" */
  const char *path; /* the URL path as sent (percent-encoded); NULL or "" = "/" */
  const feast_sigv4_pair *query; /* raw names and values, any order */
  size_t n_query;
  const feast_sigv4_pair *headers; /* further headers to sign, as sent (not Host, X-Amz-Date, Authorization) */
  size_t n_headers;
  const void *body;
  size_t body_len;
  /* NULL: the SHA-256 of the body. Otherwise the payload hash to sign as
   * given: "UNSIGNED-PAYLOAD" or a hex digest the caller computed. */
  const char *payload_hash;
} feast_sigv4_input;

typedef struct feast_sigv4_options {
  const char *region;
  const char *service;
  bool s3;                 /* S3's rules: the path is neither normalized nor encoded again */
  bool content_sha256;     /* add and sign x-amz-content-sha256 (S3 requires it) */
  bool presign;            /* sign in the query string instead of the Authorization header */
  bool omit_session_token; /* sign without the token; the caller adds it afterwards, unsigned */
  int64_t now;             /* unix seconds of the signature */
  int64_t expires;         /* presign: X-Amz-Expires in seconds (1..604800) */
} feast_sigv4_options;

typedef struct feast_sigv4_output {
  char amz_date[17];      /* X-Amz-Date: "20150830T123600Z" */
  char signature[65];     /* lower-case hex */
  char payload_hash[72];  /* x-amz-content-sha256's value */
  feast_buf canonical_request;
  feast_buf string_to_sign;
  feast_buf authorization; /* the Authorization header's value (header placement) */
  feast_buf query;         /* the URL's query string, without '?'; presigned: with the X-Amz-* parameters */
} feast_sigv4_output;

void feast_sigv4_output_init(feast_sigv4_output *out);
void feast_sigv4_output_free(feast_sigv4_output *out);

/* The derived signing key depends only on the secret, the date, the region
 * and the service, so it is computed once a day per client. Thread-safe. */
typedef struct feast_sigv4_key_cache {
  pthread_mutex_t mu;
  bool valid;
  char scope[160]; /* date/region/service */
  uint8_t secret_digest[32];
  uint8_t key[32];
  long derivations; /* how often the key was computed (tests) */
} feast_sigv4_key_cache;

void feast_sigv4_key_cache_init(feast_sigv4_key_cache *c);
void feast_sigv4_key_cache_destroy(feast_sigv4_key_cache *c);

/* Sign. `cache` may be NULL. Session credentials add X-Amz-Security-Token
 * (signed, unless omit_session_token). Fails with FEAST_E_INVALID on a
 * missing method, host, key or region, or a header the signer owns. */
feast_code feast_sigv4_sign(feast_sigv4_key_cache *cache, const feast_aws_credentials *creds,
                            const feast_sigv4_options *opt, const feast_sigv4_input *in, feast_sigv4_output *out,
                            feast_error *err);

/* Lower-case hex SHA-256 of data[0..n) into out[65]. */
void feast_sha256_hex(const void *data, size_t n, char out[65]);

#endif
