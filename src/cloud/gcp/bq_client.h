/*
 * bq_client.h - the BigQuery client of the process: where the REST API and
 * the Storage Read API are, which project jobs run in, and the credentials
 * that sign the calls.
 *
 * The connectors of a process share one client, built from the settings
 * last given to feast_bq_settings_set (feast_store_open and
 * feast_bigquery_configure pass feature_store.yaml's bigquery: section) and
 * from the environment:
 *   BIGQUERY_EMULATOR_HOST          host:port of the REST API (no auth)
 *   BIGQUERY_STORAGE_EMULATOR_HOST  host:port of the Storage Read API (plaintext gRPC, no auth)
 * The configuration wins over the environment. With an endpoint override
 * and no explicit credentials file, calls carry no Authorization (emulators
 * have none); otherwise credentials come from gcp_creds.h's chain.
 *
 * Thread-safe: a client is immutable once built (its token cache and gRPC
 * channel are thread-safe); feast_bq_acquire hands out references.
 */
#ifndef FEAST_CLOUD_GCP_BQ_CLIENT_H
#define FEAST_CLOUD_GCP_BQ_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "cloud/gcp/gcp_creds.h"
#include "feast/config.h"
#include "feast/error.h"

typedef struct feast_bq feast_bq;

/* Replace the process's settings (copied; NULL = none). Clients acquired
 * before keep theirs; the next acquire builds a new one. */
feast_code feast_bq_settings_set(const feast_bigquery_config *cfg, feast_error *err);

/* A reference to the process's client. The caller owns the reference:
 * release it with feast_bq_release. */
feast_code feast_bq_acquire(feast_bq **out, feast_error *err);
void feast_bq_release(feast_bq *c); /* accepts NULL */
/* Another reference to c (released with feast_bq_release); returns c. */
feast_bq *feast_bq_retain(feast_bq *c);

/* Borrowed, valid while the reference is held. */
const char *feast_bq_rest_root(const feast_bq *c);   /* "https://bigquery.googleapis.com" or "http://host:port" */
const char *feast_bq_storage_target(const feast_bq *c); /* "bigquerystorage.googleapis.com:443" or "host:port" */
bool feast_bq_storage_plaintext(const feast_bq *c);  /* an emulator: no TLS */
bool feast_bq_is_emulator(const feast_bq *c);        /* an endpoint override is in effect */
/* The project jobs run in: bigquery.project, else the credentials', else
 * `fallback` (a table's project). */
const char *feast_bq_job_project(const feast_bq *c, const char *fallback);
const char *feast_bq_location(const feast_bq *c);   /* NULL = let BigQuery choose */
const char *feast_bq_staging_dataset(const feast_bq *c);
const char *feast_bq_pushdown(const feast_bq *c);   /* "auto", "always", "never" */
int feast_bq_read_streams(const feast_bq *c);
int feast_bq_read_format(const feast_bq *c); /* FEAST_BQ_ARROW (2, default) or FEAST_BQ_AVRO (1) */

/* The Authorization header line into out (empty when calls carry none). */
feast_code feast_bq_auth_header(feast_bq *c, char *out, size_t cap, feast_error *err);
/* After a 401: drop the cached token. */
void feast_bq_auth_invalidate(feast_bq *c);

/* State kept with the client for its life (bq_storage.c's gRPC channel):
 * made by `make` on the first call, under the client's lock, and freed by
 * `destroy` with the client. Borrowed: valid while the reference is held. */
feast_code feast_bq_attachment(feast_bq *c, feast_code (*make)(feast_bq *c, void **out, feast_error *err),
                               void (*destroy)(void *), void **out, feast_error *err);

#endif
