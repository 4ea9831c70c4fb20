/*
 * aws_tool.c - a test-only command line over the AWS plumbing, so the
 * Python integration tests can drive the C code against real servers and
 * stand-ins:
 *
 *   aws_tool sign < request.json            SigV4 of a described request (JSON out)
 *   aws_tool [opts] http METHOD URL [BODY]  one HTTP call with retries
 *   aws_tool [opts] creds [N [SLEEP_MS]]    resolve credentials N times
 *   aws_tool [opts] s3 head|get|put|put-multipart|list|read-many|delete ...
 *   aws_tool [opts] kinesis OP JSON [RESOURCE]
 *
 * opts: --region R --endpoint URL --access-key K --secret-key S --token T
 *       --attempts N --timeout-ms N --connect-timeout-ms N --base-ms N --max-ms N
 *       --refresh-before-s N
 * Results go to stdout as key=value lines (sign: JSON); a failure prints
 * "error <code name> retriable=<0|1>: <message>" to stderr and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "cloud/aws/aws_creds.h"
#include "cloud/aws/kinesis_api.h"
#include "cloud/aws/s3.h"
#include "cloud/aws/s3_file.h"
#include "cloud/aws/s3_multipart.h"
#include "cloud/aws/sigv4.h"
#include "format/json/json_reader.h"
#include "format/json/json_writer.h"
#include "net/http.h"

static int fail(feast_code rc, const feast_error *err) {
  fprintf(stderr, "error %s retriable=%d: %s\n", feast_strerror(rc), err->retriable, err->message);
  return 1;
}

static char *read_all(FILE *f, size_t *len) {
  feast_buf b;
  feast_buf_init(&b, FEAST_BUF_UNLIMITED);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) feast_buf_append(&b, chunk, n, NULL);
  feast_buf_cstr(&b, NULL);
  return (char *)feast_buf_detach(&b, len);
}

static char *read_path(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *s = read_all(f, len);
  fclose(f);
  return s;
}

/* ---- sign ---- */

static const char *str_of(const feast_json_value *o, const char *k) {
  const char *s = feast_json_string_of(feast_json_get(o, k));
  return s;
}

static size_t pairs_of(const feast_json_value *arr, feast_sigv4_pair *out, size_t cap) {
  size_t n = 0;
  if (!arr || arr->kind != FEAST_JSON_ARRAY) return 0;
  for (size_t i = 0; i < arr->len && n < cap; i++) {
    const feast_json_value *p = &arr->items[i];
    if (p->kind != FEAST_JSON_ARRAY || p->len != 2) continue;
    out[n].name = feast_json_string_of(&p->items[0]);
    out[n].value = feast_json_string_of(&p->items[1]);
    n++;
  }
  return n;
}

static int cmd_sign(void) {
  size_t len;
  char *text = read_all(stdin, &len);
  feast_arena *a = feast_arena_new(0);
  const feast_json_value *r;
  feast_error err;
  feast_code rc = feast_json_parse(text, len, "sign request", NULL, a, &r, &err);
  if (rc) return fail(rc, &err);
  feast_aws_credentials creds = {0};
  snprintf(creds.access_key_id, sizeof creds.access_key_id, "%s", str_of(r, "access_key"));
  snprintf(creds.secret_access_key, sizeof creds.secret_access_key, "%s", str_of(r, "secret_key"));
  if (str_of(r, "token")) snprintf(creds.session_token, sizeof creds.session_token, "%s", str_of(r, "token"));
  feast_sigv4_pair q[256], h[64];
  const feast_json_value *body = feast_json_get(r, "body");
  feast_sigv4_input in = {.method = str_of(r, "method"), .host = str_of(r, "host"), .path = str_of(r, "path"),
                          .query = q, .n_query = pairs_of(feast_json_get(r, "query"), q, 256), .headers = h,
                          .n_headers = pairs_of(feast_json_get(r, "headers"), h, 64),
                          .body = body ? body->str : NULL, .body_len = body ? body->len : 0,
                          .payload_hash = str_of(r, "payload_hash")};
  const feast_json_value *s3 = feast_json_get(r, "s3"), *now = feast_json_get(r, "now");
  const feast_json_value *presign = feast_json_get(r, "presign"), *expires = feast_json_get(r, "expires");
  bool is_s3 = s3 && s3->kind == FEAST_JSON_TRUE, is_presign = presign && presign->kind == FEAST_JSON_TRUE;
  feast_sigv4_options opt = {.region = str_of(r, "region"), .service = str_of(r, "service"), .s3 = is_s3,
                             .content_sha256 = is_s3 && !is_presign, .presign = is_presign,
                             .expires = expires ? atoll(expires->str) : 0, .now = now ? atoll(now->str) : 0};
  feast_sigv4_output out;
  feast_sigv4_output_init(&out);
  rc = feast_sigv4_sign(NULL, &creds, &opt, &in, &out, &err);
  if (rc) return fail(rc, &err);
  feast_buf o;
  feast_buf_init(&o, FEAST_BUF_UNLIMITED);
  feast_json_writer w;
  feast_jw_init(&w, &o, FEAST_JSON_UTF8_REPLACE, &err);
  feast_jw_object(&w);
  feast_jw_key(&w, "canonical_request");
  feast_jw_string_n(&w, (const char *)out.canonical_request.data, out.canonical_request.len);
  feast_jw_key(&w, "string_to_sign");
  feast_jw_string_n(&w, (const char *)out.string_to_sign.data, out.string_to_sign.len);
  feast_jw_key(&w, "authorization");
  feast_jw_string_n(&w, (const char *)out.authorization.data, out.authorization.len);
  feast_jw_key(&w, "amz_date");
  feast_jw_string(&w, out.amz_date);
  feast_jw_key(&w, "query");
  feast_jw_string_n(&w, (const char *)out.query.data, out.query.len);
  feast_jw_key(&w, "payload_hash");
  feast_jw_string(&w, out.payload_hash);
  feast_jw_object_end(&w);
  if ((rc = feast_jw_finish(&w))) return fail(rc, &err);
  fwrite(o.data, 1, o.len, stdout);
  putchar('\n');
  feast_buf_free(&o);
  feast_sigv4_output_free(&out);
  feast_arena_free(a);
  feast_free(text);
  return 0;
}

/* ---- options ---- */

typedef struct opts {
  bool stream;
  feast_aws_settings s;
  feast_http_options http;
  feast_aws_creds_options creds;
} opts;

static int parse_opts(int argc, char **argv, opts *o) {
  int i = 1;
  memset(o, 0, sizeof *o);
  for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
    const char *k = argv[i] + 2, *v = argv[i + 1];
    if (!strcmp(k, "region")) o->s.region = v;
    else if (!strcmp(k, "endpoint")) o->s.endpoint_url = v;
    else if (!strcmp(k, "profile")) o->s.profile = v;
    else if (!strcmp(k, "access-key")) o->s.access_key_id = v;
    else if (!strcmp(k, "secret-key")) o->s.secret_access_key = v;
    else if (!strcmp(k, "token")) o->s.session_token = v;
    else if (!strcmp(k, "attempts")) o->s.max_attempts = o->http.max_attempts = atoi(v);
    else if (!strcmp(k, "timeout-ms")) o->s.timeout_ms = o->http.timeout_ms = atol(v);
    else if (!strcmp(k, "connect-timeout-ms")) o->s.connect_timeout_ms = o->http.connect_timeout_ms = atol(v);
    else if (!strcmp(k, "base-ms")) o->http.backoff_base_ms = atol(v);
    else if (!strcmp(k, "max-ms")) o->http.backoff_max_ms = atol(v);
    else if (!strcmp(k, "max-body")) o->http.max_response_body = (size_t)atoll(v);
    else if (!strcmp(k, "refresh-before-s")) o->creds.refresh_before_s = atol(v);
    else if (!strcmp(k, "stream")) o->stream = atoi(v) != 0;
    else if (!strcmp(k, "max-request")) o->http.max_request_body = (size_t)atoll(v);
    else {
      fprintf(stderr, "unknown option --%s\n", k);
      exit(2);
    }
  }
  return i;
}

/* ---- http ---- */

typedef struct stream_sink {
  uint64_t bytes, calls, checksum; /* a checksum so the test can compare content */
} stream_sink;

static feast_code on_stream(void *ctx, const uint8_t *p, size_t n, feast_error *err) {
  (void)err;
  stream_sink *s = ctx;
  for (size_t i = 0; i < n; i++) s->checksum = s->checksum * 31 + p[i];
  s->bytes += n;
  s->calls++;
  return FEAST_OK;
}

static int cmd_http(opts *o, int argc, char **argv) {
  if (argc < 2) return 2;
  feast_error err;
  feast_http_client *c = feast_http_client_new(&o->http, &err);
  if (!c) return fail(err.code, &err);
  feast_http_request req;
  feast_http_request_init(&req, argv[0], argv[1]);
  size_t body_len = 0;
  char *body = argc >= 3 ? read_path(argv[2], &body_len) : NULL;
  req.body = body;
  req.body_len = body_len;
  stream_sink sink = {0};
  if (o->stream) {
    req.on_body = on_stream;
    req.body_ctx = &sink;
  }
  feast_http_response resp;
  feast_http_response_init(&resp);
  feast_code rc = feast_http_send(c, &req, &resp, &err);
  printf("status=%ld\nattempts=%d\nrequests=%llu\n", resp.status, resp.attempts,
         (unsigned long long)feast_http_client_requests(c));
  printf("backoff_ms=");
  for (int i = 0; i + 1 < resp.attempts && i < 16; i++) printf("%s%ld", i ? "," : "", resp.backoff_ms[i]);
  printf("\nbody=%.*s\n", (int)resp.body.len, resp.body.data ? (const char *)resp.body.data : "");
  printf("streamed=%llu\nstream_checksum=%llu\n", (unsigned long long)sink.bytes, (unsigned long long)sink.checksum);
  feast_http_response_free(&resp);
  feast_http_client_free(c);
  feast_free(body);
  return rc ? fail(rc, &err) : 0;
}

/* ---- creds ---- */

static int cmd_creds(opts *o, int argc, char **argv) {
  int repeat = argc > 0 ? atoi(argv[0]) : 1;
  long sleep_ms = argc > 1 ? atol(argv[1]) : 0;
  feast_error err;
  feast_aws_creds *c = feast_aws_creds_new(&o->s, &o->creds, &err);
  if (!c) return fail(err.code, &err);
  feast_code rc = FEAST_OK;
  for (int i = 0; i < repeat && !rc; i++) {
    if (i && sleep_ms) usleep((useconds_t)sleep_ms * 1000);
    feast_aws_credentials cr;
    rc = feast_aws_creds_get(c, &cr, &err);
    if (!rc)
      printf("source=%s\naccess_key_id=%s\nsecret=%s\ntoken=%s\nexpires_at=%lld\n", cr.source, cr.access_key_id,
             cr.secret_access_key, cr.session_token, (long long)cr.expires_at);
  }
  printf("fetches=%ld\n", feast_aws_creds_fetches(c));
  feast_aws_creds_free(c);
  return rc ? fail(rc, &err) : 0;
}

/* ---- s3 ---- */

typedef struct list_ctx {
  long n;
} list_ctx;

static feast_code print_entry(void *ctx, const feast_s3_entry *e, feast_error *err) {
  (void)err;
  ((list_ctx *)ctx)->n++;
  if (e->size < 0) printf("prefix=%s\n", e->key);
  else printf("key=%s size=%lld\n", e->key, (long long)e->size);
  return FEAST_OK;
}

static int write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return 1;
  fwrite(p, 1, n, f);
  fclose(f);
  return 0;
}

static int cmd_s3(opts *o, int argc, char **argv) {
  if (argc < 2) return 2;
  const char *sub = argv[0], *url = argv[1];
  feast_error err;
  feast_s3 *s3 = feast_s3_new(&o->s, NULL, NULL, &err);
  if (!s3) return fail(err.code, &err);
  char bucket[256], key[2048];
  feast_code rc = feast_s3_parse_url(url, bucket, sizeof bucket, key, sizeof key, &err);
  if (!rc && !strcmp(sub, "head")) {
    feast_s3_object_info info;
    rc = feast_s3_head(s3, bucket, key, &info, &err);
    if (!rc) printf("size=%lld\netag=%s\n", (long long)info.size, info.etag);
  } else if (!rc && !strcmp(sub, "get") && argc >= 3) {
    feast_buf b;
    feast_buf_init(&b, FEAST_BUF_UNLIMITED);
    int64_t off = argc >= 5 ? atoll(argv[3]) : 0, len = argc >= 5 ? atoll(argv[4]) : -1;
    rc = feast_s3_get(s3, bucket, key, off, len, &b, &err);
    if (!rc) write_file(argv[2], b.data ? (const void *)b.data : "", b.len);
    if (!rc) printf("bytes=%zu\n", b.len);
    feast_buf_free(&b);
  } else if (!rc && (!strcmp(sub, "put") || !strcmp(sub, "put-multipart")) && argc >= 3) {
    size_t n;
    char *data = read_path(argv[2], &n);
    if (!data) {
      fprintf(stderr, "cannot read %s\n", argv[2]);
      return 1;
    }
    if (!strcmp(sub, "put")) {
      rc = feast_s3_put(s3, bucket, key, data, n, &err);
    } else {
      feast_s3_upload_options uo = {.part_size = argc >= 4 ? (size_t)atoll(argv[3]) : 0,
                                    .max_in_flight = argc >= 5 ? atoi(argv[4]) : 0};
      int parts = 0;
      rc = feast_s3_put_multipart(s3, bucket, key, data, n, &uo, &parts, &err);
      if (!rc) printf("parts=%d\n", parts);
    }
    feast_free(data);
  } else if (!rc && !strcmp(sub, "list")) {
    list_ctx lc = {0};
    long pages = 0;
    rc = feast_s3_list(s3, bucket, key, argc >= 3 && *argv[2] ? argv[2] : NULL, argc >= 4 ? atoi(argv[3]) : 0,
                       print_entry, &lc, &pages, &err);
    printf("pages=%ld\nentries=%ld\n", pages, lc.n);
  } else if (!rc && !strcmp(sub, "delete")) {
    rc = feast_s3_delete(s3, bucket, key, &err);
  } else if (!rc && !strcmp(sub, "read-many") && argc >= 4) {
    /* read-many URL OUT off:len,off:len,... [in_flight]: ranges written one after another */
    feast_s3_file *f;
    rc = feast_s3_file_open(s3, url, &f, &err);
    if (!rc) {
      feast_s3_range r[1024];
      size_t n = 0, total = 0;
      for (char *p = argv[3]; *p && n < 1024;) {
        r[n].offset = strtoll(p, &p, 10);
        p++;
        r[n].len = (size_t)strtoull(p, &p, 10);
        total += r[n].len;
        n++;
        if (*p == ',') p++;
      }
      char *dst = feast_malloc(total ? total : 1);
      size_t at = 0;
      for (size_t i = 0; i < n; i++) {
        r[i].dst = dst + at;
        at += r[i].len;
      }
      uint64_t before = feast_aws_client_requests(feast_s3_client(s3));
      rc = n == 1 ? feast_s3_file_read(f, r[0].offset, r[0].len, r[0].dst, &err)
                  : feast_s3_file_read_many(f, r, n, argc >= 5 ? atoi(argv[4]) : 0, &err);
      if (!rc) write_file(argv[2], dst, total);
      printf("size=%lld\ngets=%llu\nbytes=%llu\nhttp_requests=%llu\n", (long long)feast_s3_file_size(f),
             (unsigned long long)feast_s3_file_get_count(f), (unsigned long long)feast_s3_file_bytes_read(f),
             (unsigned long long)(feast_aws_client_requests(feast_s3_client(s3)) - before));
      feast_free(dst);
      feast_s3_file_close(f);
    }
  } else if (!rc) {
    fprintf(stderr, "unknown s3 command %s\n", sub);
    return 2;
  }
  printf("key_derivations=%ld\n", feast_aws_client_key_derivations(feast_s3_client(s3)));
  feast_s3_free(s3);
  return rc ? fail(rc, &err) : 0;
}

/* ---- kinesis ---- */

static int cmd_kinesis(opts *o, int argc, char **argv) {
  if (argc < 2) return 2;
  feast_error err;
  feast_aws_client *c = feast_kinesis_client_new(&o->s, NULL, NULL, &err);
  if (!c) return fail(err.code, &err);
  feast_buf out;
  feast_buf_init(&out, FEAST_BUF_UNLIMITED);
  feast_code rc = feast_kinesis_call(c, argv[0], argv[1], strlen(argv[1]), argc >= 3 ? argv[2] : NULL, &out, &err);
  if (!rc) printf("%.*s\n", (int)out.len, out.data ? (const char *)out.data : "");
  feast_buf_free(&out);
  feast_aws_client_free(c);
  return rc ? fail(rc, &err) : 0;
}

int main(int argc, char **argv) {
  opts o;
  int i = parse_opts(argc, argv, &o);
  if (i >= argc) {
    fprintf(stderr, "usage: aws_tool [opts] sign|http|creds|s3|kinesis ...\n");
    return 2;
  }
  const char *cmd = argv[i];
  int rest = argc - i - 1;
  char **args = argv + i + 1;
  if (!strcmp(cmd, "sign")) return cmd_sign();
  if (!strcmp(cmd, "http")) return cmd_http(&o, rest, args);
  if (!strcmp(cmd, "creds")) return cmd_creds(&o, rest, args);
  if (!strcmp(cmd, "s3")) return cmd_s3(&o, rest, args);
  if (!strcmp(cmd, "kinesis")) return cmd_kinesis(&o, rest, args);
  fprintf(stderr, "unknown command %s\n", cmd);
  return 2;
}
