/*
 * commands.h - the CLI's command table. Each command lives in its own
 * cmd_*.c file and receives argv starting at its own name. It returns the
 * process exit code: 0 on success, 1 on a failure it has already reported
 * on stderr as one line ("feast: <cause>"), 2 on a usage error.
 */
#ifndef FEAST_CLI_COMMANDS_H
#define FEAST_CLI_COMMANDS_H

typedef struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} cli_command;

int cmd_version(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_projects(int argc, char **argv);
int cmd_entities(int argc, char **argv);
int cmd_feature_tables(int argc, char **argv);
int cmd_parquet_write(int argc, char **argv);
int cmd_parquet(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_stream_ingest(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_get_online_features(int argc, char **argv);
int cmd_get_historical_features(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
