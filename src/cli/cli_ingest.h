/*
 * cli_ingest.h - the ingestion path shared by `feast ingest` and
 * `feast push --to online`.
 */
#ifndef FEAST_CLI_INGEST_H
#define FEAST_CLI_INGEST_H

#include <stdbool.h>

#include "feast/arrow.h"
#include "feast/store.h"

typedef struct cli_ingest_args {
  bool has_start, has_end;
  feast_ts start, end;
  const char *dead_letter;  /* Parquet path for rejected rows, or NULL */
  feast_batch_source *rows; /* rows to ingest instead of the batch source (taken over) */
} cli_ingest_args;

/* Ingest into the configured online store and print the summary. Returns
 * an exit code. */
int cli_ingest_source(feast_store *store, const char *table, const cli_ingest_args *a);

#endif
