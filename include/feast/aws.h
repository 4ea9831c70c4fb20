/*
 * aws.h - the process's AWS settings (the `aws:` section of
 * feature_store.yaml) for s3:// file sources and the Kinesis source, and
 * the S3 request counters that show what a read fetched.
 *
 * Threads: the settings are per process (the last configuration given wins
 * for clients made afterwards); the counters may be read at any time.
 */
#ifndef FEAST_AWS_H
#define FEAST_AWS_H

#include <stdbool.h>
#include <stdint.h>

#include "feast/config.h"
#include "feast/error.h"
#include "feast/export.h"
#include "feast/parquet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Use cfg's aws: section (NULL or no section: the environment and the
 * shared files decide). feast_store_open does this itself. */
FEAST_API feast_code feast_aws_configure(const feast_config *cfg, feast_error *err);

/* True for "s3://bucket..." */
FEAST_API bool feast_s3_is_url(const char *s);

/* The dataset reader's view of S3, for feast_parquet_dataset_options.fs
 * (the file connector sets it itself for s3:// sources). */
FEAST_API const feast_parquet_fs *feast_s3_parquet_fs(void);

typedef struct feast_s3_stats {
  uint64_t files;      /* objects opened for reading */
  uint64_t lists;      /* ListObjectsV2 pages */
  uint64_t heads;      /* HeadObject calls */
  uint64_t gets;       /* ranged GETs of object bytes */
  uint64_t get_bytes;  /* bytes those GETs returned */
  uint64_t puts;       /* objects written (single PUT or multipart) */
  uint64_t put_bytes;
} feast_s3_stats;

/* Counters since the process started (files count once they are closed). */
FEAST_API void feast_s3_stats_get(feast_s3_stats *out);

#ifdef __cplusplus
}
#endif

#endif
