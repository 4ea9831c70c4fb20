/*
 * sigv4.c - AWS Signature Version 4 (see sigv4.h). The steps follow AWS's
 * description: canonical request, string to sign, signing key, signature.
 */
#include "cloud/aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/alloc.h"
#include "net/uri.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void to_hex(const uint8_t *p, size_t n, char *out) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hex[p[i] >> 4];
    out[2 * i + 1] = hex[p[i] & 15];
  }
  out[2 * n] = '\0';
}

void feast_sha256_hex(const void *data, size_t n, char out[65]) {
  uint8_t md[SHA256_DIGEST_LENGTH];
  SHA256(data ? data : (const void *)"", n, md);
  to_hex(md, sizeof md, out);
}

static void hmac(const uint8_t *key, size_t key_len, const void *msg, size_t n, uint8_t out[32]) {
  unsigned int len = 32;
  HMAC(EVP_sha256(), key, (int)key_len, msg, n, out, &len);
}

void feast_sigv4_output_init(feast_sigv4_output *out) {
  memset(out, 0, sizeof *out);
  feast_buf_init(&out->canonical_request, 1 << 20);
  feast_buf_init(&out->string_to_sign, 1 << 16);
  feast_buf_init(&out->authorization, 1 << 16);
  feast_buf_init(&out->query, 1 << 20);
}

void feast_sigv4_output_free(feast_sigv4_output *out) {
  if (!out) return;
  feast_buf_free(&out->canonical_request);
  feast_buf_free(&out->string_to_sign);
  feast_buf_free(&out->authorization);
  feast_buf_free(&out->query);
}

void feast_sigv4_key_cache_init(feast_sigv4_key_cache *c) {
  memset(c, 0, sizeof *c);
  pthread_mutex_init(&c->mu, NULL);
}

void feast_sigv4_key_cache_destroy(feast_sigv4_key_cache *c) {
  if (!c) return;
  pthread_mutex_destroy(&c->mu);
  memset(c, 0, sizeof *c);
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
static void derive_key(const char *secret, const char *date, const char *region, const char *service,
                       uint8_t out[32]) {
  char first[160];
  int n = snprintf(first, sizeof first, "AWS4%s", secret);
  uint8_t k[32];
  hmac((const uint8_t *)first, (size_t)n, date, strlen(date), k);
  hmac(k, 32, region, strlen(region), k);
  hmac(k, 32, service, strlen(service), k);
  hmac(k, 32, "aws4_request", 12, out);
  OPENSSL_cleanse(first, sizeof first);
}

static void signing_key(feast_sigv4_key_cache *c, const char *secret, const char *date, const char *region,
                        const char *service, uint8_t out[32]) {
  if (!c) {
    derive_key(secret, date, region, service, out);
    return;
  }
  char scope[160];
  snprintf(scope, sizeof scope, "%s/%s/%s", date, region, service);
  uint8_t digest[32];
  SHA256((const uint8_t *)secret, strlen(secret), digest);
  pthread_mutex_lock(&c->mu);
  if (!c->valid || strcmp(c->scope, scope) != 0 || memcmp(c->secret_digest, digest, 32) != 0) {
    derive_key(secret, date, region, service, c->key);
    memcpy(c->secret_digest, digest, 32);
    snprintf(c->scope, sizeof c->scope, "%s", scope);
    c->valid = true;
    c->derivations++;
  }
  memcpy(out, c->key, 32);
  pthread_mutex_unlock(&c->mu);
}

/* ---- canonical URI ---- */

/* Remove "." and ".." segments and empty segments (AWS services other than
 * S3 treat "//" as "/"), keeping a leading and a trailing slash. */
static feast_code normalize_path(const char *path, feast_buf *out, feast_error *err) {
  size_t n = strlen(path);
  size_t *starts = feast_malloc((n / 2 + 2) * sizeof *starts); /* output offsets of pushed segments */
  if (!starts) return feast_fail(err, FEAST_E_NOMEM, "sigv4: out of memory");
  size_t depth = 0;
  feast_code rc = FEAST_OK;
  const char *p = path, *end = path + n;
  while (p < end && !rc) {
    while (p < end && *p == '/') p++;
    const char *s = p;
    while (p < end && *p != '/') p++;
    size_t len = (size_t)(p - s);
    if (len == 0 || (len == 1 && s[0] == '.')) continue;
    if (len == 2 && s[0] == '.' && s[1] == '.') {
      if (depth) out->len = starts[--depth];
      continue;
    }
    starts[depth++] = out->len;
    rc = feast_buf_append_byte(out, '/', err);
    if (!rc) rc = feast_buf_append(out, s, len, err);
  }
  feast_free(starts);
  if (rc) return rc;
  if (out->len == 0 || (n > 0 && path[n - 1] == '/')) rc = feast_buf_append_byte(out, '/', err);
  return rc;
}

static feast_code canonical_uri(const feast_sigv4_options *opt, const char *path, feast_buf *cr, feast_error *err) {
  if (!path || !*path) return feast_buf_append_byte(cr, '/', err);
  if (opt->s3) return feast_buf_append_str(cr, path, err);
  feast_buf norm;
  feast_buf_init(&norm, FEAST_BUF_UNLIMITED);
  feast_code rc = normalize_path(path, &norm, err);
  if (!rc) rc = feast_uri_encode(cr, (const char *)norm.data, norm.len, true, err);
  feast_buf_free(&norm);
  return rc;
}

/* ---- canonical query ---- */

typedef struct encoded_pair {
  size_t name, name_len, value, value_len; /* offsets into the pairs buffer */
} encoded_pair;

static const uint8_t *pair_base;

static int bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
  int c = memcmp(a, b, an < bn ? an : bn);
  if (c) return c;
  return an < bn ? -1 : an > bn;
}

static int pair_cmp(const void *x, const void *y) {
  const encoded_pair *a = x, *b = y;
  int c = bytes_cmp(pair_base + a->name, a->name_len, pair_base + b->name, b->name_len);
  if (c) return c;
  return bytes_cmp(pair_base + a->value, a->value_len, pair_base + b->value, b->value_len);
}

static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER; /* qsort has no context argument in C11 */

/* The query parameters, each name and value encoded, sorted by encoded name
 * then value, joined by '&'. */
static feast_code canonical_query(const feast_sigv4_pair *pairs, size_t n, feast_buf *out, feast_error *err) {
  if (n == 0) return FEAST_OK;
  feast_buf enc;
  feast_buf_init(&enc, FEAST_BUF_UNLIMITED);
  encoded_pair *ix = feast_calloc(n, sizeof *ix);
  feast_code rc = ix ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "sigv4: out of memory");
  for (size_t i = 0; i < n && !rc; i++) {
    const char *name = pairs[i].name ? pairs[i].name : "", *value = pairs[i].value ? pairs[i].value : "";
    ix[i].name = enc.len;
    rc = feast_uri_encode(&enc, name, strlen(name), false, err);
    ix[i].name_len = enc.len - ix[i].name;
    ix[i].value = enc.len;
    if (!rc) rc = feast_uri_encode(&enc, value, strlen(value), false, err);
    ix[i].value_len = enc.len - ix[i].value;
  }
  if (!rc) {
    pthread_mutex_lock(&sort_mu);
    pair_base = enc.data;
    qsort(ix, n, sizeof *ix, pair_cmp);
    pthread_mutex_unlock(&sort_mu);
    for (size_t i = 0; i < n && !rc; i++) {
      if (i) rc = feast_buf_append_byte(out, '&', err);
      if (!rc) rc = feast_buf_append(out, enc.data + ix[i].name, ix[i].name_len, err);
      if (!rc) rc = feast_buf_append_byte(out, '=', err);
      if (!rc) rc = feast_buf_append(out, enc.data + ix[i].value, ix[i].value_len, err);
    }
  }
  feast_free(ix);
  feast_buf_free(&enc);
  return rc;
}

/* ---- canonical headers ---- */

typedef struct header_entry {
  size_t name, name_len, value, value_len, order;
} header_entry;

static int header_cmp(const void *x, const void *y) {
  const header_entry *a = x, *b = y;
  int c = bytes_cmp(pair_base + a->name, a->name_len, pair_base + b->name, b->name_len);
  if (c) return c;
  return a->order < b->order ? -1 : a->order > b->order;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Trim the value and turn each run of whitespace inside it into one space. */
static feast_code append_trimmed(feast_buf *b, const char *v, feast_error *err) {
  while (*v && is_space(*v)) v++;
  feast_code rc = FEAST_OK;
  bool pending_space = false;
  for (; *v && !rc; v++) {
    if (is_space(*v)) {
      pending_space = true;
      continue;
    }
    if (pending_space) rc = feast_buf_append_byte(b, ' ', err);
    pending_space = false;
    if (!rc) rc = feast_buf_append_byte(b, (uint8_t)*v, err);
  }
  return rc;
}

static bool owned_header(const char *name) {
  return strcasecmp(name, "host") == 0 || strcasecmp(name, "x-amz-date") == 0 ||
         strcasecmp(name, "authorization") == 0 || strcasecmp(name, "x-amz-security-token") == 0 ||
         strcasecmp(name, "x-amz-content-sha256") == 0;
}

/* Appends "name:value\n" lines to `cr` and "a;b;c" to `signed_names`. */
static feast_code canonical_headers(const feast_sigv4_pair *all, size_t n, feast_buf *cr, feast_buf *signed_names,
                                    feast_error *err) {
  feast_buf store;
  feast_buf_init(&store, FEAST_BUF_UNLIMITED);
  header_entry *ix = feast_calloc(n ? n : 1, sizeof *ix);
  feast_code rc = ix ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "sigv4: out of memory");
  for (size_t i = 0; i < n && !rc; i++) {
    ix[i].order = i;
    ix[i].name = store.len;
    for (const char *p = all[i].name; *p && !rc; p++) {
      char c = *p;
      if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
      rc = feast_buf_append_byte(&store, (uint8_t)c, err);
    }
    ix[i].name_len = store.len - ix[i].name;
    ix[i].value = store.len;
    if (!rc) rc = append_trimmed(&store, all[i].value ? all[i].value : "", err);
    ix[i].value_len = store.len - ix[i].value;
  }
  if (!rc) {
    pthread_mutex_lock(&sort_mu);
    pair_base = store.data;
    qsort(ix, n, sizeof *ix, header_cmp);
    pthread_mutex_unlock(&sort_mu);
  }
  for (size_t i = 0; i < n && !rc; i++) {
    bool same_as_previous = i > 0 && bytes_cmp(store.data + ix[i].name, ix[i].name_len, store.data + ix[i - 1].name,
                                               ix[i - 1].name_len) == 0;
    if (same_as_previous) {
      /* Repeated names: one line, values in the order given, joined by ','. */
      cr->len--; /* the previous line's '\n' */
      rc = feast_buf_append_byte(cr, ',', err);
    } else {
      if (signed_names->len) rc = feast_buf_append_byte(signed_names, ';', err);
      if (!rc) rc = feast_buf_append(signed_names, store.data + ix[i].name, ix[i].name_len, err);
      if (!rc) rc = feast_buf_append(cr, store.data + ix[i].name, ix[i].name_len, err);
      if (!rc) rc = feast_buf_append_byte(cr, ':', err);
    }
    if (!rc) rc = feast_buf_append(cr, store.data + ix[i].value, ix[i].value_len, err);
    if (!rc) rc = feast_buf_append_byte(cr, '\n', err);
  }
  feast_free(ix);
  feast_buf_free(&store);
  return rc;
}

/* ---- the signature ---- */

feast_code feast_sigv4_sign(feast_sigv4_key_cache *cache, const feast_aws_credentials *creds,
                            const feast_sigv4_options *opt, const feast_sigv4_input *in, feast_sigv4_output *out,
                            feast_error *err) {
  if (!in->method || !*in->method || !in->host || !*in->host)
    return feast_fail(err, FEAST_E_INVALID, "sigv4: a request needs a method and a host");
  if (!creds->access_key_id[0] || !creds->secret_access_key[0])
    return feast_fail(err, FEAST_E_INVALID, "sigv4: no access key to sign %s %s with", in->method, in->host);
  if (!opt->region || !*opt->region || !opt->service || !*opt->service)
    return feast_fail(err, FEAST_E_INVALID, "sigv4: signing %s %s needs a region and a service", in->method,
                      in->host);
  if (opt->presign && (opt->expires < 1 || opt->expires > 604800))
    return feast_fail(err, FEAST_E_INVALID, "sigv4: presigned expiry of %lld s is outside 1..604800",
                      (long long)opt->expires);
  for (size_t i = 0; i < in->n_headers; i++)
    if (!in->headers[i].name || owned_header(in->headers[i].name))
      return feast_fail(err, FEAST_E_INVALID, "sigv4: header %s is set by the signer",
                        in->headers[i].name ? in->headers[i].name : "(null)");

  time_t t = (time_t)opt->now;
  struct tm tm;
  if (!gmtime_r(&t, &tm)) return feast_fail(err, FEAST_E_INVALID, "sigv4: bad time %lld", (long long)opt->now);
  strftime(out->amz_date, sizeof out->amz_date, "%Y%m%dT%H%M%SZ", &tm);
  char date[9];
  memcpy(date, out->amz_date, 8);
  date[8] = '\0';

  if (in->payload_hash)
    snprintf(out->payload_hash, sizeof out->payload_hash, "%s", in->payload_hash);
  else if (in->body_len == 0)
    snprintf(out->payload_hash, sizeof out->payload_hash, "%s", EMPTY_SHA256);
  else
    feast_sha256_hex(in->body, in->body_len, out->payload_hash);

  char scope[160];
  int sn = snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, opt->region, opt->service);
  if (sn < 0 || (size_t)sn >= sizeof scope) return feast_fail(err, FEAST_E_INVALID, "sigv4: region or service too long");
  bool token = creds->session_token[0] && !opt->omit_session_token;

  feast_buf_reset(&out->canonical_request);
  feast_buf_reset(&out->string_to_sign);
  feast_buf_reset(&out->authorization);
  feast_buf_reset(&out->query);

  /* Everything signed as a header: the caller's, then the signer's own. */
  size_t n_all = in->n_headers + 4;
  feast_sigv4_pair *all = feast_calloc(n_all, sizeof *all);
  size_t n_q = in->n_query + 6;
  feast_sigv4_pair *q = feast_calloc(n_q, sizeof *q);
  feast_buf signed_names, tmp;
  feast_buf_init(&signed_names, 1 << 16);
  feast_buf_init(&tmp, 1 << 16);
  feast_code rc = (all && q) ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "sigv4: out of memory");
  if (rc) goto done;
  size_t na = 0, nq = 0;
  for (size_t i = 0; i < in->n_headers; i++) all[na++] = in->headers[i];
  all[na++] = (feast_sigv4_pair){"host", in->host};
  for (size_t i = 0; i < in->n_query; i++) q[nq++] = in->query[i];
  char credential[320], expires[24];
  snprintf(credential, sizeof credential, "%s/%s", creds->access_key_id, scope);
  if (opt->presign) {
    /* The signed header names go into the query, so compute them first. */
    feast_buf scratch;
    feast_buf_init(&scratch, FEAST_BUF_UNLIMITED);
    rc = canonical_headers(all, na, &scratch, &signed_names, err);
    feast_buf_free(&scratch);
    if (rc) goto done;
    snprintf(expires, sizeof expires, "%lld", (long long)opt->expires);
    rc = feast_buf_append(&tmp, signed_names.data, signed_names.len, err);
    if (!rc) rc = feast_buf_append_byte(&tmp, 0, err);
    if (rc) goto done;
    q[nq++] = (feast_sigv4_pair){"X-Amz-Algorithm", ALGORITHM};
    q[nq++] = (feast_sigv4_pair){"X-Amz-Credential", credential};
    q[nq++] = (feast_sigv4_pair){"X-Amz-Date", out->amz_date};
    q[nq++] = (feast_sigv4_pair){"X-Amz-Expires", expires};
    q[nq++] = (feast_sigv4_pair){"X-Amz-SignedHeaders", (const char *)tmp.data};
    if (token) q[nq++] = (feast_sigv4_pair){"X-Amz-Security-Token", creds->session_token};
    feast_buf_reset(&signed_names);
  } else {
    all[na++] = (feast_sigv4_pair){"x-amz-date", out->amz_date};
    if (token) all[na++] = (feast_sigv4_pair){"x-amz-security-token", creds->session_token};
    if (opt->content_sha256) all[na++] = (feast_sigv4_pair){"x-amz-content-sha256", out->payload_hash};
  }

  feast_buf *cr = &out->canonical_request;
  rc = feast_buf_append_str(cr, in->method, err);
  if (!rc) rc = feast_buf_append_byte(cr, '\n', err);
  if (!rc) rc = canonical_uri(opt, in->path, cr, err);
  if (!rc) rc = feast_buf_append_byte(cr, '\n', err);
  if (!rc) rc = canonical_query(q, nq, &out->query, err);
  if (!rc) rc = feast_buf_append(cr, out->query.data, out->query.len, err);
  if (!rc) rc = feast_buf_append_byte(cr, '\n', err);
  if (!rc) rc = canonical_headers(all, na, cr, &signed_names, err);
  if (!rc) rc = feast_buf_append_byte(cr, '\n', err);
  if (!rc) rc = feast_buf_append(cr, signed_names.data, signed_names.len, err);
  if (!rc) rc = feast_buf_append_byte(cr, '\n', err);
  if (!rc) rc = feast_buf_append_str(cr, out->payload_hash, err);
  if (rc) goto done;

  char cr_hash[65];
  feast_sha256_hex(cr->data, cr->len, cr_hash);
  rc = feast_buf_printf(&out->string_to_sign, err, ALGORITHM "\n%s\n%s\n%s", out->amz_date, scope, cr_hash);
  if (rc) goto done;

  uint8_t key[32], sig[32];
  signing_key(cache, creds->secret_access_key, date, opt->region, opt->service, key);
  hmac(key, 32, out->string_to_sign.data, out->string_to_sign.len, sig);
  OPENSSL_cleanse(key, sizeof key);
  to_hex(sig, 32, out->signature);

  if (opt->presign) {
    rc = feast_buf_printf(&out->query, err, "%sX-Amz-Signature=%s", out->query.len ? "&" : "", out->signature);
  } else {
    rc = feast_buf_printf(&out->authorization, err, ALGORITHM " Credential=%s, SignedHeaders=", credential);
    if (!rc) rc = feast_buf_append(&out->authorization, signed_names.data, signed_names.len, err);
    if (!rc) rc = feast_buf_printf(&out->authorization, err, ", Signature=%s", out->signature);
  }
  /* Keep the views NUL-terminated for callers that print them. */
  if (!rc) feast_buf_cstr(&out->authorization, err);
  if (!rc) feast_buf_cstr(&out->query, err);
  if (!rc) feast_buf_cstr(&out->canonical_request, err);
  if (!rc) feast_buf_cstr(&out->string_to_sign, err);

done:
  feast_free(all);
  feast_free(q);
  feast_buf_free(&signed_names);
  feast_buf_free(&tmp);
  return rc;
}
