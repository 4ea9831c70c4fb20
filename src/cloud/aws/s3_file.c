/*
 * s3_file.c - an S3 object read by ranges (see s3_file.h). Each range's
 * answer is buffered and then copied to the caller's memory, so that a
 * ranged GET that fails half way can be retried from its start.
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
  feast_code rc = FEAST_OK;
  if (!calls || !resps || !which) {
    rc = feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", f->url);
  } else {
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
      if (!ranges[i].len) continue;
      range_call(f, &calls[j], ranges[i].offset, ranges[i].len);
      feast_http_response_init(&resps[j]);
      which[j++] = i;
    }
    rc = feast_aws_send_many(feast_s3_client(f->s3), calls, resps, live, max_in_flight, NULL, NULL, err);
    for (size_t k = 0; k < live && !rc; k++) {
      const feast_s3_range *r = &ranges[which[k]];
      rc = take_body(f, &resps[k], r->offset, r->len, r->dst, err);
    }
    for (size_t k = 0; k < live; k++) feast_http_response_free(&resps[k]);
  }
  feast_free(calls);
  feast_free(resps);
  feast_free(which);
  return rc;
}
