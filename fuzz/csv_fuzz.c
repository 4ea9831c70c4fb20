/*
 * csv_fuzz.c - the CSV reader over arbitrary bytes: it must return batches
 * or an error, never crash, hang or leak. The first byte picks the sample
 * and batch sizes so small inputs reach the streaming path too.
 */
#include <stddef.h>
#include <stdint.h>

#include "feast/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  feast_csv_options o;
  feast_csv_options_init(&o);
  if (size > 0) {
    o.sample_rows = 1 + (data[0] & 7);
    o.batch_rows = 1 + (data[0] >> 3 & 7);
    if (data[0] & 0x80) o.delimiter = ';';
    data++;
    size--;
  }
  o.max_record_bytes = 1 << 16;
  feast_error err;
  feast_batch_source *src;
  if (feast_csv_open_memory(data, size, "fuzz.csv", &o, &src, &err) != FEAST_OK) return 0;
  feast_batch *b;
  while (src->next(src, &b, &err) == FEAST_OK && b) feast_batch_free(b);
  src->close(src);
  return 0;
}
