/*
 * bigquery_read.c - the Storage Read API reader (bigquery_read.h).
 *
 * Workers take stream indexes from a shared counter, so N threads share M
 * streams. In ARROW format (the default) each has an Arrow IPC reader fed
 * the session's schema; a response's record batch is copied into arrays
 * buffer by buffer. In AVRO format each has its own Avro decoder over the
 * session's one compiled plan (immutable, shared), a response's rows are
 * decoded whole (feast_avro_decode_block) and DATETIME strings parsed into
 * timestamps. Columns are renamed to the names asked for. The queue between
 * workers and the consumer is bounded in batches and in bytes.
 */
#include "source/bigquery_read.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "cloud/gcp/bq_storage.h"
#include "format/avro/avro_decode.h"
#include "format/avro/avro_plan.h"
#include "format/avro/avro_schema.h"
#include "format/arrow/arrow_ipc.h"
#include "source/bigquery_types.h"

#define MAX_WORKERS 64

typedef struct column {
  size_t position; /* of the field in the table */
  char *name;      /* as asked for */
  char *field;     /* the table's field name (Avro path) */
  feast_dtype type, child;
  bool datetime;   /* decoded as a string, parsed here */
} column;

typedef struct reader reader;

typedef struct worker {
  reader *r;
  pthread_t thread;
  bool started;
  feast_avro_decoder *dec;        /* AVRO */
  feast_ipc_reader *ipc;          /* ARROW */
  feast_bq_stream_reader *stream; /* under r->mu for cancel */
} worker;

struct reader {
  feast_batch_source base;
  feast_bq *client;
  feast_bq_ref table;
  char label[2600];
  bool drop_table;
  int format;
  size_t ncols;
  column *cols;
  feast_bq_session session;
  feast_avro_schema *schema;
  feast_avro_plan *plan;
  int64_t table_rows;

  pthread_mutex_t mu;
  pthread_cond_t can_put, can_get;
  feast_batch **queue;
  size_t qcap, qhead, qlen;
  int64_t qbytes, max_bytes;
  size_t next_stream;
  int running; /* workers not yet finished */
  bool stop;
  feast_code rc;
  feast_error err;
  int64_t rows, bytes;
  int nworkers;
  worker workers[MAX_WORKERS];
};

static feast_code reader_next(feast_batch_source *self, feast_batch **out, feast_error *err);

static int64_t batch_bytes(const feast_batch *b) {
  int64_t n = 64;
  for (int i = 0; i < b->num_columns; i++) {
    const feast_array *a = b->columns[i];
    int w = feast_dtype_byte_width(a->type);
    n += a->length * (w ? w : 4) + a->data_len + (a->child ? a->child->length * 8 + a->child->data_len : 0);
  }
  return n;
}

/* DATETIME: the string column becomes timestamp[us] (civil time read as UTC). */
static feast_code parse_datetimes(feast_array **col, const char *name, feast_error *err) {
  feast_array *s = *col;
  feast_array *t = feast_array_new(feast_dtype_timestamp(FEAST_UNIT_US, false), feast_dtype_make(FEAST_DT_NULL));
  if (!t) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = feast_array_reserve(t, s->length, 0, err);
  for (int64_t i = 0; !rc && i < s->length; i++) {
    if (!feast_array_is_valid(s, i)) {
      rc = feast_array_append_null(t, err);
      continue;
    }
    size_t len;
    const uint8_t *p = feast_array_get_bytes(s, i, &len);
    char text[64];
    feast_ts ts;
    feast_error e;
    snprintf(text, sizeof text, "%.*s", (int)(len < 63 ? len : 63), (const char *)p);
    if (len >= 63 || feast_ts_parse(text, &ts, &e))
      rc = feast_fail(err, FEAST_E_CORRUPT, "column %s: '%s' is not a DATETIME", name, text);
    else rc = feast_array_append_int(t, ts, err);
  }
  if (rc) {
    feast_array_free(t);
    return rc;
  }
  feast_array_free(s);
  *col = t;
  return FEAST_OK;
}

static feast_code finish_batch(reader *r, worker *w, feast_batch **out, feast_error *err) {
  feast_batch *raw;
  feast_code rc = feast_avro_decoder_finish(w->dec, &raw, err);
  if (rc) return rc;
  feast_batch *b = feast_batch_new((int)r->ncols);
  if (!b) {
    feast_batch_free(raw);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  b->num_rows = raw->num_rows;
  for (size_t i = 0; !rc && i < r->ncols; i++) {
    feast_array *a = raw->columns[i];
    raw->columns[i] = NULL;
    if (r->cols[i].datetime && (rc = parse_datetimes(&a, r->cols[i].name, err))) {
      feast_array_free(a);
      break;
    }
    rc = feast_batch_set_column(b, (int)i, r->cols[i].name, a, err);
  }
  feast_batch_free(raw);
  if (rc) {
    feast_batch_free(b);
    return rc;
  }
  *out = b;
  return FEAST_OK;
}

/* An Arrow record batch as the columns asked for, in their order and names. */
static feast_code arrange(reader *r, feast_batch *in, feast_batch **out, feast_error *err) {
  feast_batch *b = feast_batch_new((int)r->ncols);
  if (!b) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  b->num_rows = in->num_rows;
  feast_code rc = FEAST_OK;
  for (size_t i = 0; !rc && i < r->ncols; i++) {
    int k = feast_batch_find(in, r->cols[i].field);
    for (int c = 0; k < 0 && c < in->num_columns; c++)
      if (strcasecmp(in->names[c], r->cols[i].field) == 0) k = c;
    if (k < 0) {
      rc = feast_fail(err, FEAST_E_SERVER, "%s: the server's Arrow batch has no column %s", r->label, r->cols[i].field);
      break;
    }
    feast_array *a = in->columns[k];
    bool fits = feast_dtype_equal(a->type, r->cols[i].type) &&
                (a->type.id != FEAST_DT_LIST || (a->child && feast_dtype_equal(a->child->type, r->cols[i].child)));
    if (!fits) {
      char t1[64], t2[64];
      rc = feast_fail(err, FEAST_E_SERVER, "%s: column %s came as Arrow %s, expected %s", r->label, r->cols[i].field,
                      feast_dtype_name(a->type, t1, sizeof t1), feast_dtype_name(r->cols[i].type, t2, sizeof t2));
      break;
    }
    in->columns[k] = NULL;
    rc = feast_batch_set_column(b, (int)i, r->cols[i].name, a, err);
  }
  feast_batch_free(in);
  if (rc) {
    feast_batch_free(b);
    return rc;
  }
  *out = b;
  return FEAST_OK;
}

typedef struct emit_ctx {
  reader *r;
  bool stopped;
  int64_t rows;
} emit_ctx;

static bool put(reader *r, feast_batch *b);

static feast_code emit_arrow(void *ctx, feast_batch *in, feast_error *err) {
  emit_ctx *e = ctx;
  feast_batch *b = NULL;
  feast_code rc = arrange(e->r, in, &b, err);
  if (rc) return rc;
  e->rows += b->num_rows;
  if (e->stopped) feast_batch_free(b);
  else if (!put(e->r, b)) e->stopped = true; /* put frees it */
  return FEAST_OK;
}

/* Queue a batch, waiting while the queue is full (in count or bytes). */
static bool put(reader *r, feast_batch *b) {
  int64_t n = batch_bytes(b);
  pthread_mutex_lock(&r->mu);
  while (!r->stop && (r->qlen == r->qcap || (r->qlen > 0 && r->qbytes + n > r->max_bytes)))
    pthread_cond_wait(&r->can_put, &r->mu);
  bool ok = !r->stop;
  if (ok) {
    r->queue[(r->qhead + r->qlen) % r->qcap] = b;
    r->qlen++;
    r->qbytes += n;
    r->rows += b->num_rows;
    pthread_cond_signal(&r->can_get);
  }
  pthread_mutex_unlock(&r->mu);
  if (!ok) feast_batch_free(b);
  return ok;
}

static void fail_worker(reader *r, feast_code rc, const feast_error *e) {
  pthread_mutex_lock(&r->mu);
  if (!r->rc) {
    r->rc = rc;
    r->err = *e;
  }
  r->stop = true;
  pthread_cond_broadcast(&r->can_get);
  pthread_cond_broadcast(&r->can_put);
  pthread_mutex_unlock(&r->mu);
}

static feast_code read_stream(reader *r, worker *w, size_t s, feast_error *err) {
  feast_bq_stream_reader *st;
  feast_code rc = feast_bq_stream_open(r->client, r->session.streams[s], 0, &st, err);
  if (rc) return rc;
  pthread_mutex_lock(&r->mu);
  w->stream = st;
  bool stop = r->stop;
  pthread_mutex_unlock(&r->mu);
  while (!rc && !stop) {
    feast_bq_rows_msg m;
    bool end;
    if ((rc = feast_bq_stream_next(st, &m, &end, err)) || end) break;
    if (m.row_count == 0 && !m.arrow_len) continue;
    if (m.format != r->format) {
      rc = feast_fail(err, FEAST_E_SERVER, "%s: the server sent %s rows, %s was asked for", r->label,
                      m.format == FEAST_BQ_AVRO ? "Avro" : "Arrow", r->format == FEAST_BQ_AVRO ? "Avro" : "Arrow");
      break;
    }
    if (r->format == FEAST_BQ_ARROW) {
      emit_ctx e = {r, false, 0};
      rc = feast_ipc_read(w->ipc, m.arrow, m.arrow_len, emit_arrow, &e, err);
      if (!rc && e.rows != m.row_count)
        rc = feast_fail(err, FEAST_E_SERVER, "%s: a response announced %lld rows and held %lld", r->label,
                        (long long)m.row_count, (long long)e.rows);
      if (e.stopped) stop = true;
    } else {
      int64_t rows = 0;
      rc = feast_avro_decode_block(w->dec, r->plan, m.avro_rows, m.avro_len, m.row_count, &rows, err);
      feast_batch *b = NULL;
      if (!rc) rc = finish_batch(r, w, &b, err);
      if (!rc && !put(r, b)) stop = true;
    }
    pthread_mutex_lock(&r->mu);
    r->bytes += (int64_t)(m.avro_len + m.arrow_len);
    stop = stop || r->stop;
    pthread_mutex_unlock(&r->mu);
  }
  pthread_mutex_lock(&r->mu);
  w->stream = NULL;
  stop = r->stop;
  pthread_mutex_unlock(&r->mu);
  feast_bq_stream_close(st);
  if (rc && stop) rc = FEAST_OK; /* cancelled by close */
  return rc;
}

static void *work(void *arg) {
  worker *w = arg;
  reader *r = w->r;
  feast_code rc = FEAST_OK;
  feast_error e;
  for (;;) {
    pthread_mutex_lock(&r->mu);
    size_t s = r->next_stream < r->session.n_streams && !r->stop ? r->next_stream++ : (size_t)-1;
    pthread_mutex_unlock(&r->mu);
    if (s == (size_t)-1) break;
    if ((rc = read_stream(r, w, s, &e))) {
      feast_error_prefix(&e, "%s: ", r->label);
      fail_worker(r, rc, &e);
      break;
    }
  }
  pthread_mutex_lock(&r->mu);
  r->running--;
  pthread_cond_broadcast(&r->can_get);
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

static feast_code reader_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  reader *r = (reader *)self;
  *out = NULL;
  pthread_mutex_lock(&r->mu);
  while (!r->qlen && r->running > 0 && !r->rc) pthread_cond_wait(&r->can_get, &r->mu);
  feast_code rc = r->rc;
  if (rc) *err = r->err;
  else if (r->qlen) {
    *out = r->queue[r->qhead];
    r->queue[r->qhead] = NULL;
    r->qhead = (r->qhead + 1) % r->qcap;
    r->qlen--;
    r->qbytes -= batch_bytes(*out);
    pthread_cond_signal(&r->can_put);
  }
  pthread_mutex_unlock(&r->mu);
  return rc;
}

static void reader_close(feast_batch_source *self) {
  reader *r = (reader *)self;
  pthread_mutex_lock(&r->mu);
  r->stop = true;
  for (int i = 0; i < r->nworkers; i++)
    if (r->workers[i].stream) feast_bq_stream_cancel(r->workers[i].stream);
  pthread_cond_broadcast(&r->can_put);
  pthread_cond_broadcast(&r->can_get);
  pthread_mutex_unlock(&r->mu);
  for (int i = 0; i < r->nworkers; i++) {
    if (r->workers[i].started) pthread_join(r->workers[i].thread, NULL);
    feast_avro_decoder_free(r->workers[i].dec);
    feast_ipc_reader_free(r->workers[i].ipc);
  }
  for (size_t i = 0; i < r->qlen; i++) feast_batch_free(r->queue[(r->qhead + i) % r->qcap]);
  feast_free(r->queue);
  if (r->drop_table && r->client) {
    feast_error e;
    feast_bq_tables_delete(r->client, &r->table, true, &e);
  }
  for (size_t i = 0; i < r->ncols; i++) {
    feast_free(r->cols[i].name);
    feast_free(r->cols[i].field);
  }
  feast_free(r->cols);
  feast_avro_plan_free(r->plan);
  feast_avro_schema_free(r->schema);
  feast_bq_session_clear(&r->session);
  feast_bq_release(r->client);
  pthread_cond_destroy(&r->can_put);
  pthread_cond_destroy(&r->can_get);
  pthread_mutex_destroy(&r->mu);
  feast_free(r);
}

/* The columns to read: the fields asked for, with their types. */
static feast_code plan_columns(reader *r, const feast_bq_reader_options *o, feast_error *err) {
  size_t n = o->ncols > 0 ? (size_t)o->ncols : o->meta->n_fields;
  if (!(r->cols = feast_calloc(n + 1, sizeof *r->cols))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_error_clear(err);
  int missing = 0;
  for (size_t i = 0; i < n; i++) {
    const char *want = o->ncols > 0 ? o->columns[i] : o->meta->fields[i].name;
    const feast_bq_field *f = feast_bq_table_find(o->meta, want);
    if (!f) {
      if (!missing++) feast_fail(err, FEAST_E_SCHEMA, "%s: no column '%s'", r->label, want);
      else feast_error_append(err, "%s: no column '%s'", r->label, want);
      continue;
    }
    char why[512];
    if (!feast_bq_field_readable(f, why, sizeof why)) return feast_fail(err, FEAST_E_UNSUPPORTED, "%s: %s", r->label, why);
    column *c = &r->cols[r->ncols++];
    c->position = (size_t)(f - o->meta->fields);
    feast_bq_field_dtype(f, &c->type, &c->child, why, sizeof why);
    c->datetime = feast_bq_field_is_datetime(f);
    if (!(c->name = feast_strdup(want)) || !(c->field = feast_strdup(f->name)))
      return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  if (missing) {
    feast_error_append(err, "(the table has:");
    for (size_t i = 0; i < o->meta->n_fields && i < 200; i++) feast_error_append(err, " %s", o->meta->fields[i].name);
    feast_error_append(err, ")");
    return FEAST_E_SCHEMA;
  }
  return FEAST_OK;
}

static feast_code ignore_batch(void *ctx, feast_batch *b, feast_error *err) {
  (void)ctx, (void)err;
  feast_batch_free(b);
  return FEAST_OK;
}

/* ARROW: every worker's reader knows the session's schema. */
static feast_code arrow_readers(reader *r, feast_error *err) {
  feast_code rc = FEAST_OK;
  for (int i = 0; !rc && i < r->nworkers; i++) {
    rc = feast_ipc_reader_new(r->label, &r->workers[i].ipc, err);
    if (!rc && r->session.arrow_schema_len)
      rc = feast_ipc_read(r->workers[i].ipc, r->session.arrow_schema, r->session.arrow_schema_len, ignore_batch, NULL, err);
  }
  return rc;
}

static feast_code compile_plan(reader *r, feast_error *err) {
  if (r->format == FEAST_BQ_ARROW) return arrow_readers(r, err);
  feast_code rc = feast_avro_schema_parse(r->session.avro_schema, strlen(r->session.avro_schema), "the read session's "
                                          "Avro schema", NULL, &r->schema, err);
  if (rc) return rc;
  feast_avro_column *ac = feast_calloc(r->ncols + 1, sizeof *ac);
  if (!ac) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; i < r->ncols; i++) {
    ac[i].path = r->cols[i].field;
    ac[i].type = r->cols[i].datetime ? feast_dtype_make(FEAST_DT_STRING) : r->cols[i].type;
    ac[i].child = r->cols[i].child;
  }
  rc = feast_avro_plan_compile(r->schema->root, r->schema->root, ac, r->ncols, &r->plan, err);
  for (int i = 0; !rc && i < r->nworkers; i++) rc = feast_avro_decoder_new(ac, r->ncols, &r->workers[i].dec, err);
  feast_free(ac);
  return rc;
}

feast_code feast_bq_reader_open(const feast_bq_reader_options *o, feast_batch_source **out, feast_error *err) {
  reader *r = feast_calloc(1, sizeof *r);
  if (!r) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (pthread_mutex_init(&r->mu, NULL) != 0) {
    feast_free(r);
    return feast_fail(err, FEAST_E_NOMEM, "cannot create a mutex");
  }
  pthread_cond_init(&r->can_put, NULL);
  pthread_cond_init(&r->can_get, NULL);
  r->base.next = reader_next;
  r->base.close = reader_close;
  r->table = *o->table;
  r->drop_table = o->drop_table;
  r->format = o->format ? o->format : feast_bq_read_format(o->client);
  r->table_rows = o->meta->num_rows;
  char name[2400];
  feast_bq_ref_format(o->table, name, sizeof name);
  snprintf(r->label, sizeof r->label, "%s", o->label ? o->label : name);
  r->client = feast_bq_retain(o->client);
  feast_code rc = plan_columns(r, o, err);
  if (!rc) {
    const char **fields = feast_calloc(r->ncols + 1, sizeof *fields);
    if (!fields) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    /* In table order: the emulator pairs its Avro schema (table order) with
     * the rows of a SELECT in the order asked; real BigQuery does not mind. */
    size_t k = 0;
    for (size_t pos = 0; !rc && pos < o->meta->n_fields; pos++)
      for (size_t i = 0; i < r->ncols; i++)
        if (r->cols[i].position == pos) {
          bool dup = false;
          for (size_t j = 0; j < k && !dup; j++) dup = strcmp(fields[j], r->cols[i].field) == 0;
          if (!dup) fields[k++] = r->cols[i].field;
        }
    int streams = o->streams > 0 ? o->streams : feast_bq_read_streams(r->client);
    feast_bq_session_request req = {o->table, feast_bq_job_project(r->client, o->table->project), fields, k,
                                    o->row_restriction, streams, r->format};
    if (!rc) rc = feast_bq_session_create(r->client, &req, &r->session, err);
    feast_free(fields);
    if (rc) feast_error_prefix(err, "%s: ", r->label);
  }
  if (!rc) {
    int threads = o->threads > 0 ? o->threads : (int)r->session.n_streams;
    if (threads > (int)r->session.n_streams) threads = (int)r->session.n_streams;
    if (threads > MAX_WORKERS) threads = MAX_WORKERS;
    r->nworkers = threads;
    r->qcap = (size_t)(threads > 0 ? 2 * threads : 1) + 2;
    r->max_bytes = o->ahead_bytes > 0 ? o->ahead_bytes : INT64_MAX;
    if (!(r->queue = feast_calloc(r->qcap, sizeof *r->queue))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  if (!rc && r->session.n_streams) rc = compile_plan(r, err);
  if (rc && r->session.n_streams && rc != FEAST_E_NOMEM) feast_error_prefix(err, "%s: ", r->label);
  for (int i = 0; !rc && i < r->nworkers; i++) {
    r->workers[i].r = r;
    pthread_mutex_lock(&r->mu);
    r->running++;
    pthread_mutex_unlock(&r->mu);
    if (pthread_create(&r->workers[i].thread, NULL, work, &r->workers[i]) != 0) {
      pthread_mutex_lock(&r->mu);
      r->running--;
      pthread_mutex_unlock(&r->mu);
      rc = feast_fail(err, FEAST_E_NOMEM, "cannot start a reader thread");
    } else {
      r->workers[i].started = true;
    }
  }
  if (rc) {
    reader_close(&r->base);
    return rc;
  }
  *out = &r->base;
  return FEAST_OK;
}

bool feast_bq_reader_is(const feast_batch_source *src) { return src && src->next == reader_next; }

int64_t feast_bq_reader_num_rows(const feast_batch_source *src) {
  if (!feast_bq_reader_is(src)) return -1;
  const reader *r = (const reader *)src;
  if (r->session.estimated_rows > 0) return r->session.estimated_rows;
  return r->table_rows;
}

void feast_bq_reader_get_stats(const feast_batch_source *src, feast_bq_reader_stats *out) {
  memset(out, 0, sizeof *out);
  if (!feast_bq_reader_is(src)) return;
  reader *r = (reader *)src;
  pthread_mutex_lock(&r->mu);
  out->rows = r->rows;
  out->bytes = r->bytes;
  out->streams = (int)r->session.n_streams;
  out->estimated_bytes_scanned = r->session.estimated_bytes;
  pthread_mutex_unlock(&r->mu);
}

feast_code feast_bq_reader_schema(const feast_batch_source *src, feast_batch **out, feast_error *err) {
  const reader *r = (const reader *)src;
  feast_batch *b = feast_batch_new((int)r->ncols);
  if (!b) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; i < r->ncols; i++) {
    feast_array *a = feast_array_new(r->cols[i].type, r->cols[i].child);
    feast_code rc = a ? feast_batch_set_column(b, (int)i, r->cols[i].name, a, err)
                      : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (rc) {
      feast_batch_free(b);
      return rc;
    }
  }
  *out = b;
  return FEAST_OK;
}
