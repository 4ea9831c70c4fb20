/*
 * aws_files_fuzz.c - the AWS shared config/credentials file reader and the
 * container/IMDS credentials document reader over arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "cloud/aws/aws_config.h"
#include "cloud/aws/aws_creds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  char out[256];
  static const char *profiles[] = {"default", "dev", "profile dev", ""};
  for (int i = 0; i < 4; i++) {
    (void)feast_aws_ini_get(text, size, i & 1, profiles[i], "aws_access_key_id", out, sizeof out);
    (void)feast_aws_ini_has_profile(text, size, !(i & 1), profiles[i]);
  }
  feast_aws_credentials c;
  feast_error err;
  (void)feast_aws_creds_parse_json(text, size, "fuzz", &c, &err);
  feast_aws_endpoint ep;
  if (size < 512) {
    char url[600];
    size_t n = size < sizeof url - 1 ? size : sizeof url - 1;
    for (size_t i = 0; i < n; i++) url[i] = data[i] ? (char)data[i] : 'x';
    url[n] = '\0';
    (void)feast_aws_endpoint_parse(url, &ep, &err);
  }
  return 0;
}
