/*
 * grpc_codec_bench.c - the GetOnlineFeaturesV2 response of 1 and 100
 * entities x 50 DOUBLE features (plus the entity field, with statuses),
 * serialized three ways, to decide whether protoc-c is fast enough for the
 * hot answer of feast serve (bench/serve/codec/README.md):
 *
 *   ours          grpc_online_encode: sizes, then one pass writing the
 *                 stored Value bytes as they are
 *   protoc-c      the message tree built from the stored Values (each one
 *                 unpacked, as a protoc-c handler must), then packed
 *   protoc-c pack packing a prebuilt tree only (a floor protoc-c cannot beat)
 *
 * The three outputs are checked byte for byte before timing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feast/serving/ServingService.pb-c.h"
#include "serve/grpc_online.h"

#define NF 50

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct fixture {
  size_t rows;
  Feast__Serving__GetOnlineFeaturesRequestV2 req;
  grpc_online_ref refs[NF];
  grpc_online_row *out;
  uint8_t vals[NF][9];
} fixture;

static void fixture_init(fixture *f, size_t rows, feast_arena *a) {
  f->rows = rows;
  feast__serving__get_online_features_request_v2__init(&f->req);
  f->req.n_entity_rows = rows;
  f->req.entity_rows = calloc(rows, sizeof *f->req.entity_rows);
  f->out = calloc(rows, sizeof *f->out);
  for (int k = 0; k < NF; k++) {
    char *key = malloc(16);
    snprintf(key, 16, "drv:f%02d", k);
    f->refs[k] = (grpc_online_ref){"drv", key + 4, NULL, k, key, strlen(key)};
    double d = 0.5 + k;
    f->vals[k][0] = 0x29; /* double_val = 5, wire type 1 */
    memcpy(&f->vals[k][1], &d, 8);
  }
  for (size_t i = 0; i < rows; i++) {
    Feast__Serving__GetOnlineFeaturesRequestV2__EntityRow *r = calloc(1, sizeof *r);
    feast__serving__get_online_features_request_v2__entity_row__init(r);
    r->n_fields = 1;
    r->fields = calloc(1, sizeof *r->fields);
    r->fields[0] = calloc(1, sizeof *r->fields[0]);
    feast__serving__get_online_features_request_v2__entity_row__fields_entry__init(r->fields[0]);
    r->fields[0]->key = "driver_id";
    r->fields[0]->value = calloc(1, sizeof(Feast__Types__Value));
    feast__types__value__init(r->fields[0]->value);
    r->fields[0]->value->val_case = FEAST__TYPES__VALUE__VAL_INT64_VAL;
    r->fields[0]->value->int64_val = (int64_t)(1000000 + i);
    f->req.entity_rows[i] = r;
    grpc_online_row *o = &f->out[i];
    o->vals = calloc(NF, sizeof *o->vals);
    o->lens = calloc(NF, sizeof *o->lens);
    o->status = calloc(NF, 1);
    for (int k = 0; k < NF; k++) {
      o->vals[k] = f->vals[k];
      o->lens[k] = 9;
      o->status[k] = 1;
    }
    o->ent_vals = calloc(1, sizeof *o->ent_vals);
    o->ent_lens = calloc(1, sizeof *o->ent_lens);
    size_t n = protobuf_c_message_get_packed_size(&r->fields[0]->value->base);
    o->ent_vals[0] = malloc(n);
    o->ent_lens[0] = protobuf_c_message_pack(&r->fields[0]->value->base, o->ent_vals[0]);
  }
  (void)a;
}

static size_t ours(fixture *f, feast_arena *a, feast_buf *out) {
  out->len = 0;
  grpc_call call = {.arena = a, .status = GRPC_OK, .out = out};
  grpc_online_encode(&call, &f->req, f->refs, NF, f->out);
  return out->len;
}

/* Everything a protoc-c handler has to do: a tree from the stored bytes, then pack. */
static void *aalloc(void *d, size_t n) { return feast_arena_alloc(d, n); }
static void afree(void *d, void *p) { (void)d, (void)p; }

static Feast__Serving__GetOnlineFeaturesResponse *build_tree(fixture *f, feast_arena *a) {
  ProtobufCAllocator al = {aalloc, afree, a};
  Feast__Serving__GetOnlineFeaturesResponse *resp = feast_arena_alloc(a, sizeof *resp);
  feast__serving__get_online_features_response__init(resp);
  resp->n_field_values = f->rows;
  resp->field_values = feast_arena_alloc(a, f->rows * sizeof *resp->field_values);
  for (size_t i = 0; i < f->rows; i++) {
    Feast__Serving__GetOnlineFeaturesResponse__FieldValues *fv = feast_arena_alloc(a, sizeof *fv);
    feast__serving__get_online_features_response__field_values__init(fv);
    fv->n_fields = fv->n_statuses = NF + 1;
    fv->fields = feast_arena_alloc(a, (NF + 1) * sizeof *fv->fields);
    fv->statuses = feast_arena_alloc(a, (NF + 1) * sizeof *fv->statuses);
    for (int k = 0; k <= NF; k++) {
      Feast__Serving__GetOnlineFeaturesResponse__FieldValues__FieldsEntry *e = feast_arena_alloc(a, sizeof *e);
      feast__serving__get_online_features_response__field_values__fields_entry__init(e);
      Feast__Serving__GetOnlineFeaturesResponse__FieldValues__StatusesEntry *s = feast_arena_alloc(a, sizeof *s);
      feast__serving__get_online_features_response__field_values__statuses_entry__init(s);
      if (k == 0) {
        e->key = s->key = "driver_id";
        e->value = f->req.entity_rows[i]->fields[0]->value;
      } else {
        e->key = s->key = f->refs[k - 1].key;
        e->value = feast__types__value__unpack(&al, f->out[i].lens[k - 1], f->out[i].vals[k - 1]);
      }
      s->value = FEAST__SERVING__GET_ONLINE_FEATURES_RESPONSE__FIELD_STATUS__PRESENT;
      fv->fields[k] = e;
      fv->statuses[k] = s;
    }
    resp->field_values[i] = fv;
  }
  return resp;
}

static size_t pack(Feast__Serving__GetOnlineFeaturesResponse *t, feast_buf *out) {
  feast_error err;
  out->len = 0;
  size_t n = protobuf_c_message_get_packed_size(&t->base);
  feast_buf_reserve(out, n, &err);
  out->len = protobuf_c_message_pack(&t->base, out->data);
  return out->len;
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 2.0;
  printf("| response | bytes | ours us | protoc-c (build + pack) us | protoc-c pack only us | ours vs protoc-c |\n");
  printf("|---|---|---|---|---|---|\n");
  for (size_t rows = 1; rows <= 100; rows = rows == 1 ? 100 : 101) {
    feast_arena *a = feast_arena_new(1 << 20);
    fixture f;
    fixture_init(&f, rows, a);
    feast_buf b1, b2;
    feast_buf_init(&b1, 1u << 30);
    feast_buf_init(&b2, 1u << 30);
    size_t n1 = ours(&f, a, &b1);
    Feast__Serving__GetOnlineFeaturesResponse *tree = build_tree(&f, a);
    size_t n2 = pack(tree, &b2);
    if (n1 != n2 || memcmp(b1.data, b2.data, n1) != 0) {
      fprintf(stderr, "outputs differ (%zu vs %zu bytes)\n", n1, n2);
      return 1;
    }
    double t_ours, t_pc, t_pack;
    long it;
    double t0 = now_s();
    for (it = 0; now_s() - t0 < secs; it++) {
      feast_arena_reset(a);
      ours(&f, a, &b1);
    }
    t_ours = (now_s() - t0) / (double)it * 1e6;
    t0 = now_s();
    for (it = 0; now_s() - t0 < secs; it++) {
      feast_arena_reset(a);
      pack(build_tree(&f, a), &b2);
    }
    t_pc = (now_s() - t0) / (double)it * 1e6;
    feast_arena_reset(a);
    tree = build_tree(&f, a);
    t0 = now_s();
    for (it = 0; now_s() - t0 < secs; it++) pack(tree, &b2);
    t_pack = (now_s() - t0) / (double)it * 1e6;
    printf("| %zu x %d | %zu | %.2f | %.2f | %.2f | %.1fx faster |\n", rows, NF, n1, t_ours, t_pc, t_pack, t_pc / t_ours);
    feast_buf_free(&b1);
    feast_buf_free(&b2);
    feast_arena_free(a);
  }
  return 0;
}
