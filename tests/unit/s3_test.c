/*
 * s3_test.c - S3 URLs and addressing: virtual-host style on AWS's endpoint,
 * path-style on an override (and either when the settings say so), keys
 * encoded once with '/' kept. No request is sent.
 */
#include <stdlib.h>
#include <string.h>

#include "cloud/aws/s3.h"
#include "test.h"

static void parse_urls(void) {
  char b[64], k[256];
  feast_error err;
  CHECK_OK(feast_s3_parse_url("s3://bucket/a/b.parquet", b, sizeof b, k, sizeof k, &err), &err);
  CHECK_STR(b, "bucket");
  CHECK_STR(k, "a/b.parquet");
  CHECK_OK(feast_s3_parse_url("s3://bucket", b, sizeof b, k, sizeof k, &err), &err);
  CHECK_STR(k, "");
  CHECK_INT(feast_s3_parse_url("s3:///k", b, sizeof b, k, sizeof k, &err), FEAST_E_INVALID);
  CHECK_INT(feast_s3_parse_url("gs://b/k", b, sizeof b, k, sizeof k, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "not an s3:// URL");
}

static void address(feast_aws_settings *s, const char *bucket, const char *key, const char *want_host,
                    const char *want_path) {
  feast_error err;
  feast_s3 *s3 = feast_s3_new(s, NULL, NULL, &err);
  CHECK(s3 != NULL);
  if (!s3) {
    fprintf(stderr, "  %s\n", err.message);
    return;
  }
  char host[256];
  feast_buf path;
  feast_buf_init(&path, FEAST_BUF_UNLIMITED);
  CHECK_OK(feast_s3_address(s3, bucket, key, host, sizeof host, &path, &err), &err);
  CHECK_STR(host, want_host);
  CHECK_STR((const char *)path.data, want_path);
  feast_buf_free(&path);
  feast_s3_free(s3);
}

static void addressing_styles(void) {
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("AWS_ENDPOINT_URL_S3");
  setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
  feast_aws_settings s = {.region = "eu-west-1"};
  address(&s, "bkt", "a b/c+d.parquet", "bkt.s3.eu-west-1.amazonaws.com", "/a%20b/c%2Bd.parquet");
  address(&s, "bkt", NULL, "bkt.s3.eu-west-1.amazonaws.com", "/");
  s.s3_endpoint_url = "http://127.0.0.1:9000/base";
  address(&s, "bkt", "a b/c", "127.0.0.1:9000", "/base/bkt/a%20b/c");
  address(&s, "bkt", NULL, "127.0.0.1:9000", "/base/bkt");
  s.s3_addressing = FEAST_AWS_S3_VIRTUAL_HOST;
  address(&s, "bkt", "k", "bkt.127.0.0.1:9000", "/base/k");
  s.s3_endpoint_url = NULL;
  s.s3_addressing = FEAST_AWS_S3_PATH_STYLE;
  address(&s, "bkt", "k", "s3.eu-west-1.amazonaws.com", "/bkt/k");
}

TEST_MAIN(T(parse_urls), T(addressing_styles))
