/*
 * gcp_creds.c - Application Default Credentials and their token cache
 * (gcp_creds.h): reading credentials files, the JWT-bearer and
 * refresh-token exchanges, the metadata server, and when to refresh.
 */
#include "cloud/gcp/gcp_creds.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/file.h"
#include "cloud/gcp/gcp_http.h"
#include "cloud/gcp/gcp_jwt.h"
#include "format/json/json_reader.h"
#include "format/json/json_writer.h"

#define DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
#define SCOPES "https://www.googleapis.com/auth/bigquery https://www.googleapis.com/auth/cloud-platform"
#define MAX_TOKEN 4096

struct feast_gcp_creds {
  feast_gcp_creds_kind kind;
  char *name;        /* the file, or the metadata server's host */
  char *describe;
  char *project;
  char *token_uri;   /* service account, user */
  char *client_email, *private_key, *private_key_id; /* service account */
  char *client_id, *client_secret, *refresh_token;    /* user */
  char *metadata_host;                                /* metadata server */

  pthread_mutex_t mu; /* guards the token fields; held during a fetch */
  char token[MAX_TOKEN];
  feast_ts expires;   /* when the token stops working */
  feast_ts refresh_at;
  long fetches;
};

static void creds_free_fields(feast_gcp_creds *c) {
  char **fields[] = {&c->name,        &c->describe,      &c->project,   &c->token_uri,     &c->client_email,
                     &c->private_key, &c->private_key_id, &c->client_id, &c->client_secret, &c->refresh_token,
                     &c->metadata_host};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
    if (*fields[i] == c->private_key || *fields[i] == c->client_secret || *fields[i] == c->refresh_token)
      if (*fields[i]) memset(*fields[i], 0, strlen(*fields[i])); /* secrets do not linger in freed memory */
    feast_free(*fields[i]);
    *fields[i] = NULL;
  }
}

void feast_gcp_creds_free(feast_gcp_creds *c) {
  if (!c) return;
  creds_free_fields(c);
  memset(c->token, 0, sizeof c->token);
  pthread_mutex_destroy(&c->mu);
  feast_free(c);
}

static feast_gcp_creds *creds_new(feast_gcp_creds_kind kind, const char *name) {
  feast_gcp_creds *c = feast_calloc(1, sizeof *c);
  if (!c) return NULL;
  if (pthread_mutex_init(&c->mu, NULL) != 0) {
    feast_free(c);
    return NULL;
  }
  c->kind = kind;
  if (!(c->name = feast_strdup(name))) {
    feast_gcp_creds_free(c);
    return NULL;
  }
  return c;
}

/* A string member copied into *dst; missing and required is FEAST_E_INVALID. */
static feast_code take(const feast_json_value *doc, const char *key, bool required, const char *name, char **dst,
                       feast_error *err) {
  const feast_json_value *v = feast_json_get(doc, key);
  const char *s = feast_json_string_of(v);
  if (v && v->kind != FEAST_JSON_STRING)
    return feast_fail(err, FEAST_E_INVALID, "credentials file %s: \"%s\" must be a string", name, key);
  if (!s || !*s) {
    if (required) return feast_fail(err, FEAST_E_INVALID, "credentials file %s has no \"%s\"", name, key);
    return FEAST_OK;
  }
  return (*dst = feast_strndup(s, v->len)) ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
}

static feast_code set_describe(feast_gcp_creds *c, const char *what, const char *who, feast_error *err) {
  size_t n = strlen(what) + strlen(who ? who : "") + strlen(c->name) + 8;
  if (!(c->describe = feast_malloc(n))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  snprintf(c->describe, n, "%s%s%s (%s)", what, who ? " " : "", who ? who : "", c->name);
  return FEAST_OK;
}

feast_code feast_gcp_creds_parse(const char *json, size_t len, const char *name, feast_gcp_creds **out,
                                 feast_error *err) {
  feast_arena *arena = feast_arena_new(0);
  if (!arena) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_json_limits lim = {16, 1 << 20, 0};
  const feast_json_value *doc;
  feast_code rc = feast_json_parse(json, len, name, &lim, arena, &doc, err);
  if (rc) {
    feast_arena_free(arena);
    return feast_error_prefix(err, "credentials file: ");
  }
  const char *type = feast_json_string_of(feast_json_get(doc, "type"));
  feast_gcp_creds *c = NULL;
  if (doc->kind != FEAST_JSON_OBJECT || !type) {
    rc = feast_fail(err, FEAST_E_INVALID, "credentials file %s has no \"type\" (service_account or authorized_user)",
                    name);
  } else if (strcmp(type, "service_account") == 0) {
    if (!(c = creds_new(FEAST_GCP_SERVICE_ACCOUNT, name))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (!rc) rc = take(doc, "client_email", true, name, &c->client_email, err);
    if (!rc) rc = take(doc, "private_key", true, name, &c->private_key, err);
    if (!rc) rc = take(doc, "private_key_id", false, name, &c->private_key_id, err);
    if (!rc) rc = take(doc, "project_id", false, name, &c->project, err);
    if (!rc) rc = take(doc, "token_uri", false, name, &c->token_uri, err);
    if (!rc) rc = set_describe(c, "service account", c->client_email, err);
  } else if (strcmp(type, "authorized_user") == 0) {
    if (!(c = creds_new(FEAST_GCP_AUTHORIZED_USER, name))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (!rc) rc = take(doc, "client_id", true, name, &c->client_id, err);
    if (!rc) rc = take(doc, "client_secret", true, name, &c->client_secret, err);
    if (!rc) rc = take(doc, "refresh_token", true, name, &c->refresh_token, err);
    if (!rc) rc = take(doc, "quota_project_id", false, name, &c->project, err);
    if (!rc) rc = take(doc, "token_uri", false, name, &c->token_uri, err);
    if (!rc) rc = set_describe(c, "gcloud user credentials", NULL, err);
  } else {
    rc = feast_fail(err, FEAST_E_UNSUPPORTED,
                    "credentials file %s is of type \"%s\": this build reads service_account and authorized_user "
                    "files (workload identity federation and impersonation are not supported)",
                    name, type);
  }
  if (!rc && !c->token_uri && !(c->token_uri = feast_strdup(DEFAULT_TOKEN_URI)))
    rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc && strncmp(c->token_uri, "https://", 8) != 0 && strncmp(c->token_uri, "http://127.0.0.1", 16) != 0 &&
      strncmp(c->token_uri, "http://localhost", 16) != 0)
    rc = feast_fail(err, FEAST_E_INVALID, "credentials file %s: token_uri %s is neither https:// nor loopback", name,
                    c->token_uri);
  feast_arena_free(arena);
  if (rc) {
    feast_gcp_creds_free(c);
    return rc;
  }
  *out = c;
  return FEAST_OK;
}

static feast_code parse_file(const char *path, feast_gcp_creds **out, feast_error *err) {
  feast_buf b;
  feast_buf_init(&b, 1 << 20);
  feast_code rc = feast_file_read_all(path, &b, err);
  if (rc) feast_error_prefix(err, "credentials: ");
  else rc = feast_gcp_creds_parse(b.data ? (const char *)b.data : "", b.len, path, out, err);
  if (b.data) memset(b.data, 0, b.len);
  feast_buf_free(&b);
  return rc;
}

feast_code feast_gcp_creds_find(const char *file, feast_gcp_creds **out, feast_error *err) {
  if (file && *file) return parse_file(file, out, err);
  const char *env = getenv("GOOGLE_APPLICATION_CREDENTIALS");
  if (env && *env) {
    feast_code rc = parse_file(env, out, err);
    return rc ? feast_error_prefix(err, "GOOGLE_APPLICATION_CREDENTIALS: ") : FEAST_OK;
  }
  char path[4096];
  const char *cfg = getenv("CLOUDSDK_CONFIG"), *home = getenv("HOME");
  if (cfg && *cfg) snprintf(path, sizeof path, "%s/application_default_credentials.json", cfg);
  else snprintf(path, sizeof path, "%s/.config/gcloud/application_default_credentials.json", home ? home : "");
  if ((cfg || home) && access(path, R_OK) == 0) return parse_file(path, out, err);
  const char *host = getenv("GCE_METADATA_HOST");
  if (!host || !*host) host = "169.254.169.254";
  feast_gcp_creds *c = creds_new(FEAST_GCP_METADATA, host);
  feast_code rc = c ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc && !(c->metadata_host = feast_strdup(host))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) rc = set_describe(c, "the metadata server's default service account", NULL, err);
  if (rc) {
    feast_gcp_creds_free(c);
    return rc;
  }
  *out = c;
  return FEAST_OK;
}

feast_gcp_creds_kind feast_gcp_creds_type(const feast_gcp_creds *c) { return c->kind; }
const char *feast_gcp_creds_project(const feast_gcp_creds *c) { return c->project; }
const char *feast_gcp_creds_describe(const feast_gcp_creds *c) { return c->describe; }

long feast_gcp_creds_fetches(const feast_gcp_creds *c) {
  pthread_mutex_t *mu = (pthread_mutex_t *)&c->mu;
  pthread_mutex_lock(mu);
  long n = c->fetches;
  pthread_mutex_unlock(mu);
  return n;
}

void feast_gcp_creds_invalidate(feast_gcp_creds *c) {
  pthread_mutex_lock(&c->mu);
  c->token[0] = 0;
  c->refresh_at = c->expires = 0;
  pthread_mutex_unlock(&c->mu);
}

/* ---- the exchanges ---- */

static feast_code form_pair(feast_buf *b, const char *k, const char *v, feast_error *err) {
  feast_code rc = b->len ? feast_buf_append_byte(b, '&', err) : FEAST_OK;
  if (!rc) rc = feast_buf_append_str(b, k, err);
  if (!rc) rc = feast_buf_append_byte(b, '=', err);
  return rc ? rc : feast_gcp_url_encode(b, v, err);
}

/* The claims a service account signs: who, what for, for whom, when. */
static feast_code sa_assertion(feast_gcp_creds *c, feast_buf *jwt, feast_error *err) {
  feast_buf claims;
  feast_buf_init(&claims, 1 << 16);
  feast_json_writer w;
  feast_jw_init(&w, &claims, FEAST_JSON_UTF8_FAIL, err);
  int64_t now = (int64_t)time(NULL);
  feast_jw_object(&w);
  feast_jw_key(&w, "iss");
  feast_jw_string(&w, c->client_email);
  feast_jw_key(&w, "scope");
  feast_jw_string(&w, SCOPES);
  feast_jw_key(&w, "aud");
  feast_jw_string(&w, c->token_uri);
  feast_jw_key(&w, "iat");
  feast_jw_int(&w, now);
  feast_jw_key(&w, "exp");
  feast_jw_int(&w, now + 3600);
  feast_jw_object_end(&w);
  feast_code rc = feast_jw_finish(&w);
  const char *text = rc ? NULL : feast_buf_cstr(&claims, err);
  if (!rc && !text) rc = err->code;
  if (!rc) rc = feast_gcp_jwt_rs256(c->private_key, c->private_key_id, text, c->name, jwt, err);
  feast_buf_free(&claims);
  return rc;
}

/* Read {"access_token", "expires_in"} (or the OAuth2 error) of a token answer. */
static feast_code read_token(feast_gcp_creds *c, const char *where, const feast_gcp_http_response *resp,
                             feast_error *err) {
  feast_arena *arena = feast_arena_new(0);
  if (!arena) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_json_limits lim = {16, 1 << 20, 0};
  const feast_json_value *doc = NULL;
  feast_error perr;
  feast_code prc = feast_json_parse(resp->body.data ? (const char *)resp->body.data : "", resp->body.len, where, &lim,
                                    arena, &doc, &perr);
  feast_code rc = FEAST_OK;
  if (resp->status < 200 || resp->status >= 300) {
    const char *e = prc ? NULL : feast_json_string_of(feast_json_get(doc, "error"));
    const char *d = prc ? NULL : feast_json_string_of(feast_json_get(doc, "error_description"));
    if (!e && !prc) { /* the metadata server and some proxies answer {"error": {"message": ...}} */
      const feast_json_value *eo = feast_json_get(doc, "error");
      d = feast_json_string_of(feast_json_get(eo, "message"));
    }
    bool server = resp->status >= 500 || resp->status == 429;
    rc = (server ? feast_fail_retriable : feast_fail)(
        err, server ? FEAST_E_SERVER : FEAST_E_INVALID, "%s refused the token request for %s: HTTP %ld%s%s%s%s",
        where, c->describe, resp->status, e || d ? ": " : "", e ? e : "", e && d ? ": " : "", d ? d : "");
  } else if (prc) {
    rc = feast_fail(err, FEAST_E_CORRUPT, "token answer of %s: %s", where, perr.message);
  } else {
    const feast_json_value *tok = feast_json_get(doc, "access_token"), *exp = feast_json_get(doc, "expires_in");
    int64_t secs = 3600;
    double d;
    if (exp && exp->kind == FEAST_JSON_NUMBER && feast_json_number_double(exp->str, exp->len, &d) && d > 0 && d < 1e7)
      secs = (int64_t)d;
    else if (exp && exp->kind == FEAST_JSON_STRING)
      secs = strtoll(exp->str, NULL, 10) > 0 ? strtoll(exp->str, NULL, 10) : 3600;
    if (!tok || tok->kind != FEAST_JSON_STRING || !tok->len)
      rc = feast_fail(err, FEAST_E_CORRUPT, "token answer of %s has no access_token", where);
    else if (tok->len + 32 > MAX_TOKEN)
      rc = feast_fail(err, FEAST_E_TOO_BIG, "token answer of %s: an access_token of %zu bytes", where, tok->len);
    if (!rc) {
      snprintf(c->token, sizeof c->token, "%.*s", (int)tok->len, tok->str);
      feast_ts now = feast_now();
      int64_t life = secs * FEAST_US_PER_SEC, margin = 300 * FEAST_US_PER_SEC;
      if (life < 2 * margin) margin = life / 2;
      c->expires = now + life;
      c->refresh_at = now + life - margin;
    }
  }
  feast_arena_free(arena);
  return rc;
}

/* One exchange with the token endpoint or the metadata server. */
static feast_code fetch_once(feast_gcp_creds *c, feast_error *err) {
  feast_buf form, jwt;
  feast_buf_init(&form, 1 << 16);
  feast_buf_init(&jwt, 1 << 16);
  feast_gcp_http_request req;
  memset(&req, 0, sizeof req);
  char url[2048];
  const char *form_hdr[] = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
  const char *md_hdr[] = {"Metadata-Flavor: Google", "Accept: application/json"};
  feast_code rc = FEAST_OK;
  if (c->kind == FEAST_GCP_METADATA) {
    snprintf(url, sizeof url, "http://%s/computeMetadata/v1/instance/service-accounts/default/token",
             c->metadata_host);
    req.method = "GET";
    req.headers = md_hdr;
    req.n_headers = 2;
    req.timeout_ms = 10000;
  } else {
    snprintf(url, sizeof url, "%s", c->token_uri);
    if (c->kind == FEAST_GCP_SERVICE_ACCOUNT) {
      rc = sa_assertion(c, &jwt, err);
      const char *assertion = rc ? NULL : feast_buf_cstr(&jwt, err);
      if (!rc && !assertion) rc = err->code;
      if (!rc) rc = form_pair(&form, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer", err);
      if (!rc) rc = form_pair(&form, "assertion", assertion, err);
    } else {
      rc = form_pair(&form, "grant_type", "refresh_token", err);
      if (!rc) rc = form_pair(&form, "client_id", c->client_id, err);
      if (!rc) rc = form_pair(&form, "client_secret", c->client_secret, err);
      if (!rc) rc = form_pair(&form, "refresh_token", c->refresh_token, err);
    }
    req.method = "POST";
    req.headers = form_hdr;
    req.n_headers = 2;
    req.body = form.data;
    req.body_len = form.len;
    req.timeout_ms = 30000;
  }
  req.url = url;
  req.max_response = 1 << 20;
  feast_gcp_http_response resp;
  feast_gcp_http_response_init(&resp);
  if (!rc) rc = feast_gcp_http_send(&req, &resp, err);
  if (rc == FEAST_E_CONNECT && c->kind == FEAST_GCP_METADATA)
    feast_error_prefix(err,
                       "no Google credentials: GOOGLE_APPLICATION_CREDENTIALS is not set, there is no gcloud "
                       "application_default_credentials.json, and the metadata server did not answer: ");
  if (!rc) rc = read_token(c, c->kind == FEAST_GCP_METADATA ? "the metadata server" : url, &resp, err);
  if (!rc) c->fetches++;
  feast_gcp_http_response_free(&resp);
  if (form.data) memset(form.data, 0, form.len);
  feast_buf_free(&form);
  feast_buf_free(&jwt);
  return rc;
}

feast_code feast_gcp_creds_header(feast_gcp_creds *c, char *out, size_t cap, feast_error *err) {
  pthread_mutex_lock(&c->mu);
  feast_code rc = FEAST_OK;
  if (!c->token[0] || feast_now() >= c->refresh_at) {
    /* A token still valid is used when its refresh fails: the refresh is
     * early on purpose, and the next call tries again. */
    for (int attempt = 1;; attempt++) {
      feast_error e;
      rc = fetch_once(c, &e);
      if (!rc || !e.retriable || attempt == 3) {
        if (rc && c->token[0] && feast_now() < c->expires) rc = FEAST_OK;
        else if (rc) *err = e;
        break;
      }
      struct timespec ts = {0, 200000000L * attempt};
      nanosleep(&ts, NULL);
    }
  }
  if (!rc) snprintf(out, cap, "Authorization: Bearer %s", c->token);
  pthread_mutex_unlock(&c->mu);
  return rc;
}
