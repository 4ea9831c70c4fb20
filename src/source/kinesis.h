/*
 * kinesis.h - what the Kinesis connector (kinesis.c) shares with its tests
 * and fuzz targets: the decoding of records' Data, and the de-aggregation
 * of records the Kinesis Producer Library aggregated (kinesis_kpl.c).
 */
#ifndef FEAST_SOURCE_KINESIS_H
#define FEAST_SOURCE_KINESIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "feast/error.h"

/* Standard base64 (padding optional) into out, which has room for
 * len / 4 * 3 + 3 bytes; the bytes written, or -1 on a bad character. */
ssize_t feast_kinesis_base64_decode(const char *in, size_t len, uint8_t *out);

/* The KPL's aggregation format: the magic F3 89 9A C2, a protobuf
 * AggregatedRecord {repeated string partition_key_table = 1; repeated
 * string explicit_hash_key_table = 2; repeated Record records = 3;} with
 * Record {uint64 partition_key_index = 1; uint64 explicit_hash_key_index =
 * 2; bytes data = 3; repeated Tag tags = 4;}, then the MD5 of the protobuf
 * bytes. */
#define FEAST_KPL_MAGIC "\xF3\x89\x9A\xC2"

/* One user record: data[0..len) points into the aggregated record. */
typedef feast_code (*feast_kpl_record_fn)(void *ctx, const uint8_t *data, size_t len, feast_error *err);

/* When p[0..n) is a well-formed aggregated record (magic, MD5 and the
 * protobuf all check out), call fn for each user record in order and set
 * *aggregated; otherwise (the KCL's rule: a record that does not check out
 * is a plain record) call nothing and clear it. Fails only when fn fails. */
feast_code feast_kpl_deaggregate(const uint8_t *p, size_t n, feast_kpl_record_fn fn, void *ctx, bool *aggregated,
                                 feast_error *err);

#endif
