/*
 * grpc_h2_fuzz.c - HTTP/2 frames into serve_protocol_grpc (grpc_h2.c):
 * after the client preface, the input is the rest of the connection, cut
 * into recv() calls at points the first bytes choose. Any input must leave
 * the protocol consistent: no crash, no leak, no over-read; the connection
 * is then drained and closed as the loop would.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "grpc_fake_conn.inc"

static const uint8_t preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static serve_config cfg;
  cfg.limits.max_request_bytes = 4096;
  cfg.limits.max_streams = 8;
  serve_ctx ctx = {.cfg = &cfg};
  serve_worker w = {feast_arena_new(16384)};
  serve_conn c = {&w, &ctx, 0};
  void *st = NULL;
  if (serve_protocol_grpc.open(&c, &st) != 0) {
    feast_arena_free(w.arena);
    return 0;
  }
  int rc = serve_protocol_grpc.recv(st, preface, sizeof preface - 1);
  size_t cut = size ? data[0] % 64 + 1 : 1;
  size_t off = size ? 1 : 0;
  while (rc == 0 && off < size) {
    size_t n = size - off < cut ? size - off : cut;
    rc = serve_protocol_grpc.recv(st, data + off, n);
    feast_arena_reset(w.arena);
    if (rc == 0 && serve_protocol_grpc.want_send(st)) rc = serve_protocol_grpc.send(st);
    off += n;
    cut = cut * 3 % 4093 + 1;
  }
  serve_protocol_grpc.drain(st);
  (void)serve_protocol_grpc.idle(st);
  serve_protocol_grpc.close(st);
  feast_arena_free(w.arena);
  return 0;
}
