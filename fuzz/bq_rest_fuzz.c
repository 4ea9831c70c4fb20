/*
 * bq_rest_fuzz.c - what the BigQuery client reads from REST answers and
 * files, over arbitrary bytes: the first byte picks the reader (a table
 * resource, an error document for a status, a job resource, a credentials
 * file) and the rest is its input. None may crash, leak or read past the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/gcp/bq_api.h"
#include "cloud/gcp/bq_rest.h"
#include "cloud/gcp/gcp_creds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  feast_error err;
  const char *p = (const char *)data + 1;
  size_t n = size - 1;
  switch (data[0] % 4) {
  case 0: {
    feast_bq_table t;
    if (feast_bq_table_parse(p, n, "fuzz", &t, &err) == FEAST_OK) {
      for (size_t i = 0; i < t.n_fields; i++) (void)feast_bq_table_find(&t, t.fields[i].name);
      feast_bq_table_free(&t);
    }
    break;
  }
  case 1: {
    bool retry;
    static const long statuses[] = {0, 400, 401, 403, 404, 409, 429, 500, 503};
    feast_bq_error_body("fuzz", statuses[n % 9], p, n, &retry, &err);
    break;
  }
  case 2: {
    feast_bq_job j;
    bool done;
    if (feast_bq_job_parse(p, n, "fuzz", &j, &done, &err) == FEAST_OK) (void)feast_bq_table_find(&j.schema, "x");
    feast_bq_job_clear(&j);
    break;
  }
  default: {
    feast_gcp_creds *c;
    if (feast_gcp_creds_parse(p, n, "fuzz", &c, &err) == FEAST_OK) feast_gcp_creds_free(c);
  }
  }
  return 0;
}
