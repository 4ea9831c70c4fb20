/*
 * csv.c - RFC 4180 CSV as a feast_batch_source (see include/feast/csv.h).
 *
 * Three stages: a record parser over a 64 KiB read buffer (quotes, doubled
 * quotes, embedded newlines, CRLF), type inference over the first records,
 * which are kept as raw fields until the schema is fixed, and conversion of
 * each field into its column's builder. Line numbers are physical lines, so
 * an error inside a record with embedded newlines points at its first line.
 */
#include "feast/csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "feast/time.h"

#define CSV_CHUNK 65536

typedef struct csv_record {
  feast_buf bytes;  /* the fields, back to back */
  size_t *ends;     /* end offset of each field in bytes */
  uint8_t *quoted;  /* 1 when the field was quoted */
  int nfields, cap;
  int64_t line;     /* first physical line of the record */
} csv_record;

typedef struct csv_reader {
  feast_batch_source base; /* first: the source pointer is the reader */
  feast_csv_options opts;
  feast_csv_column_type *types;
  char *name;
  FILE *fp;
  const uint8_t *mem;
  size_t mem_len, mem_pos;
  uint8_t *buf;
  size_t buf_len, buf_pos;
  bool eof;
  int64_t line;
  int ncols;
  feast_batch *schema;
  csv_record rec;
  csv_record *sample; /* records read during inference, not yet returned */
  int64_t nsample, sample_pos;
  bool done;
} csv_reader;

/* ---- reading bytes ---- */

static int refill(csv_reader *r, feast_error *err) {
  if (r->eof) return 0;
  if (r->fp) {
    r->buf_len = fread(r->buf, 1, CSV_CHUNK, r->fp);
    if (r->buf_len == 0 && ferror(r->fp)) {
      feast_fail(err, FEAST_E_IO, "%s: read failed: %s", r->name, strerror(errno));
      return -1;
    }
  } else {
    size_t n = r->mem_len - r->mem_pos < CSV_CHUNK ? r->mem_len - r->mem_pos : CSV_CHUNK;
    if (n) memcpy(r->buf, r->mem + r->mem_pos, n);
    r->mem_pos += n;
    r->buf_len = n;
  }
  r->buf_pos = 0;
  if (r->buf_len == 0) r->eof = true;
  return r->buf_len > 0;
}

/* Next byte, or -1 at the end, or -2 on a read error. */
static inline int next_char(csv_reader *r, feast_error *err) {
  if (r->buf_pos == r->buf_len) {
    int k = refill(r, err);
    if (k <= 0) return k < 0 ? -2 : -1;
  }
  return r->buf[r->buf_pos++];
}

static inline int peek_char(csv_reader *r, feast_error *err) {
  if (r->buf_pos == r->buf_len) {
    int k = refill(r, err);
    if (k <= 0) return k < 0 ? -2 : -1;
  }
  return r->buf[r->buf_pos];
}

/* ---- records ---- */

static void rec_init(csv_record *rec, size_t max) {
  memset(rec, 0, sizeof *rec);
  feast_buf_init(&rec->bytes, max);
}

static void rec_free(csv_record *rec) {
  feast_buf_free(&rec->bytes);
  feast_free(rec->ends);
  feast_free(rec->quoted);
  memset(rec, 0, sizeof *rec);
}

static feast_code end_field(csv_reader *r, csv_record *rec, bool quoted, feast_error *err) {
  if (rec->nfields == rec->cap) {
    if (rec->cap >= r->opts.max_columns)
      return feast_fail(err, FEAST_E_TOO_BIG, "%s: line %lld: more than %d fields", r->name, (long long)rec->line,
                        r->opts.max_columns);
    int cap = rec->cap ? rec->cap * 2 : 16;
    if (cap > r->opts.max_columns) cap = r->opts.max_columns;
    size_t *e = feast_realloc(rec->ends, (size_t)cap * sizeof *e);
    if (!e) return feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", r->name);
    rec->ends = e;
    uint8_t *q = feast_realloc(rec->quoted, (size_t)cap);
    if (!q) return feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", r->name);
    rec->quoted = q;
    rec->cap = cap;
  }
  rec->ends[rec->nfields] = rec->bytes.len;
  rec->quoted[rec->nfields] = quoted;
  rec->nfields++;
  return FEAST_OK;
}

static feast_code add_byte(csv_reader *r, csv_record *rec, int ch, feast_error *err) {
  feast_code rc = feast_buf_append_byte(&rec->bytes, (uint8_t)ch, err);
  if (rc == FEAST_E_TOO_BIG)
    return feast_fail(err, FEAST_E_TOO_BIG, "%s: line %lld: record longer than %zu bytes", r->name,
                      (long long)rec->line, r->opts.max_record_bytes);
  return rc;
}

/* Read one record into rec; *got = false at the end of the input. Blank
 * lines are skipped. */
static feast_code read_record(csv_reader *r, csv_record *rec, bool *got, feast_error *err) {
  feast_code rc;
  for (;;) {
    feast_buf_reset(&rec->bytes);
    rec->nfields = 0;
    rec->line = r->line;
    bool quoted = false, in_quotes = false, after_quote = false, any = false;
    int ch;
    for (;;) {
      ch = next_char(r, err);
      if (ch == -2) return FEAST_E_IO;
      if (ch == -1) {
        if (in_quotes)
          return feast_fail(err, FEAST_E_CORRUPT, "%s: line %lld: a quoted field is never closed", r->name,
                            (long long)rec->line);
        break;
      }
      any = true;
      if (in_quotes) {
        if (ch == '"') {
          if (peek_char(r, err) == '"') {
            next_char(r, err);
            if ((rc = add_byte(r, rec, '"', err))) return rc;
          } else {
            in_quotes = false;
            after_quote = true;
          }
        } else {
          if (ch == '\n') r->line++;
          if ((rc = add_byte(r, rec, ch, err))) return rc;
        }
        continue;
      }
      if (ch == r->opts.delimiter) {
        if ((rc = end_field(r, rec, quoted, err))) return rc;
        quoted = after_quote = false;
        continue;
      }
      if (ch == '\r' || ch == '\n') {
        if (ch == '\r' && peek_char(r, err) == '\n') next_char(r, err);
        r->line++;
        break;
      }
      if (after_quote)
        return feast_fail(err, FEAST_E_CORRUPT, "%s: line %lld, field %d: unexpected '%c' after a closing quote",
                          r->name, (long long)r->line, rec->nfields + 1, ch);
      if (ch == '"' && !quoted && rec->bytes.len == (rec->nfields ? rec->ends[rec->nfields - 1] : 0)) {
        in_quotes = quoted = true;
        continue;
      }
      if ((rc = add_byte(r, rec, ch, err))) return rc;
    }
    if (!any) {
      *got = false;
      return FEAST_OK;
    }
    if ((rc = end_field(r, rec, quoted, err))) return rc;
    if (rec->nfields == 1 && rec->bytes.len == 0 && !rec->quoted[0]) {
      if (ch == -1) {
        *got = false;
        return FEAST_OK;
      }
      continue; /* blank line */
    }
    *got = true;
    return FEAST_OK;
  }
}

static const char *field(const csv_record *rec, int i, size_t *len) {
  size_t b = i ? rec->ends[i - 1] : 0;
  *len = rec->ends[i] - b;
  return (const char *)rec->bytes.data + b;
}

/* ---- values ---- */

/* A NUL-terminated copy of a short field in tmp (numbers, timestamps). */
static const char *cstr(const char *p, size_t n, char *tmp, size_t cap) {
  if (n >= cap) n = cap - 1;
  memcpy(tmp, p, n);
  tmp[n] = 0;
  return tmp;
}

static bool parse_int(const char *p, size_t n, int64_t *out) {
  char tmp[64];
  if (n == 0 || n >= sizeof tmp) return false;
  const char *s = cstr(p, n, tmp, sizeof tmp);
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || end == s || s[0] == ' ' || s[0] == '\t') return false;
  *out = v;
  return true;
}

static bool parse_uint(const char *p, size_t n, uint64_t *out) {
  char tmp[64];
  if (n == 0 || n >= sizeof tmp || p[0] == '-') return false;
  const char *s = cstr(p, n, tmp, sizeof tmp);
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || end == s || s[0] == ' ' || s[0] == '\t') return false;
  *out = v;
  return true;
}

static bool parse_double(const char *p, size_t n, double *out) {
  char tmp[128];
  if (n == 0 || n >= sizeof tmp) return false;
  const char *s = cstr(p, n, tmp, sizeof tmp);
  if (s[0] == ' ' || s[0] == '\t') return false;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (*end || end == s || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))) return false;
  *out = v;
  return true;
}

static bool parse_bool(const char *p, size_t n, bool *out) {
  if (n == 4 && strncasecmp(p, "true", 4) == 0) return *out = true, true;
  if (n == 5 && strncasecmp(p, "false", 5) == 0) return *out = false, true;
  return false;
}

/* Dates and date-times only: a bare integer is a number here, not seconds. */
static bool parse_ts(const char *p, size_t n, feast_ts *out) {
  char tmp[64];
  if (n < 8 || n >= sizeof tmp || !memchr(p, '-', n)) return false;
  feast_error e;
  return feast_ts_parse(cstr(p, n, tmp, sizeof tmp), out, &e) == FEAST_OK;
}

/* ---- inference ---- */

enum { CAN_INT = 1, CAN_DOUBLE = 2, CAN_BOOL = 4, CAN_TS = 8 };

static feast_dtype infer(const csv_record *recs, int64_t n, int col) {
  int can = CAN_INT | CAN_DOUBLE | CAN_BOOL | CAN_TS;
  bool seen = false;
  for (int64_t k = 0; k < n && can; k++) {
    size_t len;
    const char *p = field(&recs[k], col, &len);
    if (len == 0) continue;
    seen = true;
    int64_t i;
    double d;
    bool b;
    feast_ts t;
    if ((can & CAN_INT) && !parse_int(p, len, &i)) can &= ~CAN_INT;
    if ((can & CAN_DOUBLE) && !parse_double(p, len, &d)) can &= ~CAN_DOUBLE;
    if ((can & CAN_BOOL) && !parse_bool(p, len, &b)) can &= ~CAN_BOOL;
    if ((can & CAN_TS) && !parse_ts(p, len, &t)) can &= ~CAN_TS;
  }
  if (!seen) return feast_dtype_make(FEAST_DT_STRING);
  if (can & CAN_INT) return feast_dtype_make(FEAST_DT_INT64);
  if (can & CAN_DOUBLE) return feast_dtype_make(FEAST_DT_DOUBLE);
  if (can & CAN_BOOL) return feast_dtype_make(FEAST_DT_BOOL);
  if (can & CAN_TS) return feast_dtype_timestamp(FEAST_UNIT_US, true);
  return feast_dtype_make(FEAST_DT_STRING);
}

static bool type_supported(feast_dtype t) {
  switch ((feast_dtype_id)t.id) {
  case FEAST_DT_BOOL:
  case FEAST_DT_FLOAT:
  case FEAST_DT_DOUBLE:
  case FEAST_DT_STRING:
  case FEAST_DT_BINARY:
  case FEAST_DT_DATE32:
  case FEAST_DT_TIMESTAMP: return true;
  default: return feast_dtype_is_integer(t);
  }
}

/* ---- conversion ---- */

static feast_code bad_value(csv_reader *r, const csv_record *rec, int col, const char *p, size_t n, feast_error *err) {
  char tn[64];
  feast_dtype t = r->schema->columns[col]->type;
  return feast_fail(err, FEAST_E_INVALID, "%s: line %lld, column '%s': '%.*s' is not a valid %s%s", r->name,
                    (long long)rec->line, r->schema->names[col], (int)(n > 80 ? 80 : n), p,
                    feast_dtype_name(t, tn, sizeof tn),
                    " (types not given are inferred from the first rows)");
}

static feast_code append_field(csv_reader *r, feast_array *a, const csv_record *rec, int col, feast_error *err) {
  size_t n;
  const char *p = field(rec, col, &n);
  feast_dtype t = a->type;
  bool is_text = t.id == FEAST_DT_STRING || t.id == FEAST_DT_BINARY;
  if (n == 0 && !(is_text && rec->quoted[col])) return feast_array_append_null(a, err);
  /* C's number parsers stop at a NUL, so "1<NUL>9" would read as 1: no
   * CSV field may hold one (text ones neither: they are text). */
  const char *nul = memchr(p, 0, n);
  if (nul)
    return feast_fail(err, FEAST_E_INVALID, "%s: line %lld, column '%s': a NUL byte at byte %zu of the field", r->name,
                      (long long)rec->line, r->schema->names[col], (size_t)(nul - p) + 1);
  int64_t i;
  uint64_t u;
  double d;
  bool b;
  feast_ts ts;
  switch ((feast_dtype_id)t.id) {
  case FEAST_DT_STRING:
  case FEAST_DT_BINARY: return feast_array_append_bytes(a, p, n, err);
  case FEAST_DT_BOOL:
    if (!parse_bool(p, n, &b)) {
      if (n == 1 && (p[0] == '0' || p[0] == '1'))
        b = p[0] == '1';
      else
        return bad_value(r, rec, col, p, n, err);
    }
    return feast_array_append_bool(a, b, err);
  case FEAST_DT_INT8:
  case FEAST_DT_INT16:
  case FEAST_DT_INT32:
  case FEAST_DT_INT64: {
    int bits = feast_dtype_byte_width(t) * 8;
    if (!parse_int(p, n, &i) || (bits < 64 && (i < -(INT64_C(1) << (bits - 1)) || i >= (INT64_C(1) << (bits - 1)))))
      return bad_value(r, rec, col, p, n, err);
    return feast_array_append_int(a, i, err);
  }
  case FEAST_DT_UINT8:
  case FEAST_DT_UINT16:
  case FEAST_DT_UINT32:
  case FEAST_DT_UINT64: {
    int bits = feast_dtype_byte_width(t) * 8;
    if (!parse_uint(p, n, &u) || (bits < 64 && u >= (UINT64_C(1) << bits))) return bad_value(r, rec, col, p, n, err);
    return feast_array_append_int(a, (int64_t)u, err);
  }
  case FEAST_DT_FLOAT:
  case FEAST_DT_DOUBLE:
    if (!parse_double(p, n, &d)) return bad_value(r, rec, col, p, n, err);
    return feast_array_append_double(a, d, err);
  case FEAST_DT_DATE32:
    if (!parse_ts(p, n, &ts)) return bad_value(r, rec, col, p, n, err);
    return feast_array_append_int(a, ts >= 0 ? ts / (86400 * FEAST_US_PER_SEC)
                                             : -((-ts + 86400 * FEAST_US_PER_SEC - 1) / (86400 * FEAST_US_PER_SEC)),
                                  err);
  case FEAST_DT_TIMESTAMP: {
    if (!parse_ts(p, n, &ts)) return bad_value(r, rec, col, p, n, err);
    int64_t v = ts;
    switch (t.unit) {
    case FEAST_UNIT_S: v = ts / FEAST_US_PER_SEC; break;
    case FEAST_UNIT_MS: v = ts / 1000; break;
    case FEAST_UNIT_NS:
      if (ts > INT64_MAX / 1000 || ts < INT64_MIN / 1000) return bad_value(r, rec, col, p, n, err);
      v = ts * 1000;
      break;
    default: break;
    }
    return feast_array_append_int(a, v, err);
  }
  default: return feast_fail(err, FEAST_E_INTERNAL, "csv: unexpected column type");
  }
}

static feast_code append_record(csv_reader *r, feast_batch *b, const csv_record *rec, feast_error *err) {
  if (rec->nfields != r->ncols)
    return feast_fail(err, FEAST_E_INVALID, "%s: line %lld: %d fields, the header has %d", r->name,
                      (long long)rec->line, rec->nfields, r->ncols);
  for (int c = 0; c < r->ncols; c++) {
    feast_code rc = append_field(r, b->columns[c], rec, c, err);
    if (rc) return rc;
  }
  b->num_rows++;
  return FEAST_OK;
}

static feast_code new_batch(csv_reader *r, feast_batch **out, feast_error *err) {
  feast_batch *b = feast_batch_new(r->ncols);
  if (!b) return feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", r->name);
  for (int c = 0; c < r->ncols; c++) {
    feast_array *a = feast_array_new(r->schema->columns[c]->type, feast_dtype_make(FEAST_DT_NULL));
    feast_code rc = a ? feast_batch_set_column(b, c, r->schema->names[c], a, err)
                      : feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", r->name);
    if (rc) {
      feast_batch_free(b);
      return rc;
    }
  }
  *out = b;
  return FEAST_OK;
}

static feast_code csv_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  csv_reader *r = (csv_reader *)self;
  *out = NULL;
  if (r->done) return FEAST_OK;
  feast_batch *b = NULL;
  feast_code rc = new_batch(r, &b, err);
  if (rc) return rc;
  while (b->num_rows < r->opts.batch_rows) {
    const csv_record *rec;
    if (r->sample_pos < r->nsample) {
      rec = &r->sample[r->sample_pos++];
    } else {
      bool got;
      if ((rc = read_record(r, &r->rec, &got, err))) break;
      if (!got) {
        r->done = true;
        break;
      }
      rec = &r->rec;
    }
    if ((rc = append_record(r, b, rec, err))) break;
  }
  if (r->sample && r->sample_pos == r->nsample) {
    for (int64_t k = 0; k < r->nsample; k++) rec_free(&r->sample[k]);
    feast_free(r->sample);
    r->sample = NULL;
    r->nsample = r->sample_pos = 0;
  }
  if (rc) {
    r->done = true;
    feast_batch_free(b);
    return rc;
  }
  if (b->num_rows == 0) {
    r->done = true;
    feast_batch_free(b);
    return FEAST_OK;
  }
  *out = b;
  return FEAST_OK;
}

static void csv_close(feast_batch_source *self) {
  csv_reader *r = (csv_reader *)self;
  if (!r) return;
  if (r->fp) fclose(r->fp);
  for (int64_t k = 0; r->sample && k < r->nsample; k++) rec_free(&r->sample[k]);
  feast_free(r->sample);
  rec_free(&r->rec);
  feast_batch_free(r->schema);
  for (int i = 0; r->types && i < r->opts.num_types; i++) feast_free((char *)r->types[i].name);
  feast_free(r->types);
  feast_free(r->buf);
  feast_free(r->name);
  feast_free(r);
}

const feast_batch *feast_csv_schema(const feast_batch_source *src) { return ((const csv_reader *)src)->schema; }

void feast_csv_options_init(feast_csv_options *o) {
  memset(o, 0, sizeof *o);
  o->delimiter = ',';
}

/* Header, sample, inference, overrides. */
static feast_code start(csv_reader *r, feast_error *err) {
  feast_code rc;
  bool got;
  /* UTF-8 byte-order mark */
  if (peek_char(r, err) == 0xEF && r->buf_len - r->buf_pos >= 3 && r->buf[r->buf_pos + 1] == 0xBB &&
      r->buf[r->buf_pos + 2] == 0xBF)
    r->buf_pos += 3;
  if ((rc = read_record(r, &r->rec, &got, err))) return rc;
  if (!got) return feast_fail(err, FEAST_E_INVALID, "%s: the file is empty (a header row is required)", r->name);
  r->ncols = r->rec.nfields;
  if (!(r->schema = feast_batch_new(r->ncols))) return feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", r->name);
  for (int c = 0; c < r->ncols; c++) {
    size_t n;
    const char *p = field(&r->rec, c, &n);
    char *nm = feast_strndup(p, n);
    if (!nm) return feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", r->name);
    if (n == 0 || memchr(p, 0, n)) {
      feast_free(nm);
      return feast_fail(err, FEAST_E_INVALID, "%s: line %lld: header column %d has no name", r->name,
                        (long long)r->rec.line, c + 1);
    }
    if (feast_batch_find(r->schema, nm) >= 0) {
      rc = feast_fail(err, FEAST_E_INVALID, "%s: line %lld: column '%s' appears twice in the header", r->name,
                      (long long)r->rec.line, nm);
      feast_free(nm);
      return rc;
    }
    r->schema->names[c] = nm;
  }
  /* The sample. */
  if (!(r->sample = feast_calloc((size_t)r->opts.sample_rows, sizeof *r->sample)))
    return feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", r->name);
  while (r->nsample < r->opts.sample_rows) {
    csv_record *rec = &r->sample[r->nsample];
    rec_init(rec, r->opts.max_record_bytes);
    r->nsample++;
    if ((rc = read_record(r, rec, &got, err))) return rc;
    if (!got) {
      rec_free(rec);
      r->nsample--;
      break;
    }
    if (rec->nfields != r->ncols)
      return feast_fail(err, FEAST_E_INVALID, "%s: line %lld: %d fields, the header has %d", r->name,
                        (long long)rec->line, rec->nfields, r->ncols);
  }
  for (int i = 0; i < r->opts.num_types; i++)
    if (feast_batch_find(r->schema, r->types[i].name) < 0)
      return feast_fail(err, FEAST_E_SCHEMA, "%s: a type is given for column '%s', which the header lacks", r->name,
                        r->types[i].name);
  for (int c = 0; c < r->ncols; c++) {
    feast_dtype t = infer(r->sample, r->nsample, c);
    for (int i = 0; i < r->opts.num_types; i++)
      if (strcmp(r->types[i].name, r->schema->names[c]) == 0) t = r->types[i].type;
    char tn[64];
    if (!type_supported(t))
      return feast_fail(err, FEAST_E_UNSUPPORTED, "%s: column '%s': CSV cannot be read as %s", r->name,
                        r->schema->names[c], feast_dtype_name(t, tn, sizeof tn));
    if (!(r->schema->columns[c] = feast_array_new(t, feast_dtype_make(FEAST_DT_NULL))))
      return feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", r->name);
  }
  return FEAST_OK;
}

static feast_code open_common(csv_reader *r, const char *name, const feast_csv_options *opts, feast_batch_source **out,
                              feast_error *err) {
  r->base.next = csv_next;
  r->base.close = csv_close;
  r->line = 1;
  if (opts)
    r->opts = *opts;
  else
    feast_csv_options_init(&r->opts);
  feast_csv_options *o = &r->opts;
  if (!o->delimiter) o->delimiter = ',';
  if (o->batch_rows <= 0) o->batch_rows = 65536;
  if (o->sample_rows <= 0) o->sample_rows = 1000;
  if (o->max_record_bytes == 0) o->max_record_bytes = (size_t)16 << 20;
  if (o->max_columns <= 0) o->max_columns = 10000;
  feast_code rc = FEAST_OK;
  r->name = feast_strdup(name ? name : "csv");
  r->buf = feast_malloc(CSV_CHUNK);
  rec_init(&r->rec, o->max_record_bytes);
  if (!r->name || !r->buf) {
    rc = feast_fail(err, FEAST_E_NOMEM, "out of memory opening a CSV file");
    goto fail;
  }
  if (o->delimiter == '"' || o->delimiter == '\n' || o->delimiter == '\r') {
    rc = feast_fail(err, FEAST_E_INVALID, "%s: the delimiter cannot be a quote or a line break", r->name);
    goto fail;
  }
  if (o->num_types > 0) {
    if (!(r->types = feast_calloc((size_t)o->num_types, sizeof *r->types))) {
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory opening a CSV file");
      goto fail;
    }
    for (int i = 0; i < o->num_types; i++) {
      r->types[i].type = o->types[i].type;
      if (!(r->types[i].name = feast_strdup(o->types[i].name ? o->types[i].name : ""))) {
        o->num_types = i;
        rc = feast_fail(err, FEAST_E_NOMEM, "out of memory opening a CSV file");
        goto fail;
      }
    }
  }
  o->types = NULL;
  if ((rc = start(r, err))) goto fail;
  *out = &r->base;
  return FEAST_OK;
fail:
  csv_close(&r->base);
  return rc;
}

feast_code feast_csv_open(const char *path, const feast_csv_options *opts, feast_batch_source **out,
                          feast_error *err) {
  *out = NULL;
  csv_reader *r = feast_calloc(1, sizeof *r);
  if (!r) return feast_fail(err, FEAST_E_NOMEM, "out of memory opening a CSV file");
  r->fp = fopen(path, "rb");
  if (!r->fp) {
    feast_free(r);
    return feast_fail(err, errno == ENOENT ? FEAST_E_NOT_FOUND : FEAST_E_IO, "%s: cannot open: %s", path,
                      strerror(errno));
  }
  return open_common(r, path, opts, out, err);
}

feast_code feast_csv_open_memory(const void *data, size_t len, const char *name, const feast_csv_options *opts,
                                 feast_batch_source **out, feast_error *err) {
  *out = NULL;
  csv_reader *r = feast_calloc(1, sizeof *r);
  if (!r) return feast_fail(err, FEAST_E_NOMEM, "out of memory opening a CSV file");
  r->mem = data;
  r->mem_len = len;
  return open_common(r, name, opts, out, err);
}

feast_code feast_csv_read_all(const char *path, const feast_csv_options *opts, feast_batch **out, feast_error *err) {
  *out = NULL;
  feast_batch_source *src;
  feast_code rc = feast_csv_open(path, opts, &src, err);
  if (rc) return rc;
  feast_batch *all = NULL, *b = NULL;
  const feast_batch *s = feast_csv_schema(src);
  all = feast_batch_new(s->num_columns);
  if (!all) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int c = 0; !rc && c < s->num_columns; c++) {
    feast_array *a = feast_array_new(s->columns[c]->type, feast_dtype_make(FEAST_DT_NULL));
    rc = a ? feast_batch_set_column(all, c, s->names[c], a, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  while (!rc && !(rc = src->next(src, &b, err)) && b) {
    for (int c = 0; !rc && c < b->num_columns; c++)
      rc = feast_array_append_range(all->columns[c], b->columns[c], 0, b->num_rows, err);
    all->num_rows += b->num_rows;
    feast_batch_free(b);
    b = NULL;
  }
  src->close(src);
  if (rc) {
    feast_batch_free(all);
    return rc;
  }
  *out = all;
  return FEAST_OK;
}
