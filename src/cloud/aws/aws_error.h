/*
 * aws_error.h - AWS's error answers, read and turned into feast errors.
 *
 * AWS speaks three dialects: JSON {"__type": "...#Code", "message": "..."}
 * (Kinesis and the JSON 1.1 services), S3's XML <Error><Code>..., and the
 * query services' XML <ErrorResponse><Error><Code>... (also moto's answer
 * for every service). The code decides the feast code and whether a retry
 * may help:
 *   NoSuchBucket, NoSuchKey, ResourceNotFoundException, 404 -> FEAST_E_NOT_FOUND
 *   SignatureDoesNotMatch, InvalidClientTokenId, AccessDenied, ExpiredToken,
 *   UnrecognizedClientException, 401/403 -> FEAST_E_INVALID with a hint on
 *   the credentials (a retry cannot help)
 *   Throttling*, SlowDown, ProvisionedThroughputExceeded, RequestLimitExceeded,
 *   429, 5xx, InternalError, ServiceUnavailable -> retriable FEAST_E_SERVER
 *   everything else -> FEAST_E_SERVER, final.
 * Messages read "AWS s3 GetObject s3://bucket/key: NoSuchKey: The specified
 * key does not exist."
 */
#ifndef FEAST_CLOUD_AWS_ERROR_H
#define FEAST_CLOUD_AWS_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include "feast/error.h"

typedef struct feast_aws_error_info {
  char code[128];      /* "NoSuchKey"; "" when the body said nothing readable */
  char message[1024];  /* the service's message; "" when none */
  char request_id[128];
} feast_aws_error_info;

/* Read an error body (JSON or XML, guessed from its first byte; an empty or
 * unreadable body leaves code and message empty). `x_amzn_error_type` is
 * the x-amzn-ErrorType header when present (JSON services), else NULL. */
void feast_aws_error_parse(long status, const void *body, size_t len, const char *x_amzn_error_type,
                           feast_aws_error_info *out);

typedef enum feast_aws_error_class {
  FEAST_AWS_ERR_OTHER = 0,
  FEAST_AWS_ERR_NOT_FOUND,
  FEAST_AWS_ERR_AUTH,
  FEAST_AWS_ERR_RETRY /* throttling and server-side failures */
} feast_aws_error_class;

feast_aws_error_class feast_aws_error_classify(long status, const feast_aws_error_info *info);

/* Fill err for a failed call: `service` "s3", `op` "GetObject", `resource`
 * "s3://bucket/key" (borrowed, may be ""). Returns the feast code. */
feast_code feast_aws_error_fail(feast_error *err, const char *service, const char *op, const char *resource,
                                long status, const feast_aws_error_info *info);

#endif
