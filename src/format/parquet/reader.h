/*
 * reader.h - internals shared by the Parquet reader's files: the open file
 * (descriptor or memory image plus decoded footer), the flattened column
 * descriptions derived from the schema, and the column-chunk reader that
 * decodes pages into feast_arrays a bounded number of rows at a time.
 */
#ifndef FEAST_PARQUET_READER_H
#define FEAST_PARQUET_READER_H

#include <stdint.h>

#include "feast/array.h"
#include "feast/parquet.h"
#include "format/parquet/metadata.h"

/* How physical values become the column's values. */
enum pq_conv {
  PQ_CV_DIRECT, /* same bytes: memcpy/gather straight into the array */
  PQ_CV_BOOL,
  PQ_CV_I32_TO_I8,
  PQ_CV_I32_TO_I16,
  PQ_CV_INT96,
  PQ_CV_DEC_I32,
  PQ_CV_DEC_I64,
  PQ_CV_DEC_BE, /* big-endian two's complement bytes (fixed or byte array) */
  PQ_CV_BYTES   /* BYTE_ARRAY to STRING/BINARY */
};

typedef struct pq_column {
  const char *name;   /* top-level field name (in the meta arena) */
  feast_dtype type;   /* the column type; LIST for lists */
  feast_dtype elem;   /* the leaf's type (== type when not a list) */
  int leaf;           /* index of its leaf among the row group's column chunks */
  int nleaves;        /* leaves under this field (1 when supported) */
  int phys, type_length;
  int conv;
  int max_def, max_rep;
  int is_list;
  int list_def;       /* def level of a present but empty list */
  int elem_optional;
  int unsupported;    /* reading it fails with FEAST_E_UNSUPPORTED and `why` */
  char why[160];
} pq_column;

struct feast_parquet_file {
  char *name;
  int fd;               /* -1 for memory images and remote files */
  feast_parquet_io io;  /* io.read non-NULL: a remote file */
  const uint8_t *mem;
  uint64_t size;
  pq_meta *meta;
  int ncols;
  pq_column *cols;
  int nleaves;
  feast_parquet_options opts;
};

feast_code pq_read_at(const feast_parquet_file *f, uint64_t off, size_t len, uint8_t *buf, feast_error *err);
/* Derive the columns from the footer's schema (called by open). */
feast_code pq_schema_build(feast_parquet_file *f, feast_error *err);

typedef struct pq_colreader pq_colreader;

/* Reads the column chunk of (row group, column) into memory and prepares
 * to decode it. *inout is NULL (a new reader is made) or a reader from an
 * earlier chunk, whose buffers are reused. On failure *inout may still hold
 * a reader for the caller to free. The file must outlive the reader. */
feast_code pq_colreader_open(const feast_parquet_file *f, int rg, int col, pq_colreader **inout, feast_error *err);
/* The same without the read: the chunk buffer is sized and its place in
 * the file returned, for the caller to fill (remote files fetch every chunk
 * of a row group at once). */
feast_code pq_colreader_prepare(const feast_parquet_file *f, int rg, int col, pq_colreader **inout, uint64_t *off,
                                size_t *len, uint8_t **buf, feast_error *err);
/* A new array with the next (up to) max_rows rows; *out has length 0 at the end. */
feast_code pq_colreader_read(pq_colreader *cr, int64_t max_rows, feast_array **out, feast_error *err);
void pq_colreader_free(pq_colreader *cr);

/* A row-group reader: one column reader per projected column, decoding
 * one batch at a time. It is reused from row group to row group (and file to
 * file) so every column keeps its chunk, page and scratch buffers. */
typedef struct pq_rgreader pq_rgreader;
pq_rgreader *pq_rgreader_new(void); /* NULL on out-of-memory */
/* Prepare to read row group rg of f, columns cols[0..ncols) (cols must stay
 * valid until the next open). Errors name the file, row group and column. */
feast_code pq_rgreader_open(pq_rgreader *r, const feast_parquet_file *f, int rg, const int *cols, int ncols,
                            feast_error *err);
/* The next batch of up to batch_rows rows; *out = NULL after the last. */
feast_code pq_rgreader_next(pq_rgreader *r, int64_t batch_rows, feast_batch **out, feast_error *err);
void pq_rgreader_free(pq_rgreader *r); /* accepts NULL */

/* Decode rows of one row group into batches of at most batch_rows rows,
 * handing each to `emit` (which takes ownership). */
typedef feast_code (*pq_emit_fn)(void *ctx, feast_batch *b, feast_error *err);
feast_code pq_read_row_group_batches(const feast_parquet_file *f, int rg, const int *cols, int ncols,
                                     int64_t batch_rows, pq_emit_fn emit, void *ctx, feast_error *err);

/* Row-group pruning: 1 when the row group's statistics prove no row of
 * column `col` lies in [lo, hi] (in the units feast_parquet_range says). */
int pq_row_group_excluded(const feast_parquet_file *f, int rg, int col, int64_t lo, int64_t hi);

#endif
