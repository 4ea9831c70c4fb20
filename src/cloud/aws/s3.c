/*
 * s3.c - S3 object calls and ListObjectsV2 (see s3.h).
 */
#include "cloud/aws/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "format/xml/xml_reader.h"
#include "net/uri.h"

struct feast_s3 {
  feast_aws_client *client;
  bool path_style;
};

feast_s3 *feast_s3_new(const feast_aws_settings *s, const char *region, feast_aws_creds *creds, feast_error *err) {
  feast_s3 *s3 = feast_calloc(1, sizeof *s3);
  if (!s3) {
    feast_fail(err, FEAST_E_NOMEM, "s3: out of memory");
    return NULL;
  }
  s3->client = feast_aws_client_new(s, "s3", region, creds, err);
  if (!s3->client) {
    feast_free(s3);
    return NULL;
  }
  int mode = s ? s->s3_addressing : FEAST_AWS_S3_AUTO;
  s3->path_style = mode == FEAST_AWS_S3_PATH_STYLE ||
                   (mode == FEAST_AWS_S3_AUTO && feast_aws_client_endpoint(s3->client)->overridden);
  return s3;
}

void feast_s3_free(feast_s3 *s3) {
  if (!s3) return;
  feast_aws_client_free(s3->client);
  feast_free(s3);
}

feast_aws_client *feast_s3_client(feast_s3 *s3) { return s3->client; }

feast_code feast_s3_parse_url(const char *url, char *bucket, size_t bcap, char *key, size_t kcap, feast_error *err) {
  if (strncmp(url, "s3://", 5) != 0) return feast_fail(err, FEAST_E_INVALID, "%s: not an s3:// URL", url);
  const char *b = url + 5;
  size_t blen = strcspn(b, "/");
  if (blen == 0 || blen >= bcap) return feast_fail(err, FEAST_E_INVALID, "%s: no bucket name", url);
  const char *k = b[blen] == '/' ? b + blen + 1 : "";
  if (strlen(k) >= kcap) return feast_fail(err, FEAST_E_INVALID, "%s: key too long", url);
  memcpy(bucket, b, blen);
  bucket[blen] = '\0';
  snprintf(key, kcap, "%s", k);
  return FEAST_OK;
}

feast_code feast_s3_address(feast_s3 *s3, const char *bucket, const char *key, char *host, size_t hcap,
                            feast_buf *path, feast_error *err) {
  const feast_aws_endpoint *ep = feast_aws_client_endpoint(s3->client);
  feast_buf_reset(path);
  feast_code rc = feast_buf_append_str(path, ep->base_path, err);
  int hn;
  if (s3->path_style) {
    hn = snprintf(host, hcap, "%s", ep->host);
    if (!rc) rc = feast_buf_append_byte(path, '/', err);
    if (!rc) rc = feast_uri_encode(path, bucket, strlen(bucket), false, err);
    if (!rc && key) rc = feast_buf_append_byte(path, '/', err);
  } else {
    hn = snprintf(host, hcap, "%s.%s", bucket, ep->host);
    if (!rc) rc = feast_buf_append_byte(path, '/', err);
  }
  if (hn < 0 || (size_t)hn >= hcap) return feast_fail(err, FEAST_E_INVALID, "s3://%s: bucket name too long", bucket);
  if (!rc && key) rc = feast_uri_encode(path, key, strlen(key), true, err);
  if (!rc && !feast_buf_cstr(path, err)) rc = FEAST_E_NOMEM;
  return rc;
}

/* The shared start of every object call. */
typedef struct object_call {
  feast_aws_call call;
  char host[512];
  feast_buf path;
  char resource[2048];
} object_call;

static feast_code object_call_init(object_call *oc, feast_s3 *s3, const char *op, const char *method,
                                   const char *bucket, const char *key, feast_error *err) {
  feast_aws_call_init(&oc->call, op, method);
  feast_buf_init(&oc->path, 1 << 16);
  snprintf(oc->resource, sizeof oc->resource, "s3://%s%s%s", bucket, key ? "/" : "", key ? key : "");
  feast_code rc = feast_s3_address(s3, bucket, key, oc->host, sizeof oc->host, &oc->path, err);
  oc->call.host = oc->host;
  oc->call.path = (const char *)oc->path.data;
  oc->call.resource = oc->resource;
  return rc;
}

static void object_call_free(object_call *oc) { feast_buf_free(&oc->path); }

feast_code feast_s3_head(feast_s3 *s3, const char *bucket, const char *key, feast_s3_object_info *out,
                         feast_error *err) {
  memset(out, 0, sizeof *out);
  object_call oc;
  feast_code rc = object_call_init(&oc, s3, "HeadObject", "HEAD", bucket, key, err);
  feast_http_response resp;
  feast_http_response_init(&resp);
  if (!rc) rc = feast_aws_send(s3->client, &oc.call, &resp, err);
  if (!rc) {
    char len[32];
    if (!feast_http_response_header(&resp, "content-length", len, sizeof len)) {
      rc = feast_fail(err, FEAST_E_CORRUPT, "AWS s3 HeadObject %s: no Content-Length in the answer", oc.resource);
    } else {
      char *end;
      long long v = strtoll(len, &end, 10);
      if (*end || v < 0) rc = feast_fail(err, FEAST_E_CORRUPT, "AWS s3 HeadObject %s: Content-Length %s", oc.resource, len);
      out->size = v;
    }
    feast_http_response_header(&resp, "etag", out->etag, sizeof out->etag);
    feast_http_response_header(&resp, "last-modified", out->last_modified, sizeof out->last_modified);
  }
  feast_http_response_free(&resp);
  object_call_free(&oc);
  return rc;
}

feast_code feast_s3_get(feast_s3 *s3, const char *bucket, const char *key, int64_t offset, int64_t len,
                        feast_buf *out, feast_error *err) {
  object_call oc;
  feast_code rc = object_call_init(&oc, s3, "GetObject", "GET", bucket, key, err);
  if (len == 0) {
    object_call_free(&oc);
    return rc;
  }
  if (len > 0) {
    oc.call.range_first = offset;
    oc.call.range_last = offset + len - 1;
  }
  feast_http_response resp;
  feast_http_response_init(&resp);
  if (!rc) rc = feast_aws_send(s3->client, &oc.call, &resp, err);
  if (!rc && len > 0 && resp.status != 206 && resp.body.len > (size_t)len)
    rc = feast_fail(err, FEAST_E_CORRUPT, "AWS s3 GetObject %s: asked for %lld bytes, got %zu (range ignored)",
                    oc.resource, (long long)len, resp.body.len);
  if (!rc) rc = feast_buf_append(out, resp.body.data, resp.body.len, err);
  feast_http_response_free(&resp);
  object_call_free(&oc);
  return rc;
}

feast_code feast_s3_put(feast_s3 *s3, const char *bucket, const char *key, const void *data, size_t n,
                        feast_error *err) {
  object_call oc;
  feast_code rc = object_call_init(&oc, s3, "PutObject", "PUT", bucket, key, err);
  oc.call.body = data;
  oc.call.body_len = n;
  feast_http_response resp;
  feast_http_response_init(&resp);
  if (!rc) rc = feast_aws_send(s3->client, &oc.call, &resp, err);
  feast_http_response_free(&resp);
  object_call_free(&oc);
  return rc;
}

feast_code feast_s3_delete(feast_s3 *s3, const char *bucket, const char *key, feast_error *err) {
  object_call oc;
  feast_code rc = object_call_init(&oc, s3, "DeleteObject", "DELETE", bucket, key, err);
  feast_http_response resp;
  feast_http_response_init(&resp);
  if (!rc) rc = feast_aws_send(s3->client, &oc.call, &resp, err);
  feast_http_response_free(&resp);
  object_call_free(&oc);
  return rc;
}

/* ---- ListObjectsV2 ---- */

static feast_code parse_list(const char *resource, const feast_buf *body, feast_arena *arena, feast_s3_list_page *page,
                             feast_error *err) {
  memset(page, 0, sizeof *page);
  char name[2100];
  snprintf(name, sizeof name, "ListObjectsV2 answer for %s", resource);
  const feast_xml_node *root;
  feast_code rc = feast_xml_parse(body->data, body->len, name, NULL, arena, &root, err);
  if (rc) return rc;
  if (strcmp(root->name, "ListBucketResult") != 0)
    return feast_fail(err, FEAST_E_CORRUPT, "%s: root element <%s>, not <ListBucketResult>", name, root->name);
  size_t ne = 0, np = 0;
  for (const feast_xml_node *c = root->first_child; c; c = c->next) {
    if (strcmp(c->name, "Contents") == 0) ne++;
    else if (strcmp(c->name, "CommonPrefixes") == 0) np++;
  }
  page->entries = feast_arena_calloc(arena, (ne ? ne : 1) * sizeof *page->entries);
  page->prefixes = feast_arena_calloc(arena, (np ? np : 1) * sizeof *page->prefixes);
  if (!page->entries || !page->prefixes) return feast_fail(err, FEAST_E_NOMEM, "%s: out of memory", name);
  for (const feast_xml_node *c = root->first_child; c; c = c->next) {
    if (strcmp(c->name, "Contents") == 0) {
      feast_s3_entry *e = &page->entries[page->n_entries++];
      e->key = feast_xml_child_text(c, "Key");
      const char *size = feast_xml_child_text(c, "Size");
      e->etag = feast_xml_child_text(c, "ETag");
      e->last_modified = feast_xml_child_text(c, "LastModified");
      char *end = NULL;
      e->size = size ? strtoll(size, &end, 10) : -1;
      if (!e->key || !size || *end || e->size < 0)
        return feast_fail(err, FEAST_E_CORRUPT, "%s: an entry without a Key or a Size", name);
    } else if (strcmp(c->name, "CommonPrefixes") == 0) {
      const char *p = feast_xml_child_text(c, "Prefix");
      if (!p) return feast_fail(err, FEAST_E_CORRUPT, "%s: CommonPrefixes without a Prefix", name);
      page->prefixes[page->n_prefixes++] = p;
    }
  }
  const char *trunc = feast_xml_child_text(root, "IsTruncated");
  page->truncated = trunc && strcmp(trunc, "true") == 0;
  page->next_token = feast_xml_child_text(root, "NextContinuationToken");
  if (page->truncated && (!page->next_token || !*page->next_token))
    return feast_fail(err, FEAST_E_CORRUPT, "%s: truncated without a NextContinuationToken", name);
  return FEAST_OK;
}

feast_code feast_s3_list_page_get(feast_s3 *s3, const char *bucket, const char *prefix, const char *delimiter,
                                  const char *token, int max_keys, feast_arena *arena, feast_s3_list_page *page,
                                  feast_error *err) {
  object_call oc;
  feast_code rc = object_call_init(&oc, s3, "ListObjectsV2", "GET", bucket, NULL, err);
  snprintf(oc.resource, sizeof oc.resource, "s3://%s/%s", bucket, prefix ? prefix : "");
  feast_sigv4_pair q[5];
  size_t nq = 0;
  char mk[16];
  q[nq++] = (feast_sigv4_pair){"list-type", "2"};
  if (prefix && *prefix) q[nq++] = (feast_sigv4_pair){"prefix", prefix};
  if (delimiter && *delimiter) q[nq++] = (feast_sigv4_pair){"delimiter", delimiter};
  if (token && *token) q[nq++] = (feast_sigv4_pair){"continuation-token", token};
  if (max_keys > 0) {
    snprintf(mk, sizeof mk, "%d", max_keys);
    q[nq++] = (feast_sigv4_pair){"max-keys", mk};
  }
  oc.call.query = q;
  oc.call.n_query = nq;
  feast_http_response resp;
  feast_http_response_init(&resp);
  if (!rc) rc = feast_aws_send(s3->client, &oc.call, &resp, err);
  if (!rc) rc = parse_list(oc.resource, &resp.body, arena, page, err);
  feast_http_response_free(&resp);
  object_call_free(&oc);
  return rc;
}

feast_code feast_s3_list(feast_s3 *s3, const char *bucket, const char *prefix, const char *delimiter, int page_size,
                         feast_s3_list_fn fn, void *ctx, long *pages, feast_error *err) {
  feast_arena *a = feast_arena_new(0), *b = feast_arena_new(0);
  if (!a || !b) {
    feast_arena_free(a);
    feast_arena_free(b);
    return feast_fail(err, FEAST_E_NOMEM, "s3: out of memory");
  }
  const char *token = NULL;
  feast_code rc = FEAST_OK;
  long n = 0;
  /* Two arenas in turn: the token of one page lives in its arena while the
   * next page is read into the other. */
  for (;;) {
    feast_arena_reset(a);
    feast_s3_list_page page;
    rc = feast_s3_list_page_get(s3, bucket, prefix, delimiter, token, page_size, a, &page, err);
    if (rc) break;
    n++;
    for (size_t i = 0; i < page.n_entries && !rc; i++) rc = fn(ctx, &page.entries[i], err);
    for (size_t i = 0; i < page.n_prefixes && !rc; i++) {
      feast_s3_entry e = {.key = page.prefixes[i], .size = -1};
      rc = fn(ctx, &e, err);
    }
    if (rc || !page.truncated) break;
    token = page.next_token;
    feast_arena *t = a;
    a = b;
    b = t;
  }
  feast_arena_free(a);
  feast_arena_free(b);
  if (pages) *pages = n;
  return rc;
}
