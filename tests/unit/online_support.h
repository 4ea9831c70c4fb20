/*
 * online_support.h - fixtures shared by the online-store tests: a driver
 * table spec, batch builders, and the store-independent checks (the
 * property test) that run against LMDB, Redis and Redis Cluster alike.
 */
#ifndef FEAST_TEST_ONLINE_SUPPORT_H
#define FEAST_TEST_ONLINE_SUPPORT_H

#include <stdbool.h>

#include "feast/ingest.h"
#include "feast/online.h"

/* driver_trips: entity driver_id INT64; features rating FLOAT, trips INT64,
 * name STRING, tags STRING_LIST; source columns driver (mapped),
 * event_timestamp, created; max_age as given (0 = none). */
void ots_driver_table(feast_feature_table_spec *t, feast_entity_spec *e, const char *table_name, feast_duration max_age);
void ots_specs_clear(feast_feature_table_spec *t, feast_entity_spec *e);

/* A source batch with rows (driver, ev_us, created_us, trips); rating =
 * trips / 2, name = "n<trips>" or null when trips % 7 == 3, tags = [name]. */
typedef struct ots_row {
  int64_t driver;
  int64_t ev, cr;
  int64_t trips;
} ots_row;
feast_batch *ots_batch(const ots_row *rows, size_t n);

/* Run the property test against a store: random rows, random order and
 * random batch splits end in the latest-by-(event, created) state. */
void ots_property(feast_online_store *s, const char *project, unsigned seed, int rounds);

/* Read table features for drivers; returns the JSON of the result (caller frees). */
char *ots_read_json(feast_online_store *s, const char *project, const feast_feature_table_spec *t,
                    const feast_entity_spec *e, const char *const *entity_rows, size_t n, feast_ts at);

/* A basic scenario every backend must pass (ingest, read, statuses, dedup). */
void ots_basic(feast_online_store *s, const char *project, feast_ts base, bool expires);

/* Many keys per write, mixing older, newer, tied and new rows (see .c). */
void ots_mixed_calls(feast_online_store *s, const char *project, feast_ts base);

/* Positions: put, read back, replace, scopes kept apart. */
void ots_positions(feast_online_store *s, const char *scope_prefix);

/* The step-wise engine: rows fed are pending until a flush, durable after
 * it, and several feeds and flushes end as one long run would. */
void ots_stepwise(feast_online_store *s, const char *project, feast_ts base);

#define OTS_SEC INT64_C(1000000)

#endif
