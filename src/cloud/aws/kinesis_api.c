/*
 * kinesis_api.c - the JSON 1.1 call (see kinesis_api.h).
 */
#include "cloud/aws/kinesis_api.h"

#include <stdio.h>
#include <string.h>

feast_aws_client *feast_kinesis_client_new(const feast_aws_settings *s, const char *region, feast_aws_creds *creds,
                                           feast_error *err) {
  return feast_aws_client_new(s, "kinesis", region, creds, err);
}

feast_code feast_kinesis_call(feast_aws_client *c, const char *op, const char *json, size_t len, const char *resource,
                              feast_buf *out, feast_error *err) {
  char target[128];
  if ((size_t)snprintf(target, sizeof target, "Kinesis_20131202.%s", op) >= sizeof target)
    return feast_fail(err, FEAST_E_INVALID, "kinesis: operation name %s is too long", op);
  feast_sigv4_pair headers[] = {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", target}};
  feast_aws_call call;
  feast_aws_call_init(&call, op, "POST");
  const feast_aws_endpoint *ep = feast_aws_client_endpoint(c);
  char path[300];
  snprintf(path, sizeof path, "%s/", ep->base_path);
  call.path = path;
  call.resource = resource;
  call.headers = headers;
  call.n_headers = 2;
  call.body = json;
  call.body_len = len;
  feast_http_response resp;
  feast_http_response_init(&resp);
  feast_code rc = feast_aws_send(c, &call, &resp, err);
  if (!rc) rc = feast_buf_append(out, resp.body.data, resp.body.len, err);
  feast_http_response_free(&resp);
  return rc;
}
