/*
 * grpc_h2_test.c - serve_protocol_grpc driven by an nghttp2 client session
 * over a fake serve_conn (defined here: the bytes the protocol writes are
 * collected and fed to the client): framing, trailers, 415, UNIMPLEMENTED,
 * RESOURCE_EXHAUSTED, truncated frames, invalid protobuf, deadlines, auth,
 * percent-encoding and GOAWAY on drain.
 */
#include <nghttp2/nghttp2.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "feast/serving/ServingService.pb-c.h"
#include "serve/grpc.h"
#include "test.h"

/* ---- the fake connection (the test double of serve_loop.c & co.) ---- */

struct serve_worker {
  feast_arena *arena;
  uint64_t now;
  uint64_t tick; /* added on every now() call, to make deadlines pass */
};
struct serve_conn {
  feast_buf out;
  bool close_after;
  size_t refs_done;
  serve_worker *w;
  serve_ctx *ctx;
};

int serve_conn_write(serve_conn *c, const void *d, size_t n) {
  feast_error err;
  return feast_buf_append(&c->out, d, n, &err) == FEAST_OK ? 0 : -1;
}
int serve_conn_write_ref(serve_conn *c, const void *d, size_t n, void (*done)(void *), void *arg) {
  int rc = serve_conn_write(c, d, n);
  c->refs_done++;
  done(arg);
  return rc;
}
size_t serve_conn_pending(const serve_conn *c) { (void)c; return 0; }
void serve_conn_want_send(serve_conn *c) { (void)c; }
void serve_conn_close_after_write(serve_conn *c) { c->close_after = true; }
serve_worker *serve_conn_worker(const serve_conn *c) { return c->w; }
const serve_ctx *serve_conn_ctx(const serve_conn *c) { return c->ctx; }
serve_port_kind serve_conn_port_kind(const serve_conn *c) { (void)c; return SERVE_PORT_GRPC; }
feast_arena *serve_worker_arena(serve_worker *w) { return w->arena; }
uint64_t serve_worker_now_ns(const serve_worker *w) {
  struct timespec ts; /* the loop's clock: CLOCK_MONOTONIC, cached per wake-up */
  clock_gettime(CLOCK_MONOTONIC, &ts);
  (void)w;
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
serve_auth_result serve_authorize(const serve_ctx *ctx, const char *b, const char *p, serve_access a) {
  (void)ctx, (void)p, (void)a;
  if (!b || strcmp(b, "good") != 0) return SERVE_AUTH_UNAUTHENTICATED;
  return SERVE_AUTH_OK;
}
serve_endpoint serve_metrics_endpoint(serve_metrics *m, const char *p, const char *n) { (void)m, (void)p, (void)n; return -1; }
void serve_metrics_observe(serve_metrics *m, serve_endpoint ep, int code, bool e, uint64_t l, uint64_t r) {
  (void)m, (void)ep, (void)code, (void)e, (void)l, (void)r;
}
void serve_metrics_online_store_error(serve_metrics *m) { (void)m; }
const serve_config *serve_ctx_config(const serve_ctx *ctx) { return ctx->cfg; }
void serve_log(const serve_ctx *ctx, serve_log_level level, const char *event, const char *fmt, ...) {
  (void)ctx, (void)level, (void)event, (void)fmt;
}
void serve_access_log(const serve_ctx *ctx, const serve_conn *c, const char *p, const char *w, int code, uint64_t l) {
  (void)ctx, (void)c, (void)p, (void)w, (void)code, (void)l;
}

/* ---- the client ---- */

typedef struct reply {
  int http_status, grpc_status;
  char grpc_message[512];
  feast_buf body;
  bool closed, goaway;
} reply;

static int cl_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nl, const uint8_t *value,
                     size_t vl, uint8_t flags, void *user) {
  (void)s, (void)flags, (void)f;
  reply *r = user;
  char v[512];
  size_t n = vl < sizeof v - 1 ? vl : sizeof v - 1;
  memcpy(v, value, n);
  v[n] = 0;
  if (nl == 7 && !memcmp(name, ":status", 7)) r->http_status = atoi(v);
  if (nl == 11 && !memcmp(name, "grpc-status", 11)) r->grpc_status = atoi(v);
  if (nl == 12 && !memcmp(name, "grpc-message", 12)) strcpy(r->grpc_message, v);
  return 0;
}
static int cl_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *d, size_t n, void *user) {
  (void)s, (void)flags, (void)id;
  feast_error err;
  feast_buf_append(&((reply *)user)->body, d, n, &err);
  return 0;
}
static int cl_close(nghttp2_session *s, int32_t id, uint32_t code, void *user) {
  (void)s, (void)id, (void)code;
  ((reply *)user)->closed = true;
  return 0;
}
static int cl_frame(nghttp2_session *s, const nghttp2_frame *f, void *user) {
  (void)s;
  if (f->hd.type == NGHTTP2_GOAWAY) ((reply *)user)->goaway = true;
  return 0;
}

typedef struct body_src {
  const uint8_t *p;
  size_t n, off;
} body_src;

static ssize_t cl_read(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                       nghttp2_data_source *src, void *user) {
  (void)s, (void)id, (void)user;
  body_src *b = src->ptr;
  size_t n = b->n - b->off < len ? b->n - b->off : len;
  memcpy(buf, b->p + b->off, n);
  b->off += n;
  if (b->off == b->n) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

typedef struct rig {
  serve_worker w;
  serve_conn c;
  serve_ctx ctx;
  serve_config cfg;
  void *state;
  nghttp2_session *cl;
  reply r;
} rig;

static void rig_open(rig *g) {
  memset(g, 0, sizeof *g);
  g->w.arena = feast_arena_new(65536);
  g->w.now = 1000;
  g->cfg.limits.max_request_bytes = 1000;
  g->ctx.cfg = &g->cfg;
  g->c.w = &g->w;
  g->c.ctx = &g->ctx;
  feast_buf_init(&g->c.out, 1u << 30);
  feast_buf_init(&g->r.body, 1u << 30);
  CHECK_INT(serve_protocol_grpc.open(&g->c, &g->state), 0);
  nghttp2_session_callbacks *cb;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_header_callback(cb, cl_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, cl_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, cl_close);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, cl_frame);
  nghttp2_session_client_new(&g->cl, cb, &g->r);
  nghttp2_session_callbacks_del(cb);
  nghttp2_submit_settings(g->cl, NGHTTP2_FLAG_NONE, NULL, 0);
}

/* Shuttle bytes both ways until neither side has anything to say. */
static void pump(rig *g) {
  for (int round = 0; round < 100; round++) {
    bool moved = false;
    const uint8_t *d;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(g->cl, &d)) > 0) {
      moved = true;
      CHECK_INT(serve_protocol_grpc.recv(g->state, d, (size_t)n), 0);
      feast_arena_reset(g->w.arena);
    }
    if (serve_protocol_grpc.want_send(g->state)) serve_protocol_grpc.send(g->state);
    if (g->c.out.len) {
      moved = true;
      CHECK(nghttp2_session_mem_recv(g->cl, g->c.out.data, g->c.out.len) == (ssize_t)g->c.out.len);
      g->c.out.len = 0;
    }
    if (!moved) return;
  }
}

static void rig_close(rig *g) {
  serve_protocol_grpc.close(g->state);
  nghttp2_session_del(g->cl);
  feast_buf_free(&g->c.out);
  feast_buf_free(&g->r.body);
  feast_arena_free(g->w.arena);
}

static void call(rig *g, const char *path, const char *ctype, const uint8_t *body, size_t n, const char *extra_name,
                 const char *extra_value) {
  nghttp2_nv nva[8];
  int k = 0;
#define NV(a, b) nva[k++] = (nghttp2_nv){(uint8_t *)(a), (uint8_t *)(b), strlen(a), strlen(b), 0}
  NV(":method", "POST");
  NV(":scheme", "http");
  NV(":authority", "localhost");
  NV(":path", path);
  if (ctype) NV("content-type", ctype);
  NV("te", "trailers");
  if (extra_name) NV(extra_name, extra_value);
  static body_src src;
  src = (body_src){body, n, 0};
  nghttp2_data_provider prd = {.source.ptr = &src, .read_callback = cl_read};
  CHECK(nghttp2_submit_request(g->cl, NULL, nva, (size_t)k, &prd, NULL) > 0);
  pump(g);
}

static size_t frame(uint8_t *dst, const uint8_t *msg, size_t n) {
  dst[0] = 0;
  dst[1] = (uint8_t)(n >> 24);
  dst[2] = (uint8_t)(n >> 16);
  dst[3] = (uint8_t)(n >> 8);
  dst[4] = (uint8_t)n;
  if (n) memcpy(dst + 5, msg, n);
  return n + 5;
}

#define INFO "/feast.serving.ServingService/GetFeastServingInfo"
#define ONLINE "/feast.serving.ServingService/GetOnlineFeaturesV2"

static void test_serving_info_ok(void) {
  rig g;
  rig_open(&g);
  uint8_t b[5];
  call(&g, INFO, "application/grpc", b, frame(b, NULL, 0), NULL, NULL);
  CHECK_INT(g.r.http_status, 200);
  CHECK_INT(g.r.grpc_status, 0);
  CHECK(g.r.closed);
  CHECK(g.r.body.len > 5);
  if (g.r.body.len > 5) {
    CHECK_INT(g.r.body.data[0], 0);
    size_t n = (size_t)g.r.body.data[1] << 24 | (size_t)g.r.body.data[2] << 16 | (size_t)g.r.body.data[3] << 8 |
               g.r.body.data[4];
    CHECK_INT(n, g.r.body.len - 5);
    Feast__Serving__GetFeastServingInfoResponse *m =
        feast__serving__get_feast_serving_info_response__unpack(NULL, n, g.r.body.data + 5);
    CHECK(m != NULL);
    if (m) {
      CHECK_INT(m->type, FEAST__SERVING__FEAST_SERVING_TYPE__FEAST_SERVING_TYPE_ONLINE);
      CHECK(m->version && *m->version);
      feast__serving__get_feast_serving_info_response__free_unpacked(m, NULL);
    }
  }
  rig_close(&g);
}

static void test_wrong_content_type(void) {
  rig g;
  rig_open(&g);
  uint8_t b[5];
  call(&g, INFO, "application/json", b, frame(b, NULL, 0), NULL, NULL);
  CHECK_INT(g.r.http_status, 415);
  CHECK_INT(g.r.grpc_status, 0);
  rig_close(&g);
  rig_open(&g);
  call(&g, INFO, NULL, b, frame(b, NULL, 0), NULL, NULL);
  CHECK_INT(g.r.http_status, 415);
  rig_close(&g);
  rig_open(&g); /* +proto and ;params are gRPC too */
  call(&g, INFO, "application/grpc+proto", b, frame(b, NULL, 0), NULL, NULL);
  CHECK_INT(g.r.http_status, 200);
  CHECK_INT(g.r.grpc_status, 0);
  rig_close(&g);
}

static void test_unknown_method(void) {
  rig g;
  rig_open(&g);
  uint8_t b[5];
  call(&g, "/feast.serving.ServingService/Nope", "application/grpc", b, frame(b, NULL, 0), NULL, NULL);
  CHECK_INT(g.r.http_status, 200);
  CHECK_INT(g.r.grpc_status, GRPC_UNIMPLEMENTED);
  CHECK_INT(g.r.body.len, 0); /* trailers-only */
  rig_close(&g);
}

static void test_oversized_and_truncated(void) {
  rig g;
  rig_open(&g);
  static uint8_t big[6000];
  call(&g, INFO, "application/grpc", big, frame(big, big + 5, 5000), NULL, NULL);
  CHECK_INT(g.r.grpc_status, GRPC_RESOURCE_EXHAUSTED);
  rig_close(&g);
  rig_open(&g);
  uint8_t b[8] = {0, 0, 0, 0, 10, 1, 2, 3}; /* declares 10, carries 3 */
  call(&g, INFO, "application/grpc", b, sizeof b, NULL, NULL);
  CHECK_INT(g.r.grpc_status, GRPC_INTERNAL);
  CHECK_CONTAINS(g.r.grpc_message, "truncated");
  rig_close(&g);
  rig_open(&g);
  call(&g, INFO, "application/grpc", b, 3, NULL, NULL);
  CHECK_INT(g.r.grpc_status, GRPC_INTERNAL);
  rig_close(&g);
  rig_open(&g);
  uint8_t z[5] = {1, 0, 0, 0, 0}; /* compressed flag */
  call(&g, INFO, "application/grpc", z, 5, NULL, NULL);
  CHECK_INT(g.r.grpc_status, GRPC_UNIMPLEMENTED);
  rig_close(&g);
}

static void test_invalid_protobuf_and_auth(void) {
  rig g;
  rig_open(&g);
  uint8_t junk[3] = {0xff, 0xff, 0xff}, b[16];
  call(&g, ONLINE, "application/grpc", b, frame(b, junk, 3), NULL, NULL);
  CHECK_INT(g.r.grpc_status, GRPC_INVALID_ARGUMENT);
  CHECK_CONTAINS(g.r.grpc_message, "invalid protobuf");
  rig_close(&g);
  rig_open(&g); /* a well-formed request without a token */
  call(&g, ONLINE, "application/grpc", b, frame(b, NULL, 0), NULL, NULL);
  CHECK_INT(g.r.grpc_status, GRPC_UNAUTHENTICATED);
  rig_close(&g);
  rig_open(&g); /* with one: past auth, no entity rows (Feast: UNKNOWN) */
  call(&g, ONLINE, "application/grpc", b, frame(b, NULL, 0), "authorization", "Bearer good");
  CHECK_INT(g.r.grpc_status, GRPC_UNKNOWN);
  CHECK_STR(g.r.grpc_message, "Entity value must be provided");
  rig_close(&g);
}

static void test_deadline(void) {
  rig g;
  rig_open(&g);
  uint8_t b[5];
  call(&g, INFO, "application/grpc", b, frame(b, NULL, 0), "grpc-timeout", "1u");
  CHECK_INT(g.r.grpc_status, GRPC_DEADLINE_EXCEEDED);
  rig_close(&g);
  rig_open(&g);
  call(&g, INFO, "application/grpc", b, frame(b, NULL, 0), "grpc-timeout", "10S");
  CHECK_INT(g.r.grpc_status, 0);
  rig_close(&g);
  rig_open(&g);
  call(&g, INFO, "application/grpc", b, frame(b, NULL, 0), "grpc-timeout", "10x");
  CHECK_INT(g.r.grpc_status, GRPC_INTERNAL);
  rig_close(&g);
  uint64_t ns;
  CHECK(grpc_parse_timeout("100m", 4, &ns) && ns == 100000000ull);
  CHECK(grpc_parse_timeout("99999999H", 9, &ns));
  CHECK(!grpc_parse_timeout("123456789S", 10, &ns));
  CHECK(!grpc_parse_timeout("S", 1, &ns));
}

static void test_percent_encoding(void) {
  char out[128];
  grpc_percent_encode("Unable to find FeatureTable default/t: 100% \xc3\xa9\n", out, sizeof out);
  CHECK_STR(out, "Unable to find FeatureTable default/t: 100%25 %C3%A9%0A");
  grpc_percent_encode("abcdef", out, 5); /* truncates, stays terminated */
  CHECK_STR(out, "ab");
}

static void test_drain_goaway(void) {
  rig g;
  rig_open(&g);
  pump(&g);
  CHECK(serve_protocol_grpc.idle(g.state));
  serve_protocol_grpc.drain(g.state);
  pump(&g);
  CHECK(g.r.goaway);
  rig_close(&g);
}

static void test_many_streams_one_conn(void) {
  rig g;
  rig_open(&g);
  uint8_t b[5];
  for (int i = 0; i < 50; i++) {
    g.r.grpc_status = -1;
    g.r.body.len = 0;
    call(&g, INFO, "application/grpc", b, frame(b, NULL, 0), NULL, NULL);
    CHECK_INT(g.r.grpc_status, 0);
  }
  CHECK(serve_protocol_grpc.idle(g.state));
  rig_close(&g);
}

TEST_MAIN(T(test_serving_info_ok), T(test_wrong_content_type), T(test_unknown_method), T(test_oversized_and_truncated),
          T(test_invalid_protobuf_and_auth), T(test_deadline), T(test_percent_encoding), T(test_drain_goaway),
          T(test_many_streams_one_conn))
