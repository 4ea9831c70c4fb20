/*
 * cmd_init.c - `feast init DIR`: a working repository to start from:
 * feature_store.yaml (SQLite registry and LMDB online store under data/),
 * example specs (entity driver_id; feature table driver_trips with a Parquet
 * batch source under DIR/data/ and a Kafka Avro stream source) and the
 * example data the batch source points at.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "feast/source.h"
#include "feast/array.h"
#include "feast/parquet_writer.h"
#include "feast/time.h"

static const char USAGE[] =
    "usage: feast init DIR\n"
    "\n"
    "Create a feature repository in DIR (created when missing): feature_store.yaml,\n"
    "example specs (entity driver_id, feature table driver_trips) and example data in\n"
    "DIR/data/driver_trips.parquet. Then: cd DIR && feast apply\n";

static const char CONFIG[] =
    "# Feast repository configuration: see docs/config.md\n"
    "project: default\n"
    "registry: data/registry.db\n"
    "online_store:\n"
    "  type: lmdb\n"
    "  path: data/online_store\n";

static const char ENTITY_SPEC[] =
    "# Entity: the key the features of driver_trips are looked up by.\n"
    "spec:\n"
    "  name: driver_id\n"
    "  valueType: INT64\n"
    "  description: Driver identifier\n"
    "  labels:\n"
    "    team: rides\n";

/* %s: absolute path of the example Parquet file. */
static const char TABLE_SPEC[] =
    "# Feature table: hourly driver statistics, from a Parquet file (batch) and\n"
    "# a Kafka topic of Avro records (stream).\n"
    "spec:\n"
    "  name: driver_trips\n"
    "  entities: [driver_id]\n"
    "  features:\n"
    "    - name: avg_daily_trips\n"
    "      valueType: INT32\n"
    "    - name: conv_rate\n"
    "      valueType: FLOAT\n"
    "    - name: acc_rate\n"
    "      valueType: FLOAT\n"
    "  maxAge: 86400s\n"
    "  labels:\n"
    "    team: rides\n"
    "  batchSource:\n"
    "    type: BATCH_FILE\n"
    "    eventTimestampColumn: event_timestamp\n"
    "    createdTimestampColumn: created\n"
    "    fileOptions:\n"
    "      fileFormat:\n"
    "        parquetFormat: {}\n"
    "      fileUrl: 'file://%s'\n"
    "  streamSource:\n"
    "    type: STREAM_KAFKA\n"
    "    eventTimestampColumn: event_timestamp\n"
    "    createdTimestampColumn: created\n"
    "    kafkaOptions:\n"
    "      bootstrapServers: \"localhost:9092\"\n"
    "      topic: driver_trips\n"
    "      messageFormat:\n"
    "        avroFormat:\n"
    "          schemaJson: '{\"type\":\"record\",\"name\":\"DriverTrip\",\"fields\":["
    "{\"name\":\"driver_id\",\"type\":\"long\"},"
    "{\"name\":\"event_timestamp\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
    "{\"name\":\"created\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
    "{\"name\":\"avg_daily_trips\",\"type\":\"int\"},"
    "{\"name\":\"conv_rate\",\"type\":\"float\"},"
    "{\"name\":\"acc_rate\",\"type\":\"float\"}]}'\n";

/* Example rows: drivers 1001..1005, one row per hour for 24 hours from
 * 2021-04-12T00:00:00Z, values a simple function of driver and hour so
 * tests can recompute them. */
#define EXAMPLE_DRIVERS 5
#define EXAMPLE_HOURS 24

static int write_file(const char *dir, const char *name, const char *text) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wx"); /* never overwrite a user's file */
  if (!f) return cli_fail("cannot create %s: %s", path, strerror(errno));
  int bad = fputs(text, f) < 0;
  bad |= fclose(f) != 0;
  return bad ? cli_fail("cannot write %s", path) : 0;
}

static feast_code build_example(feast_batch **out, feast_error *err) {
  feast_dtype none = feast_dtype_make(FEAST_DT_NULL);
  feast_dtype ts = feast_dtype_timestamp(FEAST_UNIT_US, true);
  feast_array *cols[6] = {
      feast_array_new(feast_dtype_make(FEAST_DT_INT64), none), feast_array_new(ts, none),
      feast_array_new(ts, none), feast_array_new(feast_dtype_make(FEAST_DT_INT32), none),
      feast_array_new(feast_dtype_make(FEAST_DT_FLOAT), none), feast_array_new(feast_dtype_make(FEAST_DT_FLOAT), none)};
  static const char *const names[6] = {"driver_id", "event_timestamp", "created", "avg_daily_trips", "conv_rate",
                                       "acc_rate"};
  feast_code rc = FEAST_OK;
  for (int c = 0; c < 6; c++)
    if (!cols[c]) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_ts base = feast_days_from_civil(2021, 4, 12) * 86400 * FEAST_US_PER_SEC;
  for (int d = 0; !rc && d < EXAMPLE_DRIVERS; d++)
    for (int h = 0; !rc && h < EXAMPLE_HOURS; h++) {
      feast_ts event = base + (feast_ts)h * 3600 * FEAST_US_PER_SEC;
      if ((rc = feast_array_append_int(cols[0], 1001 + d, err)) || (rc = feast_array_append_int(cols[1], event, err)) ||
          (rc = feast_array_append_int(cols[2], event + 60 * FEAST_US_PER_SEC, err)) ||
          (rc = feast_array_append_int(cols[3], 10 * (d + 1) + h, err)) ||
          (rc = feast_array_append_double(cols[4], (d + 1) * 0.1 + h * 0.001, err)) ||
          (rc = feast_array_append_double(cols[5], 1.0 - (d + 1) * 0.05, err)))
        break;
    }
  feast_batch *b = rc ? NULL : feast_batch_new(6);
  if (!rc && !b) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (b) b->num_rows = EXAMPLE_DRIVERS * EXAMPLE_HOURS;
  for (int c = 0; c < 6; c++) {
    if (!rc) {
      rc = feast_batch_set_column(b, c, names[c], cols[c], err); /* takes ownership */
    } else if (!b || c > 0) {
      feast_array_free(cols[c]);
    }
  }
  if (rc) {
    feast_batch_free(b);
    return rc;
  }
  *out = b;
  return FEAST_OK;
}

static int write_example_data(const char *path) {
  feast_batch *batch = NULL;
  feast_error err;
  if (build_example(&batch, &err)) return cli_fail_err(&err);
  int rc = 0;
  if (feast_parquet_write_file(path, batch, NULL, &err)) rc = cli_fail_err(&err);
  feast_batch_free(batch);
  return rc;
}

int cmd_init(int argc, char **argv) {
  cli_opts o;
  int rc = cli_parse(argc - 1, argv + 1, 0, USAGE, &o);
  if (rc) return rc < 0 ? 0 : rc;
  if (o.n_args != 1) {
    fputs(USAGE, stderr);
    return 2;
  }
  const char *dir = o.args[0];
  char path[PATH_MAX];
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) return cli_fail("cannot create %s: %s", dir, strerror(errno));
  snprintf(path, sizeof path, "%s/feature_store.yaml", dir);
  if (access(path, F_OK) == 0) return cli_fail("%s already exists; not overwriting a repository", path);
  char *abs = realpath(dir, NULL);
  if (!abs) return cli_fail("cannot resolve %s: %s", dir, strerror(errno));
  snprintf(path, sizeof path, "%s/data", abs);
  if (mkdir(path, 0777) != 0 && errno != EEXIST) rc = cli_fail("cannot create %s: %s", path, strerror(errno));
  char parquet[PATH_MAX + 64];
  snprintf(parquet, sizeof parquet, "%s/data/driver_trips.parquet", abs);
  /* The folder may hold '*', '?', '[' (a folder named "[1]"): escaped, the
   * URL means only this file, not a pattern; in single quotes, YAML leaves
   * the backslashes alone and only a quote is doubled. */
  char url[2 * sizeof parquet], quoted[4 * sizeof parquet];
  feast_file_url_escape(parquet, url, sizeof url);
  size_t q = 0;
  for (const char *c = url; *c && q + 2 < sizeof quoted; c++) {
    if (*c == '\'') quoted[q++] = '\'';
    quoted[q++] = *c;
  }
  quoted[q] = 0;
  size_t tlen = sizeof TABLE_SPEC + strlen(quoted);
  char *table = malloc(tlen);
  if (!table) rc = cli_fail("out of memory");
  if (!rc) snprintf(table, tlen, TABLE_SPEC, quoted);
  if (!rc) rc = write_file(abs, "feature_store.yaml", CONFIG);
  if (!rc) rc = write_file(abs, "driver_id.yaml", ENTITY_SPEC);
  if (!rc) rc = write_file(abs, "driver_trips.yaml", table);
  if (!rc) rc = write_example_data(parquet);
  if (!rc) printf("Created a feature repository in %s\nNext: cd %s && feast apply\n", abs, dir);
  free(table);
  free(abs);
  return rc;
}
