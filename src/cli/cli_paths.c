/*
 * cli_paths.c - where a command may write: never over one of its own
 * inputs or into a registered file source, by any spelling or link
 * (issue 15: `-o` naming the table's own source file replaced the data).
 */
#include "cli/cli_paths.h"

#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_common.h"
#include "feast/source.h"

static const char *strip_file_url(const char *p) { return strncmp(p, "file://", 7) == 0 ? p + 7 : p; }

/* The absolute, link-free spelling of `path`, which need not exist yet (its
 * folder must). false when not even the folder resolves. */
static bool resolve(const char *path, char out[PATH_MAX]) {
  if (realpath(path, out)) return true;
  char dir[PATH_MAX], base[PATH_MAX], rdir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  snprintf(base, sizeof base, "%s", path);
  if (!realpath(dirname(dir), rdir)) return false;
  const char *b = basename(base);
  return (size_t)snprintf(out, PATH_MAX, "%s/%s", strcmp(rdir, "/") == 0 ? "" : rdir, b) < PATH_MAX;
}

/* Does writing `out` (resolved as `rout`) touch the input `in`? */
static bool touches(const char *out, const char *rout, const char *in) {
  char lit[PATH_MAX], rin[PATH_MAX];
  if (!feast_file_url_literal(in, lit, sizeof lit)) return fnmatch(strip_file_url(in), rout, FNM_PATHNAME) == 0;
  struct stat so, si;
  if (stat(out, &so) == 0 && stat(lit, &si) == 0 && so.st_dev == si.st_dev && so.st_ino == si.st_ino)
    return true; /* the same file, hard links included */
  if (!realpath(lit, rin)) return false;
  size_t n = strlen(rin);
  if (strcmp(rin, rout) == 0) return true;
  /* a new file inside a source folder joins that dataset */
  return stat(rin, &si) == 0 && S_ISDIR(si.st_mode) && strncmp(rout, rin, n) == 0 && rout[n] == '/';
}

int cli_check_output(const char *what, const char *out, const char *const *inputs, size_t n_inputs,
                     feast_store *store) {
  char rout[PATH_MAX];
  out = strip_file_url(out);
  if (!resolve(out, rout)) return 0; /* the writer reports the missing folder */
  for (size_t i = 0; i < n_inputs; i++)
    if (inputs[i] && touches(out, rout, inputs[i]))
      return cli_fail("%s %s is also an input of this command (%s): refusing to overwrite it", what, out,
                      strip_file_url(inputs[i]));
  if (!store) return 0;
  feast_feature_table_list l = {0};
  feast_error err;
  if (feast_registry_list_feature_tables(feast_store_registry(store), feast_store_project(store), NULL, &l, &err))
    return cli_fail_err(&err);
  int rc = 0;
  for (size_t i = 0; i < l.n && !rc; i++) {
    const feast_data_source *s = &l.items[i].spec.batch_source;
    if (s->type == FEAST_SOURCE_FILE && s->file.file_url && touches(out, rout, s->file.file_url))
      rc = cli_fail("%s %s would write into the batch source of feature table %s (%s): refusing", what, out,
                    l.items[i].spec.name, strip_file_url(s->file.file_url));
  }
  feast_feature_table_list_clear(&l);
  return rc;
}
