/*
 * store_internal.h - the feature-store handle's insides, shared by the
 * files that implement its operations (store.c: retrieval, online reads,
 * batch ingestion; store_stream.c: stream ingestion).
 */
#ifndef FEAST_ENGINE_STORE_INTERNAL_H
#define FEAST_ENGINE_STORE_INTERNAL_H

#include <pthread.h>

#include "engine/snapshot.h"
#include "feast/store.h"

typedef struct request_tables request_tables;

struct feast_store {
  feast_config cfg;
  char *project;
  pthread_mutex_t mu; /* guards reg, snap, checked_ms, online's first open */
  feast_registry *reg;
  feast_snapshot *snap;
  int64_t checked_ms; /* when the registry's revision was last read */
  int refresh_ms;
  feast_online_store *online;
  feast_store *online_owner; /* set by feast_store_share_online: its online store is used, not freed */
  request_tables *column_types; /* the specs whose names entity_column_types lends out */
};

/* A reference to the current registry snapshot (read now when `force`, else
 * at most every refresh_ms). The caller owns *out: release it with
 * feast_snapshot_unref. */
feast_code feast_store_snapshot(feast_store *s, bool force, feast_snapshot **out, feast_error *err);

/* Table `table` and its entities from the current snapshot, which *snap
 * keeps alive (the caller owns *snap: release it with
 * feast_snapshot_unref). FEAST_E_NOT_FOUND with the registry's message
 * when the table or one of its entities does not exist. */
feast_code feast_store_table(feast_store *s, const char *table, feast_snapshot **snap, const feast_snapshot_table **out,
                            feast_error *err);

#endif
