/*
 * grpc_messages_fuzz.c - request messages into the gRPC handlers' decoders
 * (grpc_serving.c, grpc_core.c, grpc_jobs.c): the first byte picks the
 * method, the rest is its request message. The handlers run against a
 * store on a temporary repository with two tables, so online reads go
 * through the entity-row grouping, the online read and the response
 * encoder; every answer must be a status or a message that parses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feast/serving/ServingService.pb-c.h"
#include "feast/specfile.h"
#include "feast/store.h"
#include "grpc_fake_conn.inc"
#include "serve/grpc.h"

static const char SPECS[] =
    "spec: {name: driver_id, valueType: INT64}\n---\nspec: {name: customer_id, valueType: STRING}\n---\n"
    "spec:\n  name: drv\n  entities: [driver_id]\n  features:\n    - {name: conv, valueType: DOUBLE}\n"
    "    - {name: tags, valueType: INT64_LIST}\n  maxAge: 3600s\n  batchSource:\n    eventTimestampColumn: ts\n"
    "    fileOptions: {fileFormat: {parquetFormat: {}}, fileUrl: 'file:///nonexistent/'}\n---\n"
    "spec:\n  name: pair\n  entities: [driver_id, customer_id]\n  features:\n    - {name: amount, valueType: DOUBLE}\n"
    "  batchSource:\n    eventTimestampColumn: ts\n"
    "    fileOptions: {fileFormat: {parquetFormat: {}}, fileUrl: 'file:///nonexistent/'}\n";

static serve_ctx ctx;
static serve_config cfg;

static void setup(void) {
  char dir[] = "/tmp/grpc-messages-fuzz-XXXXXX";
  if (!mkdtemp(dir)) abort();
  char path[256];
  snprintf(path, sizeof path, "%s/feature_store.yaml", dir);
  FILE *f = fopen(path, "w");
  if (!f) abort();
  fprintf(f, "project: default\nregistry: %s/registry.db\nonline_store: {type: lmdb, path: %s/online}\n", dir, dir);
  fclose(f);
  feast_error err;
  feast_store *s;
  if (feast_store_open(path, NULL, &s, &err)) abort();
  feast_spec_docs docs = {0};
  if (feast_specfile_parse_text(SPECS, sizeof SPECS - 1, "specs", &docs, &err)) abort();
  if (feast_registry_apply(feast_store_registry(s), "default", &docs, true, NULL, &err)) abort();
  feast_spec_docs_clear(&docs);
  cfg.limits.max_entity_rows = 200;
  cfg.limits.max_features = 100;
  ctx.store = s;
  ctx.cfg = &cfg;
  ctx.config_path = strdup(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx.store) setup();
  if (size < 1) return 0;
  size_t n = grpc_num_methods();
  const grpc_method *m = grpc_method_at(data[0] % n);
  /* Core writes and jobs would make runs depend on each other or start
   * threads: their decoders are reached with the write refused. */
  feast_arena *a = feast_arena_new(65536);
  feast_buf out;
  feast_buf_init(&out, 1u << 26);
  feast_error err;
  feast_buf_append(&out, "\0\0\0\0\0", 5, &err);
  grpc_call call = {.ctx = &ctx, .arena = a, .req = data + 1, .req_len = size - 1, .status = GRPC_OK, .out = &out};
  bool writes = strstr(m->path, "/Apply") || strstr(m->path, "/Delete") || strstr(m->path, "/CreateProject") ||
                strstr(m->path, "/ArchiveProject") || strstr(m->path, "JobService/");
  if (writes) call.ctx = NULL; /* no registry, no jobs: decode, then UNAVAILABLE */
  m->handler(&call);
  if (call.status == GRPC_OK && strstr(m->path, "GetOnlineFeaturesV2")) {
    Feast__Serving__GetOnlineFeaturesResponse *r =
        feast__serving__get_online_features_response__unpack(NULL, out.len - 5, out.data + 5);
    if (!r) abort(); /* our encoder wrote bytes protobuf-c cannot parse */
    feast__serving__get_online_features_response__free_unpacked(r, NULL);
  }
  feast_buf_free(&out);
  feast_arena_free(a);
  return 0;
}
