/*
 * s3_source.h - s3:// file sources: the process's S3 client (made once
 * from the aws: settings, shared by every read), the feast_parquet_fs that
 * lists and opens objects for the Parquet dataset reader, and whole-file
 * uploads for pushes to the offline store.
 */
#ifndef FEAST_SOURCE_S3_SOURCE_H
#define FEAST_SOURCE_S3_SOURCE_H

#include "feast/aws.h"
#include "feast/parquet.h"

/* Upload the local file `path` as the object `url` (s3://bucket/key):
 * one PUT up to 16 MiB, multipart above. */
feast_code feast_s3_put_file(const char *url, const char *path, feast_error *err);

#endif
