/*
 * cli_data.h - what the data commands (ingest, push, get-online-features,
 * get-historical-features) share: a progress line on a terminal, and
 * opening the feature store the options name.
 */
#ifndef FEAST_CLI_DATA_H
#define FEAST_CLI_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "feast/arrow.h"
#include "feast/store.h"

/* Open the store for --config (or the global one) and -p. Returns an exit
 * code (reported). */
int cli_store_open(const char *config, const char *project, feast_store **out);

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
