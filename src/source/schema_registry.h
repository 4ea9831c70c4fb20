/*
 * schema_registry.h - a small client of a Confluent-compatible schema
 * registry: `GET {url}/schemas/ids/{id}` over libcurl, answering
 * {"schema": "<schema JSON>"} (and "schemaType", which must be AVRO when
 * present). Each id is fetched once and cached for the client's life
 * (schema ids are immutable in a registry). The connection is kept
 * alive between fetches. Credentials, when needed, go in the URL
 * (https://user:password@host/), as curl takes them.
 *
 * Errors name the id and the URL. An id the registry does not know (HTTP
 * 404) is FEAST_E_NOT_FOUND and not retriable; a response that is not the
 * JSON above is FEAST_E_CORRUPT, not retriable; everything else (cannot
 * connect, time-outs, 5xx, 429, and also 401/403, which need an operator
 * rather than a dead letter) is retriable, so a stream stops and retries
 * instead of dead-lettering good messages.
 *
 * Not thread-safe: one client per thread (or a lock around it).
 */
#ifndef FEAST_SOURCE_SCHEMA_REGISTRY_H
#define FEAST_SOURCE_SCHEMA_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "feast/error.h"

typedef struct feast_schema_registry_options {
  long timeout_ms;         /* a whole request; 0 = 10000 */
  size_t max_schema_bytes; /* a response body; 0 = 8 MiB */
} feast_schema_registry_options;

typedef struct feast_schema_registry feast_schema_registry;

/* url: "http://127.0.0.1:8081" (a trailing slash is fine). opts may be
 * NULL. The caller owns *out (feast_schema_registry_free). */
feast_code feast_schema_registry_new(const char *url, const feast_schema_registry_options *opts,
                                     feast_schema_registry **out, feast_error *err);
void feast_schema_registry_free(feast_schema_registry *r); /* accepts NULL */

/* The schema registered under id. *json (NUL-terminated, *len bytes) is
 * owned by the client and valid until feast_schema_registry_free. */
feast_code feast_schema_registry_get(feast_schema_registry *r, uint32_t id, const char **json, size_t *len,
                                     feast_error *err);

/* feast_schema_registry_get with the client as a void pointer: the
 * feast_avro_schema_lookup of avro_confluent.h. */
feast_code feast_schema_registry_lookup(void *registry, uint32_t id, const char **json, size_t *len, feast_error *err);

/* Requests made so far (tests check the cache with it). */
long feast_schema_registry_requests(const feast_schema_registry *r);

#endif
