/*
 * gcp_creds.h - Google credentials found the way Google's own client
 * libraries find them (Application Default Credentials), and the OAuth2
 * access tokens they give, cached and refreshed before they expire.
 *
 * The chain, first match wins:
 *   1. an explicit file (feature_store.yaml's bigquery.credentials);
 *   2. $GOOGLE_APPLICATION_CREDENTIALS;
 *   3. gcloud's user credentials, application_default_credentials.json in
 *      $CLOUDSDK_CONFIG or ~/.config/gcloud (written by
 *      `gcloud auth application-default login`);
 *   4. the metadata server of a Google Cloud VM ($GCE_METADATA_HOST, else
 *      169.254.169.254), asked only when a token is first needed.
 * A file is either a service-account key ("type": "service_account": a JWT
 * signed RS256 with its private key is exchanged at its token_uri) or
 * user credentials ("type": "authorized_user": its refresh_token is
 * exchanged at token_uri, default https://oauth2.googleapis.com/token).
 *
 * Thread-safe: one feast_gcp_creds may be used by many threads; a token is
 * fetched by one of them while the others wait for it.
 */
#ifndef FEAST_CLOUD_GCP_CREDS_H
#define FEAST_CLOUD_GCP_CREDS_H

#include <stddef.h>

#include "feast/error.h"
#include "feast/time.h"

typedef struct feast_gcp_creds feast_gcp_creds;

typedef enum feast_gcp_creds_kind {
  FEAST_GCP_SERVICE_ACCOUNT = 1,
  FEAST_GCP_AUTHORIZED_USER,
  FEAST_GCP_METADATA
} feast_gcp_creds_kind;

/* Follow the chain above (`file` may be NULL). A file that does not parse
 * or lacks a field is FEAST_E_INVALID naming the file and the field. The
 * caller owns *out: release it with feast_gcp_creds_free. */
feast_code feast_gcp_creds_find(const char *file, feast_gcp_creds **out, feast_error *err);

/* Credentials from a file's text (`name` for messages), for tests and
 * fuzzing of the file format. */
feast_code feast_gcp_creds_parse(const char *json, size_t len, const char *name, feast_gcp_creds **out,
                                 feast_error *err);

void feast_gcp_creds_free(feast_gcp_creds *c); /* accepts NULL */

feast_gcp_creds_kind feast_gcp_creds_type(const feast_gcp_creds *c);
/* The project the credentials belong to (a key's project_id, user
 * credentials' quota_project_id), or NULL. Borrowed: valid until freed. */
const char *feast_gcp_creds_project(const feast_gcp_creds *c);
/* "service account a@b.iam.gserviceaccount.com (key.json)" for messages. */
const char *feast_gcp_creds_describe(const feast_gcp_creds *c);

/* A current access token as an HTTP header line, "Authorization: Bearer
 * ...", into out[cap]. Fetched when there is none or it expires within
 * five minutes (or within half its lifetime, when shorter than ten). A
 * refused exchange is FEAST_E_INVALID with the endpoint's error and
 * description ("invalid_grant: Invalid JWT Signature."); an endpoint that
 * cannot be reached or fails with 5xx is retried and then retriable. */
feast_code feast_gcp_creds_header(feast_gcp_creds *c, char *out, size_t cap, feast_error *err);

/* Forget the cached token (after a 401 from an API), so the next header
 * fetches a new one. */
void feast_gcp_creds_invalidate(feast_gcp_creds *c);

/* Tokens fetched so far (tests check caching and refresh). */
long feast_gcp_creds_fetches(const feast_gcp_creds *c);

#endif
