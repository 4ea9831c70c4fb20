/*
 * output.c - see output.h. JSON is printed with two-space indents; YAML in
 * block style with strings quoted only where a plain scalar would be read
 * back as something else.
 */
#include "cli/output.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feast/json.h"
#include "feast/time.h"

static void *need(void *p) {
  if (!p) {
    fputs("feast: out of memory\n", stderr);
    exit(1);
  }
  return p;
}

ov *ov_new(ov_kind kind) {
  ov *v = need(calloc(1, sizeof *v));
  v->kind = kind;
  return v;
}

ov *ov_add(ov *parent, const char *key, ov_kind kind) {
  ov *v = ov_new(kind);
  if (key) v->key = need(strdup(key));
  if (parent->last)
    parent->last->next = v;
  else
    parent->first = v;
  parent->last = v;
  return v;
}

ov *ov_add_str(ov *parent, const char *key, const char *s) {
  ov *v = ov_add(parent, key, s ? OV_STR : OV_NULL);
  if (s) v->s = need(strdup(s));
  return v;
}

ov *ov_add_int(ov *parent, const char *key, long long i) {
  ov *v = ov_add(parent, key, OV_INT);
  v->i = i;
  return v;
}

ov *ov_add_bool(ov *parent, const char *key, bool b) {
  ov *v = ov_add(parent, key, OV_BOOL);
  v->i = b;
  return v;
}

void ov_free(ov *v) {
  while (v) {
    ov *next = v->next;
    ov_free(v->first);
    free(v->key);
    free(v->s);
    free(v);
    v = next;
  }
}

/* Through the library's one escaper; text that is not UTF-8 (a file name,
 * say) is printed with each bad byte as U+FFFD. */
static void json_str(FILE *out, const char *s) {
  char *q;
  feast_error err;
  if (feast_json_quote(s, strlen(s), true, &q, NULL, &err) != FEAST_OK) {
    fputs("feast: out of memory\n", stderr);
    exit(1);
  }
  fputs(q, out);
  free(q);
}

static void json(FILE *out, const ov *v, int indent) {
  switch (v->kind) {
    case OV_STR: json_str(out, v->s); return;
    case OV_INT: fprintf(out, "%lld", v->i); return;
    case OV_BOOL: fputs(v->i ? "true" : "false", out); return;
    case OV_NULL: fputs("null", out); return;
    default: break;
  }
  bool obj = v->kind == OV_OBJ;
  if (!v->first) {
    fputs(obj ? "{}" : "[]", out);
    return;
  }
  fputs(obj ? "{\n" : "[\n", out);
  for (const ov *c = v->first; c; c = c->next) {
    fprintf(out, "%*s", indent + 2, "");
    if (obj) {
      json_str(out, c->key);
      fputs(": ", out);
    }
    json(out, c, indent + 2);
    fputs(c->next ? ",\n" : "\n", out);
  }
  fprintf(out, "%*s%c", indent, "", obj ? '}' : ']');
}

/* Plain YAML scalars for simple words; quoted (JSON style, valid YAML)
 * for anything that could be misread. */
static void yaml_str(FILE *out, const char *s) {
  static const char *const words[] = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", NULL};
  bool plain = *s && strchr("-?:,[]{}#&*!|>'\"%@` 0123456789.+", *s) == NULL;
  for (const char *p = s; plain && *p; p++)
    plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("_-./", *p);
  for (int i = 0; plain && words[i]; i++) plain = strcasecmp(s, words[i]) != 0;
  if (plain)
    fputs(s, out);
  else
    json_str(out, s);
}

static bool yaml_leaf(const ov *v) { return (v->kind != OV_OBJ && v->kind != OV_LIST) || !v->first; }

static void yaml_leaf_print(FILE *out, const ov *v) {
  switch (v->kind) {
    case OV_STR: yaml_str(out, v->s); break;
    case OV_INT: fprintf(out, "%lld", v->i); break;
    case OV_BOOL: fputs(v->i ? "true" : "false", out); break;
    case OV_NULL: fputs("null", out); break;
    case OV_OBJ: fputs("{}", out); break;
    case OV_LIST: fputs("[]", out); break;
  }
}

/* Children of a container at `indent`; the first line's indent is already
 * printed when `first_inline`. */
static void yaml_children(FILE *out, const ov *v, int indent, bool first_inline) {
  for (const ov *c = v->first; c; c = c->next) {
    if (!(first_inline && c == v->first)) fprintf(out, "%*s", indent, "");
    if (v->kind == OV_OBJ) {
      yaml_str(out, c->key);
      fputc(':', out);
      if (yaml_leaf(c)) {
        fputc(' ', out);
        yaml_leaf_print(out, c);
        fputc('\n', out);
      } else {
        fputc('\n', out);
        yaml_children(out, c, c->kind == OV_LIST ? indent : indent + 2, false);
      }
    } else {
      fputs("- ", out);
      if (yaml_leaf(c)) {
        yaml_leaf_print(out, c);
        fputc('\n', out);
      } else {
        yaml_children(out, c, indent + 2, true);
      }
    }
  }
}

void ov_print(FILE *out, const ov *v, cli_format fmt) {
  if (fmt == CLI_JSON) {
    json(out, v, 0);
    fputc('\n', out);
  } else if (yaml_leaf(v)) {
    yaml_leaf_print(out, v);
    fputc('\n', out);
  } else {
    yaml_children(out, v, 0, false);
  }
}

void cli_table_init(cli_table *t, int ncols, const char *const *headers) {
  t->ncols = ncols;
  t->nrows = 0;
  t->cells = NULL;
  cli_table_add(t, headers);
}

void cli_table_add(cli_table *t, const char *const *cells) {
  t->cells = need(realloc(t->cells, (size_t)(t->nrows + 1) * (size_t)t->ncols * sizeof *t->cells));
  for (int i = 0; i < t->ncols; i++)
    t->cells[t->nrows * t->ncols + i] = need(strdup(cells[i] ? cells[i] : ""));
  t->nrows++;
}

void cli_table_print(FILE *out, const cli_table *t) {
  int width[32] = {0};
  for (int r = 0; r < t->nrows; r++)
    for (int c = 0; c < t->ncols && c < 32; c++) {
      int w = (int)strlen(t->cells[r * t->ncols + c]);
      if (w > width[c]) width[c] = w;
    }
  for (int r = 0; r < t->nrows; r++) {
    for (int c = 0; c < t->ncols; c++) {
      const char *cell = t->cells[r * t->ncols + c];
      if (c == t->ncols - 1)
        fprintf(out, "%s\n", cell);
      else
        fprintf(out, "%-*s  ", c < 32 ? width[c] : 0, cell);
    }
  }
}

void cli_table_free(cli_table *t) {
  for (int i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i]);
  free(t->cells);
  t->cells = NULL;
  t->nrows = 0;
}

const char *cli_ts(long long ts, char *buf) { return feast_ts_format((feast_ts)ts, buf, FEAST_TS_STRLEN); }
