/*
 * csv.h - reading RFC 4180 CSV files (entity rows for historical retrieval,
 * rows for `feast push`) as a stream of feast_batches.
 *
 * The first record is the header (column names). Fields may be quoted with
 * '"', hold the delimiter, newlines and doubled quotes ("a ""b"""); lines end
 * in LF or CRLF; a UTF-8 byte-order mark is skipped; blank lines are skipped.
 * An unquoted empty field is null; a quoted empty field ("") is an empty
 * string in a string column and null elsewhere.
 *
 * Column types are inferred from the first `sample_rows` records: int64 if
 * every value is an integer, else double if every value is a number, else
 * bool (true/false, any case), else timestamp[us, UTC] if every value parses
 * with feast_ts_parse as a date or date-time, else string. A column with no
 * values in the sample is a string. A caller may fix a column's type by
 * name (feast_csv_options.types), e.g. driver_id as INT64; fixed types may
 * be bool, int8..int64, uint8..uint64, float, double, string, binary,
 * date32 or timestamp (any unit).
 *
 * Memory stays bounded: one batch plus the sample are held at a time. Every
 * error names the file, the line and the column.
 */
#ifndef FEAST_CSV_H
#define FEAST_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "feast/array.h"
#include "feast/arrow.h"
#include "feast/error.h"
#include "feast/export.h"

typedef struct feast_csv_column_type {
  const char *name;
  feast_dtype type;
} feast_csv_column_type;

typedef struct feast_csv_options {
  char delimiter;          /* default ',' */
  int64_t batch_rows;      /* rows per batch; 0 = 65536 */
  int64_t sample_rows;     /* records used for type inference; 0 = 1000 */
  size_t max_record_bytes; /* one record's limit (FEAST_E_TOO_BIG past it); 0 = 16 MiB */
  int max_columns;         /* 0 = 10000 */
  const feast_csv_column_type *types; /* per-column type overrides (copied) */
  int num_types;
} feast_csv_options;

FEAST_API void feast_csv_options_init(feast_csv_options *o);

/* Open `path`, read the header and the sample, and fix the schema. opts may
 * be NULL. The caller owns *out: release it with (*out)->close(*out).
 * An override naming a column the file lacks is FEAST_E_SCHEMA. */
FEAST_API feast_code feast_csv_open(const char *path, const feast_csv_options *opts, feast_batch_source **out,
                                    feast_error *err);

/* The same over bytes in memory; `name` is used in error messages. The
 * bytes must outlive the source. */
FEAST_API feast_code feast_csv_open_memory(const void *data, size_t len, const char *name,
                                           const feast_csv_options *opts, feast_batch_source **out, feast_error *err);

/* The schema of a source opened by feast_csv_open*: a batch with no rows.
 * Valid until the source is closed. */
FEAST_API const feast_batch *feast_csv_schema(const feast_batch_source *src);

/* Read a whole CSV file into one batch (convenience for small files). */
FEAST_API feast_code feast_csv_read_all(const char *path, const feast_csv_options *opts, feast_batch **out,
                                        feast_error *err);

#endif
