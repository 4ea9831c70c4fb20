/*
 * aws_config.c - profiles, shared files, region and endpoints (see
 * aws_config.h).
 */
#include "cloud/aws/aws_config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"

#define MAX_FILE (1 << 20)

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

const char *feast_aws_profile_name(const feast_aws_settings *s) {
  if (s && s->profile && *s->profile) return s->profile;
  const char *p = env("AWS_PROFILE");
  return p ? p : "default";
}

static bool home_path(const char *var, const char *rel, char *out, size_t cap) {
  const char *v = env(var);
  if (v) return (size_t)snprintf(out, cap, "%s", v) < cap;
  const char *home = env("HOME");
  if (!home) return false;
  return (size_t)snprintf(out, cap, "%s/%s", home, rel) < cap;
}

bool feast_aws_config_file_path(char *out, size_t cap) { return home_path("AWS_CONFIG_FILE", ".aws/config", out, cap); }

bool feast_aws_credentials_file_path(char *out, size_t cap) {
  return home_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", out, cap);
}

/* ---- INI ---- */

static void trim(const char **b, const char **e) {
  while (*b < *e && isspace((unsigned char)**b)) (*b)++;
  while (*e > *b && isspace((unsigned char)(*e)[-1])) (*e)--;
}

/* Whether the section header text [b, e) (without brackets) names profile. */
static bool section_is(const char *b, const char *e, bool is_config, const char *profile) {
  trim(&b, &e);
  size_t plen = strlen(profile);
  if (is_config) {
    if (strcmp(profile, "default") == 0 && (size_t)(e - b) == 7 && memcmp(b, "default", 7) == 0) return true;
    if ((size_t)(e - b) < 8 || memcmp(b, "profile", 7) != 0 || !isspace((unsigned char)b[7])) return false;
    b += 8;
    trim(&b, &e);
  }
  return (size_t)(e - b) == plen && memcmp(b, profile, plen) == 0;
}

/* Walks the text; calls back for each key=value of the profile's section.
 * Returns true when the section was seen. */
static bool ini_scan(const char *text, size_t len, bool is_config, const char *profile, const char *key, char *out,
                     size_t cap, bool *found) {
  const char *p = text, *end = text + len;
  bool in_section = false, seen = false, after_key = false;
  *found = false;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *le = eol ? eol : end;
    const char *b = p, *e = le;
    bool indented = b < e && (*b == ' ' || *b == '\t');
    trim(&b, &e);
    p = eol ? eol + 1 : end;
    if (b == e || *b == '#' || *b == ';') continue;
    if (*b == '[') {
      const char *close = memchr(b, ']', (size_t)(e - b));
      in_section = close && section_is(b + 1, close, is_config, profile);
      if (in_section) seen = true;
      after_key = false;
      continue;
    }
    /* An indented line after a key continues it (a value or an "s3 ="
     * sub-section); right after the section header it is a key itself. */
    bool continuation = indented && after_key;
    after_key = true;
    if (!in_section || continuation || !key) continue;
    const char *eq = memchr(b, '=', (size_t)(e - b));
    if (!eq) continue;
    const char *kb = b, *ke = eq, *vb = eq + 1, *ve = e;
    trim(&kb, &ke);
    trim(&vb, &ve);
    if ((size_t)(ke - kb) == strlen(key) && strncasecmp(kb, key, (size_t)(ke - kb)) == 0) {
      /* A later duplicate wins, as in botocore's parser. */
      if (cap) snprintf(out, cap, "%.*s", (int)(ve - vb), vb);
      *found = true;
    }
  }
  return seen;
}

bool feast_aws_ini_get(const char *text, size_t len, bool is_config, const char *profile, const char *key,
                       char *out, size_t cap) {
  bool found = false;
  ini_scan(text, len, is_config, profile, key, out, cap, &found);
  return found;
}

bool feast_aws_ini_has_profile(const char *text, size_t len, bool is_config, const char *profile) {
  bool found;
  return ini_scan(text, len, is_config, profile, NULL, NULL, 0, &found);
}

static char *read_small_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = feast_malloc(MAX_FILE + 1);
  size_t n = buf ? fread(buf, 1, MAX_FILE + 1, f) : 0;
  fclose(f);
  if (!buf || n > MAX_FILE) {
    feast_free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

bool feast_aws_file_get(const char *path, bool is_config, const char *profile, const char *key, char *out,
                        size_t cap) {
  size_t len;
  char *text = read_small_file(path, &len);
  if (!text) return false;
  bool found = feast_aws_ini_get(text, len, is_config, profile, key, out, cap);
  feast_free(text);
  return found;
}

/* ---- region ---- */

static bool profile_value(const feast_aws_settings *s, const char *key, char *out, size_t cap) {
  char path[1024];
  return feast_aws_config_file_path(path, sizeof path) &&
         feast_aws_file_get(path, true, feast_aws_profile_name(s), key, out, cap);
}

feast_code feast_aws_region(const feast_aws_settings *s, const char *source_region, char *out, size_t cap,
                            feast_error *err) {
  const char *r = NULL;
  if (source_region && *source_region) r = source_region;
  else if (s && s->region && *s->region) r = s->region;
  else if ((r = env("AWS_REGION"))) {
  } else if ((r = env("AWS_DEFAULT_REGION"))) {
  }
  if (r) {
    if ((size_t)snprintf(out, cap, "%s", r) >= cap) return feast_fail(err, FEAST_E_INVALID, "AWS region %s is too long", r);
    return FEAST_OK;
  }
  if (profile_value(s, "region", out, cap) && *out) return FEAST_OK;
  return feast_fail(err, FEAST_E_INVALID,
                    "no AWS region: set it on the source, as aws.region in feature_store.yaml, in AWS_REGION or "
                    "AWS_DEFAULT_REGION, or as region of profile %s in the AWS config file",
                    feast_aws_profile_name(s));
}

/* ---- endpoints ---- */

feast_code feast_aws_endpoint_parse(const char *url, feast_aws_endpoint *out, feast_error *err) {
  memset(out, 0, sizeof *out);
  const char *rest;
  if (strncasecmp(url, "http://", 7) == 0) {
    snprintf(out->scheme, sizeof out->scheme, "http");
    rest = url + 7;
  } else if (strncasecmp(url, "https://", 8) == 0) {
    snprintf(out->scheme, sizeof out->scheme, "https");
    rest = url + 8;
  } else {
    return feast_fail(err, FEAST_E_INVALID, "AWS endpoint %s: not an http:// or https:// URL", url);
  }
  size_t hlen = strcspn(rest, "/?#");
  if (hlen == 0 || hlen >= sizeof out->host || memchr(rest, '@', hlen))
    return feast_fail(err, FEAST_E_INVALID, "AWS endpoint %s: no usable host", url);
  memcpy(out->host, rest, hlen);
  out->host[hlen] = '\0';
  const char *path = rest + hlen;
  size_t plen = strcspn(path, "?#");
  while (plen && path[plen - 1] == '/') plen--;
  if (plen >= sizeof out->base_path) return feast_fail(err, FEAST_E_INVALID, "AWS endpoint %s: path too long", url);
  memcpy(out->base_path, path, plen);
  out->base_path[plen] = '\0';
  /* The Host header omits a port that is the scheme's default. */
  char *colon = strrchr(out->host, ':');
  if (colon && !strchr(colon, ']') &&
      ((strcmp(out->scheme, "http") == 0 && strcmp(colon, ":80") == 0) ||
       (strcmp(out->scheme, "https") == 0 && strcmp(colon, ":443") == 0)))
    *colon = '\0';
  snprintf(out->url, sizeof out->url, "%s://%s%s", out->scheme, out->host, out->base_path);
  return FEAST_OK;
}

static void upper_service(const char *service, char *out, size_t cap) {
  size_t i = 0;
  for (; service[i] && i + 1 < cap; i++) out[i] = (char)toupper((unsigned char)service[i]);
  out[i] = '\0';
}

feast_code feast_aws_endpoint_for(const feast_aws_settings *s, const char *service, const char *region,
                                  feast_aws_endpoint *out, feast_error *err) {
  const char *url = NULL, *origin = NULL;
  char env_name[64], up[32];
  upper_service(service, up, sizeof up);
  snprintf(env_name, sizeof env_name, "AWS_ENDPOINT_URL_%s", up);
  if (s && strcmp(service, "s3") == 0 && s->s3_endpoint_url && *s->s3_endpoint_url) {
    url = s->s3_endpoint_url;
    origin = "aws.s3_endpoint_url";
  } else if (s && strcmp(service, "kinesis") == 0 && s->kinesis_endpoint_url && *s->kinesis_endpoint_url) {
    url = s->kinesis_endpoint_url;
    origin = "aws.kinesis_endpoint_url";
  } else if (s && s->endpoint_url && *s->endpoint_url) {
    url = s->endpoint_url;
    origin = "aws.endpoint_url";
  } else if ((url = env(env_name))) {
    origin = strcmp(service, "s3") == 0 ? "AWS_ENDPOINT_URL_S3" : strcmp(service, "kinesis") == 0 ? "AWS_ENDPOINT_URL_KINESIS" : "AWS_ENDPOINT_URL_<SERVICE>";
  } else if ((url = env("AWS_ENDPOINT_URL"))) {
    origin = "AWS_ENDPOINT_URL";
  }
  char from_profile[512];
  if (!url && profile_value(s, "endpoint_url", from_profile, sizeof from_profile) && *from_profile) {
    url = from_profile;
    origin = "endpoint_url of the profile";
  }
  if (url) {
    feast_code rc = feast_aws_endpoint_parse(url, out, err);
    if (rc) return feast_error_prefix(err, "%s: ", origin);
    out->overridden = true;
    snprintf(out->origin, sizeof out->origin, "%s", origin);
    return FEAST_OK;
  }
  if (!region || !*region) return feast_fail(err, FEAST_E_INVALID, "AWS %s: no region to name the endpoint", service);
  const char *suffix = strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
  char std[512];
  snprintf(std, sizeof std, "https://%s.%s.%s", service, region, suffix);
  feast_code rc = feast_aws_endpoint_parse(std, out, err);
  if (rc) return rc;
  snprintf(out->origin, sizeof out->origin, "the standard endpoint");
  return FEAST_OK;
}
