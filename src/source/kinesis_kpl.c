/*
 * kinesis_kpl.c - de-aggregation of Kinesis Producer Library records (see
 * kinesis.h): checked whole (magic, MD5 trailer, every field of the
 * protobuf) before any user record is handed out, so a record that only
 * looks aggregated is read as the plain record it is.
 */
#include <openssl/evp.h>
#include <string.h>

#include "source/kinesis.h"

#define MD5_LEN 16

/* A base-128 varint at *p (< end); false when truncated or over 10 bytes. */
static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    if (shift == 63 && b > 1) return false;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

/* Skip a field of wire type wt; false when malformed. */
static bool skip(const uint8_t **p, const uint8_t *end, unsigned wt) {
  uint64_t v;
  switch (wt) {
  case 0: return varint(p, end, &v);
  case 1:
    if (end - *p < 8) return false;
    *p += 8;
    return true;
  case 2:
    if (!varint(p, end, &v) || v > (uint64_t)(end - *p)) return false;
    *p += v;
    return true;
  case 5:
    if (end - *p < 4) return false;
    *p += 4;
    return true;
  default: return false;
  }
}

/* A Record message: its data field (required), checking every field. */
static bool record(const uint8_t *p, const uint8_t *end, uint64_t n_keys, const uint8_t **data, size_t *len) {
  bool has_data = false, has_key = false;
  while (p < end) {
    uint64_t tag;
    if (!varint(&p, end, &tag)) return false;
    unsigned field = (unsigned)(tag >> 3), wt = tag & 7;
    if (field == 1 && wt == 0) {
      uint64_t idx;
      if (!varint(&p, end, &idx) || idx >= n_keys) return false;
      has_key = true;
    } else if (field == 3 && wt == 2) {
      uint64_t l;
      if (!varint(&p, end, &l) || l > (uint64_t)(end - p)) return false;
      *data = p;
      *len = (size_t)l;
      p += l;
      has_data = true;
    } else if (field == 0 || !skip(&p, end, wt)) {
      return false;
    }
  }
  return has_data && has_key;
}

/* One pass over the AggregatedRecord: checks it, with the records'
 * partition key indexes checked against `limit`, counts the partition keys
 * into *n_keys, and hands the records to fn when it is not NULL. */
static feast_code walk(const uint8_t *p, const uint8_t *end, uint64_t limit, uint64_t *n_keys, feast_kpl_record_fn fn,
                       void *ctx, bool *ok, feast_error *err) {
  *ok = false;
  uint64_t keys = 0;
  while (p < end) {
    uint64_t tag, l;
    if (!varint(&p, end, &tag)) return FEAST_OK;
    unsigned field = (unsigned)(tag >> 3), wt = tag & 7;
    if ((field == 1 || field == 2 || field == 3) && wt == 2) {
      if (!varint(&p, end, &l) || l > (uint64_t)(end - p)) return FEAST_OK;
      if (field == 1) keys++;
      if (field == 3) {
        const uint8_t *data = NULL;
        size_t len = 0;
        if (!record(p, p + l, limit, &data, &len)) return FEAST_OK;
        if (fn) {
          feast_code rc = fn(ctx, data, len, err);
          if (rc) return rc;
        }
      }
      p += l;
    } else if (field == 0 || !skip(&p, end, wt)) {
      return FEAST_OK;
    }
  }
  *n_keys = keys;
  *ok = true;
  return FEAST_OK;
}

feast_code feast_kpl_deaggregate(const uint8_t *p, size_t n, feast_kpl_record_fn fn, void *ctx, bool *aggregated,
                                 feast_error *err) {
  *aggregated = false;
  if (n < 4 + MD5_LEN || memcmp(p, FEAST_KPL_MAGIC, 4) != 0) return FEAST_OK;
  const uint8_t *body = p + 4, *end = p + n - MD5_LEN;
  unsigned char md5[EVP_MAX_MD_SIZE];
  unsigned int md5_len = 0;
  if (!EVP_Digest(body, (size_t)(end - body), md5, &md5_len, EVP_md5(), NULL) || md5_len != MD5_LEN ||
      memcmp(md5, end, MD5_LEN) != 0)
    return FEAST_OK;
  /* The keys may follow the records on the wire: count them, check the
   * records against the count, and only then hand the records out. */
  uint64_t n_keys = 0, again;
  bool ok;
  feast_code rc = walk(body, end, UINT64_MAX, &n_keys, NULL, NULL, &ok, err);
  if (!rc && ok) rc = walk(body, end, n_keys, &again, NULL, NULL, &ok, err);
  if (rc || !ok) return rc;
  *aggregated = true;
  return walk(body, end, n_keys, &again, fn, ctx, &ok, err);
}
