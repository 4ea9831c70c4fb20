/*
 * dataset.c - finds the files of a Parquet dataset (one file, a directory
 * tree, a glob, hive `key=value` folders; plain paths or file:// URLs),
 * derives partition values from folder names, prunes folders with ranges
 * on partition columns, checks every file's schema against the first, and
 * hands the list to the scan engine. Remote URLs (s3://) are listed and
 * opened through the caller's feast_parquet_fs; the rest is the same.
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/file.h"
#include "feast/time.h"
#include "format/parquet/reader.h"
#include "format/parquet/scan.h"

#define MAX_FILES 1000000
#define MAX_PARTS 32

typedef struct file_id {
  dev_t dev;
  ino_t ino;
  int path; /* index into paths.v */
} file_id;

typedef struct paths {
  char **v;
  int64_t *sizes; /* remote objects' sizes from the listing; -1 locally */
  file_id *ids;   /* the same file reached twice (two links) would be read twice */
  int n, cap;
} paths;

/* st: the local file (for the distinctness check); NULL for a remote object. */
static feast_code add_sized(paths *p, const char *s, int64_t size, const struct stat *st, feast_error *err);
static feast_code add_path(paths *p, const char *s, const struct stat *st, feast_error *err) {
  return add_sized(p, s, -1, st, err);
}

static feast_code add_remote(void *ctx, const char *url, int64_t size, feast_error *err) {
  return add_sized(ctx, url, size, NULL, err);
}

static feast_code add_sized(paths *p, const char *s, int64_t size, const struct stat *st, feast_error *err) {
  if (p->n >= MAX_FILES) return feast_fail(err, FEAST_E_TOO_BIG, "more than %d files in the dataset", MAX_FILES);
  if (p->n == p->cap) {
    int cap = p->cap ? p->cap * 2 : 16;
    char **nv = feast_realloc(p->v, sizeof *nv * (size_t)cap);
    if (nv) p->v = nv;
    int64_t *ns = nv ? feast_realloc(p->sizes, sizeof *ns * (size_t)cap) : NULL;
    if (ns) p->sizes = ns;
    file_id *ni = ns ? feast_realloc(p->ids, sizeof *ni * (size_t)cap) : NULL;
    if (!ni) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    p->ids = ni;
    p->cap = cap;
  }
  p->sizes[p->n] = size;
  if (!(p->v[p->n] = feast_strdup(s))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  /* a remote object: its own identity (object keys are distinct) */
  p->ids[p->n] = st ? (file_id){st->st_dev, st->st_ino, p->n} : (file_id){0, (ino_t)p->n, p->n};
  p->n++;
  return FEAST_OK;
}

static void free_paths(paths *p) {
  for (int i = 0; i < p->n; i++) feast_free(p->v[i]);
  feast_free(p->v);
  feast_free(p->sizes);
  feast_free(p->ids);
}

static int cmp_id(const void *a, const void *b) {
  const file_id *x = a, *y = b;
  if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
  if (x->ino != y->ino) return x->ino < y->ino ? -1 : 1;
  return x->path - y->path;
}

/* Every file once: symlinks or hard links reaching one file twice would
 * multiply its rows (issue 15 #4). */
static feast_code check_distinct(paths *p, feast_error *err) {
  qsort(p->ids, (size_t)p->n, sizeof *p->ids, cmp_id);
  for (int i = 1; i < p->n; i++)
    if (p->ids[i].dev == p->ids[i - 1].dev && p->ids[i].ino == p->ids[i - 1].ino)
      return feast_fail(err, FEAST_E_INVALID, "%s and %s are the same file (a link): the dataset would read it twice",
                        p->v[p->ids[i - 1].path], p->v[p->ids[i].path]);
  return FEAST_OK;
}

/* The folders from the dataset's root down to the one being listed. */
typedef struct walk_up {
  const struct walk_up *up;
  dev_t dev;
  ino_t ino;
  const char *path;
} walk_up;

static int ignored(const char *name) {
  size_t n = strlen(name);
  return name[0] == '.' || name[0] == '_' || (n >= 4 && strcmp(name + n - 4, ".crc") == 0);
}

static feast_code walk(const char *dir, const walk_up *up, paths *out, int depth, feast_error *err) {
  if (depth > 64) return feast_fail(err, FEAST_E_TOO_BIG, "%s: directories nested too deeply", dir);
  struct stat self;
  if (stat(dir, &self) != 0) return feast_fail(err, FEAST_E_IO, "%s: %s", dir, strerror(errno));
  for (const walk_up *a = up; a; a = a->up)
    if (a->dev == self.st_dev && a->ino == self.st_ino)
      return feast_fail(err, FEAST_E_INVALID, "%s: a symlink loop (it is %s again)", dir, a->path);
  walk_up here = {up, self.st_dev, self.st_ino, dir};
  DIR *d = opendir(dir);
  if (!d) return feast_fail(err, FEAST_E_IO, "%s: cannot list: %s", dir, strerror(errno));
  feast_code rc = FEAST_OK;
  struct dirent *e;
  while (!rc && (e = readdir(d))) {
    if (ignored(e->d_name)) continue;
    size_t n = strlen(dir) + strlen(e->d_name) + 2;
    char *p = feast_malloc(n);
    if (!p) {
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
      break;
    }
    snprintf(p, n, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(p, &st) == 0) {
      if (S_ISDIR(st.st_mode)) rc = walk(p, &here, out, depth + 1, err);
      else if (S_ISREG(st.st_mode)) rc = add_path(out, p, &st, err);
    }
    feast_free(p);
  }
  closedir(d);
  return rc;
}

typedef struct sized_path {
  char *p;
  int64_t size;
} sized_path;

static int cmp_named(const void *a, const void *b) { return strcmp(((const sized_path *)a)->p, ((const sized_path *)b)->p); }

/* Sort the names, keeping each size with its name. */
static feast_code sort_paths(paths *ps, feast_error *err) {
  sized_path *t = feast_malloc(sizeof *t * (size_t)(ps->n ? ps->n : 1));
  if (!t) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int i = 0; i < ps->n; i++) t[i] = (sized_path){ps->v[i], ps->sizes[i]};
  qsort(t, (size_t)ps->n, sizeof *t, cmp_named);
  for (int i = 0; i < ps->n; i++) ps->v[i] = t[i].p, ps->sizes[i] = t[i].size;
  feast_free(t);
  return FEAST_OK;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static char *unescape(feast_arena *a, const char *s, size_t n) {
  char *o = feast_arena_alloc(a, n + 1);
  if (!o) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n + 0 + 1 && i + 2 <= n - 1 + 0 && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      o[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else {
      o[k++] = s[i];
    }
  }
  o[k] = 0;
  return o;
}

/* key=value folder segments of `rel` (the path below the dataset root). */
static feast_code partitions(feast_arena *a, const char *rel, const char **keys, const char **vals, int *n,
                             feast_error *err) {
  *n = 0;
  const char *p = rel;
  while (*p) {
    const char *slash = strchr(p, '/');
    if (!slash) break; /* the file name itself */
    const char *eq = memchr(p, '=', (size_t)(slash - p));
    if (eq && eq > p) {
      if (*n >= MAX_PARTS) return feast_fail(err, FEAST_E_TOO_BIG, "more than %d partition levels", MAX_PARTS);
      keys[*n] = unescape(a, p, (size_t)(eq - p));
      vals[*n] = unescape(a, eq + 1, (size_t)(slash - eq - 1));
      if (!keys[*n] || !vals[*n]) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
      if (strcmp(vals[*n], "__HIVE_DEFAULT_PARTITION__") == 0) vals[*n] = NULL;
      (*n)++;
    }
    p = slash + 1;
  }
  return FEAST_OK;
}

/* 1 when the partition value cannot match [lo, hi]. */
static int part_excluded(const char *v, int is_date, int64_t lo, int64_t hi) {
  if (!v) return 0;
  if (is_date) {
    int y, m, d;
    if (sscanf(v, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31) return 0;
    int64_t start = feast_days_from_civil(y, (unsigned)m, (unsigned)d) * INT64_C(86400000000);
    int64_t end = start + INT64_C(86400000000) - 1;
    return end < lo || start > hi;
  }
  char *e;
  errno = 0;
  long long x = strtoll(v, &e, 10);
  if (errno || e == v || *e) return 0;
  return x < lo || x > hi;
}

static feast_code same_schema(const feast_parquet_file *a, const feast_parquet_file *b, feast_error *err) {
  int na = feast_parquet_num_columns(a), nb = feast_parquet_num_columns(b);
  if (na != nb)
    return feast_fail(err, FEAST_E_SCHEMA, "%s has %d columns but %s has %d", b->name, nb, a->name, na);
  for (int i = 0; i < na; i++) {
    feast_dtype ea, eb, ta = feast_parquet_column_type(a, i, &ea);
    int j = feast_parquet_column_index(b, a->cols[i].name);
    if (j < 0) return feast_fail(err, FEAST_E_SCHEMA, "%s lacks column '%s' that %s has", b->name, a->cols[i].name,
                                 a->name);
    feast_dtype tb = feast_parquet_column_type(b, j, &eb);
    if (!feast_dtype_equal(ta, tb) || (ta.id == FEAST_DT_LIST && !feast_dtype_equal(ea, eb))) {
      char x[64], y[64];
      feast_dtype_name(ta.id == FEAST_DT_LIST ? ea : ta, x, sizeof x);
      feast_dtype_name(tb.id == FEAST_DT_LIST ? eb : tb, y, sizeof y);
      return feast_fail(err, FEAST_E_SCHEMA, "%s: column '%s' is %s%s but %s in %s", b->name, a->cols[i].name,
                        tb.id == FEAST_DT_LIST ? "list of " : "", y, x, a->name);
    }
  }
  return FEAST_OK;
}

/* Opening: local files one after another (a footer is a pread), remote
 * ones up to OPEN_THREADS at once (a footer is a request). files[j] is
 * ps->v[want[j]]; on failure the first failing file (in order) reports,
 * and every file opened stays in files[] for the caller to free. */
#define OPEN_THREADS 8

typedef struct opener {
  const feast_parquet_fs *fs;
  const paths *ps;
  const int *want;
  int n;
  const feast_parquet_options *o;
  pq_scan_file *files;
  feast_code *rcs;
  feast_error *errs;
  atomic_int next;
} opener;

static feast_code open_one(opener *op, int j, feast_error *err) {
  const char *url = op->ps->v[op->want[j]];
  int64_t size = op->ps->sizes[op->want[j]];
  feast_parquet_file *f = NULL;
  feast_code rc;
  if (op->fs) {
    feast_parquet_io io;
    rc = op->fs->open(op->fs->ctx, url, size, &io, err);
    if (!rc) rc = feast_parquet_file_open_io(&io, (uint64_t)size, url, op->o, &f, err);
  } else {
    rc = feast_parquet_file_open(url, op->o, &f, err);
  }
  op->files[j].file = f;
  op->files[j].owned = 1;
  return rc;
}

static void *open_worker(void *arg) {
  opener *op = arg;
  for (int j; (j = atomic_fetch_add(&op->next, 1)) < op->n;) op->rcs[j] = open_one(op, j, &op->errs[j]);
  return NULL;
}

static feast_code open_all(const feast_parquet_fs *fs, const paths *ps, const int *want, int n,
                           const feast_parquet_options *o, pq_scan_file *files, feast_error *err) {
  opener op = {fs, ps, want, n, o, files, NULL, NULL, 0};
  int nt = fs ? (n < OPEN_THREADS ? n : OPEN_THREADS) : 1;
  if (nt <= 1) {
    for (int j = 0; j < n; j++) {
      feast_code rc = open_one(&op, j, err);
      if (rc) return rc;
    }
    return FEAST_OK;
  }
  op.rcs = feast_calloc((size_t)n, sizeof *op.rcs);
  op.errs = feast_calloc((size_t)n, sizeof *op.errs);
  pthread_t th[OPEN_THREADS];
  int started = 0;
  if (op.rcs && op.errs)
    for (; started < nt - 1; started++)
      if (pthread_create(&th[started], NULL, open_worker, &op) != 0) break;
  if (op.rcs && op.errs) open_worker(&op); /* this thread works too */
  for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
  feast_code rc = op.rcs && op.errs ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int j = 0; j < n && !rc; j++)
    if (op.rcs[j]) {
      rc = op.rcs[j];
      *err = op.errs[j];
    }
  feast_free(op.rcs);
  feast_free(op.errs);
  return rc;
}

feast_code feast_parquet_dataset_open(const char *url_or_path, const feast_parquet_dataset_options *opts,
                                      feast_batch_source **out, feast_error *err) {
  *out = NULL;
  feast_parquet_dataset_options none;
  if (!opts) {
    memset(&none, 0, sizeof none);
    opts = &none;
  }
  const char *path = url_or_path;
  const feast_parquet_fs *fs = NULL;
  if (strncmp(path, "file://", 7) == 0) path += 7;
  else if (strstr(path, "://") && opts->fs) fs = opts->fs;
  else if (strstr(path, "://"))
    return feast_fail(err, FEAST_E_UNSUPPORTED, "%s: only local paths, file:// and s3:// URLs are supported",
                      url_or_path);
  paths ps = {0};
  feast_code rc = FEAST_OK;
  char *root = NULL; /* partition folders are parsed below this */
  size_t plen = strlen(path);
  int single = 0;
  /* A path that escapes every pattern character means only itself. */
  char *literal = NULL;
  if (!fs && !feast_path_first_pattern(path) && strchr(path, '\\')) {
    if (!(literal = feast_malloc(plen + 1))) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    feast_path_unescape(path, plen, literal);
    path = literal;
    plen = strlen(path);
  }
  if (fs) {
    rc = fs->list(fs->ctx, path, add_remote, &ps, &root, &single, err);
  } else if (feast_path_first_pattern(path) && !literal) {
    glob_t g;
    int gr = glob(path, 0, NULL, &g);
    if (gr != 0 && gr != GLOB_NOMATCH) rc = feast_fail(err, FEAST_E_IO, "%s: glob failed", path);
    for (size_t i = 0; gr == 0 && i < g.gl_pathc && !rc; i++) {
      struct stat st;
      const char *base = strrchr(g.gl_pathv[i], '/');
      if (ignored(base ? base + 1 : g.gl_pathv[i])) continue;
      if (stat(g.gl_pathv[i], &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) rc = walk(g.gl_pathv[i], NULL, &ps, 0, err);
      else if (S_ISREG(st.st_mode)) rc = add_path(&ps, g.gl_pathv[i], &st, err);
    }
    if (gr == 0) globfree(&g);
    const char *first = feast_path_first_pattern(path);
    const char *slash = first;
    while (slash > path && *slash != '/') slash--;
    /* glob's names are unescaped: so is the root they are cut against */
    if ((root = feast_malloc((size_t)(slash - path) + 1))) feast_path_unescape(path, (size_t)(slash - path), root);
  } else {
    struct stat st;
    if (stat(path, &st) != 0) {
      rc = feast_fail(err, errno == ENOENT ? FEAST_E_NOT_FOUND : FEAST_E_IO, "%s: %s", path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
      while (plen > 1 && path[plen - 1] == '/') plen--;
      root = feast_strndup(path, plen);
      rc = root ? walk(root, NULL, &ps, 0, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    } else {
      single = 1;
      rc = add_path(&ps, path, &st, err);
      root = feast_strdup("");
    }
  }
  feast_free(literal);
  if (!rc && !root) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc && ps.n == 0) rc = feast_fail(err, FEAST_E_NOT_FOUND, "%s: no Parquet files found", url_or_path);
  if (!rc) rc = check_distinct(&ps, err);
  if (rc) {
    free_paths(&ps);
    feast_free(root);
    return rc;
  }
  if ((rc = sort_paths(&ps, err))) {
    free_paths(&ps);
    feast_free(root);
    return rc;
  }

  feast_arena *arena = feast_arena_new(0);
  pq_scan_file *files = feast_calloc((size_t)ps.n, sizeof *files);
  const char **pnames = NULL;
  int npart = 0;
  int *want = feast_malloc(sizeof *want * (size_t)ps.n); /* files[j] is ps.v[want[j]] */
  if (!arena || !files || !want) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  size_t rlen = strlen(root);
  int nf = 0;
  int nopen = opts->first_file_only && ps.n > 1 ? 1 : ps.n;
  for (int i = 0; i < nopen && !rc; i++) {
    const char *rel = ps.v[i];
    if (!single && rlen && strncmp(rel, root, rlen) == 0) rel += rlen + (rel[rlen] == '/');
    const char *keys[MAX_PARTS], *vals[MAX_PARTS];
    int n = 0;
    if (!single && (rc = partitions(arena, rel, keys, vals, &n, err))) break;
    if (i == 0) {
      npart = n;
      pnames = feast_arena_alloc(arena, sizeof *pnames * (size_t)(n ? n : 1));
      if (!pnames) {
        rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
        break;
      }
      for (int k = 0; k < n; k++) pnames[k] = keys[k];
    } else {
      int same = n == npart;
      for (int k = 0; k < n && same; k++) same = strcmp(keys[k], pnames[k]) == 0;
      if (!same) {
        rc = feast_fail(err, FEAST_E_SCHEMA, "%s: partition folders differ from those of %s", ps.v[i], ps.v[0]);
        break;
      }
    }
    const char **pv = feast_arena_alloc(arena, sizeof *pv * (size_t)(n ? n : 1));
    if (!pv) {
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
      break;
    }
    for (int k = 0; k < n; k++) pv[k] = vals[k];
    int skip = 0;
    for (int r = 0; r < opts->nranges && !skip; r++)
      for (int k = 0; k < n && !skip; k++)
        if (strcmp(opts->ranges[r].column, pnames[k]) == 0)
          skip = part_excluded(pv[k],
                               opts->date_partition_column && strcmp(opts->date_partition_column, pnames[k]) == 0,
                               opts->ranges[r].lo, opts->ranges[r].hi);
    if (skip && nf > 0) continue; /* the first file is kept for the schema */
    files[nf].pvals = pv;
    files[nf].skip = skip;
    want[nf++] = i; /* opened below, all at once */
  }
  if (!rc) rc = open_all(fs, &ps, want, nf, &opts->read, files, err);
  for (int j = 0; j < nf && !rc; j++) {
    feast_parquet_file *f = files[j].file;
    if (j > 0 && (rc = same_schema(files[0].file, f, err))) break;
    for (int k = 0; k < npart && !rc; k++)
      if (feast_parquet_column_index(f, pnames[k]) >= 0)
        rc = feast_fail(err, FEAST_E_SCHEMA, "%s: partition key '%s' is also a column in the file", ps.v[want[j]],
                        pnames[k]);
  }
  feast_free(want);
  free_paths(&ps);
  feast_free(root);
  if (rc) {
    for (int i = 0; i < nf; i++) feast_parquet_file_free(files[i].file);
    feast_free(files);
    feast_arena_free(arena);
    return rc;
  }
  return pq_scan_open(files, nf, pnames, npart, arena, opts->columns, opts->ncolumns, opts->ranges, opts->nranges,
                      &opts->read, out, err);
}
