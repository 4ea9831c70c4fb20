/*
 * error.c - filling and decorating feast_error. Messages are truncated, never
 * overflowed; a truncated message ends in "...".
 */
#include <stdio.h>
#include <string.h>

#include "feast/error.h"

const char *feast_strerror(feast_code code) {
  switch (code) {
  case FEAST_OK: return "ok";
  case FEAST_E_NOMEM: return "out of memory";
  case FEAST_E_INVALID: return "invalid input";
  case FEAST_E_IO: return "i/o error";
  case FEAST_E_NOT_FOUND: return "not found";
  case FEAST_E_EXISTS: return "already exists";
  case FEAST_E_TOO_BIG: return "limit exceeded";
  case FEAST_E_CORRUPT: return "corrupt input";
  case FEAST_E_UNSUPPORTED: return "unsupported";
  case FEAST_E_SCHEMA: return "schema mismatch";
  case FEAST_E_VALIDATION: return "validation failed";
  case FEAST_E_CONNECT: return "cannot connect";
  case FEAST_E_TIMEOUT: return "timed out";
  case FEAST_E_CONFLICT: return "conflict";
  case FEAST_E_SERVER: return "server error";
  case FEAST_E_INTERNAL: return "internal error";
  }
  return "unknown error";
}

void feast_error_clear(feast_error *err) {
  if (!err) return;
  err->code = FEAST_OK;
  err->retriable = 0;
  err->message[0] = '\0';
}

static void mark_truncated(char *msg, int written) {
  if (written >= FEAST_ERROR_MAX) memcpy(msg + FEAST_ERROR_MAX - 4, "...", 4);
}

feast_code feast_vfail(feast_error *err, feast_code code, const char *fmt, va_list ap) {
  if (!err) return code;
  err->code = code;
  err->retriable = 0;
  int n = vsnprintf(err->message, FEAST_ERROR_MAX, fmt, ap);
  if (n < 0) err->message[0] = '\0';
  mark_truncated(err->message, n);
  return code;
}

feast_code feast_fail(feast_error *err, feast_code code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  feast_vfail(err, code, fmt, ap);
  va_end(ap);
  return code;
}

feast_code feast_fail_retriable(feast_error *err, feast_code code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  feast_vfail(err, code, fmt, ap);
  va_end(ap);
  if (err) err->retriable = 1;
  return code;
}

feast_code feast_error_prefix(feast_error *err, const char *fmt, ...) {
  if (!err) return FEAST_E_INTERNAL;
  char prefix[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  if (n < 0) return err->code;
  char old[FEAST_ERROR_MAX];
  memcpy(old, err->message, FEAST_ERROR_MAX);
  int w = snprintf(err->message, FEAST_ERROR_MAX, "%s%s", prefix, old);
  mark_truncated(err->message, w);
  return err->code;
}

void feast_error_append(feast_error *err, const char *fmt, ...) {
  if (!err) return;
  size_t len = strlen(err->message);
  if (len + 2 >= FEAST_ERROR_MAX) return;
  if (len) err->message[len++] = '\n';
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->message + len, FEAST_ERROR_MAX - len, fmt, ap);
  va_end(ap);
  if (n >= 0 && len + (size_t)n >= FEAST_ERROR_MAX) memcpy(err->message + FEAST_ERROR_MAX - 4, "...", 4);
}
