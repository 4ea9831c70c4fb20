/*
 * cli_data.c - the store and progress for the data commands.
 */
#include "cli/cli_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_common.h"

int cli_store_open(const char *config, const char *project, feast_store **out) {
  feast_error err;
  if (feast_store_open(config ? config : cli_global_config, project, out, &err)) return cli_fail_err(&err);
  return 0;
}

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void cli_progress_init(cli_progress *p, const char *what, int64_t total) {
  p->what = what;
  p->tty = isatty(STDERR_FILENO) && !getenv("FEAST_NO_PROGRESS");
  p->start = cli_now();
  p->last = 0;
  p->total = total;
}

void cli_progress_update(cli_progress *p, int64_t done) {
  if (!p->tty) return;
  double now = cli_now();
  if (now - p->last < 0.2) return;
  p->last = now;
  double rate = done / (now - p->start > 1e-9 ? now - p->start : 1e-9);
  if (p->total > 0 && rate > 0) {
    double eta = (p->total - done) / rate;
    fprintf(stderr, "\r\033[K%s: %lld / %lld rows (%.0f%%), %.0f rows/s, ETA %.0fs", p->what, (long long)done,
            (long long)p->total, 100.0 * done / p->total, rate, eta > 0 ? eta : 0);
  } else {
    fprintf(stderr, "\r\033[K%s: %lld rows, %.0f rows/s", p->what, (long long)done, rate);
  }
}

void cli_progress_end(cli_progress *p) {
  if (p->tty && p->last > 0) fprintf(stderr, "\r\033[K");
}

typedef struct progress_source {
  feast_batch_source base;
  feast_batch_source *inner;
  cli_progress *p;
  int64_t rows;
} progress_source;

static feast_code progress_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  progress_source *s = (progress_source *)self;
  feast_code rc = s->inner->next(s->inner, out, err);
  if (!rc && *out) {
    s->rows += (*out)->num_rows;
    cli_progress_update(s->p, s->rows);
  }
  return rc;
}

static void progress_close(feast_batch_source *self) {
  progress_source *s = (progress_source *)self;
  s->inner->close(s->inner);
  free(s);
}

feast_code cli_progress_source(feast_batch_source *inner, cli_progress *p, feast_batch_source **out, feast_error *err) {
  progress_source *s = calloc(1, sizeof *s);
  if (!s) {
    inner->close(inner);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  s->base.next = progress_next;
  s->base.close = progress_close;
  s->inner = inner;
  s->p = p;
  *out = &s->base;
  return FEAST_OK;
}
