/*
 * retrieval_bigquery.h - historical retrieval when BigQuery is involved:
 * the planner that chooses between pushing the point-in-time join down
 * into BigQuery and pulling the tables to join them here, the pushdown
 * itself (entity rows uploaded to a staging table, one query job, the
 * result read back by row number), and the split of mixed requests.
 *
 * Splitting: the tables whose batch source is in BigQuery are joined
 * there in one job; the others (Parquet) by the local engine over the same
 * entity rows; both results are in entity-row order and are put together
 * column by column, so the output is what the local engine alone would
 * give: entity columns, then table__feature in first-reference order.
 */
#ifndef FEAST_ENGINE_RETRIEVAL_BIGQUERY_H
#define FEAST_ENGINE_RETRIEVAL_BIGQUERY_H

#include <stdbool.h>

#include "feast/bigquery.h"
#include "feast/retrieval.h"

/* Whether the request involves BigQuery: a referenced table with a
 * BigQuery batch source, entity rows that are in BigQuery, or a BigQuery
 * destination. */
bool feast_bq_retrieval_involved(const feast_retrieval_request *req, const feast_bigquery_historical_options *bo);

/* Run the request as planned; `bo` and `info` may be NULL. Same contract
 * as feast_historical_retrieve. */
feast_code feast_bq_historical_retrieve(const feast_retrieval_request *req, const feast_bigquery_historical_options *bo,
                                        feast_batch_source **out, feast_retrieval_summary *summary,
                                        feast_bigquery_historical_info *info, feast_error *err);

#endif
