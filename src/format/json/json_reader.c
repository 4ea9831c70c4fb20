/*
 * json_reader.c - the JSON tokenizer, pull reader and tree builder (see
 * json_reader.h). One pass over the bytes, no recursion in the reader (the
 * open containers are a byte per level); strings without escapes are
 * handed out as slices of a scratch copy so every token is NUL-terminated.
 */
#include "format/json/json_reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

#define DEFAULT_DEPTH 64
#define DEFAULT_INPUT ((size_t)64 << 20)

enum { ST_VALUE, ST_ARRAY_FIRST, ST_OBJECT_FIRST, ST_OBJECT_KEY, ST_AFTER_VALUE };

static void line_col(const feast_json_reader *r, size_t offset, int *line, int *col) {
  *line = 1;
  *col = 1;
  const uint8_t *stop = r->begin + (offset < (size_t)(r->end - r->begin) ? offset : (size_t)(r->end - r->begin));
  for (const uint8_t *q = r->begin; q < stop; q++) {
    if (*q == '\n') {
      (*line)++;
      *col = 1;
    } else if ((*q & 0xC0) != 0x80) {
      (*col)++;
    }
  }
}

static feast_code vfail_at(const feast_json_reader *r, feast_code code, size_t offset, feast_error *err, const char *fmt,
                           va_list ap) {
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  int line, col;
  line_col(r, offset, &line, &col);
  return feast_fail(err, code, "%s: line %d, column %d: %s", r->name, line, col, msg);
}

feast_code feast_json_fail_at(const feast_json_reader *r, size_t offset, feast_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  feast_code rc = vfail_at(r, FEAST_E_CORRUPT, offset, err, fmt, ap);
  va_end(ap);
  return rc;
}

static feast_code fail_here(const feast_json_reader *r, feast_code code, feast_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static feast_code fail_here(const feast_json_reader *r, feast_code code, feast_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  feast_code rc = vfail_at(r, code, (size_t)(r->p - r->begin), err, fmt, ap);
  va_end(ap);
  return rc;
}

feast_code feast_json_reader_init(feast_json_reader *r, const void *data, size_t len, const char *name,
                                  const feast_json_limits *limits, feast_error *err) {
  memset(r, 0, sizeof *r);
  r->name = name ? name : "JSON";
  r->begin = r->p = data;
  r->end = r->begin + len;
  size_t max_input = limits && limits->max_input ? limits->max_input : DEFAULT_INPUT;
  r->max_depth = limits && limits->max_depth ? limits->max_depth : DEFAULT_DEPTH;
  if (r->max_depth > FEAST_JSON_MAX_DEPTH) r->max_depth = FEAST_JSON_MAX_DEPTH;
  r->max_string = limits && limits->max_string ? limits->max_string : max_input;
  r->state = ST_VALUE;
  feast_buf_init(&r->scratch, r->max_string);
  if (len > max_input)
    return feast_fail(err, FEAST_E_TOO_BIG, "%s: %zu bytes is over the limit of %zu", r->name, len, max_input);
  return FEAST_OK;
}

void feast_json_reader_free(feast_json_reader *r) { feast_buf_free(&r->scratch); }

static void skip_space(feast_json_reader *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t')) r->p++;
}

static int hex_digit(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool read_hex4(const uint8_t *p, const uint8_t *end, unsigned *out) {
  if (end - p < 4) return false;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int d = hex_digit(p[i]);
    if (d < 0) return false;
    v = v << 4 | (unsigned)d;
  }
  *out = v;
  return true;
}

static size_t put_utf8(uint8_t *d, unsigned cp) {
  if (cp < 0x80) {
    d[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    d[0] = (uint8_t)(0xC0 | cp >> 6);
    d[1] = (uint8_t)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    d[0] = (uint8_t)(0xE0 | cp >> 12);
    d[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    d[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
  }
  d[0] = (uint8_t)(0xF0 | cp >> 18);
  d[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
  d[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
  d[3] = (uint8_t)(0x80 | (cp & 0x3F));
  return 4;
}

/* Length of the valid UTF-8 sequence at p (not past end), 0 if invalid:
 * overlong forms, surrogates and code points past U+10FFFF are refused. */
static size_t utf8_len(const uint8_t *p, const uint8_t *end) {
  uint8_t c = p[0];
  size_t n;
  unsigned cp, min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if ((size_t)(end - p) < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

/* A string starting at the opening quote; the unescaped bytes go to scratch. */
static feast_code read_string(feast_json_reader *r, feast_json_token *tok, feast_error *err) {
  const uint8_t *start = r->p++;
  feast_buf_reset(&r->scratch);
  for (;;) {
    const uint8_t *run = r->p;
    while (r->p < r->end && *r->p != '"' && *r->p != '\\' && *r->p >= 0x20 && *r->p < 0x80) r->p++;
    feast_code rc = feast_buf_append(&r->scratch, run, (size_t)(r->p - run), err);
    if (rc) return fail_here(r, FEAST_E_TOO_BIG, err, "string longer than %zu bytes", r->max_string);
    if (r->p >= r->end) {
      r->p = start;
      return fail_here(r, FEAST_E_CORRUPT, err, "unterminated string");
    }
    uint8_t c = *r->p;
    if (c == '"') {
      r->p++;
      break;
    }
    if (c < 0x20) return fail_here(r, FEAST_E_CORRUPT, err, "raw control character 0x%02x in a string (escape it)", c);
    uint8_t enc[8];
    size_t n;
    if (c >= 0x80) {
      n = utf8_len(r->p, r->end);
      if (!n) return fail_here(r, FEAST_E_CORRUPT, err, "invalid UTF-8 in a string");
      memcpy(enc, r->p, n);
      r->p += n;
    } else { /* backslash */
      if (r->end - r->p < 2) return fail_here(r, FEAST_E_CORRUPT, err, "unterminated escape");
      uint8_t e = r->p[1];
      r->p += 2;
      n = 1;
      switch (e) {
      case '"': enc[0] = '"'; break;
      case '\\': enc[0] = '\\'; break;
      case '/': enc[0] = '/'; break;
      case 'b': enc[0] = '\b'; break;
      case 'f': enc[0] = '\f'; break;
      case 'n': enc[0] = '\n'; break;
      case 'r': enc[0] = '\r'; break;
      case 't': enc[0] = '\t'; break;
      case 'u': {
        unsigned cp, lo;
        if (!read_hex4(r->p, r->end, &cp)) return fail_here(r, FEAST_E_CORRUPT, err, "\\u needs four hex digits");
        r->p += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail_here(r, FEAST_E_CORRUPT, err, "lone low surrogate \\u%04x", cp);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || !read_hex4(r->p + 2, r->end, &lo) ||
              lo < 0xDC00 || lo > 0xDFFF)
            return fail_here(r, FEAST_E_CORRUPT, err, "high surrogate \\u%04x without its low half", cp);
          r->p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        n = put_utf8(enc, cp);
        break;
      }
      default:
        r->p -= 1;
        return fail_here(r, FEAST_E_CORRUPT, err, "unknown escape \\%c", e >= 0x20 && e < 0x7F ? e : '?');
      }
    }
    if (feast_buf_append(&r->scratch, enc, n, err))
      return fail_here(r, FEAST_E_TOO_BIG, err, "string longer than %zu bytes", r->max_string);
  }
  tok->len = r->scratch.len;
  tok->str = feast_buf_cstr(&r->scratch, err);
  return tok->str ? FEAST_OK : fail_here(r, FEAST_E_TOO_BIG, err, "string longer than %zu bytes", r->max_string);
}

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* RFC 8259 number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static feast_code read_number(feast_json_reader *r, feast_json_token *tok, feast_error *err) {
  const uint8_t *s = r->p, *q = s, *e = r->end;
  if (q < e && *q == '-') q++;
  if (q >= e || !is_digit(*q)) return fail_here(r, FEAST_E_CORRUPT, err, "bad number");
  if (*q == '0') q++;
  else
    while (q < e && is_digit(*q)) q++;
  if (q < e && *q == '.') {
    q++;
    if (q >= e || !is_digit(*q)) return fail_here(r, FEAST_E_CORRUPT, err, "bad number: digits must follow '.'");
    while (q < e && is_digit(*q)) q++;
  }
  if (q < e && (*q == 'e' || *q == 'E')) {
    q++;
    if (q < e && (*q == '+' || *q == '-')) q++;
    if (q >= e || !is_digit(*q)) return fail_here(r, FEAST_E_CORRUPT, err, "bad number: digits must follow the exponent");
    while (q < e && is_digit(*q)) q++;
  }
  size_t n = (size_t)(q - s);
  if (n > r->max_string) return fail_here(r, FEAST_E_TOO_BIG, err, "number longer than %zu bytes", r->max_string);
  feast_buf_reset(&r->scratch);
  if (feast_buf_append(&r->scratch, s, n, err) || !(tok->str = feast_buf_cstr(&r->scratch, err)))
    return fail_here(r, FEAST_E_TOO_BIG, err, "number longer than %zu bytes", r->max_string);
  tok->len = n;
  r->p = q;
  return FEAST_OK;
}

static feast_code read_literal(feast_json_reader *r, const char *word, feast_json_kind kind, feast_json_token *tok,
                               feast_error *err) {
  size_t n = strlen(word);
  if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
    return fail_here(r, FEAST_E_CORRUPT, err, "unexpected character '%c'", *r->p >= 0x20 && *r->p < 0x7F ? *r->p : '?');
  r->p += n;
  tok->kind = kind;
  tok->str = word;
  tok->len = n;
  return FEAST_OK;
}

/* A value's first token at r->p (whitespace skipped). */
static feast_code read_value(feast_json_reader *r, feast_json_token *tok, feast_error *err) {
  if (r->p >= r->end) return fail_here(r, FEAST_E_CORRUPT, err, "unexpected end of input: a value is missing");
  uint8_t c = *r->p;
  tok->str = "";
  tok->len = 0;
  if (c == '{' || c == '[') {
    if (r->depth >= r->max_depth)
      return fail_here(r, FEAST_E_TOO_BIG, err, "nested deeper than %d levels", r->max_depth);
    r->in_object[r->depth++] = c == '{';
    r->p++;
    r->state = c == '{' ? ST_OBJECT_FIRST : ST_ARRAY_FIRST;
    tok->kind = c == '{' ? FEAST_JSON_OBJECT : FEAST_JSON_ARRAY;
    return FEAST_OK;
  }
  feast_code rc;
  if (c == '"') {
    tok->kind = FEAST_JSON_STRING;
    rc = read_string(r, tok, err);
  } else if (c == '-' || is_digit(c)) {
    tok->kind = FEAST_JSON_NUMBER;
    rc = read_number(r, tok, err);
  } else if (c == 't') {
    rc = read_literal(r, "true", FEAST_JSON_TRUE, tok, err);
  } else if (c == 'f') {
    rc = read_literal(r, "false", FEAST_JSON_FALSE, tok, err);
  } else if (c == 'n') {
    rc = read_literal(r, "null", FEAST_JSON_NULL, tok, err);
  } else {
    return fail_here(r, FEAST_E_CORRUPT, err, "unexpected character '%c'", c >= 0x20 && c < 0x7F ? c : '?');
  }
  if (rc) return rc;
  r->state = ST_AFTER_VALUE;
  if (!r->depth) r->done = true;
  return FEAST_OK;
}

static feast_code close_container(feast_json_reader *r, feast_json_token *tok) {
  bool obj = r->in_object[--r->depth];
  r->p++;
  tok->kind = obj ? FEAST_JSON_OBJECT_END : FEAST_JSON_ARRAY_END;
  tok->str = "";
  tok->len = 0;
  r->state = ST_AFTER_VALUE;
  if (!r->depth) r->done = true;
  return FEAST_OK;
}

static feast_code read_key(feast_json_reader *r, feast_json_token *tok, feast_error *err) {
  if (r->p >= r->end || *r->p != '"') return fail_here(r, FEAST_E_CORRUPT, err, "expected a member name in double quotes");
  feast_code rc = read_string(r, tok, err);
  if (rc) return rc;
  tok->kind = FEAST_JSON_KEY;
  skip_space(r);
  if (r->p >= r->end || *r->p != ':') return fail_here(r, FEAST_E_CORRUPT, err, "expected ':' after a member name");
  r->p++;
  r->state = ST_VALUE;
  return FEAST_OK;
}

feast_code feast_json_next(feast_json_reader *r, feast_json_token *tok, feast_error *err) {
  skip_space(r);
  tok->offset = (size_t)(r->p - r->begin);
  if (r->done) {
    if (r->p < r->end) return fail_here(r, FEAST_E_CORRUPT, err, "unexpected text after the end of the document");
    tok->kind = FEAST_JSON_END;
    tok->str = "";
    tok->len = 0;
    return FEAST_OK;
  }
  switch (r->state) {
  case ST_ARRAY_FIRST:
    if (r->p < r->end && *r->p == ']') return close_container(r, tok);
    return read_value(r, tok, err);
  case ST_OBJECT_FIRST:
    if (r->p < r->end && *r->p == '}') return close_container(r, tok);
    return read_key(r, tok, err);
  case ST_OBJECT_KEY: return read_key(r, tok, err);
  case ST_AFTER_VALUE: {
    bool obj = r->in_object[r->depth - 1];
    if (r->p >= r->end)
      return fail_here(r, FEAST_E_CORRUPT, err, "unexpected end of input: %s not closed", obj ? "object" : "array");
    uint8_t c = *r->p;
    if (c == (obj ? '}' : ']')) return close_container(r, tok);
    if (c != ',') return fail_here(r, FEAST_E_CORRUPT, err, "expected ',' or '%c'", obj ? '}' : ']');
    r->p++;
    skip_space(r);
    tok->offset = (size_t)(r->p - r->begin);
    if (obj) return read_key(r, tok, err);
    return read_value(r, tok, err);
  }
  default: return read_value(r, tok, err);
  }
}

feast_code feast_json_skip(feast_json_reader *r, const feast_json_token *tok, feast_error *err) {
  if (tok->kind != FEAST_JSON_OBJECT && tok->kind != FEAST_JSON_ARRAY) return FEAST_OK;
  int target = r->depth - 1;
  feast_json_token t;
  do {
    feast_code rc = feast_json_next(r, &t, err);
    if (rc) return rc;
  } while (r->depth > target);
  return FEAST_OK;
}

/* ---- numbers ---- */

static bool integral_text(const char *s, size_t len) {
  size_t i = s[0] == '-' ? 1 : 0;
  if (i >= len) return false;
  for (; i < len; i++)
    if (!is_digit((uint8_t)s[i])) return false;
  return true;
}

bool feast_json_number_int64(const char *s, size_t len, int64_t *out) {
  if (!len || len > 20 || !integral_text(s, len)) return false;
  char tmp[24];
  memcpy(tmp, s, len);
  tmp[len] = 0;
  errno = 0;
  char *end;
  long long v = strtoll(tmp, &end, 10);
  if (errno || *end) return false;
  *out = v;
  return true;
}

bool feast_json_number_uint64(const char *s, size_t len, uint64_t *out) {
  if (!len || len > 20 || s[0] == '-' || !integral_text(s, len)) return false;
  char tmp[24];
  memcpy(tmp, s, len);
  tmp[len] = 0;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(tmp, &end, 10);
  if (errno || *end) return false;
  *out = v;
  return true;
}

bool feast_json_number_double(const char *s, size_t len, double *out) {
  char small[64];
  char *tmp = len < sizeof small ? small : feast_malloc(len + 1);
  if (!tmp) return false;
  memcpy(tmp, s, len);
  tmp[len] = 0;
  char *end;
  double v = strtod(tmp, &end);
  bool ok = len && *end == 0;
  if (tmp != small) feast_free(tmp);
  if (ok) *out = v;
  return ok;
}

/* ---- the tree ---- */

typedef struct builder {
  feast_json_reader r;
  feast_arena *arena;
  feast_error *err;
} builder;

static feast_code oom(feast_error *err) { return feast_fail(err, FEAST_E_NOMEM, "out of memory"); }

static char *arena_copy(feast_arena *a, const char *s, size_t n) {
  char *d = feast_arena_alloc(a, n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = 0;
  }
  return d;
}

/* Fill `v` from `tok` (its first token); recursion depth is bounded by the
 * reader's max_depth. */
static feast_code build(builder *b, const feast_json_token *tok, feast_json_value *v) {
  memset(v, 0, sizeof *v);
  v->kind = tok->kind;
  v->offset = tok->offset;
  if (tok->kind == FEAST_JSON_STRING || tok->kind == FEAST_JSON_NUMBER || tok->kind == FEAST_JSON_NULL ||
      tok->kind == FEAST_JSON_TRUE || tok->kind == FEAST_JSON_FALSE) {
    v->len = tok->len;
    v->str = arena_copy(b->arena, tok->str, tok->len);
    return v->str ? FEAST_OK : oom(b->err);
  }
  bool obj = tok->kind == FEAST_JSON_OBJECT;
  /* Members are collected in growing arrays and copied into the arena once
   * the container closes. */
  size_t n = 0, cap = 0;
  feast_json_value *items = NULL;
  const char **keys = NULL;
  size_t *klens = NULL;
  feast_code rc = FEAST_OK;
  for (;;) {
    feast_json_token t;
    if ((rc = feast_json_next(&b->r, &t, b->err))) break;
    if (t.kind == FEAST_JSON_OBJECT_END || t.kind == FEAST_JSON_ARRAY_END) break;
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 8;
      feast_json_value *ni = feast_realloc(items, nc * sizeof *ni);
      if (ni) items = ni;
      const char **nk = obj ? feast_realloc(keys, nc * sizeof *nk) : NULL;
      if (nk) keys = nk;
      size_t *nl = obj ? feast_realloc(klens, nc * sizeof *nl) : NULL;
      if (nl) klens = nl;
      if (!ni || (obj && (!nk || !nl))) {
        rc = oom(b->err);
        break;
      }
      cap = nc;
    }
    if (obj) {
      keys[n] = arena_copy(b->arena, t.str, t.len);
      klens[n] = t.len;
      if (!keys[n]) {
        rc = oom(b->err);
        break;
      }
      if ((rc = feast_json_next(&b->r, &t, b->err))) break;
    }
    if ((rc = build(b, &t, &items[n]))) break;
    n++;
  }
  if (!rc) {
    v->len = n;
    feast_json_value *ai = feast_arena_alloc(b->arena, (n ? n : 1) * sizeof *ai);
    const char **ak = obj ? feast_arena_alloc(b->arena, (n ? n : 1) * sizeof *ak) : NULL;
    size_t *al = obj ? feast_arena_alloc(b->arena, (n ? n : 1) * sizeof *al) : NULL;
    if (!ai || (obj && (!ak || !al))) {
      rc = oom(b->err);
    } else {
      if (n) memcpy(ai, items, n * sizeof *ai);
      v->items = ai;
      if (obj) {
        if (n) {
          memcpy(ak, keys, n * sizeof *ak);
          memcpy(al, klens, n * sizeof *al);
        }
        v->keys = ak;
        v->key_lens = al;
      }
    }
  }
  feast_free(items);
  feast_free(keys);
  feast_free(klens);
  return rc;
}

feast_code feast_json_parse(const void *data, size_t len, const char *name, const feast_json_limits *limits,
                            feast_arena *arena, const feast_json_value **out, feast_error *err) {
  builder b = {.arena = arena, .err = err};
  feast_code rc = feast_json_reader_init(&b.r, data, len, name, limits, err);
  feast_json_value *root = rc ? NULL : feast_arena_alloc(arena, sizeof *root);
  if (!rc && !root) rc = oom(err);
  feast_json_token t;
  if (!rc) rc = feast_json_next(&b.r, &t, err);
  if (!rc) rc = build(&b, &t, root);
  if (!rc) rc = feast_json_next(&b.r, &t, err); /* END, or trailing text */
  feast_json_reader_free(&b.r);
  if (!rc) *out = root;
  return rc;
}

const feast_json_value *feast_json_get(const feast_json_value *obj, const char *key) {
  if (!obj || obj->kind != FEAST_JSON_OBJECT) return NULL;
  size_t kl = strlen(key);
  for (size_t i = 0; i < obj->len; i++)
    if (obj->key_lens[i] == kl && memcmp(obj->keys[i], key, kl) == 0) return &obj->items[i];
  return NULL;
}

const char *feast_json_string_of(const feast_json_value *v) {
  return v && v->kind == FEAST_JSON_STRING ? v->str : NULL;
}
