/*
 * error.h - the one error model of libfeast.
 *
 * Every fallible function returns a feast_code and, when it fails, fills the
 * caller's feast_error with a message a person can act on: it names the
 * file, row group, column, row, document or field that is wrong. Callers
 * add context on the way up with feast_error_prefix ("registry.db: ...").
 * The message lives inside the struct, so reporting an error never allocates
 * (out-of-memory can always be reported), and nothing has to be freed.
 */
#ifndef FEAST_ERROR_H
#define FEAST_ERROR_H

#include <stdarg.h>

#include "feast/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum feast_code {
  FEAST_OK = 0,
  FEAST_E_NOMEM,       /* an allocation failed */
  FEAST_E_INVALID,     /* a bad argument or bad user input (spec, value, flag) */
  FEAST_E_IO,          /* the operating system refused a file or socket operation */
  FEAST_E_NOT_FOUND,   /* a named thing does not exist */
  FEAST_E_EXISTS,      /* a thing to create exists already */
  FEAST_E_TOO_BIG,     /* a configured limit was hit (size, depth, count) */
  FEAST_E_CORRUPT,     /* outside bytes do not parse (file, message, wire) */
  FEAST_E_UNSUPPORTED, /* valid input that this build does not handle */
  FEAST_E_SCHEMA,      /* columns or types do not match what a spec says */
  FEAST_E_VALIDATION,  /* a spec failed validation; message lists every problem */
  FEAST_E_CONNECT,     /* a server could not be reached */
  FEAST_E_TIMEOUT,     /* a server did not answer in time */
  FEAST_E_CONFLICT,    /* a concurrent change won; retry */
  FEAST_E_SERVER,      /* a server answered with an error */
  FEAST_E_INTERNAL     /* a broken invariant: a bug in libfeast */
} feast_code;

/* Room for a multi-line validation report; longer messages end in "...". */
#define FEAST_ERROR_MAX 8192

typedef struct feast_error {
  feast_code code;
  int retriable; /* 1 when the same call may succeed later (timeouts, conflicts) */
  char message[FEAST_ERROR_MAX];
} feast_error;

/* A static English name for a code ("corrupt input"). Never NULL. */
FEAST_API const char *feast_strerror(feast_code code);

/* Reset to FEAST_OK with an empty message. */
FEAST_API void feast_error_clear(feast_error *err);

/* Record a failure and return `code`, so that `return feast_fail(...)` reads
 * naturally. `err` may be NULL (the message is dropped). */
FEAST_API feast_code feast_fail(feast_error *err, feast_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
FEAST_API feast_code feast_vfail(feast_error *err, feast_code code, const char *fmt, va_list ap);

/* Like feast_fail, marking the failure retriable (see librdkafka's model). */
FEAST_API feast_code feast_fail_retriable(feast_error *err, feast_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend context to an existing message: "file.parquet: " + message.
 * Returns err->code so callers can `return feast_error_prefix(...)`. */
FEAST_API feast_code feast_error_prefix(feast_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append a line to an existing message (used to collect many problems). */
FEAST_API void feast_error_append(feast_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
