/*
 * s3_file.c - an S3 object read by ranges (see s3_file.h). A single
 * read's answer is buffered and then copied to the caller's memory, so that
 * a ranged GET that fails half way is retried from its start by the HTTP
 * layer; a batch streams each answer straight into its destination and
 * sends a range that failed half way again itself.
 */
#include "cloud/aws/s3_file.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

struct feast_s3_file {
  feast_s3 *s3;
  char *url, *bucket, *key;
  char host[512];
  feast_buf path;
  int64_t size;
  atomic_uint_fast64_t gets, bytes;
};

feast_code feast_s3_file_open(feast_s3 *s3, const char *url, feast_s3_file **out, feast_error *err) {
  return feast_s3_file_open_sized(s3, url, -1, out, err);
}

feast_code feast_s3_file_open_sized(feast_s3 *s3, const char *url, int64_t size, feast_s3_file **out,
                                    feast_error *err) {
  *out = NULL;
  size_t n = strlen(url);
  feast_s3_file *f = feast_calloc(1, sizeof *f);
  char *bucket = feast_malloc(n + 1), *key = feast_malloc(n + 1);
  if (!f || !bucket || !key) {
    feast_free(f);
    feast_free(bucket);
    feast_free(key);
    return feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", url);
  }
  f->s3 = s3;
  f->bucket = bucket;
  f->key = key;
  feast_buf_init(&f->path, 1 << 16);
  f->url = feast_strdup(url);
  feast_code rc = f->url ? feast_s3_parse_url(url, bucket, n + 1, key, n + 1, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc && !*key) rc = feast_fail(err, FEAST_E_INVALID, "%s: names a bucket, not an object", url);
  if (!rc) rc = feast_s3_address(s3, bucket, key, f->host, sizeof f->host, &f->path, err);
  feast_s3_object_info info = {.size = size};
  if (!rc && size < 0) rc = feast_s3_head(s3, bucket, key, &info, err);
  if (rc) {
    feast_s3_file_close(f);
    return rc;
  }
  f->size = info.size;
  *out = f;
  return FEAST_OK;
}

void feast_s3_file_close(feast_s3_file *f) {
  if (!f) return;
  feast_buf_free(&f->path);
  feast_free(f->url);
  feast_free(f->bucket);
  feast_free(f->key);
  feast_free(f);
}

int64_t feast_s3_file_size(const feast_s3_file *f) { return f->size; }
const char *feast_s3_file_url(const feast_s3_file *f) { return f->url; }
uint64_t feast_s3_file_get_count(const feast_s3_file *f) { return atomic_load(&((feast_s3_file *)f)->gets); }
uint64_t feast_s3_file_bytes_read(const feast_s3_file *f) { return atomic_load(&((feast_s3_file *)f)->bytes); }

static feast_code check_range(const feast_s3_file *f, int64_t offset, size_t len, feast_error *err) {
  if (offset < 0 || (uint64_t)offset > (uint64_t)f->size || len > (uint64_t)(f->size - offset))
    return feast_fail(err, FEAST_E_INVALID, "%s: bytes %lld..%lld are outside the object's %lld bytes", f->url,
                      (long long)offset, (long long)offset + (long long)len, (long long)f->size);
  return FEAST_OK;
}

static void range_call(feast_s3_file *f, feast_aws_call *call, int64_t offset, size_t len) {
  feast_aws_call_init(call, "GetObject", "GET");
  call->host = f->host;
  call->path = (const char *)f->path.data;
  call->resource = f->url;
  call->range_first = offset;
  call->range_last = offset + (int64_t)len - 1;
}

static feast_code take_body(feast_s3_file *f, const feast_http_response *resp, int64_t offset, size_t len, void *dst,
                            feast_error *err) {
  atomic_fetch_add(&f->gets, 1);
  atomic_fetch_add(&f->bytes, resp->body.len);
  if (resp->body.len != len)
    return feast_fail_retriable(err, FEAST_E_CORRUPT, "AWS s3 GetObject %s: bytes %lld..%lld: got %zu bytes, not %zu",
                                f->url, (long long)offset, (long long)offset + (long long)len, resp->body.len, len);
  memcpy(dst, resp->body.data, len);
  return FEAST_OK;
}

feast_code feast_s3_file_read(feast_s3_file *f, int64_t offset, size_t len, void *dst, feast_error *err) {
  feast_code rc = check_range(f, offset, len, err);
  if (rc || len == 0) return rc;
  feast_aws_call call;
  range_call(f, &call, offset, len);
  feast_http_response resp;
  feast_http_response_init(&resp);
  rc = feast_aws_send(feast_s3_client(f->s3), &call, &resp, err);
  if (!rc) rc = take_body(f, &resp, offset, len, dst, err);
  feast_http_response_free(&resp);
  return rc;
}

/* A batched range is streamed straight into the caller's memory (no
 * buffered copy of its body); a GET that fails after some bytes arrived is
 * sent again from its start (the bytes land at the same place), up to
 * MANY_ROUNDS times in all. */
#define MANY_ROUNDS 3

typedef struct sink {
  uint8_t *dst;
  size_t len, at;
} sink;

static feast_code sink_write(void *ctx, const uint8_t *p, size_t n, feast_error *err) {
  sink *k = ctx;
  if (n > k->len - k->at) return feast_fail(err, FEAST_E_CORRUPT, "more bytes than the range asked for");
  memcpy(k->dst + k->at, p, n);
  k->at += n;
  return FEAST_OK;
}

feast_code feast_s3_file_read_many(feast_s3_file *f, const feast_s3_range *ranges, size_t n, int max_in_flight,
                                   feast_error *err) {
  size_t live = 0;
  for (size_t i = 0; i < n; i++) {
    feast_code rc = check_range(f, ranges[i].offset, ranges[i].len, err);
    if (rc) return rc;
    if (ranges[i].len) live++;
  }
  if (live == 0) return FEAST_OK;
  feast_aws_call *calls = feast_calloc(live, sizeof *calls);
  feast_http_response *resps = feast_calloc(live, sizeof *resps);
  size_t *which = feast_calloc(live, sizeof *which);
  sink *sinks = feast_calloc(live, sizeof *sinks);
  feast_code *codes = feast_calloc(live, sizeof *codes);
  feast_error *errs = feast_calloc(live, sizeof *errs);
  feast_code rc = FEAST_OK;
  if (!calls || !resps || !which || !sinks || !codes || !errs) {
    rc = feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", f->url);
  } else {
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
      if (!ranges[i].len) continue;
      which[j] = i;
      feast_http_response_init(&resps[j]);
      sinks[j] = (sink){ranges[i].dst, ranges[i].len, 0};
      j++;
    }
    /* Each round sends the ranges not yet complete (all of them at first). */
    size_t todo = live;
    size_t *pending = feast_calloc(live, sizeof *pending), *idx = feast_calloc(live, sizeof *idx);
    if (!pending || !idx) rc = feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", f->url);
    for (size_t k = 0; !rc && k < live; k++) pending[k] = k;
    for (int round = 0; !rc && todo && round < MANY_ROUNDS; round++) {
      for (size_t t = 0; t < todo; t++) {
        size_t k = pending[t];
        const feast_s3_range *r = &ranges[which[k]];
        sinks[k].at = 0;
        range_call(f, &calls[t], r->offset, r->len);
        calls[t].on_body = sink_write;
        calls[t].body_ctx = &sinks[k];
        idx[t] = k;
      }
      feast_code all = feast_aws_send_many(feast_s3_client(f->s3), calls, resps, todo, max_in_flight, codes, errs, err);
      (void)all;
      size_t again = 0;
      for (size_t t = 0; t < todo; t++) {
        size_t k = idx[t];
        const feast_s3_range *r = &ranges[which[k]];
        feast_code c = codes[t];
        if (!c) {
          atomic_fetch_add(&f->gets, 1);
          atomic_fetch_add(&f->bytes, sinks[k].at);
          if (sinks[k].at != r->len)
            c = feast_fail_retriable(&errs[t], FEAST_E_CORRUPT,
                                     "AWS s3 GetObject %s: bytes %lld..%lld: got %zu bytes, not %zu", f->url,
                                     (long long)r->offset, (long long)r->offset + (long long)r->len, sinks[k].at,
                                     r->len);
        }
        if (!c) continue;
        if (errs[t].retriable && round + 1 < MANY_ROUNDS) {
          pending[again++] = k;
        } else if (!rc) {
          rc = c;
          *err = errs[t];
        }
      }
      todo = again;
    }
    feast_free(pending);
    feast_free(idx);
    for (size_t k = 0; k < live; k++) feast_http_response_free(&resps[k]);
  }
  feast_free(calls);
  feast_free(resps);
  feast_free(which);
  feast_free(sinks);
  feast_free(codes);
  feast_free(errs);
  return rc;
}
