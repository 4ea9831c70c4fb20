/*
 * backend.h - the online backend interface (a table of functions, like
 * curl's vtls): the engines (ingest, online read) speak only this, and each
 * backend (lmdb.c, redis_store.c) fills it in.
 *
 * A key is a serialized RedisKeyV2 (it carries the project and the sorted
 * entity names and values); every backend keeps one record per (key, table)
 * holding the event and created timestamps and one serialized
 * feast.types.Value per feature (empty = null).
 *
 * What a backend can do beyond that is declared in `caps`, never found by
 * comparing its kind. Every function may be called from many threads at
 * once on one handle: a backend keeps per-call state on the stack or in
 * the caller's arena, and shares only what it guards (a pool of read
 * transactions or connections).
 *
 * Besides rows, a backend stores source positions (Kinesis checkpoints):
 * small named values grouped by a scope, so that a stream's progress lives
 * beside the rows it produced.
 */
#ifndef FEAST_ONLINE_BACKEND_H
#define FEAST_ONLINE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "feast/online.h"

typedef struct feast_online_table {
  const char *name;
  size_t n_features;
  const char *const *features; /* names */
  bool has_max_age;
  feast_duration max_age;
} feast_online_table;

typedef struct feast_online_row {
  const uint8_t *key;
  size_t key_len;
  feast_ts event_ts;
  feast_ts created_ts;
  const uint8_t *const *values; /* one per table feature */
  const size_t *value_lens;
} feast_online_row;

typedef struct feast_online_record {
  bool found; /* the key holds a row of this table */
  feast_ts event_ts;
  feast_ts created_ts;
  /* per requested feature; has[i] false = the record has no such field */
  bool *has;
  const uint8_t **values;
  size_t *value_lens;
} feast_online_record;

/* One stored position, e.g. a shard id and its last sequence number. */
typedef struct feast_online_position {
  const char *name;
  const char *value;
} feast_online_position;

typedef struct feast_online_positions {
  const char *scope; /* e.g. "kinesis/<project>/<table>/<stream>"; no NUL inside */
  size_t n;
  const feast_online_position *items;
} feast_online_positions;

/* Called per stored position; the strings are valid during the call. */
typedef feast_code (*feast_online_position_fn)(void *ctx, const char *name, const char *value, feast_error *err);

enum {
  /* One large write costs less than several small ones (the rows are
   * sorted and put in one transaction): the engine does not split its
   * write-outs into chunks. */
  FEAST_ONLINE_CAP_BULK_ORDERED = 1u << 0,
  /* write() takes positions and stores them in the same transaction as the
   * rows: a crash keeps both or neither (exactly-once stream ingestion). */
  FEAST_ONLINE_CAP_ATOMIC_POSITIONS = 1u << 1
};

typedef struct feast_online_backend {
  const char *kind;
  unsigned caps;
  /* Write each row unless the stored (event_ts, created_ts) of the same
   * key and table is the same or newer. written[i] = 1 when row i was
   * written. Atomic per key; LMDB: all rows in one transaction. `pos` is
   * NULL unless the backend has FEAST_ONLINE_CAP_ATOMIC_POSITIONS. */
  feast_code (*write)(feast_online_store *s, const feast_online_table *t, const feast_online_row *rows, size_t n,
                      uint8_t *written, const feast_online_positions *pos, feast_error *err);
  /* Read t->features of every key; memory in `arena` (valid until it is
   * reset). */
  feast_code (*read)(feast_online_store *s, const feast_online_table *t, const uint8_t *const *keys,
                     const size_t *key_lens, size_t n, feast_arena *arena, feast_online_record *out, feast_error *err);
  /* Store positions (replacing those of the same scope and name), durably. */
  feast_code (*put_positions)(feast_online_store *s, const feast_online_positions *pos, feast_error *err);
  /* Every stored position of `scope`, in no particular order. */
  feast_code (*get_positions)(feast_online_store *s, const char *scope, feast_online_position_fn fn, void *ctx,
                              feast_error *err);
  void (*close)(feast_online_store *s);
} feast_online_backend;

struct feast_online_store {
  const feast_online_backend *ops;
  feast_online_options opts;
  feast_online_stats stats; /* updated with atomic adds (feast_online_count) */
  size_t max_key;           /* longest key the backend stores (LMDB's 511 bytes); 0 = no limit */
};

/* Count one recovery in a store's stats, from any thread. */
static inline void feast_online_count(int64_t *counter) { __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }

/* Backend constructors (`target` is the URI without its scheme). */
feast_code feast_lmdb_open(const char *path, const feast_online_options *opts, feast_online_store **out,
                           feast_error *err);
feast_code feast_redis_open(const char *target, bool cluster, const feast_online_options *opts,
                            feast_online_store **out, feast_error *err);

/* Is (e1, c1) strictly newer than (e2, c2)? The one ordering every backend and
 * the in-batch dedup use. */
static inline bool feast_row_newer(feast_ts e1, feast_ts c1, feast_ts e2, feast_ts c2) {
  return e1 > e2 || (e1 == e2 && c1 > c2);
}

#endif
