/*
 * kinesis_getrecords_bench.c - the ceiling of bench/aws/kinesis_bench.py: the
 * bare GetRecords rate of a stream, through the same AWS client the
 * connector uses (src/cloud/aws), one thread per shard, TRIM_HORIZON to the
 * first empty answer, records only counted (no decoding, no base64, no
 * store). Prints "records=N seconds=S".
 *   kinesis_getrecords_bench STREAM   (endpoint, region, keys from AWS_*)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "cloud/aws/kinesis_api.h"

static feast_aws_client *client;
static const char *stream;

typedef struct shard_run {
  char id[64];
  long records;
  int failed;
} shard_run;

/* The string value of "key":"..." in json, into out. */
static int field(const char *json, const char *key, char *out, size_t cap) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  const char *p = strstr(json, pat);
  if (!p) return 0;
  p += strlen(pat);
  const char *e = strchr(p, '"');
  if (!e || (size_t)(e - p) >= cap) return 0;
  memcpy(out, p, (size_t)(e - p));
  out[e - p] = 0;
  return 1;
}

static void *read_shard(void *arg) {
  shard_run *r = arg;
  feast_buf req, resp;
  feast_buf_init(&req, 1 << 16);
  feast_buf_init(&resp, (size_t)256 << 20);
  feast_error err;
  char iter[1024];
  feast_buf_printf(&req, &err, "{\"StreamName\":\"%s\",\"ShardId\":\"%s\",\"ShardIteratorType\":\"TRIM_HORIZON\"}",
                   stream, r->id);
  if (feast_kinesis_call(client, "GetShardIterator", (const char *)req.data, req.len, NULL, &resp, &err) ||
      feast_buf_append_byte(&resp, 0, &err) || !field((const char *)resp.data, "ShardIterator", iter, sizeof iter)) {
    fprintf(stderr, "GetShardIterator: %s\n", err.message);
    r->failed = 1;
    return NULL;
  }
  for (;;) {
    feast_buf_reset(&req);
    feast_buf_reset(&resp);
    feast_buf_printf(&req, &err, "{\"ShardIterator\":\"%s\",\"Limit\":10000}", iter);
    if (feast_kinesis_call(client, "GetRecords", (const char *)req.data, req.len, NULL, &resp, &err) ||
        feast_buf_append_byte(&resp, 0, &err)) {
      fprintf(stderr, "GetRecords: %s\n", err.message);
      r->failed = 1;
      break;
    }
    long n = 0;
    for (const char *p = (const char *)resp.data; (p = strstr(p, "\"SequenceNumber\"")); p += 16) n++;
    r->records += n;
    if (!n || !field((const char *)resp.data, "NextShardIterator", iter, sizeof iter)) break;
  }
  feast_buf_free(&req);
  feast_buf_free(&resp);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: kinesis_getrecords_bench STREAM\n"), 2;
  stream = argv[1];
  feast_error err;
  feast_aws_settings s = {0};
  if (!(client = feast_kinesis_client_new(&s, NULL, NULL, &err))) return fprintf(stderr, "%s\n", err.message), 1;
  feast_buf req, resp;
  feast_buf_init(&req, 1 << 16);
  feast_buf_init(&resp, 1 << 24);
  feast_buf_printf(&req, &err, "{\"StreamName\":\"%s\"}", stream);
  if (feast_kinesis_call(client, "ListShards", (const char *)req.data, req.len, NULL, &resp, &err) ||
      feast_buf_append_byte(&resp, 0, &err))
    return fprintf(stderr, "ListShards: %s\n", err.message), 1;
  shard_run runs[256];
  int n = 0;
  for (const char *p = (const char *)resp.data; n < 256 && (p = strstr(p, "\"ShardId\":\"")); p += 11)
    field(p, "ShardId", runs[n].id, sizeof runs[n].id), runs[n].records = 0, runs[n].failed = 0, n++;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pthread_t th[256];
  for (int i = 0; i < n; i++) pthread_create(&th[i], NULL, read_shard, &runs[i]);
  long total = 0;
  int failed = 0;
  for (int i = 0; i < n; i++) {
    pthread_join(th[i], NULL);
    total += runs[i].records;
    failed |= runs[i].failed;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("records=%ld seconds=%.3f shards=%d\n", total, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, n);
  feast_aws_client_free(client);
  return failed;
}
