/*
 * bq_storage.h - the BigQuery Storage Read API (google.cloud.bigquery.
 * storage.v1.BigQueryRead) over gRPC core's C API: a read session on a
 * table with selected fields, a row restriction and up to N streams, and
 * ReadRows on each stream, in Arrow (the default) or Avro format. Messages are written and read with
 * the project's protobuf wire module (format/proto/wire.h), not generated
 * code: we use a dozen fields of four messages.
 *
 * The gRPC channel belongs to the process's BigQuery client (bq_client.h)
 * and is shared by every call; a stream reader is one server-streaming call
 * on its own completion queue, for one thread at a time. A stream that
 * fails retriably (UNAVAILABLE, a reset connection) is resumed from the
 * row offset reached, as Google's clients do.
 */
#ifndef FEAST_CLOUD_GCP_BQ_STORAGE_H
#define FEAST_CLOUD_GCP_BQ_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "cloud/gcp/bq_api.h"
#include "cloud/gcp/bq_client.h"

/* ---- messages (bq_storage_wire.c) ---- */

typedef struct feast_bq_session_request {
  const feast_bq_ref *table;
  const char *parent_project;  /* the project billed for the read; NULL = the table's */
  const char *const *fields;   /* selected fields; NULL/0 = all */
  size_t n_fields;
  const char *row_restriction; /* a SQL predicate, or NULL */
  int max_streams;             /* 0 = let the server choose */
  int format;                  /* FEAST_BQ_ARROW or FEAST_BQ_AVRO */
} feast_bq_session_request;

#define FEAST_BQ_AVRO 1
#define FEAST_BQ_ARROW 2

typedef struct feast_bq_session {
  char *name;        /* projects/p/locations/l/sessions/s */
  char *avro_schema; /* AVRO: the writer schema of every stream's rows (JSON) */
  uint8_t *arrow_schema; /* ARROW: an IPC Schema message */
  size_t arrow_schema_len;
  size_t n_streams;
  char **streams;    /* stream names */
  int64_t estimated_bytes; /* estimated_total_bytes_scanned */
  int64_t estimated_rows;  /* estimated_row_count; 0 when not given */
  int data_format;         /* 1 = AVRO, 2 = ARROW */
} feast_bq_session;

void feast_bq_session_clear(feast_bq_session *s);

/* CreateReadSessionRequest{parent, read_session{table, data_format,
 * read_options{selected_fields, row_restriction}}, max_stream_count}. */
feast_code feast_bq_encode_session_request(const feast_bq_session_request *r, feast_buf *out, feast_error *err);
/* ReadSession. FEAST_E_CORRUPT for bytes that are not one; the caller
 * owns *out: release it with feast_bq_session_clear. */
feast_code feast_bq_decode_session(const uint8_t *p, size_t n, feast_bq_session *out, feast_error *err);

/* ReadRowsRequest{read_stream, offset}. */
feast_code feast_bq_encode_read_rows(const char *stream, int64_t offset, feast_buf *out, feast_error *err);

typedef struct feast_bq_rows_msg {
  const uint8_t *avro_rows; /* AvroRows.serialized_binary_rows: row_count datums back to back (into the input) */
  size_t avro_len;
  const uint8_t *arrow;     /* ArrowRecordBatch.serialized_record_batch: IPC message(s) (into the input) */
  size_t arrow_len;
  int64_t row_count;        /* AvroRows / ArrowRecordBatch row_count, else ReadRowsResponse.row_count */
  int format;               /* what came: FEAST_BQ_AVRO, FEAST_BQ_ARROW, 0 = no rows */
  double progress_end;      /* stats.progress.at_response_end, 0..1 */
  int throttle_percent;
} feast_bq_rows_msg;

/* ReadRowsResponse; pointers into the input. FEAST_E_CORRUPT when it is
 * not one or a row count is negative. */
feast_code feast_bq_decode_read_rows(const uint8_t *p, size_t n, feast_bq_rows_msg *out, feast_error *err);

/* ---- calls (bq_storage.c) ---- */

/* CreateReadSession. With an emulator that serves one stream per session,
 * a request for more is repeated with one. FEAST_E_NOT_FOUND for a missing
 * table, FEAST_E_INVALID for a bad field or restriction (the server's
 * message), FEAST_E_CONNECT when nothing answers. */
feast_code feast_bq_session_create(feast_bq *c, const feast_bq_session_request *r, feast_bq_session *out,
                                   feast_error *err);

typedef struct feast_bq_stream_reader feast_bq_stream_reader;

/* Open ReadRows on `stream` from row `offset` (copied). The caller owns
 * *out: release it with feast_bq_stream_close. */
feast_code feast_bq_stream_open(feast_bq *c, const char *stream, int64_t offset, feast_bq_stream_reader **out,
                                feast_error *err);

/* The next response: *msg points into the reader's buffer, valid until the
 * next call; *end at the end of the stream (msg untouched). */
feast_code feast_bq_stream_next(feast_bq_stream_reader *r, feast_bq_rows_msg *msg, bool *end, feast_error *err);

/* Rows received so far (the offset a resume starts from). */
int64_t feast_bq_stream_rows(const feast_bq_stream_reader *r);
/* Bytes of responses received so far. */
int64_t feast_bq_stream_bytes(const feast_bq_stream_reader *r);

/* Make a feast_bq_stream_next blocked on another thread return soon (with
 * a CANCELLED failure). The only call that may come from another thread. */
void feast_bq_stream_cancel(feast_bq_stream_reader *r);

void feast_bq_stream_close(feast_bq_stream_reader *r); /* accepts NULL; cancels a call in flight */

#endif
