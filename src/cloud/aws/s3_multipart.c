/*
 * s3_multipart.c - multipart upload (see s3_multipart.h).
 */
#include "cloud/aws/s3_multipart.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "format/xml/xml_reader.h"

static feast_code call_for(feast_s3 *s3, feast_aws_call *call, const char *op, const char *method, const char *bucket,
                           const char *key, char *host, size_t hcap, feast_buf *path, char *resource, size_t rcap,
                           feast_error *err) {
  feast_aws_call_init(call, op, method);
  snprintf(resource, rcap, "s3://%s/%s", bucket, key);
  feast_code rc = feast_s3_address(s3, bucket, key, host, hcap, path, err);
  call->host = host;
  call->path = (const char *)path->data;
  call->resource = resource;
  return rc;
}

static feast_code xml_escape(feast_buf *b, const char *s, feast_error *err) {
  feast_code rc = FEAST_OK;
  for (; *s && !rc; s++) {
    switch (*s) {
    case '&': rc = feast_buf_append_str(b, "&amp;", err); break;
    case '<': rc = feast_buf_append_str(b, "&lt;", err); break;
    case '>': rc = feast_buf_append_str(b, "&gt;", err); break;
    case '"': rc = feast_buf_append_str(b, "&quot;", err); break;
    default: rc = feast_buf_append_byte(b, (uint8_t)*s, err); break;
    }
  }
  return rc;
}

/* A 200 answer to CompleteMultipartUpload may still carry an <Error>. */
static feast_code check_complete(const char *resource, const feast_buf *body, feast_error *err) {
  feast_arena *a = feast_arena_new(0);
  if (!a) return feast_fail(err, FEAST_E_NOMEM, "s3: out of memory");
  const feast_xml_node *root;
  feast_code rc = feast_xml_parse(body->data, body->len, "CompleteMultipartUpload answer", NULL, a, &root, err);
  if (!rc && strcmp(root->name, "Error") == 0) {
    const char *code = feast_xml_child_text(root, "Code"), *msg = feast_xml_child_text(root, "Message");
    rc = feast_fail_retriable(err, FEAST_E_SERVER, "AWS s3 CompleteMultipartUpload %s: %s: %s", resource,
                              code ? code : "?", msg ? msg : "");
  }
  feast_arena_free(a);
  return rc;
}

feast_code feast_s3_put_multipart(feast_s3 *s3, const char *bucket, const char *key, const void *data, size_t n,
                                  const feast_s3_upload_options *opt, int *parts_out, feast_error *err) {
  size_t part = opt && opt->part_size ? opt->part_size : (size_t)8 << 20;
  if (part < FEAST_S3_MIN_PART) part = FEAST_S3_MIN_PART;
  while ((n + part - 1) / part > FEAST_S3_MAX_PARTS) part *= 2;
  int in_flight = opt && opt->max_in_flight > 0 ? opt->max_in_flight : 4;
  size_t nparts = n ? (n + part - 1) / part : 1;
  feast_aws_client *client = feast_s3_client(s3);
  char host[512], resource[2048], upload_id[1024] = "";
  feast_buf path, body;
  feast_buf_init(&path, 1 << 16);
  feast_buf_init(&body, FEAST_BUF_UNLIMITED);
  feast_http_response resp;
  feast_http_response_init(&resp);
  feast_aws_call call;
  feast_aws_call *calls = NULL;
  feast_http_response *resps = NULL;
  feast_sigv4_pair *queries = NULL;
  char(*numbers)[24] = NULL;
  feast_arena *a = NULL;

  /* 1. create */
  feast_code rc = call_for(s3, &call, "CreateMultipartUpload", "POST", bucket, key, host, sizeof host, &path, resource,
                           sizeof resource, err);
  feast_sigv4_pair uploads[] = {{"uploads", ""}};
  call.query = uploads;
  call.n_query = 1;
  if (!rc) rc = feast_aws_send(client, &call, &resp, err);
  if (!rc) {
    a = feast_arena_new(0);
    const feast_xml_node *root;
    rc = a ? feast_xml_parse(resp.body.data, resp.body.len, "CreateMultipartUpload answer", NULL, a, &root, err)
           : feast_fail(err, FEAST_E_NOMEM, "s3: out of memory");
    const char *id = rc ? NULL : feast_xml_child_text(root, "UploadId");
    if (!rc && (!id || !*id || strlen(id) >= sizeof upload_id))
      rc = feast_fail(err, FEAST_E_CORRUPT, "AWS s3 CreateMultipartUpload %s: no UploadId in the answer", resource);
    if (!rc) snprintf(upload_id, sizeof upload_id, "%s", id);
  }
  if (rc) goto done;

  /* 2. the parts, several in flight */
  calls = feast_calloc(nparts, sizeof *calls);
  resps = feast_calloc(nparts, sizeof *resps);
  queries = feast_calloc(nparts * 2, sizeof *queries);
  numbers = feast_calloc(nparts, sizeof *numbers);
  if (!calls || !resps || !queries || !numbers) {
    rc = feast_fail(err, FEAST_E_NOMEM, "s3: out of memory");
    goto abort;
  }
  for (size_t i = 0; i < nparts; i++) {
    feast_aws_call_init(&calls[i], "UploadPart", "PUT");
    calls[i].host = host;
    calls[i].path = (const char *)path.data;
    calls[i].resource = resource;
    snprintf(numbers[i], sizeof numbers[i], "%zu", i + 1);
    queries[2 * i] = (feast_sigv4_pair){"partNumber", numbers[i]};
    queries[2 * i + 1] = (feast_sigv4_pair){"uploadId", upload_id};
    calls[i].query = &queries[2 * i];
    calls[i].n_query = 2;
    calls[i].body = (const uint8_t *)data + i * part;
    calls[i].body_len = i + 1 < nparts ? part : n - i * part;
    feast_http_response_init(&resps[i]);
  }
  rc = feast_aws_send_many(client, calls, resps, nparts, in_flight, NULL, NULL, err);
  if (rc) goto abort;

  /* 3. complete, naming each part's ETag */
  rc = feast_buf_append_str(&body, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">", err);
  for (size_t i = 0; i < nparts && !rc; i++) {
    char etag[256];
    if (!feast_http_response_header(&resps[i], "etag", etag, sizeof etag)) {
      rc = feast_fail(err, FEAST_E_CORRUPT, "AWS s3 UploadPart %s: part %zu answered without an ETag", resource, i + 1);
      break;
    }
    rc = feast_buf_printf(&body, err, "<Part><PartNumber>%zu</PartNumber><ETag>", i + 1);
    if (!rc) rc = xml_escape(&body, etag, err);
    if (!rc) rc = feast_buf_append_str(&body, "</ETag></Part>", err);
  }
  if (!rc) rc = feast_buf_append_str(&body, "</CompleteMultipartUpload>", err);
  if (rc) goto abort;
  feast_aws_call_init(&call, "CompleteMultipartUpload", "POST");
  call.host = host;
  call.path = (const char *)path.data;
  call.resource = resource;
  feast_sigv4_pair uid[] = {{"uploadId", upload_id}};
  call.query = uid;
  call.n_query = 1;
  call.body = body.data;
  call.body_len = body.len;
  feast_sigv4_pair ct[] = {{"Content-Type", "application/xml"}};
  call.headers = ct;
  call.n_headers = 1;
  rc = feast_aws_send(client, &call, &resp, err);
  if (!rc) rc = check_complete(resource, &resp.body, err);
  if (!rc) {
    if (parts_out) *parts_out = (int)nparts;
    goto done;
  }

abort : {
  /* Best effort: the original failure is what the caller needs to see. */
  feast_error abort_err;
  feast_aws_call ab;
  feast_aws_call_init(&ab, "AbortMultipartUpload", "DELETE");
  ab.host = host;
  ab.path = (const char *)path.data;
  ab.resource = resource;
  feast_sigv4_pair q[] = {{"uploadId", upload_id}};
  ab.query = q;
  ab.n_query = 1;
  feast_http_response ar;
  feast_http_response_init(&ar);
  if (feast_aws_send(client, &ab, &ar, &abort_err) != FEAST_OK && err) {
    size_t used = strlen(err->message);
    snprintf(err->message + used, sizeof err->message - used, " (and aborting upload %s failed: %.500s)", upload_id,
             abort_err.message);
  }
  feast_http_response_free(&ar);
}

done:
  if (resps)
    for (size_t i = 0; i < nparts; i++) feast_http_response_free(&resps[i]);
  feast_free(calls);
  feast_free(resps);
  feast_free(queries);
  feast_free(numbers);
  feast_arena_free(a);
  feast_http_response_free(&resp);
  feast_buf_free(&path);
  feast_buf_free(&body);
  return rc;
}

feast_code feast_s3_upload(feast_s3 *s3, const char *bucket, const char *key, const void *data, size_t n,
                           size_t threshold, const feast_s3_upload_options *opt, feast_error *err) {
  if (!threshold) threshold = (size_t)16 << 20;
  if (n <= threshold) return feast_s3_put(s3, bucket, key, data, n, err);
  return feast_s3_put_multipart(s3, bucket, key, data, n, opt, NULL, err);
}
