/*
 * time.h - timestamps and durations. A timestamp is int64 microseconds since
 * the Unix epoch, UTC; a duration is int64 microseconds. Nothing in libfeast
 * truncates to seconds.
 */
#ifndef FEAST_TIME_H
#define FEAST_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "feast/error.h"
#include "feast/export.h"

typedef int64_t feast_ts;       /* microseconds since 1970-01-01T00:00:00Z */
typedef int64_t feast_duration; /* microseconds */

#define FEAST_US_PER_SEC INT64_C(1000000)
#define FEAST_TS_MIN INT64_MIN
#define FEAST_TS_MAX INT64_MAX

FEAST_API feast_ts feast_now(void);

/* Parse an ISO 8601 / RFC 3339 timestamp: "2021-04-12", "2021-04-12T10:59:42",
 * "2021-04-12 10:59:42.123456", with up to 9 fraction digits (digits past the
 * sixth are dropped) and "Z" or "+hh:mm"/"-hh:mm"; no zone means UTC. A bare
 * integer is Unix seconds. */
FEAST_API feast_code feast_ts_parse(const char *s, feast_ts *out, feast_error *err);

/* "2021-04-12T10:59:42.123456Z"; the fraction is printed only when non-zero.
 * buf needs FEAST_TS_STRLEN bytes. Returns buf. */
#define FEAST_TS_STRLEN 40
FEAST_API char *feast_ts_format(feast_ts ts, char *buf, size_t size);

/* Protobuf-JSON durations: "3600s", "0.5s", "1.000001s", "-2s"; also "90m",
 * "1h30m", "2d" for people. */
FEAST_API feast_code feast_duration_parse(const char *s, feast_duration *out, feast_error *err);
/* The protobuf-JSON form: "3600s", "0.500s". buf needs 32 bytes. */
FEAST_API char *feast_duration_format(feast_duration d, char *buf, size_t size);

/* Days since the epoch for a civil date, and back (proleptic Gregorian). */
FEAST_API int64_t feast_days_from_civil(int64_t y, unsigned m, unsigned d);
FEAST_API void feast_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
