/*
 * bq_storage_fuzz.c - the Storage Read API framing we parse, over arbitrary
 * bytes: the first byte picks a ReadSession, a ReadRowsResponse (whose
 * Arrow rows, if any, then go through the Arrow IPC reader) or an Arrow IPC
 * buffer alone (a schema message and record batches back to back).
 */
#include <stddef.h>
#include <stdint.h>

#include "cloud/gcp/bq_storage.h"
#include "format/arrow/arrow_ipc.h"

static feast_code drop(void *ctx, feast_batch *b, feast_error *err) {
  (void)ctx, (void)err;
  feast_batch_free(b);
  return FEAST_OK;
}

static void ipc(const uint8_t *p, size_t n) {
  feast_ipc_reader *r;
  feast_error err;
  if (feast_ipc_reader_new("fuzz", &r, &err)) return;
  /* twice: a second schema must equal the first, batches read with it */
  if (feast_ipc_read(r, p, n, drop, NULL, &err) == FEAST_OK) feast_ipc_read(r, p, n, drop, NULL, &err);
  feast_ipc_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  feast_error err;
  const uint8_t *p = data + 1;
  size_t n = size - 1;
  switch (data[0] % 3) {
  case 0: {
    feast_bq_session s;
    if (feast_bq_decode_session(p, n, &s, &err) == FEAST_OK) {
      if (s.arrow_schema_len) ipc(s.arrow_schema, s.arrow_schema_len);
      feast_bq_session_clear(&s);
    }
    break;
  }
  case 1: {
    feast_bq_rows_msg m;
    if (feast_bq_decode_read_rows(p, n, &m, &err) == FEAST_OK && m.arrow_len) ipc(m.arrow, m.arrow_len);
    break;
  }
  default: ipc(p, n);
  }
  return 0;
}
