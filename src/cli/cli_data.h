/*
 * cli_data.h - what the data commands (ingest, push, get-online-features,
 * get-historical-features) share: opening the configured online store,
 * opening a feature table's batch source with projection and pruning,
 * opening a file of rows (Parquet or CSV), looking up a table's entities,
 * and a progress line on a terminal.
 */
#ifndef FEAST_CLI_DATA_H
#define FEAST_CLI_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "feast/arrow.h"
#include "feast/config.h"
#include "feast/csv.h"
#include "feast/online.h"
#include "feast/registry.h"
#include "feast/spec.h"

/* The store URI feature_store.yaml's online_store describes
 * (lmdb:PATH, redis://HOST:PORT, redis-cluster://H:P,...). */
feast_code cli_online_uri(const feast_config *cfg, char *uri, size_t size, feast_error *err);
/* Open that store. Returns an exit code (reported). */
int cli_online_open(const feast_config *cfg, feast_online_store **out);

/* Open a batch source reading source `columns` and, when `prune`, skipping
 * row groups and date partitions that cannot hold an event time in
 * [lo, hi] (rows inside are not filtered). The caller closes *out. */
feast_code cli_batch_source_open(const feast_data_source *s, const char *const *columns, int ncols, bool prune,
                                 feast_ts lo, feast_ts hi, feast_batch_source **out, feast_error *err);
/* The source's schema as a batch with no rows (the caller frees it). */
feast_code cli_batch_source_schema(const feast_data_source *s, feast_batch **out, feast_error *err);

/* Open a file of rows: a .csv file (column types from `types` override the
 * inference) or a Parquet file, folder or glob. *schema (caller frees) is a
 * batch with no rows describing the columns. */
feast_code cli_rows_open(const char *path, const feast_csv_column_type *types, int ntypes, feast_batch_source **out,
                         feast_batch **schema, feast_error *err);

/* The entity specs of a table, in the table's entity order. The caller
 * clears each and frees the array. */
feast_code cli_table_entities(feast_registry *reg, const char *project, const feast_feature_table_spec *t,
                              feast_entity_spec **out, feast_error *err);
void cli_entities_free(feast_entity_spec *e, size_t n);

/* A progress line on stderr, redrawn at most 5 times a second, shown only
 * when stderr is a terminal. total < 0 when unknown (no ETA then). */
typedef struct cli_progress {
  const char *what;
  bool tty;
  double start, last;
  int64_t total;
} cli_progress;
void cli_progress_init(cli_progress *p, const char *what, int64_t total);
void cli_progress_update(cli_progress *p, int64_t done);
void cli_progress_end(cli_progress *p);
double cli_now(void);

/* Wrap a source so every batch it yields advances `p` (the wrapper owns
 * `inner` and closes it). */
feast_code cli_progress_source(feast_batch_source *inner, cli_progress *p, feast_batch_source **out, feast_error *err);

#endif
