/*
 * kinesis_api.h - one Kinesis API call over AWS's JSON 1.1 protocol: POST /
 * with X-Amz-Target: Kinesis_20131202.<Op> and Content-Type
 * application/x-amz-json-1.1, the request and answer JSON documents. The
 * Kinesis connector builds ListShards, GetShardIterator, GetRecords... on
 * this; errors come back in AWS's words (JSON __type, or moto's XML).
 */
#ifndef FEAST_CLOUD_AWS_KINESIS_API_H
#define FEAST_CLOUD_AWS_KINESIS_API_H

#include <stddef.h>

#include "base/buf.h"
#include "cloud/aws/aws_client.h"

/* A client for the Kinesis endpoint (see feast_aws_client_new). */
feast_aws_client *feast_kinesis_client_new(const feast_aws_settings *s, const char *region, feast_aws_creds *creds,
                                           feast_error *err);

/* Call `op` with the JSON document json[0..len) and append the answer's
 * JSON to `out`. `resource` names the stream in messages ("stream
 * clicks"); may be NULL. */
feast_code feast_kinesis_call(feast_aws_client *c, const char *op, const char *json, size_t len, const char *resource,
                              feast_buf *out, feast_error *err);

#endif
