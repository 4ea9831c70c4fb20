/*
 * output.h - how the CLI prints results: an aligned table for people, or
 * JSON / YAML for scripts, from one small value tree (objects keep their
 * key order). Out of memory in the CLI ends the process with a message.
 */
#ifndef FEAST_CLI_OUTPUT_H
#define FEAST_CLI_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

typedef enum cli_format { CLI_TABLE = 0, CLI_JSON, CLI_YAML } cli_format;

typedef enum ov_kind { OV_STR, OV_INT, OV_BOOL, OV_NULL, OV_LIST, OV_OBJ } ov_kind;

typedef struct ov {
  ov_kind kind;
  char *key; /* within an object */
  char *s;
  long long i;
  struct ov *first, *last, *next;
} ov;

ov *ov_new(ov_kind kind);
/* Add a child to an object (key) or a list (key NULL); returns the child. */
ov *ov_add_str(ov *parent, const char *key, const char *s); /* s NULL -> null */
ov *ov_add_int(ov *parent, const char *key, long long v);
ov *ov_add_bool(ov *parent, const char *key, bool v);
ov *ov_add(ov *parent, const char *key, ov_kind kind);
void ov_free(ov *v);
void ov_print(FILE *out, const ov *v, cli_format fmt); /* JSON or YAML, newline-terminated */

/* An aligned text table. */
typedef struct cli_table {
  int ncols, nrows;
  char **cells; /* row-major, header row first */
} cli_table;

void cli_table_init(cli_table *t, int ncols, const char *const *headers);
void cli_table_add(cli_table *t, const char *const *cells);
void cli_table_print(FILE *out, const cli_table *t);
void cli_table_free(cli_table *t);

/* "2021-04-12T10:59:42Z" into buf (FEAST_TS_STRLEN bytes). */
const char *cli_ts(long long ts, char *buf);

#endif
