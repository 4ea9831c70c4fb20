/*
 * config_test.c - feature_store.yaml: defaults, path resolution, online
 * store settings of each type, and errors that name the key and line.
 */
#include "feast/config.h"
#include "test.h"

static feast_code parse(const char *text, feast_config *c, feast_error *err) {
  return feast_config_parse_text(text, strlen(text), "feature_store.yaml", "/repo", c, err);
}

static void defaults_and_paths(void) {
  feast_config c;
  feast_error err;
  CHECK_OK(parse("", &c, &err), &err);
  CHECK_STR(c.project, "default");
  CHECK_STR(c.registry, "/repo/data/registry.db");
  CHECK_STR(c.online_store.type, "lmdb");
  CHECK_STR(feast_map_get(&c.online_store.settings, "path"), "/repo/data/online_store");
  CHECK(!c.has_offline_store);
  feast_config_clear(&c);

  CHECK_OK(parse("project: drivers\nregistry: reg/r.db\nonline_store:\n  type: lmdb\n  path: /abs/lmdb\n"
                 "offline_store:\n  type: file\n",
                 &c, &err),
           &err);
  CHECK_STR(c.project, "drivers");
  CHECK_STR(c.registry, "/repo/reg/r.db");
  CHECK_STR(feast_map_get(&c.online_store.settings, "path"), "/abs/lmdb");
  CHECK(c.has_offline_store);
  CHECK_STR(c.offline_store.type, "file");
  feast_config_clear(&c);

  CHECK_OK(parse("registry: postgresql://u@127.0.0.1:5432/feast\n", &c, &err), &err);
  CHECK_STR(c.registry, "postgresql://u@127.0.0.1:5432/feast");
  feast_config_clear(&c);
}

static void redis_settings(void) {
  feast_config c;
  feast_error err;
  CHECK_OK(parse("online_store:\n  type: redis\n  connection_string: \"localhost:6379\"\n", &c, &err), &err);
  CHECK_STR(c.online_store.type, "redis");
  CHECK_STR(feast_map_get(&c.online_store.settings, "connection_string"), "localhost:6379");
  feast_config_clear(&c);
  CHECK_OK(parse("online_store:\n  type: redis_cluster\n  startup_nodes:\n    - host: 127.0.0.1\n      port: 7000\n"
                 "    - 127.0.0.1:7001\n",
                 &c, &err),
           &err);
  CHECK_STR(feast_map_get(&c.online_store.settings, "startup_nodes"), "127.0.0.1:7000,127.0.0.1:7001");
  feast_config_clear(&c);
  /* A setting the store would ignore is refused, naming the key. */
  CHECK_INT(parse("online_store:\n  type: redis\n  password: pw\n", &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "password");
}

static void errors_name_key_and_line(void) {
  feast_config c;
  feast_error err;
  CHECK_INT(parse("project: p\n\nregistyr: x.db\n", &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "feature_store.yaml:3:");
  CHECK_CONTAINS(err.message, "registyr");
  CHECK_INT(parse("online_store:\n  type: redis\n  conection_string: x\n", &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "feature_store.yaml:3:");
  CHECK_CONTAINS(err.message, "conection_string");
  CHECK_INT(parse("online_store:\n  type: memcached\n", &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "memcached");
  CHECK_INT(parse("online_store:\n  path: x\n", &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "type");
  CHECK_INT(parse("project: bad-name\n", &c, &err), FEAST_E_INVALID);
  CHECK_INT(parse("project: [a\n", &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "not valid YAML");
  CHECK_INT(parse("- a\n- b\n", &c, &err), FEAST_E_INVALID);
  CHECK_INT(parse("project: a\nproject: b\n", &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "twice");
  /* the one YAML reader: aliases are refused here as in spec files */
  CHECK_INT(parse("project: &p x\nregistry: *p\n", &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "aliases");
  CHECK_INT(parse("project: a\n---\nproject: b\n", &c, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "one YAML document");
}

static void load_from_file(void) {
  char path[4200];
  const char *dir = test_tmpdir();
  snprintf(path, sizeof path, "%s/feature_store.yaml", dir);
  FILE *f = fopen(path, "w");
  fputs("project: fromfile\nregistry: registry.db\n", f);
  fclose(f);
  feast_config c;
  feast_error err;
  CHECK_OK(feast_config_load(path, &c, &err), &err);
  CHECK_STR(c.project, "fromfile");
  CHECK(c.registry && c.registry[0] == '/');
  CHECK(c.registry && strstr(c.registry, "/registry.db") != NULL);
  CHECK(c.path && c.path[0] == '/');
  feast_config_clear(&c);
  CHECK_INT(feast_config_load("/no/such/feature_store.yaml", &c, &err), FEAST_E_IO);
  CHECK_CONTAINS(err.message, "/no/such/feature_store.yaml");
}

static void streams_section(void) {
  feast_config c;
  feast_error err;
  CHECK_OK(parse("streams:\n  start_from: earliest\n  max_batch_rows: 5000\n  max_batch_delay: 250ms\n"
                 "  dead_letter: {type: parquet, path: dl}\n  schema_registry_url: http://127.0.0.1:8081\n"
                 "  kafka:\n    security.protocol: PLAINTEXT\n    session.timeout.ms: 10000\n",
                 &c, &err),
           &err);
  CHECK_STR(c.streams.start_from, "earliest");
  CHECK_INT(c.streams.max_batch_rows, 5000);
  CHECK_INT(c.streams.max_batch_delay_ms, 250);
  CHECK_STR(c.streams.dead_letter.type, "parquet");
  CHECK_STR(feast_map_get(&c.streams.dead_letter.settings, "path"), "/repo/dl");
  CHECK_STR(c.streams.schema_registry_url, "http://127.0.0.1:8081");
  CHECK_INT(c.streams.kafka.n, 2);
  CHECK_STR(feast_map_get(&c.streams.kafka, "session.timeout.ms"), "10000");
  feast_config_clear(&c);
  CHECK_OK(parse("streams:\n  start_from: 2021-04-12T00:00:00Z\n  dead_letter: {type: kafka, topic: dlq}\n", &c, &err),
           &err);
  CHECK_STR(c.streams.dead_letter.type, "kafka");
  feast_config_clear(&c);
  struct {
    const char *text, *needle;
  } bad[] = {
      {"streams:\n  start_from: yesterday\n", "feature_store.yaml:2: streams.start_from must be earliest"},
      {"streams:\n  max_batch_rows: -3\n", "max_batch_rows must be a positive"},
      {"streams:\n  max_batch_delay: soon\n", "max_batch_delay must be a positive duration"},
      {"streams:\n  dead_letter: {type: s3}\n", "needs a type: parquet or kafka"},
      {"streams:\n  dead_letter: {type: parquet}\n", "needs a path"},
      {"streams:\n  dead_letter: {type: parquet, path: x, topic: y}\n", "unknown key 'topic' in streams.dead_letter"},
      {"streams:\n  kafka: [a]\n", "streams.kafka must be a mapping"},
      {"streams:\n  batch_rows: 3\n", "unknown key 'batch_rows' in streams"},
      {"streams:\n  kafka: {a: 1}\n  kafka: {b: 2}\n", "given twice in streams"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    CHECK_INT(parse(bad[i].text, &c, &err), FEAST_E_INVALID);
    CHECK_CONTAINS(err.message, bad[i].needle);
  }
}

static void aws_section(void) {
  feast_config c;
  feast_error err;
  CHECK_OK(parse("aws:\n  region: eu-west-1\n  s3_endpoint_url: http://127.0.0.1:9000\n  s3_addressing: path\n"
                 "  s3_request_size: 8388608\n  s3_max_in_flight: 4\n",
                 &c, &err),
           &err);
  CHECK_INT(c.has_aws, 1);
  CHECK_STR(feast_map_get(&c.aws, "region"), "eu-west-1");
  CHECK_STR(feast_map_get(&c.aws, "s3_endpoint_url"), "http://127.0.0.1:9000");
  CHECK_STR(feast_map_get(&c.aws, "s3_request_size"), "8388608");
  feast_config_clear(&c);
  CHECK_OK(parse("project: p\n", &c, &err), &err);
  CHECK_INT(c.has_aws, 0);
  feast_config_clear(&c);
  struct {
    const char *text, *needle;
  } bad[] = {
      {"aws:\n  regoin: x\n", "feature_store.yaml:2: unknown key 'regoin' in aws"},
      {"aws: [a]\n", "'aws' must be a mapping"},
      {"aws:\n  region: a\n  region: b\n", "given twice in aws"},
      {"aws:\n  s3_addressing: sideways\n", "s3_addressing must be auto, path or virtual-host"},
      {"aws:\n  endpoint_url: 127.0.0.1:9000\n", "aws.endpoint_url must be an http:// or https:// URL"},
      {"aws:\n  timeout_ms: soon\n", "aws.timeout_ms must be a number"},
      {"aws:\n  s3_max_in_flight: 100\n", "aws.s3_max_in_flight must be a number from 1 to 64"},
      {"aws:\n  region: ''\n", "aws.region must be a value"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    CHECK_INT(parse(bad[i].text, &c, &err), FEAST_E_INVALID);
    CHECK_CONTAINS(err.message, bad[i].needle);
  }
}

TEST_MAIN(T(defaults_and_paths), T(redis_settings), T(errors_name_key_and_line), T(load_from_file), T(streams_section),
          T(aws_section))
