/*
 * config_fuzz.c - libFuzzer target for feature_store.yaml parsing: any bytes
 * must give a config or an error, never a crash, leak or out-of-bounds read.
 */
#include <stddef.h>
#include <stdint.h>

#include "feast/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  feast_config cfg;
  feast_error err;
  if (feast_config_parse_text((const char *)data, size, "fuzz.yaml", "/tmp", &cfg, &err) == FEAST_OK)
    feast_config_clear(&cfg);
  return 0;
}
