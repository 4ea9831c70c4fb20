/*
 * store_stream.c - stream ingestion through the feature store: the table's
 * stream source opened through its connector with the configuration's
 * settings, the dead-letter sink the configuration (or the caller) names,
 * and feast_stream_ingest run until it is done; a spec change reopens the
 * subscription with the new spec at a commit boundary.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "engine/dead_letter.h"
#include "engine/store_internal.h"
#include "feast/source.h"

#define SPEC_CHECK_MS 1000 /* how often a running consumer looks for a new spec */

typedef struct run {
  feast_store *s;
  const char *table;
  const feast_stream_run_options *o;
  feast_stream_source *src;
  int64_t revision; /* the table's spec revision this subscription decodes with */
  int64_t checked_ms;
  int changed; /* 1 = a newer spec, 2 = the table is gone */
  int64_t new_revision;
  feast_dead_letters *dl;
  feast_stream_lag lag[256];
} run;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool should_stop(void *ctx) {
  run *r = ctx;
  if (r->o->should_stop && r->o->should_stop(r->o->stop_ctx)) return true;
  int64_t now = now_ms();
  if (now - r->checked_ms < SPEC_CHECK_MS) return false;
  r->checked_ms = now;
  feast_snapshot *snap;
  feast_error err;
  if (feast_store_snapshot(r->s, true, &snap, &err)) return false; /* the registry is away: keep consuming */
  const feast_snapshot_table *t = feast_snapshot_table_get(snap, r->table, strlen(r->table));
  if (!t) r->changed = 2;
  else if (t->table->meta.revision != r->revision) r->changed = 1, r->new_revision = t->table->meta.revision;
  feast_snapshot_unref(snap);
  return r->changed != 0;
}

static void progress(void *ctx, const feast_stream_counters *c) {
  run *r = ctx;
  if (!r->o->progress) return;
  size_t n = 0;
  feast_error err;
  if (r->src->lag(r->src, r->lag, sizeof r->lag / sizeof *r->lag, &n, &err)) n = 0;
  if (n > sizeof r->lag / sizeof *r->lag) n = sizeof r->lag / sizeof *r->lag;
  r->o->progress(r->o->progress_ctx, r->table, c, r->lag, n);
}

static void dead_letter(void *ctx, const feast_stream_origin *o, const char *cause, const char *reason) {
  run *r = ctx;
  r->dl->add(r->dl, o, cause, reason);
}

static feast_code dead_letter_flush(void *ctx, feast_error *err) {
  run *r = ctx;
  return r->dl->flush(r->dl, err);
}

/* The sink the options or the configuration name; none when neither does. */
static feast_code open_dead_letters(feast_store *s, const char *table, const feast_stream_run_options *o,
                                    feast_dead_letters **out, feast_error *err) {
  *out = NULL;
  const feast_backend_config *c = &s->cfg.streams.dead_letter;
  const char *folder = o->dead_letter_path;
  if (!folder && c->type && strcmp(c->type, "parquet") == 0) folder = feast_map_get(&c->settings, "path");
  if (folder) return feast_dead_letters_parquet(folder, table, out, err);
  if (c->type && strcmp(c->type, "kafka") == 0) {
    /* bootstrap_servers default to those of the table's own source */
    feast_snapshot *snap = NULL;
    const feast_snapshot_table *t;
    feast_code rc = feast_store_table(s, table, &snap, &t, err);
    if (rc) return rc;
    const feast_data_source *src = &t->table->spec.stream_source;
    const char *servers = feast_map_get(&c->settings, "bootstrap_servers");
    if (!servers) servers = src->kafka.bootstrap_servers;
    rc = feast_dead_letters_kafka(servers, feast_map_get(&c->settings, "topic"), &s->cfg.streams.kafka, table,
                                  src->kafka.topic, out, err);
    feast_snapshot_unref(snap);
    return rc;
  }
  if (c->type)
    return feast_fail(err, FEAST_E_UNSUPPORTED, "streams.dead_letter of type %s is not available in this build",
                      c->type);
  return FEAST_OK;
}

feast_code feast_store_stream_ingest(feast_store *s, const char *table, const feast_stream_run_options *opts,
                                     feast_stream_counters *live, feast_error *err) {
  feast_stream_run_options none = {0};
  run r = {.s = s, .table = table, .o = opts ? opts : &none};
  feast_code rc = open_dead_letters(s, table, r.o, &r.dl, err);
  feast_online_store *store = NULL;
  if (!rc) rc = feast_store_online(s, &store, err);
  feast_stream_counters total = {0};
  while (!rc) {
    feast_snapshot *snap = NULL;
    const feast_snapshot_table *t;
    if ((rc = feast_store_table(s, table, &snap, &t, err))) break;
    const feast_feature_table_spec *spec = &t->table->spec;
    if (!spec->has_stream_source) {
      rc = feast_fail(err, FEAST_E_INVALID, "feature table %s has no stream source", table);
      feast_snapshot_unref(snap);
      break;
    }
    r.revision = t->table->meta.revision;
    r.changed = 0;
    r.checked_ms = now_ms();
    feast_entity_spec *ents = feast_calloc(spec->n_entities + 1, sizeof *ents);
    if (!ents) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    for (size_t e = 0; !rc && e < spec->n_entities; e++) ents[e] = *t->entities[e]; /* borrowed from the snapshot */
    feast_stream_options so = {.table = spec,
                               .entity_types = t->entity_types,
                               .project = s->project,
                               .group_id = r.o->group_id,
                               .start = r.o->start_from ? r.o->start_from : s->cfg.streams.start_from,
                               .settings = &s->cfg.streams.kafka,
                               .schema_registry_url = s->cfg.streams.schema_registry_url,
                               .kinesis_settings = &s->cfg.streams.kinesis,
                               .aws = s->cfg.has_aws ? &s->cfg.aws : NULL,
                               .online = store};
    if (!rc) rc = feast_stream_open(&spec->stream_source, &so, &r.src, err);
    if (!rc) {
      feast_stream_ingest_options io = {0};
      io.project = s->project;
      io.max_batch_rows = r.o->max_batch_rows ? r.o->max_batch_rows : s->cfg.streams.max_batch_rows;
      io.max_batch_delay_ms = r.o->max_batch_delay_ms ? r.o->max_batch_delay_ms : (int)s->cfg.streams.max_batch_delay_ms;
      io.until_caught_up = r.o->until_caught_up;
      io.should_stop = should_stop;
      io.stop_ctx = &r;
      if (r.dl) {
        io.dead_letter = dead_letter;
        io.dead_letter_flush = dead_letter_flush;
        io.dead_letter_ctx = &r;
      }
      io.progress = progress;
      io.progress_ctx = &r;
      io.base = &total; /* live counts on across reopened subscriptions */
      /* published with the earlier subscriptions' counts added: the total */
      feast_stream_counters cur = total;
      feast_stream_counters *target = live ? live : &cur;
      rc = feast_stream_ingest(store, spec, ents, spec->n_entities, r.src, &io, target, err);
      feast_stream_counters_load(target, &total);
      r.src->close(r.src);
      r.src = NULL;
    }
    feast_free(ents);
    feast_snapshot_unref(snap);
    if (rc || !r.changed) break;
    if (r.changed == 2) {
      rc = feast_fail(err, FEAST_E_NOT_FOUND, "feature table %s was deleted while its stream was consumed", table);
      break;
    }
    if (r.o->notice) {
      char msg[256];
      snprintf(msg, sizeof msg, "the spec changed (revision %lld -> %lld): reopening the stream with it",
               (long long)r.revision, (long long)r.new_revision);
      r.o->notice(r.o->progress_ctx, table, msg);
    }
  }
  if (r.dl && r.o->dead_letters)
    for (size_t i = 0; i < r.dl->causes.n; i++)
      r.o->dead_letters(r.o->progress_ctx, table, r.dl->causes.items[i].cause, r.dl->causes.items[i].written);
  if (r.dl) r.dl->close(r.dl);
  return rc;
}
