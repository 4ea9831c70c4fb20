/*
 * kinesis_fuzz.c - what the Kinesis connector reads from records: base64
 * of their Data, and KPL de-aggregation over arbitrary bytes (as they are,
 * and with a valid magic and MD5 put around them so the protobuf walk is
 * reached).
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "source/kinesis.h"

static feast_code count(void *ctx, const uint8_t *data, size_t len, feast_error *err) {
  (void)err;
  size_t *n = ctx;
  *n += len + (data[0 * len] & 0); /* touch the bytes handed out */
  return FEAST_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *out = malloc(size / 4 * 3 + 4);
  if (out) (void)feast_kinesis_base64_decode((const char *)data, size, out);
  free(out);
  feast_error err;
  bool agg;
  size_t n = 0;
  (void)feast_kpl_deaggregate(data, size, count, &n, &agg, &err);
  uint8_t *w = malloc(size + 20);
  if (!w) return 0;
  memcpy(w, FEAST_KPL_MAGIC, 4);
  memcpy(w + 4, data, size);
  unsigned int len = 0;
  EVP_Digest(data, size, w + 4 + size, &len, EVP_md5(), NULL);
  (void)feast_kpl_deaggregate(w, size + 20, count, &n, &agg, &err);
  free(w);
  return 0;
}
