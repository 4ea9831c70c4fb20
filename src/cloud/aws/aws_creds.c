/*
 * aws_creds.c - the credentials chain and its cache (see aws_creds.h).
 */
#include "cloud/aws/aws_creds.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "feast/time.h"
#include "format/json/json_reader.h"
#include "net/http.h"

typedef enum source {
  SRC_NONE = 0,
  SRC_SETTINGS,
  SRC_ENV,
  SRC_FILES,
  SRC_CONTAINER,
  SRC_IMDS
} source;

struct feast_aws_creds {
  feast_aws_settings settings;
  feast_aws_creds_options opt;
  pthread_mutex_t mu;
  source src;
  feast_aws_credentials cached;
  bool have;
  long fetches;
  feast_http_client *http; /* for the metadata endpoints, made on first use */
};

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

static bool set_str(char *dst, size_t cap, const char *v) {
  if (!v) {
    dst[0] = '\0';
    return true;
  }
  return (size_t)snprintf(dst, cap, "%s", v) < cap;
}

feast_aws_creds *feast_aws_creds_new(const feast_aws_settings *s, const feast_aws_creds_options *opt,
                                     feast_error *err) {
  feast_aws_creds *c = feast_calloc(1, sizeof *c);
  if (!c) {
    feast_fail(err, FEAST_E_NOMEM, "aws credentials: out of memory");
    return NULL;
  }
  if (s) c->settings = *s;
  if (opt) c->opt = *opt;
  if (c->opt.refresh_before_s <= 0) c->opt.refresh_before_s = 300;
  if (c->opt.metadata_timeout_ms <= 0) c->opt.metadata_timeout_ms = 1000;
  pthread_mutex_init(&c->mu, NULL);
  return c;
}

void feast_aws_creds_free(feast_aws_creds *c) {
  if (!c) return;
  feast_http_client_free(c->http);
  pthread_mutex_destroy(&c->mu);
  memset(&c->cached, 0, sizeof c->cached);
  feast_free(c);
}

long feast_aws_creds_fetches(const feast_aws_creds *c) {
  pthread_mutex_lock(&((feast_aws_creds *)c)->mu);
  long n = c->fetches;
  pthread_mutex_unlock(&((feast_aws_creds *)c)->mu);
  return n;
}

static feast_code from_strings(const char *id, const char *secret, const char *token, const char *origin,
                               feast_aws_credentials *out, feast_error *err) {
  memset(out, 0, sizeof *out);
  if (!set_str(out->access_key_id, sizeof out->access_key_id, id) ||
      !set_str(out->secret_access_key, sizeof out->secret_access_key, secret) ||
      !set_str(out->session_token, sizeof out->session_token, token))
    return feast_fail(err, FEAST_E_INVALID, "AWS credentials from %s: a value is too long", origin);
  set_str(out->source, sizeof out->source, origin);
  return FEAST_OK;
}

/* ---- files ---- */

/* 1 found, 0 not there, or a failure code (negative: never). */
static int from_files(const feast_aws_creds *c, feast_aws_credentials *out, char *tried, size_t tried_cap,
                      feast_code *rc, feast_error *err) {
  const char *profile = feast_aws_profile_name(&c->settings);
  char path[1024], id[256], secret[256], token[4096];
  static const struct {
    bool is_config;
    const char *label;
  } files[] = {{false, "credentials file"}, {true, "config file"}};
  for (int i = 0; i < 2; i++) {
    bool ok = files[i].is_config ? feast_aws_config_file_path(path, sizeof path)
                                 : feast_aws_credentials_file_path(path, sizeof path);
    if (!ok) continue;
    size_t used = strlen(tried);
    snprintf(tried + used, tried_cap - used, ", profile %s of %s %s", profile, files[i].label, path);
    if (!feast_aws_file_get(path, files[i].is_config, profile, "aws_access_key_id", id, sizeof id)) continue;
    if (!feast_aws_file_get(path, files[i].is_config, profile, "aws_secret_access_key", secret, sizeof secret)) {
      *rc = feast_fail(err, FEAST_E_INVALID, "AWS profile %s in %s has aws_access_key_id but no aws_secret_access_key",
                       profile, path);
      return -1;
    }
    bool has_token = feast_aws_file_get(path, files[i].is_config, profile, "aws_session_token", token, sizeof token);
    char origin[64];
    snprintf(origin, sizeof origin, "profile %.24s (%s)", profile, files[i].label);
    *rc = from_strings(id, secret, has_token ? token : NULL, origin, out, err);
    return *rc ? -1 : 1;
  }
  return 0;
}

/* ---- JSON credentials documents ---- */

feast_code feast_aws_creds_parse_json(const char *body, size_t len, const char *what, feast_aws_credentials *out,
                                      feast_error *err) {
  feast_arena *a = feast_arena_new(16 << 10);
  if (!a) return feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", what);
  const feast_json_value *root;
  feast_json_limits lim = {.max_depth = 8, .max_input = 1 << 20};
  feast_code rc = feast_json_parse(body, len, what, &lim, a, &root, err);
  if (!rc) {
    const char *code = feast_json_string_of(feast_json_get(root, "Code"));
    const char *id = feast_json_string_of(feast_json_get(root, "AccessKeyId"));
    const char *secret = feast_json_string_of(feast_json_get(root, "SecretAccessKey"));
    const char *token = feast_json_string_of(feast_json_get(root, "Token"));
    const char *exp = feast_json_string_of(feast_json_get(root, "Expiration"));
    if (code && strcmp(code, "Success") != 0) {
      rc = feast_fail(err, FEAST_E_SERVER, "%s: the endpoint answered Code %s", what, code);
    } else if (!id || !secret) {
      rc = feast_fail(err, FEAST_E_CORRUPT, "%s: no AccessKeyId and SecretAccessKey in the answer", what);
    } else {
      rc = from_strings(id, secret, token, what, out, err);
      if (!rc && exp) {
        feast_ts ts;
        feast_error perr;
        if (feast_ts_parse(exp, &ts, &perr) != FEAST_OK)
          rc = feast_fail(err, FEAST_E_CORRUPT, "%s: Expiration %s: %s", what, exp, perr.message);
        else
          out->expires_at = ts / 1000000;
      }
    }
  }
  feast_arena_free(a);
  return rc;
}

/* ---- metadata endpoints ---- */

static feast_code ensure_http(feast_aws_creds *c, feast_error *err) {
  if (c->http) return FEAST_OK;
  /* The metadata services answer at once or not at all: short timeouts,
   * one retry, as the SDKs do. */
  feast_http_options o = {.connect_timeout_ms = c->opt.metadata_timeout_ms, .timeout_ms = c->opt.metadata_timeout_ms,
                          .max_attempts = 2, .backoff_base_ms = 50, .backoff_max_ms = 200,
                          .max_response_body = 1 << 20, .max_handles = 2};
  c->http = feast_http_client_new(&o, err);
  return c->http ? FEAST_OK : (err ? err->code : FEAST_E_NOMEM);
}

static feast_code http_call(feast_aws_creds *c, const char *method, const char *url, const feast_http_header *h,
                            size_t nh, feast_http_response *resp, feast_error *err) {
  feast_code rc = ensure_http(c, err);
  if (rc) return rc;
  feast_http_request req;
  feast_http_request_init(&req, method, url);
  req.headers = h;
  req.n_headers = nh;
  return feast_http_send(c->http, &req, resp, err);
}

static feast_code from_container(feast_aws_creds *c, const char *url, feast_aws_credentials *out, feast_error *err) {
  char token[4096] = "";
  const char *tok = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  const char *tok_file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  if (!tok && tok_file) {
    FILE *f = fopen(tok_file, "rb");
    if (!f) return feast_fail(err, FEAST_E_IO, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s cannot be read", tok_file);
    size_t n = fread(token, 1, sizeof token - 1, f);
    fclose(f);
    token[n] = '\0';
    while (n && (token[n - 1] == '\n' || token[n - 1] == '\r')) token[--n] = '\0';
    tok = token;
  } else if (tok) {
    snprintf(token, sizeof token, "%s", tok);
    tok = token;
  }
  feast_http_header h[1] = {{"Authorization", tok}};
  feast_http_response resp;
  feast_http_response_init(&resp);
  feast_code rc = http_call(c, "GET", url, h, tok ? 1 : 0, &resp, err);
  if (rc) feast_error_prefix(err, "AWS container credentials: ");
  else rc = feast_aws_creds_parse_json((const char *)resp.body.data, resp.body.len, "AWS container credentials", out, err);
  if (!rc) snprintf(out->source, sizeof out->source, "container credentials endpoint");
  feast_http_response_free(&resp);
  return rc;
}

static feast_code from_imds(feast_aws_creds *c, feast_aws_credentials *out, feast_error *err) {
  const char *base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (!base) base = "http://169.254.169.254";
  size_t blen = strlen(base);
  while (blen && base[blen - 1] == '/') blen--;
  char url[1024], token[1024], role[256];
  feast_http_response resp;
  feast_http_response_init(&resp);
  snprintf(url, sizeof url, "%.*s/latest/api/token", (int)blen, base);
  feast_http_header ttl[] = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  feast_code rc = http_call(c, "PUT", url, ttl, 1, &resp, err);
  if (!rc) {
    snprintf(token, sizeof token, "%.*s", (int)resp.body.len, resp.body.data ? (const char *)resp.body.data : "");
    feast_http_header th[] = {{"X-aws-ec2-metadata-token", token}};
    snprintf(url, sizeof url, "%.*s/latest/meta-data/iam/security-credentials/", (int)blen, base);
    rc = http_call(c, "GET", url, th, 1, &resp, err);
    if (!rc) {
      /* The first line is the role's name. */
      size_t n = 0;
      const char *b = resp.body.data ? (const char *)resp.body.data : "";
      while (n < resp.body.len && b[n] != '\n' && b[n] != '\r') n++;
      if (n == 0 || n >= sizeof role) {
        rc = feast_fail(err, FEAST_E_NOT_FOUND, "the instance has no IAM role");
      } else {
        snprintf(role, sizeof role, "%.*s", (int)n, b);
        snprintf(url, sizeof url, "%.*s/latest/meta-data/iam/security-credentials/%s", (int)blen, base, role);
        rc = http_call(c, "GET", url, th, 1, &resp, err);
        if (!rc)
          rc = feast_aws_creds_parse_json((const char *)resp.body.data, resp.body.len, "AWS instance metadata credentials",
                                          out, err);
      }
    }
  }
  if (rc) feast_error_prefix(err, "AWS instance metadata (IMDSv2 at %.*s): ", (int)blen, base);
  else snprintf(out->source, sizeof out->source, "instance metadata service");
  feast_http_response_free(&resp);
  return rc;
}

static bool imds_disabled(void) {
  const char *v = env("AWS_EC2_METADATA_DISABLED");
  return v && strcasecmp(v, "true") == 0;
}

static feast_code container_url(char *url, size_t cap) {
  const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (rel) snprintf(url, cap, "http://169.254.170.2%s%s", rel[0] == '/' ? "" : "/", rel);
  else if (full) snprintf(url, cap, "%s", full);
  else return FEAST_E_NOT_FOUND;
  return FEAST_OK;
}

/* Fetch from the chosen source again (container, IMDS), or walk the chain
 * when none is chosen yet. Called with c->mu held. */
static feast_code resolve(feast_aws_creds *c, feast_aws_credentials *out, feast_error *err) {
  char url[2048];
  switch (c->src) {
  case SRC_CONTAINER:
    if (container_url(url, sizeof url)) return feast_fail(err, FEAST_E_NOT_FOUND, "AWS container credentials: the endpoint variables are gone");
    return from_container(c, url, out, err);
  case SRC_IMDS: return from_imds(c, out, err);
  default: break;
  }
  const feast_aws_settings *s = &c->settings;
  char tried[4096] = "aws.access_key_id in feature_store.yaml, AWS_ACCESS_KEY_ID";
  feast_code rc = FEAST_OK;
  if (s->access_key_id && *s->access_key_id) {
    if (!s->secret_access_key || !*s->secret_access_key)
      return feast_fail(err, FEAST_E_INVALID, "feature_store.yaml sets aws.access_key_id but not aws.secret_access_key");
    c->src = SRC_SETTINGS;
    return from_strings(s->access_key_id, s->secret_access_key, s->session_token, "feature_store.yaml", out, err);
  }
  const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
  if (id) {
    if (!secret) return feast_fail(err, FEAST_E_INVALID, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    c->src = SRC_ENV;
    return from_strings(id, secret, env("AWS_SESSION_TOKEN"), "environment", out, err);
  }
  int found = from_files(c, out, tried, sizeof tried, &rc, err);
  if (found < 0) return rc;
  if (found > 0) {
    c->src = SRC_FILES;
    return FEAST_OK;
  }
  size_t used = strlen(tried);
  snprintf(tried + used, sizeof tried - used, ", AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI");
  if (container_url(url, sizeof url) == FEAST_OK) {
    c->src = SRC_CONTAINER;
    rc = from_container(c, url, out, err);
    if (rc) c->src = SRC_NONE;
    return rc;
  }
  used = strlen(tried);
  if (!imds_disabled()) {
    rc = from_imds(c, out, err);
    if (!rc) {
      c->src = SRC_IMDS;
      return FEAST_OK;
    }
    /* Off EC2 the metadata address does not answer: that means "no
     * credentials here", said with every place looked at. */
    if (rc != FEAST_E_CONNECT && rc != FEAST_E_TIMEOUT && rc != FEAST_E_NOT_FOUND) return rc;
    snprintf(tried + used, sizeof tried - used, ", the instance metadata service (%.300s)", err ? err->message : "");
  } else {
    snprintf(tried + used, sizeof tried - used, " (instance metadata disabled by AWS_EC2_METADATA_DISABLED)");
  }
  return feast_fail(err, FEAST_E_NOT_FOUND, "no AWS credentials found; looked at %s", tried);
}

feast_code feast_aws_creds_get(feast_aws_creds *c, feast_aws_credentials *out, feast_error *err) {
  pthread_mutex_lock(&c->mu);
  int64_t now = (int64_t)time(NULL);
  bool fresh = c->have && (c->cached.expires_at == 0 || c->cached.expires_at - now > c->opt.refresh_before_s);
  feast_code rc = FEAST_OK;
  if (!fresh) {
    feast_aws_credentials next;
    feast_error local;
    rc = resolve(c, &next, &local);
    c->fetches++;
    if (!rc) {
      c->cached = next;
      c->have = true;
    } else if (c->have && (c->cached.expires_at == 0 || c->cached.expires_at > now)) {
      rc = FEAST_OK; /* keep what still works; the next call tries again */
    } else if (err) {
      *err = local;
    }
    memset(&next, 0, sizeof next);
  }
  if (!rc) *out = c->cached;
  pthread_mutex_unlock(&c->mu);
  return rc;
}
