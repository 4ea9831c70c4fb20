/*
 * bq_api.h - the BigQuery calls feast makes, over bq_rest.h: table
 * references, tables.get / delete / patch, datasets.get / insert, query
 * jobs (jobs.insert with a client job id, polled through getQueryResults
 * until complete, then jobs.get for the statistics), dry runs, and load
 * jobs through a resumable upload.
 */
#ifndef FEAST_CLOUD_GCP_BQ_API_H
#define FEAST_CLOUD_GCP_BQ_API_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "cloud/gcp/bq_client.h"
#include "feast/time.h"

/* ---- table references ---- */

typedef struct feast_bq_ref {
  char project[256];
  char dataset[1025];
  char table[1025];
} feast_bq_ref;

/* "project:dataset.table", "project.dataset.table" or, with a default
 * project, "dataset.table"; a `bq://` prefix and backquotes are allowed.
 * FEAST_E_INVALID naming the text otherwise. */
feast_code feast_bq_ref_parse(const char *text, const char *default_project, feast_bq_ref *out, feast_error *err);
/* "project.dataset.table" */
void feast_bq_ref_format(const feast_bq_ref *r, char *out, size_t cap);
/* "`project.dataset.table`", for SQL */
void feast_bq_ref_sql(const feast_bq_ref *r, char *out, size_t cap);

/* ---- tables ---- */

typedef struct feast_bq_field feast_bq_field;
struct feast_bq_field {
  const char *name;
  const char *type; /* INTEGER, INT64, FLOAT, FLOAT64, NUMERIC, BIGNUMERIC, BOOLEAN, BOOL, STRING, BYTES,
                       TIMESTAMP, DATE, TIME, DATETIME, GEOGRAPHY, JSON, RECORD, STRUCT, INTERVAL, RANGE */
  const char *mode; /* NULLABLE, REQUIRED, REPEATED */
  size_t n_fields;  /* RECORD */
  const feast_bq_field *fields;
};

typedef struct feast_bq_table {
  feast_arena *arena; /* everything below */
  size_t n_fields;
  const feast_bq_field *fields;
  int64_t num_rows;   /* -1 when not given */
  int64_t num_bytes;  /* -1 when not given */
  const char *kind;   /* "TABLE", "VIEW", "EXTERNAL", "MATERIALIZED_VIEW", "SNAPSHOT" */
  const char *partition_type;  /* timePartitioning.type (DAY, HOUR, MONTH, YEAR), NULL = not time-partitioned */
  const char *partition_field; /* NULL with a partition_type: ingestion-time (_PARTITIONTIME) */
  bool require_partition_filter;
  const char *location;
} feast_bq_table;

void feast_bq_table_free(feast_bq_table *t); /* accepts a zeroed struct */
/* A table resource (tables.get's answer) or, with `schema_only`, a
 * TableSchema object. FEAST_E_CORRUPT naming `name` when it is not one.
 * The caller owns *out: release it with feast_bq_table_free. */
feast_code feast_bq_table_parse(const void *json, size_t len, const char *name, feast_bq_table *out, feast_error *err);
feast_code feast_bq_table_from_json(const void *doc, bool schema_only, const char *name, feast_bq_table *out,
                                    feast_error *err);
const feast_bq_field *feast_bq_table_find(const feast_bq_table *t, const char *name);

/* tables.get: FEAST_E_NOT_FOUND "BigQuery table p.d.t does not exist" when
 * it (or its dataset) is missing. */
feast_code feast_bq_tables_get(feast_bq *c, const feast_bq_ref *ref, feast_bq_table *out, feast_error *err);
/* tables.delete; a missing table is fine when missing_ok. */
feast_code feast_bq_tables_delete(feast_bq *c, const feast_bq_ref *ref, bool missing_ok, feast_error *err);
/* tables.patch of expirationTime: the table is removed by BigQuery then. */
feast_code feast_bq_tables_expire(feast_bq *c, const feast_bq_ref *ref, feast_ts when, feast_error *err);
/* tables.insert of an empty table with these fields (a JSON array of
 * TableFieldSchema) and an optional expiration (0 = none). */
feast_code feast_bq_tables_create(feast_bq *c, const feast_bq_ref *ref, const char *fields_json, feast_ts expires,
                                  feast_error *err);
/* datasets.get, then datasets.insert when missing (in the client's location). */
feast_code feast_bq_datasets_ensure(feast_bq *c, const char *project, const char *dataset, feast_error *err);

/* ---- jobs ---- */

typedef struct feast_bq_job_options {
  bool dry_run;
  const feast_bq_ref *destination; /* NULL = an anonymous result table */
  bool append;                     /* WRITE_APPEND; else WRITE_TRUNCATE (destination) */
  int64_t max_bytes_billed;        /* 0 = no cap */
  const char *label;               /* a "feast" job label value, e.g. "historical" */
  /* Called while the job runs (from the calling thread). */
  void (*progress)(void *ctx, const char *state, double elapsed_s);
  void *progress_ctx;
} feast_bq_job_options;

typedef struct feast_bq_job {
  char project[256];
  char job_id[128];
  char location[64];
  feast_bq_ref destination; /* where the rows are (anonymous or given); empty for a dry run */
  int64_t bytes_processed;  /* statistics.totalBytesProcessed (a dry run's estimate) */
  int64_t bytes_billed;
  int64_t rows;             /* rows in the result, -1 when not known */
  feast_bq_table schema;    /* the result's schema when BigQuery gave it (dry runs: statistics.query.schema) */
  bool has_schema;
  double seconds;
} feast_bq_job;

void feast_bq_job_clear(feast_bq_job *j);

/* A job resource's bytes (jobs.insert / jobs.get answers) into *out: state
 * (*done), the job's error as BigQuery's reason and message, statistics,
 * schema, destination. For the fuzz target; the client reads the same. The
 * caller owns *out: release it with feast_bq_job_clear. */
feast_code feast_bq_job_parse(const char *body, size_t len, const char *what, feast_bq_job *out, bool *done,
                              feast_error *err);

/* Run `sql` (GoogleSQL) as a query job in `project` and wait for it. A job
 * that fails is FEAST_E_INVALID (invalidQuery, invalid) or FEAST_E_SERVER
 * with BigQuery's reason, message and location; FEAST_E_TOO_BIG when
 * max_bytes_billed would be exceeded. The caller owns *out: release it with
 * feast_bq_job_clear. */
feast_code feast_bq_query(feast_bq *c, const char *project, const char *sql, const feast_bq_job_options *o,
                          feast_bq_job *out, feast_error *err);

/* The columns a query yields, without running it: a dry run's schema, or
 * where the server gives none (emulators), the schema of `SELECT * FROM
 * (sql) LIMIT 0`. */
feast_code feast_bq_query_schema(feast_bq *c, const char *project, const char *sql, feast_bq_table *out,
                                 int64_t *bytes_estimate, feast_error *err);

/* A load job of `len` bytes of `format` ("PARQUET", "NEWLINE_DELIMITED_JSON")
 * into `dest` with the given fields (a JSON array of TableFieldSchema; the
 * table is created when missing), appended or replacing the table, through
 * a resumable upload; waits for the job. `expires` (0 = none) sets the
 * table's expiration afterwards. */
feast_code feast_bq_load(feast_bq *c, const feast_bq_ref *dest, const char *format, const char *fields_json,
                         const void *data, size_t len, bool append, feast_ts expires, feast_bq_job *out,
                         feast_error *err);

/* A fresh job id: "feast_<what>_<time>_<random>". */
void feast_bq_job_id(const char *what, char *out, size_t cap);

#endif
