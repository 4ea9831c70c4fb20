/*
 * xml_reader.h - a small XML reader for the documents web services answer
 * with (S3's ListObjectsV2 and multipart replies, AWS error bodies): a pull
 * tokenizer and a tree built on it in an arena.
 *
 * What it reads: elements, attributes (checked, then dropped), character
 * data with the five predefined entities and numeric character references
 * decoded, CDATA sections, comments and processing instructions (skipped).
 * What it refuses: DOCTYPE (so no entity definitions and no expansion
 * bombs), mismatched or unclosed tags, bytes after the root element.
 * Depth, input size and text length are capped: a cap is FEAST_E_TOO_BIG,
 * bad syntax FEAST_E_CORRUPT; every message names the document, line and
 * column. Names are compared with their namespace prefix dropped.
 */
#ifndef FEAST_FORMAT_XML_READER_H
#define FEAST_FORMAT_XML_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/buf.h"
#include "feast/error.h"

typedef struct feast_xml_limits {
  int max_depth;    /* elements open at once; 0 = 64 */
  size_t max_input; /* bytes of the document; 0 = 64 MiB */
  size_t max_text;  /* bytes of one decoded text run; 0 = 16 MiB */
} feast_xml_limits;

typedef enum feast_xml_kind {
  FEAST_XML_END = 0, /* the document is complete */
  FEAST_XML_START,   /* <name ...>  (also for <name/>, followed by its CLOSE) */
  FEAST_XML_CLOSE,   /* </name> */
  FEAST_XML_TEXT     /* character data, decoded; may be whitespace only */
} feast_xml_kind;

typedef struct feast_xml_token {
  feast_xml_kind kind;
  const char *str; /* START/CLOSE: the name (prefix kept); TEXT: the text. Borrowed until the next call. */
  size_t len;
  size_t offset;   /* where the token starts in the input */
} feast_xml_token;

typedef struct feast_xml_reader {
  /* private */
  const char *name;
  const char *begin, *p, *end;
  int depth, max_depth;
  size_t max_text;
  bool seen_root, pending_close;
  feast_buf stack;   /* open element names, NUL-separated */
  feast_buf scratch; /* the current token's text */
} feast_xml_reader;

/* `data` is not copied and must outlive the reader; `name` (borrowed) names
 * the document in messages. `limits` may be NULL. */
feast_code feast_xml_reader_init(feast_xml_reader *r, const void *data, size_t len, const char *name,
                                 const feast_xml_limits *limits, feast_error *err);
void feast_xml_reader_free(feast_xml_reader *r);
feast_code feast_xml_next(feast_xml_reader *r, feast_xml_token *tok, feast_error *err);

/* ---- the tree ---- */

typedef struct feast_xml_node feast_xml_node;
struct feast_xml_node {
  const char *name;  /* local name, prefix dropped; NUL-terminated */
  const char *text;  /* the character data directly inside, concatenated; "" when none */
  size_t text_len;
  size_t offset;
  const feast_xml_node *first_child;
  const feast_xml_node *next; /* the next sibling */
};

/* Parse a whole document into `arena`; *root is the root element, valid
 * until the arena is reset or freed. */
feast_code feast_xml_parse(const void *data, size_t len, const char *name, const feast_xml_limits *limits,
                           feast_arena *arena, const feast_xml_node **root, feast_error *err);

/* The first child element with this local name, or NULL. */
const feast_xml_node *feast_xml_child(const feast_xml_node *n, const char *name);
/* The following sibling with the same name as `n` (for repeated elements). */
const feast_xml_node *feast_xml_next_named(const feast_xml_node *n);
/* The text of child `name`, or NULL when there is no such child. */
const char *feast_xml_child_text(const feast_xml_node *n, const char *name);

#endif
