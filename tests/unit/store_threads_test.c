/*
 * store_threads_test.c - one feature-store handle read from 8 threads while
 * another process applies specs (each apply moves the registry's revision,
 * so readers swap snapshots under load) and ingests newer rows. Every read
 * must see whole rows (b == 2a + key: both features of one write) and,
 * per thread and key, event times that never go back. Runs on LMDB, and on
 * Redis when FEAST_TEST_REDIS is set; `make test-tsan` runs it under
 * ThreadSanitizer, which must report nothing.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "feast/store.h"
#include "test.h"

#define T0 INT64_C(1618000000000000)
#define SEC INT64_C(1000000)
#define KEYS 64
#define THREADS 8
#define ROUNDS 30

static const char *SPECS =
    "spec: {name: driver_id, valueType: INT64}\n"
    "---\n"
    "spec:\n"
    "  name: drv\n"
    "  entities: [driver_id]\n"
    "  features: [{name: a, valueType: INT64}, {name: b, valueType: INT64}]\n"
    "  labels: {round: \"%d\"}\n"
    "  batchSource:\n"
    "    eventTimestampColumn: ts\n"
    "    fileOptions: {fileFormat: {parquetFormat: {}}, fileUrl: \"file:///nonexistent/drv.parquet\"}\n";

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

static feast_code apply_round(feast_store *s, int round, feast_error *err) {
  char text[2048];
  snprintf(text, sizeof text, SPECS, round);
  feast_spec_docs docs = {0};
  feast_code rc = feast_specfile_parse_text(text, strlen(text), "specs.yaml", &docs, err);
  if (!rc) rc = feast_registry_apply(feast_store_registry(s), NULL, &docs, true, NULL, err);
  feast_spec_docs_clear(&docs);
  return rc;
}

/* One batch of every key at round r: a = r, b = 2r + key. */
static feast_batch *round_batch(int r) {
  feast_error err;
  feast_batch *b = feast_batch_new(4);
  feast_array *k = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(0));
  feast_array *ts = feast_array_new(feast_dtype_timestamp(FEAST_UNIT_US, true), feast_dtype_make(0));
  feast_array *a = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(0));
  feast_array *bb = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(0));
  for (int i = 0; i < KEYS; i++) {
    feast_array_append_int(k, i, &err);
    feast_array_append_int(ts, T0 + r * SEC, &err);
    feast_array_append_int(a, r, &err);
    feast_array_append_int(bb, 2 * r + i, &err);
  }
  feast_batch_set_column(b, 0, "driver_id", k, &err);
  feast_batch_set_column(b, 1, "ts", ts, &err);
  feast_batch_set_column(b, 2, "a", a, &err);
  feast_batch_set_column(b, 3, "b", bb, &err);
  b->num_rows = KEYS;
  return b;
}

typedef struct one_batch {
  feast_batch_source base;
  feast_batch *b;
} one_batch;

static feast_code one_next(feast_batch_source *self, feast_batch **out, feast_error *err) {
  (void)err;
  one_batch *o = (one_batch *)self;
  *out = o->b;
  o->b = NULL;
  return FEAST_OK;
}
static void one_close(feast_batch_source *self) { feast_batch_free(((one_batch *)self)->b); }

/* The other process: apply and ingest, round after round. */
static int writer(const char *repo) {
  feast_error err;
  feast_store *s;
  if (feast_store_open(repo, NULL, &s, &err)) return fprintf(stderr, "writer: %s\n", err.message), 2;
  for (int r = 1; r <= ROUNDS; r++) {
    if (apply_round(s, r, &err)) return fprintf(stderr, "writer apply: %s\n", err.message), 3;
    one_batch src = {{one_next, one_close}, round_batch(r)};
    feast_ingest_summary sum;
    feast_code rc = feast_store_ingest(s, "drv", &src.base, NULL, &sum, &err);
    one_close(&src.base);
    if (rc) return fprintf(stderr, "writer ingest: %s\n", err.message), 4;
    usleep(20000);
  }
  feast_store_free(s);
  return 0;
}

typedef struct shared {
  feast_store *s;
  atomic_int stop;
  atomic_long reads, torn, backwards, errors;
  char first_error[512];
  pthread_mutex_t mu;
} shared;

static int64_t value_int(const feast_online_result *r, size_t name, size_t row) {
  size_t len;
  const uint8_t *v = feast_online_result_value(r, name, row, &len);
  char *json = NULL;
  if (!len || feast_value_to_json(v, len, &json, NULL, NULL)) return -1;
  int64_t out = strtoll(json, NULL, 10);
  free(json);
  return out;
}

static void *reader(void *arg) {
  shared *sh = arg;
  feast_ts last[KEYS] = {0};
  unsigned seed = (unsigned)(uintptr_t)&last;
  const char *refs[] = {"drv:a", "drv:b"};
  while (!atomic_load(&sh->stop)) {
    char rows[10][32];
    const char *rp[10];
    int keys[10];
    for (int i = 0; i < 10; i++) {
      keys[i] = (int)(rand_r(&seed) % KEYS);
      snprintf(rows[i], sizeof rows[i], "driver_id=%d", keys[i]);
      rp[i] = rows[i];
    }
    feast_error err;
    feast_batch *eb = NULL;
    feast_online_result *res = NULL;
    feast_code rc = feast_entity_rows_from_strings(rp, 10, &eb, &err);
    if (!rc) rc = feast_store_get_online_features(sh->s, refs, 2, eb, T0 + 1000 * SEC, &res, &err);
    if (rc) {
      /* before the first apply the table does not exist yet */
      if (!strstr(err.message, "does not exist")) {
        pthread_mutex_lock(&sh->mu);
        if (!sh->first_error[0]) snprintf(sh->first_error, sizeof sh->first_error, "%.500s", err.message);
        pthread_mutex_unlock(&sh->mu);
        atomic_fetch_add(&sh->errors, 1);
      }
    } else {
      for (int i = 0; i < 10; i++) {
        if (feast_online_result_status(res, 1, (size_t)i) != FEAST_STATUS_PRESENT) continue;
        int64_t a = value_int(res, 1, (size_t)i), b = value_int(res, 2, (size_t)i);
        if (b != 2 * a + keys[i]) atomic_fetch_add(&sh->torn, 1);
        feast_ts ev = feast_online_result_event_ts(res, 1, (size_t)i);
        if (ev < last[keys[i]]) atomic_fetch_add(&sh->backwards, 1);
        last[keys[i]] = ev;
      }
      atomic_fetch_add(&sh->reads, 1);
    }
    feast_online_result_free(res);
    feast_batch_free(eb);
  }
  return NULL;
}

static void run(const char *name, const char *online_yaml) {
  char repo[4200], path[4300];
  snprintf(repo, sizeof repo, "%s/%s", test_tmpdir(), name);
  mkdir(repo, 0777);
  snprintf(path, sizeof path, "%s/feature_store.yaml", repo);
  char cfg[1024];
  snprintf(cfg, sizeof cfg, "project: default\nregistry: registry.db\n%s", online_yaml);
  write_file(path, cfg);
  /* Fork before any thread or handle exists in this process. */
  pid_t pid = fork();
  if (pid == 0) _exit(writer(repo));
  shared sh = {0};
  pthread_mutex_init(&sh.mu, NULL);
  feast_error err;
  CHECK_OK(feast_store_open(repo, NULL, &sh.s, &err), &err);
  pthread_t tid[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&tid[i], NULL, reader, &sh);
  int status = 0;
  waitpid(pid, &status, 0);
  usleep(100000); /* read the last round too */
  atomic_store(&sh.stop, 1);
  for (int i = 0; i < THREADS; i++) pthread_join(tid[i], NULL);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(atomic_load(&sh.reads) > 100);
  CHECK_INT(atomic_load(&sh.torn), 0);
  CHECK_INT(atomic_load(&sh.backwards), 0);
  CHECK_INT(atomic_load(&sh.errors), 0);
  if (sh.first_error[0]) fprintf(stderr, "  first read error: %s\n", sh.first_error);
  /* the last round is what a fresh read sees */
  const char *refs[] = {"drv:a"};
  const char *row[] = {"driver_id=5"};
  feast_batch *eb = NULL;
  feast_online_result *res = NULL;
  CHECK_OK(feast_entity_rows_from_strings(row, 1, &eb, &err), &err);
  CHECK_OK(feast_store_get_online_features(sh.s, refs, 1, eb, T0 + 1000 * SEC, &res, &err), &err);
  if (res) CHECK_INT(value_int(res, 1, 0), ROUNDS);
  feast_online_result_free(res);
  feast_batch_free(eb);
  printf("%s: %ld reads from %d threads\n", name, atomic_load(&sh.reads), THREADS);
  feast_store_free(sh.s);
  pthread_mutex_destroy(&sh.mu);
}

static void lmdb_readers_while_another_process_writes(void) {
  run("lmdb", "online_store: {type: lmdb, path: online}\n");
}

static void redis_readers_while_another_process_writes(void) {
  const char *r = getenv("FEAST_TEST_REDIS");
  if (!r || !*r) {
    printf("redis: skipped (FEAST_TEST_REDIS unset; make test-tsan and the integration suite set it)\n");
    return;
  }
  char yaml[512];
  snprintf(yaml, sizeof yaml, "online_store: {type: redis, connection_string: \"%s\"}\n", r);
  run("redis", yaml);
}

TEST_MAIN(T(lmdb_readers_while_another_process_writes), T(redis_readers_while_another_process_writes))
