/*
 * serve_loop_test.c - what the loop does with a connection's bytes before
 * and around a protocol (src/serve/serve_loop.c), on connections with no
 * socket: the h2c preface check of gRPC ports (a whole preface, in pieces,
 * reaches the protocol with what follows; HTTP/1 gets a 400 that says why),
 * output by reference released once written, and HTTP/1.1 pipelining with
 * a request cut anywhere.
 */
#include "serve/serve_internal.h"
#include "test.h"

static struct {
  int opens, closes;
  feast_buf got;
} fake;

static int fake_open(serve_conn *c, void **state) {
  fake.opens++;
  *state = c;
  return 0;
}
static int fake_recv(void *state, const uint8_t *data, size_t len) {
  feast_error err;
  feast_buf_append(&fake.got, data, len, &err);
  return serve_conn_write(state, "ok", 2);
}
static int fake_send(void *state) {
  (void)state;
  return 0;
}
static bool fake_idle(void *state) {
  (void)state;
  return true;
}
static void fake_close(void *state) {
  (void)state;
  fake.closes++;
}
static const serve_protocol FAKE = {"fake", fake_open, fake_recv, fake_send, NULL, NULL, fake_idle, fake_close};

static serve_config *config(void) {
  serve_config *c;
  feast_error err;
  const char *t = "serve:\n  access_log: false\n  log_level: error\n";
  if (serve_config_parse_text(t, strlen(t), "/tmp", &c, &err)) return NULL;
  return c;
}

static void h2c_preface(void) {
  serve_config *cfg = config();
  static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  memset(&fake, 0, sizeof fake);
  feast_buf_init(&fake.got, FEAST_BUF_UNLIMITED);
  serve_conn *c = serve_test_conn_new_proto(NULL, cfg, SERVE_PORT_GRPC, &FAKE);
  feast_buf out;
  feast_buf_init(&out, FEAST_BUF_UNLIMITED);
  CHECK_INT(serve_test_conn_feed(c, (const uint8_t *)preface, 5, &out), 0);
  CHECK_INT(fake.opens, 0); /* not yet: the preface is not whole */
  CHECK_INT(serve_test_conn_feed(c, (const uint8_t *)preface + 5, 19, &out), 0);
  CHECK_INT(fake.opens, 1);
  CHECK_INT(serve_test_conn_feed(c, (const uint8_t *)"abc", 3, &out), 0);
  CHECK_INT(fake.got.len, 27);
  CHECK(fake.got.len == 27 && memcmp(fake.got.data, preface, 24) == 0 && memcmp(fake.got.data + 24, "abc", 3) == 0);
  CHECK(out.len == 4 && memcmp(out.data, "okok", 4) == 0);
  serve_test_conn_free(c);
  CHECK_INT(fake.closes, 1);
  feast_buf_free(&out);

  /* the preface and more in one read */
  feast_buf_reset(&fake.got);
  c = serve_test_conn_new_proto(NULL, cfg, SERVE_PORT_CORE, &FAKE);
  feast_buf_init(&out, FEAST_BUF_UNLIMITED);
  char both[40];
  memcpy(both, preface, 24);
  memcpy(both + 24, "xyz", 3);
  CHECK_INT(serve_test_conn_feed(c, (const uint8_t *)both, 27, &out), 0);
  CHECK_INT(fake.got.len, 27);
  serve_test_conn_free(c);
  feast_buf_free(&out);

  /* HTTP/1 on a gRPC port: a 400 saying what the port speaks; the protocol never opens */
  fake.opens = 0;
  c = serve_test_conn_new_proto(NULL, cfg, SERVE_PORT_GRPC, &FAKE);
  feast_buf_init(&out, FEAST_BUF_UNLIMITED);
  const char *get = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  CHECK_INT(serve_test_conn_feed(c, (const uint8_t *)get, strlen(get), &out), 0);
  CHECK_INT(fake.opens, 0);
  CHECK(out.len > 12 && memcmp(out.data, "HTTP/1.1 400 ", 13) == 0);
  CHECK(feast_buf_cstr(&out, NULL) && strstr((const char *)out.data, "HTTP/2") != NULL);
  serve_test_conn_free(c);
  feast_buf_free(&out);
  feast_buf_free(&fake.got);
  serve_config_free(cfg);
}

static int released;
static void release(void *arg) { released += arg == &released; }

static void write_ref_is_released(void) {
  serve_config *cfg = config();
  serve_conn *c = serve_test_conn_new(NULL, cfg, SERVE_PORT_HTTP);
  released = 0;
  static const char big[] = "0123456789";
  CHECK_INT(serve_conn_write_ref(c, big, 10, release, &released), 0);
  CHECK_INT(serve_conn_pending(c), 10);
  feast_buf out;
  feast_buf_init(&out, FEAST_BUF_UNLIMITED);
  CHECK_INT(serve_test_conn_feed(c, (const uint8_t *)"", 0, &out), 0);
  CHECK_INT(released, 1);
  CHECK_INT(serve_conn_pending(c), 0);
  CHECK(out.len == 10 && memcmp(out.data, big, 10) == 0);
  /* queued and never written: released when the connection goes */
  CHECK_INT(serve_conn_write_ref(c, big, 10, release, &released), 0);
  serve_test_conn_free(c);
  CHECK_INT(released, 2);
  feast_buf_free(&out);
  serve_config_free(cfg);
}

static int count(const feast_buf *b, const char *needle) {
  int n = 0;
  size_t l = strlen(needle);
  for (size_t i = 0; i + l <= b->len; i++) n += memcmp(b->data + i, needle, l) == 0;
  return n;
}

static void pipelining_cut_anywhere(void) {
  serve_config *cfg = config();
  char reqs[4096] = "";
  for (int i = 0; i < 20; i++) strcat(reqs, i % 3 ? "GET /health HTTP/1.1\r\nHost: x\r\n\r\n" : "GET /x HTTP/1.1\r\n\r\n");
  size_t len = strlen(reqs);
  for (size_t cut = 0; cut <= len; cut += 7) {
    serve_conn *c = serve_test_conn_new(NULL, cfg, SERVE_PORT_HTTP);
    feast_buf out;
    feast_buf_init(&out, FEAST_BUF_UNLIMITED);
    CHECK_INT(serve_test_conn_feed(c, (const uint8_t *)reqs, cut, &out), 0);
    CHECK_INT(serve_test_conn_feed(c, (const uint8_t *)reqs + cut, len - cut, &out), 0);
    CHECK_INT(count(&out, "HTTP/1.1 200 OK"), 13);
    CHECK_INT(count(&out, "HTTP/1.1 404 Not Found"), 7);
    serve_test_conn_free(c);
    feast_buf_free(&out);
  }
  serve_config_free(cfg);
}

TEST_MAIN(T(h2c_preface), T(write_ref_is_released), T(pipelining_cut_anywhere))
