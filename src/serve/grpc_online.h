/*
 * grpc_online.h - the pieces of GetOnlineFeaturesV2 (grpc_serving.c) that
 * the codec benchmark (bench/serve/codec) drives directly: the resolved
 * references, the per-row values, and our wire encoder of the response.
 */
#ifndef FEAST_SERVE_GRPC_ONLINE_H
#define FEAST_SERVE_GRPC_ONLINE_H

#include "engine/snapshot.h"
#include "feast/serving/ServingService.pb-c.h"
#include "serve/grpc.h"

/* One requested reference, resolved. */
typedef struct grpc_online_ref {
  const char *table, *feature; /* from the request */
  const feast_snapshot_table *st;
  int feature_index;           /* in st->table->spec.features; -1 unknown */
  char *key;                   /* "table:feature" */
  size_t key_len;
} grpc_online_ref;

/* Per entity row: the values of every field, resolved per reference. */
typedef struct grpc_online_row {
  const uint8_t **vals; /* per ref: serialized Value (NULL/len 0 = empty) */
  size_t *lens;
  uint8_t *status;      /* per ref: feast_field_status */
  uint8_t **ent_vals;   /* per entity field of the row (sorted by name): the request's Value, serialized */
  size_t *ent_lens;
} grpc_online_row;

/* Append the serialized GetOnlineFeaturesResponse to call->out: per row,
 * the entity fields then the references (fields = 1), then their statuses
 * (statuses = 2). Sets RESOURCE_EXHAUSTED when out cannot grow. */
void grpc_online_encode(grpc_call *call, const Feast__Serving__GetOnlineFeaturesRequestV2 *req,
                        const grpc_online_ref *refs, size_t n_refs, const grpc_online_row *rows);

#endif
