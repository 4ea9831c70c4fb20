/*
 * time.c - parsing and formatting timestamps and durations. Civil-date
 * arithmetic uses the days-from-civil algorithm, so no libc time zone state
 * (TZ, mktime) is ever consulted: everything is UTC.
 */
#include "feast/time.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

feast_ts feast_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (feast_ts)t.tv_sec * FEAST_US_PER_SEC + t.tv_nsec / 1000;
}

int64_t feast_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void feast_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i])) return 0;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return 1;
}

static int days_in_month(int y, int m) {
  static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 ? 28 + leap : dm[m - 1];
}

feast_code feast_ts_parse(const char *s, feast_ts *out, feast_error *err) {
  const char *p = s;
  while (isspace((unsigned char)*p)) p++;
  /* A bare integer: Unix seconds. */
  const char *q = p + (*p == '-');
  if (*q && strspn(q, "0123456789") == strlen(q)) {
    char *end;
    long long v = strtoll(p, &end, 10);
    if (v > INT64_MAX / FEAST_US_PER_SEC || v < INT64_MIN / FEAST_US_PER_SEC)
      return feast_fail(err, FEAST_E_INVALID, "timestamp '%s' is out of range", s);
    *out = (feast_ts)v * FEAST_US_PER_SEC;
    return FEAST_OK;
  }
  int y, mo, d, h = 0, mi = 0, sec = 0;
  int64_t frac_us = 0;
  if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' || !digits(&p, 2, &d))
    goto bad;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) goto bad;
  if (*p == 'T' || *p == 't' || *p == ' ') {
    p++;
    if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi)) goto bad;
    if (*p == ':') {
      p++;
      if (!digits(&p, 2, &sec)) goto bad;
      if (*p == '.' || *p == ',') {
        p++;
        int n = 0;
        while (isdigit((unsigned char)*p)) {
          if (n < 6) frac_us = frac_us * 10 + (*p - '0');
          n++;
          p++;
        }
        if (n == 0) goto bad;
        for (; n < 6; n++) frac_us *= 10;
      }
    }
    if (h > 23 || mi > 59 || sec > 60) goto bad;
  }
  int64_t offset_s = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
    if (!digits(&p, 2, &oh)) goto bad;
    if (*p == ':') p++;
    if (isdigit((unsigned char)*p) && !digits(&p, 2, &om)) goto bad;
    offset_s = sign * (oh * 3600 + om * 60);
  }
  while (isspace((unsigned char)*p)) p++;
  if (*p) goto bad;
  int64_t days = feast_days_from_civil(y, (unsigned)mo, (unsigned)d);
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  *out = secs * FEAST_US_PER_SEC + frac_us;
  return FEAST_OK;
bad:
  return feast_fail(err, FEAST_E_INVALID,
                    "'%s' is not a timestamp (expected e.g. 2021-04-12T10:59:42Z, "
                    "2021-04-12 10:59:42.123456 or Unix seconds)",
                    s);
}

char *feast_ts_format(feast_ts ts, char *buf, size_t size) {
  int64_t secs = ts / FEAST_US_PER_SEC, us = ts % FEAST_US_PER_SEC;
  if (us < 0) {
    us += FEAST_US_PER_SEC;
    secs -= 1;
  }
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  feast_civil_from_days(days, &y, &m, &d);
  int hh = (int)(rem / 3600), mm = (int)(rem / 60 % 60), ss = (int)(rem % 60);
  if (us)
    snprintf(buf, size, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%06" PRId64 "Z", y, m, d, hh, mm, ss, us);
  else
    snprintf(buf, size, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02dZ", y, m, d, hh, mm, ss);
  return buf;
}

feast_code feast_duration_parse(const char *s, feast_duration *out, feast_error *err) {
  const char *p = s;
  int neg = 0;
  if (*p == '-') {
    neg = 1;
    p++;
  }
  if (!*p) goto bad;
  int64_t total = 0;
  while (*p) {
    if (!isdigit((unsigned char)*p) && *p != '.') goto bad;
    int64_t whole = 0, frac = 0;
    int nfrac = 0, nwhole = 0;
    while (isdigit((unsigned char)*p)) {
      if (whole > INT64_MAX / 10 - 10) goto range;
      whole = whole * 10 + (*p++ - '0');
      nwhole++;
    }
    if (*p == '.') {
      p++;
      while (isdigit((unsigned char)*p)) {
        if (nfrac < 6) frac = frac * 10 + (*p - '0');
        nfrac++;
        p++;
      }
    }
    if (!nwhole && !nfrac) goto bad;
    for (int n = nfrac; n < 6; n++) frac *= 10;
    int64_t unit;
    if (p[0] == 'm' && p[1] == 's') {
      unit = 1000;
      p += 2;
    } else if (p[0] == 'u' && p[1] == 's') {
      unit = 1;
      p += 2;
    } else if (*p == 's') {
      unit = FEAST_US_PER_SEC;
      p++;
    } else if (*p == 'm') {
      unit = 60 * FEAST_US_PER_SEC;
      p++;
    } else if (*p == 'h') {
      unit = 3600 * FEAST_US_PER_SEC;
      p++;
    } else if (*p == 'd') {
      unit = 86400 * FEAST_US_PER_SEC;
      p++;
    } else {
      goto bad;
    }
    if (whole > INT64_MAX / unit) goto range;
    int64_t part = whole * unit + frac * unit / FEAST_US_PER_SEC;
    if (total > INT64_MAX - part) goto range;
    total += part;
  }
  *out = neg ? -total : total;
  return FEAST_OK;
range:
  return feast_fail(err, FEAST_E_INVALID, "duration '%s' is out of range", s);
bad:
  return feast_fail(err, FEAST_E_INVALID,
                    "'%s' is not a duration (expected e.g. \"3600s\", \"0.5s\" or \"1h30m\")", s);
}

char *feast_duration_format(feast_duration d, char *buf, size_t size) {
  const char *sign = d < 0 ? "-" : "";
  uint64_t a = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
  uint64_t secs = a / 1000000, us = a % 1000000;
  if (!us)
    snprintf(buf, size, "%s%" PRIu64 "s", sign, secs);
  else if (us % 1000 == 0)
    snprintf(buf, size, "%s%" PRIu64 ".%03" PRIu64 "s", sign, secs, us / 1000);
  else
    snprintf(buf, size, "%s%" PRIu64 ".%06" PRIu64 "s", sign, secs, us);
  return buf;
}
