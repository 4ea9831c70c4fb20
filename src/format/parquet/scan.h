/*
 * scan.h - the streaming engine behind feast_parquet_reader_open and
 * feast_parquet_dataset_open: a list of (file, row group) tasks decoded
 * ahead by a small pthread pool into bounded batches, handed out in task
 * order so output is deterministic whatever the thread timing.
 */
#ifndef FEAST_PARQUET_SCAN_H
#define FEAST_PARQUET_SCAN_H

#include "feast/parquet.h"

typedef struct pq_scan_file {
  feast_parquet_file *file;
  int owned;          /* closed with the scan */
  const char **pvals; /* partition values (NULL entries = null), owned by the scan's arena */
  int skip;           /* pruned: gives the schema only */
} pq_scan_file;

/* Builds a source over `files` (ownership of the array and owned files
 * passes to the scan, even on failure). Partition columns `pnames` follow the
 * file columns. The first file gives the schema. */
feast_code pq_scan_open(pq_scan_file *files, int nfiles, const char **pnames, int npart, void *arena,
                        const char *const *columns, int ncols, const feast_parquet_range *ranges, int nranges,
                        const feast_parquet_options *opts, feast_batch_source **out, feast_error *err);

/* The most decoded bytes (footer estimate) the decode-ahead threads held at
 * once, for tests of max_ahead_bytes; 0 without threads. */
int64_t pq_scan_peak_ahead(const feast_batch_source *src);

#endif
