/*
 * metadata.h - the parts of Parquet's FileMetaData and PageHeader the reader
 * uses, decoded from Thrift into plain structs. All strings and byte fields
 * point into one arena owned by the pq_meta (or, for page headers, into the
 * header bytes), so freeing is one call.
 */
#ifndef FEAST_PARQUET_METADATA_H
#define FEAST_PARQUET_METADATA_H

#include <stdint.h>

#include "base/arena.h"
#include "feast/error.h"

typedef struct pq_bytes {
  const uint8_t *p;
  uint32_t len;
  int set;
} pq_bytes;

typedef struct pq_schema_elem {
  const char *name;
  int type;             /* pq_type or -1 for groups */
  int type_length;
  int repetition;       /* pq_repetition, -1 when unset (root) */
  int num_children;
  int converted;        /* pq_converted_type, PQ_CT_NONE */
  int scale, precision;
  int logical;          /* pq_logical_type, PQ_LT_NONE */
  int lt_bit_width, lt_signed;      /* INTEGER */
  int lt_unit;                      /* TIME/TIMESTAMP: 0 ms, 1 us, 2 ns */
  int lt_utc;                       /* TIME/TIMESTAMP isAdjustedToUTC */
  int lt_scale, lt_precision;       /* DECIMAL */
} pq_schema_elem;

typedef struct pq_chunk_meta {
  int type;
  int codec;
  int64_t num_values;
  int64_t total_uncompressed, total_compressed;
  int64_t data_page_offset, dict_page_offset; /* dict -1 when unset */
  int64_t file_offset;
  pq_bytes min, max;  /* statistics min_value/max_value, else legacy min/max */
  int64_t null_count; /* -1 unknown */
  int nencodings;
  int path_len;
  const char *path0; /* first path element */
} pq_chunk_meta;

typedef struct pq_row_group {
  int64_t num_rows;
  int64_t total_byte_size;
  int ncolumns;
  pq_chunk_meta *columns;
} pq_row_group;

typedef struct pq_kv {
  const char *key, *value; /* value NULL when unset */
} pq_kv;

typedef struct pq_meta {
  feast_arena *arena;
  int version;
  int64_t num_rows;
  int nschema;
  pq_schema_elem *schema;
  int nrow_groups;
  pq_row_group *row_groups;
  int nkv;
  pq_kv *kv;
  const char *created_by;
  int encrypted_footer_hint;
} pq_meta;

typedef struct pq_page_header {
  int type;
  int32_t uncompressed_size, compressed_size;
  /* data page v1 / v2 / dictionary */
  int32_t num_values;
  int32_t num_nulls, num_rows; /* v2 */
  int encoding;
  int def_encoding, rep_encoding; /* v1 */
  int32_t def_len, rep_len;       /* v2 */
  int is_compressed;              /* v2, default true */
  int has_data_header;
} pq_page_header;

/* Decode a footer of `len` bytes. Limits: schema elements, row groups and
 * columns are capped (FEAST_E_TOO_BIG); malformed Thrift is FEAST_E_CORRUPT. */
feast_code pq_meta_parse(const uint8_t *p, size_t len, pq_meta **out, feast_error *err);
void pq_meta_free(pq_meta *m);

/* Decode a page header at p; *hdr_len gets its encoded size. */
feast_code pq_page_header_parse(const uint8_t *p, size_t len, pq_page_header *h, size_t *hdr_len, feast_error *err);

#endif
