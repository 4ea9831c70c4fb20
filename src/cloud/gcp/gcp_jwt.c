/*
 * gcp_jwt.c - RS256 JWTs for service-account keys (gcp_jwt.h). The key is
 * parsed for every signature: tokens are fetched once an hour, and not
 * keeping a parsed private key in memory is worth the microseconds.
 */
#include "cloud/gcp/gcp_jwt.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

#include "format/json/json_writer.h"

feast_code feast_b64url_append(feast_buf *out, const void *data, size_t n, feast_error *err) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const unsigned char *p = data;
  feast_code rc = feast_buf_reserve(out, (n + 2) / 3 * 4, err);
  for (size_t i = 0; !rc && i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    char q[4] = {A[v >> 18 & 63], A[v >> 12 & 63], A[v >> 6 & 63], A[v & 63]};
    rc = feast_buf_append(out, q, n - i >= 3 ? 4 : n - i + 1, err);
  }
  return rc;
}

/* OpenSSL's reason for the last failure, for messages. */
static const char *ssl_reason(void) {
  unsigned long e = ERR_get_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  ERR_clear_error();
  return r ? r : "unknown reason";
}

feast_code feast_gcp_jwt_rs256(const char *pem, const char *kid, const char *claims, const char *name, feast_buf *out,
                               feast_error *err) {
  feast_buf header;
  feast_buf_init(&header, 4096);
  feast_json_writer w;
  feast_jw_init(&w, &header, FEAST_JSON_UTF8_FAIL, err);
  feast_jw_object(&w);
  feast_jw_key(&w, "alg");
  feast_jw_string(&w, "RS256");
  feast_jw_key(&w, "typ");
  feast_jw_string(&w, "JWT");
  if (kid && *kid) {
    feast_jw_key(&w, "kid");
    feast_jw_string(&w, kid);
  }
  feast_jw_object_end(&w);
  feast_code rc = feast_jw_finish(&w);
  size_t start = out->len;
  if (!rc) rc = feast_b64url_append(out, header.data, header.len, err);
  if (!rc) rc = feast_buf_append_byte(out, '.', err);
  if (!rc) rc = feast_b64url_append(out, claims, strlen(claims), err);
  feast_buf_free(&header);
  if (rc) return rc;

  BIO *bio = BIO_new_mem_buf(pem, -1);
  EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  if (!key) return feast_fail(err, FEAST_E_INVALID, "the private_key of %s is not a PEM private key (%s)", name, ssl_reason());
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    EVP_PKEY_free(key);
    return feast_fail(err, FEAST_E_INVALID, "the private_key of %s is not an RSA key (RS256 needs one)", name);
  }
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  unsigned char sig[1024];
  size_t sig_len = sizeof sig;
  int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
           EVP_DigestSign(md, sig, &sig_len, out->data + start, out->len - start) == 1;
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  if (!ok) return feast_fail(err, FEAST_E_INVALID, "cannot sign with the private_key of %s (%s)", name, ssl_reason());
  rc = feast_buf_append_byte(out, '.', err);
  return rc ? rc : feast_b64url_append(out, sig, sig_len, err);
}
