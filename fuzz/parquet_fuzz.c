/*
 * parquet_fuzz.c - libFuzzer target for the Parquet reader: opens the input
 * as an in-memory file and decodes every row group and column, both through
 * feast_parquet_read_row_group and the streaming reader with small batches.
 */
#include <stddef.h>
#include <stdint.h>

#include "feast/parquet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  feast_error err;
  feast_parquet_file *f;
  feast_parquet_options o = {1, 100, 1 << 24, 1 << 26, 0};
  if (feast_parquet_file_open_memory(data, size, "fuzz", &o, &f, &err) != FEAST_OK) return 0;
  for (int g = 0; g < feast_parquet_num_row_groups(f) && g < 16; g++) {
    for (int c = 0; c < feast_parquet_num_columns(f) && c < 64; c++) {
      feast_batch *b;
      if (feast_parquet_read_row_group(f, g, &c, 1, &b, &err) == FEAST_OK) feast_batch_free(b);
    }
  }
  feast_batch_source *src;
  if (feast_parquet_reader_open(f, NULL, 0, NULL, 0, &o, &src, &err) == FEAST_OK) {
    for (int i = 0; i < 1000; i++) {
      feast_batch *b;
      if (src->next(src, &b, &err) != FEAST_OK || !b) break;
      feast_batch_free(b);
    }
    src->close(src);
  }
  feast_parquet_file_free(f);
  return 0;
}
