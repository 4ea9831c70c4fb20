/*
 * bigquery.h - BigQuery beyond what every source does (feast/source.h):
 * the process's BigQuery settings, entity rows that live in BigQuery,
 * historical retrieval pushed down into BigQuery or left in a table, and
 * appending rows to a BigQuerySource's table. docs/bigquery.md has the
 * credentials chain, the type table, what runs where and the costs.
 *
 * Threads: the settings are per process (the last configuration given
 * wins for calls that start afterwards); every other call here may run on
 * many threads at once.
 */
#ifndef FEAST_BIGQUERY_H
#define FEAST_BIGQUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "feast/arrow.h"
#include "feast/config.h"
#include "feast/error.h"
#include "feast/export.h"
#include "feast/retrieval.h"
#include "feast/spec.h"
#include "feast/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Use cfg's bigquery: section (project, endpoints, credentials, ...) for
 * this process's BigQuery calls. feast_store_open does this itself when the
 * configuration has the section; a program that applies specs without a
 * store (feast apply) calls it. Without it, the environment decides
 * (BIGQUERY_EMULATOR_HOST, GOOGLE_APPLICATION_CREDENTIALS, ...). */
FEAST_API feast_code feast_bigquery_configure(const feast_config *cfg, feast_error *err);

/* True for "bq://project.dataset.table" and "bq:SELECT ..." (a query). */
FEAST_API bool feast_bigquery_is_uri(const char *s);

/* Rows of a BigQuery table or query named by such a URI, read through the
 * Storage Read API when first asked for (so historical retrieval can use
 * the table in place instead). *schema is a batch with no rows describing
 * the columns. The caller owns *out and *schema: release them with
 * (*out)->close(*out) and feast_batch_free. */
FEAST_API feast_code feast_bigquery_rows_open(const char *uri, feast_batch_source **out, feast_batch **schema,
                                              feast_error *err);

/* How historical retrieval uses BigQuery. Zero-initialize, then set. */
typedef struct feast_bigquery_historical_options {
  /* "bq://project.dataset.table": the training set is written to that
   * table (replaced) and *out yields no rows. NULL: rows come back. */
  const char *destination;
  /* "auto", "always" (push the join down), "never" (pull the tables and
   * join here); NULL = feature_store.yaml's bigquery.pushdown (auto). */
  const char *pushdown;
} feast_bigquery_historical_options;

/* What a retrieval did with BigQuery. */
typedef struct feast_bigquery_historical_info {
  char plan[16];         /* "pushdown", "pull", "mixed" (BigQuery tables pushed down, the others joined here), "local" */
  char reason[256];      /* why the planner chose it */
  char job_id[128];      /* the join's query job */
  int64_t bytes_processed; /* by the join (BigQuery's statistics) */
  int64_t bytes_billed;
  int64_t rows_uploaded; /* entity rows loaded into a staging table */
  double upload_seconds, job_seconds, read_seconds;
  char destination[2400]; /* the table the training set is in */
} feast_bigquery_historical_info;

/* feast_store_get_historical_features with BigQuery's choices: where the
 * result goes, the pushdown policy, and a report of what was done. `bo`
 * and `info` may be NULL. When every referenced table's source is in
 * BigQuery and the planner (or the policy) says so, the point-in-time join
 * runs in BigQuery as one query with the semantics of docs/retrieval.md;
 * local entity rows are first loaded into a staging table that expires
 * after a day. When some tables are in BigQuery and some are files, the
 * BigQuery tables are joined there and the others here, and the columns
 * are put together by entity row. The caller owns *out: release it with
 * (*out)->close(*out). */
FEAST_API feast_code feast_store_get_historical_features_bq(feast_store *s, const char *const *refs,
                                                            size_t n_refs, feast_batch_source *entities,
                                                            const feast_historical_options *opts,
                                                            const feast_bigquery_historical_options *bo,
                                                            feast_batch_source **out, feast_retrieval_summary *summary,
                                                            feast_bigquery_historical_info *info, feast_error *err);

/* Append the rows of `batches` (all shaped alike; borrowed) to the table
 * of BigQuery source `s` in one load job (Feast 0.9's Client.ingest into a
 * BigQuerySource). Every column must be one of the table's with a fitting
 * type (INT32 into INTEGER is fine); nothing is loaded otherwise.
 * *loaded (may be NULL) gets the row count. */
FEAST_API feast_code feast_bigquery_append(const feast_data_source *s, feast_batch *const *batches, size_t n,
                                           int64_t *loaded, feast_error *err);

#ifdef __cplusplus
}
#endif
#endif
