/*
 * aws_creds.h - the credentials chain, in the order AWS's own tools use:
 *   1. feature_store.yaml: aws.access_key_id / secret_access_key / session_token
 *   2. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *   3. the shared credentials file, then the config file, for the profile
 *      (aws_access_key_id, aws_secret_access_key, aws_session_token)
 *   4. the container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on
 *      169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI, with
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN (or _TOKEN_FILE) as Authorization
 *   5. the instance metadata service, IMDSv2 (a token PUT, then GETs), at
 *      AWS_EC2_METADATA_SERVICE_ENDPOINT or 169.254.169.254; skipped when
 *      AWS_EC2_METADATA_DISABLED=true
 * The first source that has credentials is used from then on. Credentials
 * that expire (container, IMDS, or a session token with an expiry) are
 * cached and fetched again `refresh_before_s` before they expire; if that
 * refresh fails while the old ones are still valid, the old ones are kept.
 * Thread-safe: any thread may ask at any time.
 */
#ifndef FEAST_CLOUD_AWS_CREDS_H
#define FEAST_CLOUD_AWS_CREDS_H

#include "cloud/aws/aws_config.h"
#include "cloud/aws/sigv4.h"
#include "feast/error.h"

typedef struct feast_aws_creds feast_aws_creds;

typedef struct feast_aws_creds_options {
  long refresh_before_s; /* 0 = 300 (five minutes, as the SDKs) */
  long metadata_timeout_ms; /* container and IMDS calls; 0 = 1000 */
} feast_aws_creds_options;

/* `s` is copied shallowly (its strings must outlive the provider). `opt`
 * may be NULL. NULL with err filled on out-of-memory. */
feast_aws_creds *feast_aws_creds_new(const feast_aws_settings *s, const feast_aws_creds_options *opt,
                                     feast_error *err);
void feast_aws_creds_free(feast_aws_creds *c); /* accepts NULL */

/* Current credentials, copied into *out. FEAST_E_NOT_FOUND naming every
 * source tried when none has any; FEAST_E_CONNECT/TIMEOUT/CORRUPT when a
 * metadata endpoint that was asked failed. */
feast_code feast_aws_creds_get(feast_aws_creds *c, feast_aws_credentials *out, feast_error *err);

/* How many times a source was read (the first time and each refresh). */
long feast_aws_creds_fetches(const feast_aws_creds *c);

/* Parse a container/IMDS credentials document ({"AccessKeyId", ...,
 * "Expiration": "2026-12-03T16:00:00Z"}). `what` names it in messages. */
feast_code feast_aws_creds_parse_json(const char *body, size_t len, const char *what, feast_aws_credentials *out,
                                      feast_error *err);

#endif
