/*
 * bq_client.c - the process's BigQuery client (bq_client.h): settings
 * from the configuration and the environment, resolved once into an
 * immutable, reference-counted client that carries the credentials' token
 * cache and the gRPC channel.
 */
#include "cloud/gcp/bq_client.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

#define GOOGLE_REST "https://bigquery.googleapis.com"
#define GOOGLE_STORAGE "bigquerystorage.googleapis.com:443"

struct feast_bq {
  atomic_int refs;
  char *rest_root, *storage_target;
  bool storage_plaintext, emulator;
  char *project, *location, *staging, *pushdown;
  int read_streams;
  int read_format;
  char *credentials_file;
  bool auth; /* calls carry a token */
  pthread_mutex_t mu; /* guards creds' first creation and the attachment */
  bool creds_tried;
  feast_gcp_creds *creds;
  feast_error creds_err;
  void *attachment;
  void (*attachment_free)(void *);
};

static pthread_mutex_t settings_mu = PTHREAD_MUTEX_INITIALIZER;
static feast_bigquery_config settings;
static feast_bq *current; /* built from `settings` on first acquire; the process holds one reference */

static void cfg_clear(feast_bigquery_config *b) {
  char **f[] = {&b->project, &b->location, &b->endpoint, &b->storage_endpoint, &b->credentials, &b->staging_dataset,
                &b->pushdown, &b->read_format};
  for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
    feast_free(*f[i]);
    *f[i] = NULL;
  }
  b->read_streams = 0;
}

static void client_free(feast_bq *c) {
  if (!c) return;
  if (c->attachment && c->attachment_free) c->attachment_free(c->attachment);
  feast_gcp_creds_free(c->creds);
  char *f[] = {c->rest_root, c->storage_target, c->project, c->location, c->staging, c->pushdown, c->credentials_file};
  for (size_t i = 0; i < sizeof f / sizeof *f; i++) feast_free(f[i]);
  pthread_mutex_destroy(&c->mu);
  feast_free(c);
}

void feast_bq_release(feast_bq *c) {
  if (c && atomic_fetch_sub(&c->refs, 1) == 1) client_free(c);
}

feast_bq *feast_bq_retain(feast_bq *c) {
  atomic_fetch_add(&c->refs, 1);
  return c;
}

feast_code feast_bq_settings_set(const feast_bigquery_config *cfg, feast_error *err) {
  feast_bigquery_config copy;
  memset(&copy, 0, sizeof copy);
  if (cfg) {
    const char *src[] = {cfg->project, cfg->location, cfg->endpoint, cfg->storage_endpoint, cfg->credentials,
                         cfg->staging_dataset, cfg->pushdown, cfg->read_format};
    char **dst[] = {&copy.project, &copy.location, &copy.endpoint, &copy.storage_endpoint, &copy.credentials,
                    &copy.staging_dataset, &copy.pushdown, &copy.read_format};
    for (size_t i = 0; i < sizeof src / sizeof *src; i++)
      if (src[i] && !(*dst[i] = feast_strdup(src[i]))) {
        cfg_clear(&copy);
        return feast_fail(err, FEAST_E_NOMEM, "out of memory");
      }
    copy.read_streams = cfg->read_streams;
  }
  pthread_mutex_lock(&settings_mu);
  cfg_clear(&settings);
  settings = copy;
  feast_bq *old = current;
  current = NULL;
  pthread_mutex_unlock(&settings_mu);
  feast_bq_release(old);
  return FEAST_OK;
}

/* "host:port" or a URL -> a URL root without a trailing slash. */
static char *rest_root_of(const char *e) {
  bool url = strstr(e, "://") != NULL;
  size_t n = strlen(e) + 8;
  char *out = feast_malloc(n);
  if (!out) return NULL;
  snprintf(out, n, "%s%s", url ? "" : "http://", e);
  size_t len = strlen(out);
  while (len > 0 && out[len - 1] == '/') out[--len] = 0;
  /* A root given with the API path ("http://h:p/bigquery/v2") loses it: we add it. */
  char *api = strstr(out, "/bigquery/v2");
  if (api && api[12] == 0) *api = 0;
  return out;
}

static char *dup_or(const char *a, const char *b) { return feast_strdup(a && *a ? a : b); }

static feast_code build(feast_bq **out, feast_error *err) {
  feast_bq *c = feast_calloc(1, sizeof *c);
  if (!c) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (pthread_mutex_init(&c->mu, NULL) != 0) {
    feast_free(c);
    return feast_fail(err, FEAST_E_NOMEM, "cannot create a mutex");
  }
  atomic_init(&c->refs, 1);
  const char *rest = settings.endpoint, *storage = settings.storage_endpoint;
  if (!rest || !*rest) rest = getenv("BIGQUERY_EMULATOR_HOST");
  if (!storage || !*storage) storage = getenv("BIGQUERY_STORAGE_EMULATOR_HOST");
  bool rest_override = rest && *rest, storage_override = storage && *storage;
  c->emulator = rest_override || storage_override;
  c->rest_root = rest_override ? rest_root_of(rest) : feast_strdup(GOOGLE_REST);
  if (storage_override) {
    const char *s = strstr(storage, "://");
    c->storage_target = feast_strdup(s ? s + 3 : storage);
    c->storage_plaintext = !(s && strncmp(storage, "https", 5) == 0);
  } else {
    c->storage_target = feast_strdup(GOOGLE_STORAGE);
  }
  c->project = settings.project ? feast_strdup(settings.project) : NULL;
  c->location = settings.location ? feast_strdup(settings.location) : NULL;
  c->staging = dup_or(settings.staging_dataset, "feast_staging");
  c->pushdown = dup_or(settings.pushdown, "auto");
  c->credentials_file = settings.credentials ? feast_strdup(settings.credentials) : NULL;
  c->read_streams = settings.read_streams > 0 ? (int)settings.read_streams : 4;
  const char *fmt = settings.read_format ? settings.read_format : getenv("FEAST_BQ_READ_FORMAT");
  c->read_format = fmt && strcmp(fmt, "avro") == 0 ? 1 : 2;
  c->auth = !c->emulator || c->credentials_file;
  if (!c->rest_root || !c->storage_target || !c->staging || !c->pushdown ||
      (settings.project && !c->project) || (settings.location && !c->location) ||
      (settings.credentials && !c->credentials_file)) {
    client_free(c);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  *out = c;
  return FEAST_OK;
}

feast_code feast_bq_acquire(feast_bq **out, feast_error *err) {
  pthread_mutex_lock(&settings_mu);
  feast_code rc = current ? FEAST_OK : build(&current, err);
  if (!rc) {
    atomic_fetch_add(&current->refs, 1);
    *out = current;
  }
  pthread_mutex_unlock(&settings_mu);
  return rc;
}

const char *feast_bq_rest_root(const feast_bq *c) { return c->rest_root; }
const char *feast_bq_storage_target(const feast_bq *c) { return c->storage_target; }
bool feast_bq_storage_plaintext(const feast_bq *c) { return c->storage_plaintext; }
bool feast_bq_is_emulator(const feast_bq *c) { return c->emulator; }
const char *feast_bq_location(const feast_bq *c) { return c->location; }
const char *feast_bq_staging_dataset(const feast_bq *c) { return c->staging; }
const char *feast_bq_pushdown(const feast_bq *c) { return c->pushdown; }
int feast_bq_read_streams(const feast_bq *c) { return c->read_streams; }
int feast_bq_read_format(const feast_bq *c) { return c->read_format; }

/* The credentials, found on first use (a missing file is reported on the
 * call that needs a token, every time, not at open). */
static feast_code creds_of(feast_bq *c, feast_gcp_creds **out, feast_error *err) {
  pthread_mutex_lock(&c->mu);
  if (!c->creds_tried) {
    c->creds_tried = true;
    if (feast_gcp_creds_find(c->credentials_file, &c->creds, &c->creds_err)) c->creds = NULL;
  }
  feast_code rc = FEAST_OK;
  if (!c->creds) {
    *err = c->creds_err;
    rc = err->code;
  }
  *out = c->creds;
  pthread_mutex_unlock(&c->mu);
  return rc;
}

const char *feast_bq_job_project(const feast_bq *c, const char *fallback) {
  if (c->project) return c->project;
  feast_bq *m = (feast_bq *)c;
  feast_gcp_creds *cr;
  feast_error e;
  if (c->auth && creds_of(m, &cr, &e) == FEAST_OK && feast_gcp_creds_project(cr)) return feast_gcp_creds_project(cr);
  return fallback;
}

feast_code feast_bq_auth_header(feast_bq *c, char *out, size_t cap, feast_error *err) {
  if (cap) out[0] = 0;
  if (!c->auth) return FEAST_OK;
  feast_gcp_creds *cr;
  feast_code rc = creds_of(c, &cr, err);
  return rc ? rc : feast_gcp_creds_header(cr, out, cap, err);
}

void feast_bq_auth_invalidate(feast_bq *c) {
  feast_gcp_creds *cr;
  feast_error e;
  if (c->auth && creds_of(c, &cr, &e) == FEAST_OK) feast_gcp_creds_invalidate(cr);
}

feast_code feast_bq_attachment(feast_bq *c, feast_code (*make)(feast_bq *c, void **out, feast_error *err),
                               void (*destroy)(void *), void **out, feast_error *err) {
  pthread_mutex_lock(&c->mu);
  feast_code rc = FEAST_OK;
  if (!c->attachment) {
    rc = make(c, &c->attachment, err);
    if (!rc) c->attachment_free = destroy;
  }
  *out = c->attachment;
  pthread_mutex_unlock(&c->mu);
  return rc;
}
