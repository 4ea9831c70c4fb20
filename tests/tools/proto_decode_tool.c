/*
 * proto_decode_tool.c - test-only driver of the protobuf stream decoder, for
 * tests/py/test_proto_decode.py: decodes length-prefixed messages with a
 * plan and writes the batch as Parquet with our writer, plus one JSON line
 * per rejected message.
 *
 *   proto_decode_tool DESCRIPTOR_SET CLASS_PATH COLUMNS IN OUT.parquet REJECTS.jsonl
 *                     [--per-call N] [--ts-unit s|ms|us|ns]
 *
 * COLUMNS is "path:TYPE,..." (TYPE a Feast value type, or "-" for the
 * field's own kind). IN holds messages, each after a 4-byte little-endian
 * length. The Parquet file has the plan's columns, then a BOOL column
 * "__present__.PATH" per column (feast_proto_decoder_present). Messages go
 * to the decoder N per call (default all at once) into one batch. Exit
 * status 0, or 1 with the error on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feast/parquet_writer.h"
#include "format/proto/proto_decode.h"

static int die(const char *what, const feast_error *err) {
  fprintf(stderr, "proto_decode_tool: %s: %s\n", what, err ? err->message : "");
  return 1;
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20 || c >= 0x7f) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: proto_decode_tool DESC CLASS COLUMNS IN OUT.parquet REJECTS.jsonl [--per-call N] "
                    "[--ts-unit s|ms|us|ns]\n");
    return 2;
  }
  size_t per_call = 0;
  feast_proto_plan_options opts = {FEAST_UNIT_S};
  for (int i = 7; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--per-call") == 0) per_call = (size_t)strtoull(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--ts-unit") == 0) {
      const char *u = argv[i + 1];
      opts.int64_ts_unit = !strcmp(u, "ms") ? FEAST_UNIT_MS : !strcmp(u, "us") ? FEAST_UNIT_US
                                                            : !strcmp(u, "ns") ? FEAST_UNIT_NS : FEAST_UNIT_S;
    }
  }
  feast_error err;
  feast_error_clear(&err);
  feast_proto_pool *pool = NULL;
  if (feast_proto_pool_load(argv[1], &pool, &err)) return die("descriptor set", &err);

  /* columns */
  char *spec = strdup(argv[3]);
  feast_column_req reqs[512];
  size_t n = 0;
  for (char *save = NULL, *tok = strtok_r(spec, ",", &save); tok && n < 512; tok = strtok_r(NULL, ",", &save)) {
    char *colon = strchr(tok, ':');
    feast_value_type t = FEAST_VT_INVALID;
    if (colon) {
      *colon = 0;
      if (strcmp(colon + 1, "-") != 0) t = feast_value_type_parse(colon + 1);
    }
    reqs[n++] = (feast_column_req){"column", tok, tok, t};
  }
  feast_proto_plan *plan = NULL;
  if (feast_proto_plan_compile(pool, argv[2], reqs, n, &opts, &plan, &err)) {
    printf("%s\n", err.message); /* the test reads plan refusals from stdout */
    return 3;
  }
  feast_proto_pool_free(pool);

  /* messages */
  FILE *in = fopen(argv[4], "rb");
  if (!in) return die(argv[4], NULL);
  fseek(in, 0, SEEK_END);
  long size = ftell(in);
  fseek(in, 0, SEEK_SET);
  uint8_t *buf = malloc((size_t)size + 1);
  if (fread(buf, 1, (size_t)size, in) != (size_t)size) return die("short read", NULL);
  fclose(in);
  size_t cap = 1024, nm = 0;
  feast_proto_slice *msgs = malloc(cap * sizeof *msgs);
  for (long off = 0; off + 4 <= size;) {
    uint32_t len = (uint32_t)buf[off] | (uint32_t)buf[off + 1] << 8 | (uint32_t)buf[off + 2] << 16 |
                   (uint32_t)buf[off + 3] << 24;
    off += 4;
    if (off + (long)len > size) return die("truncated input file", NULL);
    if (nm == cap) msgs = realloc(msgs, (cap *= 2) * sizeof *msgs);
    msgs[nm].data = buf + off;
    msgs[nm].len = len;
    nm++;
    off += len;
  }

  feast_batch *batch = NULL;
  feast_proto_decoder *dec = NULL;
  if (feast_proto_plan_batch_new(plan, &batch, &err) || feast_proto_decoder_new(plan, &dec, &err))
    return die("setup", &err);
  int nc = feast_proto_plan_column_count(plan);
  feast_array **present = calloc((size_t)nc, sizeof *present);
  for (int c = 0; c < nc; c++) present[c] = feast_array_new(feast_dtype_make(FEAST_DT_BOOL), feast_dtype_make(FEAST_DT_NULL));
  FILE *rej = fopen(argv[6], "w");
  if (!rej) return die(argv[6], NULL);
  if (!per_call) per_call = nm ? nm : 1;
  for (size_t start = 0; start < nm || (nm == 0 && start == 0); start += per_call) {
    size_t k = nm - start < per_call ? nm - start : per_call;
    feast_proto_result res;
    if (feast_proto_decode(dec, msgs + start, k, batch, &res, &err)) return die("decode", &err);
    for (size_t r = 0; r < res.n_rejects; r++) {
      const feast_proto_reject *j = &res.rejects[r];
      fprintf(rej, "{\"index\": %zu, \"offset\": %zu, \"code\": ", start + j->index, j->offset);
      json_str(rej, feast_strerror(j->code));
      fprintf(rej, ", \"cause\": ");
      json_str(rej, j->cause);
      fprintf(rej, ", \"reason\": ");
      json_str(rej, j->reason);
      fprintf(rej, "}\n");
    }
    for (int64_t row = 0; row < res.rows; row++)
      for (int c = 0; c < nc; c++)
        if (feast_array_append_bool(present[c], feast_proto_decoder_present(dec, row, c), &err)) return die("present", &err);
    if (nm == 0) break;
  }
  fclose(rej);

  feast_batch *out = feast_batch_new(2 * nc);
  for (int c = 0; c < nc; c++) {
    char name[600];
    snprintf(name, sizeof name, "__present__.%s", batch->names[c]);
    feast_batch_set_column(out, c, batch->names[c], batch->columns[c], &err);
    batch->columns[c] = NULL;
    feast_batch_set_column(out, nc + c, name, present[c], &err);
  }
  out->num_rows = batch->num_rows;
  feast_parquet_write_options wo;
  feast_parquet_write_options_init(&wo);
  wo.threads = 1;
  if (feast_parquet_write_file(argv[5], out, &wo, &err)) return die("parquet", &err);
  feast_batch_free(out);
  feast_batch_free(batch);
  free(present);
  feast_proto_decoder_free(dec);
  feast_proto_plan_free(plan);
  free(msgs);
  free(buf);
  free(spec);
  return 0;
}
