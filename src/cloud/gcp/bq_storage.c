/*
 * bq_storage.c - Storage Read API calls over gRPC core (bq_storage.h):
 * the channel kept with the BigQuery client, CreateReadSession as a unary
 * call, and ReadRows as a server-streaming call read one message at a time
 * on the reader's own completion queue.
 *
 * Every call carries the routing header Google's clients send
 * (x-goog-request-params) and, unless an emulator is in use, the bearer
 * token. Responses have no size cap at the gRPC layer: the emulator sends a
 * whole table in one message; real BigQuery sends messages of a few MB.
 */
#include "cloud/gcp/bq_storage.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"

#define SVC "/google.cloud.bigquery.storage.v1.BigQueryRead/"
#define UNARY_DEADLINE_S 120
#define STREAM_DEADLINE_S (6 * 3600)
#define MAX_RESUMES 5

static pthread_once_t grpc_once = PTHREAD_ONCE_INIT;
static void grpc_start(void) { grpc_init(); }

static feast_code make_channel(feast_bq *c, void **out, feast_error *err) {
  pthread_once(&grpc_once, grpc_start);
  grpc_channel_credentials *cr =
      feast_bq_storage_plaintext(c) ? grpc_insecure_credentials_create() : grpc_ssl_credentials_create(NULL, NULL, NULL, NULL);
  if (!cr) return feast_fail(err, FEAST_E_INTERNAL, "gRPC: cannot create channel credentials");
  grpc_arg args[2];
  args[0].type = GRPC_ARG_INTEGER;
  args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
  args[0].value.integer = -1;
  args[1].type = GRPC_ARG_INTEGER;
  args[1].key = (char *)GRPC_ARG_KEEPALIVE_TIME_MS;
  args[1].value.integer = 60000;
  grpc_channel_args ca = {2, args};
  grpc_channel *ch = grpc_channel_create(feast_bq_storage_target(c), cr, &ca);
  grpc_channel_credentials_release(cr);
  if (!ch) return feast_fail(err, FEAST_E_CONNECT, "gRPC: cannot create a channel to %s", feast_bq_storage_target(c));
  *out = ch;
  return FEAST_OK;
}

static void destroy_channel(void *ch) { grpc_channel_destroy(ch); }

static feast_code channel_of(feast_bq *c, grpc_channel **out, feast_error *err) {
  void *p;
  feast_code rc = feast_bq_attachment(c, make_channel, destroy_channel, &p, err);
  *out = p;
  return rc;
}

static gpr_timespec deadline_in(int seconds) {
  return gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_seconds(seconds, GPR_TIMESPAN));
}

/* A gRPC status as a feast failure. The emulator reports everything as
 * UNKNOWN with a message: a missing table says "not found". */
static feast_code status_fail(grpc_status_code st, const grpc_slice *details, const char *what, bool *retry,
                              feast_error *err) {
  char msg[1024];
  size_t n = details ? GRPC_SLICE_LENGTH(*details) : 0;
  snprintf(msg, sizeof msg, "%.*s", (int)(n > 1000 ? 1000 : n), n ? (const char *)GRPC_SLICE_START_PTR(*details) : "");
  feast_code code;
  bool again = false;
  switch (st) {
  case GRPC_STATUS_NOT_FOUND: code = FEAST_E_NOT_FOUND; break;
  case GRPC_STATUS_INVALID_ARGUMENT:
  case GRPC_STATUS_FAILED_PRECONDITION:
  case GRPC_STATUS_OUT_OF_RANGE:
  case GRPC_STATUS_PERMISSION_DENIED:
  case GRPC_STATUS_UNAUTHENTICATED: code = FEAST_E_INVALID; break;
  case GRPC_STATUS_DEADLINE_EXCEEDED: code = FEAST_E_TIMEOUT; again = true; break;
  case GRPC_STATUS_UNAVAILABLE:
    code = strstr(msg, "onnect") ? FEAST_E_CONNECT : FEAST_E_SERVER;
    again = true;
    break;
  case GRPC_STATUS_RESOURCE_EXHAUSTED:
  case GRPC_STATUS_ABORTED:
  case GRPC_STATUS_INTERNAL: code = FEAST_E_SERVER; again = true; break;
  default: code = strstr(msg, "not found") || strstr(msg, "Not found") ? FEAST_E_NOT_FOUND : FEAST_E_SERVER;
  }
  if (retry) *retry = again;
  return (again ? feast_fail_retriable : feast_fail)(err, code, "%s: gRPC status %d%s%s", what, (int)st, msg[0] ? ": " : "",
                                                     msg);
}

/* Initial metadata: the routing header and the token. */
typedef struct call_md {
  grpc_metadata md[2];
  size_t n;
  char auth[4200];
} call_md;

static feast_code build_md(feast_bq *c, const char *params, call_md *m, feast_error *err) {
  m->n = 0;
  feast_code rc = feast_bq_auth_header(c, m->auth, sizeof m->auth, err);
  if (rc) return rc;
  m->md[m->n].key = grpc_slice_from_static_string("x-goog-request-params");
  m->md[m->n].value = grpc_slice_from_copied_string(params);
  m->n++;
  if (m->auth[0]) {
    const char *v = m->auth + strlen("Authorization: ");
    m->md[m->n].key = grpc_slice_from_static_string("authorization");
    m->md[m->n].value = grpc_slice_from_copied_string(v);
    m->n++;
  }
  return FEAST_OK;
}

static void free_md(call_md *m) {
  for (size_t i = 0; i < m->n; i++) grpc_slice_unref(m->md[i].value);
  m->n = 0;
  memset(m->auth, 0, sizeof m->auth);
}

static grpc_byte_buffer *buffer_of(const feast_buf *b) {
  grpc_slice s = grpc_slice_from_copied_buffer(b->data ? (const char *)b->data : "", b->len);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  return bb;
}

/* The bytes of a received message, into `out` (reset first). */
static feast_code read_buffer(grpc_byte_buffer *bb, feast_buf *out, feast_error *err) {
  feast_buf_reset(out);
  grpc_byte_buffer_reader reader;
  if (!grpc_byte_buffer_reader_init(&reader, bb)) return feast_fail(err, FEAST_E_CORRUPT, "gRPC: unreadable message");
  grpc_slice s;
  feast_code rc = FEAST_OK;
  while (!rc && grpc_byte_buffer_reader_next(&reader, &s)) {
    rc = feast_buf_append(out, GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), err);
    grpc_slice_unref(s);
  }
  grpc_byte_buffer_reader_destroy(&reader);
  return rc;
}

static bool wait_tag(grpc_completion_queue *cq, void *tag, gpr_timespec deadline) {
  grpc_event ev = grpc_completion_queue_pluck(cq, tag, deadline, NULL);
  return ev.type == GRPC_OP_COMPLETE && ev.success;
}

static void drain_destroy(grpc_completion_queue *cq) {
  grpc_completion_queue_shutdown(cq);
  while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(cq);
}

/* One unary call: request bytes in, response bytes out. */
static feast_code unary(feast_bq *c, const char *method, const char *params, const feast_buf *req, feast_buf *resp,
                        const char *what, bool *retry, feast_error *err) {
  *retry = false;
  grpc_channel *ch;
  feast_code rc = channel_of(c, &ch, err);
  if (rc) return rc;
  call_md md;
  if ((rc = build_md(c, params, &md, err))) return rc;
  grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
  grpc_slice m = grpc_slice_from_static_string(method);
  grpc_call *call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, m, NULL,
                                             deadline_in(UNARY_DEADLINE_S), NULL);
  grpc_byte_buffer *send = buffer_of(req), *recv = NULL;
  grpc_metadata_array init_md, trail_md;
  grpc_metadata_array_init(&init_md);
  grpc_metadata_array_init(&trail_md);
  grpc_status_code status = GRPC_STATUS_UNKNOWN;
  grpc_slice details = grpc_empty_slice();
  grpc_op ops[6];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.count = md.n;
  ops[0].data.send_initial_metadata.metadata = md.md;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = send;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &init_md;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &recv;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &trail_md;
  ops[5].data.recv_status_on_client.status = &status;
  ops[5].data.recv_status_on_client.status_details = &details;
  int tag = 1;
  if (!call || grpc_call_start_batch(call, ops, 6, &tag, NULL) != GRPC_CALL_OK)
    rc = feast_fail(err, FEAST_E_INTERNAL, "%s: gRPC refused to start the call", what);
  else if (!wait_tag(cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME)))
    rc = feast_fail_retriable(err, FEAST_E_CONNECT, "%s: the gRPC call did not complete", what);
  else if (status != GRPC_STATUS_OK)
    rc = status_fail(status, &details, what, retry, err);
  else if (!recv)
    rc = feast_fail(err, FEAST_E_CORRUPT, "%s: no response message", what);
  else
    rc = read_buffer(recv, resp, err);
  if (status == GRPC_STATUS_UNAUTHENTICATED) {
    feast_bq_auth_invalidate(c);
    *retry = true;
  }
  if (recv) grpc_byte_buffer_destroy(recv);
  grpc_byte_buffer_destroy(send);
  grpc_slice_unref(details);
  grpc_metadata_array_destroy(&init_md);
  grpc_metadata_array_destroy(&trail_md);
  if (call) grpc_call_unref(call);
  drain_destroy(cq);
  free_md(&md);
  return rc;
}

feast_code feast_bq_session_create(feast_bq *c, const feast_bq_session_request *r, feast_bq_session *out,
                                   feast_error *err) {
  memset(out, 0, sizeof *out);
  char what[2600], params[2600];
  snprintf(what, sizeof what, "BigQuery Storage CreateReadSession %s.%s.%s", r->table->project, r->table->dataset,
           r->table->table);
  snprintf(params, sizeof params, "read_session.table=projects/%s/datasets/%s/tables/%s", r->table->project,
           r->table->dataset, r->table->table);
  feast_bq_session_request req = *r;
  feast_buf body, resp;
  feast_buf_init(&body, 16 << 20);
  feast_buf_init(&resp, 64 << 20);
  feast_code rc = FEAST_OK;
  for (int attempt = 1;; attempt++) {
    feast_buf_reset(&body);
    bool retry = false;
    rc = feast_bq_encode_session_request(&req, &body, err);
    if (!rc) rc = unary(c, SVC "CreateReadSession", params, &body, &resp, what, &retry, err);
    if (rc && req.max_streams > 1 && strstr(err->message, "only one stream")) {
      req.max_streams = 1; /* the emulator serves one stream per session */
      continue;
    }
    if (!rc || !retry || attempt >= 4) break;
    struct timespec ts = {0, 250000000L * attempt};
    nanosleep(&ts, NULL);
  }
  if (!rc) rc = feast_bq_decode_session(resp.data, resp.len, out, err);
  int want_format = r->format == FEAST_BQ_AVRO ? FEAST_BQ_AVRO : FEAST_BQ_ARROW;
  if (!rc && out->data_format != want_format) {
    feast_bq_session_clear(out);
    rc = feast_fail(err, FEAST_E_SERVER, "%s: the session is not in the %s format asked for", what,
                    want_format == FEAST_BQ_AVRO ? "Avro" : "Arrow");
  }
  if (!rc && out->n_streams && (want_format == FEAST_BQ_AVRO ? !out->avro_schema : !out->arrow_schema)) {
    feast_bq_session_clear(out);
    rc = feast_fail(err, FEAST_E_CORRUPT, "%s: the session has no %s schema", what,
                    want_format == FEAST_BQ_AVRO ? "Avro" : "Arrow");
  }
  feast_buf_free(&body);
  feast_buf_free(&resp);
  return rc;
}

/* ---- ReadRows ---- */

struct feast_bq_stream_reader {
  feast_bq *c;
  char *stream;
  grpc_completion_queue *cq;
  grpc_call *call;
  call_md md;
  grpc_metadata_array init_md, trail_md;
  grpc_status_code status;
  grpc_slice details;
  bool status_pending; /* the RECV_STATUS batch has not been plucked */
  int tag_start, tag_status, tag_msg;
  feast_buf msg;
  int64_t rows, bytes;
  int resumes;
  bool finished;
  bool cancelled;     /* under mu */
  pthread_mutex_t mu; /* guards `call` against a cancel from another thread */
};

static void call_end(feast_bq_stream_reader *r) {
  if (r->call) {
    if (r->status_pending) {
      grpc_call_cancel(r->call, NULL);
      wait_tag(r->cq, &r->tag_status, gpr_inf_future(GPR_CLOCK_REALTIME));
      r->status_pending = false;
    }
    pthread_mutex_lock(&r->mu);
    grpc_call *call = r->call;
    r->call = NULL;
    pthread_mutex_unlock(&r->mu);
    grpc_call_unref(call);
  }
  if (r->cq) {
    drain_destroy(r->cq);
    r->cq = NULL;
  }
  grpc_slice_unref(r->details);
  r->details = grpc_empty_slice();
  grpc_metadata_array_destroy(&r->init_md);
  grpc_metadata_array_destroy(&r->trail_md);
  grpc_metadata_array_init(&r->init_md);
  grpc_metadata_array_init(&r->trail_md);
  free_md(&r->md);
}

static feast_code call_start(feast_bq_stream_reader *r, feast_error *err) {
  grpc_channel *ch;
  feast_code rc = channel_of(r->c, &ch, err);
  size_t plen = strlen(r->stream) + 16;
  char *params = rc ? NULL : feast_malloc(plen);
  if (!rc && !params) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) {
    snprintf(params, plen, "read_stream=%s", r->stream);
    rc = build_md(r->c, params, &r->md, err);
    feast_free(params);
  }
  if (rc) return rc;
  feast_buf req;
  feast_buf_init(&req, 1 << 20);
  if ((rc = feast_bq_encode_read_rows(r->stream, r->rows, &req, err))) {
    feast_buf_free(&req);
    return rc;
  }
  r->cq = grpc_completion_queue_create_for_pluck(NULL);
  grpc_call *call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, r->cq,
                                             grpc_slice_from_static_string(SVC "ReadRows"), NULL,
                                             deadline_in(STREAM_DEADLINE_S), NULL);
  pthread_mutex_lock(&r->mu);
  r->call = call;
  if (call && r->cancelled) grpc_call_cancel(call, NULL);
  pthread_mutex_unlock(&r->mu);
  grpc_byte_buffer *send = buffer_of(&req);
  feast_buf_free(&req);
  grpc_op ops[4];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.count = r->md.n;
  ops[0].data.send_initial_metadata.metadata = r->md.md;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = send;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &r->init_md;
  grpc_op st;
  memset(&st, 0, sizeof st);
  st.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  st.data.recv_status_on_client.trailing_metadata = &r->trail_md;
  st.data.recv_status_on_client.status = &r->status;
  st.data.recv_status_on_client.status_details = &r->details;
  if (!r->call || grpc_call_start_batch(r->call, ops, 4, &r->tag_start, NULL) != GRPC_CALL_OK) {
    rc = feast_fail(err, FEAST_E_INTERNAL, "ReadRows %s: gRPC refused to start the call", r->stream);
  } else if (grpc_call_start_batch(r->call, &st, 1, &r->tag_status, NULL) != GRPC_CALL_OK) {
    rc = feast_fail(err, FEAST_E_INTERNAL, "ReadRows %s: gRPC refused the status operation", r->stream);
  } else {
    r->status_pending = true;
    /* The start batch completes once the headers arrive (or the call fails,
     * which the status then says). */
    wait_tag(r->cq, &r->tag_start, gpr_inf_future(GPR_CLOCK_REALTIME));
  }
  grpc_byte_buffer_destroy(send);
  return rc;
}

feast_code feast_bq_stream_open(feast_bq *c, const char *stream, int64_t offset, feast_bq_stream_reader **out,
                                feast_error *err) {
  feast_bq_stream_reader *r = feast_calloc(1, sizeof *r);
  if (!r || !(r->stream = feast_strdup(stream))) {
    feast_free(r);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  if (pthread_mutex_init(&r->mu, NULL) != 0) {
    feast_free(r->stream);
    feast_free(r);
    return feast_fail(err, FEAST_E_NOMEM, "cannot create a mutex");
  }
  r->c = c;
  r->rows = offset;
  r->details = grpc_empty_slice();
  grpc_metadata_array_init(&r->init_md);
  grpc_metadata_array_init(&r->trail_md);
  feast_buf_init(&r->msg, FEAST_BUF_UNLIMITED);
  feast_code rc = call_start(r, err);
  if (rc) {
    feast_bq_stream_close(r);
    return rc;
  }
  *out = r;
  return FEAST_OK;
}

feast_code feast_bq_stream_next(feast_bq_stream_reader *r, feast_bq_rows_msg *msg, bool *end, feast_error *err) {
  *end = false;
  if (r->finished) {
    *end = true;
    return FEAST_OK;
  }
  for (;;) {
    grpc_byte_buffer *recv = NULL;
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &recv;
    bool ok = grpc_call_start_batch(r->call, &op, 1, &r->tag_msg, NULL) == GRPC_CALL_OK &&
              wait_tag(r->cq, &r->tag_msg, gpr_inf_future(GPR_CLOCK_REALTIME));
    if (ok && recv) {
      feast_code rc = read_buffer(recv, &r->msg, err);
      grpc_byte_buffer_destroy(recv);
      if (!rc) rc = feast_bq_decode_read_rows(r->msg.data, r->msg.len, msg, err);
      if (rc) return feast_error_prefix(err, "ReadRows %s: ", r->stream);
      r->rows += msg->row_count;
      r->bytes += (int64_t)r->msg.len;
      return FEAST_OK;
    }
    if (recv) grpc_byte_buffer_destroy(recv);
    /* No message: the stream ended; its status says how. */
    wait_tag(r->cq, &r->tag_status, gpr_inf_future(GPR_CLOCK_REALTIME));
    r->status_pending = false;
    if (r->status == GRPC_STATUS_OK) {
      r->finished = true;
      *end = true;
      return FEAST_OK;
    }
    char what[300];
    snprintf(what, sizeof what, "ReadRows %.200s at row %lld", r->stream, (long long)r->rows);
    bool retry = false;
    feast_code rc = status_fail(r->status, &r->details, what, &retry, err);
    if (r->status == GRPC_STATUS_UNAUTHENTICATED) {
      feast_bq_auth_invalidate(r->c);
      retry = true;
    }
    pthread_mutex_lock(&r->mu);
    bool cancelled = r->cancelled;
    pthread_mutex_unlock(&r->mu);
    if (!retry || r->resumes >= MAX_RESUMES || cancelled) return rc;
    r->resumes++; /* resume from the rows already handed out */
    call_end(r);
    struct timespec ts = {0, 200000000L * r->resumes};
    nanosleep(&ts, NULL);
    if ((rc = call_start(r, err))) return rc;
  }
}

void feast_bq_stream_cancel(feast_bq_stream_reader *r) {
  pthread_mutex_lock(&r->mu);
  r->cancelled = true;
  if (r->call) grpc_call_cancel(r->call, NULL);
  pthread_mutex_unlock(&r->mu);
}

int64_t feast_bq_stream_rows(const feast_bq_stream_reader *r) { return r->rows; }
int64_t feast_bq_stream_bytes(const feast_bq_stream_reader *r) { return r->bytes; }

void feast_bq_stream_close(feast_bq_stream_reader *r) {
  if (!r) return;
  call_end(r);
  grpc_slice_unref(r->details);
  grpc_metadata_array_destroy(&r->init_md);
  grpc_metadata_array_destroy(&r->trail_md);
  feast_buf_free(&r->msg);
  feast_free(r->stream);
  pthread_mutex_destroy(&r->mu);
  feast_free(r);
}
