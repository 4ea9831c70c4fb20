/*
 * registry_test.c - the registry: spec storage encoding, projects, apply
 * (idempotence, revisions, all-or-nothing, type-change rule), label filters,
 * delete, allocation failures, and concurrent applies from several
 * processes. Every backend case runs against SQLite, and against PostgreSQL
 * too when FEAST_TEST_POSTGRES_URL is set (tests/py/test_registry_postgres.py
 * starts a server and sets it; in CI that run is mandatory).
 */
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "feast/registry.h"
#include "registry/spec_codec.h"
#include "test.h"

/* Until the specs branch is merged feast_specs_validate does not exist; this
 * weak stand-in checks only what the registry relies on (table entities
 * resolve through the lookup callback). A real definition overrides it. */
__attribute__((weak)) feast_code feast_specs_validate(const feast_spec_docs *docs, feast_entity_lookup lookup,
                                                      void *ctx, bool skip_source_check, feast_error *err) {
  (void)skip_source_check;
  int problems = 0;
  for (size_t i = 0; i < docs->n; i++) {
    const feast_spec_doc *d = &docs->docs[i];
    if (d->kind != FEAST_DOC_FEATURE_TABLE) continue;
    for (size_t k = 0; k < d->table.n_entities; k++) {
      bool in_docs = false;
      for (size_t j = 0; j < i; j++)
        if (docs->docs[j].kind == FEAST_DOC_ENTITY && strcmp(docs->docs[j].entity.name, d->table.entities[k]) == 0)
          in_docs = true;
      if (!in_docs && lookup(ctx, d->table.entities[k]) == FEAST_VT_INVALID) {
        if (problems++ == 0)
          feast_fail(err, FEAST_E_VALIDATION, "entity %s not found", d->table.entities[k]);
        else
          feast_error_append(err, "entity %s not found", d->table.entities[k]);
      }
    }
  }
  return problems ? FEAST_E_VALIDATION : FEAST_OK;
}

/* ---- spec builders ---- */

static void set_label(feast_map *m, const char *k, const char *v) {
  feast_error err;
  if (feast_map_set(m, k, v, &err)) abort();
}

static feast_spec_doc *add_doc(feast_spec_docs *docs, feast_doc_kind kind) {
  docs->docs = realloc(docs->docs, (docs->n + 1) * sizeof *docs->docs);
  feast_spec_doc *d = &docs->docs[docs->n++];
  memset(d, 0, sizeof *d);
  d->kind = kind;
  d->file = feast_strdup("specs.yaml");
  d->index = (int)docs->n;
  d->line = 1 + 10 * ((int)docs->n - 1);
  return d;
}

static feast_entity_spec *add_entity(feast_spec_docs *docs, const char *name, feast_value_type vt, const char *team) {
  feast_spec_doc *d = add_doc(docs, FEAST_DOC_ENTITY);
  d->entity.name = feast_strdup(name);
  d->entity.value_type = vt;
  d->entity.description = feast_strdup("an entity");
  if (team) set_label(&d->entity.labels, "team", team);
  return &d->entity;
}

static feast_feature_table_spec *add_table(feast_spec_docs *docs, const char *name, const char *entity,
                                           const char *team, int n_features) {
  feast_spec_doc *d = add_doc(docs, FEAST_DOC_FEATURE_TABLE);
  feast_feature_table_spec *t = &d->table;
  t->name = feast_strdup(name);
  t->n_entities = 1;
  t->entities = feast_calloc(1, sizeof *t->entities);
  t->entities[0] = feast_strdup(entity);
  t->n_features = (size_t)n_features;
  t->features = feast_calloc((size_t)n_features, sizeof *t->features);
  for (int i = 0; i < n_features; i++) {
    char fname[32];
    snprintf(fname, sizeof fname, "f%d", i);
    t->features[i].name = feast_strdup(fname);
    t->features[i].value_type = i % 2 ? FEAST_VT_FLOAT : FEAST_VT_INT64;
  }
  if (team) set_label(&t->labels, "team", team);
  t->has_max_age = true;
  t->max_age = 3600 * FEAST_US_PER_SEC;
  t->batch_source.type = FEAST_SOURCE_FILE;
  t->batch_source.file.file_format.kind = FEAST_FORMAT_PARQUET;
  t->batch_source.file.file_url = feast_strdup("file:///data/driver.parquet");
  t->batch_source.event_timestamp_column = feast_strdup("event_timestamp");
  t->batch_source.created_timestamp_column = feast_strdup("created");
  set_label(&t->batch_source.field_mapping, "f0", "col_f0");
  return t;
}

static void add_stream(feast_feature_table_spec *t) {
  t->has_stream_source = true;
  feast_data_source *s = &t->stream_source;
  s->type = FEAST_SOURCE_KAFKA;
  s->event_timestamp_column = feast_strdup("event_timestamp");
  s->kafka.bootstrap_servers = feast_strdup("localhost:9092");
  s->kafka.topic = feast_strdup("driver_trips");
  s->kafka.message_format.kind = FEAST_FORMAT_AVRO;
  s->kafka.message_format.schema_json = feast_strdup("{\"type\":\"record\"}");
}

static void docs_free(feast_spec_docs *docs) {
  for (size_t i = 0; i < docs->n; i++) {
    feast_free(docs->docs[i].file);
    feast_entity_spec_clear(&docs->docs[i].entity);
    feast_feature_table_spec_clear(&docs->docs[i].table);
  }
  free(docs->docs);
  memset(docs, 0, sizeof *docs);
}

/* ---- codec ---- */

static void codec_round_trip(void) {
  feast_spec_docs docs = {0};
  feast_error err;
  add_entity(&docs, "driver_id", FEAST_VT_INT64, "ml");
  feast_feature_table_spec *t = add_table(&docs, "driver_trips", "driver_id", "ml", 3);
  add_stream(t);
  feast_buf b;
  feast_buf_init(&b, FEAST_BUF_UNLIMITED);
  CHECK_OK(feast_codec_encode_table(t, &b, &err), &err);
  feast_feature_table_spec back = {0};
  CHECK_OK(feast_codec_decode_table(b.data, b.len, &back, &err), &err);
  CHECK(feast_feature_table_spec_equal(t, &back));
  CHECK_STR(back.stream_source.kafka.message_format.schema_json, "{\"type\":\"record\"}");
  CHECK_INT(back.max_age, 3600 * FEAST_US_PER_SEC);
  feast_feature_table_spec_clear(&back);
  /* Every truncation and every single-byte flip fails cleanly or decodes. */
  for (size_t n = 0; n < b.len; n++) {
    feast_feature_table_spec x = {0};
    CHECK_INT(feast_codec_decode_table(b.data, n, &x, &err), FEAST_E_CORRUPT);
    CHECK(x.name == NULL);
  }
  for (size_t i = 0; i < b.len; i++) {
    b.data[i] ^= 0xA5;
    feast_feature_table_spec x = {0};
    if (feast_codec_decode_table(b.data, b.len, &x, &err) == FEAST_OK) feast_feature_table_spec_clear(&x);
    b.data[i] ^= 0xA5;
  }
  feast_buf_reset(&b);
  CHECK_OK(feast_codec_encode_entity(&docs.docs[0].entity, &b, &err), &err);
  feast_entity_spec e = {0};
  CHECK_OK(feast_codec_decode_entity(b.data, b.len, &e, &err), &err);
  CHECK(feast_entity_spec_equal(&e, &docs.docs[0].entity));
  feast_entity_spec_clear(&e);
  CHECK_INT(feast_codec_decode_table(b.data, b.len, &back, &err), FEAST_E_CORRUPT);
  feast_buf_free(&b);
  docs_free(&docs);
}

/* ---- backends ---- */

/* A fresh, empty registry location for the backend: a new SQLite file, or
 * the PostgreSQL database with the registry's tables dropped. */
static const char *fresh_location(int backend) {
  static char path[4096];
  if (backend == 0) {
    snprintf(path, sizeof path, "%s/registry.db", test_tmpdir());
    return path;
  }
  const char *url = getenv("FEAST_TEST_POSTGRES_URL");
  PGconn *c = PQconnectdb(url);
  if (PQstatus(c) != CONNECTION_OK) {
    fprintf(stderr, "cannot connect to %s: %s", url, PQerrorMessage(c));
    abort();
  }
  PQclear(PQexec(c, "SET client_min_messages = warning"));
  PQclear(PQexec(c, "DROP TABLE IF EXISTS feast_meta, feast_projects, feast_entities, feast_feature_tables"));
  PQfinish(c);
  return url;
}

static int n_backends(void) { return getenv("FEAST_TEST_POSTGRES_URL") && *getenv("FEAST_TEST_POSTGRES_URL") ? 2 : 1; }

static feast_registry *open_fresh(int backend, const char **where) {
  feast_error err;
  feast_registry *reg = NULL;
  const char *loc = fresh_location(backend);
  if (where) *where = loc;
  CHECK_OK(feast_registry_open(loc, &reg, &err), &err);
  if (!reg) abort();
  CHECK_STR(feast_registry_backend_name(reg), backend ? "postgresql" : "sqlite");
  return reg;
}

static void projects_rules(void) {
  for (int be = 0; be < n_backends(); be++) {
    feast_error err;
    feast_registry *reg = open_fresh(be, NULL);
    feast_project_list l;
    CHECK_OK(feast_registry_list_projects(reg, false, &l, &err), &err);
    CHECK_INT(l.n, 1);
    CHECK_STR(l.items[0].name, "default");
    feast_project_list_clear(&l);

    CHECK_OK(feast_registry_create_project(reg, "fraud", &err), &err);
    CHECK_INT(feast_registry_create_project(reg, "fraud", &err), FEAST_E_EXISTS);
    CHECK_INT(feast_registry_create_project(reg, "default", &err), FEAST_E_EXISTS);
    CHECK_INT(feast_registry_create_project(reg, "bad name!", &err), FEAST_E_INVALID);
    CHECK_CONTAINS(err.message, "bad name!");
    CHECK_INT(feast_registry_archive_project(reg, "default", &err), FEAST_E_INVALID);
    CHECK_INT(feast_registry_archive_project(reg, "nope", &err), FEAST_E_NOT_FOUND);
    CHECK_OK(feast_registry_create_project(reg, "zeta", &err), &err);
    CHECK_OK(feast_registry_archive_project(reg, "zeta", &err), &err);
    CHECK_OK(feast_registry_archive_project(reg, "zeta", &err), &err);

    CHECK_OK(feast_registry_list_projects(reg, false, &l, &err), &err);
    CHECK_INT(l.n, 2);
    if (l.n == 2) {
      CHECK_STR(l.items[0].name, "default");
      CHECK_STR(l.items[1].name, "fraud");
    }
    feast_project_list_clear(&l);
    CHECK_OK(feast_registry_list_projects(reg, true, &l, &err), &err);
    CHECK_INT(l.n, 3);
    if (l.n == 3) CHECK(l.items[2].archived && strcmp(l.items[2].name, "zeta") == 0);
    feast_project_list_clear(&l);

    /* Archived projects take no applies; new projects are created by apply. */
    feast_spec_docs docs = {0};
    add_entity(&docs, "driver_id", FEAST_VT_INT64, NULL);
    CHECK_INT(feast_registry_apply(reg, "zeta", &docs, true, NULL, &err), FEAST_E_INVALID);
    CHECK_CONTAINS(err.message, "archived");
    CHECK_INT(feast_registry_create_project(reg, "zeta", &err), FEAST_E_EXISTS);
    CHECK_OK(feast_registry_apply(reg, "newproj", &docs, true, NULL, &err), &err);
    CHECK_OK(feast_registry_list_projects(reg, false, &l, &err), &err);
    CHECK_INT(l.n, 3);
    feast_project_list_clear(&l);
    docs_free(&docs);
    feast_registry_free(reg);
  }
}

static void apply_is_idempotent_and_revisions(void) {
  for (int be = 0; be < n_backends(); be++) {
    feast_error err;
    feast_registry *reg = open_fresh(be, NULL);
    feast_spec_docs docs = {0};
    add_entity(&docs, "driver_id", FEAST_VT_INT64, "ml");
    add_stream(add_table(&docs, "driver_trips", "driver_id", "ml", 3));
    feast_apply_result r;
    CHECK_OK(feast_registry_apply(reg, NULL, &docs, true, &r, &err), &err);
    CHECK_INT(r.n, 2);
    if (r.n == 2) {
      CHECK_INT(r.items[0].kind, FEAST_DOC_ENTITY);
      CHECK_STR(r.items[0].name, "driver_id");
      CHECK_INT(r.items[0].action, FEAST_APPLY_CREATED);
      CHECK_INT(r.items[1].action, FEAST_APPLY_CREATED);
      CHECK_INT(r.items[1].revision, 1);
    }
    feast_apply_result_clear(&r);

    feast_feature_table t1;
    CHECK_OK(feast_registry_get_feature_table(reg, "default", "driver_trips", &t1, &err), &err);
    CHECK(feast_feature_table_spec_equal(&t1.spec, &docs.docs[1].table));
    CHECK_INT(t1.meta.revision, 1);
    CHECK(t1.meta.created > 0 && t1.meta.created == t1.meta.last_updated);

    usleep(2000);
    CHECK_OK(feast_registry_apply(reg, NULL, &docs, true, &r, &err), &err);
    CHECK_INT(r.n, 2);
    if (r.n == 2) {
      CHECK_INT(r.items[0].action, FEAST_APPLY_UNCHANGED);
      CHECK_INT(r.items[1].action, FEAST_APPLY_UNCHANGED);
      CHECK_INT(r.items[1].revision, 1);
    }
    feast_apply_result_clear(&r);
    feast_feature_table t2;
    CHECK_OK(feast_registry_get_feature_table(reg, NULL, "driver_trips", &t2, &err), &err);
    CHECK_INT(t2.meta.revision, 1);
    CHECK_INT(t2.meta.last_updated, t1.meta.last_updated);
    feast_feature_table_clear(&t2);

    /* Labels compare as maps: order does not matter. Adding one changes. */
    set_label(&docs.docs[1].table.labels, "owner", "alice");
    usleep(2000);
    CHECK_OK(feast_registry_apply(reg, NULL, &docs, true, &r, &err), &err);
    if (r.n == 2) {
      CHECK_INT(r.items[0].action, FEAST_APPLY_UNCHANGED);
      CHECK_INT(r.items[1].action, FEAST_APPLY_UPDATED);
      CHECK_INT(r.items[1].revision, 2);
    }
    feast_apply_result_clear(&r);
    CHECK_OK(feast_registry_get_feature_table(reg, NULL, "driver_trips", &t2, &err), &err);
    CHECK_INT(t2.meta.revision, 2);
    CHECK_INT(t2.meta.created, t1.meta.created);
    CHECK(t2.meta.last_updated > t1.meta.last_updated);
    CHECK_STR(feast_map_get(&t2.spec.labels, "owner"), "alice");
    feast_feature_table_clear(&t2);
    feast_feature_table_clear(&t1);

    /* Entity description change bumps the entity's revision. */
    feast_free(docs.docs[0].entity.description);
    docs.docs[0].entity.description = feast_strdup("the driver");
    CHECK_OK(feast_registry_apply(reg, NULL, &docs, true, &r, &err), &err);
    if (r.n == 2) CHECK_INT(r.items[0].revision, 2);
    feast_apply_result_clear(&r);
    feast_entity e;
    CHECK_OK(feast_registry_get_entity(reg, NULL, "driver_id", &e, &err), &err);
    CHECK_STR(e.spec.description, "the driver");
    CHECK_INT(e.meta.revision, 2);
    feast_entity_clear(&e);
    docs_free(&docs);
    feast_registry_free(reg);
  }
}

static void apply_is_all_or_nothing(void) {
  for (int be = 0; be < n_backends(); be++) {
    feast_error err;
    feast_registry *reg = open_fresh(be, NULL);
    feast_spec_docs docs = {0};
    add_entity(&docs, "driver_id", FEAST_VT_INT64, NULL);
    CHECK_OK(feast_registry_apply(reg, NULL, &docs, true, NULL, &err), &err);
    docs_free(&docs);

    /* A new entity, a new table, then an entity whose type would change:
     * nothing of the three may be stored. */
    add_entity(&docs, "customer_id", FEAST_VT_STRING, NULL);
    add_table(&docs, "customer_stats", "customer_id", NULL, 2);
    add_entity(&docs, "driver_id", FEAST_VT_STRING, NULL);
    feast_apply_result r;
    CHECK_INT(feast_registry_apply(reg, NULL, &docs, true, &r, &err), FEAST_E_VALIDATION);
    CHECK_CONTAINS(err.message, "specs.yaml: document 3");
    CHECK_CONTAINS(err.message, "driver_id");
    CHECK_CONTAINS(err.message, "INT64 to STRING");
    CHECK_INT(r.n, 0);
    feast_entity e;
    CHECK_INT(feast_registry_get_entity(reg, NULL, "customer_id", &e, &err), FEAST_E_NOT_FOUND);
    CHECK_CONTAINS(err.message, "customer_id");
    feast_feature_table t;
    CHECK_INT(feast_registry_get_feature_table(reg, NULL, "customer_stats", &t, &err), FEAST_E_NOT_FOUND);
    CHECK_OK(feast_registry_get_entity(reg, NULL, "driver_id", &e, &err), &err);
    CHECK_INT(e.spec.value_type, FEAST_VT_INT64);
    feast_entity_clear(&e);
    docs_free(&docs);

    /* The same name twice in one apply; a table on an unknown entity. */
    add_entity(&docs, "a", FEAST_VT_INT64, NULL);
    add_entity(&docs, "a", FEAST_VT_INT64, NULL);
    add_table(&docs, "t", "ghost", NULL, 1);
    CHECK_INT(feast_registry_apply(reg, NULL, &docs, true, NULL, &err), FEAST_E_VALIDATION);
    CHECK_INT(feast_registry_get_entity(reg, NULL, "a", &e, &err), FEAST_E_NOT_FOUND);
    docs_free(&docs);
    add_entity(&docs, "a", FEAST_VT_INT64, NULL);
    add_entity(&docs, "a", FEAST_VT_INT64, NULL);
    CHECK_INT(feast_registry_apply(reg, NULL, &docs, true, NULL, &err), FEAST_E_VALIDATION);
    CHECK_CONTAINS(err.message, "also defined in specs.yaml: document 1");
    docs_free(&docs);
    feast_registry_free(reg);
  }
}

static void labels_projects_delete(void) {
  for (int be = 0; be < n_backends(); be++) {
    feast_error err;
    feast_registry *reg = open_fresh(be, NULL);
    feast_spec_docs docs = {0};
    add_entity(&docs, "driver_id", FEAST_VT_INT64, "ml");
    add_entity(&docs, "customer_id", FEAST_VT_STRING, "growth");
    add_table(&docs, "t_ml", "driver_id", "ml", 1);
    add_table(&docs, "t_growth", "customer_id", "growth", 2);
    add_table(&docs, "t_none", "driver_id", NULL, 1);
    CHECK_OK(feast_registry_apply(reg, NULL, &docs, true, NULL, &err), &err);
    CHECK_OK(feast_registry_apply(reg, "other", &docs, true, NULL, &err), &err);

    feast_map filter = {0};
    feast_feature_table_list tl;
    CHECK_OK(feast_registry_list_feature_tables(reg, NULL, &filter, &tl, &err), &err);
    CHECK_INT(tl.n, 3);
    if (tl.n == 3) {
      CHECK_STR(tl.items[0].spec.name, "t_growth");
      CHECK_STR(tl.items[2].spec.name, "t_none");
    }
    feast_feature_table_list_clear(&tl);
    set_label(&filter, "team", "ml");
    CHECK_OK(feast_registry_list_feature_tables(reg, NULL, &filter, &tl, &err), &err);
    CHECK_INT(tl.n, 1);
    if (tl.n == 1) CHECK_STR(tl.items[0].spec.name, "t_ml");
    feast_feature_table_list_clear(&tl);
    feast_entity_list el;
    CHECK_OK(feast_registry_list_entities(reg, NULL, &filter, &el, &err), &err);
    CHECK_INT(el.n, 1);
    if (el.n == 1) CHECK_STR(el.items[0].spec.name, "driver_id");
    feast_entity_list_clear(&el);
    set_label(&filter, "other", "x");
    CHECK_OK(feast_registry_list_entities(reg, NULL, &filter, &el, &err), &err);
    CHECK_INT(el.n, 0);
    feast_entity_list_clear(&el);
    feast_map_clear(&filter);
    CHECK_OK(feast_registry_list_entities(reg, "nothing_here", NULL, &el, &err), &err);
    CHECK_INT(el.n, 0);
    feast_entity_list_clear(&el);

    CHECK_OK(feast_registry_delete_feature_table(reg, NULL, "t_ml", &err), &err);
    CHECK_INT(feast_registry_delete_feature_table(reg, NULL, "t_ml", &err), FEAST_E_NOT_FOUND);
    CHECK_CONTAINS(err.message, "t_ml");
    feast_feature_table t;
    CHECK_INT(feast_registry_get_feature_table(reg, NULL, "t_ml", &t, &err), FEAST_E_NOT_FOUND);
    CHECK_OK(feast_registry_get_feature_table(reg, "other", "t_ml", &t, &err), &err);
    feast_feature_table_clear(&t);
    /* Re-creating a deleted table starts again at revision 1. */
    feast_apply_result r;
    CHECK_OK(feast_registry_apply(reg, NULL, &docs, true, &r, &err), &err);
    if (r.n == 5) {
      CHECK_INT(r.items[2].action, FEAST_APPLY_CREATED);
      CHECK_INT(r.items[3].action, FEAST_APPLY_UNCHANGED);
    }
    feast_apply_result_clear(&r);
    docs_free(&docs);
    feast_registry_free(reg);
  }
}

/* Fail every allocation in turn: each apply either succeeds or reports
 * out-of-memory with nothing stored, and nothing leaks (ASan). */
static void apply_survives_allocation_failures(void) {
  feast_error err;
  feast_registry *reg = open_fresh(0, NULL);
  feast_spec_docs docs = {0};
  add_entity(&docs, "driver_id", FEAST_VT_INT64, "ml");
  add_stream(add_table(&docs, "driver_trips", "driver_id", "ml", 4));
  feast_code rc = FEAST_E_NOMEM;
  for (long n = 0; n < 10000 && rc == FEAST_E_NOMEM; n++) {
    feast_apply_result r;
    feast_alloc_fail_after(n);
    rc = feast_registry_apply(reg, NULL, &docs, true, &r, &err);
    feast_alloc_fail_after(-1);
    if (rc == FEAST_E_NOMEM) {
      feast_entity_list el;
      CHECK_OK(feast_registry_list_entities(reg, NULL, NULL, &el, &err), &err);
      CHECK_INT(el.n, 0);
      feast_entity_list_clear(&el);
    } else {
      CHECK_INT(r.n, 2);
      feast_apply_result_clear(&r);
    }
  }
  CHECK_INT(rc, FEAST_OK);
  docs_free(&docs);
  feast_registry_free(reg);
}

static void open_errors(void) {
  feast_error err;
  feast_registry *reg = NULL;
  CHECK_INT(feast_registry_open("/nonexistent-dir/x/registry.db", &reg, &err), FEAST_E_IO);
  CHECK_CONTAINS(err.message, "/nonexistent-dir/x/registry.db");
  CHECK(reg == NULL);
  char path[4200];
  snprintf(path, sizeof path, "%s/garbage.db", test_tmpdir());
  FILE *f = fopen(path, "wb");
  for (int i = 0; i < 4096; i++) fputc('x', f);
  fclose(f);
  CHECK_INT(feast_registry_open(path, &reg, &err), FEAST_E_CORRUPT);
  CHECK_INT(feast_registry_open("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", &reg, &err),
            FEAST_E_CONNECT);
  CHECK(err.retriable);
}

/* Several processes apply at once: shared specs (the same entity and table
 * from everyone, updated with each process's label) and private ones. Every
 * apply must succeed (writers queue), and the registry ends consistent. */
#define WORKERS 4
#define ROUNDS 8
static void concurrent_applies(void) {
  for (int be = 0; be < n_backends(); be++) {
    const char *loc;
    feast_error err;
    feast_registry *reg = open_fresh(be, &loc);
    feast_registry_free(reg);
    fflush(NULL);
    pid_t pids[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
      pids[w] = fork();
      if (pids[w] == 0) {
        int bad = 0;
        for (int round = 0; round < ROUNDS; round++) {
          feast_registry *r = NULL;
          if (feast_registry_open(loc, &r, &err)) {
            fprintf(stderr, "worker %d open: %s\n", w, err.message);
            _exit(1);
          }
          feast_spec_docs docs = {0};
          char name[64], label[32];
          add_entity(&docs, "driver_id", FEAST_VT_INT64, NULL);
          snprintf(label, sizeof label, "w%d", w);
          add_table(&docs, "shared_table", "driver_id", label, 2);
          snprintf(name, sizeof name, "private_%d_%d", w, round);
          add_table(&docs, name, "driver_id", NULL, 1);
          if (feast_registry_apply(r, round % 2 ? "default" : "busy", &docs, true, NULL, &err)) {
            fprintf(stderr, "worker %d apply: %s\n", w, err.message);
            bad = 1;
          }
          docs_free(&docs);
          feast_registry_free(r);
        }
        _exit(bad);
      }
    }
    for (int w = 0; w < WORKERS; w++) {
      int status = 0;
      waitpid(pids[w], &status, 0);
      CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK_OK(feast_registry_open(loc, &reg, &err), &err);
    if (!reg) continue;
    int tables = 0;
    const char *projects[2] = {"default", "busy"};
    for (int p = 0; p < 2; p++) {
      feast_feature_table_list tl;
      CHECK_OK(feast_registry_list_feature_tables(reg, projects[p], NULL, &tl, &err), &err);
      tables += (int)tl.n;
      for (size_t i = 0; i < tl.n; i++)
        if (strcmp(tl.items[i].spec.name, "shared_table") == 0) {
          /* Each apply changed the label unless the same worker wrote last. */
          CHECK(tl.items[i].meta.revision >= 1 && tl.items[i].meta.revision <= WORKERS * ROUNDS / 2);
          CHECK(feast_map_get(&tl.items[i].spec.labels, "team") != NULL);
        }
      feast_feature_table_list_clear(&tl);
      feast_entity e;
      CHECK_OK(feast_registry_get_entity(reg, projects[p], "driver_id", &e, &err), &err);
      CHECK_INT(e.meta.revision, 1);
      feast_entity_clear(&e);
    }
    CHECK_INT(tables, WORKERS * ROUNDS + 2);
    feast_registry_free(reg);
  }
}

TEST_MAIN(T(codec_round_trip), T(projects_rules), T(apply_is_idempotent_and_revisions), T(apply_is_all_or_nothing),
          T(labels_projects_delete), T(apply_survives_allocation_failures), T(open_errors), T(concurrent_applies))
