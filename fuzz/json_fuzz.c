/*
 * json_fuzz.c - the JSON reader over arbitrary bytes, both ways in: the
 * pull reader (skipping every container it meets at an odd position) and
 * the tree. A document the tree accepts is written back by the writer and
 * must parse again to the same bytes: reader and writer agree.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/json/json_reader.h"
#include "format/json/json_writer.h"

static void rewrite(feast_json_writer *w, const feast_json_value *v) {
  switch (v->kind) {
  case FEAST_JSON_NULL: feast_jw_null(w); break;
  case FEAST_JSON_TRUE: feast_jw_bool(w, 1); break;
  case FEAST_JSON_FALSE: feast_jw_bool(w, 0); break;
  case FEAST_JSON_NUMBER: feast_jw_raw(w, v->str, v->len); break;
  case FEAST_JSON_STRING: feast_jw_string_n(w, v->str, v->len); break;
  case FEAST_JSON_ARRAY:
    feast_jw_array(w);
    for (size_t i = 0; i < v->len; i++) rewrite(w, &v->items[i]);
    feast_jw_array_end(w);
    break;
  default:
    feast_jw_object(w);
    for (size_t i = 0; i < v->len; i++) {
      feast_jw_key_n(w, v->keys[i], v->key_lens[i]);
      rewrite(w, &v->items[i]);
    }
    feast_jw_object_end(w);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  feast_error err;
  feast_json_limits lim = {48, 1 << 20, 1 << 16};
  feast_json_reader r;
  if (feast_json_reader_init(&r, data, size, "fuzz.json", &lim, &err) == FEAST_OK) {
    feast_json_token t;
    for (int i = 0; feast_json_next(&r, &t, &err) == FEAST_OK && t.kind != FEAST_JSON_END; i++)
      if ((i & 1) && feast_json_skip(&r, &t, &err) != FEAST_OK) break;
  }
  feast_json_reader_free(&r);

  feast_arena *a = feast_arena_new(0);
  const feast_json_value *v;
  if (a && feast_json_parse(data, size, "fuzz.json", &lim, a, &v, &err) == FEAST_OK) {
    feast_buf b1, b2;
    feast_buf_init(&b1, (size_t)1 << 24);
    feast_buf_init(&b2, (size_t)1 << 24);
    feast_json_writer w;
    feast_jw_init(&w, &b1, FEAST_JSON_UTF8_FAIL, &err);
    rewrite(&w, v);
    /* The writer nests at most FEAST_JW_MAX_DEPTH levels: deeper input is
     * refused, never mangled. */
    if (feast_jw_finish(&w) == FEAST_OK) {
      feast_arena *a2 = feast_arena_new(0);
      const feast_json_value *v2;
      if (feast_json_parse(b1.data, b1.len, "rewritten", &lim, a2, &v2, &err) != FEAST_OK) abort();
      feast_jw_init(&w, &b2, FEAST_JSON_UTF8_FAIL, &err);
      rewrite(&w, v2);
      if (feast_jw_finish(&w) != FEAST_OK || b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0) abort();
      feast_arena_free(a2);
    }
    feast_buf_free(&b1);
    feast_buf_free(&b2);
  }
  feast_arena_free(a);
  return 0;
}
