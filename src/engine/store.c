/*
 * store.c - the feature store handle: configuration lookup, the registry,
 * a lazily opened online store, and the three operations users ask for
 * (historical features, online features, ingestion) with the specs they
 * need taken from a registry snapshot.
 *
 * Threads: the operations may run on many threads at once. Specs come from
 * an immutable snapshot (engine/snapshot.h) that is swapped for a new one
 * when the registry's revision moves (checked at most every
 * registry_refresh_ms; 0 = on every call); the registry handle and the
 * lazy open of the online store are guarded by one mutex, held only for
 * those.
 */
#include "feast/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "engine/retrieval_bigquery.h"
#include "engine/snapshot.h"
#include "engine/store_internal.h"
#include "feast/aws.h"
#include "feast/bigquery.h"
#include "registry/registry_internal.h"
#include "feast/source.h"
#include "source/connector.h"

typedef struct request_tables request_tables;
static void request_tables_free(request_tables *h);

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
  if (pthread_mutex_init(&s->mu, NULL) != 0) {
    feast_free(s);
    return feast_fail(err, FEAST_E_NOMEM, "cannot create a mutex");
  }
  feast_code rc = load_config(config_path, &s->cfg, err);
  if (rc) {
    pthread_mutex_destroy(&s->mu);
    feast_free(s);
    return rc;
  }
  s->project = feast_strdup(project ? project : s->cfg.project);
  if (!s->project) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc && s->cfg.has_bigquery) rc = feast_bigquery_configure(&s->cfg, err);
  if (!rc && s->cfg.has_aws) rc = feast_aws_configure(&s->cfg, err);
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
  if (!s->online_owner) feast_online_store_free(s->online);
  request_tables_free(s->column_types);
  feast_snapshot_unref(s->snap);
  feast_registry_free(s->reg);
  feast_config_clear(&s->cfg);
  feast_free(s->project);
  pthread_mutex_destroy(&s->mu);
  feast_free(s);
}

const feast_config *feast_store_get_config(const feast_store *s) { return &s->cfg; }
const char *feast_store_project(const feast_store *s) { return s->project; }
feast_registry *feast_store_registry(feast_store *s) { return s->reg; }

void feast_store_share_online(feast_store *s, feast_store *owner) { s->online_owner = owner; }

feast_code feast_store_online(feast_store *s, feast_online_store **out, feast_error *err) {
  if (s->online_owner) return feast_store_online(s->online_owner, out, err);
  pthread_mutex_lock(&s->mu);
  feast_code rc = FEAST_OK;
  if (!s->online) {
    char uri[4096];
    feast_online_options o;
    memset(&o, 0, sizeof o);
    const char *map_size = feast_map_get(&s->cfg.online_store.settings, "map_size");
    if (map_size) {
      char *end;
      errno = 0;
      /* strtoull takes "-5" as 2^64-5: only digits are a size */
      unsigned long long v = map_size[0] >= '0' && map_size[0] <= '9' ? strtoull(map_size, &end, 10) : 0;
      if (!v || *end || errno || v > (unsigned long long)SIZE_MAX)
        rc = feast_fail(err, FEAST_E_INVALID,
                        "online_store: map_size must be a positive number of bytes (e.g. 1073741824), not '%s'",
                        map_size);
      o.lmdb_map_size = (size_t)v;
    }
    if (!rc) rc = feast_config_online_uri(&s->cfg, uri, sizeof uri, err);
    if (!rc) rc = feast_online_store_open(uri, &o, &s->online, err);
  }
  *out = s->online;
  pthread_mutex_unlock(&s->mu);
  return rc;
}

void feast_store_set_registry_refresh(feast_store *s, int interval_ms) {
  pthread_mutex_lock(&s->mu);
  s->refresh_ms = interval_ms > 0 ? interval_ms : 0;
  pthread_mutex_unlock(&s->mu);
}

/* ---- the registry snapshot ---- */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* With s->mu held: a snapshot of the registry's current revision (read
 * now when `force` or when the last check is older than refresh_ms). */
static feast_code refresh_locked(feast_store *s, bool force, feast_error *err) {
  int64_t now = now_ms();
  if (s->snap && !force && now - s->checked_ms < s->refresh_ms) return FEAST_OK;
  int64_t rev;
  feast_code rc = feast_registry_revision(s->reg, &rev, err);
  if (rc) return rc;
  s->checked_ms = now;
  if (s->snap && feast_snapshot_revision(s->snap) == rev) return FEAST_OK;
  feast_snapshot *next;
  if ((rc = feast_snapshot_load(s->reg, s->project, &next, err))) return rc;
  feast_snapshot_unref(s->snap);
  s->snap = next;
  return FEAST_OK;
}

feast_code feast_store_snapshot(feast_store *s, bool force, feast_snapshot **out, feast_error *err) {
  pthread_mutex_lock(&s->mu);
  feast_code rc = refresh_locked(s, force, err);
  if (!rc) {
    feast_snapshot_ref(s->snap);
    *out = s->snap;
  }
  pthread_mutex_unlock(&s->mu);
  return rc;
}

/* The registry's message for a table or entity the snapshot does not hold
 * (the snapshot is the registry as of one revision: what it lacks did not
 * exist when the request began). */
static void report_missing(feast_store *s, bool table, const char *name, feast_error *problems) {
  feast_error e;
  feast_registry_fail_missing(&e, table, name, s->project);
  feast_error_append(problems, "%s", e.message);
}

/* One table of *snap; when absent, looked for again in a fresh snapshot
 * (the registry may have moved since *snap was taken). NULL with the
 * registry's message in `problems` (when `report`) if it does not exist. */
static const feast_snapshot_table *snapshot_table(feast_store *s, feast_snapshot **snap, const char *name, size_t len,
                                                  bool report, feast_error *problems) {
  const feast_snapshot_table *t = feast_snapshot_table_get(*snap, name, len);
  for (int attempt = 0; !t && attempt < 3; attempt++) {
    feast_snapshot *fresh;
    feast_error e;
    if (feast_store_snapshot(s, true, &fresh, &e) != FEAST_OK) break;
    bool moved = feast_snapshot_revision(fresh) != feast_snapshot_revision(*snap);
    feast_snapshot_unref(*snap);
    *snap = fresh;
    t = feast_snapshot_table_get(*snap, name, len);
    if (!moved) break;
  }
  if (!t && report) {
    char copy[512];
    snprintf(copy, sizeof copy, "%.*s", (int)len, name);
    report_missing(s, true, copy, problems);
  }
  return t;
}

/* ---- the tables a request names ---- */

struct request_tables {
  feast_snapshot *snap;
  size_t n;
  const feast_snapshot_table **t; /* first-reference order */
  feast_retrieval_table *rt;
};

static void request_tables_free(request_tables *h) {
  if (!h) return;
  feast_snapshot_unref(h->snap);
  feast_free(h->t);
  feast_free(h->rt);
  feast_free(h);
}

/* Every table the references name, once, in first-reference order. Tables
 * missing from the registry are left out when `skip_missing` (the retrieval
 * engine then reports them with every other problem); other problems
 * (missing tables otherwise, missing entities) are appended to `problems`.
 * NULL only when out of memory or the registry cannot be read. */
static request_tables *request_tables_load(feast_store *s, const char *const *refs, size_t n_refs, bool skip_missing,
                                           feast_error *problems) {
  request_tables *h = feast_calloc(1, sizeof *h);
  feast_error e;
  if (!h || !(h->t = feast_calloc(n_refs + 1, sizeof *h->t)) || !(h->rt = feast_calloc(n_refs + 1, sizeof *h->rt))) {
    request_tables_free(h);
    feast_error_append(problems, "out of memory");
    return NULL;
  }
  if (feast_store_snapshot(s, false, &h->snap, &e)) {
    feast_error_append(problems, "%s", e.message);
    request_tables_free(h);
    return NULL;
  }
  for (size_t i = 0; i < n_refs; i++) {
    const char *colon = strchr(refs[i], ':');
    if (!colon) continue;
    size_t len = (size_t)(colon - refs[i]);
    bool have = false;
    for (size_t k = 0; k < h->n && !have; k++)
      have = strlen(h->t[k]->table->spec.name) == len && strncmp(h->t[k]->table->spec.name, refs[i], len) == 0;
    if (have) continue;
    const feast_snapshot_table *t = snapshot_table(s, &h->snap, refs[i], len, !skip_missing, problems);
    if (!t) continue;
    for (size_t k = 0; k < t->table->spec.n_entities; k++)
      if (!t->entities[k]) report_missing(s, false, t->table->spec.entities[k], problems);
    h->t[h->n] = t;
    h->rt[h->n] = (feast_retrieval_table){&t->table->spec, t->entity_types};
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
  return feast_store_get_historical_features_bq(s, refs, n_refs, entities, opts, NULL, out, summary, NULL, err);
}

/* BigQuery is asked only when a referenced table, the entity rows or the
 * destination is in BigQuery (engine/retrieval_bigquery.h); else the
 * local engine alone runs. */
feast_code feast_store_get_historical_features_bq(feast_store *s, const char *const *refs, size_t n_refs,
                                                  feast_batch_source *entities, const feast_historical_options *opts,
                                                  const feast_bigquery_historical_options *bo, feast_batch_source **out,
                                                  feast_retrieval_summary *summary, feast_bigquery_historical_info *info,
                                                  feast_error *err) {
  if (info) memset(info, 0, sizeof *info);
  feast_error problems;
  feast_error_clear(&problems);
  request_tables *h = request_tables_load(s, refs, n_refs, true, &problems);
  if (!h || problems.message[0]) {
    request_tables_free(h);
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
  feast_code rc = feast_bq_retrieval_involved(&req, bo) ? feast_bq_historical_retrieve(&req, bo, out, summary, info, err)
                                                        : feast_historical_retrieve(&req, out, summary, err);
  if (!rc && info && !info->plan[0]) snprintf(info->plan, sizeof info->plan, "local");
  request_tables_free(h);
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
  request_tables_free(s->column_types); /* the names lent out last time */
  feast_error problems;
  feast_error_clear(&problems);
  request_tables *last = s->column_types = request_tables_load(s, refs, n_refs, true, &problems);
  int n = 0;
  if (max > 0) types[n++] = (feast_csv_column_type){ts_column ? ts_column : "event_timestamp",
                                                      feast_dtype_timestamp(FEAST_UNIT_US, true)};
  for (size_t i = 0; last && i < last->n; i++) {
    const feast_feature_table_spec *t = &last->t[i]->table->spec;
    for (size_t e = 0; e < t->n_entities && n < max; e++) {
      bool dup = false;
      for (int k = 0; k < n && !dup; k++) dup = strcmp(types[k].name, t->entities[e]) == 0;
      if (!dup) types[n++] = (feast_csv_column_type){t->entities[e], feast_dtype_for_value_type(last->t[i]->entity_types[e])};
    }
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
  request_tables *h = request_tables_load(s, refs, n_refs, false, &problems);
  size_t n_slots = 0;
  for (size_t i = 0; h && i < h->n; i++) n_slots += h->t[i]->table->spec.n_entities;
  const char **features = feast_calloc(n_refs + 1, sizeof *features);
  feast_online_table_request *reqs = feast_calloc((h ? h->n : 0) + 1, sizeof *reqs);
  feast_entity_spec *ents = feast_calloc(n_slots + 1, sizeof *ents);
  size_t n_ents = 0, used = 0;
  feast_code rc = FEAST_OK;
  if (!h && !problems.message[0]) feast_error_append(&problems, "out of memory");
  if (!h || !features || !reqs || !ents) rc = feast_fail(err, h ? FEAST_E_NOMEM : FEAST_E_NOT_FOUND, "%s", h ? "out of memory" : problems.message);
  for (size_t i = 0; !rc && i < h->n; i++) {
    const feast_snapshot_table *st = h->t[i];
    const feast_feature_table_spec *t = &st->table->spec;
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
      bool have = !st->entities[e]; /* missing: reported by request_tables_load */
      for (size_t j = 0; j < n_ents && !have; j++) have = strcmp(ents[j].name, t->entities[e]) == 0;
      if (!have) ents[n_ents++] = *st->entities[e]; /* borrowed from the snapshot */
    }
  }
  if (!rc && problems.message[0]) rc = feast_fail(err, FEAST_E_NOT_FOUND, "%s", problems.message);
  feast_online_store *store;
  if (!rc) rc = feast_store_online(s, &store, err);
  if (!rc) {
    feast_online_request req = {s->project, h->n, reqs, n_ents, ents, entity_rows, at};
    rc = feast_online_read(store, &req, out, err);
  }
  feast_free(ents);
  feast_free(reqs);
  feast_free(features);
  request_tables_free(h);
  return rc;
}

/* ---- ingestion ---- */

/* The source columns ingestion needs: entities, features, timestamps. The
 * caller frees *out (borrowed strings). */
static feast_code needed_columns(const feast_feature_table_spec *t, const feast_data_source *s, const char ***out,
                                 int *n_out, feast_error *err) {
  size_t max = t->n_entities + t->n_features + 2;
  const char **cols = feast_calloc(max + 1, sizeof *cols);
  if (!cols) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  int n = 0;
  for (size_t i = 0; i < max; i++) {
    const char *c = i < t->n_entities                   ? feast_source_column(s, t->entities[i])
                    : i < t->n_entities + t->n_features ? feast_source_column(s, t->features[i - t->n_entities].name)
                    : i == t->n_entities + t->n_features ? s->event_timestamp_column
                                                         : s->created_timestamp_column;
    bool dup = !c;
    for (int j = 0; j < n && !dup; j++) dup = strcmp(cols[j], c) == 0;
    if (!dup) cols[n++] = c;
  }
  *out = cols;
  *n_out = n;
  return FEAST_OK;
}

static feast_code open_table_source(const feast_feature_table_spec *t, const feast_ingest_options *opts,
                                    feast_batch_source **out, feast_error *err) {
  const char **cols = NULL;
  int ncols = 0;
  feast_code rc = needed_columns(t, &t->batch_source, &cols, &ncols, err);
  if (rc) return rc;
  bool prune = opts && (opts->has_start || opts->has_end);
  feast_ts lo = opts && opts->has_start ? opts->start : FEAST_TS_MIN;
  feast_ts hi = opts && opts->has_end ? opts->end - 1 : FEAST_TS_MAX;
  rc = feast_source_open(&t->batch_source, cols, ncols, prune, lo, hi, out, err);
  feast_free(cols);
  return rc;
}

feast_code feast_store_table(feast_store *s, const char *table, feast_snapshot **snap, const feast_snapshot_table **out,
                            feast_error *err) {
  feast_code rc = feast_store_snapshot(s, false, snap, err);
  if (rc) return rc;
  feast_error problems;
  feast_error_clear(&problems);
  const feast_snapshot_table *t = snapshot_table(s, snap, table, strlen(table), true, &problems);
  for (size_t e = 0; t && e < t->table->spec.n_entities && !problems.message[0]; e++)
    if (!t->entities[e]) report_missing(s, false, t->table->spec.entities[e], &problems);
  if (problems.message[0]) {
    feast_snapshot_unref(*snap);
    *snap = NULL;
    return feast_fail(err, FEAST_E_NOT_FOUND, "%s", problems.message);
  }
  *out = t;
  return FEAST_OK;
}

feast_code feast_store_open_table_source(feast_store *s, const char *table, const feast_ingest_options *opts,
                                         feast_batch_source **out, feast_error *err) {
  feast_snapshot *snap;
  const feast_snapshot_table *t;
  feast_code rc = feast_store_table(s, table, &snap, &t, err);
  if (rc) return rc;
  rc = open_table_source(&t->table->spec, opts, out, err);
  feast_snapshot_unref(snap);
  return rc;
}

feast_code feast_store_ingest(feast_store *s, const char *table, feast_batch_source *rows,
                              const feast_ingest_options *opts, feast_ingest_summary *summary, feast_error *err) {
  feast_snapshot *snap;
  const feast_snapshot_table *t;
  feast_code rc = feast_store_table(s, table, &snap, &t, err);
  if (rc) return rc;
  const feast_feature_table_spec *spec = &t->table->spec;
  feast_entity_spec *ents = feast_calloc(spec->n_entities + 1, sizeof *ents);
  feast_online_store *store;
  feast_batch_source *own = NULL;
  if (!ents) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t e = 0; !rc && e < spec->n_entities; e++) ents[e] = *t->entities[e]; /* borrowed from the snapshot */
  if (!rc) rc = feast_store_online(s, &store, err);
  if (!rc && !rows) rc = open_table_source(spec, opts, &own, err);
  if (!rc) {
    feast_ingest_options o;
    if (opts) o = *opts;
    else memset(&o, 0, sizeof o);
    o.project = s->project;
    if (own && o.expected_rows <= 0) o.expected_rows = feast_source_num_rows(own);
    rc = feast_ingest(store, spec, ents, spec->n_entities, rows ? rows : own, &o, summary, err);
  }
  if (own) own->close(own);
  feast_free(ents);
  feast_snapshot_unref(snap);
  return rc;
}
