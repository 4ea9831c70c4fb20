/*
 * specfile.h - spec files: YAML or JSON documents in Feast 0.9's
 * protobuf-JSON form (`spec:` holding an EntitySpecV2 or FeatureTableSpec),
 * several per file separated by `---`. camelCase and snake_case keys are both
 * accepted, durations are "3600s", enums are given by name. Parsing checks
 * shape (known keys, right kinds of values); feast_specs_validate checks the
 * rules of Feast Core.
 */
#ifndef FEAST_SPECFILE_H
#define FEAST_SPECFILE_H

#include <stddef.h>

#include "feast/error.h"
#include "feast/export.h"
#include "feast/spec.h"

typedef enum feast_doc_kind { FEAST_DOC_ENTITY = 1, FEAST_DOC_FEATURE_TABLE = 2 } feast_doc_kind;

typedef struct feast_spec_doc {
  feast_doc_kind kind;
  char *file;  /* the path it came from (owned), for messages */
  int index;   /* 1-based document number within the file */
  int line;    /* 1-based line where the document starts */
  feast_entity_spec entity;       /* when kind == FEAST_DOC_ENTITY */
  feast_feature_table_spec table; /* when kind == FEAST_DOC_FEATURE_TABLE */
} feast_spec_doc;

typedef struct feast_spec_docs {
  size_t n;
  feast_spec_doc *docs; /* owned */
} feast_spec_docs;

FEAST_API void feast_spec_docs_clear(feast_spec_docs *docs);

/* Parse a file (YAML or JSON) and append its documents to `docs`. On error
 * nothing is appended and the message names file, document, line and field. */
FEAST_API feast_code feast_specfile_parse(const char *path, feast_spec_docs *docs, feast_error *err);
/* The same for text in memory; `name` is used in messages. */
FEAST_API feast_code feast_specfile_parse_text(const char *text, size_t len, const char *name, feast_spec_docs *docs,
                                               feast_error *err);

typedef enum feast_spec_format { FEAST_SPEC_YAML = 0, FEAST_SPEC_JSON = 1 } feast_spec_format;

/* Print specs in the form they are read back in (round trip: parse(emit(x))
 * == x). *out is NUL-terminated text; the caller owns *out: release it with
 * free(). */
FEAST_API feast_code feast_entity_emit(const feast_entity_spec *e, feast_spec_format fmt, char **out, feast_error *err);
FEAST_API feast_code feast_feature_table_emit(const feast_feature_table_spec *t, feast_spec_format fmt, char **out,
                                              feast_error *err);

/* What validation needs to know about the registry: does entity `name`
 * exist in the project, and with which type. Returns FEAST_VT_INVALID when
 * it does not. */
typedef feast_value_type (*feast_entity_lookup)(void *ctx, const char *name);

/* Validate documents against Feast Core's rules and, unless
 * skip_source_check, check that each source can supply every entity,
 * feature and timestamp column with a compatible type (Avro schema, protobuf
 * descriptor, Parquet footers; unreadable Parquet files are a problem).
 * Entities defined earlier in `docs` count as existing. Every problem is reported, one per line, each
 * naming file, document and field; returns FEAST_E_VALIDATION if any. */
FEAST_API feast_code feast_specs_validate(const feast_spec_docs *docs, feast_entity_lookup lookup, void *ctx,
                                          bool skip_source_check, feast_error *err);

/* Equality of specs as stored (labels compared as maps). */
FEAST_API bool feast_entity_spec_equal(const feast_entity_spec *a, const feast_entity_spec *b);
FEAST_API bool feast_feature_table_spec_equal(const feast_feature_table_spec *a, const feast_feature_table_spec *b);
/* Deep copies (dst is overwritten, not cleared). */
FEAST_API feast_code feast_entity_spec_copy(feast_entity_spec *dst, const feast_entity_spec *src, feast_error *err);
FEAST_API feast_code feast_feature_table_spec_copy(feast_feature_table_spec *dst, const feast_feature_table_spec *src,
                                                   feast_error *err);

#endif
