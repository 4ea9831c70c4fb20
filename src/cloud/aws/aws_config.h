/*
 * aws_config.h - where AWS settings come from: the `aws:` section of
 * feature_store.yaml (handed over as plain strings), the environment the
 * AWS SDKs read, and the shared config and credentials files with their
 * profiles. Resolves the region and each service's endpoint.
 *
 * The order, first found wins (the AWS SDKs' own, with our config first):
 *   region:   the source's own, settings.region, AWS_REGION,
 *             AWS_DEFAULT_REGION, `region` of the profile in the config file
 *   endpoint: settings.<service>_endpoint_url, settings.endpoint_url,
 *             AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, `endpoint_url`
 *             of the profile, else https://<service>.<region>.amazonaws.com
 *   profile:  settings.profile, AWS_PROFILE, "default"
 *   files:    AWS_CONFIG_FILE (else ~/.aws/config),
 *             AWS_SHARED_CREDENTIALS_FILE (else ~/.aws/credentials)
 */
#ifndef FEAST_CLOUD_AWS_CONFIG_H
#define FEAST_CLOUD_AWS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "feast/error.h"

enum { FEAST_AWS_S3_AUTO = 0, FEAST_AWS_S3_PATH_STYLE = 1, FEAST_AWS_S3_VIRTUAL_HOST = 2 };

/* The `aws:` section of feature_store.yaml. Every string is borrowed and
 * may be NULL (unset); the config reader fills it, tests build it. */
typedef struct feast_aws_settings {
  const char *region;
  const char *profile;
  const char *access_key_id; /* with secret_access_key: static credentials */
  const char *secret_access_key;
  const char *session_token;
  const char *endpoint_url;         /* every service */
  const char *s3_endpoint_url;      /* S3 only (wins over endpoint_url) */
  const char *kinesis_endpoint_url; /* Kinesis only */
  int s3_addressing; /* FEAST_AWS_S3_AUTO: path-style iff the endpoint is overridden */
  long connect_timeout_ms; /* 0 = the HTTP client's default */
  long timeout_ms;
  int max_attempts;
} feast_aws_settings;

/* The profile to use (never NULL; static or borrowed from settings/env). */
const char *feast_aws_profile_name(const feast_aws_settings *s);

/* The paths of the two shared files into out[cap]; false when no path can
 * be made (no HOME and no variable). */
bool feast_aws_config_file_path(char *out, size_t cap);
bool feast_aws_credentials_file_path(char *out, size_t cap);

/* Read `key` of `profile` from an INI text. In a config file (is_config)
 * profiles are [profile NAME], the default one [default] (or
 * [profile default]); in a credentials file they are [NAME]. Values are
 * trimmed; an indented line after a key continues it (a
 * sub-section such as "s3 =") and is skipped. */
bool feast_aws_ini_get(const char *text, size_t len, bool is_config, const char *profile, const char *key,
                       char *out, size_t cap);
/* Whether the profile's section exists at all. */
bool feast_aws_ini_has_profile(const char *text, size_t len, bool is_config, const char *profile);

/* The same from a file; a missing file is "not found" (false). Files over
 * 1 MiB are refused (false). */
bool feast_aws_file_get(const char *path, bool is_config, const char *profile, const char *key, char *out,
                        size_t cap);

/* The region; FEAST_E_INVALID naming every place looked at when none is set. */
feast_code feast_aws_region(const feast_aws_settings *s, const char *source_region, char *out, size_t cap,
                            feast_error *err);

typedef struct feast_aws_endpoint {
  char url[600];   /* scheme://host[:port][/base-path], no trailing slash */
  char host[256];  /* host[:port] as the Host header carries it */
  char scheme[8];  /* "http" or "https" */
  char base_path[256]; /* "" or "/prefix" of an override */
  bool overridden; /* from settings or the environment, not AWS's standard name */
  char origin[64]; /* where it came from, for messages */
} feast_aws_endpoint;

/* service: "s3" or "kinesis" (any lower-case service id works). */
feast_code feast_aws_endpoint_for(const feast_aws_settings *s, const char *service, const char *region,
                                  feast_aws_endpoint *out, feast_error *err);

/* Split an endpoint URL into the fields above (FEAST_E_INVALID when it is
 * not http(s)://host...). */
feast_code feast_aws_endpoint_parse(const char *url, feast_aws_endpoint *out, feast_error *err);

#endif
