/*
 * grpc_serving.c - feast.serving.ServingService as Feast 0.9's Serving
 * answered it (reference: feast-0.9.md section 7): GetFeastServingInfo and
 * GetOnlineFeaturesV2.
 *
 * GetOnlineFeaturesV2 semantics kept from Feast 0.9: an unknown table fails
 * the whole call with NOT_FOUND "Unable to find FeatureTable p/t"; an
 * unknown feature of a known table is a NOT_FOUND field; an entity row's
 * key is made of *all* its fields, so a table whose entity set differs from
 * the row's field names answers NOT_FOUND for that row (rows of several
 * entity sets are grouped and each group read once); max_age is measured
 * from the row's timestamp (now when unset); entity fields are echoed with
 * PRESENT. The response is written by our own wire encoder straight from
 * the online result's serialized Values (no protoc-c message tree: see
 * bench/serve/codec for the measurement).
 *
 * Also the per-project stores the gRPC services share (grpc_project_store).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/varint.h"
#include "engine/snapshot.h"
#include "engine/store_internal.h"
#include "feast/serving/ServingService.pb-c.h"
#include "feast/version.h"
#include "format/proto/value_array.h"
#include "serve/grpc.h"
#include "serve/grpc_online.h"

/* ---- protobuf-c glue ---- */

static void *arena_alloc(void *data, size_t n) { return feast_arena_alloc(data, n ? n : 1); }
static void arena_free(void *data, void *p) {
  (void)data;
  (void)p;
}

ProtobufCAllocator grpc_allocator(feast_arena *a) {
  ProtobufCAllocator al = {arena_alloc, arena_free, a};
  return al;
}

void *grpc_unpack(grpc_call *call, const ProtobufCMessageDescriptor *desc) {
  ProtobufCAllocator al = grpc_allocator(call->arena);
  ProtobufCMessage *m = protobuf_c_message_unpack(desc, &al, call->req_len, call->req);
  if (!m) grpc_fail(call, GRPC_INVALID_ARGUMENT, "invalid protobuf for %s", desc->name);
  return m;
}

void grpc_pack(grpc_call *call, const ProtobufCMessage *msg) {
  size_t n = protobuf_c_message_get_packed_size(msg);
  feast_error err;
  if (feast_buf_reserve(call->out, n, &err) != FEAST_OK) {
    grpc_fail(call, GRPC_RESOURCE_EXHAUSTED, "response too large");
    return;
  }
  call->out->len += protobuf_c_message_pack(msg, call->out->data + call->out->len);
}

/* ---- per-project stores ---- */

typedef struct project_store {
  char *project;
  feast_store *store;
  struct project_store *next;
} project_store;

#define MAX_PROJECT_STORES 1024
static pthread_mutex_t stores_mu = PTHREAD_MUTEX_INITIALIZER;
static project_store *stores;

feast_store *grpc_project_store(const serve_ctx *ctx, const char *project, feast_error *err) {
  if (!project || !*project) project = "default";
  if (!ctx->store) {
    feast_fail(err, FEAST_E_INTERNAL, "no store");
    return NULL;
  }
  if (strcmp(feast_store_project(ctx->store), project) == 0) return ctx->store;
  pthread_mutex_lock(&stores_mu);
  size_t n_open = 0;
  for (project_store *p = stores; p; p = p->next, n_open++) {
    if (strcmp(p->project, project) == 0) {
      pthread_mutex_unlock(&stores_mu);
      return p->store;
    }
  }
  feast_store *s = NULL;
  project_store *p = NULL;
  if (n_open >= MAX_PROJECT_STORES) {
    feast_fail(err, FEAST_E_TOO_BIG, "more than %d projects in use", MAX_PROJECT_STORES);
  } else if (!grpc_project_exists(ctx, project)) {
    feast_fail(err, FEAST_E_NOT_FOUND, "project '%s' does not exist", project);
  } else if (feast_store_open(ctx->config_path, project, &s, err) == FEAST_OK) {
    feast_store_share_online(s, ctx->store);
    feast_store_set_registry_refresh(s, serve_ctx_config(ctx) && serve_ctx_config(ctx)->registry_refresh_ms ? serve_ctx_config(ctx)->registry_refresh_ms
                                                                                   : 500);
    p = feast_calloc(1, sizeof *p);
    if (p) p->project = feast_strdup(project);
    if (!p || !p->project) {
      feast_fail(err, FEAST_E_NOMEM, "out of memory");
      feast_store_free(s);
      if (p) feast_free(p);
      s = NULL;
    } else {
      p->store = s;
      p->next = stores;
      stores = p;
    }
  }
  pthread_mutex_unlock(&stores_mu);
  return s;
}

void grpc_project_stores_free(void) {
  pthread_mutex_lock(&stores_mu);
  while (stores) {
    project_store *p = stores;
    stores = p->next;
    feast_store_free(p->store);
    feast_free(p->project);
    feast_free(p);
  }
  pthread_mutex_unlock(&stores_mu);
}

feast_code grpc_table_check(feast_store *s, const char *table, bool want_stream, feast_error *err) {
  feast_snapshot *snap = NULL;
  const feast_snapshot_table *t;
  feast_code rc = feast_store_table(s, table, &snap, &t, err);
  if (!rc && want_stream && !t->table->spec.has_stream_source)
    rc = feast_fail(err, FEAST_E_INVALID, "feature table %s has no stream_source", table);
  feast_snapshot_unref(snap);
  return rc;
}

/* ---- GetFeastServingInfo ---- */

static void get_serving_info(grpc_call *call) {
  Feast__Serving__GetFeastServingInfoRequest *req = grpc_unpack(call, &feast__serving__get_feast_serving_info_request__descriptor);
  if (!req) return;
  Feast__Serving__GetFeastServingInfoResponse resp;
  feast__serving__get_feast_serving_info_response__init(&resp);
  resp.version = (char *)FEAST_VERSION;
  resp.type = FEAST__SERVING__FEAST_SERVING_TYPE__FEAST_SERVING_TYPE_ONLINE;
  grpc_pack(call, &resp.base);
}

/* ---- GetOnlineFeaturesV2 ---- */

typedef Feast__Serving__GetOnlineFeaturesRequestV2 OnlineRequest;
typedef Feast__Serving__GetOnlineFeaturesRequestV2__EntityRow EntityRow;

typedef grpc_online_ref ref_info;
typedef grpc_online_row row_out;

static size_t vsize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

static int cmp_field_key(const void *a, const void *b) {
  const Feast__Serving__GetOnlineFeaturesRequestV2__EntityRow__FieldsEntry *x = *(void *const *)a, *y = *(void *const *)b;
  return strcmp(x->key, y->key);
}

/* Same sorted field names and timestamp: one group, one read. */
static bool same_group(const EntityRow *a, const EntityRow *b) {
  if (a->n_fields != b->n_fields) return false;
  int64_t ta = a->timestamp ? a->timestamp->seconds : 0, tb = b->timestamp ? b->timestamp->seconds : 0;
  if (ta != tb) return false;
  for (size_t i = 0; i < a->n_fields; i++)
    if (strcmp(a->fields[i]->key, b->fields[i]->key) != 0) return false;
  return true;
}

/* Does the table's entity set equal the row's field names (both sorted)? */
static bool entities_match(const feast_feature_table_spec *t, const EntityRow *r) {
  if (t->n_entities != r->n_fields) return false;
  for (size_t e = 0; e < t->n_entities; e++) {
    bool found = false;
    for (size_t f = 0; f < r->n_fields && !found; f++) found = strcmp(t->entities[e], r->fields[f]->key) == 0;
    if (!found) return false;
  }
  return true;
}

static uint8_t *pack_value(feast_arena *a, const Feast__Types__Value *v, size_t *len) {
  if (!v) {
    *len = 0;
    return NULL;
  }
  size_t n = protobuf_c_message_get_packed_size(&v->base);
  uint8_t *p = feast_arena_alloc(a, n ? n : 1);
  *len = p ? protobuf_c_message_pack(&v->base, p) : 0;
  return p;
}

/* Read one group of rows (indexes rows[0..n)) and fill their outputs. */
static void read_group(grpc_call *call, feast_store *store, const feast_snapshot *snap, const OnlineRequest *req,
                       ref_info *refs, size_t n_refs, const size_t *rows, size_t n, row_out *out) {
  const EntityRow *first = req->entity_rows[rows[0]];
  feast_arena *A = call->arena;
  (void)snap;
  /* Tables readable for this group, in first-reference order. */
  size_t n_tab = 0;
  feast_online_table_request *treq = feast_arena_calloc(A, (n_refs + 1) * sizeof *treq);
  const char **feats = feast_arena_calloc(A, (n_refs + 1) * sizeof *feats);
  int *res_index = feast_arena_alloc(A, (n_refs + 1) * sizeof *res_index); /* ref -> result name */
  const feast_snapshot_table **tabs = feast_arena_calloc(A, (n_refs + 1) * sizeof *tabs);
  if (!treq || !feats || !res_index || !tabs) {
    grpc_fail(call, GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  size_t used = 0;
  for (size_t k = 0; k < n_refs; k++) {
    res_index[k] = -1;
    if (refs[k].feature_index < 0 || !entities_match(&refs[k].st->table->spec, first)) continue;
    size_t t = 0;
    while (t < n_tab && tabs[t] != refs[k].st) t++;
    if (t == n_tab) tabs[n_tab++] = refs[k].st;
  }
  /* Features of each table, grouped, in request order; result names follow. */
  size_t n_names = first->n_fields;
  for (size_t t = 0; t < n_tab; t++) {
    treq[t].table = &tabs[t]->table->spec;
    treq[t].features = feats + used;
    for (size_t k = 0; k < n_refs; k++) {
      if (refs[k].st != tabs[t] || res_index[k] != -1 || refs[k].feature_index < 0 ||
          !entities_match(&refs[k].st->table->spec, first))
        continue;
      /* A repeated reference reads once. */
      int dup = -1;
      for (size_t j = 0; j < k; j++)
        if (refs[j].st == refs[k].st && refs[j].feature_index == refs[k].feature_index && res_index[j] >= 0)
          dup = res_index[j];
      if (dup >= 0) {
        res_index[k] = dup;
        continue;
      }
      feats[used++] = refs[k].feature;
      treq[t].n_features++;
      res_index[k] = (int)n_names++;
    }
  }
  for (size_t i = 0; i < n; i++) {
    const EntityRow *r = req->entity_rows[rows[i]];
    for (size_t k = 0; k < n_refs; k++) out[rows[i]].status[k] = FEAST_STATUS_NOT_FOUND;
    for (size_t f = 0; f < r->n_fields; f++)
      out[rows[i]].ent_vals[f] = pack_value(A, r->fields[f]->value, &out[rows[i]].ent_lens[f]);
  }
  if (!n_tab) return;
  /* Entity columns in the declared types; a row whose value has another
   * type cannot match a key (Feast: NOT_FOUND), so it is left out. */
  size_t n_ent = first->n_fields;
  feast_entity_spec *ents = feast_arena_calloc(A, (n_ent + 1) * sizeof *ents);
  bool *row_ok = feast_arena_calloc(A, n + 1);
  size_t *keep = feast_arena_alloc(A, (n + 1) * sizeof *keep);
  if (!ents || !row_ok || !keep) {
    grpc_fail(call, GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  for (size_t f = 0; f < n_ent; f++) {
    const char *name = first->fields[f]->key;
    const feast_entity *e = feast_snapshot_entity_get(snap, name);
    ents[f].name = (char *)name;
    ents[f].value_type = e ? e->spec.value_type : FEAST_VT_INVALID;
  }
  feast_error err;
  size_t n_keep = 0;
  feast_array **cols = feast_arena_calloc(A, (n_ent + 1) * sizeof *cols);
  for (size_t f = 0; f < n_ent; f++) cols[f] = feast_pb_value_array_new(ents[f].value_type);
  for (size_t i = 0; i < n; i++) {
    const row_out *o = &out[rows[i]];
    bool ok = true;
    /* Value's oneof field numbers are the value type numbers. */
    for (size_t f = 0; f < n_ent && ok; f++) {
      const Feast__Types__Value *v = req->entity_rows[rows[i]]->fields[f]->value;
      ok = cols[f] && o->ent_lens[f] && v && (int)v->val_case == (int)ents[f].value_type;
    }
    row_ok[i] = ok;
    if (!ok) continue;
    for (size_t f = 0; f < n_ent; f++) feast_pb_value_append(o->ent_vals[f], o->ent_lens[f], ents[f].value_type, cols[f], &err);
    keep[n_keep++] = i;
  }
  if (!n_keep) {
    for (size_t f = 0; f < n_ent; f++) feast_array_free(cols[f]);
    return;
  }
  feast_batch *b = feast_batch_new((int)n_ent);
  feast_code rc = b ? FEAST_OK : FEAST_E_NOMEM;
  if (b) b->num_rows = (int64_t)n_keep;
  for (size_t f = 0; f < n_ent; f++) {
    if (rc == FEAST_OK) rc = feast_batch_set_column(b, (int)f, ents[f].name, cols[f], &err);
    else feast_array_free(cols[f]);
  }
  int64_t ts_s = first->timestamp ? first->timestamp->seconds : 0;
  feast_ts at = ts_s ? ts_s * 1000000 : feast_now();
  feast_online_store *online = NULL;
  feast_online_result *res = NULL;
  if (rc == FEAST_OK) rc = feast_store_online(store, &online, &err);
  if (rc == FEAST_OK) {
    feast_online_request oreq = {feast_store_project(store), n_tab, treq, n_ent, ents, b, at};
    rc = feast_online_read(online, &oreq, &res, &err);
    if (rc == FEAST_OK && feast_online_result_num_rows(res) != n_keep)
      rc = feast_fail(&err, FEAST_E_INTERNAL, "the online read answered %zu rows for %zu", feast_online_result_num_rows(res),
                      n_keep);
  }
  feast_batch_free(b);
  if (rc != FEAST_OK) {
    if (call->ctx && call->ctx->metrics) serve_metrics_online_store_error(call->ctx->metrics);
    grpc_fail(call, rc == FEAST_E_NOMEM ? GRPC_RESOURCE_EXHAUSTED : GRPC_INTERNAL, "online store: %s", err.message);
    return;
  }
  /* Values are copied into the arena: the result is freed before encoding. */
  for (size_t j = 0; j < n_keep; j++) {
    row_out *o = &out[rows[keep[j]]];
    for (size_t k = 0; k < n_refs; k++) {
      if (res_index[k] < 0) continue;
      size_t len;
      const uint8_t *v = feast_online_result_value(res, (size_t)res_index[k], j, &len);
      o->status[k] = (uint8_t)feast_online_result_status(res, (size_t)res_index[k], j);
      if (o->status[k] != FEAST_STATUS_PRESENT) len = 0;
      uint8_t *copy = len ? feast_arena_alloc(A, len) : NULL;
      if (len && copy) memcpy(copy, v, len);
      o->vals[k] = copy;
      o->lens[k] = copy ? len : 0;
    }
  }
  feast_online_result_free(res);
}

/* Size of one map<string, Value> entry's body, and of one statuses entry. */
static size_t value_entry_size(size_t klen, size_t vlen) {
  return 1 + vsize(klen) + klen + 1 + vsize(vlen) + vlen;
}
static size_t status_entry_size(size_t klen) { return 1 + vsize(klen) + klen + 2; }

static uint8_t *put_entry(uint8_t *q, int field, const char *key, size_t klen, const uint8_t *v, size_t vlen,
                          int status) {
  size_t body = status >= 0 ? status_entry_size(klen) : value_entry_size(klen, vlen);
  *q++ = (uint8_t)(field << 3 | 2);
  q += feast_varint_write(q, body);
  *q++ = 0x0a;
  q += feast_varint_write(q, klen);
  memcpy(q, key, klen);
  q += klen;
  if (status >= 0) {
    *q++ = 0x10;
    *q++ = (uint8_t)status;
  } else {
    *q++ = 0x12;
    q += feast_varint_write(q, vlen);
    if (vlen) memcpy(q, v, vlen);
    q += vlen;
  }
  return q;
}

void grpc_online_encode(grpc_call *call, const OnlineRequest *req, const ref_info *refs, size_t n_refs,
                        const row_out *out) {
  size_t total = 0;
  size_t *row_size = feast_arena_alloc(call->arena, (req->n_entity_rows + 1) * sizeof *row_size);
  if (!row_size) {
    grpc_fail(call, GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  for (size_t i = 0; i < req->n_entity_rows; i++) {
    const EntityRow *r = req->entity_rows[i];
    size_t sz = 0;
    for (size_t f = 0; f < r->n_fields; f++) {
      size_t kl = strlen(r->fields[f]->key), e = value_entry_size(kl, out[i].ent_lens[f]), s = status_entry_size(kl);
      sz += 1 + vsize(e) + e + 1 + vsize(s) + s;
    }
    for (size_t k = 0; k < n_refs; k++) {
      size_t kl = refs[k].key_len, e = value_entry_size(kl, out[i].lens[k]), s = status_entry_size(kl);
      sz += 1 + vsize(e) + e + 1 + vsize(s) + s;
    }
    row_size[i] = sz;
    total += 1 + vsize(sz) + sz;
  }
  feast_error err;
  if (feast_buf_reserve(call->out, total, &err) != FEAST_OK) {
    grpc_fail(call, GRPC_RESOURCE_EXHAUSTED, "response too large");
    return;
  }
  uint8_t *q = call->out->data + call->out->len;
  for (size_t i = 0; i < req->n_entity_rows; i++) {
    const EntityRow *r = req->entity_rows[i];
    *q++ = 0x0a;
    q += feast_varint_write(q, row_size[i]);
    /* fields first (field 1), then statuses (field 2), as protoc orders them */
    for (size_t f = 0; f < r->n_fields; f++)
      q = put_entry(q, 1, r->fields[f]->key, strlen(r->fields[f]->key), out[i].ent_vals[f], out[i].ent_lens[f], -1);
    for (size_t k = 0; k < n_refs; k++) q = put_entry(q, 1, refs[k].key, refs[k].key_len, out[i].vals[k], out[i].lens[k], -1);
    for (size_t f = 0; f < r->n_fields; f++) {
      const Feast__Types__Value *v = r->fields[f]->value;
      bool set = v && v->val_case != FEAST__TYPES__VALUE__VAL__NOT_SET;
      q = put_entry(q, 2, r->fields[f]->key, strlen(r->fields[f]->key), NULL, 0,
                    set ? FEAST_STATUS_PRESENT : FEAST_STATUS_NULL_VALUE);
    }
    for (size_t k = 0; k < n_refs; k++) q = put_entry(q, 2, refs[k].key, refs[k].key_len, NULL, 0, out[i].status[k]);
  }
  call->out->len = (size_t)(q - call->out->data);
}

static void get_online_features(grpc_call *call) {
  OnlineRequest *req = grpc_unpack(call, &feast__serving__get_online_features_request_v2__descriptor);
  if (!req) return;
  const char *project = req->project && *req->project ? req->project : "default";
  if (!grpc_authorize(call, project, SERVE_READ)) return;
  const serve_config *cfg = call->ctx ? serve_ctx_config(call->ctx) : NULL;
  const serve_limits *lim = cfg ? &cfg->limits : NULL;
  if (req->n_entity_rows == 0) {
    /* Feast 0.9 passes its IllegalArgumentException on unwrapped: UNKNOWN. */
    grpc_fail(call, GRPC_UNKNOWN, "Entity value must be provided");
    return;
  }
  if (lim && lim->max_entity_rows && req->n_entity_rows > lim->max_entity_rows) {
    grpc_fail(call, GRPC_INVALID_ARGUMENT, "%zu entity rows, more than the limit of %zu", req->n_entity_rows,
              lim->max_entity_rows);
    return;
  }
  if (lim && lim->max_features && req->n_features > lim->max_features) {
    grpc_fail(call, GRPC_INVALID_ARGUMENT, "%zu feature references, more than the limit of %zu", req->n_features,
              lim->max_features);
    return;
  }
  for (size_t k = 0; k < req->n_features; k++) {
    const Feast__Serving__FeatureReferenceV2 *f = req->features[k];
    if (!f->feature_table || !*f->feature_table) {
      grpc_fail(call, GRPC_UNKNOWN, "FeatureTable name must be provided in FeatureReference.");
      return;
    }
    if (!f->name || !*f->name) {
      grpc_fail(call, GRPC_UNKNOWN, "Feature name must be provided in FeatureReference.");
      return;
    }
  }
  feast_error err;
  feast_store *store = call->ctx ? grpc_project_store(call->ctx, project, &err) : NULL;
  if (!store && call->ctx && err.code == FEAST_E_NOT_FOUND) {
    /* No such project: no such table either, as Feast 0.9 words it. */
    grpc_fail(call, GRPC_NOT_FOUND, "Unable to find FeatureTable %s/%s", project,
              req->n_features ? req->features[0]->feature_table : "");
    return;
  }
  if (!store) {
    grpc_fail(call, call->ctx ? grpc_status_of(err.code) : GRPC_INTERNAL, "%s", call->ctx ? err.message : "no store");
    return;
  }
  feast_snapshot *snap = NULL;
  if (feast_store_snapshot(store, false, &snap, &err) != FEAST_OK) {
    grpc_fail(call, grpc_status_of(err.code), "%s", err.message);
    return;
  }
  feast_arena *A = call->arena;
  size_t n_refs = req->n_features, n_rows = req->n_entity_rows;
  ref_info *refs = feast_arena_calloc(A, (n_refs + 1) * sizeof *refs);
  row_out *out = feast_arena_calloc(A, (n_rows + 1) * sizeof *out);
  if (!refs || !out) goto oom;
  for (size_t k = 0; k < n_refs; k++) {
    const Feast__Serving__FeatureReferenceV2 *f = req->features[k];
    refs[k].table = f->feature_table;
    refs[k].feature = f->name;
    refs[k].st = feast_snapshot_table_get(snap, f->feature_table, strlen(f->feature_table));
    if (!refs[k].st) {
      grpc_fail(call, GRPC_NOT_FOUND, "Unable to find FeatureTable %s/%s", project, f->feature_table);
      goto done;
    }
    /* Clients list a table's features in its order: try the one after the
     * previous reference's before searching (50 refs: 50 compares, not 1,250). */
    const feast_feature_table_spec *ts = &refs[k].st->table->spec;
    int guess = k && refs[k - 1].st == refs[k].st ? refs[k - 1].feature_index + 1 : 0;
    refs[k].feature_index = guess >= 0 && (size_t)guess < ts->n_features && strcmp(ts->features[guess].name, f->name) == 0
                                ? guess
                                : feast_feature_table_find_feature(ts, f->name);
    size_t tl = strlen(f->feature_table), fl = strlen(f->name);
    refs[k].key = feast_arena_alloc(A, tl + fl + 2);
    if (!refs[k].key) goto oom;
    memcpy(refs[k].key, f->feature_table, tl);
    refs[k].key[tl] = ':';
    memcpy(refs[k].key + tl + 1, f->name, fl + 1);
    refs[k].key_len = tl + fl + 1;
  }
  for (size_t i = 0; i < n_rows; i++) {
    EntityRow *r = req->entity_rows[i];
    if (r->n_fields > 1) qsort(r->fields, r->n_fields, sizeof *r->fields, cmp_field_key);
    out[i].vals = feast_arena_calloc(A, (n_refs + 1) * sizeof *out[i].vals);
    out[i].lens = feast_arena_calloc(A, (n_refs + 1) * sizeof *out[i].lens);
    out[i].status = feast_arena_calloc(A, n_refs + 1);
    out[i].ent_vals = feast_arena_calloc(A, (r->n_fields + 1) * sizeof *out[i].ent_vals);
    out[i].ent_lens = feast_arena_calloc(A, (r->n_fields + 1) * sizeof *out[i].ent_lens);
    if (!out[i].vals || !out[i].lens || !out[i].status || !out[i].ent_vals || !out[i].ent_lens) goto oom;
  }
  /* Group rows by entity set (and timestamp), in first-seen order. */
  size_t *members = feast_arena_alloc(A, (n_rows + 1) * sizeof *members);
  bool *done = feast_arena_calloc(A, n_rows + 1);
  if (!members || !done) goto oom;
  for (size_t i = 0; i < n_rows && call->status == GRPC_OK; i++) {
    if (done[i]) continue;
    size_t n = 0;
    for (size_t j = i; j < n_rows; j++) {
      if (!done[j] && (j == i || same_group(req->entity_rows[i], req->entity_rows[j]))) {
        members[n++] = j;
        done[j] = true;
      }
    }
    read_group(call, store, snap, req, refs, n_refs, members, n, out);
  }
  if (call->status == GRPC_OK) {
    grpc_online_encode(call, req, refs, n_refs, out);
    call->rows = n_rows;
  }
  goto done;
oom:
  grpc_fail(call, GRPC_RESOURCE_EXHAUSTED, "out of memory");
done:
  feast_snapshot_unref(snap);
}

const grpc_method grpc_serving_methods[] = {
    {"/feast.serving.ServingService/GetFeastServingInfo", get_serving_info, GRPC_ON_GRPC},
    {"/feast.serving.ServingService/GetOnlineFeaturesV2", get_online_features, GRPC_ON_GRPC},
};
const size_t grpc_serving_num_methods = sizeof grpc_serving_methods / sizeof grpc_serving_methods[0];
