/*
 * main.c - the `feast` binary: finds the command and hands it argv.
 * Global options (--config, -o) are parsed by each command through
 * cli_common so that `feast -o json entities list` and
 * `feast entities list -o json` both work.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "feast/aws.h"

static const cli_command commands[] = {
    {"init", cmd_init, "create a feature repository with example specs and data"},
    {"apply", cmd_apply, "validate and register the repository's specs"},
    {"projects", cmd_projects, "create, archive or list projects"},
    {"entities", cmd_entities, "apply, describe or list entities"},
    {"feature-tables", cmd_feature_tables, "apply, describe, list or delete feature tables"},
    {"ingest", cmd_ingest, "load a table's batch source into the online store"},
    {"stream-ingest", cmd_stream_ingest, "consume tables' stream sources (Kafka) into the online store"},
    {"jobs", cmd_ingest, "Feast 0.9 form: jobs sync-offline-to-online | start-stream-to-online -t TABLE"},
    {"push", cmd_push, "push rows from a file to the offline and/or online store"},
    {"get-online-features", cmd_get_online_features, "read the latest feature values for entity keys"},
    {"get-historical-features", cmd_get_historical_features, "build a point-in-time correct training set"},
    {"serve", cmd_serve, "serve gRPC (Feast 0.9 Core, Serving, Job service) and HTTP (feature server)"},
    {"parquet-write", cmd_parquet_write, "convert a CSV file to Parquet"},
    {"parquet", cmd_parquet, "inspect Parquet files: schema, cat"},
    {"version", cmd_version, "print the version"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out) {
  fprintf(out, "usage: feast [--config FILE] COMMAND [ARGS]\n\ncommands:\n");
  for (const cli_command *c = commands; c->name; c++) fprintf(out, "  %-26s %s\n", c->name, c->summary);
  fprintf(out, "\nRun 'feast COMMAND --help' for a command's options.\n");
}

/* Column batches are large and short-lived: by default glibc returns each
 * freed batch to the kernel and the next one pays for zeroed pages again,
 * which bench/RESULTS.md measured at about half of Parquet decode time. The
 * binary keeps freed memory for reuse; the library leaves the process's
 * allocator policy to its host. */
static void keep_freed_memory(void) {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

/* FEAST_S3_STATS=1: what the command asked of S3, on stderr (tests and
 * benchmarks read it to prove what was never fetched). */
static void print_s3_stats(void) {
  const char *e = getenv("FEAST_S3_STATS");
  if (!e || strcmp(e, "1") != 0) return;
  feast_s3_stats st;
  feast_s3_stats_get(&st);
  fprintf(stderr, "s3: files=%llu lists=%llu heads=%llu gets=%llu get_bytes=%llu puts=%llu put_bytes=%llu\n",
          (unsigned long long)st.files, (unsigned long long)st.lists, (unsigned long long)st.heads,
          (unsigned long long)st.gets, (unsigned long long)st.get_bytes, (unsigned long long)st.puts,
          (unsigned long long)st.put_bytes);
}

int main(int argc, char **argv) {
  keep_freed_memory();
  /* Global options before the command: --config FILE, -o FORMAT. */
  while (argc >= 3 && (strcmp(argv[1], "--config") == 0 || strcmp(argv[1], "-o") == 0 ||
                       strcmp(argv[1], "--output") == 0)) {
    if (strcmp(argv[1], "--config") == 0)
      cli_global_config = argv[2];
    else
      cli_global_output = argv[2];
    argv[2] = argv[0];
    argv += 2;
    argc -= 2;
  }
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const cli_command *c = commands; c->name; c++)
    if (strcmp(argv[1], c->name) == 0) {
      int rc = c->run(argc - 1, argv + 1);
      print_s3_stats();
      return rc;
    }
  fprintf(stderr, "feast: unknown command '%s' (see 'feast --help')\n", argv[1]);
  return 2;
}
