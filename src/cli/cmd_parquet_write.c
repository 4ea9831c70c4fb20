/*
 * cmd_parquet_write.c - `feast parquet-write`: convert a CSV file into
 * Parquet with libfeast's writer.
 *
 *   feast parquet-write --from-csv IN.csv [--schema name:type,...] OUT.parquet
 *         [--codec snappy|zstd|gzip|lz4|none] [--row-group-size N]
 *         [--page-size BYTES] [--no-dictionary] [--page-v2]
 *
 * Types in --schema: bool, int8..int64, uint8..uint64, float, double,
 * string, binary, date, timestamp (us, UTC), timestamp_ns; columns not named
 * keep their inferred type.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli_paths.h"
#include "cli/commands.h"
#include "feast/csv.h"
#include "feast/parquet_writer.h"

static int usage(void) {
  fprintf(stderr, "usage: feast parquet-write --from-csv IN.csv [--schema name:type,...] OUT.parquet\n"
                  "       [--codec snappy|zstd|gzip|lz4|none] [--row-group-size N] [--page-size BYTES]\n"
                  "       [--no-dictionary] [--page-v2]\n");
  return 2;
}

static int parse_type(const char *s, feast_dtype *t) {
  static const struct {
    const char *name;
    feast_dtype_id id;
  } simple[] = {{"bool", FEAST_DT_BOOL},     {"int8", FEAST_DT_INT8},     {"int16", FEAST_DT_INT16},
                {"int32", FEAST_DT_INT32},   {"int64", FEAST_DT_INT64},   {"uint8", FEAST_DT_UINT8},
                {"uint16", FEAST_DT_UINT16}, {"uint32", FEAST_DT_UINT32}, {"uint64", FEAST_DT_UINT64},
                {"float", FEAST_DT_FLOAT},   {"double", FEAST_DT_DOUBLE}, {"string", FEAST_DT_STRING},
                {"binary", FEAST_DT_BINARY}, {"date", FEAST_DT_DATE32}};
  for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
    if (strcasecmp(s, simple[i].name) == 0) {
      *t = feast_dtype_make(simple[i].id);
      return 1;
    }
  if (strcasecmp(s, "timestamp") == 0) return *t = feast_dtype_timestamp(FEAST_UNIT_US, true), 1;
  if (strcasecmp(s, "timestamp_ns") == 0) return *t = feast_dtype_timestamp(FEAST_UNIT_NS, true), 1;
  return 0;
}

int cmd_parquet_write(int argc, char **argv) {
  const char *in = NULL, *out = NULL, *schema = NULL;
  feast_parquet_write_options o;
  feast_parquet_write_options_init(&o);
  feast_error err;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage();
      return 0;
    } else if (strcmp(a, "--from-csv") == 0 && i + 1 < argc) {
      in = argv[++i];
    } else if (strcmp(a, "--schema") == 0 && i + 1 < argc) {
      schema = argv[++i];
    } else if (strcmp(a, "--codec") == 0 && i + 1 < argc) {
      if (feast_parquet_codec_parse(argv[++i], &o.codec, &err)) {
        fprintf(stderr, "feast: %s\n", err.message);
        return 2;
      }
    } else if (strcmp(a, "--row-group-size") == 0 && i + 1 < argc) {
      o.row_group_size = strtoll(argv[++i], NULL, 10);
    } else if (strcmp(a, "--page-size") == 0 && i + 1 < argc) {
      o.data_page_size = strtoll(argv[++i], NULL, 10);
    } else if (strcmp(a, "--no-dictionary") == 0) {
      o.no_dictionary = true;
    } else if (strcmp(a, "--page-v2") == 0) {
      o.data_page_version = 2;
    } else if (a[0] != '-' && !out) {
      out = a;
    } else {
      return usage();
    }
  }
  if (!in || !out) return usage();
  const char *inputs[] = {in};
  if (cli_check_output("output", out, inputs, 1, NULL)) return 1;
  /* --schema name:type,... */
  feast_csv_column_type types[256];
  char *copy = schema ? strdup(schema) : NULL;
  int ntypes = 0;
  for (char *save = NULL, *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
    char *colon = strrchr(tok, ':');
    if (!colon || ntypes == 256 || !parse_type(colon + 1, &types[ntypes].type)) {
      fprintf(stderr, "feast: --schema entry '%s' is not name:type with a known type\n", tok);
      free(copy);
      return 2;
    }
    *colon = 0;
    types[ntypes++].name = tok;
  }
  feast_csv_options co;
  feast_csv_options_init(&co);
  co.types = types;
  co.num_types = ntypes;
  feast_batch_source *src = NULL;
  feast_parquet_writer *w = NULL;
  feast_batch *b = NULL;
  int64_t rows = 0;
  feast_code rc = feast_csv_open(in, &co, &src, &err);
  if (!rc) rc = feast_parquet_writer_open(out, feast_csv_schema(src), &o, &w, &err);
  while (!rc && !(rc = src->next(src, &b, &err)) && b) {
    rc = feast_parquet_writer_write(w, b, &err);
    rows += b->num_rows;
    feast_batch_free(b);
  }
  if (!rc) rc = feast_parquet_writer_close(w, &err);
  feast_parquet_writer_free(w);
  if (src) src->close(src);
  free(copy);
  if (rc) {
    fprintf(stderr, "feast: %s\n", err.message);
    return 1;
  }
  printf("wrote %lld rows to %s\n", (long long)rows, out);
  return 0;
}
