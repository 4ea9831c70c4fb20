/*
 * s3_source.c - s3:// file sources (s3_source.h): one S3 client per
 * process, built on first use from the aws: settings and shared by every
 * object read (connections and credentials are reused); listing a URL the
 * way the local reader walks a path (a file, a folder, a glob, hive
 * folders); objects opened as range-read files whose chunk reads are
 * coalesced like pyarrow's (holes up to 8 KiB, ranges up to 32 MiB), cut
 * into GETs of at most aws.s3_request_size bytes and sent
 * aws.s3_max_in_flight at a time.
 */
#include "source/s3_source.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/file.h"
#include "cloud/aws/s3.h"
#include "cloud/aws/s3_file.h"
#include "cloud/aws/s3_multipart.h"

#define HOLE_LIMIT ((uint64_t)8 << 10)
#define RANGE_LIMIT ((uint64_t)32 << 20)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static feast_map conf; /* the process's aws: section (a copy) */
static atomic_uint_fast64_t n_files, n_lists, n_heads, n_gets, n_get_bytes, n_puts, n_put_bytes;

/* A client and the settings it was made from (its strings point into its
 * own copy of the section). Reference-counted: a new configuration makes
 * a new one for calls that start afterwards, while files still open keep
 * theirs alive. */
typedef struct client {
  feast_s3 *s3;
  feast_map conf;
  feast_aws_settings settings;
  uint64_t part_size; /* aws.s3_request_size: the largest ranged GET */
  int in_flight;      /* aws.s3_max_in_flight: GETs in flight per row group */
  atomic_int refs;
} client;

static client *current; /* holds one reference */

bool feast_s3_is_url(const char *s) { return s && strncmp(s, "s3://", 5) == 0; }

void feast_s3_stats_get(feast_s3_stats *o) {
  o->files = atomic_load(&n_files);
  o->lists = atomic_load(&n_lists);
  o->heads = atomic_load(&n_heads);
  o->gets = atomic_load(&n_gets);
  o->get_bytes = atomic_load(&n_get_bytes);
  o->puts = atomic_load(&n_puts);
  o->put_bytes = atomic_load(&n_put_bytes);
}

static void fill_settings(client *c) {
  const feast_map *m = &c->conf;
  feast_aws_settings *st = &c->settings;
  memset(st, 0, sizeof *st);
  st->region = feast_map_get(m, "region");
  st->profile = feast_map_get(m, "profile");
  st->access_key_id = feast_map_get(m, "access_key_id");
  st->secret_access_key = feast_map_get(m, "secret_access_key");
  st->session_token = feast_map_get(m, "session_token");
  st->endpoint_url = feast_map_get(m, "endpoint_url");
  st->s3_endpoint_url = feast_map_get(m, "s3_endpoint_url");
  st->kinesis_endpoint_url = feast_map_get(m, "kinesis_endpoint_url");
  const char *a = feast_map_get(m, "s3_addressing");
  st->s3_addressing = a && strcmp(a, "path") == 0           ? FEAST_AWS_S3_PATH_STYLE
                      : a && strcmp(a, "virtual-host") == 0 ? FEAST_AWS_S3_VIRTUAL_HOST
                                                            : FEAST_AWS_S3_AUTO;
  const char *v;
  if ((v = feast_map_get(m, "connect_timeout_ms"))) st->connect_timeout_ms = atol(v);
  if ((v = feast_map_get(m, "timeout_ms"))) st->timeout_ms = atol(v);
  if ((v = feast_map_get(m, "max_attempts"))) st->max_attempts = atoi(v);
  c->part_size = (v = feast_map_get(m, "s3_request_size")) ? (uint64_t)atoll(v) : (uint64_t)32 << 20;
  if (c->part_size < (64u << 10)) c->part_size = 64u << 10;
  c->in_flight = (v = feast_map_get(m, "s3_max_in_flight")) ? atoi(v) : 8;
  if (c->in_flight < 1) c->in_flight = 1;
}

static void release(client *c) {
  if (!c || atomic_fetch_sub(&c->refs, 1) != 1) return;
  feast_s3_free(c->s3);
  feast_map_clear(&c->conf);
  feast_free(c);
}

static feast_code copy_map(const feast_map *src, feast_map *dst, feast_error *err) {
  for (size_t i = 0; src && i < src->n; i++) {
    feast_code rc = feast_map_set(dst, src->items[i].key, src->items[i].value, err);
    if (rc) {
      feast_map_clear(dst);
      return rc;
    }
  }
  return FEAST_OK;
}

feast_code feast_aws_configure(const feast_config *cfg, feast_error *err) {
  feast_map copy = {0};
  feast_code rc = copy_map(cfg && cfg->has_aws ? &cfg->aws : NULL, &copy, err);
  if (rc) return rc;
  pthread_mutex_lock(&mu);
  /* A client already made with the same settings is kept (a daemon opens
   * its store more than once); otherwise the next call makes a new one. */
  bool same = copy.n == conf.n;
  for (size_t i = 0; same && i < copy.n; i++) {
    const char *v = feast_map_get(&conf, copy.items[i].key);
    same = v && strcmp(v, copy.items[i].value) == 0;
  }
  client *old = NULL;
  if (!same) {
    old = current;
    current = NULL;
    feast_map_clear(&conf);
    conf = copy;
  } else {
    feast_map_clear(&copy);
  }
  pthread_mutex_unlock(&mu);
  release(old);
  return FEAST_OK;
}

/* The current client, with a reference for the caller (release() it). */
static feast_code get_client(client **out, feast_error *err) {
  *out = NULL;
  feast_code rc = FEAST_OK;
  pthread_mutex_lock(&mu);
  if (!current) {
    client *c = feast_calloc(1, sizeof *c);
    if (!c) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (!rc) rc = copy_map(&conf, &c->conf, err);
    if (!rc) {
      fill_settings(c);
      if (!(c->s3 = feast_s3_new(&c->settings, NULL, NULL, err))) rc = err->code ? err->code : FEAST_E_NOMEM;
    }
    if (rc) {
      if (c) feast_map_clear(&c->conf);
      feast_free(c);
    } else {
      atomic_init(&c->refs, 1);
      current = c;
    }
  }
  if (current) {
    atomic_fetch_add(&current->refs, 1);
    *out = current;
  }
  pthread_mutex_unlock(&mu);
  return rc;
}

/* ---- listing ---- */

static int ignored_name(const char *s, size_t n) {
  return n == 0 || s[0] == '.' || s[0] == '_' || (n >= 4 && memcmp(s + n - 4, ".crc", 4) == 0);
}

/* 1 when a segment of `rel` (a key below the root) is one the local walk skips. */
static int ignored_path(const char *rel) {
  while (*rel) {
    size_t n = strcspn(rel, "/");
    if (ignored_name(rel, n)) return 1;
    rel += n;
    if (*rel == '/') rel++;
  }
  return 0;
}

typedef struct lister {
  const char *bucket;
  const char *root_key; /* keys below this are checked for ignored segments */
  const char *pattern;  /* a glob over keys, or NULL */
  feast_parquet_fs_add_fn add;
  void *actx;
  long found, seen; /* objects added; objects listed at all */
} lister;

/* A key matches a glob when it, or a folder above it, does (the local
 * reader walks a matching folder). */
static int glob_match(const char *pattern, const char *key) {
  size_t n = strlen(key);
  char *tmp = feast_strndup(key, n);
  if (!tmp) return 0;
  int hit = fnmatch(pattern, tmp, FNM_PATHNAME | FNM_PERIOD) == 0;
  for (size_t i = n; !hit && i-- > 0;)
    if (tmp[i] == '/') {
      tmp[i] = 0;
      hit = fnmatch(pattern, tmp, FNM_PATHNAME | FNM_PERIOD) == 0;
    }
  feast_free(tmp);
  return hit;
}

static feast_code on_entry(void *ctx, const feast_s3_entry *e, feast_error *err) {
  lister *l = ctx;
  l->seen++;
  size_t klen = strlen(e->key);
  if (e->size < 0 || (klen && e->key[klen - 1] == '/')) return FEAST_OK; /* folder markers */
  size_t rl = strlen(l->root_key);
  const char *rel = e->key + (strncmp(e->key, l->root_key, rl) == 0 ? rl : 0);
  if (*rel == '/') rel++;
  if (ignored_path(rel)) return FEAST_OK;
  if (l->pattern && !glob_match(l->pattern, e->key)) return FEAST_OK;
  size_t n = strlen(l->bucket) + klen + 8;
  char *url = feast_malloc(n);
  if (!url) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  snprintf(url, n, "s3://%s/%s", l->bucket, e->key);
  feast_code rc = l->add(l->actx, url, e->size, err);
  feast_free(url);
  l->found++;
  return rc;
}

static feast_code list_prefix(feast_s3 *s3, lister *l, const char *prefix, feast_error *err) {
  long pages = 0;
  feast_code rc = feast_s3_list(s3, l->bucket, prefix, NULL, 1000, on_entry, l, &pages, err);
  atomic_fetch_add(&n_lists, (uint64_t)pages);
  return rc;
}

static char *url_of(const char *bucket, const char *key, size_t keylen) {
  size_t n = strlen(bucket) + keylen + 8;
  char *u = feast_malloc(n);
  if (u) snprintf(u, n, "s3://%s/%.*s", bucket, (int)keylen, key);
  return u;
}

static feast_code s3_list(void *ctx, const char *url, feast_parquet_fs_add_fn add, void *actx, char **root,
                          int *single, feast_error *err) {
  (void)ctx;
  *root = NULL;
  *single = 0;
  client *c;
  feast_code rc = get_client(&c, err);
  if (rc) return rc;
  feast_s3 *s3 = c->s3;
  size_t n = strlen(url) + 1;
  char *bucket = feast_malloc(n), *key = feast_malloc(n);
  if (!bucket || !key) {
    feast_free(bucket);
    feast_free(key);
    release(c);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  rc = feast_s3_parse_url(url, bucket, n, key, n, err);
  lister l = {.bucket = bucket, .add = add, .actx = actx};
  /* Patterns as in local paths: `*`, `?`, `[` unless escaped with a backslash. */
  const char *glob = rc ? NULL : feast_path_first_pattern(key);
  if (!rc && !glob && strchr(key, '\\')) feast_path_unescape(key, strlen(key), key);
  if (rc) {
  } else if (glob) {
    /* List below the folder of the glob's literal start, keep what matches
     * (fnmatch reads the escapes itself). */
    size_t dir = (size_t)(glob - key);
    while (dir > 0 && key[dir - 1] != '/') dir--;
    char *prefix = feast_malloc((size_t)(glob - key) + 1), *rk = feast_malloc(dir + 1);
    if (prefix) feast_path_unescape(key, (size_t)(glob - key), prefix);
    if (rk) feast_path_unescape(key, dir ? dir - 1 : 0, rk);
    *root = rk ? url_of(bucket, rk, strlen(rk)) : NULL;
    l.root_key = rk;
    l.pattern = key;
    rc = prefix && rk && *root ? list_prefix(s3, &l, prefix, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    feast_free(prefix);
    feast_free(rk);
  } else {
    size_t kl = strlen(key);
    feast_s3_object_info info;
    feast_code hrc = FEAST_E_NOT_FOUND;
    if (kl && key[kl - 1] != '/') {
      feast_error herr;
      hrc = feast_s3_head(s3, bucket, key, &info, &herr);
      atomic_fetch_add(&n_heads, 1);
      if (hrc && hrc != FEAST_E_NOT_FOUND) { /* credentials, connection: say so now */
        *err = herr;
        rc = hrc;
      }
    }
    if (!rc && hrc == FEAST_OK) {
      *single = 1;
      *root = feast_strdup("");
      rc = *root ? add(actx, url, info.size, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    } else if (!rc) {
      /* A folder: every object below key/ */
      while (kl > 0 && key[kl - 1] == '/') key[--kl] = 0;
      char *prefix = feast_malloc(kl + 2);
      *root = url_of(bucket, key, kl);
      if (!prefix || !*root) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
      else {
        snprintf(prefix, kl + 2, "%s%s", key, kl ? "/" : "");
        l.root_key = key;
        rc = list_prefix(s3, &l, prefix, err);
      }
      if (!rc && l.found == 0)
        rc = l.seen ? feast_fail(err, FEAST_E_NOT_FOUND, "%s: no Parquet files found", url)
                    : feast_fail(err, FEAST_E_NOT_FOUND, "%s: no such object, and no objects below it", url);
      feast_free(prefix);
    }
  }
  feast_free(bucket);
  feast_free(key);
  release(c);
  if (rc) {
    feast_free(*root);
    *root = NULL;
  }
  return rc;
}

/* ---- reading ---- */

/* An open object: the file and the client it reads through. */
typedef struct remote {
  feast_s3_file *f;
  client *c;
} remote;

static feast_code io_read(void *ctx, uint64_t off, size_t len, void *dst, feast_error *err) {
  return feast_s3_file_read(((remote *)ctx)->f, (int64_t)off, len, dst, err);
}

typedef struct span {
  uint64_t off, end;
  size_t first, last; /* ranges [first, last] (in offset order) it covers */
  uint8_t *buf;       /* NULL: a single range read straight into its dst */
} span;

static int cmp_range(const void *a, const void *b) {
  const feast_parquet_range_read *x = *(feast_parquet_range_read *const *)a, *y = *(feast_parquet_range_read *const *)b;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Nearby ranges become one GET (pyarrow's coalescing), cut at the
 * client's request size; the GETs go its in_flight at a time. */
static feast_code io_read_many(void *ctx, const feast_parquet_range_read *r, size_t n, feast_error *err) {
  if (n == 0) return FEAST_OK;
  const remote *rm = ctx;
  const uint64_t part_size = rm->c->part_size;
  const feast_parquet_range_read **ord = feast_malloc(sizeof *ord * n);
  span *sp = feast_calloc(n, sizeof *sp);
  feast_s3_range *gets = NULL;
  feast_code rc = ord && sp ? FEAST_OK : feast_fail(err, FEAST_E_NOMEM, "out of memory");
  size_t ns = 0, ng = 0;
  if (!rc) {
    for (size_t i = 0; i < n; i++) ord[i] = &r[i];
    qsort(ord, n, sizeof *ord, cmp_range);
    for (size_t i = 0; i < n; i++) {
      uint64_t o = ord[i]->offset, e = o + ord[i]->len;
      if (ns && o <= sp[ns - 1].end + HOLE_LIMIT && e - sp[ns - 1].off <= RANGE_LIMIT) {
        if (e > sp[ns - 1].end) sp[ns - 1].end = e;
        sp[ns - 1].last = i;
      } else {
        sp[ns++] = (span){o, e, i, i, NULL};
      }
    }
    size_t parts = 0;
    for (size_t k = 0; k < ns; k++) parts += (size_t)((sp[k].end - sp[k].off + part_size - 1) / part_size);
    if (!(gets = feast_calloc(parts ? parts : 1, sizeof *gets))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
    for (size_t k = 0; k < ns && !rc; k++) {
      size_t len = (size_t)(sp[k].end - sp[k].off);
      uint8_t *dst = ord[sp[k].first]->dst;
      if (sp[k].first != sp[k].last || ord[sp[k].first]->len != len) {
        if (!(sp[k].buf = feast_malloc(len ? len : 1))) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
        dst = sp[k].buf;
      }
      for (size_t at = 0; at < len && !rc; at += (size_t)part_size) {
        size_t l = len - at < part_size ? len - at : (size_t)part_size;
        gets[ng++] = (feast_s3_range){(int64_t)(sp[k].off + at), l, dst + at};
      }
    }
  }
  if (!rc) rc = feast_s3_file_read_many(rm->f, gets, ng, rm->c->in_flight, err);
  for (size_t k = 0; k < ns && !rc; k++)
    if (sp[k].buf)
      for (size_t i = sp[k].first; i <= sp[k].last; i++)
        memcpy(ord[i]->dst, sp[k].buf + (ord[i]->offset - sp[k].off), ord[i]->len);
  for (size_t k = 0; k < ns; k++) feast_free(sp[k].buf);
  feast_free(ord);
  feast_free(sp);
  feast_free(gets);
  return rc;
}

static void io_close(void *ctx) {
  remote *rm = ctx;
  atomic_fetch_add(&n_files, 1);
  atomic_fetch_add(&n_gets, feast_s3_file_get_count(rm->f));
  atomic_fetch_add(&n_get_bytes, feast_s3_file_bytes_read(rm->f));
  feast_s3_file_close(rm->f);
  release(rm->c);
  feast_free(rm);
}

static feast_code s3_open(void *ctx, const char *url, int64_t size, feast_parquet_io *io, feast_error *err) {
  (void)ctx;
  remote *rm = feast_calloc(1, sizeof *rm);
  if (!rm) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = get_client(&rm->c, err);
  if (!rc) rc = feast_s3_file_open_sized(rm->c->s3, url, size, &rm->f, err);
  if (rc) {
    release(rm->c);
    feast_free(rm);
    return rc;
  }
  if (size < 0) atomic_fetch_add(&n_heads, 1);
  *io = (feast_parquet_io){rm, io_read, io_read_many, io_close};
  return FEAST_OK;
}

static const feast_parquet_fs S3_FS = {NULL, s3_list, s3_open};

const feast_parquet_fs *feast_s3_parquet_fs(void) { return &S3_FS; }

/* ---- writing ---- */

feast_code feast_s3_put_file(const char *url, const char *path, feast_error *err) {
  client *c;
  feast_code rc = get_client(&c, err);
  if (rc) return rc;
  feast_s3 *s3 = c->s3;
  size_t n = strlen(url) + 1;
  char *bucket = feast_malloc(n), *key = feast_malloc(n);
  if (!bucket || !key) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (!rc) rc = feast_s3_parse_url(url, bucket, n, key, n, err);
  if (!rc && !*key) rc = feast_fail(err, FEAST_E_INVALID, "%s: names a bucket, not an object", url);
  int fd = -1;
  struct stat st;
  void *map = NULL;
  if (!rc && ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0))
    rc = feast_fail(err, FEAST_E_IO, "%s: cannot read", path);
  if (!rc && st.st_size > 0 && (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
    map = NULL;
    rc = feast_fail(err, FEAST_E_IO, "%s: cannot map", path);
  }
  if (!rc) rc = feast_s3_upload(s3, bucket, key, map ? map : "", (size_t)st.st_size, 0, NULL, err);
  if (!rc) {
    atomic_fetch_add(&n_puts, 1);
    atomic_fetch_add(&n_put_bytes, (uint64_t)st.st_size);
  }
  if (map) munmap(map, (size_t)st.st_size);
  if (fd >= 0) close(fd);
  feast_free(bucket);
  feast_free(key);
  release(c);
  return rc;
}
