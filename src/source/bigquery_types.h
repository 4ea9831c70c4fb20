/*
 * bigquery_types.h - BigQuery column types as feast column types, the one
 * table both the source check at apply (schema) and the reader (the Avro
 * plan's columns) use, so what passes at apply is what ingestion reads.
 *
 *   BigQuery (legacy / GoogleSQL name)   column type          Feast value types it can hold
 *   INTEGER / INT64                      int64                INT64 (INT32 is refused: no narrowing)
 *   FLOAT / FLOAT64                      double               DOUBLE
 *   BOOLEAN / BOOL                       bool                 BOOL
 *   STRING, JSON, GEOGRAPHY (WKT)        string               STRING
 *   BYTES                                binary               BYTES
 *   TIMESTAMP                            timestamp[us, UTC]   UNIX_TIMESTAMP; event/created timestamps
 *   DATETIME (civil, read as UTC)        timestamp[us]        UNIX_TIMESTAMP; event/created timestamps
 *   DATE                                 date32               event/created timestamps (midnight UTC)
 *   TIME                                 time64[us]           none
 *   NUMERIC                              decimal128(38, 9)    none: CAST it in a query source
 *   BIGNUMERIC, RECORD/STRUCT, INTERVAL, RANGE   not readable (schema: FEAST_E_UNSUPPORTED)
 *   mode REPEATED of a scalar above      list<that type>      the _LIST value types
 */
#ifndef FEAST_SOURCE_BIGQUERY_TYPES_H
#define FEAST_SOURCE_BIGQUERY_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#include "cloud/gcp/bq_api.h"
#include "feast/types.h"

/* The column type of field f (child: the element type of a REPEATED
 * field). False when this build cannot read it, with why in why[size]. */
bool feast_bq_field_dtype(const feast_bq_field *f, feast_dtype *type, feast_dtype *child, char *why, size_t size);

/* What the reader must do after decoding: a DATETIME arrives in Avro as a
 * string and is parsed into the timestamp column; NUMERIC arrives as
 * decimal bytes and cannot be read. */
bool feast_bq_field_is_datetime(const feast_bq_field *f);
bool feast_bq_field_readable(const feast_bq_field *f, char *why, size_t size);

/* The BigQuery type of a table feast creates (uploaded entity rows) for a
 * column of type t (child: a LIST's element type), and whether it is
 * REPEATED. Every timestamp becomes TIMESTAMP (naive ones are UTC). False
 * when there is none (decimals, times, nested lists). */
bool feast_bq_type_for_dtype(feast_dtype t, feast_dtype child, const char **type, bool *repeated);

#endif
