/*
 * cmd_parquet.c - `feast parquet schema|cat`: a debugging window onto the
 * Parquet reader. `cat` prints exact values so tests can compare them with
 * other readers: JSON lines with doubles as %.17g, timestamps as
 * {"ts": int, "unit": "us"}, decimals as exact strings, bytes as hex.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "feast/aws.h"
#include "cli/output.h"
#include "feast/time.h"
#include "feast/parquet.h"

static const char *unit_name(int u) {
  static const char *n[] = {"s", "ms", "us", "ns"};
  return u >= 0 && u <= 3 ? n[u] : "?";
}

static void json_str(FILE *o, const uint8_t *s, size_t n) {
  fputc('"', o);
  for (size_t i = 0; i < n; i++) {
    uint8_t c = s[i];
    if (c == '"' || c == '\\') fprintf(o, "\\%c", c);
    else if (c == '\n') fputs("\\n", o);
    else if (c == '\r') fputs("\\r", o);
    else if (c == '\t') fputs("\\t", o);
    else if (c < 0x20) fprintf(o, "\\u%04x", c);
    else fputc(c, o);
  }
  fputc('"', o);
}

static void hex(FILE *o, const uint8_t *s, size_t n) {
  fputc('"', o);
  for (size_t i = 0; i < n; i++) fprintf(o, "%02x", s[i]);
  fputc('"', o);
}

static void dbl(FILE *o, double v) {
  if (isnan(v)) fputs("\"NaN\"", o);
  else if (isinf(v)) fputs(v > 0 ? "\"Infinity\"" : "\"-Infinity\"", o);
  else fprintf(o, "%.17g", v);
}

static void decimal(FILE *o, const uint8_t *p, int scale) {
  unsigned __int128 u;
  memcpy(&u, p, 16);
  int neg = (p[15] & 0x80) != 0;
  if (neg) u = ~u + 1;
  char digits[64];
  int n = 0;
  do {
    digits[n++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  while (n <= scale) digits[n++] = '0';
  fputc('"', o);
  if (neg) fputc('-', o);
  for (int i = n - 1; i >= 0; i--) {
    fputc(digits[i], o);
    if (i == scale && scale > 0) fputc('.', o);
  }
  fputc('"', o);
}

static void value(FILE *o, const feast_array *a, int64_t i) {
  if (!feast_array_is_valid(a, i)) {
    fputs("null", o);
    return;
  }
  size_t n;
  const uint8_t *p;
  switch (a->type.id) {
  case FEAST_DT_BOOL: fputs(feast_bit_get(a->values, i) ? "true" : "false", o); break;
  case FEAST_DT_UINT64: fprintf(o, "%" PRIu64, ((const uint64_t *)a->values)[i]); break;
  case FEAST_DT_FLOAT:
  case FEAST_DT_DOUBLE:
  case FEAST_DT_FLOAT16: dbl(o, feast_array_get_double(a, i)); break;
  case FEAST_DT_STRING:
    p = feast_array_get_bytes(a, i, &n);
    json_str(o, p, n);
    break;
  case FEAST_DT_BINARY:
  case FEAST_DT_FIXED_BINARY:
    p = feast_array_get_bytes(a, i, &n);
    hex(o, p, n);
    break;
  case FEAST_DT_TIMESTAMP:
    fprintf(o, "{\"ts\":%" PRId64 ",\"unit\":\"%s\"}", feast_array_get_int(a, i), unit_name(a->type.unit));
    break;
  case FEAST_DT_DECIMAL128: decimal(o, (const uint8_t *)a->values + i * 16, a->type.scale); break;
  case FEAST_DT_LIST: {
    fputc('[', o);
    for (int32_t k = a->offsets[i]; k < a->offsets[i + 1]; k++) {
      if (k > a->offsets[i]) fputc(',', o);
      value(o, a->child, k);
    }
    fputc(']', o);
    break;
  }
  default: fprintf(o, "%" PRId64, feast_array_get_int(a, i)); break;
  }
}

/* One value for people: ISO timestamps, floats at their own precision. */
static char *human(const feast_array *a, int64_t i) {
  char buf[64];
  if (!feast_array_is_valid(a, i)) return strdup("null");
  switch ((feast_dtype_id)a->type.id) {
  case FEAST_DT_TIMESTAMP:
  case FEAST_DT_DATE32: return strdup(feast_ts_format(feast_array_get_ts_us(a, i), buf, sizeof buf));
  case FEAST_DT_FLOAT: snprintf(buf, sizeof buf, "%.7g", feast_array_get_double(a, i)); return strdup(buf);
  case FEAST_DT_DOUBLE: snprintf(buf, sizeof buf, "%.15g", feast_array_get_double(a, i)); return strdup(buf);
  case FEAST_DT_STRING: {
    size_t n;
    const uint8_t *p = feast_array_get_bytes(a, i, &n);
    return strndup((const char *)p, n);
  }
  default: break;
  }
  char *text = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&text, &len);
  if (!m) return strdup("?");
  value(m, a, i);
  fclose(m);
  return text;
}

static void type_str(feast_dtype t, feast_dtype e, char *buf, int size) {
  char eb[64];
  if (t.id == FEAST_DT_LIST) {
    feast_dtype_name(e, eb, sizeof eb);
    snprintf(buf, (size_t)size, "list<%s>", eb);
  } else {
    feast_dtype_name(t, buf, size);
  }
}

static int usage(void) {
  fprintf(stderr, "usage: feast parquet schema FILE\n"
                  "       feast parquet cat PATH [--columns a,b] [--format json|csv|table] [--count]\n"
                  "                            [--threads N] [--batch-rows N] [--range COL:LO:HI]\n"
                  "                            [--date-partition-column COL]\n");
  return 2;
}

static int cmd_schema(const char *path) {
  feast_error err;
  feast_parquet_file *f;
  if (feast_parquet_file_open(path, NULL, &f, &err)) {
    fprintf(stderr, "feast: %s\n", err.message);
    return 1;
  }
  printf("rows: %" PRId64 "\nrow_groups: %d\n", feast_parquet_num_rows(f), feast_parquet_num_row_groups(f));
  for (int i = 0; i < feast_parquet_num_columns(f); i++) {
    char buf[128];
    feast_dtype e, t = feast_parquet_column_type(f, i, &e);
    type_str(t, e, buf, sizeof buf);
    feast_error ce;
    if (feast_parquet_column_check(f, i, &ce)) snprintf(buf, sizeof buf, "unsupported");
    printf("column: %s: %s\n", feast_parquet_column_name(f, i), buf);
  }
  for (int i = 0; i < feast_parquet_num_metadata(f); i++)
    if (strcmp(feast_parquet_metadata_key(f, i), "ARROW:schema") != 0)
      printf("metadata: %s\n", feast_parquet_metadata_key(f, i));
  feast_parquet_file_free(f);
  return 0;
}

static int cmd_cat(int argc, char **argv) {
  const char *path = NULL, *format = "json";
  char *cols_arg = NULL;
  int count = 0;
  feast_parquet_dataset_options o;
  memset(&o, 0, sizeof o);
  feast_parquet_range ranges[8];
  char *range_cols[8] = {0};
  int nranges = 0;
  const char *cols[256];
  int ncols = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--columns") == 0 && i + 1 < argc) cols_arg = argv[++i];
    else if (strcmp(a, "--format") == 0 && i + 1 < argc) format = argv[++i];
    else if (strcmp(a, "--count") == 0) count = 1;
    else if (strcmp(a, "--threads") == 0 && i + 1 < argc) o.read.threads = atoi(argv[++i]);
    else if (strcmp(a, "--batch-rows") == 0 && i + 1 < argc) o.read.batch_rows = atoll(argv[++i]);
    else if (strcmp(a, "--date-partition-column") == 0 && i + 1 < argc) o.date_partition_column = argv[++i];
    else if (strcmp(a, "--range") == 0 && i + 1 < argc && nranges < 8) {
      char *spec = argv[++i], *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
      if (!c2) return usage();
      *c1 = 0;
      range_cols[nranges] = spec;
      ranges[nranges].column = spec;
      ranges[nranges].lo = strtoll(c1 + 1, NULL, 10);
      ranges[nranges].hi = strtoll(c2 + 1, NULL, 10);
      nranges++;
    } else if (a[0] == '-' && a[1]) return usage();
    else if (!path) path = a;
    else return usage();
  }
  if (!path) return usage();
  if (cols_arg) {
    for (char *t = strtok(cols_arg, ","); t && ncols < 256; t = strtok(NULL, ",")) cols[ncols++] = t;
    o.columns = cols;
    o.ncolumns = ncols;
  }
  o.ranges = ranges;
  o.nranges = nranges;
  (void)range_cols;
  int csv = strcmp(format, "csv") == 0, table = strcmp(format, "table") == 0;
  if (!csv && !table && strcmp(format, "json") != 0) return usage();
  cli_table tab;
  memset(&tab, 0, sizeof tab);
  feast_error err;
  feast_batch_source *src;
  if (feast_s3_is_url(path)) o.fs = feast_s3_parquet_fs();
  if (feast_parquet_dataset_open(path, &o, &src, &err)) {
    fprintf(stderr, "feast: %s\n", err.message);
    return 1;
  }
  FILE *out = stdout;
  int64_t rows = 0;
  int rc = 0, header = 0;
  for (;;) {
    feast_batch *b;
    if (src->next(src, &b, &err)) {
      fprintf(stderr, "feast: %s\n", err.message);
      rc = 1;
      break;
    }
    if (!b) break;
    rows += b->num_rows;
    if (!count && table) {
      if (!header) {
        cli_table_init(&tab, b->num_columns, (const char *const *)b->names);
        header = 1;
      }
      char **cells = calloc((size_t)b->num_columns + 1, sizeof *cells);
      for (int64_t r = 0; cells && r < b->num_rows; r++) {
        for (int j = 0; j < b->num_columns; j++) cells[j] = human(b->columns[j], r);
        cli_table_add(&tab, (const char *const *)cells);
        for (int j = 0; j < b->num_columns; j++) free(cells[j]);
      }
      free(cells);
    } else if (!count) {
      if (csv && !header) {
        for (int j = 0; j < b->num_columns; j++) fprintf(out, "%s%s", j ? "," : "", b->names[j]);
        fputc('\n', out);
        header = 1;
      }
      for (int64_t r = 0; r < b->num_rows; r++) {
        if (!csv) fputc('{', out);
        for (int j = 0; j < b->num_columns; j++) {
          if (j) fputc(',', out);
          if (!csv) {
            json_str(out, (const uint8_t *)b->names[j], strlen(b->names[j]));
            fputc(':', out);
          }
          value(out, b->columns[j], r);
        }
        fputs(csv ? "\n" : "}\n", out);
      }
    }
    feast_batch_free(b);
  }
  src->close(src);
  if (table && header) {
    if (!rc) cli_table_print(out, &tab);
    cli_table_free(&tab);
  }
  if (!rc && count) printf("%" PRId64 "\n", rows);
  return rc;
}

int cmd_parquet(int argc, char **argv) {
  if (argc < 3) return usage();
  if (strcmp(argv[1], "schema") == 0 && argc == 3) return cmd_schema(argv[2]);
  if (strcmp(argv[1], "cat") == 0) return cmd_cat(argc - 2, argv + 2);
  return usage();
}
