/*
 * source.h - opening the rows a feature table's data source describes, and
 * files of rows given by users, as feast_batch_sources.
 *
 * File sources (Parquet files, folders, globs, hive partitions) are read by
 * the Parquet dataset reader with projection and pruning. BigQuery sources
 * are registered and validated, but this build cannot read them:
 * FEAST_E_UNSUPPORTED says so. Stream sources are not batch-readable.
 */
#ifndef FEAST_SOURCE_H
#define FEAST_SOURCE_H

#include <stdbool.h>

#include "feast/arrow.h"
#include "feast/csv.h"
#include "feast/error.h"
#include "feast/export.h"
#include "feast/spec.h"

/* Open batch source `s` reading source `columns` (NULL/0 = all) and, when
 * `prune`, skipping row groups and date partitions that cannot hold an
 * event time in [lo, hi] (rows inside kept ones are not filtered). The
 * caller owns *out and closes it. */
FEAST_API feast_code feast_source_open(const feast_data_source *s, const char *const *columns, int ncols, bool prune,
                                       feast_ts lo, feast_ts hi, feast_batch_source **out, feast_error *err);

/* The source's columns as a batch with no rows (reads only footers). The
 * caller frees it. */
FEAST_API feast_code feast_source_schema(const feast_data_source *s, feast_batch **out, feast_error *err);

/* The number of rows a source from feast_source_open will yield before
 * row filtering, when cheaply known (Parquet footers), else -1. */
FEAST_API int64_t feast_source_num_rows(const feast_batch_source *src);

/* Open a file of rows: a .csv file (column types in `types` override the
 * inference) or a Parquet file, folder or glob. *schema (caller frees) is a
 * batch with no rows describing the columns; the caller closes *out. */
FEAST_API feast_code feast_rows_open(const char *path, const feast_csv_column_type *types, int ntypes,
                                     feast_batch_source **out, feast_batch **schema, feast_error *err);

#endif
