/*
 * bigquery_pit.h - the point-in-time join of docs/retrieval.md written as
 * one GoogleSQL query, for historical retrieval pushed down into BigQuery.
 *
 * The query's shape (one pair of CTEs per feature table):
 *
 *   WITH ent AS (SELECT <row number> AS feast_row__, TIMESTAMP(<entity ts>) AS feast_ts__, <entity columns>
 *                FROM <entity rows>),
 *   t0_src AS (SELECT <keys> AS k0.., TIMESTAMP(<event ts>) AS ev, TIMESTAMP(<created ts>) AS cr, <features> AS f0..
 *              FROM <source> WHERE <event ts within [min entity ts - max_age, max entity ts]>),
 *   t0 AS (SELECT feast_row__, f0.. FROM (
 *            SELECT e.feast_row__, s.f0.., ROW_NUMBER() OVER (PARTITION BY e.feast_row__
 *                   ORDER BY s.ev DESC, s.cr DESC NULLS LAST) AS rn
 *            FROM ent e JOIN t0_src s ON e.k = s.k0 AND .. AND s.ev <= e.feast_ts__
 *                 AND UNIX_MICROS(e.feast_ts__) - UNIX_MICROS(s.ev) <= <max_age us>)
 *          WHERE rn = 1),
 *   ...
 *   SELECT e.feast_row__, [entity columns,] t0.f0 AS `table__feature`, ... FROM ent e
 *     LEFT JOIN t0 ON t0.feast_row__ = e.feast_row__ LEFT JOIN t1 ...
 *
 * which holds the rules: both window ends inclusive, no lower bound without
 * max_age, the latest event time wins and then the latest created time (a
 * null created time loses: NULLS LAST), an equi-join never matches a null
 * key component, a null entity or event time compares to nothing, and the
 * LEFT JOINs on the row number keep every entity row exactly once. DATE and
 * DATETIME columns count as midnight / civil time in UTC (TIMESTAMP()).
 * What SQL cannot hold: "the later row in source order" among rows tied on
 * both times (a BigQuery table has no order; any one of them is taken).
 */
#ifndef FEAST_SOURCE_BIGQUERY_PIT_H
#define FEAST_SOURCE_BIGQUERY_PIT_H

#include <stddef.h>

#include "base/buf.h"
#include "source/bigquery.h"

#define FEAST_BQ_ROW_COLUMN "feast_row__"

typedef struct feast_bq_pit_table {
  const feast_feature_table_spec *spec;
  const feast_bq_source *src;       /* resolved source (its columns' BigQuery types) */
  size_t n_features;
  const char *const *features;      /* feature names, in reference order */
  const char *const *out_names;     /* "table__feature" */
} feast_bq_pit_table;

typedef struct feast_bq_pit_request {
  const char *entity_from;          /* a FROM item: "`p.d.t`" or "(SELECT ...)" */
  bool entity_has_row;              /* it has a feast_row__ column; else ROW_NUMBER() OVER () numbers it */
  const char *entity_ts;            /* the entity timestamp column */
  const char *entity_ts_type;       /* its BigQuery type: TIMESTAMP, DATETIME or DATE */
  size_t n_entity_out;
  const char *const *entity_out;    /* entity-row columns to carry into the result (NULL: none) */
  feast_ts ts_lo, ts_hi;            /* entity timestamps' range; FEAST_TS_MIN / MAX when not known */
  size_t n_tables;
  const feast_bq_pit_table *tables;
  bool match_flags;                 /* add feast_m<i>__ BOOL: whether table i matched the row */
} feast_bq_pit_request;

/* Append the query. FEAST_E_INVALID for a name SQL cannot quote. */
feast_code feast_bq_pit_sql(const feast_bq_pit_request *r, feast_buf *out, feast_error *err);

#endif
