/*
 * kinesis_test.c - the pieces of the Kinesis connector that read outside
 * bytes, without a server: base64 of records' Data (RFC 4648 vectors and
 * bad input) and KPL de-aggregation (an aggregated record built here byte
 * by byte, with its MD5 from OpenSSL; a broken MD5, a truncated body, a
 * partition key index out of range and a record without data are plain
 * records). The connector itself is tested on kinesalite
 * (tests/py/test_stream_kinesis.py, whose aggregates Python protobuf builds).
 */
#include <openssl/evp.h>
#include <string.h>

#include "source/kinesis.h"
#include "test.h"

static void base64_vectors(void) {
  static const char *const in[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy", "Zm9vYg"};
  static const char *const out[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar", "foob"};
  uint8_t buf[64];
  for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
    ssize_t n = feast_kinesis_base64_decode(in[i], strlen(in[i]), buf);
    CHECK_INT(n, (ssize_t)strlen(out[i]));
    if (n >= 0) CHECK(memcmp(buf, out[i], (size_t)n) == 0);
  }
  CHECK_INT(feast_kinesis_base64_decode("Zm9v!", 5, buf), -1);
  CHECK_INT(feast_kinesis_base64_decode("Z", 1, buf), -1);
  CHECK_INT(feast_kinesis_base64_decode("Zm9vY", 5, buf), -1);
  CHECK_INT(feast_kinesis_base64_decode("/+/+", 4, buf), 3);
  CHECK_INT(buf[0], 0xff);
}

typedef struct got {
  int n;
  char data[8][16];
} got;

static feast_code collect(void *ctx, const uint8_t *data, size_t len, feast_error *err) {
  (void)err;
  got *g = ctx;
  if (g->n < 8 && len < 16) {
    memcpy(g->data[g->n], data, len);
    g->data[g->n][len] = 0;
  }
  g->n++;
  return FEAST_OK;
}

/* magic + body + MD5(body) */
static size_t wrap(const uint8_t *body, size_t n, uint8_t *out, bool break_md5) {
  memcpy(out, FEAST_KPL_MAGIC, 4);
  memcpy(out + 4, body, n);
  unsigned int len = 0;
  EVP_Digest(body, n, out + 4 + n, &len, EVP_md5(), NULL);
  if (break_md5) out[4 + n] ^= 1;
  return 4 + n + 16;
}

static void kpl_aggregate(void) {
  /* records before the key table (any order is valid protobuf), an unknown
   * field (tags, field 4) skipped */
  static const uint8_t body[] = {
      0x1a, 0x07, 0x08, 0x00, 0x1a, 0x03, 'o', 'n', 'e',                                /* record 0: "one" */
      0x1a, 0x0e, 0x08, 0x01, 0x10, 0x00, 0x1a, 0x03, 't', 'w', 'o', 0x22, 0x03, 0x0a, 0x01, 'k', /* "two", a tag */
      0x0a, 0x02, 'p', '1', 0x0a, 0x02, 'p', '2',                                    /* partition keys */
      0x12, 0x01, '7',                                                               /* explicit hash keys */
  };
  uint8_t rec[128];
  size_t n = wrap(body, sizeof body, rec, false);
  got g = {0};
  bool agg = false;
  feast_error err;
  CHECK_OK(feast_kpl_deaggregate(rec, n, collect, &g, &agg, &err), &err);
  CHECK(agg);
  CHECK_INT(g.n, 2);
  CHECK_STR(g.data[0], "one");
  CHECK_STR(g.data[1], "two");

  /* a broken MD5: a plain record, nothing handed out */
  n = wrap(body, sizeof body, rec, true);
  memset(&g, 0, sizeof g);
  CHECK_OK(feast_kpl_deaggregate(rec, n, collect, &g, &agg, &err), &err);
  CHECK(!agg);
  CHECK_INT(g.n, 0);

  /* truncated inside the second record (MD5 of what is there) */
  n = wrap(body, 15, rec, false);
  CHECK_OK(feast_kpl_deaggregate(rec, n, collect, &g, &agg, &err), &err);
  CHECK(!agg);
  CHECK_INT(g.n, 0);

  /* a partition key index past the table: not an aggregate, even though
   * the first record is fine */
  uint8_t bad_idx[sizeof body];
  memcpy(bad_idx, body, sizeof body);
  bad_idx[12] = 0x05; /* record 1's partition_key_index */
  n = wrap(bad_idx, sizeof bad_idx, rec, false);
  CHECK_OK(feast_kpl_deaggregate(rec, n, collect, &g, &agg, &err), &err);
  CHECK(!agg);
  CHECK_INT(g.n, 0);

  /* a record without data */
  static const uint8_t no_data[] = {0x0a, 0x01, 'p', 0x1a, 0x02, 0x08, 0x00};
  n = wrap(no_data, sizeof no_data, rec, false);
  CHECK_OK(feast_kpl_deaggregate(rec, n, collect, &g, &agg, &err), &err);
  CHECK(!agg);

  /* not even the magic; too short for magic and MD5 */
  CHECK_OK(feast_kpl_deaggregate((const uint8_t *)"plain", 5, collect, &g, &agg, &err), &err);
  CHECK(!agg);
  CHECK_OK(feast_kpl_deaggregate((const uint8_t *)FEAST_KPL_MAGIC, 4, collect, &g, &agg, &err), &err);
  CHECK(!agg);
  CHECK_INT(g.n, 0);
}

TEST_MAIN(T(base64_vectors), T(kpl_aggregate))
