/*
 * writer_internal.h - the Parquet writer's parts: how a feast column maps
 * to a Parquet leaf (writer_schema.c), min/max statistics (writer_stats.c),
 * and the per-column chunk builder that turns array rows into encoded,
 * compressed pages (writer_column.c). writer.c drives them per row group.
 */
#ifndef FEAST_PARQUET_WRITER_INTERNAL_H
#define FEAST_PARQUET_WRITER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "feast/array.h"
#include "feast/parquet_writer.h"
#include "format/parquet/encode.h"
#include "format/parquet/thrift_write.h"

/* How statistics compare values (Parquet's sort orders per logical type). */
typedef enum pq_stat_kind {
  PQ_ST_BOOL,
  PQ_ST_SIGNED,   /* integers, dates, times, timestamps */
  PQ_ST_UNSIGNED, /* uint8..uint64 */
  PQ_ST_FLOAT,
  PQ_ST_DOUBLE,
  PQ_ST_FLOAT16,
  PQ_ST_BYTES,    /* unsigned lexicographic: strings, binary, fixed binary */
  PQ_ST_DECIMAL   /* big-endian two's complement, same width */
} pq_stat_kind;

/* The Parquet leaf a feast (element) type becomes. */
typedef struct pq_leaf {
  feast_dtype dtype; /* the feast type of the values (list element type for lists) */
  int phys;          /* enum pq_type */
  int type_length;   /* FIXED_LEN_BYTE_ARRAY width */
  pq_stat_kind stat;
  int64_t scale;     /* multiply values by this (1, or 1000 for seconds -> millis) */
} pq_leaf;

/* Map a leaf type; FEAST_E_UNSUPPORTED names the column when Parquet
 * cannot hold it. */
feast_code pq_leaf_for(const char *column, feast_dtype t, pq_leaf *out, feast_error *err);
/* Append the SchemaElements of one column (1 for scalars, 3 for lists). */
void pq_schema_write(tw *w, const char *name, feast_dtype type, const pq_leaf *leaf);
/* Number of SchemaElements the column needs. */
int pq_schema_count(feast_dtype type);

typedef struct pq_stats {
  pq_stat_kind kind;
  bool has_minmax;
  int64_t null_count;
  union {
    int64_t i;
    uint64_t u;
    double d;
  } min, max;
  uint16_t hmin, hmax; /* FLOAT16 raw bits of min and max */
  feast_buf bmin, bmax; /* BYTES / DECIMAL */
  bool neg_zero_min, pos_zero_max;
} pq_stats;

void pq_stats_init(pq_stats *s, pq_stat_kind kind);
void pq_stats_free(pq_stats *s);
void pq_stats_reset(pq_stats *s);
static inline void pq_stats_int(pq_stats *s, int64_t v) {
  if (!s->has_minmax) {
    s->min.i = s->max.i = v;
    s->has_minmax = true;
  } else if (v < s->min.i) {
    s->min.i = v;
  } else if (v > s->max.i) {
    s->max.i = v;
  }
}
static inline void pq_stats_uint(pq_stats *s, uint64_t v) {
  if (!s->has_minmax) {
    s->min.u = s->max.u = v;
    s->has_minmax = true;
  } else if (v < s->min.u) {
    s->min.u = v;
  } else if (v > s->max.u) {
    s->max.u = v;
  }
}
/* NaN is skipped (it has no place in an order). */
void pq_stats_double(pq_stats *s, double v);
void pq_stats_half(pq_stats *s, uint16_t bits);
feast_code pq_stats_bytes(pq_stats *s, const uint8_t *p, size_t n, feast_error *err);
/* Fold `from` into `into` (same kind). */
feast_code pq_stats_merge(pq_stats *into, const pq_stats *from, feast_error *err);
/* Write a Statistics struct as field `id` of the current struct. */
void pq_stats_write(tw *w, int16_t id, const pq_stats *s, const pq_leaf *leaf);

/* One column's chunk under construction. */
typedef struct pq_colw {
  const char *name;
  feast_dtype type; /* top-level type */
  bool is_list;
  pq_leaf leaf;
  const feast_parquet_write_options *opts;
  /* current page */
  feast_buf def, rep; /* one byte per level entry */
  feast_buf values;   /* plain-encoded values (plain mode) */
  feast_buf idx;      /* uint32 dictionary indices (dictionary mode) */
  int64_t page_entries, page_rows, page_nulls, page_values;
  int64_t bool_bits;
  pq_stats page_stats, chunk_stats;
  /* dictionary */
  bool dict_on, dict_used, dict_checked;
  pq_dict dict;
  /* encoded data pages of this chunk (page headers + payloads) */
  feast_buf chunk;
  int64_t chunk_uncompressed;
  int64_t chunk_entries;
  bool used_plain, used_dict;
  feast_buf page, comp, hdr; /* scratch */
} pq_colw;

/* `schema_col` gives the type (and, for lists, the element type). */
feast_code pq_colw_init(pq_colw *c, const char *name, const feast_array *schema_col,
                        const feast_parquet_write_options *opts, feast_error *err);
void pq_colw_free(pq_colw *c);
/* Append rows [start, start + n) of array `a`. */
feast_code pq_colw_append(pq_colw *c, const feast_array *a, int64_t start, int64_t n, feast_error *err);
/* Cut the current page (no-op when empty). */
feast_code pq_colw_flush_page(pq_colw *c, feast_error *err);
/* Finish the chunk: write the dictionary page (if any) and the data pages to
 * `file` at `*pos`, advancing it, and append the ColumnChunk thrift struct
 * to `meta`. Resets the builder for the next row group. */
feast_code pq_colw_finish_chunk(pq_colw *c, int fd, const char *path, int64_t *pos, feast_buf *meta, int64_t *chunk_bytes,
                                int64_t *chunk_uncompressed, feast_error *err);

/* write(2) all of p[0..n) or fail with FEAST_E_IO naming `path`. */
feast_code pq_write_all(int fd, const void *p, size_t n, const char *path, feast_error *err);

#endif
