/*
 * s3.h - the S3 object client: HeadObject, GetObject (whole or a byte
 * range), PutObject, DeleteObject and ListObjectsV2 (paged, prefix,
 * delimiter). Multipart upload is in s3_multipart.h, the random-access
 * remote file the Parquet reader reads through in s3_file.h.
 *
 * Addressing: virtual-host style (bucket.s3.region.amazonaws.com) on AWS's
 * endpoints, path-style (endpoint/bucket/key) when the endpoint is
 * overridden (moto, S3-compatible stores), unless aws.s3_addressing says
 * otherwise. Every message names the object as s3://bucket/key.
 */
#ifndef FEAST_CLOUD_AWS_S3_H
#define FEAST_CLOUD_AWS_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "cloud/aws/aws_client.h"

typedef struct feast_s3 feast_s3;

/* `region` may be NULL (settings and environment decide); `creds` is
 * borrowed, NULL makes one from `s`. */
feast_s3 *feast_s3_new(const feast_aws_settings *s, const char *region, feast_aws_creds *creds, feast_error *err);
void feast_s3_free(feast_s3 *s3); /* accepts NULL */
feast_aws_client *feast_s3_client(feast_s3 *s3);

/* Split "s3://bucket/key" into bucket[bcap] and key[kcap] (key may be "").
 * FEAST_E_INVALID when it is not such a URL. */
feast_code feast_s3_parse_url(const char *url, char *bucket, size_t bcap, char *key, size_t kcap, feast_error *err);

/* The host and encoded path of bucket/key (key may be NULL for the bucket
 * itself), into host[hcap] and path (reset first). */
feast_code feast_s3_address(feast_s3 *s3, const char *bucket, const char *key, char *host, size_t hcap,
                            feast_buf *path, feast_error *err);

typedef struct feast_s3_object_info {
  int64_t size;
  char etag[128];
  char last_modified[64]; /* as the server wrote it */
} feast_s3_object_info;

feast_code feast_s3_head(feast_s3 *s3, const char *bucket, const char *key, feast_s3_object_info *out,
                         feast_error *err);

/* The whole object (len < 0) or bytes [offset, offset + len), appended to
 * `out` (its cap applies). A range past the end is cut at the end. */
feast_code feast_s3_get(feast_s3 *s3, const char *bucket, const char *key, int64_t offset, int64_t len,
                        feast_buf *out, feast_error *err);

feast_code feast_s3_put(feast_s3 *s3, const char *bucket, const char *key, const void *data, size_t n,
                        feast_error *err);
feast_code feast_s3_delete(feast_s3 *s3, const char *bucket, const char *key, feast_error *err);

typedef struct feast_s3_entry {
  const char *key;
  int64_t size;
  const char *etag;
  const char *last_modified;
} feast_s3_entry;

typedef struct feast_s3_list_page {
  feast_s3_entry *entries; /* in the page's arena */
  size_t n_entries;
  const char **prefixes; /* CommonPrefixes, with a delimiter */
  size_t n_prefixes;
  bool truncated;
  const char *next_token; /* for the next page, when truncated */
} feast_s3_list_page;

/* One page of ListObjectsV2. prefix, delimiter and token may be NULL;
 * max_keys 0 = the server's default (1000). The page's strings live in
 * `arena` until it is reset or freed. */
feast_code feast_s3_list_page_get(feast_s3 *s3, const char *bucket, const char *prefix, const char *delimiter,
                                  const char *token, int max_keys, feast_arena *arena, feast_s3_list_page *page,
                                  feast_error *err);

/* Every page in turn: `fn` sees each entry (and each common prefix as an
 * entry with size -1); a non-OK return from fn stops the listing with it. */
typedef feast_code (*feast_s3_list_fn)(void *ctx, const feast_s3_entry *e, feast_error *err);
feast_code feast_s3_list(feast_s3 *s3, const char *bucket, const char *prefix, const char *delimiter, int page_size,
                         feast_s3_list_fn fn, void *ctx, long *pages, feast_error *err);

#endif
