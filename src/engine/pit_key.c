/*
 * pit_key.c - entity keys for the point-in-time join: normalisation, hashing
 * and the dictionary that maps each distinct key to a dense id.
 *
 * One integer key column is the fast path: the key is its int64 value (so an
 * int32 column in the entity file matches an int64 column in the source).
 * Anything else (several columns, strings) is normalised to bytes: per
 * column a tag, then 8 little-endian bytes for integers or a 4-byte length
 * and the bytes for strings. Equal keys give equal bytes whatever the
 * column widths, and the dictionary compares bytes, so collisions of the
 * 64-bit hash never merge two keys. Dense integer keys also get a direct
 * table (key - min -> slot data) for the join's per-row lookups.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "engine/pit.h"

/* Int mode keeps the key beside its id in the slot, so a lookup touches one
 * cache line (the table is far larger than the caches: one miss per feature
 * row is the join's main cost, and batched lookups prefetch it). */
typedef struct pit_islot {
  int64_t key;
  int32_t id;   /* -1 when empty */
  uint32_t aux; /* the index's word for this key (pit_dict_set_aux), so a lookup needs no second miss */
  int64_t lo, hi; /* event times this key's entity rows can use (pit_dict_set_aux) */
} pit_islot;

/* Int mode with dense keys: the aux word and window of key dmin + i, found
 * without hashing or probing (absent keys hold UINT32_MAX). 32 bytes, so an
 * aligned entry is one cache line. */
typedef struct pit_dent {
  int64_t lo, hi;
  uint32_t aux, unused;
  int64_t pad;
} pit_dent;

struct pit_dict {
  bool int_mode;
  pit_dent *direct; /* set by pit_dict_set_aux when the keys are dense enough */
  void *direct_mem;
  int64_t dmin;
  uint64_t drange;
  int64_t direct_n; /* keys in the dict when the direct table was built */
  uint64_t mask;
  int32_t *slots;     /* bytes mode: key id, or -1 when empty */
  pit_islot *islots;  /* int mode */
  void *slots_mem;    /* what to free for slots or islots */
  int64_t n, cap; /* ids handed out, room in the per-id arrays (bytes mode) */
  uint64_t *khash; /* bytes mode: hash of each id */
  int64_t *koff;
  uint32_t *klen;
  uint8_t *kdata;
  size_t kdata_len, kdata_cap;
  uint8_t scratch[4096];
  uint8_t *big; /* scratch for longer keys */
  size_t big_cap;
};

static bool is_int_family(const feast_array *a) { return feast_dtype_is_integer(a->type) || a->type.id == FEAST_DT_BOOL; }

bool pit_key_is_int(const pit_keycols *k) { return k->n == 1 && is_int_family(k->col[0]); }

/* Bytes needed to normalise row i (without writing). */
static size_t key_len(const pit_keycols *k, int64_t i) {
  size_t n = 0;
  for (int c = 0; c < k->n; c++) {
    if (is_int_family(k->col[c])) {
      n += 9;
    } else {
      size_t len;
      feast_array_get_bytes(k->col[c], i, &len);
      n += 5 + len;
    }
  }
  return n;
}

/* Writes row i's normalised key into out (room for key_len bytes). Returns
 * false when a component is null. */
static bool key_bytes(const pit_keycols *k, int64_t i, uint8_t *out, size_t *len) {
  size_t n = 0;
  for (int c = 0; c < k->n; c++) {
    const feast_array *a = k->col[c];
    if (!feast_array_is_valid(a, i)) return false;
    if (is_int_family(a)) {
      uint64_t v = (uint64_t)feast_array_get_int(a, i);
      out[n++] = 'i';
      for (int b = 0; b < 8; b++) out[n++] = (uint8_t)(v >> (8 * b));
    } else {
      size_t l;
      const uint8_t *p = feast_array_get_bytes(a, i, &l);
      out[n++] = 's';
      for (int b = 0; b < 4; b++) out[n++] = (uint8_t)((uint32_t)l >> (8 * b));
      if (l) memcpy(out + n, p, l);
      n += l;
    }
  }
  *len = n;
  return true;
}

uint64_t pit_key_hash(const pit_keycols *k, int64_t i, bool *null, uint8_t *scratch, size_t scratch_cap) {
  *null = false;
  if (pit_key_is_int(k)) {
    if (!feast_array_is_valid(k->col[0], i)) {
      *null = true;
      return 0;
    }
    return feast_hash_u64((uint64_t)feast_array_get_int(k->col[0], i));
  }
  size_t need = key_len(k, i), len;
  uint8_t *buf = scratch;
  if (need > scratch_cap && !(buf = feast_malloc(need))) {
    *null = true; /* out of memory: callers treat as unmatched; see pit_dict_id for the checked path */
    return 0;
  }
  uint64_t h = 0;
  if (!key_bytes(k, i, buf, &len))
    *null = true;
  else
    h = feast_hash64(buf, len, 0);
  if (buf != scratch) feast_free(buf);
  return h;
}

pit_dict *pit_dict_new(int64_t expected, bool int_mode) {
  pit_dict *d = feast_calloc(1, sizeof *d);
  if (!d) return NULL;
  d->int_mode = int_mode;
  uint64_t slots = 16;
  while ((int64_t)slots < expected + expected / 2 + 1) slots *= 2;
  d->mask = slots - 1;
  size_t width = int_mode ? sizeof(pit_islot) : sizeof(int32_t);
  void *p = feast_table_alloc(slots * width, &d->slots_mem);
  if (!p) {
    feast_free(d);
    return NULL;
  }
  memset(p, 0xff, slots * width);
  if (int_mode)
    d->islots = p;
  else
    d->slots = p;
  return d;
}

void pit_dict_free(pit_dict *d) {
  if (!d) return;
  feast_free(d->slots_mem);
  feast_free(d->direct_mem);
  feast_free(d->khash);
  feast_free(d->koff);
  feast_free(d->klen);
  feast_free(d->kdata);
  feast_free(d->big);
  feast_free(d);
}

int64_t pit_dict_size(const pit_dict *d) { return d->n; }

size_t pit_dict_bytes(const pit_dict *d) {
  if (d->int_mode) return (d->mask + 1) * sizeof(pit_islot) + d->drange * sizeof(pit_dent);
  return (d->mask + 1) * sizeof(int32_t) + (size_t)d->cap * 20 + d->kdata_cap;
}

/* Grows the per-id arrays of bytes mode. */
static bool grow_ids(pit_dict *d) {
  if (d->n < d->cap) return true;
  int64_t cap = d->cap ? d->cap * 2 : 1024;
  uint64_t *h = feast_realloc(d->khash, (size_t)cap * 8);
  if (h) d->khash = h;
  int64_t *o = h ? feast_realloc(d->koff, (size_t)cap * 8) : NULL;
  if (o) d->koff = o;
  uint32_t *l = o ? feast_realloc(d->klen, (size_t)cap * 4) : NULL;
  if (!l) return false;
  d->klen = l;
  d->cap = cap;
  return true;
}

static uint64_t id_hash(const pit_dict *d, int32_t id) { return d->khash[id]; }

static bool rehash_int(pit_dict *d) {
  uint64_t slots = (d->mask + 1) * 2;
  void *mem;
  pit_islot *s = feast_table_alloc(slots * sizeof *s, &mem);
  if (!s) return false;
  memset(s, 0xff, slots * sizeof *s);
  for (uint64_t o = 0; o <= d->mask; o++) {
    if (d->islots[o].id < 0) continue;
    uint64_t j = feast_hash_u64((uint64_t)d->islots[o].key) & (slots - 1);
    while (s[j].id >= 0) j = (j + 1) & (slots - 1);
    s[j] = d->islots[o];
  }
  feast_free(d->slots_mem);
  d->slots_mem = mem;
  d->islots = s;
  d->mask = slots - 1;
  return true;
}

static bool rehash(pit_dict *d) {
  uint64_t slots = (d->mask + 1) * 2;
  void *mem;
  int32_t *s = feast_table_alloc(slots * sizeof(int32_t), &mem);
  if (!s) return false;
  memset(s, 0xff, slots * sizeof(int32_t));
  for (int64_t id = 0; id < d->n; id++) {
    uint64_t j = id_hash(d, (int32_t)id) & (slots - 1);
    while (s[j] >= 0) j = (j + 1) & (slots - 1);
    s[j] = (int32_t)id;
  }
  feast_free(d->slots_mem);
  d->slots_mem = mem;
  d->slots = s;
  d->mask = slots - 1;
  return true;
}

int32_t pit_dict_id(pit_dict *d, const pit_keycols *k, int64_t i, bool insert) {
  if (d->int_mode) {
    const feast_array *a = k->col[0];
    if (!feast_array_is_valid(a, i)) return -1;
    int64_t key = feast_array_get_int(a, i);
    uint64_t j = feast_hash_u64((uint64_t)key) & d->mask;
    for (;;) {
      const pit_islot *s = &d->islots[j];
      if (s->id < 0) break;
      if (s->key == key) return (int32_t)s->id;
      j = (j + 1) & d->mask;
    }
    if (!insert) return -1;
    if (d->n >= INT32_MAX - 1) return -2;
    d->islots[j].key = key;
    d->islots[j].id = (int32_t)d->n;
    d->islots[j].aux = UINT32_MAX;
    d->islots[j].lo = INT64_MIN;
    d->islots[j].hi = INT64_MAX;
    int32_t id = (int32_t)d->n++;
    if ((uint64_t)d->n * 3 > (d->mask + 1) * 2 && !rehash_int(d)) return -2;
    return id;
  }
  size_t need = key_len(k, i), len;
  uint8_t *buf = d->scratch;
  if (need > sizeof d->scratch) {
    if (need > d->big_cap) {
      uint8_t *p = feast_realloc(d->big, need);
      if (!p) return -2;
      d->big = p;
      d->big_cap = need;
    }
    buf = d->big;
  }
  if (!key_bytes(k, i, buf, &len)) return -1;
  uint64_t h = feast_hash64(buf, len, 0);
  uint64_t j = h & d->mask;
  for (;;) {
    int32_t id = d->slots[j];
    if (id < 0) break;
    if (d->khash[id] == h && d->klen[id] == len && memcmp(d->kdata + d->koff[id], buf, len) == 0) return id;
    j = (j + 1) & d->mask;
  }
  if (!insert) return -1;
  if (d->n >= INT32_MAX || !grow_ids(d)) return -2;
  if (d->kdata_len + len > d->kdata_cap) {
    size_t cap = d->kdata_cap ? d->kdata_cap : 4096;
    while (cap < d->kdata_len + len) cap *= 2;
    uint8_t *p = feast_realloc(d->kdata, cap);
    if (!p) return -2;
    d->kdata = p;
    d->kdata_cap = cap;
  }
  if (len) memcpy(d->kdata + d->kdata_len, buf, len);
  d->khash[d->n] = h;
  d->koff[d->n] = (int64_t)d->kdata_len;
  d->klen[d->n] = (uint32_t)len;
  d->kdata_len += len;
  d->slots[j] = (int32_t)d->n;
  int32_t id = (int32_t)d->n++;
  if ((uint64_t)d->n * 3 > (d->mask + 1) * 2 && !rehash(d)) return -2;
  return id;
}

bool pit_dict_is_int(const pit_dict *d) { return d->int_mode; }

void pit_dict_prefetch(const pit_dict *d, const pit_keycols *k, int64_t i) {
  if (!d->int_mode || !feast_array_is_valid(k->col[0], i)) return;
  __builtin_prefetch(&d->islots[feast_hash_u64((uint64_t)feast_array_get_int(k->col[0], i)) & d->mask]);
}

void pit_dict_find_int64(const pit_dict *d, const int64_t *keys, int64_t n, int32_t *ids) {
  enum { AHEAD = 16 }; /* lookups in flight: enough to hide a DRAM miss */
  const pit_islot *slots = d->islots;
  uint64_t mask = d->mask;
  for (int64_t i = 0; i < n && i < AHEAD; i++) __builtin_prefetch(&slots[feast_hash_u64((uint64_t)keys[i]) & mask]);
  for (int64_t i = 0; i < n; i++) {
    if (i + AHEAD < n) __builtin_prefetch(&slots[feast_hash_u64((uint64_t)keys[i + AHEAD]) & mask]);
    int64_t key = keys[i];
    uint64_t j = feast_hash_u64((uint64_t)key) & mask;
    int32_t id = -1;
    for (;;) {
      const pit_islot *s = &slots[j];
      if (s->id < 0) break;
      if (s->key == key) {
        id = (int32_t)s->id;
        break;
      }
      j = (j + 1) & mask;
    }
    ids[i] = id;
  }
}

/* Is t in [lo, hi] (lo <= hi)? One unsigned compare, no branch. */
static inline bool in_window(int64_t t, int64_t lo, int64_t hi) {
  return (uint64_t)t - (uint64_t)lo <= (uint64_t)hi - (uint64_t)lo;
}

/* A direct table replaces hashing when the keys span at most twice the
 * slots the hash table has anyway (so at most about twice its memory): a
 * lookup is then a subtraction and one load, with no unpredictable branch. */
static void build_direct(pit_dict *d) {
  feast_free(d->direct_mem);
  d->direct = d->direct_mem = NULL;
  d->drange = 0;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (uint64_t j = 0; j <= d->mask; j++)
    if (d->islots[j].id >= 0) {
      if (d->islots[j].key < lo) lo = d->islots[j].key;
      if (d->islots[j].key > hi) hi = d->islots[j].key;
    }
  if (d->n == 0 || (uint64_t)hi - (uint64_t)lo >= 2 * (d->mask + 1)) return;
  uint64_t range = (uint64_t)hi - (uint64_t)lo + 1;
  pit_dent *t = feast_table_alloc(range * sizeof *t, &d->direct_mem);
  if (!t) return; /* the hash table still answers */
  for (uint64_t i = 0; i < range; i++) t[i] = (pit_dent){0, 0, UINT32_MAX, 0, 0};
  for (uint64_t j = 0; j <= d->mask; j++) {
    const pit_islot *s = &d->islots[j];
    if (s->id >= 0) t[(uint64_t)s->key - (uint64_t)lo] = (pit_dent){s->lo, s->hi, s->aux, 0, 0};
  }
  d->direct = t;
  d->dmin = lo;
  d->drange = range;
  d->direct_n = d->n;
}

void pit_dict_set_aux(pit_dict *d, const uint32_t *aux, const int64_t *lo, const int64_t *hi) {
  bool same_keys = d->direct && d->direct_n == d->n; /* a new index for the next table: only the words change */
  for (uint64_t j = 0; j <= d->mask; j++) {
    pit_islot *s = &d->islots[j];
    if (s->id < 0) continue;
    s->aux = aux[s->id];
    s->lo = lo[s->id];
    s->hi = hi[s->id];
    if (same_keys) d->direct[(uint64_t)s->key - (uint64_t)d->dmin] = (pit_dent){s->lo, s->hi, s->aux, 0, 0};
  }
  if (!same_keys) build_direct(d);
}

void pit_dict_find_int64_aux(const pit_dict *d, const int64_t *keys, const int64_t *ts, int64_t n, uint32_t *aux) {
  enum { AHEAD = 16 };
  if (d->direct) {
    const pit_dent *t = d->direct;
    uint64_t base = (uint64_t)d->dmin, range = d->drange;
    for (int64_t i = 0; i < n && i < AHEAD; i++)
      if ((uint64_t)keys[i] - base < range) __builtin_prefetch(&t[(uint64_t)keys[i] - base]);
    for (int64_t i = 0; i < n; i++) {
      if (i + AHEAD < n && (uint64_t)keys[i + AHEAD] - base < range)
        __builtin_prefetch(&t[(uint64_t)keys[i + AHEAD] - base]);
      uint64_t o = (uint64_t)keys[i] - base;
      uint32_t a = UINT32_MAX;
      if (o < range) {
        const pit_dent *e = &t[o];
        uint32_t ok = in_window(ts[i], e->lo, e->hi) ? UINT32_MAX : 0;
        a = (e->aux & ok) | ~ok;
      }
      aux[i] = a;
    }
    return;
  }
  const pit_islot *slots = d->islots;
  uint64_t mask = d->mask;
  for (int64_t i = 0; i < n && i < AHEAD; i++) __builtin_prefetch(&slots[feast_hash_u64((uint64_t)keys[i]) & mask]);
  for (int64_t i = 0; i < n; i++) {
    if (i + AHEAD < n) __builtin_prefetch(&slots[feast_hash_u64((uint64_t)keys[i + AHEAD]) & mask]);
    int64_t key = keys[i];
    uint64_t j = feast_hash_u64((uint64_t)key) & mask;
    uint32_t a = UINT32_MAX;
    for (;;) {
      const pit_islot *s = &slots[j];
      if (s->id < 0) break;
      if (s->key == key) {
        uint32_t ok = in_window(ts[i], s->lo, s->hi) ? UINT32_MAX : 0;
        a = (s->aux & ok) | ~ok;
        break;
      }
      j = (j + 1) & mask;
    }
    aux[i] = a;
  }
}
