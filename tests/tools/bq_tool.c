/*
 * bq_tool.c - test-only driver of the Google Cloud layer, for
 * tests/py/test_bigquery*.py and bench/bigquery: each subcommand is one
 * piece (credentials, REST, Storage Read) run against real servers.
 *
 *   bq_tool token CREDENTIALS_FILE [N]     fetch a token N times (default 1);
 *                                          prints the header and the number of exchanges
 *   bq_tool schema REF | --query SQL       columns and feast types, one per line
 *   bq_tool read REF OUT.parquet [--columns a,b] [--where PRED] [--threads N] [--streams N]
 *                                          Storage Read into Parquet; prints rows, bytes, seconds
 *   bq_tool query SQL                      run a job; prints bytes processed and the result table
 *   bq_tool dry-run SQL                    prints the estimate and the schema
 *   bq_tool ipc IN OUT.parquet             an Arrow IPC stream file through our IPC reader into Parquet
 *
 * Endpoints come from BIGQUERY_EMULATOR_HOST / BIGQUERY_STORAGE_EMULATOR_HOST
 * and FEAST_BQ_PROJECT (bigquery.project), FEAST_BQ_CREDENTIALS
 * (bigquery.credentials). Exit status 0, or 1 with the error on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud/gcp/bq_api.h"
#include "base/buf.h"
#include "base/file.h"
#include "cloud/gcp/gcp_creds.h"
#include "format/arrow/arrow_ipc.h"
#include "feast/parquet_writer.h"
#include "source/bigquery.h"
#include "source/bigquery_read.h"
#include "source/bigquery_types.h"

static int die(const char *what, const feast_error *err) {
  fprintf(stderr, "bq_tool: %s: %s\n", what, err ? err->message : "");
  return 1;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_token(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: bq_tool token FILE [N]\n"), 2;
  feast_gcp_creds *c;
  feast_error err;
  if (feast_gcp_creds_find(argv[2], &c, &err)) return die("credentials", &err);
  int n = argc > 3 ? atoi(argv[3]) : 1;
  char hdr[4200];
  for (int i = 0; i < n; i++) {
    if (feast_gcp_creds_header(c, hdr, sizeof hdr, &err)) {
      feast_gcp_creds_free(c);
      return die("token", &err);
    }
    if (i + 1 < n && getenv("BQ_TOOL_SLEEP_MS")) {
      long ms = atol(getenv("BQ_TOOL_SLEEP_MS"));
      struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
      nanosleep(&ts, NULL);
    }
  }
  printf("%s\nfetches %ld\nproject %s\n%s\n", hdr, feast_gcp_creds_fetches(c),
         feast_gcp_creds_project(c) ? feast_gcp_creds_project(c) : "-", feast_gcp_creds_describe(c));
  feast_gcp_creds_free(c);
  return 0;
}

static feast_code client(feast_bq **c, feast_error *err) {
  feast_bigquery_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.project = getenv("FEAST_BQ_PROJECT");
  cfg.credentials = getenv("FEAST_BQ_CREDENTIALS");
  feast_code rc = feast_bq_settings_set(&cfg, err);
  return rc ? rc : feast_bq_acquire(c, err);
}

static void print_fields(const feast_bq_table *t) {
  for (size_t i = 0; i < t->n_fields; i++) {
    feast_dtype d, ch;
    char why[256], name[64];
    bool ok = feast_bq_field_dtype(&t->fields[i], &d, &ch, why, sizeof why);
    printf("%s %s %s %s\n", t->fields[i].name, t->fields[i].type, t->fields[i].mode,
           ok ? (d.id == FEAST_DT_LIST ? feast_dtype_name(ch, name, sizeof name) : feast_dtype_name(d, name, sizeof name))
              : "-");
  }
}

static int cmd_schema(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: bq_tool schema REF | --query SQL\n"), 2;
  feast_error err;
  feast_bq *c;
  if (client(&c, &err)) return die("client", &err);
  feast_data_source s;
  memset(&s, 0, sizeof s);
  s.type = FEAST_SOURCE_BIGQUERY;
  if (strcmp(argv[2], "--query") == 0 && argc > 3) s.bigquery.query = argv[3];
  else s.bigquery.table_ref = argv[2];
  feast_bq_source src;
  feast_code rc = feast_bq_source_resolve(c, &s, &src, &err);
  if (!rc) {
    printf("rows %lld partition %s/%s query %d\n", (long long)src.meta.num_rows,
           src.meta.partition_type ? src.meta.partition_type : "-", src.meta.partition_field ? src.meta.partition_field : "-",
           src.is_query);
    print_fields(&src.meta);
    feast_bq_source_clear(&src);
  }
  feast_bq_release(c);
  return rc ? die("schema", &err) : 0;
}

static int cmd_read(int argc, char **argv) {
  if (argc < 4) return fprintf(stderr, "usage: bq_tool read REF OUT.parquet [options]\n"), 2;
  const char *cols[256];
  int ncols = 0, threads = 0, streams = 0;
  const char *where = NULL;
  char colbuf[8192] = "";
  for (int i = 4; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--columns") == 0) {
      snprintf(colbuf, sizeof colbuf, "%s", argv[i + 1]);
      for (char *save = NULL, *t = strtok_r(colbuf, ",", &save); t && ncols < 256; t = strtok_r(NULL, ",", &save))
        cols[ncols++] = t;
    } else if (strcmp(argv[i], "--where") == 0) where = argv[i + 1];
    else if (strcmp(argv[i], "--threads") == 0) threads = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--streams") == 0) streams = atoi(argv[i + 1]);
  }
  feast_error err;
  feast_bq *c;
  if (client(&c, &err)) return die("client", &err);
  double t0 = now_s();
  feast_bq_ref ref;
  feast_bq_table meta;
  memset(&meta, 0, sizeof meta);
  feast_batch_source *src = NULL;
  feast_code rc = feast_bq_ref_parse(argv[2], feast_bq_job_project(c, NULL), &ref, &err);
  if (!rc) rc = feast_bq_tables_get(c, &ref, &meta, &err);
  feast_bq_reader_options o;
  memset(&o, 0, sizeof o);
  o.client = c;
  o.table = &ref;
  o.meta = &meta;
  o.columns = ncols ? cols : NULL;
  o.ncols = ncols;
  o.row_restriction = where;
  o.threads = threads;
  o.streams = streams;
  if (!rc) rc = feast_bq_reader_open(&o, &src, &err);
  feast_parquet_writer *w = NULL;
  feast_batch *schema = NULL;
  int64_t rows = 0;
  if (!rc) rc = feast_bq_reader_schema(src, &schema, &err);
  if (!rc && strcmp(argv[3], "-") != 0) rc = feast_parquet_writer_open(argv[3], schema, NULL, &w, &err);
  while (!rc) {
    feast_batch *b;
    if ((rc = src->next(src, &b, &err)) || !b) break;
    rows += b->num_rows;
    if (w) rc = feast_parquet_writer_write(w, b, &err);
    feast_batch_free(b);
  }
  if (!rc && w) rc = feast_parquet_writer_close(w, &err);
  feast_bq_reader_stats st;
  if (src) feast_bq_reader_get_stats(src, &st);
  if (!rc)
    printf("rows %lld bytes %lld streams %d seconds %.3f\n", (long long)rows, (long long)st.bytes, st.streams,
           now_s() - t0);
  feast_parquet_writer_free(w);
  feast_batch_free(schema);
  if (src) src->close(src);
  feast_bq_table_free(&meta);
  feast_bq_release(c);
  return rc ? die("read", &err) : 0;
}

static int cmd_query(int argc, char **argv, bool dry) {
  if (argc < 3) return fprintf(stderr, "usage: bq_tool query SQL\n"), 2;
  feast_error err;
  feast_bq *c;
  if (client(&c, &err)) return die("client", &err);
  const char *project = feast_bq_job_project(c, "feasttest");
  feast_code rc;
  if (dry) {
    feast_bq_table t;
    int64_t bytes = -1;
    rc = feast_bq_query_schema(c, project, argv[2], &t, &bytes, &err);
    if (!rc) {
      printf("bytes %lld\n", (long long)bytes);
      print_fields(&t);
      feast_bq_table_free(&t);
    }
  } else {
    feast_bq_job j;
    feast_bq_job_options o;
    memset(&o, 0, sizeof o);
    rc = feast_bq_query(c, project, argv[2], &o, &j, &err);
    if (!rc) {
      char name[2400];
      feast_bq_ref_format(&j.destination, name, sizeof name);
      printf("job %s bytes %lld rows %lld result %s\n", j.job_id, (long long)j.bytes_processed, (long long)j.rows, name);
      feast_bq_job_clear(&j);
    }
  }
  feast_bq_release(c);
  return rc ? die("query", &err) : 0;
}

typedef struct ipc_out {
  const char *path;
  feast_parquet_writer *w;
  int64_t rows, batches;
} ipc_out;

static feast_code ipc_emit(void *ctx, feast_batch *b, feast_error *err) {
  ipc_out *o = ctx;
  feast_code rc = o->w ? FEAST_OK : feast_parquet_writer_open(o->path, b, NULL, &o->w, err);
  if (!rc) rc = feast_parquet_writer_write(o->w, b, err);
  o->rows += b->num_rows;
  o->batches++;
  feast_batch_free(b);
  return rc;
}

static int cmd_ipc(int argc, char **argv) {
  if (argc < 4) return fprintf(stderr, "usage: bq_tool ipc IN OUT.parquet\n"), 2;
  feast_buf in;
  feast_buf_init(&in, FEAST_BUF_UNLIMITED);
  feast_error err;
  feast_ipc_reader *r = NULL;
  ipc_out o = {argv[3], NULL, 0, 0};
  feast_code rc = feast_file_read_all(argv[2], &in, &err);
  if (!rc) rc = feast_ipc_reader_new(argv[2], &r, &err);
  if (!rc) rc = feast_ipc_read(r, in.data, in.len, ipc_emit, &o, &err);
  if (!rc && !o.w && feast_ipc_schema(r)) rc = feast_parquet_writer_open(o.path, feast_ipc_schema(r), NULL, &o.w, &err);
  if (!rc && o.w) rc = feast_parquet_writer_close(o.w, &err);
  if (!rc) printf("rows %lld batches %lld\n", (long long)o.rows, (long long)o.batches);
  feast_parquet_writer_free(o.w);
  feast_ipc_reader_free(r);
  feast_buf_free(&in);
  return rc ? die("ipc", &err) : 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: bq_tool token|schema|read|query|dry-run ...\n"), 2;
  if (strcmp(argv[1], "token") == 0) return cmd_token(argc, argv);
  if (strcmp(argv[1], "schema") == 0) return cmd_schema(argc, argv);
  if (strcmp(argv[1], "read") == 0) return cmd_read(argc, argv);
  if (strcmp(argv[1], "query") == 0) return cmd_query(argc, argv, false);
  if (strcmp(argv[1], "dry-run") == 0) return cmd_query(argc, argv, true);
  if (strcmp(argv[1], "ipc") == 0) return cmd_ipc(argc, argv);
  return fprintf(stderr, "bq_tool: unknown command %s\n", argv[1]), 2;
}
