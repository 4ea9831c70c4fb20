/*
 * s3_file.h - an S3 object as a random-access file for readers that fetch
 * only the bytes they need (the Parquet footer, then chosen column chunks):
 * its size (one HeadObject at open), read(offset, len) as one ranged GET,
 * and a batch of ranges fetched several at a time through curl multi.
 * Every GET is counted, so a test can prove what was never fetched.
 * Thread-safe: reads may come from several threads at once.
 */
#ifndef FEAST_CLOUD_AWS_S3_FILE_H
#define FEAST_CLOUD_AWS_S3_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "cloud/aws/s3.h"

typedef struct feast_s3_file feast_s3_file;

/* Open s3://bucket/key through `s3` (borrowed: it must outlive the file). */
feast_code feast_s3_file_open(feast_s3 *s3, const char *url, feast_s3_file **out, feast_error *err);
/* The same with the size already known (from a listing): no HeadObject.
 * size < 0 asks the server. */
feast_code feast_s3_file_open_sized(feast_s3 *s3, const char *url, int64_t size, feast_s3_file **out,
                                    feast_error *err);
void feast_s3_file_close(feast_s3_file *f); /* accepts NULL */

int64_t feast_s3_file_size(const feast_s3_file *f);
const char *feast_s3_file_url(const feast_s3_file *f);

/* Exactly len bytes at offset into dst; a range past the end of the object
 * is FEAST_E_INVALID (the size is known). */
feast_code feast_s3_file_read(feast_s3_file *f, int64_t offset, size_t len, void *dst, feast_error *err);

typedef struct feast_s3_range {
  int64_t offset;
  size_t len;
  void *dst; /* len bytes */
} feast_s3_range;

/* Every range, up to max_in_flight GETs at once (0 = 8). */
feast_code feast_s3_file_read_many(feast_s3_file *f, const feast_s3_range *ranges, size_t n, int max_in_flight,
                                   feast_error *err);

/* GET requests this file has sent (the HEAD at open not counted). */
uint64_t feast_s3_file_get_count(const feast_s3_file *f);
/* Bytes those GETs returned. */
uint64_t feast_s3_file_bytes_read(const feast_s3_file *f);

#endif
