/*
 * serve_metrics.c - the daemon's counters and their Prometheus text
 * (GET /metrics, docs/serve.md "Metrics"): requests by endpoint and status
 * code, errors, a latency histogram and rows served per endpoint, online
 * store errors, connections, reloads and the registry revision.
 *
 * Every counter is a relaxed atomic: the loops only add, /metrics reads a
 * moment's view. Endpoints are registered under a mutex (at start-up, or
 * lazily by a protocol on its first request) into a fixed table, so a
 * reader never sees the table move.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "serve/serve_internal.h"

#define MAX_ENDPOINTS 128
#define MAX_CODES 16
#define N_BUCKETS 12

static const uint64_t BUCKET_NS[N_BUCKETS] = {100000,   250000,   500000,    1000000,   2500000,    5000000,
                                              10000000, 25000000, 50000000, 100000000, 250000000, 1000000000};
static const char *const BUCKET_LE[N_BUCKETS] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
                                                 "0.01",   "0.025",   "0.05",   "0.1",   "0.25",   "1"};

typedef struct endpoint {
  char protocol[16];
  char name[128];
  _Atomic int codes[MAX_CODES]; /* 0 = free slot; claimed by compare-and-swap */
  _Atomic uint64_t per_code[MAX_CODES];
  _Atomic uint64_t other_codes; /* past MAX_CODES distinct codes */
  _Atomic uint64_t errors, rows, count, sum_ns;
  _Atomic uint64_t buckets[N_BUCKETS];
} endpoint;

struct serve_metrics {
  pthread_mutex_t lock;
  _Atomic int n_endpoints;
  endpoint endpoints[MAX_ENDPOINTS];
  _Atomic int64_t connections;
  _Atomic uint64_t refused, online_errors, reloads_ok, reloads_failed;
  _Atomic int64_t registry_revision;
};

serve_metrics *serve_metrics_new(void) {
  serve_metrics *m = feast_calloc(1, sizeof *m);
  if (m) pthread_mutex_init(&m->lock, NULL);
  return m;
}

void serve_metrics_free(serve_metrics *m) {
  if (!m) return;
  pthread_mutex_destroy(&m->lock);
  feast_free(m);
}

serve_endpoint serve_metrics_endpoint(serve_metrics *m, const char *protocol, const char *name) {
  pthread_mutex_lock(&m->lock);
  int n = atomic_load(&m->n_endpoints);
  for (int i = 0; i < n; i++)
    if (!strcmp(m->endpoints[i].protocol, protocol) && !strcmp(m->endpoints[i].name, name)) {
      pthread_mutex_unlock(&m->lock);
      return i;
    }
  int id = n < MAX_ENDPOINTS ? n : MAX_ENDPOINTS - 1; /* the last slot collects the overflow */
  if (n < MAX_ENDPOINTS) {
    snprintf(m->endpoints[id].protocol, sizeof m->endpoints[id].protocol, "%s", protocol);
    snprintf(m->endpoints[id].name, sizeof m->endpoints[id].name, "%s", n == MAX_ENDPOINTS - 1 ? "other" : name);
    atomic_store(&m->n_endpoints, n + 1);
  }
  pthread_mutex_unlock(&m->lock);
  return id;
}

void serve_metrics_observe(serve_metrics *m, serve_endpoint ep, int code, bool error, uint64_t latency_ns,
                           uint64_t rows_served) {
  if (!m || ep < 0 || ep >= atomic_load_explicit(&m->n_endpoints, memory_order_acquire)) return;
  endpoint *e = &m->endpoints[ep];
  int key = code + 1; /* gRPC's OK is 0; 0 marks a free slot */
  int i = 0;
  for (; i < MAX_CODES; i++) {
    int have = atomic_load_explicit(&e->codes[i], memory_order_acquire);
    if (have == key) break;
    if (have == 0) {
      int expected = 0;
      if (atomic_compare_exchange_strong(&e->codes[i], &expected, key) || expected == key) break;
    }
  }
  if (i < MAX_CODES) atomic_fetch_add_explicit(&e->per_code[i], 1, memory_order_relaxed);
  else atomic_fetch_add_explicit(&e->other_codes, 1, memory_order_relaxed);
  if (error) atomic_fetch_add_explicit(&e->errors, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&e->rows, rows_served, memory_order_relaxed);
  atomic_fetch_add_explicit(&e->count, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&e->sum_ns, latency_ns, memory_order_relaxed);
  for (int b = 0; b < N_BUCKETS; b++)
    if (latency_ns <= BUCKET_NS[b]) {
      atomic_fetch_add_explicit(&e->buckets[b], 1, memory_order_relaxed);
      break;
    }
}

void serve_metrics_online_store_error(serve_metrics *m) {
  if (m) atomic_fetch_add_explicit(&m->online_errors, 1, memory_order_relaxed);
}
void serve_metrics_connections(serve_metrics *m, int delta) {
  atomic_fetch_add_explicit(&m->connections, delta, memory_order_relaxed);
}
void serve_metrics_refused(serve_metrics *m) { atomic_fetch_add_explicit(&m->refused, 1, memory_order_relaxed); }
void serve_metrics_set_registry_revision(serve_metrics *m, int64_t rev) { atomic_store(&m->registry_revision, rev); }
void serve_metrics_reload(serve_metrics *m, bool ok) {
  atomic_fetch_add_explicit(ok ? &m->reloads_ok : &m->reloads_failed, 1, memory_order_relaxed);
}

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

feast_code serve_metrics_write(serve_metrics *m, feast_buf *out, feast_error *err) {
  feast_code rc = FEAST_OK;
#define P(...) \
  if (!rc) rc = feast_buf_printf(out, err, __VA_ARGS__)
  int n = atomic_load_explicit(&m->n_endpoints, memory_order_acquire);
  P("# HELP feast_serve_requests_total Requests answered, by endpoint and status code (HTTP status or gRPC code).\n"
    "# TYPE feast_serve_requests_total counter\n");
  for (int i = 0; i < n; i++) {
    endpoint *e = &m->endpoints[i];
    for (int k = 0; k < MAX_CODES; k++) {
      int key = atomic_load(&e->codes[k]);
      if (!key) break;
      P("feast_serve_requests_total{protocol=\"%s\",endpoint=\"%s\",code=\"%d\"} %llu\n", e->protocol, e->name,
        key - 1, (unsigned long long)LOAD(e->per_code[k]));
    }
    if (LOAD(e->other_codes))
      P("feast_serve_requests_total{protocol=\"%s\",endpoint=\"%s\",code=\"other\"} %llu\n", e->protocol, e->name,
        (unsigned long long)LOAD(e->other_codes));
  }
  P("# HELP feast_serve_request_errors_total Requests that failed (4xx/5xx, or a gRPC status other than OK).\n"
    "# TYPE feast_serve_request_errors_total counter\n");
  for (int i = 0; i < n; i++)
    P("feast_serve_request_errors_total{protocol=\"%s\",endpoint=\"%s\"} %llu\n", m->endpoints[i].protocol,
      m->endpoints[i].name, (unsigned long long)LOAD(m->endpoints[i].errors));
  P("# HELP feast_serve_rows_served_total Entity rows answered by online reads.\n"
    "# TYPE feast_serve_rows_served_total counter\n");
  for (int i = 0; i < n; i++)
    P("feast_serve_rows_served_total{protocol=\"%s\",endpoint=\"%s\"} %llu\n", m->endpoints[i].protocol,
      m->endpoints[i].name, (unsigned long long)LOAD(m->endpoints[i].rows));
  P("# HELP feast_serve_request_duration_seconds Time from a whole request to its answer being queued.\n"
    "# TYPE feast_serve_request_duration_seconds histogram\n");
  for (int i = 0; i < n; i++) {
    endpoint *e = &m->endpoints[i];
    uint64_t cum = 0;
    for (int b = 0; b < N_BUCKETS; b++) {
      cum += LOAD(e->buckets[b]);
      P("feast_serve_request_duration_seconds_bucket{protocol=\"%s\",endpoint=\"%s\",le=\"%s\"} %llu\n", e->protocol,
        e->name, BUCKET_LE[b], (unsigned long long)cum);
    }
    uint64_t count = LOAD(e->count);
    P("feast_serve_request_duration_seconds_bucket{protocol=\"%s\",endpoint=\"%s\",le=\"+Inf\"} %llu\n", e->protocol,
      e->name, (unsigned long long)count);
    P("feast_serve_request_duration_seconds_sum{protocol=\"%s\",endpoint=\"%s\"} %.9f\n", e->protocol, e->name,
      LOAD(e->sum_ns) / 1e9);
    P("feast_serve_request_duration_seconds_count{protocol=\"%s\",endpoint=\"%s\"} %llu\n", e->protocol, e->name,
      (unsigned long long)count);
  }
  P("# HELP feast_serve_online_store_errors_total Online store reads or writes that failed.\n"
    "# TYPE feast_serve_online_store_errors_total counter\n"
    "feast_serve_online_store_errors_total %llu\n",
    (unsigned long long)LOAD(m->online_errors));
  P("# HELP feast_serve_connections Open connections.\n# TYPE feast_serve_connections gauge\n"
    "feast_serve_connections %lld\n",
    (long long)LOAD(m->connections));
  P("# HELP feast_serve_connections_refused_total Connections refused past serve.limits.max_connections.\n"
    "# TYPE feast_serve_connections_refused_total counter\nfeast_serve_connections_refused_total %llu\n",
    (unsigned long long)LOAD(m->refused));
  P("# HELP feast_serve_config_reloads_total SIGHUP reloads by result.\n# TYPE feast_serve_config_reloads_total counter\n"
    "feast_serve_config_reloads_total{result=\"ok\"} %llu\nfeast_serve_config_reloads_total{result=\"failed\"} %llu\n",
    (unsigned long long)LOAD(m->reloads_ok), (unsigned long long)LOAD(m->reloads_failed));
  P("# HELP feast_serve_registry_revision The registry revision the daemon serves.\n"
    "# TYPE feast_serve_registry_revision gauge\nfeast_serve_registry_revision %lld\n",
    (long long)atomic_load(&m->registry_revision));
#undef P
  return rc;
}
