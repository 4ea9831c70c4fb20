/*
 * serve_log.c - the daemon's structured log: one JSON object per line on
 * stderr ({"ts","level","event","msg"} plus the access log's fields), each
 * line written with a single write(2) so lines of different threads never
 * interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve/serve_internal.h"

static const char *const LEVELS[] = {"debug", "info", "warn", "error"};

serve_log_level serve_log_level_of(const char *name) {
  for (int i = 0; name && i < 4; i++)
    if (strcmp(name, LEVELS[i]) == 0) return (serve_log_level)i;
  return SERVE_LOG_INFO;
}

/* Appends s as JSON string content (quotes not included), bounded by cap. */
static size_t put_escaped(char *out, size_t at, size_t cap, const char *s) {
  for (; *s && at + 8 < cap; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') {
      out[at++] = '\\';
      out[at++] = (char)ch;
    } else if (ch < 0x20 || ch >= 0x7f) {
      /* Bytes past ASCII too: paths and messages may hold a peer's invalid
       * UTF-8, and a log line must stay valid JSON whatever was sent. */
      at += (size_t)snprintf(out + at, cap - at, "\\u%04x", ch);
    } else {
      out[at++] = (char)ch;
    }
  }
  return at;
}

static size_t put_head(char *out, size_t cap, serve_log_level level, const char *event) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t at = (size_t)snprintf(out, cap, "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\",\"level\":\"%s\",\"event\":\"",
                               tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                               ts.tv_nsec / 1000, LEVELS[level]);
  at = put_escaped(out, at, cap, event);
  return at;
}

static void put_line(char *line, size_t at, size_t cap) {
  if (at + 3 > cap) at = cap - 3;
  line[at++] = '}';
  line[at++] = '\n';
  ssize_t w = write(STDERR_FILENO, line, at);
  (void)w;
}

static void vlog(serve_log_level min, serve_log_level level, const char *event, const char *fmt, va_list ap) {
  if (level < min) return;
  char msg[2048], line[4608];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t at = put_head(line, sizeof line, level, event);
  at += (size_t)snprintf(line + at, sizeof line - at, "\",\"msg\":\"");
  at = put_escaped(line, at, sizeof line, msg);
  line[at++] = '"';
  put_line(line, at, sizeof line);
}

void serve_log_raw(serve_log_level min, serve_log_level level, const char *event, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(min, level, event, fmt, ap);
  va_end(ap);
}

void serve_log(const serve_ctx *ctx, serve_log_level level, const char *event, const char *fmt, ...) {
  const serve_config *cfg = ctx ? serve_ctx_config(ctx) : NULL;
  va_list ap;
  va_start(ap, fmt);
  vlog(cfg ? serve_log_level_of(cfg->log_level) : SERVE_LOG_INFO, level, event, fmt, ap);
  va_end(ap);
}

void serve_access_log(const serve_ctx *ctx, const serve_conn *c, const char *protocol, const char *what, int code,
                      uint64_t latency_ns) {
  const serve_config *cfg = serve_ctx_config(ctx);
  if (!cfg->access_log || serve_log_level_of(cfg->log_level) > SERVE_LOG_INFO) return;
  char line[1024];
  size_t at = put_head(line, sizeof line, SERVE_LOG_INFO, "access");
  at += (size_t)snprintf(line + at, sizeof line - at, "\",\"protocol\":\"");
  at = put_escaped(line, at, sizeof line, protocol);
  at += (size_t)snprintf(line + at, sizeof line - at, "\",\"what\":\"");
  at = put_escaped(line, at, sizeof line, what ? what : "");
  at += (size_t)snprintf(line + at, sizeof line - at, "\",\"code\":%d,\"latency_us\":%.1f,\"peer\":\"%s\",\"tls\":%s",
                         code, latency_ns / 1e3, c ? serve_conn_peer(c) : "",
                         c && serve_conn_is_tls(c) ? "true" : "false");
  put_line(line, at, sizeof line);
}
