/*
 * sigv4_test.c - the signer against AWS's published SigV4 test suite
 * (tests/data/sigv4/, source in its SOURCE.md): for every case, the
 * canonical request, the string to sign and the signature, both as an
 * Authorization header and presigned in the query; plus the encoding rules
 * and the signing-key cache.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "cloud/aws/sigv4.h"
#include "format/json/json_reader.h"
#include "net/uri.h"
#include "test.h"

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  feast_buf b;
  feast_buf_init(&b, FEAST_BUF_UNLIMITED);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) feast_buf_append(&b, chunk, n, NULL);
  fclose(f);
  feast_buf_cstr(&b, NULL);
  return (char *)feast_buf_detach(&b, len);
}

static char *case_file(const char *dir, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  size_t len;
  return slurp(path, &len);
}

/* A parsed request.txt: "METHOD PATH?QUERY HTTP/1.1", header lines (a line
 * starting with a space continues the previous value), a blank line, body. */
typedef struct test_request {
  char method[16];
  char path[1024];
  feast_sigv4_pair query[16];
  size_t n_query;
  feast_sigv4_pair headers[16];
  size_t n_headers;
  const char *host;
  const char *body;
  size_t body_len;
  feast_arena *arena;
} test_request;

static char *decode(feast_arena *a, const char *s, size_t n) {
  feast_buf b;
  feast_buf_init(&b, FEAST_BUF_UNLIMITED);
  feast_uri_decode(&b, s, n, NULL);
  char *out = feast_arena_strndup(a, b.data ? (const char *)b.data : "", b.len);
  feast_buf_free(&b);
  return out;
}

static void parse_request(char *text, test_request *r) {
  memset(r, 0, sizeof *r);
  r->arena = feast_arena_new(0);
  char *line_end = strstr(text, "\n");
  *line_end = '\0';
  char target[1024];
  sscanf(text, "%15s %1023[^\n]", r->method, target);
  char *http = strstr(target, " HTTP/1.1");
  if (http) *http = '\0';
  char *qm = strchr(target, '?');
  if (qm) *qm = '\0';
  snprintf(r->path, sizeof r->path, "%s", target);
  if (qm) {
    char *q = qm + 1;
    while (*q) {
      char *amp = strchr(q, '&');
      size_t len = amp ? (size_t)(amp - q) : strlen(q);
      char *eq = memchr(q, '=', len);
      size_t klen = eq ? (size_t)(eq - q) : len;
      r->query[r->n_query].name = decode(r->arena, q, klen);
      r->query[r->n_query].value = eq ? decode(r->arena, eq + 1, len - klen - 1) : "";
      r->n_query++;
      q += len;
      if (*q == '&') q++;
    }
  }
  char *p = line_end + 1;
  while (*p && *p != '\n') {
    char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (*p == ' ' && r->n_headers) {
      /* continuation: append to the previous value with the newline kept */
      feast_sigv4_pair *h = &r->headers[r->n_headers - 1];
      size_t old = strlen(h->value);
      char *v = feast_arena_alloc(r->arena, old + len + 2);
      memcpy(v, h->value, old);
      v[old] = '\n';
      memcpy(v + old + 1, p, len);
      v[old + 1 + len] = '\0';
      h->value = v;
    } else {
      char *colon = memchr(p, ':', len);
      char *name = feast_arena_strndup(r->arena, p, (size_t)(colon - p));
      char *value = feast_arena_strndup(r->arena, colon + 1, len - (size_t)(colon - p) - 1);
      if (strcasecmp(name, "host") == 0) {
        r->host = value;
      } else {
        r->headers[r->n_headers].name = name;
        r->headers[r->n_headers].value = value;
        r->n_headers++;
      }
    }
    p += len;
    if (*p == '\n') p++;
  }
  if (*p == '\n') {
    r->body = p + 1;
    r->body_len = strlen(p + 1);
  }
}

typedef struct test_context {
  feast_aws_credentials creds;
  char region[32], service[32];
  bool normalize, sign_body, omit_token;
  long long expires;
} test_context;

static void parse_context(const char *json, test_context *c) {
  memset(c, 0, sizeof *c);
  feast_arena *a = feast_arena_new(0);
  const feast_json_value *root;
  feast_error err;
  if (feast_json_parse(json, strlen(json), "context.json", NULL, a, &root, &err)) {
    fprintf(stderr, "%s\n", err.message);
    feast_arena_free(a);
    return;
  }
  const feast_json_value *cr = feast_json_get(root, "credentials");
  snprintf(c->creds.access_key_id, sizeof c->creds.access_key_id, "%s",
           feast_json_string_of(feast_json_get(cr, "access_key_id")));
  snprintf(c->creds.secret_access_key, sizeof c->creds.secret_access_key, "%s",
           feast_json_string_of(feast_json_get(cr, "secret_access_key")));
  const char *tok = feast_json_string_of(feast_json_get(cr, "token"));
  if (tok) snprintf(c->creds.session_token, sizeof c->creds.session_token, "%s", tok);
  snprintf(c->region, sizeof c->region, "%s", feast_json_string_of(feast_json_get(root, "region")));
  snprintf(c->service, sizeof c->service, "%s", feast_json_string_of(feast_json_get(root, "service")));
  c->normalize = feast_json_get(root, "normalize")->kind == FEAST_JSON_TRUE;
  c->sign_body = feast_json_get(root, "sign_body")->kind == FEAST_JSON_TRUE;
  const feast_json_value *omit = feast_json_get(root, "omit_session_token");
  c->omit_token = omit && omit->kind == FEAST_JSON_TRUE;
  const feast_json_value *exp = feast_json_get(root, "expiration_in_seconds");
  c->expires = exp ? atoll(exp->str) : 0;
  feast_arena_free(a);
}

static void strip_trailing_newline(char *s) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
}

static int cases_checked;

static void check_case(const char *dir, const char *name) {
  char *req_text = case_file(dir, "request.txt");
  char *ctx_text = case_file(dir, "context.json");
  if (!req_text || !ctx_text) {
    fprintf(stderr, "  %s: missing files\n", name);
    test_failures_in_case++;
    feast_free(req_text);
    feast_free(ctx_text);
    return;
  }
  test_request r;
  parse_request(req_text, &r);
  test_context c;
  parse_context(ctx_text, &c);

  /* The suite writes paths unencoded. Services other than S3 encode the
   * path they are given (that is the "second" encoding of a path that is
   * normally encoded already); for S3's rules the path must arrive encoded. */
  feast_buf wire;
  feast_buf_init(&wire, FEAST_BUF_UNLIMITED);
  if (c.normalize)
    feast_buf_append_str(&wire, r.path, NULL);
  else
    feast_uri_encode(&wire, r.path, strlen(r.path), true, NULL);
  feast_buf_cstr(&wire, NULL);

  feast_sigv4_input in = {.method = r.method, .host = r.host, .path = (const char *)wire.data,
                          .query = r.query, .n_query = r.n_query, .headers = r.headers, .n_headers = r.n_headers,
                          .body = r.body, .body_len = r.body_len};
  for (int presign = 0; presign <= 1; presign++) {
    feast_sigv4_options opt = {.region = c.region, .service = c.service, .s3 = !c.normalize,
                               .content_sha256 = c.sign_body && !presign, .presign = presign,
                               .omit_session_token = c.omit_token, .now = 1440938160, /* 2015-08-30T12:36:00Z */
                               .expires = c.expires};
    feast_sigv4_output out;
    feast_sigv4_output_init(&out);
    feast_error err;
    feast_code rc = feast_sigv4_sign(NULL, &c.creds, &opt, &in, &out, &err);
    if (rc) {
      fprintf(stderr, "  %s: sign failed: %s\n", name, err.message);
      test_failures_in_case++;
    } else {
      const char *pre = presign ? "query" : "header";
      char fname[64];
      snprintf(fname, sizeof fname, "%s-canonical-request.txt", pre);
      char *want_cr = case_file(dir, fname);
      snprintf(fname, sizeof fname, "%s-string-to-sign.txt", pre);
      char *want_sts = case_file(dir, fname);
      snprintf(fname, sizeof fname, "%s-signature.txt", pre);
      char *want_sig = case_file(dir, fname);
      strip_trailing_newline(want_sig);
      const char *got_cr = (const char *)out.canonical_request.data;
      if (strcmp(got_cr, want_cr) != 0) {
        fprintf(stderr, "  %s (%s): canonical request\n--- got\n%s\n--- want\n%s\n", name, pre, got_cr, want_cr);
        test_failures_in_case++;
      }
      CHECK_STR((const char *)out.string_to_sign.data, want_sts);
      if (strcmp(out.signature, want_sig) != 0) fprintf(stderr, "  case %s (%s)\n", name, pre);
      CHECK_STR(out.signature, want_sig);
      if (!presign) {
        char want_auth[512];
        /* The Authorization header names the key, the scope, the signed
         * headers (the canonical request's second-last line) and the signature. */
        const char *last_nl = strrchr(want_cr, '\n');
        const char *prev_nl = last_nl - 1;
        while (prev_nl > want_cr && *prev_nl != '\n') prev_nl--;
        snprintf(want_auth, sizeof want_auth,
                 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                 "SignedHeaders=%.*s, Signature=%s",
                 (int)(last_nl - prev_nl - 1), prev_nl + 1, want_sig);
        CHECK_STR((const char *)out.authorization.data, want_auth);
      } else {
        CHECK(strstr((const char *)out.query.data, "X-Amz-Signature=") != NULL);
        CHECK(strstr((const char *)out.query.data, want_sig) != NULL);
      }
      feast_free(want_cr);
      feast_free(want_sts);
      feast_free(want_sig);
      cases_checked++;
    }
    feast_sigv4_output_free(&out);
  }
  feast_buf_free(&wire);
  feast_arena_free(r.arena);
  feast_free(req_text);
  feast_free(ctx_text);
}

static void aws_test_suite(void) {
  char root[1024];
  snprintf(root, sizeof root, "%s/tests/data/sigv4", test_repo_root());
  DIR *d = opendir(root);
  CHECK(d != NULL);
  if (!d) return;
  struct dirent *e;
  int dirs = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || strchr(e->d_name, '.')) continue;
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
    check_case(dir, e->d_name);
    dirs++;
  }
  closedir(d);
  /* Every one of the suite's 38 cases, both placements. */
  CHECK_INT(dirs, 38);
  CHECK_INT(cases_checked, 76);
}

static void uri_encoding(void) {
  feast_buf b;
  feast_buf_init(&b, FEAST_BUF_UNLIMITED);
  const char *s = "a b/c~d-e_f.g+h=i&j%k\xe1\x88\xb4";
  CHECK_OK(feast_uri_encode(&b, s, strlen(s), true, NULL), &(feast_error){0});
  CHECK_STR(feast_buf_cstr(&b, NULL), "a%20b/c~d-e_f.g%2Bh%3Di%26j%25k%E1%88%B4");
  feast_buf_reset(&b);
  feast_uri_encode(&b, s, strlen(s), false, NULL);
  CHECK_STR(feast_buf_cstr(&b, NULL), "a%20b%2Fc~d-e_f.g%2Bh%3Di%26j%25k%E1%88%B4");
  feast_buf_reset(&b);
  feast_uri_decode(&b, "%41%zz%4", 8, NULL);
  CHECK_STR(feast_buf_cstr(&b, NULL), "A%zz%4");
  feast_buf_free(&b);
}

static feast_aws_credentials example_creds(void) {
  feast_aws_credentials c = {0};
  snprintf(c.access_key_id, sizeof c.access_key_id, "AKIDEXAMPLE");
  snprintf(c.secret_access_key, sizeof c.secret_access_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  return c;
}

/* S3's rules: the key's encoding is signed as sent, never a second time,
 * and "//" and "." stay. Other services encode '%' again. */
static void s3_path_not_double_encoded(void) {
  feast_aws_credentials c = example_creds();
  feast_sigv4_input in = {.method = "GET", .host = "b.s3.amazonaws.com", .path = "/a%20b//./c"};
  feast_sigv4_options opt = {.region = "us-east-1", .service = "s3", .s3 = true, .content_sha256 = true,
                             .now = 1440938160};
  feast_sigv4_output out;
  feast_sigv4_output_init(&out);
  feast_error err;
  CHECK_OK(feast_sigv4_sign(NULL, &c, &opt, &in, &out, &err), &err);
  CHECK(strstr((const char *)out.canonical_request.data, "GET\n/a%20b//./c\n") != NULL);
  CHECK(strstr((const char *)out.canonical_request.data, "x-amz-content-sha256:e3b0c4") != NULL);
  CHECK(strstr((const char *)out.authorization.data, "SignedHeaders=host;x-amz-content-sha256;x-amz-date,") != NULL);
  opt.s3 = false;
  opt.service = "service";
  CHECK_OK(feast_sigv4_sign(NULL, &c, &opt, &in, &out, &err), &err);
  CHECK(strstr((const char *)out.canonical_request.data, "GET\n/a%2520b/c\n") != NULL);
  /* UNSIGNED-PAYLOAD is signed as the payload hash and sent as the header. */
  opt.s3 = true;
  in.payload_hash = "UNSIGNED-PAYLOAD";
  in.body = "x";
  in.body_len = 1;
  CHECK_OK(feast_sigv4_sign(NULL, &c, &opt, &in, &out, &err), &err);
  CHECK_STR(out.payload_hash, "UNSIGNED-PAYLOAD");
  const char *cr = (const char *)out.canonical_request.data;
  CHECK(strlen(cr) > 16 && strcmp(cr + strlen(cr) - 16, "UNSIGNED-PAYLOAD") == 0);
  feast_sigv4_output_free(&out);
}

static void key_cache_derives_once_a_scope(void) {
  feast_sigv4_key_cache cache;
  feast_sigv4_key_cache_init(&cache);
  feast_aws_credentials c = example_creds();
  feast_sigv4_input in = {.method = "GET", .host = "example.amazonaws.com", .path = "/"};
  feast_sigv4_options opt = {.region = "us-east-1", .service = "service", .now = 1440938160};
  feast_sigv4_output out, plain;
  feast_sigv4_output_init(&out);
  feast_sigv4_output_init(&plain);
  feast_error err;
  for (int i = 0; i < 5; i++) CHECK_OK(feast_sigv4_sign(&cache, &c, &opt, &in, &out, &err), &err);
  CHECK_INT(cache.derivations, 1);
  CHECK_OK(feast_sigv4_sign(NULL, &c, &opt, &in, &plain, &err), &err);
  CHECK_STR(out.signature, plain.signature); /* the cached key is the right one */
  CHECK_STR(out.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  opt.now += 86400; /* a new day: a new key */
  CHECK_OK(feast_sigv4_sign(&cache, &c, &opt, &in, &out, &err), &err);
  CHECK_INT(cache.derivations, 2);
  snprintf(c.secret_access_key, sizeof c.secret_access_key, "other"); /* rotated secret */
  CHECK_OK(feast_sigv4_sign(&cache, &c, &opt, &in, &out, &err), &err);
  CHECK_INT(cache.derivations, 3);
  feast_sigv4_output_free(&out);
  feast_sigv4_output_free(&plain);
  feast_sigv4_key_cache_destroy(&cache);
}

/* Threads signing through one key cache all get the same, right signature
 * (and ThreadSanitizer sees the cache and the sort under their locks). */
typedef struct sign_job {
  feast_sigv4_key_cache *cache;
  int mismatches;
} sign_job;

static void *sign_many(void *arg) {
  sign_job *job = arg;
  feast_aws_credentials c = example_creds();
  feast_sigv4_pair q[] = {{"b", "2"}, {"a", "1"}, {"c", "3"}};
  feast_sigv4_input in = {.method = "GET", .host = "example.amazonaws.com", .path = "/", .query = q, .n_query = 3};
  feast_sigv4_options opt = {.region = "us-east-1", .service = "service", .now = 1440938160};
  feast_sigv4_output out;
  feast_sigv4_output_init(&out);
  char first[65] = "";
  for (int i = 0; i < 300; i++) {
    feast_error err;
    if (feast_sigv4_sign(job->cache, &c, &opt, &in, &out, &err) != FEAST_OK) job->mismatches++;
    if (!first[0]) memcpy(first, out.signature, 65);
    if (strcmp(first, out.signature) != 0) job->mismatches++;
  }
  feast_sigv4_output_free(&out);
  return NULL;
}

static void threads_share_the_cache(void) {
  feast_sigv4_key_cache cache;
  feast_sigv4_key_cache_init(&cache);
  pthread_t t[4];
  sign_job jobs[4];
  for (int i = 0; i < 4; i++) {
    jobs[i] = (sign_job){&cache, 0};
    pthread_create(&t[i], NULL, sign_many, &jobs[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    CHECK_INT(jobs[i].mismatches, 0);
  }
  CHECK_INT(cache.derivations, 1);
  feast_sigv4_key_cache_destroy(&cache);
}

static void refuses_bad_input(void) {
  feast_aws_credentials c = example_creds();
  feast_sigv4_pair h[] = {{"Authorization", "x"}};
  feast_sigv4_input in = {.method = "GET", .host = "h", .path = "/", .headers = h, .n_headers = 1};
  feast_sigv4_options opt = {.region = "us-east-1", .service = "s3", .now = 1};
  feast_sigv4_output out;
  feast_sigv4_output_init(&out);
  feast_error err;
  CHECK_INT(feast_sigv4_sign(NULL, &c, &opt, &in, &out, &err), FEAST_E_INVALID);
  CHECK_CONTAINS(err.message, "Authorization");
  in.n_headers = 0;
  c.access_key_id[0] = '\0';
  CHECK_INT(feast_sigv4_sign(NULL, &c, &opt, &in, &out, &err), FEAST_E_INVALID);
  feast_sigv4_output_free(&out);
}

TEST_MAIN(T(aws_test_suite), T(uri_encoding), T(s3_path_not_double_encoded), T(key_cache_derives_once_a_scope),
          T(threads_share_the_cache), T(refuses_bad_input))
