/*
 * json_writer.c - JSON output (see json_writer.h). The escaper copies runs
 * of bytes that need nothing in one append, so plain ASCII costs a scan.
 */
#include "format/json/json_writer.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feast/json.h"

/* The code point of the UTF-8 sequence at p (n bytes left), and its length;
 * 0 when invalid (overlong, surrogate, past U+10FFFF, truncated). */
static int utf8_decode(const unsigned char *p, size_t n, unsigned *cp) {
  unsigned c = p[0], v, min;
  int len;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if ((c & 0xE0) == 0xC0) len = 2, v = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0) len = 3, v = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0) len = 4, v = c & 0x07, min = 0x10000;
  else return 0;
  if (n < (size_t)len) return 0;
  for (int i = 1; i < len; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    v = v << 6 | (p[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

static bool needs_escape(unsigned cp) {
  return cp < 0x20 || cp == '"' || cp == '\\' || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0xFFFE ||
         cp == 0xFFFF;
}

feast_code feast_json_append_string(feast_buf *out, const char *s, size_t n, feast_json_utf8 mode, feast_error *err) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s, *end = u + n, *run = u;
  feast_code rc = feast_buf_append_byte(out, '"', err);
  while (u < end && !rc) {
    if (*u >= 0x20 && *u < 0x7F && *u != '"' && *u != '\\') {
      u++;
      continue;
    }
    unsigned cp = 0;
    int len = utf8_decode(u, (size_t)(end - u), &cp);
    if (len && !needs_escape(cp)) {
      u += len;
      continue;
    }
    rc = feast_buf_append(out, run, (size_t)(u - run), err);
    if (rc) break;
    if (!len) {
      if (mode == FEAST_JSON_UTF8_FAIL)
        return feast_fail(err, FEAST_E_INVALID, "string \"%.*s\" is not valid UTF-8", (int)(n < 40 ? n : 40), s);
      rc = feast_buf_append(out, "\xEF\xBF\xBD", 3, err);
      len = 1;
    } else if (cp == '"' || cp == '\\') {
      char e[2] = {'\\', (char)cp};
      rc = feast_buf_append(out, e, 2, err);
    } else if (cp == '\n' || cp == '\t' || cp == '\r' || cp == '\b' || cp == '\f') {
      char e[2] = {'\\', cp == '\n' ? 'n' : cp == '\t' ? 't' : cp == '\r' ? 'r' : cp == '\b' ? 'b' : 'f'};
      rc = feast_buf_append(out, e, 2, err);
    } else {
      char e[6] = {'\\', 'u', hex[cp >> 12 & 15], hex[cp >> 8 & 15], hex[cp >> 4 & 15], hex[cp & 15]};
      rc = feast_buf_append(out, e, 6, err);
    }
    u += len;
    run = u;
  }
  if (!rc) rc = feast_buf_append(out, run, (size_t)(u - run), err);
  return rc ? rc : feast_buf_append_byte(out, '"', err);
}

feast_code feast_json_append_double(feast_buf *out, double d, bool as_float, feast_error *err) {
  if (isnan(d)) return feast_buf_append_str(out, "\"NaN\"", err);
  if (isinf(d)) return feast_buf_append_str(out, d > 0 ? "\"Infinity\"" : "\"-Infinity\"", err);
  char tmp[40];
  /* The shortest precision that reads back to the same value. */
  for (int prec = as_float ? 6 : 15; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, d);
    double back = strtod(tmp, NULL);
    if (as_float ? (float)back == (float)d : back == d) break;
  }
  return feast_buf_append_str(out, tmp, err);
}

feast_code feast_json_append_base64(feast_buf *out, const uint8_t *p, size_t n, feast_error *err) {
  static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  feast_code rc = feast_buf_append_byte(out, '"', err);
  for (size_t i = 0; i < n && !rc; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], i + 1 < n ? tbl[(v >> 6) & 63] : '=', i + 2 < n ? tbl[v & 63] : '='};
    rc = feast_buf_append(out, q, 4, err);
  }
  return rc ? rc : feast_buf_append_byte(out, '"', err);
}

/* ---- the writer ---- */

void feast_jw_init(feast_json_writer *w, feast_buf *out, feast_json_utf8 mode, feast_error *err) {
  memset(w, 0, sizeof *w);
  w->out = out;
  w->err = err;
  w->mode = mode;
}

/* The separator before a value (or key) at the current level. */
static bool begin_value(feast_json_writer *w) {
  if (w->rc) return false;
  if (w->after_key) {
    w->after_key = false;
    return true;
  }
  if (w->has_members[w->depth]) w->rc = feast_buf_append_byte(w->out, ',', w->err);
  w->has_members[w->depth] = true;
  return !w->rc;
}

static void open_container(feast_json_writer *w, char c) {
  if (!begin_value(w)) return;
  if (w->depth == FEAST_JW_MAX_DEPTH) {
    w->rc = feast_fail(w->err, FEAST_E_TOO_BIG, "JSON output nested deeper than %d levels", FEAST_JW_MAX_DEPTH);
    return;
  }
  w->rc = feast_buf_append_byte(w->out, (uint8_t)c, w->err);
  w->has_members[++w->depth] = false;
}

static void close_container(feast_json_writer *w, char c) {
  if (w->rc) return;
  if (!w->depth || w->after_key) {
    w->rc = feast_fail(w->err, FEAST_E_INTERNAL, "JSON writer: '%c' without an open container", c);
    return;
  }
  w->depth--;
  w->rc = feast_buf_append_byte(w->out, (uint8_t)c, w->err);
}

void feast_jw_object(feast_json_writer *w) { open_container(w, '{'); }
void feast_jw_object_end(feast_json_writer *w) { close_container(w, '}'); }
void feast_jw_array(feast_json_writer *w) { open_container(w, '['); }
void feast_jw_array_end(feast_json_writer *w) { close_container(w, ']'); }

void feast_jw_key_n(feast_json_writer *w, const char *key, size_t n) {
  if (!begin_value(w)) return;
  w->rc = feast_json_append_string(w->out, key, n, w->mode, w->err);
  if (!w->rc) w->rc = feast_buf_append_byte(w->out, ':', w->err);
  w->after_key = true;
}

void feast_jw_key(feast_json_writer *w, const char *key) { feast_jw_key_n(w, key, strlen(key)); }

void feast_jw_string_n(feast_json_writer *w, const char *s, size_t n) {
  if (begin_value(w)) w->rc = feast_json_append_string(w->out, s, n, w->mode, w->err);
}

void feast_jw_string(feast_json_writer *w, const char *s) {
  if (!s) feast_jw_null(w);
  else feast_jw_string_n(w, s, strlen(s));
}

void feast_jw_int(feast_json_writer *w, int64_t v) {
  if (begin_value(w)) w->rc = feast_buf_printf(w->out, w->err, "%" PRId64, v);
}

void feast_jw_uint(feast_json_writer *w, uint64_t v) {
  if (begin_value(w)) w->rc = feast_buf_printf(w->out, w->err, "%" PRIu64, v);
}

void feast_jw_double(feast_json_writer *w, double v, bool as_float) {
  if (begin_value(w)) w->rc = feast_json_append_double(w->out, v, as_float, w->err);
}

void feast_jw_bool(feast_json_writer *w, bool v) {
  if (begin_value(w)) w->rc = feast_buf_append_str(w->out, v ? "true" : "false", w->err);
}

void feast_jw_null(feast_json_writer *w) {
  if (begin_value(w)) w->rc = feast_buf_append_str(w->out, "null", w->err);
}

void feast_jw_raw(feast_json_writer *w, const char *json, size_t n) {
  if (begin_value(w)) w->rc = feast_buf_append(w->out, json, n, w->err);
}

feast_code feast_jw_finish(feast_json_writer *w) {
  if (!w->rc && (w->depth || w->after_key))
    w->rc = feast_fail(w->err, FEAST_E_INTERNAL, "JSON writer: %d container(s) left open", w->depth);
  return w->rc;
}

/* ---- the public form (feast/json.h) ---- */

feast_code feast_json_quote(const char *s, size_t n, bool replace_invalid, char **out, size_t *out_len,
                            feast_error *err) {
  feast_buf b;
  feast_buf_init(&b, FEAST_BUF_UNLIMITED);
  feast_code rc =
      feast_json_append_string(&b, s, n, replace_invalid ? FEAST_JSON_UTF8_REPLACE : FEAST_JSON_UTF8_FAIL, err);
  if (!rc && !feast_buf_cstr(&b, err)) rc = err ? err->code : FEAST_E_NOMEM;
  if (rc) {
    feast_buf_free(&b);
    return rc;
  }
  *out = (char *)feast_buf_detach(&b, out_len);
  return FEAST_OK;
}
