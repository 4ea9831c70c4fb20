/*
 * avro_decode_fuzz.c - the Avro decoder over arbitrary bytes against fixed
 * schemas: one raw datum with a plan whose writer is the reader (every
 * type the decoder stores), the same bytes with a plan that resolves an
 * older writer schema (promotions, skipped fields, defaults, unions,
 * maps), as a block of datums, and as a Confluent-framed message. A bad
 * datum must leave no partial row: after every call each column holds
 * exactly the decoder's row count and its offsets never go backwards.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/avro/avro_confluent.h"
#include "format/avro/avro_decode.h"

static const char *reader_json =
    "{\"type\":\"record\",\"name\":\"Row\",\"fields\":["
    "{\"name\":\"b\",\"type\":\"boolean\"},{\"name\":\"i\",\"type\":\"int\"},{\"name\":\"l\",\"type\":\"long\"},"
    "{\"name\":\"f\",\"type\":\"float\"},{\"name\":\"d\",\"type\":\"double\"},{\"name\":\"by\",\"type\":\"bytes\"},"
    "{\"name\":\"s\",\"type\":\"string\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"C\"],\"default\":\"C\"}},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":3}},"
    "{\"name\":\"arr\",\"type\":[\"null\",{\"type\":\"array\",\"items\":[\"null\",\"string\"]}]},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\"}},"
    "{\"name\":\"dt\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
    "{\"name\":\"loc\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Loc\",\"fields\":["
    "{\"name\":\"city\",\"type\":\"string\",\"default\":\"x\"},{\"name\":\"n\",\"type\":[\"null\",\"long\"],\"default\":null}]}]},"
    "{\"name\":\"added\",\"type\":{\"type\":\"array\",\"items\":\"int\"},\"default\":[1,2]}]}";

static const char *writer_json =
    "{\"type\":\"record\",\"name\":\"Row\",\"fields\":["
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":[\"null\",{\"type\":\"array\",\"items\":\"double\"}]}},"
    "{\"name\":\"l\",\"type\":\"int\"},{\"name\":\"d\",\"type\":\"float\"},{\"name\":\"f\",\"type\":\"long\"},"
    "{\"name\":\"i\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"boolean\"},{\"name\":\"s\",\"type\":\"bytes\"},"
    "{\"name\":\"by\",\"type\":\"string\"},"
    "{\"name\":\"e\",\"type\":[\"null\",{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"Z\",\"B\",\"A\"]}]},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":3}},"
    "{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"dt\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
    "{\"name\":\"loc\",\"type\":{\"type\":\"record\",\"name\":\"Loc\",\"fields\":[{\"name\":\"zz\",\"type\":\"double\"}]}}]}";

static const feast_avro_column cols[] = {
    {"b", {FEAST_DT_BOOL}, {0}},      {"i", {FEAST_DT_INT64}, {0}},   {"l", {FEAST_DT_INT64}, {0}},
    {"f", {FEAST_DT_DOUBLE}, {0}},    {"d", {FEAST_DT_DOUBLE}, {0}},  {"by", {FEAST_DT_BINARY}, {0}},
    {"s", {FEAST_DT_STRING}, {0}},    {"e", {FEAST_DT_STRING}, {0}},  {"fx", {FEAST_DT_FIXED_BINARY, 0, 0, 3}, {0}},
    {"arr", {FEAST_DT_LIST}, {FEAST_DT_STRING}}, {"ts", {FEAST_DT_TIMESTAMP, FEAST_UNIT_US, 1}, {0}},
    {"dt", {FEAST_DT_TIMESTAMP, FEAST_UNIT_US, 1}, {0}}, {"loc.city", {FEAST_DT_STRING}, {0}},
    {"loc.n", {FEAST_DT_INT64}, {0}}, {"added", {FEAST_DT_LIST}, {FEAST_DT_INT32}}};
#define N_COLS (sizeof cols / sizeof *cols)

static feast_avro_schema *reader, *writer;
static feast_avro_plan *same, *resolved;

static feast_code lookup(void *ctx, uint32_t id, const char **json, size_t *len, feast_error *err) {
  (void)ctx;
  if (id > 2) return feast_fail(err, FEAST_E_NOT_FOUND, "no schema %u", id);
  *json = id == 1 ? writer_json : reader_json;
  *len = strlen(*json);
  return FEAST_OK;
}

static void init(void) {
  feast_error err;
  if (feast_avro_schema_parse(reader_json, strlen(reader_json), "reader", NULL, &reader, &err) ||
      feast_avro_schema_parse(writer_json, strlen(writer_json), "writer", NULL, &writer, &err) ||
      feast_avro_plan_compile(reader->root, reader->root, cols, N_COLS, &same, &err) ||
      feast_avro_plan_compile(writer->root, reader->root, cols, N_COLS, &resolved, &err))
    abort();
}

static void check_batch(feast_avro_decoder *d) {
  feast_batch *b;
  feast_error err;
  int64_t rows = feast_avro_decoder_rows(d);
  if (feast_avro_decoder_finish(d, &b, &err)) abort(); /* also checks every column's length */
  if (b->num_rows != rows) abort();
  for (int c = 0; c < b->num_columns; c++) {
    const feast_array *a = b->columns[c];
    if (a->length != rows) abort();
    if (a->offsets)
      for (int64_t i = 0; i < a->length; i++)
        if (a->offsets[i + 1] < a->offsets[i]) abort();
    if (a->type.id == FEAST_DT_LIST && a->length && a->offsets[a->length] != a->child->length) abort();
    if (a->type.id == FEAST_DT_STRING && a->length && a->offsets[a->length] != a->data_len) abort();
  }
  feast_batch_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!reader) init();
  feast_error err;
  feast_avro_decoder *d;
  if (feast_avro_decoder_new(cols, N_COLS, &d, &err)) return 0;
  /* the input as a few datums: a length byte before each */
  feast_avro_msg msgs[8];
  size_t n = 0, off = 0;
  while (off < size && n < 8) {
    size_t len = data[off++];
    if (len > size - off) len = size - off;
    msgs[n].data = data + off;
    msgs[n].len = len;
    n++;
    off += len;
  }
  feast_avro_decode_datums(d, same, msgs, n, NULL, &err);
  feast_avro_decode_datums(d, resolved, msgs, n, NULL, &err);
  feast_avro_decode_one(d, same, data, size, 0, &err);
  check_batch(d);
  int64_t rows;
  feast_avro_decode_block(d, resolved, data, size, size ? data[0] % 16 : 0, &rows, &err);
  feast_avro_decode_block(d, same, data, size, 3, &rows, &err);
  check_batch(d);
  feast_avro_confluent *c;
  if (feast_avro_confluent_new(reader_json, cols, N_COLS, lookup, NULL, &c, &err) == FEAST_OK) {
    feast_avro_msg whole = {data, size};
    feast_avro_confluent_decode(c, d, &whole, 1, NULL, &err);
    feast_avro_confluent_decode(c, d, msgs, n, NULL, &err);
    feast_avro_confluent_free(c);
  }
  check_batch(d);
  feast_avro_decoder_free(d);
  return 0;
}
