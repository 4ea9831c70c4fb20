/*
 * pit.h - the point-in-time join core, shared by the in-memory path and the
 * spilled (partitioned) path of historical retrieval.
 *
 * A pit_index is built from a set of entity batches: their keys are mapped
 * to dense key ids through a hash dictionary (pit_key.c), so the rest works
 * on small integers and exact key equality. Feature batches are then added
 * one by one: rows whose key is not among the entity keys, whose key is
 * null, or whose event time is outside [lo, hi] are dropped on the spot.
 * pit_index_probe sorts the kept rows by (key id, event ts, created ts,
 * source position) with a counting sort plus small per-key sorts, and
 * answers each entity row by binary search in its key's run. An index
 * can be carried to the next table with the same entity side
 * (pit_index_rebind).
 */
#ifndef FEAST_ENGINE_PIT_H
#define FEAST_ENGINE_PIT_H

#include <stdbool.h>
#include <stdint.h>

#include "feast/array.h"
#include "feast/error.h"

typedef struct pit_cfg {
  int n_keys;
  const char *const *entity_keys; /* column names in the entity batches */
  const char *entity_ts;
  const char *const *source_keys; /* column names in the feature batches */
  const char *event_ts;
  const char *created_ts; /* NULL: no created column */
  bool has_max_age;
  int64_t max_age; /* in the compare unit */
  bool ns;         /* compare raw nanoseconds (both timestamps are ns); else microseconds */
  int64_t lo, hi;  /* feature rows with event ts outside [lo, hi] cannot win and are dropped */
  int threads;
} pit_cfg;

/* A list of batches (owned by whoever fills it). */
typedef struct pit_batches {
  feast_batch **b;
  int64_t n, cap;
  int64_t rows;
} pit_batches;

feast_code pit_batches_push(pit_batches *l, feast_batch *b, feast_error *err); /* takes b even on failure */
void pit_batches_clear(pit_batches *l); /* frees the batches */

/* A reference to a feature row: batch number << 32 | row. */
#define PIT_REF(batch, row) (((int64_t)(batch) << 32) | (int64_t)(row))
#define PIT_REF_BATCH(ref) ((int64_t)((uint64_t)(ref) >> 32))
#define PIT_REF_ROW(ref) ((int64_t)((ref) & 0xffffffff))

/* Timestamp of row i in the compare unit. */
static inline int64_t pit_ts(const feast_array *a, int64_t i, bool ns) {
  return ns ? ((const int64_t *)a->values)[i] : feast_array_get_ts_us(a, i);
}

/* ---- keys (pit_key.c) ---- */

typedef struct pit_dict pit_dict;

/* Key columns of one batch, resolved. */
typedef struct pit_keycols {
  int n;
  const feast_array *col[8];
} pit_keycols;
#define PIT_MAX_KEYS 8

/* True when keys are one integer column (the fast path). */
bool pit_key_is_int(const pit_keycols *k);
/* The hash of row i's key, and whether it has a null component. Used for
 * spill partitioning; equal keys hash equally whatever their column widths. */
uint64_t pit_key_hash(const pit_keycols *k, int64_t i, bool *null, uint8_t *scratch, size_t scratch_cap);

pit_dict *pit_dict_new(int64_t expected, bool int_mode);
void pit_dict_free(pit_dict *d);
int64_t pit_dict_size(const pit_dict *d);
size_t pit_dict_bytes(const pit_dict *d);
/* The id of row i's key, inserting it when `insert`; -1 for a null key or
 * (without insert) an unknown one; -2 on out-of-memory. */
int32_t pit_dict_id(pit_dict *d, const pit_keycols *k, int64_t i, bool insert);
/* Int mode: prefetch the slot row i's key hashes to (a hint; nothing in
 * bytes mode, whose keys must be normalised first). */
void pit_dict_prefetch(const pit_dict *d, const pit_keycols *k, int64_t i);
/* True for the one-integer-column dictionary. */
bool pit_dict_is_int(const pit_dict *d);
/* Int mode, lookup only: ids[i] = id of keys[i] or -1; batched with
 * prefetching, the fast path of pit_index_add. */
void pit_dict_find_int64(const pit_dict *d, const int64_t *keys, int64_t n, int32_t *ids);
/* Int mode: store aux[id] and the event-time window [lo[id], hi[id]] beside
 * every key, and look aux up with the same one-miss batched probe:
 * UINT32_MAX for an unknown key or a time ts[i] outside its key's window.
 * The streaming join keeps a key's (first entity position, entity count)
 * there, and the window its entity rows can use, so most feature rows are
 * dropped without touching the entity rows. */
void pit_dict_set_aux(pit_dict *d, const uint32_t *aux, const int64_t *lo, const int64_t *hi);
void pit_dict_find_int64_aux(const pit_dict *d, const int64_t *keys, const int64_t *ts, int64_t n, uint32_t *aux);

/* ---- the index (pit.c) ---- */

typedef struct pit_index pit_index;

/* Build from entity batches (borrowed for the call). lo/hi bound the event
 * times worth keeping (compare unit). */
feast_code pit_index_new(const pit_cfg *cfg, const pit_batches *ent, pit_index **out, feast_error *err);
/* Reuse x, probed for one table, for the next: possible when cfg has the
 * same entity side (key columns, entity timestamp column and unit), which
 * keeps the key dictionary and entity order and resets the candidates. False
 * (x unchanged) when the entity side differs. */
bool pit_index_rebind(pit_index *x, const pit_cfg *cfg);
/* Add the rows of feature batch `b`, which will be batch number `batch_no`
 * in the list given to the gather. *kept = rows kept. */
feast_code pit_index_add(pit_index *x, const feast_batch *b, int64_t batch_no, int64_t *kept, feast_error *err);
/* win[r] = the winning feature row for entity row r (in entity-batch
 * order), or -1. *matched counts rows with a winner. */
feast_code pit_index_probe(pit_index *x, int64_t *win, int64_t *matched, feast_error *err);
size_t pit_index_bytes(const pit_index *x);
/* An upper bound of the bytes an index over n_ent entity rows takes while
 * it is built (checked before building it, so a memory limit holds). */
size_t pit_index_estimate(int64_t n_ent);
void pit_index_free(pit_index *x);

/* Resolve the key columns called names[] in b. */
feast_code pit_keycols_of(const feast_batch *b, int n, const char *const *names, pit_keycols *k, feast_error *err);

/* ---- gather (pit_gather.c) ---- */

/* Append n rows to dst: row r is column `col` of feature row win[r] in
 * `feat`, or null when win[r] < 0. Values are converted to dst's type
 * (int32 -> int64, float -> double, any timestamp unit -> dst's unit). */
feast_code pit_gather(feast_array *dst, const pit_batches *feat, const char *col, const int64_t *win, int64_t n,
                      feast_error *err);
/* Append src row i to dst converting as above. */
feast_code pit_append_converted(feast_array *dst, const feast_array *src, int64_t i, feast_error *err);

/* Bytes held by a batch's buffers (for memory accounting). */
size_t pit_batch_bytes(const feast_batch *b);

/* Run fn(ctx, lo, hi) over [0, n) split into `threads` ranges. */
feast_code pit_parallel(int threads, int64_t n, void (*fn)(void *ctx, int64_t lo, int64_t hi), void *ctx,
                        feast_error *err);

#endif
