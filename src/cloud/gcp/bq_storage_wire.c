/*
 * bq_storage_wire.c - the Storage Read API's messages in protobuf wire
 * format (bq_storage.h), written and read through format/proto/wire.h.
 * Field numbers are google/cloud/bigquery/storage/v1/{storage,stream,avro}.proto's.
 * Unknown fields are skipped, as protobuf requires, so a newer server's
 * additions do not break us.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "cloud/gcp/bq_storage.h"
#include "format/proto/wire.h"

enum {
  /* CreateReadSessionRequest */
  CRS_PARENT = 1,
  CRS_READ_SESSION = 2,
  CRS_MAX_STREAMS = 3,
  /* ReadSession */
  RS_NAME = 1,
  RS_DATA_FORMAT = 3,
  RS_AVRO_SCHEMA = 4,
  RS_ARROW_SCHEMA = 5,
  RS_TABLE = 6,
  RS_READ_OPTIONS = 8,
  RS_STREAMS = 10,
  RS_EST_BYTES = 12,
  RS_EST_ROWS = 14,
  /* TableReadOptions */
  TRO_SELECTED = 1,
  TRO_RESTRICTION = 2,
  /* AvroSchema, ReadStream */
  SCHEMA_TEXT = 1,
  STREAM_NAME = 1,
  /* ReadRowsRequest */
  RR_STREAM = 1,
  RR_OFFSET = 2,
  /* ReadRowsResponse */
  RRS_STATS = 2,
  RRS_AVRO_ROWS = 3,
  RRS_ARROW_BATCH = 4,
  RRS_THROTTLE = 5,
  RRS_ROW_COUNT = 6,
  /* AvroRows, ArrowRecordBatch */
  AR_ROWS = 1,
  AR_COUNT = 2,
  /* StreamStats.progress, Progress.at_response_end, ThrottleState.throttle_percent */
  STATS_PROGRESS = 2,
  PROGRESS_END = 2,
  THROTTLE_PERCENT = 1
};


static feast_code put_str(feast_buf *b, uint32_t field, const char *s, feast_error *err) {
  return feast_wire_put_bytes(b, field, s, strlen(s), err);
}

static feast_code put_varint_field(feast_buf *b, uint32_t field, uint64_t v, feast_error *err) {
  feast_code rc = feast_wire_put_tag(b, field, FEAST_WIRE_VARINT, err);
  return rc ? rc : feast_wire_put_varint(b, v, err);
}

feast_code feast_bq_encode_session_request(const feast_bq_session_request *r, feast_buf *out, feast_error *err) {
  feast_buf opts, session;
  feast_buf_init(&opts, out->max);
  feast_buf_init(&session, out->max);
  char path[2400];
  feast_code rc = FEAST_OK;
  for (size_t i = 0; !rc && i < r->n_fields; i++) rc = put_str(&opts, TRO_SELECTED, r->fields[i], err);
  if (!rc && r->row_restriction && *r->row_restriction) rc = put_str(&opts, TRO_RESTRICTION, r->row_restriction, err);
  snprintf(path, sizeof path, "projects/%s/datasets/%s/tables/%s", r->table->project, r->table->dataset,
           r->table->table);
  if (!rc) rc = put_str(&session, RS_TABLE, path, err);
  if (!rc) rc = put_varint_field(&session, RS_DATA_FORMAT, r->format == FEAST_BQ_AVRO ? FEAST_BQ_AVRO : FEAST_BQ_ARROW, err);
  if (!rc && opts.len) rc = feast_wire_put_bytes(&session, RS_READ_OPTIONS, opts.data, opts.len, err);
  snprintf(path, sizeof path, "projects/%s", r->parent_project && *r->parent_project ? r->parent_project : r->table->project);
  if (!rc) rc = put_str(out, CRS_PARENT, path, err);
  if (!rc) rc = feast_wire_put_bytes(out, CRS_READ_SESSION, session.data ? session.data : (const uint8_t *)"", session.len, err);
  if (!rc && r->max_streams > 0) rc = put_varint_field(out, CRS_MAX_STREAMS, (uint64_t)r->max_streams, err);
  feast_buf_free(&opts);
  feast_buf_free(&session);
  return rc;
}

feast_code feast_bq_encode_read_rows(const char *stream, int64_t offset, feast_buf *out, feast_error *err) {
  feast_code rc = put_str(out, RR_STREAM, stream, err);
  if (!rc && offset > 0) rc = put_varint_field(out, RR_OFFSET, (uint64_t)offset, err);
  return rc;
}

void feast_bq_session_clear(feast_bq_session *s) {
  feast_free(s->name);
  feast_free(s->avro_schema);
  feast_free(s->arrow_schema);
  for (size_t i = 0; i < s->n_streams; i++) feast_free(s->streams[i]);
  feast_free(s->streams);
  memset(s, 0, sizeof *s);
}

static feast_code dup_bytes(const feast_wire_field *f, char **dst, feast_error *err) {
  if (memchr(f->data, 0, f->len)) return feast_fail(err, FEAST_E_CORRUPT, "a string field holds a NUL byte");
  feast_free(*dst);
  *dst = feast_strndup((const char *)f->data, f->len);
  return *dst ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
}

/* The single string field `number` of a small message (AvroSchema, ReadStream). */
static feast_code inner_string(const feast_wire_field *outer, uint32_t number, char **dst, feast_error *err) {
  feast_wire w = feast_wire_make(outer->data, outer->len);
  while (!feast_wire_done(&w)) {
    feast_wire_field f;
    feast_code rc = feast_wire_next_field(&w, &f, err);
    if (rc) return rc;
    if (f.number == number && f.wire_type == FEAST_WIRE_LEN && (rc = dup_bytes(&f, dst, err))) return rc;
  }
  return FEAST_OK;
}

static feast_code want(const feast_wire_field *f, int type, const char *what, feast_error *err) {
  if (f->wire_type == type) return FEAST_OK;
  return feast_fail(err, FEAST_E_CORRUPT, "%s field %u has wire type %d, expected %d", what, f->number, f->wire_type,
                    type);
}

feast_code feast_bq_decode_session(const uint8_t *p, size_t n, feast_bq_session *out, feast_error *err) {
  memset(out, 0, sizeof *out);
  feast_wire w = feast_wire_make(p, n);
  feast_code rc = FEAST_OK;
  while (!rc && !feast_wire_done(&w)) {
    feast_wire_field f;
    if ((rc = feast_wire_next_field(&w, &f, err))) break;
    switch (f.number) {
    case RS_NAME:
      if (!(rc = want(&f, FEAST_WIRE_LEN, "ReadSession", err))) rc = dup_bytes(&f, &out->name, err);
      break;
    case RS_DATA_FORMAT:
      if (!(rc = want(&f, FEAST_WIRE_VARINT, "ReadSession", err))) out->data_format = (int)(f.value & 0xff);
      break;
    case RS_AVRO_SCHEMA:
      if (!(rc = want(&f, FEAST_WIRE_LEN, "ReadSession", err))) rc = inner_string(&f, SCHEMA_TEXT, &out->avro_schema, err);
      break;
    case RS_ARROW_SCHEMA: {
      if ((rc = want(&f, FEAST_WIRE_LEN, "ReadSession", err))) break;
      feast_wire aw = feast_wire_make(f.data, f.len);
      while (!rc && !feast_wire_done(&aw)) {
        feast_wire_field g;
        if ((rc = feast_wire_next_field(&aw, &g, err))) break;
        if (g.number != SCHEMA_TEXT || g.wire_type != FEAST_WIRE_LEN) continue;
        feast_free(out->arrow_schema);
        if (!(out->arrow_schema = feast_malloc(g.len + 1))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
        else {
          memcpy(out->arrow_schema, g.data, g.len);
          out->arrow_schema_len = g.len;
        }
      }
      break;
    }
    case RS_STREAMS: {
      if ((rc = want(&f, FEAST_WIRE_LEN, "ReadSession", err))) break;
      if (out->n_streams >= 100000) {
        rc = feast_fail(err, FEAST_E_TOO_BIG, "a read session with more than 100000 streams");
        break;
      }
      char **grown = feast_realloc(out->streams, (out->n_streams + 1) * sizeof *grown);
      if (!grown) {
        rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
        break;
      }
      out->streams = grown;
      out->streams[out->n_streams] = NULL;
      rc = inner_string(&f, STREAM_NAME, &out->streams[out->n_streams], err);
      if (!rc && !out->streams[out->n_streams]) rc = feast_fail(err, FEAST_E_CORRUPT, "a read stream without a name");
      if (!rc) out->n_streams++;
      else feast_free(out->streams[out->n_streams]);
      break;
    }
    case RS_EST_BYTES:
      if (!(rc = want(&f, FEAST_WIRE_VARINT, "ReadSession", err))) out->estimated_bytes = (int64_t)f.value;
      break;
    case RS_EST_ROWS:
      if (!(rc = want(&f, FEAST_WIRE_VARINT, "ReadSession", err))) out->estimated_rows = (int64_t)f.value;
      break;
    default: break; /* expire_time, table, options echoed back, newer fields */
    }
  }
  if (!rc && !out->name) rc = feast_fail(err, FEAST_E_CORRUPT, "the read session has no name");
  if (rc) {
    feast_error_prefix(err, "ReadSession: ");
    feast_bq_session_clear(out);
  }
  return rc;
}

static feast_code decode_stats(const feast_wire_field *outer, feast_bq_rows_msg *out, feast_error *err) {
  feast_wire w = feast_wire_make(outer->data, outer->len);
  while (!feast_wire_done(&w)) {
    feast_wire_field f;
    feast_code rc = feast_wire_next_field(&w, &f, err);
    if (rc) return rc;
    if (f.number != STATS_PROGRESS || f.wire_type != FEAST_WIRE_LEN) continue;
    feast_wire pw = feast_wire_make(f.data, f.len);
    while (!feast_wire_done(&pw)) {
      feast_wire_field g;
      if ((rc = feast_wire_next_field(&pw, &g, err))) return rc;
      if (g.number == PROGRESS_END && g.wire_type == FEAST_WIRE_I64) {
        double d;
        uint64_t bits = g.value;
        memcpy(&d, &bits, sizeof d);
        out->progress_end = d;
      }
    }
  }
  return FEAST_OK;
}

/* AvroRows or ArrowRecordBatch: the bytes (field 1) and the row count (field 2). */
static feast_code rows_body(const feast_wire_field *f, const char *what, const uint8_t **data, size_t *len,
                            int64_t *count, feast_error *err) {
  feast_wire w = feast_wire_make(f->data, f->len);
  feast_code rc = FEAST_OK;
  while (!rc && !feast_wire_done(&w)) {
    feast_wire_field g;
    if ((rc = feast_wire_next_field(&w, &g, err))) break;
    if (g.number == AR_ROWS && !(rc = want(&g, FEAST_WIRE_LEN, what, err))) {
      *data = g.data;
      *len = g.len;
    } else if (g.number == AR_COUNT && !(rc = want(&g, FEAST_WIRE_VARINT, what, err))) {
      *count = (int64_t)g.value;
    }
  }
  return rc;
}

feast_code feast_bq_decode_read_rows(const uint8_t *p, size_t n, feast_bq_rows_msg *out, feast_error *err) {
  memset(out, 0, sizeof *out);
  feast_wire w = feast_wire_make(p, n);
  int64_t outer_count = -1, avro_count = -1;
  bool have_rows = false;
  feast_code rc = FEAST_OK;
  while (!rc && !feast_wire_done(&w)) {
    feast_wire_field f;
    if ((rc = feast_wire_next_field(&w, &f, err))) break;
    switch (f.number) {
    case RRS_AVRO_ROWS:
      if ((rc = want(&f, FEAST_WIRE_LEN, "ReadRowsResponse", err))) break;
      have_rows = true;
      out->format = FEAST_BQ_AVRO;
      rc = rows_body(&f, "AvroRows", &out->avro_rows, &out->avro_len, &avro_count, err);
      break;
    case RRS_ARROW_BATCH:
      if ((rc = want(&f, FEAST_WIRE_LEN, "ReadRowsResponse", err))) break;
      have_rows = true;
      out->format = FEAST_BQ_ARROW;
      rc = rows_body(&f, "ArrowRecordBatch", &out->arrow, &out->arrow_len, &avro_count, err);
      break;
    case RRS_ROW_COUNT:
      if (!(rc = want(&f, FEAST_WIRE_VARINT, "ReadRowsResponse", err))) outer_count = (int64_t)f.value;
      break;
    case RRS_STATS:
      if (!(rc = want(&f, FEAST_WIRE_LEN, "ReadRowsResponse", err))) rc = decode_stats(&f, out, err);
      break;
    case RRS_THROTTLE:
      if (!(rc = want(&f, FEAST_WIRE_LEN, "ReadRowsResponse", err))) {
        feast_wire tw = feast_wire_make(f.data, f.len);
        while (!rc && !feast_wire_done(&tw)) {
          feast_wire_field g;
          if ((rc = feast_wire_next_field(&tw, &g, err))) break;
          if (g.number == THROTTLE_PERCENT && g.wire_type == FEAST_WIRE_VARINT) out->throttle_percent = (int)(g.value % 101);
        }
      }
      break;
    default: break;
    }
  }
  if (!rc) {
    out->row_count = avro_count >= 0 ? avro_count : outer_count >= 0 ? outer_count : 0;
    if (out->row_count < 0) rc = feast_fail(err, FEAST_E_CORRUPT, "a negative row count");
    else if (out->row_count > 0 && !have_rows)
      rc = feast_fail(err, FEAST_E_CORRUPT, "%lld rows announced without AvroRows or an ArrowRecordBatch",
                      (long long)out->row_count);
    else if (have_rows && out->row_count > 0 && out->avro_len == 0 && out->arrow_len == 0)
      rc = feast_fail(err, FEAST_E_CORRUPT, "%lld rows in zero bytes", (long long)out->row_count);
  }
  if (rc) {
    feast_error_prefix(err, "ReadRowsResponse: ");
    memset(out, 0, sizeof *out);
  }
  return rc;
}
