/*
 * grpc_core.c - feast.core.CoreService over the registry (reference:
 * feast-0.9.md section 4): projects, entities, feature tables, features and
 * the Core version, with the validation and messages of `feast apply`
 * (feast_registry_apply is the one writer, so both refuse the same specs
 * with the same words).
 *
 * Core has a registry handle of its own, opened on first use and used under
 * a mutex: feast_store_registry's handle is not thread-safe, and Core calls
 * are rare next to online reads (which use the store's snapshot, refreshed
 * within registry_refresh_ms of a change made here).
 *
 * Status codes follow Feast 0.9's CoreServiceImpl where it is consistent:
 * validation errors INVALID_ARGUMENT, missing objects NOT_FOUND, an
 * existing project on CreateProject ALREADY_EXISTS.
 */
#include <pthread.h>
#include <string.h>

#include "feast/core/CoreService.pb-c.h"
#include "feast/registry.h"
#include "feast/specfile.h"
#include "serve/grpc.h"

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static feast_registry *reg;

/* Lock and return the registry; NULL (status set) when it cannot open. */
static feast_registry *reg_lock(grpc_call *call) {
  if (!call->ctx || !call->ctx->store) {
    grpc_fail(call, GRPC_UNAVAILABLE, "registry: no store");
    return NULL;
  }
  pthread_mutex_lock(&reg_mu);
  if (!reg) {
    feast_error err;
    const feast_config *cfg = call->ctx && call->ctx->store ? feast_store_get_config(call->ctx->store) : NULL;
    if (!cfg || feast_registry_open(cfg->registry, &reg, &err) != FEAST_OK) {
      grpc_fail(call, GRPC_UNAVAILABLE, "registry: %s", cfg ? err.message : "no store");
      reg = NULL;
      pthread_mutex_unlock(&reg_mu);
      return NULL;
    }
  }
  return reg;
}
static void reg_unlock(void) { pthread_mutex_unlock(&reg_mu); }

bool grpc_project_exists(const serve_ctx *ctx, const char *project) {
  grpc_call call = {.ctx = ctx};
  feast_registry *r = reg_lock(&call);
  if (!r) return false;
  feast_error err;
  feast_project_list l = {0};
  bool found = false;
  if (feast_registry_list_projects(r, false, &l, &err) == FEAST_OK)
    for (size_t i = 0; i < l.n && !found; i++) found = strcmp(l.items[i].name, project) == 0;
  reg_unlock();
  feast_project_list_clear(&l);
  return found;
}

void grpc_core_free(void) {
  pthread_mutex_lock(&reg_mu);
  feast_registry_free(reg);
  reg = NULL;
  pthread_mutex_unlock(&reg_mu);
}

#define NEW(T, init) ((T *)new_msg(call->arena, sizeof(T), (void (*)(void *))(init)))
static void *new_msg(feast_arena *a, size_t n, void (*init)(void *)) {
  void *p = feast_arena_calloc(a, n);
  if (p) init(p);
  return p;
}
static const char *proj(const char *p) { return p && *p ? p : "default"; }

static void fail_err(grpc_call *call, const feast_error *err) {
  grpc_fail(call, grpc_status_of(err->code), "%s", err->message);
}

/* ---- proto -> spec (strings borrowed from the request's arena) ---- */

/* proto3 has no absent strings: "" means not set, as NULL does in a spec. */
static char *nz(char *s) { return s && *s ? s : NULL; }

static void map_from(feast_arena *a, feast_map *m, size_t n, void **entries) {
  /* every *LabelsEntry / FieldMappingEntry is {base, key, value} */
  typedef struct {
    ProtobufCMessage base;
    char *key, *value;
  } kv_entry;
  m->n = n;
  m->items = n ? feast_arena_calloc(a, n * sizeof *m->items) : NULL;
  for (size_t i = 0; m->items && i < n; i++) {
    m->items[i].key = ((kv_entry *)entries[i])->key;
    m->items[i].value = ((kv_entry *)entries[i])->value;
  }
}

static void format_from_stream(feast_data_format *f, const Feast__Core__StreamFormat *s) {
  if (!s) return;
  if (s->format_case == FEAST__CORE__STREAM_FORMAT__FORMAT_AVRO_FORMAT) {
    f->kind = FEAST_FORMAT_AVRO;
    f->schema_json = nz(s->avro_format->schema_json);
  } else if (s->format_case == FEAST__CORE__STREAM_FORMAT__FORMAT_PROTO_FORMAT) {
    f->kind = FEAST_FORMAT_PROTO;
    f->class_path = nz(s->proto_format->class_path);
  }
}

static void source_from(feast_arena *a, feast_data_source *d, const Feast__Core__DataSource *s) {
  d->type = (feast_source_type)s->type;
  map_from(a, &d->field_mapping, s->n_field_mapping, (void **)s->field_mapping);
  d->event_timestamp_column = nz(s->event_timestamp_column);
  d->created_timestamp_column = nz(s->created_timestamp_column);
  d->date_partition_column = nz(s->date_partition_column);
  switch (s->options_case) {
  case FEAST__CORE__DATA_SOURCE__OPTIONS_FILE_OPTIONS:
    d->file.file_url = nz(s->file_options->file_url);
    if (s->file_options->file_format &&
        s->file_options->file_format->format_case == FEAST__CORE__FILE_FORMAT__FORMAT_PARQUET_FORMAT)
      d->file.file_format.kind = FEAST_FORMAT_PARQUET;
    break;
  case FEAST__CORE__DATA_SOURCE__OPTIONS_BIGQUERY_OPTIONS:
    d->bigquery.table_ref = nz(s->bigquery_options->table_ref);
    d->bigquery.query = s->bigquery_options->query && *s->bigquery_options->query ? s->bigquery_options->query : NULL;
    break;
  case FEAST__CORE__DATA_SOURCE__OPTIONS_KAFKA_OPTIONS:
    d->kafka.bootstrap_servers = nz(s->kafka_options->bootstrap_servers);
    d->kafka.topic = nz(s->kafka_options->topic);
    format_from_stream(&d->kafka.message_format, s->kafka_options->message_format);
    break;
  case FEAST__CORE__DATA_SOURCE__OPTIONS_KINESIS_OPTIONS:
    d->kinesis.region = nz(s->kinesis_options->region);
    d->kinesis.stream_name = nz(s->kinesis_options->stream_name);
    format_from_stream(&d->kinesis.record_format, s->kinesis_options->record_format);
    break;
  default: break;
  }
}

static void table_from(feast_arena *a, feast_feature_table_spec *t, const Feast__Core__FeatureTableSpec *s) {
  t->name = s->name;
  t->n_entities = s->n_entities;
  t->entities = s->entities;
  t->n_features = s->n_features;
  t->features = s->n_features ? feast_arena_calloc(a, s->n_features * sizeof *t->features) : NULL;
  for (size_t i = 0; t->features && i < s->n_features; i++) {
    t->features[i].name = s->features[i]->name;
    t->features[i].value_type = (feast_value_type)s->features[i]->value_type;
    map_from(a, &t->features[i].labels, s->features[i]->n_labels, (void **)s->features[i]->labels);
  }
  map_from(a, &t->labels, s->n_labels, (void **)s->labels);
  if (s->max_age) {
    t->has_max_age = true;
    t->max_age = s->max_age->seconds * 1000000 + s->max_age->nanos / 1000;
  }
  if (s->batch_source) source_from(a, &t->batch_source, s->batch_source);
  if (s->stream_source) {
    t->has_stream_source = true;
    source_from(a, &t->stream_source, s->stream_source);
  }
}

/* ---- spec -> proto ---- */

static char *S(char *s) { return s ? s : (char *)""; }

#define MAP_TO(call, m, Entry, init, n_out, out)                                                                      \
  do {                                                                                                                 \
    (n_out) = (m)->n;                                                                                                  \
    (out) = (m)->n ? feast_arena_calloc((call)->arena, (m)->n * sizeof *(out)) : NULL;                                 \
    for (size_t i_ = 0; (out) && i_ < (m)->n; i_++) {                                                                  \
      Entry *e_ = NEW(Entry, init);                                                                                    \
      if (!e_) break;                                                                                                  \
      e_->key = (m)->items[i_].key;                                                                                    \
      e_->value = S((m)->items[i_].value);                                                                             \
      (out)[i_] = e_;                                                                                                  \
    }                                                                                                                  \
  } while (0)

static Google__Protobuf__Timestamp *ts_to(grpc_call *call, feast_ts t) {
  Google__Protobuf__Timestamp *p = NEW(Google__Protobuf__Timestamp, google__protobuf__timestamp__init);
  if (!p) return NULL;
  int64_t s = t / 1000000, us = t % 1000000;
  if (us < 0) {
    us += 1000000;
    s--;
  }
  p->seconds = s;
  p->nanos = (int32_t)(us * 1000);
  return p;
}

static Feast__Core__StreamFormat *stream_format_to(grpc_call *call, const feast_data_format *f) {
  Feast__Core__StreamFormat *p = NEW(Feast__Core__StreamFormat, feast__core__stream_format__init);
  if (!p) return NULL;
  if (f->kind == FEAST_FORMAT_AVRO) {
    p->format_case = FEAST__CORE__STREAM_FORMAT__FORMAT_AVRO_FORMAT;
    p->avro_format = NEW(Feast__Core__StreamFormat__AvroFormat, feast__core__stream_format__avro_format__init);
    if (p->avro_format) p->avro_format->schema_json = S(f->schema_json);
  } else if (f->kind == FEAST_FORMAT_PROTO) {
    p->format_case = FEAST__CORE__STREAM_FORMAT__FORMAT_PROTO_FORMAT;
    p->proto_format = NEW(Feast__Core__StreamFormat__ProtoFormat, feast__core__stream_format__proto_format__init);
    if (p->proto_format) p->proto_format->class_path = S(f->class_path);
  }
  return p;
}

static Feast__Core__DataSource *source_to(grpc_call *call, const feast_data_source *d) {
  Feast__Core__DataSource *p = NEW(Feast__Core__DataSource, feast__core__data_source__init);
  if (!p) return NULL;
  p->type = (Feast__Core__DataSource__SourceType)d->type;
  MAP_TO(call, &d->field_mapping, Feast__Core__DataSource__FieldMappingEntry,
         feast__core__data_source__field_mapping_entry__init, p->n_field_mapping, p->field_mapping);
  p->event_timestamp_column = S(d->event_timestamp_column);
  p->created_timestamp_column = S(d->created_timestamp_column);
  p->date_partition_column = S(d->date_partition_column);
  switch (d->type) {
  case FEAST_SOURCE_FILE:
    p->options_case = FEAST__CORE__DATA_SOURCE__OPTIONS_FILE_OPTIONS;
    p->file_options = NEW(Feast__Core__DataSource__FileOptions, feast__core__data_source__file_options__init);
    if (p->file_options) {
      p->file_options->file_url = S(d->file.file_url);
      p->file_options->file_format = NEW(Feast__Core__FileFormat, feast__core__file_format__init);
      if (p->file_options->file_format && d->file.file_format.kind == FEAST_FORMAT_PARQUET) {
        p->file_options->file_format->format_case = FEAST__CORE__FILE_FORMAT__FORMAT_PARQUET_FORMAT;
        p->file_options->file_format->parquet_format =
            NEW(Feast__Core__FileFormat__ParquetFormat, feast__core__file_format__parquet_format__init);
      }
    }
    break;
  case FEAST_SOURCE_BIGQUERY:
    p->options_case = FEAST__CORE__DATA_SOURCE__OPTIONS_BIGQUERY_OPTIONS;
    p->bigquery_options = NEW(Feast__Core__DataSource__BigQueryOptions, feast__core__data_source__big_query_options__init);
    if (p->bigquery_options) {
      p->bigquery_options->table_ref = S(d->bigquery.table_ref);
      p->bigquery_options->query = S(d->bigquery.query);
    }
    break;
  case FEAST_SOURCE_KAFKA:
    p->options_case = FEAST__CORE__DATA_SOURCE__OPTIONS_KAFKA_OPTIONS;
    p->kafka_options = NEW(Feast__Core__DataSource__KafkaOptions, feast__core__data_source__kafka_options__init);
    if (p->kafka_options) {
      p->kafka_options->bootstrap_servers = S(d->kafka.bootstrap_servers);
      p->kafka_options->topic = S(d->kafka.topic);
      p->kafka_options->message_format = stream_format_to(call, &d->kafka.message_format);
    }
    break;
  case FEAST_SOURCE_KINESIS:
    p->options_case = FEAST__CORE__DATA_SOURCE__OPTIONS_KINESIS_OPTIONS;
    p->kinesis_options = NEW(Feast__Core__DataSource__KinesisOptions, feast__core__data_source__kinesis_options__init);
    if (p->kinesis_options) {
      p->kinesis_options->region = S(d->kinesis.region);
      p->kinesis_options->stream_name = S(d->kinesis.stream_name);
      p->kinesis_options->record_format = stream_format_to(call, &d->kinesis.record_format);
    }
    break;
  default: break;
  }
  return p;
}

static Feast__Core__FeatureSpecV2 *feature_to(grpc_call *call, const feast_feature_spec *f) {
  Feast__Core__FeatureSpecV2 *p = NEW(Feast__Core__FeatureSpecV2, feast__core__feature_spec_v2__init);
  if (!p) return NULL;
  p->name = S(f->name);
  p->value_type = (Feast__Types__ValueType__Enum)f->value_type;
  MAP_TO(call, &f->labels, Feast__Core__FeatureSpecV2__LabelsEntry, feast__core__feature_spec_v2__labels_entry__init,
         p->n_labels, p->labels);
  return p;
}

static Feast__Core__Entity *entity_to(grpc_call *call, const feast_entity *e) {
  Feast__Core__Entity *p = NEW(Feast__Core__Entity, feast__core__entity__init);
  if (!p) return NULL;
  p->spec = NEW(Feast__Core__EntitySpecV2, feast__core__entity_spec_v2__init);
  p->meta = NEW(Feast__Core__EntityMeta, feast__core__entity_meta__init);
  if (!p->spec || !p->meta) return NULL;
  p->spec->name = S(e->spec.name);
  p->spec->value_type = (Feast__Types__ValueType__Enum)e->spec.value_type;
  p->spec->description = S(e->spec.description);
  MAP_TO(call, &e->spec.labels, Feast__Core__EntitySpecV2__LabelsEntry, feast__core__entity_spec_v2__labels_entry__init,
         p->spec->n_labels, p->spec->labels);
  p->meta->created_timestamp = ts_to(call, e->meta.created);
  p->meta->last_updated_timestamp = ts_to(call, e->meta.last_updated);
  return p;
}

static Feast__Core__FeatureTable *table_to(grpc_call *call, const feast_feature_table *t) {
  Feast__Core__FeatureTable *p = NEW(Feast__Core__FeatureTable, feast__core__feature_table__init);
  if (!p) return NULL;
  Feast__Core__FeatureTableSpec *s = p->spec = NEW(Feast__Core__FeatureTableSpec, feast__core__feature_table_spec__init);
  p->meta = NEW(Feast__Core__FeatureTableMeta, feast__core__feature_table_meta__init);
  if (!s || !p->meta) return NULL;
  s->name = S(t->spec.name);
  s->n_entities = t->spec.n_entities;
  s->entities = t->spec.entities;
  s->n_features = t->spec.n_features;
  s->features = t->spec.n_features ? feast_arena_calloc(call->arena, t->spec.n_features * sizeof *s->features) : NULL;
  for (size_t i = 0; s->features && i < t->spec.n_features; i++) s->features[i] = feature_to(call, &t->spec.features[i]);
  MAP_TO(call, &t->spec.labels, Feast__Core__FeatureTableSpec__LabelsEntry,
         feast__core__feature_table_spec__labels_entry__init, s->n_labels, s->labels);
  if (t->spec.has_max_age) {
    s->max_age = NEW(Google__Protobuf__Duration, google__protobuf__duration__init);
    if (s->max_age) {
      s->max_age->seconds = t->spec.max_age / 1000000;
      s->max_age->nanos = (int32_t)(t->spec.max_age % 1000000 * 1000);
    }
  }
  s->batch_source = source_to(call, &t->spec.batch_source);
  if (t->spec.has_stream_source) s->stream_source = source_to(call, &t->spec.stream_source);
  p->meta->created_timestamp = ts_to(call, t->meta.created);
  p->meta->last_updated_timestamp = ts_to(call, t->meta.last_updated);
  p->meta->revision = t->meta.revision;
  return p;
}

/* ---- the calls ---- */

static void get_core_version(grpc_call *call) {
  if (!grpc_unpack(call, &feast__core__get_feast_core_version_request__descriptor)) return;
  Feast__Core__GetFeastCoreVersionResponse r;
  feast__core__get_feast_core_version_response__init(&r);
  r.version = (char *)"0.9.5";
  grpc_pack(call, &r.base);
}

/* One document through feast_registry_apply: the same validation and
 * messages as `feast apply`. */
static feast_code apply_doc(feast_registry *r, const char *project, feast_spec_doc *doc, feast_error *err) {
  feast_spec_docs docs = {1, doc};
  doc->file = (char *)"request";
  doc->index = 1;
  feast_code rc = feast_registry_apply(r, project, &docs, true, NULL, err);
  /* The messages name a file and document; a request is neither. */
  static const char prefix[] = "request: document 1 (line 0): ";
  for (char *p; rc && (p = strstr(err->message, prefix));) memmove(p, p + sizeof prefix - 1, strlen(p + sizeof prefix - 1) + 1);
  return rc;
}

static void apply_entity(grpc_call *call) {
  Feast__Core__ApplyEntityRequest *q = grpc_unpack(call, &feast__core__apply_entity_request__descriptor);
  if (!q) return;
  const char *p = proj(q->project);
  if (!grpc_authorize(call, p, SERVE_WRITE)) return;
  if (!q->spec || !q->spec->name || !*q->spec->name) {
    grpc_fail(call, GRPC_INVALID_ARGUMENT, "Entity name must be provided");
    return;
  }
  feast_spec_doc doc = {.kind = FEAST_DOC_ENTITY};
  doc.entity.name = q->spec->name;
  doc.entity.value_type = (feast_value_type)q->spec->value_type;
  doc.entity.description = nz(q->spec->description);
  map_from(call->arena, &doc.entity.labels, q->spec->n_labels, (void **)q->spec->labels);
  feast_registry *r = reg_lock(call);
  if (!r) return;
  feast_error err;
  feast_entity e = {0};
  if (apply_doc(r, p, &doc, &err) != FEAST_OK || feast_registry_get_entity(r, p, q->spec->name, &e, &err) != FEAST_OK) {
    reg_unlock();
    fail_err(call, &err);
    return;
  }
  reg_unlock();
  Feast__Core__ApplyEntityResponse resp;
  feast__core__apply_entity_response__init(&resp);
  resp.entity = entity_to(call, &e);
  grpc_pack(call, &resp.base);
  feast_entity_clear(&e);
}

static void get_entity(grpc_call *call) {
  Feast__Core__GetEntityRequest *q = grpc_unpack(call, &feast__core__get_entity_request__descriptor);
  if (!q) return;
  const char *p = proj(q->project);
  if (!grpc_authorize(call, p, SERVE_READ)) return;
  if (!q->name || !*q->name) {
    grpc_fail(call, GRPC_INVALID_ARGUMENT, "No entity name provided");
    return;
  }
  feast_registry *r = reg_lock(call);
  if (!r) return;
  feast_error err;
  feast_entity e = {0};
  feast_code rc = feast_registry_get_entity(r, p, q->name, &e, &err);
  reg_unlock();
  if (rc) {
    fail_err(call, &err);
    return;
  }
  Feast__Core__GetEntityResponse resp;
  feast__core__get_entity_response__init(&resp);
  resp.entity = entity_to(call, &e);
  grpc_pack(call, &resp.base);
  feast_entity_clear(&e);
}

static void list_entities(grpc_call *call) {
  Feast__Core__ListEntitiesRequest *q = grpc_unpack(call, &feast__core__list_entities_request__descriptor);
  if (!q) return;
  const char *p = proj(q->filter ? q->filter->project : NULL);
  if (!grpc_authorize(call, p, SERVE_READ)) return;
  feast_map labels = {0};
  if (q->filter) map_from(call->arena, &labels, q->filter->n_labels, (void **)q->filter->labels);
  feast_registry *r = reg_lock(call);
  if (!r) return;
  feast_error err;
  feast_entity_list l = {0};
  feast_code rc = feast_registry_list_entities(r, p, &labels, &l, &err);
  reg_unlock();
  if (rc) {
    fail_err(call, &err);
    return;
  }
  Feast__Core__ListEntitiesResponse resp;
  feast__core__list_entities_response__init(&resp);
  resp.n_entities = l.n;
  resp.entities = l.n ? feast_arena_calloc(call->arena, l.n * sizeof *resp.entities) : NULL;
  for (size_t i = 0; resp.entities && i < l.n; i++) resp.entities[i] = entity_to(call, &l.items[i]);
  grpc_pack(call, &resp.base);
  feast_entity_list_clear(&l);
}

static void apply_feature_table(grpc_call *call) {
  Feast__Core__ApplyFeatureTableRequest *q = grpc_unpack(call, &feast__core__apply_feature_table_request__descriptor);
  if (!q) return;
  const char *p = proj(q->project);
  if (!grpc_authorize(call, p, SERVE_WRITE)) return;
  if (!q->table_spec) {
    grpc_fail(call, GRPC_INVALID_ARGUMENT, "FeatureTable spec must be provided");
    return;
  }
  feast_spec_doc doc = {.kind = FEAST_DOC_FEATURE_TABLE};
  table_from(call->arena, &doc.table, q->table_spec);
  feast_registry *r = reg_lock(call);
  if (!r) return;
  feast_error err;
  feast_feature_table t = {0};
  if (apply_doc(r, p, &doc, &err) != FEAST_OK ||
      feast_registry_get_feature_table(r, p, q->table_spec->name, &t, &err) != FEAST_OK) {
    reg_unlock();
    fail_err(call, &err);
    return;
  }
  reg_unlock();
  Feast__Core__ApplyFeatureTableResponse resp;
  feast__core__apply_feature_table_response__init(&resp);
  resp.table = table_to(call, &t);
  grpc_pack(call, &resp.base);
  feast_feature_table_clear(&t);
}

static void get_feature_table(grpc_call *call) {
  Feast__Core__GetFeatureTableRequest *q = grpc_unpack(call, &feast__core__get_feature_table_request__descriptor);
  if (!q) return;
  const char *p = proj(q->project);
  if (!grpc_authorize(call, p, SERVE_READ)) return;
  feast_registry *r = reg_lock(call);
  if (!r) return;
  feast_error err;
  feast_feature_table t = {0};
  feast_code rc = feast_registry_get_feature_table(r, p, q->name ? q->name : "", &t, &err);
  reg_unlock();
  if (rc) {
    fail_err(call, &err);
    return;
  }
  Feast__Core__GetFeatureTableResponse resp;
  feast__core__get_feature_table_response__init(&resp);
  resp.table = table_to(call, &t);
  grpc_pack(call, &resp.base);
  feast_feature_table_clear(&t);
}

static void list_feature_tables(grpc_call *call) {
  Feast__Core__ListFeatureTablesRequest *q = grpc_unpack(call, &feast__core__list_feature_tables_request__descriptor);
  if (!q) return;
  const char *p = proj(q->filter ? q->filter->project : NULL);
  if (!grpc_authorize(call, p, SERVE_READ)) return;
  feast_map labels = {0};
  if (q->filter) map_from(call->arena, &labels, q->filter->n_labels, (void **)q->filter->labels);
  feast_registry *r = reg_lock(call);
  if (!r) return;
  feast_error err;
  feast_feature_table_list l = {0};
  feast_code rc = feast_registry_list_feature_tables(r, p, &labels, &l, &err);
  reg_unlock();
  if (rc) {
    fail_err(call, &err);
    return;
  }
  Feast__Core__ListFeatureTablesResponse resp;
  feast__core__list_feature_tables_response__init(&resp);
  resp.n_tables = l.n;
  resp.tables = l.n ? feast_arena_calloc(call->arena, l.n * sizeof *resp.tables) : NULL;
  for (size_t i = 0; resp.tables && i < l.n; i++) resp.tables[i] = table_to(call, &l.items[i]);
  grpc_pack(call, &resp.base);
  feast_feature_table_list_clear(&l);
}

static void delete_feature_table(grpc_call *call) {
  Feast__Core__DeleteFeatureTableRequest *q = grpc_unpack(call, &feast__core__delete_feature_table_request__descriptor);
  if (!q) return;
  const char *p = proj(q->project);
  if (!grpc_authorize(call, p, SERVE_WRITE)) return;
  feast_registry *r = reg_lock(call);
  if (!r) return;
  feast_error err;
  feast_code rc = feast_registry_delete_feature_table(r, p, q->name ? q->name : "", &err);
  reg_unlock();
  if (rc) {
    fail_err(call, &err);
    return;
  }
  Feast__Core__DeleteFeatureTableResponse resp;
  feast__core__delete_feature_table_response__init(&resp);
  grpc_pack(call, &resp.base);
}

/* Feast 0.9: the entity filter needs the table's entity set to *equal* it;
 * labels are a subset match on the feature's labels. */
static bool labels_match(const feast_map *have, const Feast__Core__ListFeaturesRequest__Filter *f) {
  for (size_t i = 0; i < f->n_labels; i++) {
    bool ok = false;
    for (size_t j = 0; j < have->n && !ok; j++)
      ok = strcmp(have->items[j].key, f->labels[i]->key) == 0 &&
           strcmp(have->items[j].value ? have->items[j].value : "", f->labels[i]->value) == 0;
    if (!ok) return false;
  }
  return true;
}

static bool entity_set_equal(const feast_feature_table_spec *t, const Feast__Core__ListFeaturesRequest__Filter *f) {
  if (!f->n_entities) return true;
  if (t->n_entities != f->n_entities) return false;
  for (size_t i = 0; i < f->n_entities; i++) {
    bool ok = false;
    for (size_t j = 0; j < t->n_entities && !ok; j++) ok = strcmp(t->entities[j], f->entities[i]) == 0;
    if (!ok) return false;
  }
  return true;
}

static void list_features(grpc_call *call) {
  Feast__Core__ListFeaturesRequest *q = grpc_unpack(call, &feast__core__list_features_request__descriptor);
  if (!q) return;
  Feast__Core__ListFeaturesRequest__Filter empty;
  feast__core__list_features_request__filter__init(&empty);
  const Feast__Core__ListFeaturesRequest__Filter *f = q->filter ? q->filter : &empty;
  const char *p = proj(f->project);
  if (!grpc_authorize(call, p, SERVE_READ)) return;
  feast_registry *r = reg_lock(call);
  if (!r) return;
  feast_error err;
  feast_feature_table_list l = {0};
  feast_code rc = feast_registry_list_feature_tables(r, p, NULL, &l, &err);
  reg_unlock();
  if (rc) {
    fail_err(call, &err);
    return;
  }
  size_t n = 0;
  for (size_t i = 0; i < l.n; i++) n += l.items[i].spec.n_features;
  Feast__Core__ListFeaturesResponse resp;
  feast__core__list_features_response__init(&resp);
  resp.features = n ? feast_arena_calloc(call->arena, n * sizeof *resp.features) : NULL;
  for (size_t i = 0; i < l.n && (resp.features || !n); i++) {
    const feast_feature_table_spec *t = &l.items[i].spec;
    if (!entity_set_equal(t, f)) continue;
    for (size_t k = 0; k < t->n_features; k++) {
      if (!labels_match(&t->features[k].labels, f)) continue;
      Feast__Core__ListFeaturesResponse__FeaturesEntry *e =
          NEW(Feast__Core__ListFeaturesResponse__FeaturesEntry, feast__core__list_features_response__features_entry__init);
      if (!e) break;
      size_t tl = strlen(t->name), fl = strlen(t->features[k].name);
      e->key = feast_arena_alloc(call->arena, tl + fl + 2);
      if (!e->key) break;
      memcpy(e->key, t->name, tl);
      e->key[tl] = ':';
      memcpy(e->key + tl + 1, t->features[k].name, fl + 1);
      e->value = feature_to(call, &t->features[k]);
      resp.features[resp.n_features++] = e;
    }
  }
  grpc_pack(call, &resp.base);
  feast_feature_table_list_clear(&l);
}

static void create_project(grpc_call *call) {
  Feast__Core__CreateProjectRequest *q = grpc_unpack(call, &feast__core__create_project_request__descriptor);
  if (!q) return;
  if (!grpc_authorize(call, q->name, SERVE_WRITE)) return;
  feast_registry *r = reg_lock(call);
  if (!r) return;
  feast_error err;
  feast_code rc = feast_registry_create_project(r, q->name ? q->name : "", &err);
  reg_unlock();
  if (rc) {
    fail_err(call, &err);
    return;
  }
  Feast__Core__CreateProjectResponse resp;
  feast__core__create_project_response__init(&resp);
  grpc_pack(call, &resp.base);
}

static void archive_project(grpc_call *call) {
  Feast__Core__ArchiveProjectRequest *q = grpc_unpack(call, &feast__core__archive_project_request__descriptor);
  if (!q) return;
  if (!grpc_authorize(call, q->name, SERVE_WRITE)) return;
  feast_registry *r = reg_lock(call);
  if (!r) return;
  feast_error err;
  feast_code rc = feast_registry_archive_project(r, q->name ? q->name : "", &err);
  reg_unlock();
  if (rc) {
    /* Feast 0.9: unknown project INVALID_ARGUMENT, "default" UNIMPLEMENTED */
    grpc_fail(call, rc == FEAST_E_NOT_FOUND ? GRPC_INVALID_ARGUMENT : rc == FEAST_E_INVALID ? GRPC_UNIMPLEMENTED
                                                                                           : grpc_status_of(rc),
              "%s", err.message);
    return;
  }
  Feast__Core__ArchiveProjectResponse resp;
  feast__core__archive_project_response__init(&resp);
  grpc_pack(call, &resp.base);
}

static void list_projects(grpc_call *call) {
  if (!grpc_unpack(call, &feast__core__list_projects_request__descriptor)) return;
  if (!grpc_authorize(call, NULL, SERVE_READ)) return;
  feast_registry *r = reg_lock(call);
  if (!r) return;
  feast_error err;
  feast_project_list l = {0};
  feast_code rc = feast_registry_list_projects(r, false, &l, &err);
  reg_unlock();
  if (rc) {
    fail_err(call, &err);
    return;
  }
  Feast__Core__ListProjectsResponse resp;
  feast__core__list_projects_response__init(&resp);
  resp.projects = l.n ? feast_arena_calloc(call->arena, l.n * sizeof *resp.projects) : NULL;
  for (size_t i = 0; resp.projects && i < l.n; i++) resp.projects[resp.n_projects++] = l.items[i].name;
  grpc_pack(call, &resp.base);
  feast_project_list_clear(&l);
}

/* Legacy store registration (Serving called UpdateStore at start-up):
 * there is one online store, configured in feature_store.yaml. */
static void list_stores(grpc_call *call) {
  if (!grpc_unpack(call, &feast__core__list_stores_request__descriptor)) return;
  Feast__Core__ListStoresResponse resp;
  feast__core__list_stores_response__init(&resp);
  grpc_pack(call, &resp.base);
}

static void update_store(grpc_call *call) {
  Feast__Core__UpdateStoreRequest *q = grpc_unpack(call, &feast__core__update_store_request__descriptor);
  if (!q) return;
  Feast__Core__UpdateStoreResponse resp;
  feast__core__update_store_response__init(&resp);
  resp.store = q->store;
  resp.status = FEAST__CORE__UPDATE_STORE_RESPONSE__STATUS__NO_CHANGE;
  grpc_pack(call, &resp.base);
}

#define CORE(m) "/feast.core.CoreService/" m
const grpc_method grpc_core_methods[] = {
    {CORE("GetFeastCoreVersion"), get_core_version, GRPC_ON_GRPC | GRPC_ON_CORE},
    {CORE("ApplyEntity"), apply_entity, GRPC_ON_GRPC | GRPC_ON_CORE},
    {CORE("GetEntity"), get_entity, GRPC_ON_GRPC | GRPC_ON_CORE},
    {CORE("ListEntities"), list_entities, GRPC_ON_GRPC | GRPC_ON_CORE},
    {CORE("ApplyFeatureTable"), apply_feature_table, GRPC_ON_GRPC | GRPC_ON_CORE},
    {CORE("GetFeatureTable"), get_feature_table, GRPC_ON_GRPC | GRPC_ON_CORE},
    {CORE("ListFeatureTables"), list_feature_tables, GRPC_ON_GRPC | GRPC_ON_CORE},
    {CORE("DeleteFeatureTable"), delete_feature_table, GRPC_ON_GRPC | GRPC_ON_CORE},
    {CORE("ListFeatures"), list_features, GRPC_ON_GRPC | GRPC_ON_CORE},
    {CORE("CreateProject"), create_project, GRPC_ON_GRPC | GRPC_ON_CORE},
    {CORE("ArchiveProject"), archive_project, GRPC_ON_GRPC | GRPC_ON_CORE},
    {CORE("ListProjects"), list_projects, GRPC_ON_GRPC | GRPC_ON_CORE},
    {CORE("ListStores"), list_stores, GRPC_ON_GRPC | GRPC_ON_CORE},
    {CORE("UpdateStore"), update_store, GRPC_ON_GRPC | GRPC_ON_CORE},
};
const size_t grpc_core_num_methods = sizeof grpc_core_methods / sizeof grpc_core_methods[0];
