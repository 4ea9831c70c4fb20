/*
 * aws_error.c - reading AWS error bodies and mapping them (see aws_error.h).
 */
#include "cloud/aws/aws_error.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "format/json/json_reader.h"
#include "format/xml/xml_reader.h"

static void copy_field(char *dst, size_t cap, const char *src) {
  if (!src) return;
  /* Keep messages on one line: services sometimes wrap them. */
  size_t j = 0;
  for (size_t i = 0; src[i] && j + 1 < cap; i++) {
    char c = src[i];
    dst[j++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  }
  dst[j] = '\0';
  while (j > 0 && dst[j - 1] == ' ') dst[--j] = '\0';
}

/* "aws.protocols#ValidationException" and "ValidationException:http://..."
 * both mean ValidationException. */
static void set_code(feast_aws_error_info *out, const char *type) {
  const char *hash = strrchr(type, '#');
  if (hash) type = hash + 1;
  size_t n = strcspn(type, ":");
  if (n >= sizeof out->code) n = sizeof out->code - 1;
  memcpy(out->code, type, n);
  out->code[n] = '\0';
}

static void parse_json(const void *body, size_t len, feast_arena *a, feast_aws_error_info *out) {
  const feast_json_value *root;
  feast_json_limits lim = {.max_depth = 16, .max_input = 1 << 20};
  if (feast_json_parse(body, len, "AWS error", &lim, a, &root, NULL) != FEAST_OK) return;
  const char *type = feast_json_string_of(feast_json_get(root, "__type"));
  if (!type) type = feast_json_string_of(feast_json_get(root, "code"));
  if (type && !out->code[0]) set_code(out, type);
  const char *msg = feast_json_string_of(feast_json_get(root, "message"));
  if (!msg) msg = feast_json_string_of(feast_json_get(root, "Message"));
  copy_field(out->message, sizeof out->message, msg);
}

static void parse_xml(const void *body, size_t len, feast_arena *a, feast_aws_error_info *out) {
  const feast_xml_node *root;
  feast_xml_limits lim = {.max_depth = 16, .max_input = 1 << 20};
  if (feast_xml_parse(body, len, "AWS error", &lim, a, &root, NULL) != FEAST_OK) return;
  /* S3: <Error><Code/><Message/><RequestId/></Error>; query services and
   * moto: <ErrorResponse><Error><Code/>...</Error><RequestId/></ErrorResponse>
   * (some nest it once more in <Errors>). */
  const feast_xml_node *e = root;
  if (strcmp(root->name, "Error") != 0) {
    e = feast_xml_child(root, "Error");
    if (!e) e = feast_xml_child(feast_xml_child(root, "Errors"), "Error");
  }
  if (!e) return;
  const char *code = feast_xml_child_text(e, "Code");
  if (code && !out->code[0]) set_code(out, code);
  copy_field(out->message, sizeof out->message, feast_xml_child_text(e, "Message"));
  const char *rid = feast_xml_child_text(e, "RequestId");
  if (!rid) rid = feast_xml_child_text(root, "RequestId");
  if (!rid) rid = feast_xml_child_text(root, "RequestID");
  copy_field(out->request_id, sizeof out->request_id, rid);
}

void feast_aws_error_parse(long status, const void *body, size_t len, const char *x_amzn_error_type,
                           feast_aws_error_info *out) {
  (void)status;
  memset(out, 0, sizeof *out);
  if (x_amzn_error_type && *x_amzn_error_type) set_code(out, x_amzn_error_type);
  const char *p = body;
  size_t i = 0;
  while (p && i < len && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t')) i++;
  if (!p || i == len) return;
  feast_arena *a = feast_arena_new(16 << 10);
  if (!a) return;
  if (p[i] == '{') parse_json(p + i, len - i, a, out);
  else if (p[i] == '<') parse_xml(p + i, len - i, a, out);
  feast_arena_free(a);
}

static bool code_is(const feast_aws_error_info *info, const char *const *names) {
  for (; *names; names++)
    if (strcasecmp(info->code, *names) == 0) return true;
  return false;
}

feast_aws_error_class feast_aws_error_classify(long status, const feast_aws_error_info *info) {
  static const char *const not_found[] = {"NoSuchBucket", "NoSuchKey", "NoSuchUpload", "ResourceNotFoundException",
                                          "NotFound", "NoSuchEntity", NULL};
  static const char *const auth[] = {"SignatureDoesNotMatch", "InvalidClientTokenId", "AccessDenied",
                                     "AccessDeniedException", "ExpiredToken", "ExpiredTokenException",
                                     "UnrecognizedClientException", "InvalidAccessKeyId", "IncompleteSignature",
                                     "MissingAuthenticationToken", "InvalidSignatureException",
                                     "AuthFailure", "InvalidToken", "RequestExpired", NULL};
  static const char *const retry[] = {"Throttling", "ThrottlingException", "ThrottledException",
                                      "RequestThrottledException", "TooManyRequestsException",
                                      "ProvisionedThroughputExceededException", "RequestLimitExceeded",
                                      "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
                                      "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
                                      "InternalError", "InternalFailure", "InternalServerError",
                                      "ServiceUnavailable", "ServiceUnavailableException", "RequestTimeout",
                                      "RequestTimeoutException", "KMSThrottlingException", NULL};
  if (info->code[0]) {
    if (code_is(info, not_found)) return FEAST_AWS_ERR_NOT_FOUND;
    if (code_is(info, auth)) return FEAST_AWS_ERR_AUTH;
    if (code_is(info, retry)) return FEAST_AWS_ERR_RETRY;
  }
  if (status == 429 || status >= 500) return FEAST_AWS_ERR_RETRY;
  if (!info->code[0]) {
    if (status == 404) return FEAST_AWS_ERR_NOT_FOUND;
    if (status == 401 || status == 403) return FEAST_AWS_ERR_AUTH;
  }
  return FEAST_AWS_ERR_OTHER;
}

feast_code feast_aws_error_fail(feast_error *err, const char *service, const char *op, const char *resource,
                                long status, const feast_aws_error_info *info) {
  char what[1200];
  snprintf(what, sizeof what, "AWS %s %s%s%s", service, op, resource && *resource ? " " : "",
           resource ? resource : "");
  char detail[1300];
  if (info->code[0] && info->message[0])
    snprintf(detail, sizeof detail, "%s: %s", info->code, info->message);
  else if (info->code[0])
    snprintf(detail, sizeof detail, "%s (HTTP %ld)", info->code, status);
  else
    snprintf(detail, sizeof detail, "HTTP %ld%s", status, status == 404 ? " (not found)" : "");
  switch (feast_aws_error_classify(status, info)) {
  case FEAST_AWS_ERR_NOT_FOUND: return feast_fail(err, FEAST_E_NOT_FOUND, "%s: %s", what, detail);
  case FEAST_AWS_ERR_AUTH:
    return feast_fail(err, FEAST_E_INVALID,
                      "%s: %s (the credentials were refused or lack permission: check the access key and secret, the "
                      "session token's expiry, the region, and the clock)",
                      what, detail);
  case FEAST_AWS_ERR_RETRY: return feast_fail_retriable(err, FEAST_E_SERVER, "%s: %s", what, detail);
  case FEAST_AWS_ERR_OTHER: break;
  }
  return feast_fail(err, FEAST_E_SERVER, "%s: %s", what, detail);
}
