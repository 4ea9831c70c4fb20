/*
 * config_internal.h - what the files of the configuration reader share:
 * the parse context, failures that name the file and line, and one parse
 * function per section beyond the store settings (config_streams.c, ...).
 */
#ifndef FEAST_CONFIG_INTERNAL_H
#define FEAST_CONFIG_INTERNAL_H

#include "feast/config.h"
#include "format/yaml/yaml_tree.h"

typedef struct cfg_ctx {
  const char *name; /* the file, for messages */
  const char *dir;  /* relative paths resolve against it */
  feast_error *err;
} cfg_ctx;

/* FEAST_E_INVALID "FILE:LINE: message". */
feast_code feast_cfg_fail(cfg_ctx *c, const feast_ynode *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A scalar's text, else NULL. */
const char *feast_cfg_scalar(const feast_ynode *n);
/* `p` made absolute against `dir`; the caller owns the result: release it
 * with feast_free. NULL when out of memory. */
char *feast_cfg_resolve(const char *dir, const char *p);

/* streams: */
feast_code feast_cfg_parse_streams(cfg_ctx *c, const feast_ynode *n, feast_config *out);
void feast_cfg_streams_clear(feast_stream_config *s);

/* bigquery: */
feast_code feast_cfg_parse_bigquery(cfg_ctx *c, const feast_ynode *n, feast_config *out);
void feast_cfg_bigquery_clear(feast_bigquery_config *b);

/* aws: (kept as strings in feast_config.aws) */
feast_code feast_cfg_parse_aws(cfg_ctx *c, const feast_ynode *n, feast_config *out);
/* serve: (src/serve/serve_config.c) */
feast_code feast_cfg_parse_serve(cfg_ctx *c, const feast_ynode *n, feast_config *out);
void feast_cfg_serve_clear(feast_config *out);

#endif
