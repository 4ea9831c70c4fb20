/*
 * avro_schema_fuzz.c - Avro schema JSON from outside (schema_json, a
 * schema registry's answer): parse it; resolve it against itself and
 * against a fixed reader schema; compile plans with a column for every
 * top-level field the decoder can store (trying the column types in
 * turn) and run them over a few bytes; and run the apply-time check.
 * Nothing may crash, leak or loop, whatever the schema expands to.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/avro/avro_check.h"
#include "format/avro/avro_decode.h"
#include "format/avro/avro_resolve.h"

static const char *fixed_reader =
    "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":[\"null\",\"long\"],\"default\":null},"
    "{\"name\":\"b\",\"type\":\"string\",\"default\":\"\"},{\"name\":\"c\",\"type\":{\"type\":\"array\",\"items\":\"double\"},"
    "\"default\":[]},{\"name\":\"d\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\",\"Y\"],\"default\":\"X\"},"
    "\"default\":\"Y\"}]}";
static const feast_avro_column fixed_cols[] = {{"a", {FEAST_DT_INT64}, {0}},
                                               {"b", {FEAST_DT_STRING}, {0}},
                                               {"c", {FEAST_DT_LIST}, {FEAST_DT_DOUBLE}},
                                               {"d", {FEAST_DT_STRING}, {0}}};

static const feast_dtype candidates[] = {
    {FEAST_DT_BOOL},   {FEAST_DT_INT32},  {FEAST_DT_INT64},  {FEAST_DT_FLOAT},        {FEAST_DT_DOUBLE},
    {FEAST_DT_STRING}, {FEAST_DT_BINARY}, {FEAST_DT_DATE32}, {FEAST_DT_TIMESTAMP, 2, 1}, {FEAST_DT_LIST}};

static void run_plan(const feast_avro_plan *p, const feast_avro_column *cols, size_t n, const uint8_t *bytes, size_t len) {
  feast_error err;
  feast_avro_decoder *d;
  if (feast_avro_decoder_new(cols, n, &d, &err)) return;
  feast_avro_decode_one(d, p, bytes, len, 0, &err);
  feast_avro_decode_one(d, p, "", 0, 1, &err);
  feast_batch *b;
  if (feast_avro_decoder_finish(d, &b, &err) == FEAST_OK) feast_batch_free(b);
  else if (err.code == FEAST_E_INTERNAL) abort();
  feast_avro_decoder_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  feast_error err;
  feast_avro_schema *s;
  feast_avro_limits lim = {16, 4000, 1 << 16};
  if (feast_avro_schema_parse((const char *)data, size, "fuzz", &lim, &s, &err)) return 0;
  static feast_avro_schema *fr;
  if (!fr && feast_avro_schema_parse(fixed_reader, strlen(fixed_reader), "reader", NULL, &fr, &err)) abort();
  feast_avro_resolve_check(s->root, s->root, &err);
  feast_avro_plan *p;
  /* as a writer against the fixed reader */
  if (feast_avro_plan_compile(s->root, fr->root, fixed_cols, 4, &p, &err) == FEAST_OK) {
    run_plan(p, fixed_cols, 4, data, size);
    feast_avro_plan_free(p);
  }
  /* as its own reader, a column per storable top-level field */
  const feast_avro_node *r = s->root;
  if (r->kind == FEAST_AVRO_RECORD) {
    feast_avro_column cols[32];
    size_t n = 0;
    char why[256];
    for (size_t i = 0; i < r->n && n < 32; i++)
      for (size_t k = 0; k < sizeof candidates / sizeof *candidates; k++) {
        feast_dtype child = feast_dtype_make(FEAST_DT_NULL);
        for (size_t c = 0; candidates[k].id == FEAST_DT_LIST && c < 9; c++) {
          child = candidates[c];
          if (feast_avro_storable(r->fields[i].type, candidates[k], child, why, sizeof why)) break;
        }
        if (feast_avro_storable(r->fields[i].type, candidates[k], child, why, sizeof why)) {
          cols[n].path = r->fields[i].name;
          cols[n].type = candidates[k];
          cols[n].child = child;
          n++;
          break;
        }
      }
    if (feast_avro_plan_compile(r, r, cols, n, &p, &err) == FEAST_OK) {
      run_plan(p, cols, n, data, size);
      feast_avro_plan_free(p);
    }
    char *json = malloc(size + 1);
    if (json) {
      memcpy(json, data, size);
      json[size] = 0;
      feast_column_req reqs[2] = {{"feature", "x", r->n ? r->fields[0].name : "x", FEAST_VT_STRING},
                                  {"event timestamp", "t", "t", FEAST_VT_UNIX_TIMESTAMP}};
      feast_avro_check_columns(json, reqs, 2, &err);
      free(json);
    }
  }
  feast_avro_schema_free(s);
  return 0;
}
