/*
 * s3_multipart.h - multipart upload for large objects: CreateMultipartUpload,
 * the parts uploaded several at a time (curl multi), then
 * CompleteMultipartUpload; on any failure the upload is aborted so that no
 * orphaned parts are left to be billed.
 */
#ifndef FEAST_CLOUD_AWS_S3_MULTIPART_H
#define FEAST_CLOUD_AWS_S3_MULTIPART_H

#include <stddef.h>

#include "cloud/aws/s3.h"

#define FEAST_S3_MIN_PART ((size_t)5 << 20) /* S3's floor for every part but the last */
#define FEAST_S3_MAX_PARTS 10000

typedef struct feast_s3_upload_options {
  size_t part_size;  /* 0 = 8 MiB; raised so that the object fits in 10,000 parts */
  int max_in_flight; /* parts uploaded at once; 0 = 4 */
} feast_s3_upload_options;

/* Upload data[0..n) as bucket/key in parts. `opt` may be NULL. *parts (may
 * be NULL) gets the number of parts. */
feast_code feast_s3_put_multipart(feast_s3 *s3, const char *bucket, const char *key, const void *data, size_t n,
                                  const feast_s3_upload_options *opt, int *parts, feast_error *err);

/* PutObject for objects up to `threshold` bytes (0 = 16 MiB), multipart above. */
feast_code feast_s3_upload(feast_s3 *s3, const char *bucket, const char *key, const void *data, size_t n,
                           size_t threshold, const feast_s3_upload_options *opt, feast_error *err);

#endif
