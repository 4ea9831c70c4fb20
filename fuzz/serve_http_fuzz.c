/*
 * serve_http_fuzz.c - libFuzzer target for `feast serve`'s HTTP side: any
 * bytes from a peer, cut into two reads at a point the input chooses, go
 * through llhttp, our callbacks (limits, headers, pipelining, pauses) and
 * the endpoints' JSON request parsing (/get-online-features, /push) against
 * a real, empty repository. Never a crash, a leak or an unbounded answer.
 *
 * Input: byte 0 picks the split point (as a fraction of the rest), byte 1
 * bit 0 whether the tokens of the configuration are on; the rest is the
 * stream.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "feast/registry.h"
#include "feast/specfile.h"
#include "feast/store.h"
#include "serve/serve_internal.h"

static feast_store *store;
static serve_config *open_cfg, *token_cfg;

/* A table and an entity, so online reads and pushes get past the registry. */
static const char SPECS[] = "spec: {name: driver_id, valueType: INT64}\n---\n"
                            "spec:\n  name: t\n  entities: [driver_id]\n"
                            "  features: [{name: f, valueType: DOUBLE}, {name: s, valueType: STRING}]\n"
                            "  batchSource:\n    eventTimestampColumn: ts\n"
                            "    fileOptions: {fileFormat: {parquetFormat: {}}, fileUrl: \"file:///nonexistent/t/\"}\n";

static void setup(void) {
  char dir[] = "/tmp/serve_http_fuzzXXXXXX";
  if (!mkdtemp(dir)) abort();
  char sub[64];
  snprintf(sub, sizeof sub, "%s/data", dir);
  mkdir(sub, 0700);
  feast_error err;
  feast_spec_docs docs = {0};
  snprintf(sub, sizeof sub, "%s/data/registry.db", dir);
  feast_registry *reg;
  if (feast_registry_open(sub, &reg, &err) || feast_specfile_parse_text(SPECS, sizeof SPECS - 1, "specs", &docs, &err) ||
      feast_registry_apply(reg, "default", &docs, true, NULL, &err)) {
    fprintf(stderr, "serve_http_fuzz: %s\n", err.message);
    abort();
  }
  feast_spec_docs_clear(&docs);
  feast_registry_free(reg);
  if (feast_store_open(dir, NULL, &store, &err) != FEAST_OK) {
    fprintf(stderr, "serve_http_fuzz: %s\n", err.message);
    abort();
  }
  const char *a = "serve:\n  access_log: false\n  log_level: error\n  limits: {max_request_bytes: 65536, "
                  "max_pending_bytes: 8192, max_entity_rows: 50}\n";
  const char *b = "serve:\n  access_log: false\n  log_level: error\n  auth:\n    tokens:\n"
                  "      - {token: \"fuzz-token-1\", projects: [default], access: read}\n";
  if (serve_config_parse_text(a, strlen(a), dir, &open_cfg, &err) ||
      serve_config_parse_text(b, strlen(b), dir, &token_cfg, &err))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!store) setup();
  if (size < 2) return 0;
  size_t rest = size - 2, cut = rest * data[0] / 256;
  serve_config *cfg = data[1] & 1 ? token_cfg : open_cfg;
  const uint8_t *p = data + 2;
  serve_conn *c = serve_test_conn_new(store, cfg, SERVE_PORT_HTTP);
  if (!c) return 0;
  feast_buf out;
  feast_buf_init(&out, 64u << 20);
  if (serve_test_conn_feed(c, p, cut, &out) == 0) serve_test_conn_feed(c, p + cut, rest - cut, &out);
  /* Every answer is an HTTP/1.1 status line. */
  if (out.len && (out.len < 12 || memcmp(out.data, "HTTP/1.1 ", 9) != 0)) abort();
  feast_buf_free(&out);
  serve_test_conn_free(c);
  return 0;
}
