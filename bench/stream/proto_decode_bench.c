/*
 * proto_decode_bench.c - protobuf decoding alone, on the same messages in
 * memory: ours (a plan, then feast_proto_decode into column batches of
 * `batch` rows, a new batch each time as the stream engine does) against
 * protobuf-c's generated unpack + free_unpacked (what a C consumer with
 * protoc-c code pays). The messages are packed by protobuf-c from random
 * values and written to OUT (4-byte little-endian length before each) for
 * the Python peer, proto_decode_bench.py. Before timing, ours and
 * protobuf-c's are checked to agree on every value of every message.
 *
 *   proto_decode_bench DESCRIPTOR_SET OUT [messages=1000000] [batch=65536] [reps=5] [only]
 *
 * `only` = "feast" or "protobuf-c" times just that one (for profiling).
 * Prints one JSON line per engine: best and median ns/message over reps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feature_row.pb-c.h"
#include "format/proto/proto_decode.h"

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void report(const char *engine, double *ns, int reps, size_t n) {
  qsort(ns, (size_t)reps, sizeof *ns, cmp_double);
  printf("{\"engine\": \"%s\", \"messages\": %zu, \"best_ns_per_msg\": %.1f, \"median_ns_per_msg\": %.1f}\n", engine, n,
         ns[0] / (double)n, ns[reps / 2] / (double)n);
  fflush(stdout);
}

static const char *cities[] = {"Oslo", "San Francisco", "Jakarta", "São Paulo", "Lagos", "Kraków", "Chennai", "Lima"};

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: proto_decode_bench DESCRIPTOR_SET OUT [messages] [batch] [reps]\n");
    return 2;
  }
  size_t n = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000000;
  size_t batch_rows = argc > 4 ? strtoull(argv[4], NULL, 10) : 65536;
  int reps = argc > 5 ? atoi(argv[5]) : 5;
  if (reps < 1 || reps > 50) reps = 5;
  const char *only = argc > 6 ? argv[6] : "";

  /* the messages, packed by protobuf-c back to back */
  size_t cap = n * 96, used = 0;
  uint8_t *arena = malloc(cap);
  feast_proto_slice *msgs = malloc(n * sizeof *msgs);
  for (size_t i = 0; i < n; i++) {
    Feast__Bench__FeatureRow r = FEAST__BENCH__FEATURE_ROW__INIT;
    Google__Protobuf__Timestamp ev = GOOGLE__PROTOBUF__TIMESTAMP__INIT, cr = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    r.driver_id = (int64_t)(next() % 1000000) + 1000;
    ev.seconds = 1700000000 + (int64_t)(next() % 10000000);
    ev.nanos = (int32_t)(next() % 1000000000);
    cr.seconds = ev.seconds + (int64_t)(next() % 100);
    cr.nanos = (int32_t)(next() % 1000000000);
    r.event_timestamp = &ev;
    r.created_timestamp = &cr;
    r.conv_rate = (float)(next() % 10000) / 10000.0f;
    r.acc_rate = (float)(next() % 10000) / 10000.0f;
    r.avg_daily_trips = (double)(next() % 100000) / 7.0;
    r.rating = 1.0 + (double)(next() % 4000) / 1000.0;
    r.trips_today = (int32_t)(next() % 60);
    r.lifetime_trips = (int64_t)(next() % 100000);
    r.city = (char *)cities[next() % 8];
    r.active = next() % 2;
    size_t len = feast__bench__feature_row__get_packed_size(&r);
    if (used + len > cap) return 1;
    feast__bench__feature_row__pack(&r, arena + used);
    msgs[i].data = arena + used;
    msgs[i].len = len;
    used += len;
  }
  FILE *out = fopen(argv[2], "wb");
  for (size_t i = 0; i < n; i++) {
    uint8_t h[4] = {(uint8_t)msgs[i].len, (uint8_t)(msgs[i].len >> 8), (uint8_t)(msgs[i].len >> 16),
                    (uint8_t)(msgs[i].len >> 24)};
    fwrite(h, 1, 4, out);
    fwrite(msgs[i].data, 1, msgs[i].len, out);
  }
  fclose(out);
  fprintf(stderr, "proto_decode_bench: %zu messages, %.1f bytes each on average\n", n, (double)used / (double)n);

  /* our plan: the table's columns with their Feast types */
  feast_error err;
  feast_proto_pool *pool = NULL;
  if (feast_proto_pool_load(argv[1], &pool, &err)) return fprintf(stderr, "%s\n", err.message), 1;
  feast_column_req reqs[] = {
      {"entity", "driver_id", "driver_id", FEAST_VT_INT64},
      {"event timestamp", "event_timestamp", "event_timestamp", FEAST_VT_UNIX_TIMESTAMP},
      {"created timestamp", "created_timestamp", "created_timestamp", FEAST_VT_UNIX_TIMESTAMP},
      {"feature", "conv_rate", "conv_rate", FEAST_VT_FLOAT},
      {"feature", "acc_rate", "acc_rate", FEAST_VT_FLOAT},
      {"feature", "avg_daily_trips", "avg_daily_trips", FEAST_VT_DOUBLE},
      {"feature", "rating", "rating", FEAST_VT_DOUBLE},
      {"feature", "trips_today", "trips_today", FEAST_VT_INT32},
      {"feature", "lifetime_trips", "lifetime_trips", FEAST_VT_INT64},
      {"feature", "city", "city", FEAST_VT_STRING},
      {"feature", "active", "active", FEAST_VT_BOOL},
  };
  feast_proto_plan *plan = NULL;
  if (feast_proto_plan_compile(pool, "feast.bench.FeatureRow", reqs, 11, NULL, &plan, &err))
    return fprintf(stderr, "%s\n", err.message), 1;
  feast_proto_pool_free(pool);
  feast_proto_decoder *dec = NULL;
  if (feast_proto_decoder_new(plan, &dec, &err)) return 1;

  /* agreement, value by value, on every message */
  size_t bad = 0;
  for (size_t start = 0; start < n; start += batch_rows) {
    size_t k = n - start < batch_rows ? n - start : batch_rows;
    feast_batch *b = NULL;
    feast_proto_result res;
    if (feast_proto_plan_batch_new(plan, &b, &err) || feast_proto_decode(dec, msgs + start, k, b, &res, &err) ||
        res.rows != (int64_t)k)
      return fprintf(stderr, "decode failed: %s\n", err.message), 1;
    for (size_t i = 0; i < k; i++) {
      Feast__Bench__FeatureRow *r = feast__bench__feature_row__unpack(NULL, msgs[start + i].len, msgs[start + i].data);
      size_t cl;
      const uint8_t *city = feast_array_get_bytes(b->columns[9], (int64_t)i, &cl);
      int64_t ev = r->event_timestamp->seconds * 1000000 + r->event_timestamp->nanos / 1000;
      int64_t cr = r->created_timestamp->seconds * 1000000 + r->created_timestamp->nanos / 1000;
      bad += feast_array_get_int(b->columns[0], (int64_t)i) != r->driver_id;
      bad += feast_array_get_ts_us(b->columns[1], (int64_t)i) != ev;
      bad += feast_array_get_ts_us(b->columns[2], (int64_t)i) != cr;
      bad += (float)feast_array_get_double(b->columns[3], (int64_t)i) != r->conv_rate;
      bad += (float)feast_array_get_double(b->columns[4], (int64_t)i) != r->acc_rate;
      bad += feast_array_get_double(b->columns[5], (int64_t)i) != r->avg_daily_trips;
      bad += feast_array_get_double(b->columns[6], (int64_t)i) != r->rating;
      bad += feast_array_get_int(b->columns[7], (int64_t)i) != r->trips_today;
      bad += feast_array_get_int(b->columns[8], (int64_t)i) != r->lifetime_trips;
      bad += cl != strlen(r->city) || memcmp(city, r->city, cl) != 0;
      bad += (feast_array_get_int(b->columns[10], (int64_t)i) != 0) != (r->active != 0);
      feast__bench__feature_row__free_unpacked(r, NULL);
    }
    feast_batch_free(b);
  }
  if (bad) return fprintf(stderr, "ours and protobuf-c disagree on %zu values\n", bad), 1;

  double *ns = malloc((size_t)reps * sizeof *ns);
  volatile int64_t sink = 0;
  for (int rep = 0; rep < reps && strcmp(only, "protobuf-c") != 0; rep++) {
    double t0 = now_ns();
    for (size_t start = 0; start < n; start += batch_rows) {
      size_t k = n - start < batch_rows ? n - start : batch_rows;
      feast_batch *b = NULL;
      feast_proto_result res;
      feast_proto_plan_batch_new(plan, &b, &err);
      feast_proto_decode(dec, msgs + start, k, b, &res, &err);
      sink += b->num_rows;
      feast_batch_free(b);
    }
    ns[rep] = now_ns() - t0;
  }
  if (strcmp(only, "protobuf-c") != 0) report("feast_proto_decode", ns, reps, n);
  for (int rep = 0; rep < reps && strcmp(only, "feast") != 0; rep++) {
    double t0 = now_ns();
    for (size_t i = 0; i < n; i++) {
      Feast__Bench__FeatureRow *r = feast__bench__feature_row__unpack(NULL, msgs[i].len, msgs[i].data);
      sink += r->driver_id;
      feast__bench__feature_row__free_unpacked(r, NULL);
    }
    ns[rep] = now_ns() - t0;
  }
  if (strcmp(only, "feast") != 0) report("protobuf-c unpack+free", ns, reps, n);
  (void)sink;
  free(ns);
  feast_proto_decoder_free(dec);
  feast_proto_plan_free(plan);
  free(msgs);
  free(arena);
  return 0;
}
