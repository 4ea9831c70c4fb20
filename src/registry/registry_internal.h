/*
 * registry_internal.h - what the registry engine's files share: the handle,
 * the transaction runner with conflict retries, and spec (de)coding of
 * stored rows.
 */
#ifndef FEAST_REGISTRY_INTERNAL_H
#define FEAST_REGISTRY_INTERNAL_H

#include "feast/registry.h"
#include "registry_backend/backend.h"

struct feast_registry {
  feast_registry_backend *backend;
};

/* Runs fn inside a transaction and commits; on a retriable conflict the
 * transaction is rolled back and fn runs again (a few times, with backoff),
 * so fn must start from scratch on each call. */
typedef feast_code (*registry_tx_fn)(feast_registry *reg, void *ctx, feast_error *err);
feast_code feast_registry_run_tx(feast_registry *reg, bool write, registry_tx_fn fn, void *ctx, feast_error *err);

const char *feast_registry_project_or_default(const char *project);
/* The one message for an entity or feature table that is not there. */
feast_code feast_registry_fail_missing(feast_error *err, bool table, const char *name, const char *project);
feast_code feast_registry_check_project_name(const char *name, feast_error *err);

/* Read one stored object into a spec. *found=false when absent. */
feast_code feast_registry_load_entity(feast_registry *reg, const char *project, const char *name, feast_entity *out,
                                      bool *found, feast_error *err);
feast_code feast_registry_load_table(feast_registry *reg, const char *project, const char *name,
                                     feast_feature_table *out, bool *found, feast_error *err);

#endif
