/*
 * cli_paths.h - where a command may write (cli_paths.c).
 */
#ifndef FEAST_CLI_PATHS_H
#define FEAST_CLI_PATHS_H

#include <stddef.h>

#include "feast/store.h"

/* 0 when `out` (a path or file:// URL) may be written. 1, reported as
 * "<what> <out> ...", when it is one of `inputs` (files, folders, globs or
 * file:// URLs the command reads; NULL entries skipped) or lies in one, by
 * any spelling or link, or, with a store, in the batch source of a feature
 * table of its project. */
int cli_check_output(const char *what, const char *out, const char *const *inputs, size_t n_inputs,
                     feast_store *store);

#endif
