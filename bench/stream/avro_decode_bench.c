/*
 * avro_decode_bench.c - Avro decoding alone, on 1M feature-row datums in
 * memory (an 11-field record: long entity, timestamp-micros event and
 * created times, two floats, two doubles, two ints, a string, a boolean):
 *   - ours: the compiled plan into column batches of 64k rows, per
 *     message with each batch handed out and freed, per message with the
 *     batch read in place and its buffers reused (a stream consumer's hot
 *     path), and as concatenated blocks (BigQuery's AvroRows) reused;
 *   - avro-c's generic value reader: avro_generic_class_from_schema +
 *     avro_value_read of each datum into one reused value (no per-value
 *     extraction, which would only add to its time).
 * Prints ns per datum, best of REPEATS. With a path argument it also
 * writes the datums (4-byte little-endian length + bytes) for the fastavro
 * peer (avro_decode_peer.py).
 *   avro_decode_bench [N] [REPEATS] [DATUMS_OUT]
 */
#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/avro/avro_decode.h"

static const char *schema_json =
    "{\"type\":\"record\",\"name\":\"FeatureRow\",\"namespace\":\"feast.bench\",\"fields\":["
    "{\"name\":\"driver_id\",\"type\":\"long\"},"
    "{\"name\":\"event_timestamp\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
    "{\"name\":\"created\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
    "{\"name\":\"conv_rate\",\"type\":\"float\"},{\"name\":\"acc_rate\",\"type\":\"float\"},"
    "{\"name\":\"avg_speed\",\"type\":\"double\"},{\"name\":\"avg_fare\",\"type\":\"double\"},"
    "{\"name\":\"trips_today\",\"type\":\"int\"},{\"name\":\"rating_count\",\"type\":\"int\"},"
    "{\"name\":\"city\",\"type\":\"string\"},{\"name\":\"active\",\"type\":\"boolean\"}]}";

static const feast_avro_column cols[] = {
    {"driver_id", {FEAST_DT_INT64}, {0}},
    {"event_timestamp", {FEAST_DT_TIMESTAMP, FEAST_UNIT_US, 1}, {0}},
    {"created", {FEAST_DT_TIMESTAMP, FEAST_UNIT_US, 1}, {0}},
    {"conv_rate", {FEAST_DT_FLOAT}, {0}},
    {"acc_rate", {FEAST_DT_FLOAT}, {0}},
    {"avg_speed", {FEAST_DT_DOUBLE}, {0}},
    {"avg_fare", {FEAST_DT_DOUBLE}, {0}},
    {"trips_today", {FEAST_DT_INT32}, {0}},
    {"rating_count", {FEAST_DT_INT32}, {0}},
    {"city", {FEAST_DT_STRING}, {0}},
    {"active", {FEAST_DT_BOOL}, {0}}};
#define N_COLS (sizeof cols / sizeof *cols)

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static size_t put_long(uint8_t *p, int64_t v) {
  uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
  size_t n = 0;
  while (z >= 0x80) {
    p[n++] = (uint8_t)(z | 0x80);
    z >>= 7;
  }
  p[n++] = (uint8_t)z;
  return n;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static const char *cities[] = {"Oslo", "San Francisco", "Amsterdam", "Sao Paulo", "Lagos", "Tokyo", "Paris", "Lima"};

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)atol(argv[1]) : 1000000;
  int repeats = argc > 2 ? atoi(argv[2]) : 3;
  const char *out = argc > 3 ? argv[3] : NULL;
  uint8_t *buf = malloc(n * 80);
  feast_avro_msg *msgs = malloc(n * sizeof *msgs);
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t *p = buf + used;
    size_t k = 0;
    int64_t ts = INT64_C(1618000000000000) + (int64_t)(next() % 86400000000ULL);
    k += put_long(p + k, (int64_t)(next() % 1000000));
    k += put_long(p + k, ts);
    k += put_long(p + k, ts + (int64_t)(next() % 1000000));
    float f1 = (float)(next() % 10000) / 10000.0f, f2 = (float)(next() % 1000) / 1000.0f;
    double d1 = (double)(next() % 1000000) / 1000.0, d2 = (double)(next() % 100000) / 100.0;
    memcpy(p + k, &f1, 4), k += 4;
    memcpy(p + k, &f2, 4), k += 4;
    memcpy(p + k, &d1, 8), k += 8;
    memcpy(p + k, &d2, 8), k += 8;
    k += put_long(p + k, (int64_t)(next() % 50));
    k += put_long(p + k, (int64_t)(next() % 100000));
    const char *c = cities[next() % 8];
    k += put_long(p + k, (int64_t)strlen(c));
    memcpy(p + k, c, strlen(c)), k += strlen(c);
    p[k++] = (uint8_t)(next() & 1);
    msgs[i].data = p;
    msgs[i].len = k;
    used += k;
  }
  if (out) {
    FILE *f = fopen(out, "wb");
    for (size_t i = 0; f && i < n; i++) {
      uint32_t l = (uint32_t)msgs[i].len;
      uint8_t h[4] = {(uint8_t)l, (uint8_t)(l >> 8), (uint8_t)(l >> 16), (uint8_t)(l >> 24)};
      fwrite(h, 1, 4, f);
      fwrite(msgs[i].data, 1, l, f);
    }
    if (f) fclose(f);
  }
  printf("datums %zu, %.1f bytes each\n", n, (double)used / (double)n);

  /* ---- ours ---- */
  feast_error err;
  feast_avro_schema *s;
  feast_avro_plan *plan;
  feast_avro_decoder *dec;
  if (feast_avro_schema_parse(schema_json, strlen(schema_json), "bench", NULL, &s, &err) ||
      feast_avro_plan_compile(s->root, s->root, cols, N_COLS, &plan, &err) ||
      feast_avro_decoder_new(cols, N_COLS, &dec, &err)) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  const size_t batch = 65536;
  double best = 1e9, best_block = 1e9, best_reuse = 1e9;
  int64_t checksum = 0;
  for (int r = 0; r < repeats; r++) {
    double t0 = now();
    for (size_t i = 0; i < n; i += batch) {
      size_t m = n - i < batch ? n - i : batch;
      if (feast_avro_decode_datums(dec, plan, msgs + i, m, NULL, &err)) return fprintf(stderr, "%s\n", err.message), 1;
      feast_batch *b;
      if (feast_avro_decoder_finish(dec, &b, &err)) return fprintf(stderr, "%s\n", err.message), 1;
      checksum += feast_array_get_int(b->columns[0], b->num_rows - 1);
      feast_batch_free(b);
    }
    double t = now() - t0;
    if (t < best) best = t;
    /* the stream's hot path: decode a batch, read it in place, reset */
    feast_avro_decoder_reset(dec);
    if (feast_avro_decoder_reserve(dec, (int64_t)batch, 16, &err)) return fprintf(stderr, "%s\n", err.message), 1;
    t0 = now();
    for (size_t i = 0; i < n; i += batch) {
      size_t m = n - i < batch ? n - i : batch;
      if (feast_avro_decode_datums(dec, plan, msgs + i, m, NULL, &err)) return fprintf(stderr, "%s\n", err.message), 1;
      const feast_batch *b = feast_avro_decoder_peek(dec);
      checksum += feast_array_get_int(b->columns[0], b->num_rows - 1);
      feast_avro_decoder_reset(dec);
    }
    t = now() - t0;
    if (t < best_reuse) best_reuse = t;
    t0 = now();
    for (size_t i = 0; i < n; i += batch) {
      size_t m = n - i < batch ? n - i : batch;
      size_t len = (size_t)((const uint8_t *)msgs[i + m - 1].data + msgs[i + m - 1].len - (const uint8_t *)msgs[i].data);
      if (feast_avro_decode_block(dec, plan, msgs[i].data, len, (int64_t)m, NULL, &err))
        return fprintf(stderr, "%s\n", err.message), 1;
      checksum += feast_array_get_int(feast_avro_decoder_peek(dec)->columns[0], 0);
      feast_avro_decoder_reset(dec);
    }
    t = now() - t0;
    if (t < best_block) best_block = t;
  }
  if (feast_avro_decoder_bad_count(dec)) return fprintf(stderr, "bad datums in the benchmark\n"), 1;
  printf("ours (messages -> column batches handed out): %.1f ns/datum\n", best * 1e9 / (double)n);
  printf("ours (messages -> column batches reused): %.1f ns/datum\n", best_reuse * 1e9 / (double)n);
  printf("ours (one block -> column batches reused): %.1f ns/datum\n", best_block * 1e9 / (double)n);

  /* ---- avro-c's generic reader ---- */
  avro_schema_t as;
  if (avro_schema_from_json_length(schema_json, strlen(schema_json), &as)) return fprintf(stderr, "%s\n", avro_strerror()), 1;
  avro_value_iface_t *iface = avro_generic_class_from_schema(as);
  avro_value_t v;
  avro_generic_value_new(iface, &v);
  avro_reader_t reader = avro_reader_memory(NULL, 0);
  double best_c = 1e9;
  for (int r = 0; r < repeats; r++) {
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
      avro_reader_memory_set_source(reader, (const char *)msgs[i].data, (int64_t)msgs[i].len);
      if (avro_value_read(reader, &v)) return fprintf(stderr, "avro-c: %s\n", avro_strerror()), 1;
    }
    double t = now() - t0;
    if (t < best_c) best_c = t;
  }
  int64_t last;
  avro_value_t field;
  avro_value_get_by_index(&v, 0, &field, NULL);
  avro_value_get_long(&field, &last);
  checksum += last;
  printf("avro-c generic (avro_value_read): %.1f ns/datum\n", best_c * 1e9 / (double)n);
  printf("ours is %.1fx avro-c (batches handed out), %.1fx (batches reused), %.1fx (block)\n", best_c / best,
         best_c / best_reuse, best_c / best_block);
  printf("checksum %lld\n", (long long)checksum);
  avro_reader_free(reader);
  avro_value_decref(&v);
  avro_value_iface_decref(iface);
  avro_schema_decref(as);
  feast_avro_decoder_free(dec);
  feast_avro_plan_free(plan);
  feast_avro_schema_free(s);
  free(msgs);
  free(buf);
  return 0;
}
