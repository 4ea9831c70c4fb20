/*
 * store.c - the feature store handle: configuration lookup, the registry,
 * a lazily opened online store, and the three operations users ask for
 * (historical features, online features, ingestion) with the specs they
 * need fetched from the registry.
 */
#include "feast/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "source/connector.h"
#include "feast/source.h"

typedef struct tables tables;
static void tables_free(tables *h);

struct feast_store {
  feast_config cfg;
  char *project;
  feast_registry *reg;
  feast_online_store *online;
  tables *column_types; /* specs whose names entity_column_types lends out */
};

feast_code feast_config_online_uri(const feast_config *cfg, char *uri, size_t size, feast_error *err) {
  const feast_backend_config *s = &cfg->online_store;
  const char *type = s->type ? s->type : "lmdb";
  if (strcmp(type, "lmdb") == 0) {
    const char *path = feast_map_get(&s->settings, "path");
    if (!path) path = "data/online_store";
    if (path[0] == '/')
      snprintf(uri, size, "lmdb:%s", path);
    else
      snprintf(uri, size, "lmdb:%s/%s", cfg->dir ? cfg->dir : ".", path);
    return FEAST_OK;
  }
  const char *conn = feast_map_get(&s->settings, "connection_string");
  if (strcmp(type, "redis") == 0) {
    if (!conn) conn = "localhost:6379";
    snprintf(uri, size, "%s%s", strncmp(conn, "redis://", 8) == 0 ? "" : "redis://", conn);
    return FEAST_OK;
  }
  if (strcmp(type, "redis_cluster") == 0) {
    const char *nodes = feast_map_get(&s->settings, "startup_nodes");
    if (!nodes) nodes = conn;
    if (!nodes)
      return feast_fail(err, FEAST_E_INVALID, "online_store: redis_cluster needs startup_nodes (\"host:port,host:port\")");
    snprintf(uri, size, "redis-cluster://%s", nodes);
    return FEAST_OK;
  }
  return feast_fail(err, FEAST_E_INVALID, "online_store: unknown type '%s' (expected lmdb, redis or redis_cluster)",
                    type);
}

static feast_code load_config(const char *path, feast_config *cfg, feast_error *err) {
  if (!path) path = getenv("FEAST_CONFIG");
  struct stat st;
  if (path && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    /* A repository folder: its feature_store.yaml, else its defaults. */
    char file[4096];
    snprintf(file, sizeof file, "%s/feature_store.yaml", path);
    if (access(file, F_OK) == 0) return feast_config_load(file, cfg, err);
    char dir[4096];
    if (!realpath(path, dir)) return feast_fail(err, FEAST_E_IO, "cannot resolve %s", path);
    return feast_config_defaults(dir, cfg, err);
  }
  if (path) return feast_config_load(path, cfg, err);
  if (access("feature_store.yaml", F_OK) == 0) return feast_config_load("feature_store.yaml", cfg, err);
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) return feast_fail(err, FEAST_E_IO, "cannot read the working folder");
  return feast_config_defaults(cwd, cfg, err);
}

feast_code feast_store_open(const char *config_path, const char *project, feast_store **out, feast_error *err) {
  feast_store *s = feast_calloc(1, sizeof *s);
  if (!s) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = load_config(config_path, &s->cfg, err);
  if (rc) {
    feast_free(s);
    return rc;
  }
  s->project = feast_strdup(project ? project : s->cfg.project);
  if (!s->project) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) rc = feast_registry_open(s->cfg.registry, &s->reg, err);
  if (rc) {
    feast_store_free(s);
    return rc;
  }
  *out = s;
  return FEAST_OK;
}

void feast_store_free(feast_store *s) {
  if (!s) return;
  feast_online_store_free(s->online);
  tables_free(s->column_types);
  feast_registry_free(s->reg);
  feast_config_clear(&s->cfg);
  feast_free(s->project);
  feast_free(s);
}

const feast_config *feast_store_get_config(const feast_store *s) { return &s->cfg; }
const char *feast_store_project(const feast_store *s) { return s->project; }
feast_registry *feast_store_registry(feast_store *s) { return s->reg; }

feast_code feast_store_online(feast_store *s, feast_online_store **out, feast_error *err) {
  if (!s->online) {
    char uri[4096];
    feast_online_options o;
    memset(&o, 0, sizeof o);
    const char *map_size = feast_map_get(&s->cfg.online_store.settings, "map_size");
    if (map_size) {
      char *end;
      unsigned long long v = strtoull(map_size, &end, 10);
      if (*end || !v) return feast_fail(err, FEAST_E_INVALID, "online_store: map_size must be a number of bytes, not '%s'", map_size);
      o.lmdb_map_size = (size_t)v;
    }
    feast_code rc = feast_config_online_uri(&s->cfg, uri, sizeof uri, err);
    if (!rc) rc = feast_online_store_open(uri, &o, &s->online, err);
    if (rc) return rc;
  }
  *out = s->online;
  return FEAST_OK;
}

/* ---- the tables a request names ---- */

#define MAX_TABLES 64
#define MAX_ENTITIES 64

struct tables {
  feast_feature_table t[MAX_TABLES];
  feast_value_type types[MAX_TABLES][MAX_ENTITIES];
  feast_retrieval_table rt[MAX_TABLES];
  size_t n;
};

static void tables_free(tables *h) {
  if (!h) return;
  for (size_t i = 0; i < h->n; i++) feast_feature_table_clear(&h->t[i]);
  feast_free(h);
}

/* Load every table the references name, once, in first-reference order.
 * Tables missing from the registry are left out when `skip_missing` (the
 * retrieval engine then reports them with every other problem); other
 * failures are appended to `problems`. */
static tables *load_tables(feast_store *s, const char *const *refs, size_t n_refs, bool skip_missing,
                           feast_error *problems) {
  tables *h = feast_calloc(1, sizeof *h);
  if (!h) {
    feast_error_append(problems, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n_refs; i++) {
    const char *colon = strchr(refs[i], ':');
    if (!colon) continue;
    size_t len = (size_t)(colon - refs[i]);
    bool have = false;
    for (size_t k = 0; k < h->n && !have; k++)
      have = strlen(h->t[k].spec.name) == len && strncmp(h->t[k].spec.name, refs[i], len) == 0;
    if (have) continue;
    if (h->n == MAX_TABLES) {
      feast_error_append(problems, "a request may name at most %d feature tables", MAX_TABLES);
      break;
    }
    char name[512];
    snprintf(name, sizeof name, "%.*s", (int)len, refs[i]);
    feast_error err;
    feast_feature_table *t = &h->t[h->n];
    memset(t, 0, sizeof *t);
    if (feast_registry_get_feature_table(s->reg, s->project, name, t, &err)) {
      if (!(skip_missing && err.code == FEAST_E_NOT_FOUND)) feast_error_append(problems, "%s", err.message);
      continue;
    }
    for (size_t e = 0; e < t->spec.n_entities && e < MAX_ENTITIES; e++) {
      feast_entity ent;
      memset(&ent, 0, sizeof ent);
      if (feast_registry_get_entity(s->reg, s->project, t->spec.entities[e], &ent, &err)) {
        feast_error_append(problems, "%s", err.message);
        h->types[h->n][e] = FEAST_VT_INVALID;
      } else {
        h->types[h->n][e] = ent.spec.value_type;
        feast_entity_clear(&ent);
      }
    }
    h->rt[h->n].spec = &t->spec;
    h->rt[h->n].entity_types = h->types[h->n];
    h->n++;
  }
  return h;
}

/* ---- historical ---- */

/* How the retrieval's sources are read: its thread count, and the share of
 * the memory limit their decode-ahead may hold. */
typedef struct source_opts {
  int threads;
  int64_t ahead_bytes;
} source_opts;

static feast_code open_source(void *ctx, const feast_feature_table_spec *table, const char *const *columns, int ncols,
                              feast_ts lo, feast_ts hi, feast_batch_source **out, feast_error *err) {
  const source_opts *o = ctx;
  feast_batch_read r = {columns, ncols, true, lo, hi, o->threads, o->ahead_bytes};
  return feast_source_open_read(&table->batch_source, &r, out, err);
}

static feast_code source_schema(void *ctx, const feast_feature_table_spec *table, feast_batch **out, feast_error *err) {
  (void)ctx;
  return feast_source_schema(&table->batch_source, out, err);
}

feast_code feast_store_get_historical_features(feast_store *s, const char *const *refs, size_t n_refs,
                                               feast_batch_source *entities, const feast_historical_options *opts,
                                               feast_batch_source **out, feast_retrieval_summary *summary,
                                               feast_error *err) {
  feast_error problems;
  feast_error_clear(&problems);
  tables *h = load_tables(s, refs, n_refs, true, &problems);
  if (!h || problems.message[0]) {
    tables_free(h);
    return feast_fail(err, h ? FEAST_E_NOT_FOUND : FEAST_E_NOMEM, "%s", problems.message);
  }
  feast_retrieval_request req;
  memset(&req, 0, sizeof req);
  req.entities = entities;
  req.n_refs = n_refs;
  req.refs = refs;
  req.n_tables = h->n;
  req.tables = h->rt;
  source_opts so = {opts ? opts->threads : 0, 0};
  req.open_source = open_source;
  req.source_ctx = &so;
  req.source_schema = source_schema;
  if (opts) {
    req.entity_ts_column = opts->entity_ts_column;
    /* an explicit limit covers the reader too: an eighth for what it decodes
     * ahead, the rest for the join (0 keeps both defaults) */
    size_t limit = opts->memory_limit, ahead = limit / 8 ? limit / 8 : 1;
    so.ahead_bytes = limit ? (int64_t)ahead : 0;
    req.memory_limit = !limit ? 0 : limit > ahead ? limit - ahead : 1;
    req.threads = opts->threads;
    req.spill_dir = opts->spill_dir;
    req.progress = opts->progress;
    req.progress_ctx = opts->progress_ctx;
  }
  /* The engine's output does not borrow from the request: the specs can go. */
  feast_code rc = feast_historical_retrieve(&req, out, summary, err);
  tables_free(h);
  return rc;
}

feast_code feast_store_get_historical_features_arrow(feast_store *s, const char *const *refs, size_t n_refs,
                                                     struct ArrowArrayStream *entities,
                                                     const feast_historical_options *opts,
                                                     struct ArrowArrayStream *out, feast_error *err) {
  feast_batch_source *ents, *res;
  feast_code rc = feast_arrow_stream_import(entities, &ents, err);
  if (rc) return rc;
  rc = feast_store_get_historical_features(s, refs, n_refs, ents, opts, &res, NULL, err);
  ents->close(ents);
  if (rc) return rc;
  rc = feast_arrow_stream_export(res, feast_retrieval_schema(res), out, err);
  if (rc) res->close(res);
  return rc;
}

int feast_store_entity_column_types(feast_store *s, const char *const *refs, size_t n_refs, const char *ts_column,
                                    feast_csv_column_type *types, int max) {
  tables_free(s->column_types); /* the names lent out last time */
  feast_error problems;
  feast_error_clear(&problems);
  tables *last = s->column_types = load_tables(s, refs, n_refs, true, &problems);
  int n = 0;
  if (max > 0) types[n++] = (feast_csv_column_type){ts_column ? ts_column : "event_timestamp",
                                                      feast_dtype_timestamp(FEAST_UNIT_US, true)};
  for (size_t i = 0; last && i < last->n; i++)
    for (size_t e = 0; e < last->t[i].spec.n_entities && n < max; e++) {
      bool dup = false;
      for (int k = 0; k < n && !dup; k++) dup = strcmp(types[k].name, last->t[i].spec.entities[e]) == 0;
      if (!dup)
        types[n++] = (feast_csv_column_type){last->t[i].spec.entities[e], feast_dtype_for_value_type(last->types[i][e])};
    }
  return n;
}

/* ---- online ---- */

feast_code feast_store_get_online_features(feast_store *s, const char *const *refs, size_t n_refs,
                                           const feast_batch *entity_rows, feast_ts at, feast_online_result **out,
                                           feast_error *err) {
  feast_error problems;
  feast_error_clear(&problems);
  for (size_t i = 0; i < n_refs; i++) {
    const char *colon = strchr(refs[i], ':');
    if (!colon || colon == refs[i] || !colon[1])
      feast_error_append(&problems, "'%s' is not a feature reference (TABLE:FEATURE)", refs[i]);
  }
  tables *h = load_tables(s, refs, n_refs, false, &problems);
  const char **features = feast_calloc(n_refs + 1, sizeof *features);
  feast_online_table_request *reqs = feast_calloc(MAX_TABLES, sizeof *reqs);
  feast_entity_spec *ents = feast_calloc(MAX_TABLES * MAX_ENTITIES, sizeof *ents);
  size_t n_ents = 0, used = 0;
  feast_code rc = FEAST_OK;
  if (!h || !features || !reqs || !ents) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t i = 0; !rc && i < h->n; i++) {
    const feast_feature_table_spec *t = &h->t[i].spec;
    size_t len = strlen(t->name), first = used;
    bool all = false;
    for (size_t k = 0; k < n_refs; k++) {
      if (strncmp(refs[k], t->name, len) != 0 || refs[k][len] != ':') continue;
      const char *f = refs[k] + len + 1;
      if (strcmp(f, "*") == 0) all = true;
      else if (feast_feature_table_find_feature(t, f) < 0)
        feast_error_append(&problems, "feature table %s has no feature '%s'", t->name, f);
      else features[used++] = f;
    }
    reqs[i].table = t;
    reqs[i].n_features = all ? 0 : used - first;
    reqs[i].features = features + first;
    for (size_t e = 0; e < t->n_entities; e++) {
      bool have = false;
      for (size_t j = 0; j < n_ents && !have; j++) have = strcmp(ents[j].name, t->entities[e]) == 0;
      if (have) continue;
      feast_entity ent;
      memset(&ent, 0, sizeof ent);
      feast_error lookup; /* err may be NULL */
      if (feast_registry_get_entity(s->reg, s->project, t->entities[e], &ent, &lookup))
        feast_error_append(&problems, "%s", lookup.message);
      else
        ents[n_ents++] = ent.spec;
    }
  }
  if (!rc && problems.message[0]) rc = feast_fail(err, FEAST_E_NOT_FOUND, "%s", problems.message);
  feast_online_store *store;
  if (!rc) rc = feast_store_online(s, &store, err);
  if (!rc) {
    feast_online_request req = {s->project, h->n, reqs, n_ents, ents, entity_rows, at};
    rc = feast_online_read(store, &req, out, err);
  }
  for (size_t j = 0; j < n_ents; j++) feast_entity_spec_clear(&ents[j]);
  feast_free(ents);
  feast_free(reqs);
  feast_free(features);
  tables_free(h);
  return rc;
}

/* ---- ingestion ---- */

/* The source columns ingestion needs: entities, features, timestamps. */
static int needed_columns(const feast_feature_table_spec *t, const feast_data_source *s, const char **cols, int max) {
  int n = 0;
  for (size_t i = 0; i < t->n_entities + t->n_features + 2; i++) {
    const char *c = i < t->n_entities                   ? feast_source_column(s, t->entities[i])
                    : i < t->n_entities + t->n_features ? feast_source_column(s, t->features[i - t->n_entities].name)
                    : i == t->n_entities + t->n_features ? s->event_timestamp_column
                                                         : s->created_timestamp_column;
    bool dup = !c;
    for (int j = 0; j < n && !dup; j++) dup = strcmp(cols[j], c) == 0;
    if (!dup && n < max) cols[n++] = c;
  }
  return n;
}

feast_code feast_store_open_table_source(feast_store *s, const char *table, const feast_ingest_options *opts,
                                         feast_batch_source **out, feast_error *err) {
  feast_feature_table t;
  memset(&t, 0, sizeof t);
  feast_code rc = feast_registry_get_feature_table(s->reg, s->project, table, &t, err);
  if (rc) return rc;
  const char *cols[1024];
  int ncols = needed_columns(&t.spec, &t.spec.batch_source, cols, 1024);
  bool prune = opts && (opts->has_start || opts->has_end);
  feast_ts lo = opts && opts->has_start ? opts->start : FEAST_TS_MIN;
  feast_ts hi = opts && opts->has_end ? opts->end - 1 : FEAST_TS_MAX;
  rc = feast_source_open(&t.spec.batch_source, cols, ncols, prune, lo, hi, out, err);
  feast_feature_table_clear(&t);
  return rc;
}

feast_code feast_store_ingest(feast_store *s, const char *table, feast_batch_source *rows,
                              const feast_ingest_options *opts, feast_ingest_summary *summary, feast_error *err) {
  feast_feature_table t;
  memset(&t, 0, sizeof t);
  feast_entity_spec *ents = NULL;
  feast_batch_source *own = NULL;
  feast_online_store *store;
  feast_code rc = feast_registry_get_feature_table(s->reg, s->project, table, &t, err);
  if (!rc && !(ents = feast_calloc(t.spec.n_entities + 1, sizeof *ents))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  size_t got = 0;
  for (; !rc && got < t.spec.n_entities; got++) {
    feast_entity ent;
    memset(&ent, 0, sizeof ent);
    if ((rc = feast_registry_get_entity(s->reg, s->project, t.spec.entities[got], &ent, err))) break;
    ents[got] = ent.spec;
  }
  if (!rc) rc = feast_store_online(s, &store, err);
  if (!rc && !rows) rc = feast_store_open_table_source(s, table, opts, &own, err);
  if (!rc) {
    feast_ingest_options o;
    if (opts) o = *opts;
    else memset(&o, 0, sizeof o);
    o.project = s->project;
    if (own && o.expected_rows <= 0) o.expected_rows = feast_source_num_rows(own);
    rc = feast_ingest(store, &t.spec, ents, t.spec.n_entities, rows ? rows : own, &o, summary, err);
  }
  if (own) own->close(own);
  for (size_t i = 0; ents && i < got; i++) feast_entity_spec_clear(&ents[i]);
  feast_free(ents);
  feast_feature_table_clear(&t);
  return rc;
}
