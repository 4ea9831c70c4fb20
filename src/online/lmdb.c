/*
 * lmdb.c - the embedded online store. One LMDB record per (table, entity
 * key): key = table name, NUL, serialized RedisKeyV2 (which holds the
 * project); value = a compact record:
 *
 *   u8 'F' | u8 version (1) | u16 0 | i64 event_ts | i64 created_ts | u32 n
 *   n x { u32 murmur3_32("table:feature") | u32 len | len bytes of Value }
 *   u32 crc32c of all the bytes before it
 *
 * Fields are named by the same hash as Feast's Redis layout, so records stay
 * small and a feature added to a table later simply reads as NOT_FOUND. A
 * batch commits in one write transaction; readers use MVCC read
 * transactions (MDB_NOTLS) and never block the writer.
 *
 * Positions live in the same database under keys that start with a NUL
 * byte (a table name is never empty, so no row key does):
 * NUL, scope, NUL, name -> value.
 *
 * Threads: LMDB serializes write transactions itself; read transactions
 * come from a small pool (MDB_NOTLS lets any thread renew any of them), and
 * every call keeps its scratch buffers to itself.
 */
#include "online/lmdb.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fault.h"
#include "base/hash.h"

#define REC_MAGIC 'F'
/* 1: CRC-32C of the record; 2: of the LMDB key, then the record, so a
 * damaged key cannot hand one entity's values to another (issue 15). Both
 * are read; 2 is written. */
#define REC_VERSION 2
#define REC_HEADER 24
#define PAR_MIN_ROWS 65536 /* writes this large sort and encode on a second thread */
#define ENC_ROWS 8192       /* rows per encoded chunk of the write-out pipeline */

#define RTXN_POOL 64 /* reset read transactions kept for reuse */

typedef struct lmdb_store {
  feast_online_store base;
  MDB_env *env;
  MDB_dbi dbi;
  char *path;
  pthread_mutex_t pool_mu;
  MDB_txn *idle[RTXN_POOL]; /* reset read transactions, renewed per read */
  int n_idle;
  uintptr_t map_lo, map_hi; /* where data.mdb is mapped (find_map); 0 = unknown */
  _Atomic uint64_t file_end; /* bytes of data.mdb last known to be in use (in_map) */
  atomic_int faulted;       /* the signal a guarded call died of; then every call fails */
  bool read_only;           /* opened MDB_RDONLY: the files cannot be written */
} lmdb_store;

static feast_code lmdb_fail(feast_error *err, int rc, const char *what, const char *path) {
  feast_code code = rc == MDB_MAP_FULL ? FEAST_E_TOO_BIG : rc == MDB_CORRUPTED ? FEAST_E_CORRUPT : FEAST_E_IO;
  return feast_fail(err, code, "lmdb %s: %s: %s%s", path, what, mdb_strerror(rc),
                    rc == MDB_MAP_FULL ? " (raise online_store.map_size in feature_store.yaml)" : "");
}

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_i64(uint8_t *p, int64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)((uint64_t)v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static int64_t get_i64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return (int64_t)v;
}

static uint32_t feature_hash(const char *table, const char *feature) {
  char tmp[512];
  size_t a = strlen(table), b = strlen(feature);
  if (a + b + 1 <= sizeof tmp) {
    memcpy(tmp, table, a);
    tmp[a] = ':';
    memcpy(tmp + a + 1, feature, b);
    return feast_murmur3_32(tmp, a + b + 1, 0);
  }
  char *big = feast_malloc(a + b + 1);
  if (!big) return 0;
  memcpy(big, table, a);
  big[a] = ':';
  memcpy(big + a + 1, feature, b);
  uint32_t h = feast_murmur3_32(big, a + b + 1, 0);
  feast_free(big);
  return h;
}

/* Where the data file is mapped: LMDB has no call that says, so read it
 * from /proc/self/maps (the mapping of data.mdb's device and inode). Left
 * 0 when it cannot be found: in_map then checks nothing. */
static void find_map(lmdb_store *s) {
  int fd;
  struct stat st;
  if (mdb_env_get_fd(s->env, &fd) || fstat(fd, &st)) return;
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return;
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi, off, ino;
    unsigned maj, mnr;
    if (sscanf(line, "%lx-%lx %*s %lx %x:%x %lu", &lo, &hi, &off, &maj, &mnr, &ino) == 6 && off == 0 &&
        ino == (unsigned long)st.st_ino && makedev(maj, mnr) == st.st_dev) {
      s->map_lo = lo;
      s->map_hi = hi;
      break;
    }
  }
  fclose(f);
}

/* A value LMDB handed out lies inside the file's pages. LMDB trusts the
 * sizes and offsets on its pages, so in a damaged file they can point past
 * the end of the file (SIGBUS) or out of the map (SIGSEGV): check before
 * touching a byte (issue 15 #1). Pages a write transaction has copied live
 * on the heap, made by LMDB itself; a damaged offset is at most 64 KiB off
 * its page, so anything near the map is held to the file's end. */
static bool in_map(lmdb_store *s, const void *p, size_t len) {
  uintptr_t at = (uintptr_t)p;
  if (!s->map_lo || at + 65536 < s->map_lo || at >= s->map_hi + 65536) return true;
  if (at < s->map_lo) return false;
  uint64_t off = at - s->map_lo, file = atomic_load_explicit(&s->file_end, memory_order_relaxed);
  if (len <= file && off <= file - len) return true; /* the common case: no call into LMDB */
  /* past the end last seen: the file may have grown since */
  MDB_envinfo info;
  MDB_stat st;
  if (mdb_env_info(s->env, &info) || mdb_env_stat(s->env, &st)) return false;
  file = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
  if (file > s->map_hi - s->map_lo) file = s->map_hi - s->map_lo;
  atomic_store_explicit(&s->file_end, file, memory_order_relaxed);
  return len <= file && off <= file - len;
}

/* A damaged record, named by its table and entity key (hex: the key is
 * Feast's RedisKeyV2 bytes, not text). */
static feast_code damaged(feast_error *err, const lmdb_store *s, const char *table, const uint8_t *key, size_t len) {
  char hex[2 * 48 + 4];
  size_t n = len < 48 ? len : 48;
  for (size_t i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02x", key[i]);
  if (n < len) strcpy(hex + 2 * n, "...");
  return feast_fail(err, FEAST_E_CORRUPT,
                    "lmdb %s: the stored record of table %s for entity key %s is damaged (the store file is "
                    "corrupt; ingest the table again into a new store)",
                    s->path, table, len ? hex : "(empty)");
}

/* Checks a record's place and framing; on success *n is its field count. */
static bool record_ok(lmdb_store *s, const MDB_val *k, const MDB_val *v, uint32_t *n) {
  const uint8_t *p = v->mv_data;
  size_t len = v->mv_size;
  if (!in_map(s, p, len)) return false;
  if (len < REC_HEADER + 4 || p[0] != REC_MAGIC || (p[1] != 1 && p[1] != 2)) return false;
  uint32_t crc = p[1] == 1 ? 0 : feast_crc32c(0, k->mv_data, k->mv_size);
  if (get_u32(p + len - 4) != feast_crc32c(crc, p, len - 4)) return false;
  uint32_t cnt = get_u32(p + 20);
  size_t off = REC_HEADER;
  for (uint32_t i = 0; i < cnt; i++) {
    if (len - 4 - off < 8) return false;
    uint32_t vl = get_u32(p + off + 4);
    off += 8;
    if (vl > len - 4 - off) return false;
    off += vl;
  }
  if (off != len - 4) return false;
  *n = cnt;
  return true;
}

/* The LMDB key of `key` in kb (the caller's scratch: the write-out encodes
 * on two threads, and many threads read, each with its own). */
static feast_code make_key_in(lmdb_store *s, feast_buf *kb, const char *table, const uint8_t *key, size_t key_len,
                              MDB_val *out, feast_error *err) {
  feast_buf_reset(kb);
  feast_code rc = feast_buf_append(kb, table, strlen(table) + 1, err);
  if (!rc) rc = feast_buf_append(kb, key, key_len, err);
  if (rc) return rc;
  if (kb->len > (size_t)mdb_env_get_maxkeysize(s->env))
    return feast_fail(err, FEAST_E_TOO_BIG, "lmdb: entity key of table %s is %zu bytes; LMDB keys hold at most %d",
                      table, kb->len, mdb_env_get_maxkeysize(s->env));
  out->mv_data = kb->data;
  out->mv_size = kb->len;
  return FEAST_OK;
}

/* Row r's record in rec (the caller's scratch). */
static feast_code encode_record_in(feast_buf *rec, const MDB_val *k, const feast_online_table *t, const uint32_t *fhash,
                                   const feast_online_row *r, feast_error *err) {
  uint8_t hdr[REC_HEADER] = {REC_MAGIC, REC_VERSION, 0, 0};
  put_i64(hdr + 4, r->event_ts);
  put_i64(hdr + 12, r->created_ts);
  put_u32(hdr + 20, (uint32_t)t->n_features);
  feast_buf_reset(rec);
  feast_code rc = feast_buf_append(rec, hdr, sizeof hdr, err);
  for (size_t i = 0; i < t->n_features && !rc; i++) {
    uint8_t f[8];
    put_u32(f, fhash[i]);
    put_u32(f + 4, (uint32_t)r->value_lens[i]);
    rc = feast_buf_append(rec, f, 8, err);
    if (!rc && r->value_lens[i]) rc = feast_buf_append(rec, r->values[i], r->value_lens[i], err);
  }
  if (!rc) {
    uint8_t c[4];
    put_u32(c, feast_crc32c(feast_crc32c(0, k->mv_data, k->mv_size), rec->data, rec->len));
    rc = feast_buf_append(rec, c, 4, err);
  }
  return rc;
}

/* Write order: by key bytes, so that the cursor walks the B-tree forward
 * (pages stay hot; LMDB checks the cursor's current page first) instead of
 * descending from the root at random for every row. Sorted on the 8 bytes
 * that follow the prefix all keys share, then on the whole key. */
typedef struct sort_ent {
  uint64_t pfx;
  const feast_online_row *row;
  size_t idx;
} sort_ent;

static int cmp_ent(const void *a, const void *b) {
  const sort_ent *x = a, *y = b;
  if (x->pfx != y->pfx) return x->pfx < y->pfx ? -1 : 1;
  size_t n = x->row->key_len < y->row->key_len ? x->row->key_len : y->row->key_len;
  int c = memcmp(x->row->key, y->row->key, n);
  if (c) return c;
  if (x->row->key_len != y->row->key_len) return x->row->key_len < y->row->key_len ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

typedef struct sort_job {
  sort_ent *e;
  size_t n;
} sort_job;

static void *sort_main(void *arg) {
  sort_job *j = arg;
  qsort(j->e, j->n, sizeof *j->e, cmp_ent);
  return NULL;
}

/* cmp_ent is a total order (the index breaks ties), so sorting two halves on
 * two threads and merging them gives exactly what one qsort gives. */
static sort_ent *sort_rows(const feast_online_row *rows, size_t n) {
  sort_ent *e = feast_malloc((n + 1) * sizeof *e);
  if (!e) return NULL;
  size_t common = n ? rows[0].key_len : 0;
  for (size_t i = 1; i < n && common; i++) {
    size_t m = rows[i].key_len < common ? rows[i].key_len : common, j = 0;
    while (j < m && rows[i].key[j] == rows[0].key[j]) j++;
    common = j;
  }
  for (size_t i = 0; i < n; i++) {
    uint64_t v = 0;
    for (size_t j = 0; j < 8; j++) v = v << 8 | (common + j < rows[i].key_len ? rows[i].key[common + j] : 0);
    e[i] = (sort_ent){v, &rows[i], i};
  }
  sort_ent *m = n >= PAR_MIN_ROWS ? feast_malloc((n + 1) * sizeof *m) : NULL;
  pthread_t tid;
  size_t h = n / 2;
  sort_job job = {e + h, n - h};
  if (!m || pthread_create(&tid, NULL, sort_main, &job) != 0) {
    feast_free(m);
    qsort(e, n, sizeof *e, cmp_ent);
    return e;
  }
  qsort(e, h, sizeof *e, cmp_ent);
  pthread_join(tid, NULL);
  size_t i = 0, j = h, o = 0;
  while (i < h && j < n) m[o++] = cmp_ent(&e[i], &e[j]) < 0 ? e[i++] : e[j++];
  while (i < h) m[o++] = e[i++];
  while (j < n) m[o++] = e[j++];
  feast_free(e);
  return m;
}

/* The write-out is a pipeline: a helper thread builds the LMDB keys and
 * records of the rows in write order, a chunk at a time, into one of two
 * buffers, while this thread looks the previous chunk up and puts it. The
 * rows sit at random addresses, so building is mostly waiting on memory;
 * the puts walk the B-tree. A row the helper could not encode (an error)
 * and every later row of its chunk are encoded here, as before, so errors
 * and the rows they concern are those of a write done in one thread. */
typedef struct enc_chunk {
  feast_buf data; /* per row: LMDB key, then record */
  uint32_t klen[ENC_ROWS], rlen[ENC_ROWS];
  size_t lo, n, done; /* rows lo..lo+n of the write order; the first `done` encoded */
  int ready;
} enc_chunk;

typedef struct encoder {
  lmdb_store *s;
  const feast_online_table *t;
  const uint32_t *fhash;
  const sort_ent *order;
  size_t n;
  enc_chunk ch[2];
  feast_buf key, rec; /* the encoding thread's scratch */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop;
} encoder;

static void encode_chunk(encoder *en, enc_chunk *c, size_t lo) {
  feast_error err;
  c->lo = lo;
  c->n = en->n - lo < ENC_ROWS ? en->n - lo : ENC_ROWS;
  feast_buf_reset(&c->data);
  size_t j = 0;
  for (; j < c->n; j++) {
    if (j + 12 < c->n) {
      const feast_online_row *ahead = en->order[lo + j + 12].row;
      __builtin_prefetch(ahead->key);
      __builtin_prefetch(ahead->values);
      __builtin_prefetch(ahead->value_lens);
    }
    if (j + 6 < c->n && en->t->n_features && en->order[lo + j + 6].row->values[0]) {
      const uint8_t *v0 = en->order[lo + j + 6].row->values[0];
      __builtin_prefetch(v0);
      __builtin_prefetch(v0 + 64);
    }
    const feast_online_row *row = en->order[lo + j].row;
    MDB_val k;
    if (make_key_in(en->s, &en->key, en->t->name, row->key, row->key_len, &k, &err)) break;
    if (encode_record_in(&en->rec, &k, en->t, en->fhash, row, &err)) break;
    if (feast_buf_append(&c->data, en->key.data, en->key.len, &err)) break;
    if (feast_buf_append(&c->data, en->rec.data, en->rec.len, &err)) break;
    c->klen[j] = (uint32_t)en->key.len;
    c->rlen[j] = (uint32_t)en->rec.len;
  }
  c->done = j;
}

static void *encoder_main(void *arg) {
  encoder *en = arg;
  for (size_t k = 0; k * ENC_ROWS < en->n; k++) {
    enc_chunk *c = &en->ch[k & 1];
    pthread_mutex_lock(&en->mu);
    while (c->ready && !en->stop) pthread_cond_wait(&en->cv, &en->mu);
    int stop = en->stop;
    pthread_mutex_unlock(&en->mu);
    if (stop) break;
    encode_chunk(en, c, k * ENC_ROWS);
    pthread_mutex_lock(&en->mu);
    c->ready = 1;
    pthread_cond_broadcast(&en->cv);
    pthread_mutex_unlock(&en->mu);
  }
  return NULL;
}

static feast_code put_positions_in(lmdb_store *s, MDB_txn *txn, const feast_online_positions *pos, feast_error *err);

/* Bytes the map can still take: never used pages plus the free list. An
 * upper bound (page overhead is not counted), so a write it refuses could
 * never have fit. */
static uint64_t map_room(lmdb_store *s) {
  MDB_envinfo info;
  MDB_stat st;
  if (mdb_env_info(s->env, &info) || mdb_env_stat(s->env, &st)) return UINT64_MAX;
  uint64_t used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
  uint64_t room = info.me_mapsize > used ? info.me_mapsize - used : 0;
  MDB_txn *txn;
  MDB_cursor *cur;
  if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) return UINT64_MAX;
  if (!mdb_cursor_open(txn, 0 /* FREE_DBI */, &cur)) {
    MDB_val k, v;
    for (int op = MDB_FIRST; !mdb_cursor_get(cur, &k, &v, op); op = MDB_NEXT)
      if (v.mv_size >= sizeof(size_t)) room += (uint64_t)*(const size_t *)v.mv_data * st.ms_psize;
    mdb_cursor_close(cur);
  }
  mdb_txn_abort(txn);
  return room;
}

/* Refuse a write that cannot fit before it starts, instead of failing with
 * MDB_MAP_FULL halfway (issue 15 #6): the rows' keys and records alone are
 * a lower bound of what they need. */
static feast_code check_room(lmdb_store *s, const feast_online_table *t, const feast_online_row *rows, size_t n,
                             feast_error *err) {
  uint64_t need = 0;
  size_t tl = strlen(t->name) + 1;
  for (size_t i = 0; i < n; i++) {
    need += tl + rows[i].key_len + REC_HEADER + 8 * (uint64_t)t->n_features;
    for (size_t f = 0; f < t->n_features; f++) need += rows[i].value_lens[f];
  }
  MDB_envinfo info;
  if (mdb_env_info(s->env, &info) || need < info.me_mapsize / 4) return FEAST_OK; /* cheap common case */
  uint64_t room = map_room(s);
  if (need <= room) return FEAST_OK;
  return feast_fail(err, FEAST_E_TOO_BIG,
                    "lmdb %s: %zu rows of table %s need at least %.1f MiB but the map has %.1f MiB free of %.1f MiB; "
                    "nothing was written (raise online_store.map_size in feature_store.yaml)",
                    s->path, n, t->name, need / 1048576.0, room / 1048576.0, info.me_mapsize / 1048576.0);
}

static feast_code write_unguarded(feast_online_store *base, const feast_online_table *t, const feast_online_row *rows, size_t n,
                             uint8_t *written, const feast_online_positions *pos, feast_error *err) {
  lmdb_store *s = (lmdb_store *)base;
  feast_buf key, record; /* this call's scratch for rows the encoder thread did not build */
  feast_buf_init(&key, 1 << 16);
  feast_buf_init(&record, (size_t)1 << 30);
  memset(written, 0, n);
  feast_code crc = check_room(s, t, rows, n, err);
  if (crc) return crc;
  sort_ent *order = sort_rows(rows, n);
  if (!order) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  MDB_txn *txn;
  MDB_cursor *cur = NULL;
  int mrc = mdb_txn_begin(s->env, NULL, 0, &txn);
  if (mrc) {
    feast_free(order);
    return lmdb_fail(err, mrc, "begin write", s->path);
  }
  mrc = mdb_cursor_open(txn, s->dbi, &cur);
  feast_code rc = mrc ? lmdb_fail(err, mrc, "cursor", s->path) : FEAST_OK;
  uint32_t *fhash = feast_malloc((t->n_features + 1) * sizeof *fhash);
  encoder *en = feast_calloc(1, sizeof *en);
  if ((!fhash || !en) && !rc) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t f = 0; f < t->n_features && !rc; f++) fhash[f] = feature_hash(t->name, t->features[f]);
  pthread_t tid;
  int threaded = 0;
  if (!rc) {
    *en = (encoder){.s = s, .t = t, .fhash = fhash, .order = order, .n = n};
    for (int i = 0; i < 2; i++) feast_buf_init(&en->ch[i].data, (size_t)1 << 40);
    feast_buf_init(&en->key, 1 << 16);
    feast_buf_init(&en->rec, (size_t)1 << 30);
    if (n >= PAR_MIN_ROWS && pthread_mutex_init(&en->mu, NULL) == 0) {
      if (pthread_cond_init(&en->cv, NULL) == 0) {
        threaded = pthread_create(&tid, NULL, encoder_main, en) == 0;
        if (!threaded) pthread_cond_destroy(&en->cv);
      }
      if (!threaded) pthread_mutex_destroy(&en->mu);
    }
  }
  for (size_t lo = 0, kc = 0; lo < n && !rc; lo += ENC_ROWS, kc++) {
    enc_chunk *c = &en->ch[kc & 1];
    if (threaded) {
      pthread_mutex_lock(&en->mu);
      while (!c->ready) pthread_cond_wait(&en->cv, &en->mu);
      pthread_mutex_unlock(&en->mu);
    } else {
      encode_chunk(en, c, lo);
    }
    const uint8_t *d = c->data.data;
    for (size_t j = 0; j < c->n; j++) {
      const feast_online_row *row = order[lo + j].row;
      size_t i = order[lo + j].idx;
      MDB_val k, v, rec = {0, NULL};
      if (j < c->done) {
        k.mv_data = (void *)d;
        k.mv_size = c->klen[j];
        rec.mv_data = (void *)(d + c->klen[j]);
        rec.mv_size = c->rlen[j];
        d += c->klen[j] + c->rlen[j];
      } else if ((rc = make_key_in(s, &key, t->name, row->key, row->key_len, &k, err))) {
        break;
      }
      /* MDB_SET_KEY would point k into the page, which MDB_CURRENT may move
       * when the new value's size differs: keep k on our own buffer. */
      MDB_val found_key = k;
      mrc = mdb_cursor_get(cur, &found_key, &v, MDB_SET_KEY);
      unsigned flags = 0;
      if (mrc == 0) {
        uint32_t cnt;
        if (!record_ok(s, &k, &v, &cnt)) {
          rc = damaged(err, s, t->name, row->key, row->key_len);
          break;
        }
        const uint8_t *p = v.mv_data;
        if (!feast_row_newer(row->event_ts, row->created_ts, get_i64(p + 4), get_i64(p + 12))) continue;
        flags = MDB_CURRENT;
      } else if (mrc != MDB_NOTFOUND) {
        rc = lmdb_fail(err, mrc, "get", s->path);
        break;
      }
      if (j >= c->done) {
        if ((rc = encode_record_in(&record, &k, t, fhash, row, err))) break;
        rec.mv_data = record.data;
        rec.mv_size = record.len;
      }
      mrc = mdb_cursor_put(cur, &k, &rec, flags);
      if (mrc) {
        /* The transaction is dead now (MDB_MAP_FULL...): every later call
         * on it says MDB_BAD_TXN, so stop here and keep this error. */
        rc = lmdb_fail(err, mrc, "put", s->path);
        break;
      }
      written[i] = 1;
    }
    if (threaded) {
      pthread_mutex_lock(&en->mu);
      c->ready = 0;
      pthread_cond_broadcast(&en->cv);
      pthread_mutex_unlock(&en->mu);
    }
  }
  if (threaded) {
    pthread_mutex_lock(&en->mu);
    en->stop = 1;
    pthread_cond_broadcast(&en->cv);
    pthread_mutex_unlock(&en->mu);
    pthread_join(tid, NULL);
    pthread_cond_destroy(&en->cv);
    pthread_mutex_destroy(&en->mu);
  }
  if (en) {
    for (int i = 0; i < 2; i++) feast_buf_free(&en->ch[i].data);
    feast_buf_free(&en->key);
    feast_buf_free(&en->rec);
    feast_free(en);
  }
  if (cur) mdb_cursor_close(cur);
  feast_free(order);
  feast_free(fhash);
  feast_buf_free(&key);
  feast_buf_free(&record);
  if (!rc && pos) rc = put_positions_in(s, txn, pos, err);
  if (!rc) {
    mrc = mdb_txn_commit(txn);
    if (mrc) rc = lmdb_fail(err, mrc, "commit", s->path);
  } else {
    mdb_txn_abort(txn);
  }
  if (rc) memset(written, 0, n); /* the whole transaction is gone */
  return rc;
}

/* A read transaction from the pool (or a new one); give it back with
 * end_read. */
static feast_code begin_read(lmdb_store *s, MDB_txn **txn, feast_error *err) {
  pthread_mutex_lock(&s->pool_mu);
  *txn = s->n_idle ? s->idle[--s->n_idle] : NULL;
  pthread_mutex_unlock(&s->pool_mu);
  int mrc = *txn ? mdb_txn_renew(*txn) : mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
  if (mrc) {
    if (*txn) mdb_txn_abort(*txn);
    *txn = NULL;
    return lmdb_fail(err, mrc, "begin read", s->path);
  }
  return FEAST_OK;
}

static void end_read(lmdb_store *s, MDB_txn *txn) {
  mdb_txn_reset(txn);
  pthread_mutex_lock(&s->pool_mu);
  if (s->n_idle < RTXN_POOL) {
    s->idle[s->n_idle++] = txn;
    txn = NULL;
  }
  pthread_mutex_unlock(&s->pool_mu);
  if (txn) mdb_txn_abort(txn);
}

static feast_code read_unguarded(feast_online_store *base, const feast_online_table *t, const uint8_t *const *keys,
                            const size_t *key_lens, size_t n, feast_arena *arena, feast_online_record *out,
                            feast_error *err) {
  lmdb_store *s = (lmdb_store *)base;
  uint32_t *hashes = feast_arena_alloc(arena, (t->n_features + 1) * sizeof *hashes);
  if (!hashes) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (size_t f = 0; f < t->n_features; f++) hashes[f] = feature_hash(t->name, t->features[f]);
  feast_buf kb;
  feast_buf_init(&kb, 1 << 16);
  MDB_txn *txn;
  feast_code rc = begin_read(s, &txn, err);
  for (size_t i = 0; i < n && !rc; i++) {
    feast_online_record *r = &out[i];
    memset(r, 0, sizeof *r);
    r->has = feast_arena_calloc(arena, t->n_features + 1);
    r->values = feast_arena_calloc(arena, (t->n_features + 1) * sizeof *r->values);
    r->value_lens = feast_arena_calloc(arena, (t->n_features + 1) * sizeof *r->value_lens);
    if (!r->has || !r->values || !r->value_lens) {
      rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
      break;
    }
    MDB_val k, v;
    if ((rc = make_key_in(s, &kb, t->name, keys[i], key_lens[i], &k, err))) break;
    int mrc = mdb_get(txn, s->dbi, &k, &v);
    if (mrc == MDB_NOTFOUND) continue;
    if (mrc) {
      rc = lmdb_fail(err, mrc, "get", s->path);
      break;
    }
    uint32_t cnt;
    const uint8_t *p = v.mv_data;
    if (!record_ok(s, &k, &v, &cnt)) {
      rc = damaged(err, s, t->name, keys[i], key_lens[i]);
      break;
    }
    r->found = true;
    r->event_ts = get_i64(p + 4);
    r->created_ts = get_i64(p + 12);
    size_t off = REC_HEADER, next = 0;
    for (uint32_t j = 0; j < cnt && !rc; j++) {
      uint32_t h = get_u32(p + off), vl = get_u32(p + off + 4);
      const uint8_t *val = p + off + 8;
      off += 8 + vl;
      /* Records hold the table's features in order and requests usually
       * ask in that order: try the feature after the last one matched
       * first, so a whole-row read is linear, not features x fields. */
      size_t from = next < t->n_features && hashes[next] == h && !r->has[next] ? next : 0;
      for (size_t f = from; f < t->n_features; f++) {
        if (hashes[f] != h || r->has[f]) continue;
        next = f + 1;
        uint8_t *copy = vl ? feast_arena_alloc(arena, vl) : NULL;
        if (vl && !copy) {
          rc = feast_fail(err, FEAST_E_NOMEM, "out of memory");
          break;
        }
        if (vl) memcpy(copy, val, vl);
        r->has[f] = true;
        r->values[f] = copy;
        r->value_lens[f] = vl;
      }
    }
  }
  if (txn) end_read(s, txn);
  feast_buf_free(&kb);
  return rc;
}

/* ---- positions ---- */

/* NUL, scope, NUL, name: under every row key (they start with a table name). */
static feast_code position_key(feast_buf *b, const char *scope, const char *name, feast_error *err) {
  feast_buf_reset(b);
  feast_code rc = feast_buf_append_byte(b, 0, err);
  if (!rc) rc = feast_buf_append(b, scope, strlen(scope) + 1, err);
  if (!rc && name) rc = feast_buf_append(b, name, strlen(name), err);
  return rc;
}

static feast_code put_positions_in(lmdb_store *s, MDB_txn *txn, const feast_online_positions *pos, feast_error *err) {
  feast_buf kb;
  feast_buf_init(&kb, (size_t)mdb_env_get_maxkeysize(s->env));
  feast_code rc = FEAST_OK;
  for (size_t i = 0; i < pos->n && !rc; i++) {
    if ((rc = position_key(&kb, pos->scope, pos->items[i].name, err))) {
      feast_error_prefix(err, "lmdb %s: position %s of %s: ", s->path, pos->items[i].name, pos->scope);
      break;
    }
    MDB_val k = {kb.len, kb.data}, v = {strlen(pos->items[i].value), (void *)pos->items[i].value};
    int mrc = mdb_put(txn, s->dbi, &k, &v, 0);
    if (mrc) rc = lmdb_fail(err, mrc, "put position", s->path);
  }
  feast_buf_free(&kb);
  return rc;
}

static feast_code put_positions_unguarded(feast_online_store *base, const feast_online_positions *pos, feast_error *err) {
  lmdb_store *s = (lmdb_store *)base;
  MDB_txn *txn;
  int mrc = mdb_txn_begin(s->env, NULL, 0, &txn);
  if (mrc) return lmdb_fail(err, mrc, "begin write", s->path);
  feast_code rc = put_positions_in(s, txn, pos, err);
  if (rc) {
    mdb_txn_abort(txn);
    return rc;
  }
  mrc = mdb_txn_commit(txn);
  return mrc ? lmdb_fail(err, mrc, "commit", s->path) : FEAST_OK;
}

static feast_code get_positions_unguarded(feast_online_store *base, const char *scope, feast_online_position_fn fn,
                                     void *ctx, feast_error *err) {
  lmdb_store *s = (lmdb_store *)base;
  feast_buf prefix, name, value;
  feast_buf_init(&prefix, 1 << 16);
  feast_buf_init(&name, 1 << 16);
  feast_buf_init(&value, 1 << 20);
  MDB_txn *txn;
  MDB_cursor *cur = NULL;
  feast_code rc = position_key(&prefix, scope, NULL, err);
  if (!rc) rc = begin_read(s, &txn, err);
  else txn = NULL;
  int mrc = txn ? mdb_cursor_open(txn, s->dbi, &cur) : 0;
  if (mrc) rc = lmdb_fail(err, mrc, "cursor", s->path);
  MDB_val k = {prefix.len, prefix.data}, v;
  for (mrc = rc ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); !rc && !mrc;
       mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    if (!in_map(s, k.mv_data, k.mv_size) || !in_map(s, v.mv_data, v.mv_size)) {
      rc = feast_fail(err, FEAST_E_CORRUPT, "lmdb %s: a stored position of %s is damaged", s->path, scope);
      break;
    }
    if (k.mv_size < prefix.len || memcmp(k.mv_data, prefix.data, prefix.len) != 0) break;
    /* copies: the callback sees NUL-terminated strings */
    feast_buf_reset(&name);
    feast_buf_reset(&value);
    rc = feast_buf_append(&name, (const uint8_t *)k.mv_data + prefix.len, k.mv_size - prefix.len, err);
    if (!rc) rc = feast_buf_append(&value, v.mv_data, v.mv_size, err);
    const char *ns = rc ? NULL : feast_buf_cstr(&name, err), *vs = ns ? feast_buf_cstr(&value, err) : NULL;
    if (!rc && (!ns || !vs)) rc = err ? err->code : FEAST_E_NOMEM;
    if (!rc) rc = fn(ctx, ns, vs, err);
  }
  if (!rc && mrc && mrc != MDB_NOTFOUND) rc = lmdb_fail(err, mrc, "cursor walk", s->path);
  if (cur) mdb_cursor_close(cur);
  if (txn) end_read(s, txn);
  feast_buf_free(&prefix);
  feast_buf_free(&name);
  feast_buf_free(&value);
  return rc;
}

static feast_code verify_unguarded(feast_online_store *base, size_t *n_records, feast_error *err) {
  lmdb_store *s = (lmdb_store *)base;
  *n_records = 0;
  MDB_txn *txn;
  feast_code rc = begin_read(s, &txn, err);
  if (rc) return rc;
  MDB_cursor *cur;
  int mrc = mdb_cursor_open(txn, s->dbi, &cur);
  if (mrc) {
    end_read(s, txn);
    return lmdb_fail(err, mrc, "cursor", s->path);
  }
  MDB_val k, v;
  for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !mrc; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    uint32_t cnt;
    if (k.mv_size && *(const uint8_t *)k.mv_data == 0) continue; /* a position */
    if (!in_map(s, k.mv_data, k.mv_size) || !memchr(k.mv_data, 0, k.mv_size) || !record_ok(s, &k, &v, &cnt)) {
      rc = feast_fail(err, FEAST_E_CORRUPT, "lmdb %s: record %zu is not whole", s->path, *n_records);
      break;
    }
    (*n_records)++;
  }
  if (!rc && mrc != MDB_NOTFOUND) rc = lmdb_fail(err, mrc, "cursor walk", s->path);
  mdb_cursor_close(cur);
  end_read(s, txn);
  return rc;
}

/* ---- every call under the fault guard (base/fault.h) ---- */

typedef enum { OP_WRITE, OP_READ, OP_PUT_POSITIONS, OP_GET_POSITIONS, OP_VERIFY } lmdb_op;

typedef struct lmdb_call {
  lmdb_op op;
  feast_online_store *base;
  const feast_online_table *t;
  const feast_online_row *rows;
  size_t n;
  uint8_t *written;
  const feast_online_positions *pos;
  const uint8_t *const *keys;
  const size_t *key_lens;
  feast_arena *arena;
  feast_online_record *out;
  const char *scope;
  feast_online_position_fn fn;
  void *ctx;
  size_t *n_records;
  feast_error *err;
} lmdb_call;

static int run_call(void *arg) {
  lmdb_call *c = arg;
  switch (c->op) {
  case OP_WRITE: return write_unguarded(c->base, c->t, c->rows, c->n, c->written, c->pos, c->err);
  case OP_READ: return read_unguarded(c->base, c->t, c->keys, c->key_lens, c->n, c->arena, c->out, c->err);
  case OP_PUT_POSITIONS: return put_positions_unguarded(c->base, c->pos, c->err);
  case OP_GET_POSITIONS: return get_positions_unguarded(c->base, c->scope, c->fn, c->ctx, c->err);
  case OP_VERIFY: return verify_unguarded(c->base, c->n_records, c->err);
  }
  return FEAST_E_INTERNAL;
}

/* A fault inside LMDB's page walk leaves its transaction half done (and a
 * writer's lock held): the handle is not used again. */
static feast_code guarded(lmdb_call *c) {
  lmdb_store *s = (lmdb_store *)c->base;
  int sig = atomic_load(&s->faulted), rc = sig ? -1 : feast_fault_guard(run_call, c, &sig);
  if (!sig) return (feast_code)rc;
  atomic_store(&s->faulted, sig);
  return feast_fail(c->err, FEAST_E_CORRUPT,
                    "lmdb %s: the store file is damaged (%s while LMDB walked its pages); this handle is closed to "
                    "further use: ingest the tables again into a new store",
                    s->path, sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
}

static feast_code lmdb_write(feast_online_store *base, const feast_online_table *t, const feast_online_row *rows, size_t n,
                             uint8_t *written, const feast_online_positions *pos, feast_error *err) {
  if (((lmdb_store *)base)->read_only)
    return feast_fail(err, FEAST_E_IO, "lmdb %s: the store can only be read here (read-only files or mount)",
                      ((lmdb_store *)base)->path);
  lmdb_call c = {.op = OP_WRITE, .base = base, .t = t, .rows = rows, .n = n, .written = written, .pos = pos, .err = err};
  return guarded(&c);
}

static feast_code lmdb_read(feast_online_store *base, const feast_online_table *t, const uint8_t *const *keys,
                            const size_t *key_lens, size_t n, feast_arena *arena, feast_online_record *out,
                            feast_error *err) {
  lmdb_call c = {.op = OP_READ, .base = base, .t = t, .keys = keys, .key_lens = key_lens, .n = n, .arena = arena,
                 .out = out, .err = err};
  return guarded(&c);
}

static feast_code lmdb_put_positions(feast_online_store *base, const feast_online_positions *pos, feast_error *err) {
  lmdb_call c = {.op = OP_PUT_POSITIONS, .base = base, .pos = pos, .err = err};
  return guarded(&c);
}

static feast_code lmdb_get_positions(feast_online_store *base, const char *scope, feast_online_position_fn fn,
                                     void *ctx, feast_error *err) {
  lmdb_call c = {.op = OP_GET_POSITIONS, .base = base, .scope = scope, .fn = fn, .ctx = ctx, .err = err};
  return guarded(&c);
}

feast_code feast_lmdb_verify(feast_online_store *base, size_t *n_records, feast_error *err) {
  lmdb_call c = {.op = OP_VERIFY, .base = base, .n_records = n_records, .err = err};
  return guarded(&c);
}

static void lmdb_close(feast_online_store *base) {
  lmdb_store *s = (lmdb_store *)base;
  for (int i = 0; i < s->n_idle; i++) mdb_txn_abort(s->idle[i]);
  if (s->env) mdb_env_close(s->env);
  pthread_mutex_destroy(&s->pool_mu);
  feast_free(s->path);
  feast_free(s);
}

static const feast_online_backend lmdb_ops = {"lmdb", FEAST_ONLINE_CAP_BULK_ORDERED | FEAST_ONLINE_CAP_ATOMIC_POSITIONS,
    lmdb_write, lmdb_read, lmdb_put_positions, lmdb_get_positions, lmdb_close};

feast_code feast_lmdb_open(const char *path, const feast_online_options *opts, feast_online_store **out,
                           feast_error *err) {
  if (!*path) return feast_fail(err, FEAST_E_INVALID, "lmdb: empty path");
  if (mkdir(path, 0777) != 0 && errno != EEXIST)
    return feast_fail(err, FEAST_E_IO, "lmdb %s: cannot create directory: %s", path, strerror(errno));
  lmdb_store *s = feast_calloc(1, sizeof *s);
  if (!s) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  if (pthread_mutex_init(&s->pool_mu, NULL) != 0) {
    feast_free(s);
    return feast_fail(err, FEAST_E_NOMEM, "lmdb %s: cannot create a mutex", path);
  }
  s->base.ops = &lmdb_ops;
  s->base.opts = *opts;
  s->path = feast_strdup(path);
  if (!s->path) {
    lmdb_close(&s->base);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  }
  int mrc = mdb_env_create(&s->env);
  if (!mrc) mrc = mdb_env_set_mapsize(s->env, opts->lmdb_map_size);
  if (!mrc) mrc = mdb_env_set_maxreaders(s->env, 256);
  if (!mrc) mrc = mdb_env_open(s->env, path, MDB_NOTLS, 0664);
  if (mrc == EACCES || mrc == EROFS) {
    /* A store we may only read (a read-only mount, another user's files):
     * serve reads without the lock file, which cannot be written either;
     * writes are refused by LMDB (EACCES) and say so. */
    mdb_env_close(s->env);
    s->env = NULL;
    mrc = mdb_env_create(&s->env);
    if (!mrc) mrc = mdb_env_set_mapsize(s->env, opts->lmdb_map_size);
    if (!mrc) mrc = mdb_env_open(s->env, path, MDB_NOTLS | MDB_RDONLY | MDB_NOLOCK, 0664);
    s->read_only = !mrc;
  }
  if (mrc) {
    if (s->env && mrc) {
      mdb_env_close(s->env);
      s->env = NULL;
    }
    feast_code rc = lmdb_fail(err, mrc, "open", path);
    lmdb_close(&s->base);
    return rc;
  }
  MDB_txn *txn;
  mrc = mdb_txn_begin(s->env, NULL, s->read_only ? MDB_RDONLY : 0, &txn);
  if (!mrc) mrc = mdb_dbi_open(txn, NULL, 0, &s->dbi);
  if (!mrc) mrc = mdb_txn_commit(txn);
  if (mrc) {
    feast_code rc = lmdb_fail(err, mrc, "open database", path);
    lmdb_close(&s->base);
    return rc;
  }
  s->base.max_key = (size_t)mdb_env_get_maxkeysize(s->env);
  find_map(s);
  *out = &s->base;
  return FEAST_OK;
}
