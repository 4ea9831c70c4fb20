/*
 * kinesis.h - what the Kinesis connector (kinesis.c) shares with its tests
 * and fuzz targets: the decoding of records' Data.
 */
#ifndef FEAST_SOURCE_KINESIS_H
#define FEAST_SOURCE_KINESIS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Standard base64 (padding optional) into out, which has room for
 * len / 4 * 3 + 3 bytes; the bytes written, or -1 on a bad character. */
ssize_t feast_kinesis_base64_decode(const char *in, size_t len, uint8_t *out);

#endif
