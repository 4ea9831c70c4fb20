/*
 * xml_reader.c - the XML tokenizer and tree (see xml_reader.h). One pass,
 * no recursion: open elements live on an explicit stack capped by
 * max_depth, so hostile nesting cannot exhaust the C stack.
 */
#include "format/xml/xml_reader.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

#define DEFAULT_DEPTH 64
#define DEFAULT_INPUT ((size_t)64 << 20)
#define DEFAULT_TEXT ((size_t)16 << 20)

static feast_code fail_at(const feast_xml_reader *r, const char *at, feast_code code, feast_error *err,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static feast_code fail_at(const feast_xml_reader *r, const char *at, feast_code code, feast_error *err,
                          const char *fmt, ...) {
  long line = 1, col = 1;
  for (const char *p = r->begin; p < at && p < r->end; p++) {
    if (*p == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return feast_fail(err, code, "%s: line %ld, column %ld: %s", r->name, line, col, msg);
}

feast_code feast_xml_reader_init(feast_xml_reader *r, const void *data, size_t len, const char *name,
                                 const feast_xml_limits *limits, feast_error *err) {
  memset(r, 0, sizeof *r);
  r->name = name ? name : "XML document";
  r->begin = r->p = data ? (const char *)data : "";
  r->end = r->begin + (data ? len : 0);
  r->max_depth = limits && limits->max_depth > 0 ? limits->max_depth : DEFAULT_DEPTH;
  size_t max_input = limits && limits->max_input ? limits->max_input : DEFAULT_INPUT;
  r->max_text = limits && limits->max_text ? limits->max_text : DEFAULT_TEXT;
  feast_buf_init(&r->stack, FEAST_BUF_UNLIMITED);
  feast_buf_init(&r->scratch, r->max_text + 1);
  if (len > max_input)
    return feast_fail(err, FEAST_E_TOO_BIG, "%s: %zu bytes is over the limit of %zu", r->name, len, max_input);
  return FEAST_OK;
}

void feast_xml_reader_free(feast_xml_reader *r) {
  feast_buf_free(&r->stack);
  feast_buf_free(&r->scratch);
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static bool name_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}
static bool name_char(unsigned char c) { return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

static bool starts(const feast_xml_reader *r, const char *p, const char *lit) {
  size_t n = strlen(lit);
  return (size_t)(r->end - p) >= n && memcmp(p, lit, n) == 0;
}

static const char *find(const feast_xml_reader *r, const char *p, const char *lit) {
  size_t n = strlen(lit);
  for (; (size_t)(r->end - p) >= n; p++)
    if (memcmp(p, lit, n) == 0) return p;
  return NULL;
}

/* The top of the element stack: the last NUL-terminated name. */
static const char *top_name(const feast_xml_reader *r, size_t *len) {
  const char *s = (const char *)r->stack.data, *e = s + r->stack.len - 1; /* at the final NUL */
  const char *b = e;
  while (b > s && b[-1] != '\0') b--;
  *len = (size_t)(e - b);
  return b;
}

static void pop_name(feast_xml_reader *r) {
  size_t len;
  top_name(r, &len);
  r->stack.len -= len + 1;
  r->depth--;
}

static feast_code append_utf8(feast_buf *b, uint32_t cp, feast_error *err) {
  uint8_t u[4];
  size_t n;
  if (cp < 0x80) {
    u[0] = (uint8_t)cp;
    n = 1;
  } else if (cp < 0x800) {
    u[0] = (uint8_t)(0xC0 | (cp >> 6));
    u[1] = (uint8_t)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    u[0] = (uint8_t)(0xE0 | (cp >> 12));
    u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (uint8_t)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    u[0] = (uint8_t)(0xF0 | (cp >> 18));
    u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (uint8_t)(0x80 | (cp & 0x3F));
    n = 4;
  }
  return feast_buf_append(b, u, n, err);
}

static bool xml_char(uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF);
}

static feast_code too_big_text(const feast_xml_reader *r, const char *at, feast_error *err) {
  return fail_at(r, at, FEAST_E_TOO_BIG, err, "text longer than the limit of %zu bytes", r->max_text);
}

/* Decode s[0..n) (entities and character references) onto r->scratch. */
static feast_code decode_text(feast_xml_reader *r, const char *s, size_t n, feast_error *err) {
  const char *p = s, *e = s + n;
  while (p < e) {
    const char *amp = memchr(p, '&', (size_t)(e - p));
    const char *run_end = amp ? amp : e;
    if (r->scratch.len + (size_t)(run_end - p) > r->max_text) return too_big_text(r, p, err);
    if (feast_buf_append(&r->scratch, p, (size_t)(run_end - p), err)) return err ? err->code : FEAST_E_NOMEM;
    if (!amp) break;
    const char *semi = memchr(amp, ';', (size_t)(e - amp) < 12 ? (size_t)(e - amp) : 12);
    if (!semi) return fail_at(r, amp, FEAST_E_CORRUPT, err, "'&' that starts no entity");
    const char *ent = amp + 1;
    size_t elen = (size_t)(semi - ent);
    feast_code rc = FEAST_OK;
    if (elen == 2 && memcmp(ent, "lt", 2) == 0) rc = feast_buf_append_byte(&r->scratch, '<', err);
    else if (elen == 2 && memcmp(ent, "gt", 2) == 0) rc = feast_buf_append_byte(&r->scratch, '>', err);
    else if (elen == 3 && memcmp(ent, "amp", 3) == 0) rc = feast_buf_append_byte(&r->scratch, '&', err);
    else if (elen == 4 && memcmp(ent, "quot", 4) == 0) rc = feast_buf_append_byte(&r->scratch, '"', err);
    else if (elen == 4 && memcmp(ent, "apos", 4) == 0) rc = feast_buf_append_byte(&r->scratch, '\'', err);
    else if (elen >= 2 && ent[0] == '#') {
      bool hex = ent[1] == 'x';
      const char *d = ent + (hex ? 2 : 1);
      if (d == semi) return fail_at(r, amp, FEAST_E_CORRUPT, err, "empty character reference");
      uint32_t cp = 0;
      for (; d < semi; d++) {
        int v;
        if (*d >= '0' && *d <= '9') v = *d - '0';
        else if (hex && *d >= 'a' && *d <= 'f') v = *d - 'a' + 10;
        else if (hex && *d >= 'A' && *d <= 'F') v = *d - 'A' + 10;
        else return fail_at(r, amp, FEAST_E_CORRUPT, err, "bad character reference");
        cp = cp * (hex ? 16 : 10) + (uint32_t)v;
        if (cp > 0x10FFFF) return fail_at(r, amp, FEAST_E_CORRUPT, err, "character reference out of range");
      }
      if (!xml_char(cp)) return fail_at(r, amp, FEAST_E_CORRUPT, err, "character reference to U+%X", cp);
      rc = append_utf8(&r->scratch, cp, err);
    } else {
      return fail_at(r, amp, FEAST_E_CORRUPT, err, "unknown entity &%.*s;", (int)elen, ent);
    }
    if (rc) return rc;
    if (r->scratch.len > r->max_text) return too_big_text(r, amp, err);
    p = semi + 1;
  }
  return FEAST_OK;
}

/* Skip comments, processing instructions and whitespace (the prolog, the
 * end of the document). Returns false on a malformed construct. */
static feast_code skip_misc(feast_xml_reader *r, bool allow_space, feast_error *err) {
  for (;;) {
    while (allow_space && r->p < r->end && is_space(*r->p)) r->p++;
    if (starts(r, r->p, "<!--")) {
      const char *e = find(r, r->p + 4, "-->");
      if (!e) return fail_at(r, r->p, FEAST_E_CORRUPT, err, "unterminated comment");
      r->p = e + 3;
    } else if (starts(r, r->p, "<?")) {
      const char *e = find(r, r->p + 2, "?>");
      if (!e) return fail_at(r, r->p, FEAST_E_CORRUPT, err, "unterminated processing instruction");
      r->p = e + 2;
    } else {
      return FEAST_OK;
    }
  }
}

static const char *scan_name(const feast_xml_reader *r, const char *p) {
  if (p >= r->end || !name_start((unsigned char)*p)) return NULL;
  while (p < r->end && name_char((unsigned char)*p)) p++;
  return p;
}

static feast_code start_tag(feast_xml_reader *r, feast_xml_token *tok, feast_error *err) {
  const char *lt = r->p;
  const char *name = lt + 1, *name_end = scan_name(r, name);
  if (!name_end) return fail_at(r, lt, FEAST_E_CORRUPT, err, "'<' not followed by a name");
  const char *p = name_end;
  bool self_closing = false;
  for (;;) {
    const char *ws = p;
    while (p < r->end && is_space(*p)) p++;
    if (p >= r->end) return fail_at(r, lt, FEAST_E_CORRUPT, err, "unterminated tag <%.*s", (int)(name_end - name), name);
    if (*p == '>') {
      p++;
      break;
    }
    if (*p == '/') {
      if (p + 1 >= r->end || p[1] != '>') return fail_at(r, p, FEAST_E_CORRUPT, err, "'/' not followed by '>'");
      p += 2;
      self_closing = true;
      break;
    }
    if (p == ws) return fail_at(r, p, FEAST_E_CORRUPT, err, "attribute not separated by space");
    const char *an_end = scan_name(r, p);
    if (!an_end) return fail_at(r, p, FEAST_E_CORRUPT, err, "bad attribute name");
    p = an_end;
    while (p < r->end && is_space(*p)) p++;
    if (p >= r->end || *p != '=') return fail_at(r, p, FEAST_E_CORRUPT, err, "attribute without '='");
    p++;
    while (p < r->end && is_space(*p)) p++;
    if (p >= r->end || (*p != '"' && *p != '\'')) return fail_at(r, p, FEAST_E_CORRUPT, err, "unquoted attribute value");
    char q = *p++;
    const char *vend = memchr(p, q, (size_t)(r->end - p));
    if (!vend) return fail_at(r, p, FEAST_E_CORRUPT, err, "unterminated attribute value");
    if (memchr(p, '<', (size_t)(vend - p))) return fail_at(r, p, FEAST_E_CORRUPT, err, "'<' in an attribute value");
    feast_buf_reset(&r->scratch);
    feast_code rc = decode_text(r, p, (size_t)(vend - p), err); /* checked, then dropped */
    if (rc) return rc;
    p = vend + 1;
  }
  if (r->depth >= r->max_depth)
    return fail_at(r, lt, FEAST_E_TOO_BIG, err, "elements nested deeper than the limit of %d", r->max_depth);
  size_t nlen = (size_t)(name_end - name);
  feast_code rc = feast_buf_append(&r->stack, name, nlen, err);
  if (!rc) rc = feast_buf_append_byte(&r->stack, 0, err);
  if (rc) return rc;
  r->depth++;
  r->seen_root = true;
  r->p = p;
  r->pending_close = self_closing;
  size_t len;
  tok->kind = FEAST_XML_START;
  tok->str = top_name(r, &len);
  tok->len = len;
  tok->offset = (size_t)(lt - r->begin);
  return FEAST_OK;
}

static feast_code end_tag(feast_xml_reader *r, feast_xml_token *tok, feast_error *err) {
  const char *lt = r->p;
  const char *name = lt + 2, *name_end = scan_name(r, name);
  if (!name_end) return fail_at(r, lt, FEAST_E_CORRUPT, err, "'</' not followed by a name");
  const char *p = name_end;
  while (p < r->end && is_space(*p)) p++;
  if (p >= r->end || *p != '>') return fail_at(r, lt, FEAST_E_CORRUPT, err, "unterminated end tag");
  size_t top_len;
  const char *top = top_name(r, &top_len);
  size_t nlen = (size_t)(name_end - name);
  if (nlen != top_len || memcmp(name, top, nlen) != 0)
    return fail_at(r, lt, FEAST_E_CORRUPT, err, "</%.*s> closes <%.*s>", (int)nlen, name, (int)top_len, top);
  feast_buf_reset(&r->scratch);
  feast_buf_append(&r->scratch, name, nlen, NULL);
  feast_buf_cstr(&r->scratch, NULL);
  pop_name(r);
  r->p = p + 1;
  tok->kind = FEAST_XML_CLOSE;
  tok->str = (const char *)r->scratch.data;
  tok->len = nlen;
  tok->offset = (size_t)(lt - r->begin);
  return FEAST_OK;
}

feast_code feast_xml_next(feast_xml_reader *r, feast_xml_token *tok, feast_error *err) {
  memset(tok, 0, sizeof *tok);
  if (r->pending_close) {
    r->pending_close = false;
    size_t len;
    const char *top = top_name(r, &len);
    feast_buf_reset(&r->scratch);
    if (feast_buf_append(&r->scratch, top, len, err)) return err ? err->code : FEAST_E_NOMEM;
    feast_buf_cstr(&r->scratch, NULL);
    pop_name(r);
    tok->kind = FEAST_XML_CLOSE;
    tok->str = (const char *)r->scratch.data;
    tok->len = len;
    tok->offset = (size_t)(r->p - r->begin);
    return FEAST_OK;
  }
  for (;;) {
    if (r->depth == 0) {
      feast_code rc = skip_misc(r, true, err);
      if (rc) return rc;
      if (r->p >= r->end) {
        if (!r->seen_root) return fail_at(r, r->p, FEAST_E_CORRUPT, err, "no root element");
        tok->kind = FEAST_XML_END;
        tok->offset = (size_t)(r->p - r->begin);
        return FEAST_OK;
      }
      if (r->seen_root) return fail_at(r, r->p, FEAST_E_CORRUPT, err, "content after the root element");
      if (starts(r, r->p, "<!")) return fail_at(r, r->p, FEAST_E_CORRUPT, err, "DOCTYPE and declarations are not accepted");
      if (*r->p != '<') return fail_at(r, r->p, FEAST_E_CORRUPT, err, "text outside the root element");
      return start_tag(r, tok, err);
    }
    if (r->p >= r->end) {
      size_t len;
      const char *top = top_name(r, &len);
      return fail_at(r, r->p, FEAST_E_CORRUPT, err, "document ends inside <%.*s>", (int)len, top);
    }
    if (*r->p != '<') {
      const char *s = r->p;
      const char *lt = memchr(s, '<', (size_t)(r->end - s));
      const char *e = lt ? lt : r->end;
      feast_buf_reset(&r->scratch);
      feast_code rc = decode_text(r, s, (size_t)(e - s), err);
      if (rc) return rc;
      if (!feast_buf_cstr(&r->scratch, err)) return err ? err->code : FEAST_E_NOMEM;
      r->p = e;
      tok->kind = FEAST_XML_TEXT;
      tok->str = (const char *)r->scratch.data;
      tok->len = r->scratch.len;
      tok->offset = (size_t)(s - r->begin);
      return FEAST_OK;
    }
    if (starts(r, r->p, "<!--") || starts(r, r->p, "<?")) {
      feast_code rc = skip_misc(r, false, err);
      if (rc) return rc;
      continue;
    }
    if (starts(r, r->p, "<![CDATA[")) {
      const char *s = r->p + 9;
      const char *e = find(r, s, "]]>");
      if (!e) return fail_at(r, r->p, FEAST_E_CORRUPT, err, "unterminated CDATA section");
      if ((size_t)(e - s) > r->max_text) return too_big_text(r, s, err);
      feast_buf_reset(&r->scratch);
      if (feast_buf_append(&r->scratch, s, (size_t)(e - s), err) || !feast_buf_cstr(&r->scratch, err))
        return err ? err->code : FEAST_E_NOMEM;
      tok->kind = FEAST_XML_TEXT;
      tok->str = (const char *)r->scratch.data;
      tok->len = r->scratch.len;
      tok->offset = (size_t)(r->p - r->begin);
      r->p = e + 3;
      return FEAST_OK;
    }
    if (starts(r, r->p, "<!")) return fail_at(r, r->p, FEAST_E_CORRUPT, err, "declarations are not accepted");
    if (starts(r, r->p, "</")) return end_tag(r, tok, err);
    return start_tag(r, tok, err);
  }
}

/* ---- the tree ---- */

static const char *local_name(const char *s, size_t n, size_t *out_len) {
  const char *colon = memchr(s, ':', n);
  if (colon && colon + 1 < s + n) {
    *out_len = n - (size_t)(colon + 1 - s);
    return colon + 1;
  }
  *out_len = n;
  return s;
}

typedef struct open_node {
  feast_xml_node *node;
  feast_xml_node *last_child;
  feast_buf text;
} open_node;

feast_code feast_xml_parse(const void *data, size_t len, const char *name, const feast_xml_limits *limits,
                           feast_arena *arena, const feast_xml_node **root, feast_error *err) {
  *root = NULL;
  feast_xml_reader r;
  feast_code rc = feast_xml_reader_init(&r, data, len, name, limits, err);
  open_node *stack = NULL;
  if (!rc) {
    stack = feast_calloc((size_t)r.max_depth + 1, sizeof *stack);
    if (!stack) rc = feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", r.name);
  }
  int depth = 0;
  feast_xml_node *top = NULL;
  while (!rc) {
    feast_xml_token t;
    rc = feast_xml_next(&r, &t, err);
    if (rc || t.kind == FEAST_XML_END) break;
    if (t.kind == FEAST_XML_START) {
      feast_xml_node *n = feast_arena_calloc(arena, sizeof *n);
      size_t ln;
      const char *l = local_name(t.str, t.len, &ln);
      char *nm = n ? feast_arena_strndup(arena, l, ln) : NULL;
      if (!nm) {
        rc = feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", r.name);
        break;
      }
      n->name = nm;
      n->text = "";
      n->offset = t.offset;
      if (depth == 0) {
        top = n;
      } else {
        open_node *parent = &stack[depth - 1];
        if (parent->last_child) parent->last_child->next = n;
        else parent->node->first_child = n;
        parent->last_child = n;
      }
      stack[depth].node = n;
      stack[depth].last_child = NULL;
      feast_buf_init(&stack[depth].text, r.max_text);
      depth++;
    } else if (t.kind == FEAST_XML_TEXT) {
      rc = feast_buf_append(&stack[depth - 1].text, t.str, t.len, err);
    } else { /* CLOSE */
      open_node *o = &stack[depth - 1];
      if (o->text.len) {
        char *txt = feast_arena_strndup(arena, (const char *)o->text.data, o->text.len);
        if (!txt) {
          rc = feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", r.name);
          break;
        }
        o->node->text = txt;
        o->node->text_len = o->text.len;
      }
      feast_buf_free(&o->text);
      depth--;
    }
  }
  for (int i = 0; i < depth; i++) feast_buf_free(&stack[i].text);
  feast_free(stack);
  feast_xml_reader_free(&r);
  if (!rc) *root = top;
  return rc;
}

const feast_xml_node *feast_xml_child(const feast_xml_node *n, const char *name) {
  if (!n) return NULL;
  for (const feast_xml_node *c = n->first_child; c; c = c->next)
    if (strcmp(c->name, name) == 0) return c;
  return NULL;
}

const feast_xml_node *feast_xml_next_named(const feast_xml_node *n) {
  if (!n) return NULL;
  for (const feast_xml_node *c = n->next; c; c = c->next)
    if (strcmp(c->name, n->name) == 0) return c;
  return NULL;
}

const char *feast_xml_child_text(const feast_xml_node *n, const char *name) {
  const feast_xml_node *c = feast_xml_child(n, name);
  return c ? c->text : NULL;
}
