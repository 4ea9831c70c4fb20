/*
 * avro_decode_tool.c - test-only driver of the Avro decoder for the Python
 * interop tests: reads messages, decodes them with our plan into one
 * batch, writes the batch as Parquet (for pyarrow to compare value by
 * value) and prints one JSON line per bad message, then a summary line.
 *
 *   avro_decode_tool --reader R.avsc [--writer W.avsc] --in MSGS --out OUT.parquet
 *                    [--mode raw|confluent|block] [--registry URL] [--count N]
 *                    --col PATH:TYPE ...
 *
 * MSGS holds messages as a 4-byte little-endian length and the bytes (raw
 * and confluent modes), or one block of --count concatenated datums
 * (block mode). TYPE: bool int32 int64 float double string binary fixed:N
 * date32 ts ts_ms ts_ns list:TYPE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "feast/parquet_writer.h"
#include "format/avro/avro_confluent.h"
#include "format/avro/avro_decode.h"
#include "format/json/json_writer.h"
#include "source/schema_registry.h"

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "%s: cannot read\n", path);
    exit(2);
  }
  b[n] = 0;
  fclose(f);
  *len = (size_t)n;
  return b;
}

static bool parse_type(const char *s, feast_dtype *t, feast_dtype *child) {
  *child = feast_dtype_make(FEAST_DT_NULL);
  if (strncmp(s, "list:", 5) == 0) {
    feast_dtype dummy;
    *t = feast_dtype_make(FEAST_DT_LIST);
    return parse_type(s + 5, child, &dummy);
  }
  static const struct {
    const char *name;
    feast_dtype_id id;
  } simple[] = {{"bool", FEAST_DT_BOOL},       {"int32", FEAST_DT_INT32},   {"int64", FEAST_DT_INT64},
                {"float", FEAST_DT_FLOAT},     {"double", FEAST_DT_DOUBLE}, {"string", FEAST_DT_STRING},
                {"binary", FEAST_DT_BINARY},   {"date32", FEAST_DT_DATE32}};
  for (size_t i = 0; i < sizeof simple / sizeof *simple; i++)
    if (strcmp(s, simple[i].name) == 0) {
      *t = feast_dtype_make(simple[i].id);
      return true;
    }
  if (strcmp(s, "ts") == 0) *t = feast_dtype_timestamp(FEAST_UNIT_US, true);
  else if (strcmp(s, "ts_ms") == 0) *t = feast_dtype_timestamp(FEAST_UNIT_MS, true);
  else if (strcmp(s, "ts_ns") == 0) *t = feast_dtype_timestamp(FEAST_UNIT_NS, true);
  else if (strncmp(s, "fixed:", 6) == 0) {
    *t = feast_dtype_make(FEAST_DT_FIXED_BINARY);
    t->width = atoi(s + 6);
  } else
    return false;
  return true;
}

static void die(const char *what, const feast_error *err) {
  printf("{\"fatal\": \"%s\"}\n", what);
  fprintf(stderr, "%s: %s\n", what, err->message);
  exit(1);
}

int main(int argc, char **argv) {
  const char *reader_path = NULL, *writer_path = NULL, *in = NULL, *out = NULL, *mode = "raw", *registry = NULL;
  long long count = -1;
  feast_avro_column cols[256];
  size_t n_cols = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) break;
    i++;
    if (strcmp(a, "--reader") == 0) reader_path = v;
    else if (strcmp(a, "--writer") == 0) writer_path = v;
    else if (strcmp(a, "--in") == 0) in = v;
    else if (strcmp(a, "--out") == 0) out = v;
    else if (strcmp(a, "--mode") == 0) mode = v;
    else if (strcmp(a, "--registry") == 0) registry = v;
    else if (strcmp(a, "--count") == 0) count = atoll(v);
    else if (strcmp(a, "--col") == 0 && n_cols < 256) {
      /* "a.b:list:int64": the type starts at the first ':' */
      const char *colon = strchr(v, ':');
      if (!colon) return fprintf(stderr, "--col PATH:TYPE\n"), 2;
      cols[n_cols].path = strndup(v, (size_t)(colon - v));
      if (!parse_type(colon + 1, &cols[n_cols].type, &cols[n_cols].child))
        return fprintf(stderr, "unknown type %s\n", colon + 1), 2;
      n_cols++;
    } else {
      return fprintf(stderr, "unknown option %s\n", a), 2;
    }
  }
  if (!reader_path || !in || !out) return fprintf(stderr, "usage: see the comment at the top\n"), 2;
  feast_error err;
  size_t rlen, wlen, ilen;
  char *rjson = slurp(reader_path, &rlen);
  char *wjson = writer_path ? slurp(writer_path, &wlen) : NULL;
  uint8_t *data = (uint8_t *)slurp(in, &ilen);

  feast_avro_decoder *dec;
  if (feast_avro_decoder_new(cols, n_cols, &dec, &err)) die("decoder", &err);
  feast_avro_schema *rs = NULL, *ws = NULL;
  feast_avro_plan *plan = NULL;
  feast_avro_confluent *conf = NULL;
  feast_schema_registry *reg = NULL;
  if (strcmp(mode, "confluent") == 0) {
    if (registry && feast_schema_registry_new(registry, NULL, &reg, &err)) die("registry", &err);
    if (feast_avro_confluent_new(rjson, cols, n_cols, reg ? feast_schema_registry_lookup : NULL, reg, &conf, &err))
      die("confluent", &err);
  } else {
    if (feast_avro_schema_parse(rjson, rlen, "reader", NULL, &rs, &err)) die("reader schema", &err);
    if (wjson && feast_avro_schema_parse(wjson, wlen, "writer", NULL, &ws, &err)) die("writer schema", &err);
    if (feast_avro_plan_compile(ws ? ws->root : rs->root, rs->root, cols, n_cols, &plan, &err)) die("compile", &err);
  }

  feast_buf line;
  feast_buf_init(&line, FEAST_BUF_UNLIMITED);
  if (strcmp(mode, "block") == 0) {
    int64_t rows;
    if (feast_avro_decode_block(dec, plan, data, ilen, count, &rows, &err)) {
      feast_json_writer w;
      feast_jw_init(&w, &line, FEAST_JSON_UTF8_REPLACE, &err);
      feast_jw_object(&w);
      feast_jw_key(&w, "block_error");
      feast_jw_string(&w, err.message);
      feast_jw_key(&w, "rows");
      feast_jw_int(&w, rows);
      feast_jw_object_end(&w);
      feast_jw_finish(&w);
      printf("%.*s\n", (int)line.len, (const char *)line.data);
      feast_buf_reset(&line);
    }
  } else {
    size_t n = 0, cap = 1024;
    feast_avro_msg *msgs = malloc(cap * sizeof *msgs);
    for (size_t off = 0; off + 4 <= ilen;) {
      uint32_t len = (uint32_t)data[off] | (uint32_t)data[off + 1] << 8 | (uint32_t)data[off + 2] << 16 |
                     (uint32_t)data[off + 3] << 24;
      off += 4;
      if (len > ilen - off) return fprintf(stderr, "truncated input file\n"), 2;
      if (n == cap) msgs = realloc(msgs, (cap *= 2) * sizeof *msgs);
      msgs[n].data = data + off;
      msgs[n].len = len;
      n++;
      off += len;
    }
    size_t done;
    feast_code rc = conf ? feast_avro_confluent_decode(conf, dec, msgs, n, &done, &err)
                         : feast_avro_decode_datums(dec, plan, msgs, n, &done, &err);
    if (rc) die("decode", &err);
    free(msgs);
  }
  for (size_t i = 0; i < feast_avro_decoder_bad_count(dec); i++) {
    const feast_avro_bad *b = feast_avro_decoder_bad(dec, i);
    feast_json_writer w;
    feast_jw_init(&w, &line, FEAST_JSON_UTF8_REPLACE, &err);
    feast_jw_object(&w);
    feast_jw_key(&w, "index");
    feast_jw_int(&w, (int64_t)b->index);
    feast_jw_key(&w, "code");
    feast_jw_string(&w, feast_strerror(b->code));
    feast_jw_key(&w, "offset");
    feast_jw_int(&w, (int64_t)b->offset);
    feast_jw_key(&w, "path");
    feast_jw_string(&w, b->path);
    feast_jw_key(&w, "message");
    feast_jw_string(&w, b->message);
    feast_jw_object_end(&w);
    feast_jw_finish(&w);
    printf("%.*s\n", (int)line.len, (const char *)line.data);
    feast_buf_reset(&line);
  }
  feast_batch *batch;
  if (feast_avro_decoder_finish(dec, &batch, &err)) die("finish", &err);
  if (feast_parquet_write_file(out, batch, NULL, &err)) die("parquet", &err);
  printf("{\"rows\": %lld, \"bad\": %zu, \"registry_requests\": %ld}\n", (long long)batch->num_rows,
         feast_avro_decoder_bad_count(dec), reg ? feast_schema_registry_requests(reg) : 0L);
  feast_batch_free(batch);
  feast_buf_free(&line);
  feast_avro_decoder_free(dec);
  feast_avro_plan_free(plan);
  feast_avro_schema_free(rs);
  feast_avro_schema_free(ws);
  feast_avro_confluent_free(conf);
  feast_schema_registry_free(reg);
  for (size_t i = 0; i < n_cols; i++) free((char *)cols[i].path);
  free(rjson);
  free(wjson);
  free(data);
  return 0;
}
