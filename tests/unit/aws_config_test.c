/*
 * aws_config_test.c - credentials and config file parsing (profiles,
 * comments, continuations, duplicates), the region and endpoint orders,
 * endpoint URL parsing, the container/IMDS credentials document, the
 * static part of the credentials chain, and the backoff's bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "cloud/aws/aws_config.h"
#include "cloud/aws/aws_creds.h"
#include "net/http.h"
#include "test.h"

static const char *CREDS = "# comment\n"
                           "[default]\n"
                           "aws_access_key_id=AKID1\n"
                           "aws_secret_access_key = s1 \n"
                           "; another comment\n"
                           "[prod]\r\n"
                           "aws_access_key_id = AKID2\r\n"
                           "aws_access_key_id = AKID3\r\n"
                           "[ spaced ]\n"
                           "  aws_access_key_id = AKID4\n";

static const char *CONFIG = "[default]\n"
                            "region = eu-west-1\n"
                            "s3 =\n"
                            "  region = wrong\n"
                            "[profile dev]\n"
                            "region=ap-south-1\n"
                            "endpoint_url = http://127.0.0.1:4566/\n"
                            "[dev]\n"
                            "region = not-this-one\n";

static void ini_files(void) {
  char v[64];
  size_t n = strlen(CREDS);
  CHECK(feast_aws_ini_get(CREDS, n, false, "default", "aws_access_key_id", v, sizeof v));
  CHECK_STR(v, "AKID1");
  CHECK(feast_aws_ini_get(CREDS, n, false, "default", "AWS_SECRET_ACCESS_KEY", v, sizeof v));
  CHECK_STR(v, "s1");
  CHECK(feast_aws_ini_get(CREDS, n, false, "prod", "aws_access_key_id", v, sizeof v));
  CHECK_STR(v, "AKID3"); /* the later duplicate */
  CHECK(feast_aws_ini_get(CREDS, n, false, "spaced", "aws_access_key_id", v, sizeof v));
  CHECK_STR(v, "AKID4");
  CHECK(!feast_aws_ini_get(CREDS, n, false, "prod", "aws_secret_access_key", v, sizeof v));
  CHECK(!feast_aws_ini_get(CREDS, n, false, "missing", "aws_access_key_id", v, sizeof v));
  CHECK(feast_aws_ini_has_profile(CREDS, n, false, "prod"));
  CHECK(!feast_aws_ini_has_profile(CREDS, n, false, "nope"));
  n = strlen(CONFIG);
  CHECK(feast_aws_ini_get(CONFIG, n, true, "default", "region", v, sizeof v));
  CHECK_STR(v, "eu-west-1"); /* not the s3 sub-section's */
  CHECK(feast_aws_ini_get(CONFIG, n, true, "dev", "region", v, sizeof v));
  CHECK_STR(v, "ap-south-1"); /* [profile dev], not [dev] */
  CHECK(!feast_aws_ini_get("garbage [ =\n\x01\n", 13, true, "default", "x", v, sizeof v));
}

static void clear_env(void) {
  const char *vars[] = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL",
                        "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_KINESIS", "AWS_ACCESS_KEY_ID",
                        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) unsetenv(vars[i]);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

static void region_order(void) {
  clear_env();
  char r[64];
  feast_error err;
  feast_aws_settings s = {0};
  CHECK_INT(feast_aws_region(&s, NULL, r, sizeof r, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "AWS_REGION");
  char path[1024];
  snprintf(path, sizeof path, "%s/config", test_tmpdir());
  write_file(path, CONFIG);
  setenv("AWS_CONFIG_FILE", path, 1);
  CHECK_OK(feast_aws_region(&s, NULL, r, sizeof r, &err), &err);
  CHECK_STR(r, "eu-west-1");
  setenv("AWS_PROFILE", "dev", 1);
  CHECK_OK(feast_aws_region(&s, NULL, r, sizeof r, &err), &err);
  CHECK_STR(r, "ap-south-1");
  setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
  CHECK_OK(feast_aws_region(&s, NULL, r, sizeof r, &err), &err);
  CHECK_STR(r, "us-west-1");
  setenv("AWS_REGION", "us-west-2", 1);
  CHECK_OK(feast_aws_region(&s, NULL, r, sizeof r, &err), &err);
  CHECK_STR(r, "us-west-2");
  s.region = "eu-central-1";
  CHECK_OK(feast_aws_region(&s, NULL, r, sizeof r, &err), &err);
  CHECK_STR(r, "eu-central-1");
  CHECK_OK(feast_aws_region(&s, "sa-east-1", r, sizeof r, &err), &err);
  CHECK_STR(r, "sa-east-1");
  clear_env();
}

static void endpoint_order(void) {
  clear_env();
  feast_aws_settings s = {0};
  feast_aws_endpoint ep;
  feast_error err;
  CHECK_OK(feast_aws_endpoint_for(&s, "kinesis", "eu-west-1", &ep, &err), &err);
  CHECK_STR(ep.url, "https://kinesis.eu-west-1.amazonaws.com");
  CHECK(!ep.overridden);
  CHECK_OK(feast_aws_endpoint_for(&s, "s3", "cn-north-1", &ep, &err), &err);
  CHECK_STR(ep.host, "s3.cn-north-1.amazonaws.com.cn");
  setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000", 1);
  CHECK_OK(feast_aws_endpoint_for(&s, "s3", "eu-west-1", &ep, &err), &err);
  CHECK_STR(ep.url, "http://127.0.0.1:5000");
  CHECK_STR(ep.origin, "AWS_ENDPOINT_URL");
  CHECK(ep.overridden);
  setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:6000/", 1);
  CHECK_OK(feast_aws_endpoint_for(&s, "s3", "eu-west-1", &ep, &err), &err);
  CHECK_STR(ep.host, "127.0.0.1:6000");
  CHECK_OK(feast_aws_endpoint_for(&s, "kinesis", "eu-west-1", &ep, &err), &err);
  CHECK_STR(ep.host, "127.0.0.1:5000"); /* the S3 one is for S3 only */
  s.endpoint_url = "https://store.example:443/base/";
  CHECK_OK(feast_aws_endpoint_for(&s, "s3", "eu-west-1", &ep, &err), &err);
  CHECK_STR(ep.host, "store.example");
  CHECK_STR(ep.base_path, "/base");
  CHECK_STR(ep.origin, "aws.endpoint_url");
  s.s3_endpoint_url = "http://minio:9000";
  CHECK_OK(feast_aws_endpoint_for(&s, "s3", "eu-west-1", &ep, &err), &err);
  CHECK_STR(ep.url, "http://minio:9000");
  s.kinesis_endpoint_url = "ftp://x";
  CHECK_INT(feast_aws_endpoint_for(&s, "kinesis", "eu-west-1", &ep, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "aws.kinesis_endpoint_url: AWS endpoint ftp://x: not an http");
  CHECK_INT(feast_aws_endpoint_parse("http://user@host/", &ep, &err), FEAST_E_INVALID);
  clear_env();
}

static void credentials_document(void) {
  feast_aws_credentials c;
  feast_error err;
  const char *doc = "{\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"sec\",\"Token\":\"tok\","
                    "\"Expiration\":\"2026-12-03T16:00:00Z\"}";
  CHECK_OK(feast_aws_creds_parse_json(doc, strlen(doc), "doc", &c, &err), &err);
  CHECK_STR(c.access_key_id, "ASIA1");
  CHECK_STR(c.session_token, "tok");
  CHECK_INT(c.expires_at, 1796313600);
  const char *failed = "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"Message\":\"no\"}";
  CHECK_INT(feast_aws_creds_parse_json(failed, strlen(failed), "imds", &c, &err), FEAST_E_SERVER);
  CHECK_CONTAINS(err.message, "AssumeRoleUnauthorizedAccess");
  CHECK_INT(feast_aws_creds_parse_json("{\"AccessKeyId\":\"x\"}", 18, "d", &c, &err), FEAST_E_CORRUPT);
  const char *bad_time = "{\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"b\",\"Expiration\":\"soon\"}";
  CHECK_INT(feast_aws_creds_parse_json(bad_time, strlen(bad_time), "d", &c, &err), FEAST_E_CORRUPT);
  CHECK_INT(feast_aws_creds_parse_json("[", 1, "d", &c, &err), FEAST_E_CORRUPT);
}

static void chain_static_sources(void) {
  clear_env();
  feast_error err;
  feast_aws_credentials c;
  feast_aws_creds *p = feast_aws_creds_new(NULL, NULL, &err);
  CHECK_INT(feast_aws_creds_get(p, &c, &err), FEAST_E_NOT_FOUND);
  CHECK_CONTAINS(err.message, "no AWS credentials found");
  feast_aws_creds_free(p);
  char path[1024];
  snprintf(path, sizeof path, "%s/credentials", test_tmpdir());
  write_file(path, "[default]\naws_access_key_id = AKIDFILE\n");
  setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
  p = feast_aws_creds_new(NULL, NULL, &err);
  CHECK_INT(feast_aws_creds_get(p, &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "no aws_secret_access_key");
  feast_aws_creds_free(p);
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  p = feast_aws_creds_new(NULL, NULL, &err);
  for (int i = 0; i < 3; i++) CHECK_OK(feast_aws_creds_get(p, &c, &err), &err);
  CHECK_STR(c.access_key_id, "AKIDENV");
  CHECK_STR(c.source, "environment");
  CHECK_INT(feast_aws_creds_fetches(p), 1); /* static credentials are read once */
  feast_aws_creds_free(p);
  clear_env();
}

static void backoff_bounds(void) {
  uint64_t seed = 42;
  long distinct_first = -1;
  int differ = 0;
  for (int i = 0; i < 1000; i++) {
    for (int retry = 1; retry <= 12; retry++) {
      long ceiling = 100L << (retry - 1);
      if (ceiling > 5000) ceiling = 5000;
      long w = feast_http_backoff_ms(100, 5000, retry, &seed);
      if (w < 0 || w > ceiling) {
        CHECK(w >= 0 && w <= ceiling);
        return;
      }
    }
    long w = feast_http_backoff_ms(100, 5000, 1, &seed);
    if (distinct_first >= 0 && w != distinct_first) differ++;
    distinct_first = w;
  }
  CHECK(differ > 900); /* jittered, not a fixed schedule */
}

TEST_MAIN(T(ini_files), T(region_order), T(endpoint_order), T(credentials_document), T(chain_static_sources),
          T(backoff_bounds))
