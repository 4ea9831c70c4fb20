/*
 * online_support.c - fixtures and store-independent checks for the online
 * tests (see online_support.h). Expected values are computed here directly
 * from the rows, never through the code under test.
 */
#include "online_support.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "format/proto/feastproto.h"
#include "online/backend.h"
#include "test.h"

void ots_driver_table(feast_feature_table_spec *t, feast_entity_spec *e, const char *table_name, feast_duration max_age) {
  feast_error err;
  memset(t, 0, sizeof *t);
  memset(e, 0, sizeof *e);
  e->name = feast_strdup("driver_id");
  e->value_type = FEAST_VT_INT64;
  t->name = feast_strdup(table_name);
  t->n_entities = 1;
  t->entities = feast_calloc(1, sizeof(char *));
  t->entities[0] = feast_strdup("driver_id");
  static const char *fn[] = {"rating", "trips", "name", "tags"};
  static const feast_value_type ft[] = {FEAST_VT_FLOAT, FEAST_VT_INT64, FEAST_VT_STRING, FEAST_VT_STRING_LIST};
  t->n_features = 4;
  t->features = feast_calloc(4, sizeof *t->features);
  for (int i = 0; i < 4; i++) {
    t->features[i].name = feast_strdup(fn[i]);
    t->features[i].value_type = ft[i];
  }
  t->has_max_age = max_age > 0;
  t->max_age = max_age;
  t->batch_source.type = FEAST_SOURCE_FILE;
  t->batch_source.event_timestamp_column = feast_strdup("event_timestamp");
  t->batch_source.created_timestamp_column = feast_strdup("created");
  feast_map_set(&t->batch_source.field_mapping, "driver_id", "driver", &err);
}

void ots_specs_clear(feast_feature_table_spec *t, feast_entity_spec *e) {
  feast_feature_table_spec_clear(t);
  feast_entity_spec_clear(e);
}

feast_batch *ots_batch(const ots_row *rows, size_t n) {
  feast_error err;
  feast_batch *b = feast_batch_new(7);
  feast_array *drv = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(0));
  feast_array *ev = feast_array_new(feast_dtype_timestamp(FEAST_UNIT_US, true), feast_dtype_make(0));
  feast_array *cr = feast_array_new(feast_dtype_timestamp(FEAST_UNIT_MS, true), feast_dtype_make(0));
  feast_array *rating = feast_array_new(feast_dtype_make(FEAST_DT_FLOAT), feast_dtype_make(0));
  feast_array *trips = feast_array_new(feast_dtype_make(FEAST_DT_INT32), feast_dtype_make(0)); /* widened */
  feast_array *name = feast_array_new(feast_dtype_make(FEAST_DT_STRING), feast_dtype_make(0));
  feast_array *tags = feast_array_new(feast_dtype_make(FEAST_DT_LIST), feast_dtype_make(FEAST_DT_STRING));
  for (size_t i = 0; i < n; i++) {
    char s[32];
    snprintf(s, sizeof s, "n%lld", (long long)rows[i].trips);
    feast_array_append_int(drv, rows[i].driver, &err);
    feast_array_append_int(ev, rows[i].ev, &err);
    feast_array_append_int(cr, rows[i].cr / 1000, &err);
    feast_array_append_double(rating, (double)rows[i].trips / 2, &err);
    feast_array_append_int(trips, rows[i].trips, &err);
    if (rows[i].trips % 7 == 3) {
      feast_array_append_null(name, &err);
    } else {
      feast_array_append_bytes(name, s, strlen(s), &err);
    }
    feast_array_append_bytes(tags->child, s, strlen(s), &err);
    feast_array_append_list_end(tags, &err);
  }
  feast_batch_set_column(b, 0, "driver", drv, &err);
  feast_batch_set_column(b, 1, "event_timestamp", ev, &err);
  feast_batch_set_column(b, 2, "created", cr, &err);
  feast_batch_set_column(b, 3, "rating", rating, &err);
  feast_batch_set_column(b, 4, "trips", trips, &err);
  feast_batch_set_column(b, 5, "name", name, &err);
  feast_batch_set_column(b, 6, "tags", tags, &err);
  b->num_rows = (int64_t)n;
  return b;
}

char *ots_read_json(feast_online_store *s, const char *project, const feast_feature_table_spec *t,
                    const feast_entity_spec *e, const char *const *entity_rows, size_t n, feast_ts at) {
  feast_error err;
  feast_batch *eb = NULL;
  CHECK_OK(feast_entity_rows_from_strings(entity_rows, n, &eb, &err), &err);
  if (!eb) return NULL;
  feast_online_table_request tq = {t, 0, NULL};
  feast_online_request q = {project, 1, &tq, 1, e, eb, at};
  feast_online_result *r = NULL;
  char *json = NULL;
  size_t len;
  CHECK_OK(feast_online_read(s, &q, &r, &err), &err);
  if (r) CHECK_OK(feast_online_result_to_json(r, &json, &len, &err), &err);
  feast_online_result_free(r);
  feast_batch_free(eb);
  return json;
}

#define SEC INT64_C(1000000)
#define T0 (INT64_C(1600000000) * SEC)

void ots_basic(feast_online_store *s, const char *project, feast_ts T, bool expires) {
  feast_feature_table_spec t;
  feast_entity_spec e;
  feast_error err;
  ots_driver_table(&t, &e, "driver_trips", 3600 * SEC);
  ots_row rows[] = {
      {1001, T, T, 10},                 /* older */
      {1001, T + 5 * SEC, T, 11},       /* wins for 1001 */
      {1001, T + 5 * SEC, T - SEC, 12}, /* same event, older created: loses */
      {1002, T + 2 * SEC, T, 3},        /* name null (3 % 7 == 3) */
      {1003, T - 7200 * SEC, T, 20},    /* too old at read time */
  };
  feast_batch *b = ots_batch(rows, 5);
  feast_ingest_summary sum;
  memset(&sum, 0, sizeof sum);
  feast_ingest_options o = {project};
  CHECK_OK(feast_ingest_batch(s, &t, &e, 1, b, &o, &sum, &err), &err);
  CHECK_INT(sum.read, 5);
  CHECK_INT(sum.written, 3);
  CHECK_INT(sum.skipped_older, 2);
  CHECK_INT(sum.rejected, 0);
  /* ingesting again writes nothing: the store has the same rows (Redis has
   * let 1003 expire, so it comes back once) */
  memset(&sum, 0, sizeof sum);
  CHECK_OK(feast_ingest_batch(s, &t, &e, 1, b, &o, &sum, &err), &err);
  CHECK_INT(sum.written, expires ? 1 : 0);
  CHECK_INT(sum.skipped_older, expires ? 4 : 5);
  feast_batch_free(b);

  char t5[FEAST_TS_STRLEN], t2[FEAST_TS_STRLEN], told[FEAST_TS_STRLEN], want[4096];
  const char *z = "1970-01-01T00:00:00Z";
  feast_ts_format(T + 5 * SEC, t5, sizeof t5);
  feast_ts_format(T + 2 * SEC, t2, sizeof t2);
  feast_ts_format(T - 7200 * SEC, told, sizeof told);
  /* 1003 is OUTSIDE_MAX_AGE at read time; on Redis its key has expired (EXPIREAT event + max_age) */
  const char *st3 = expires ? "NOT_FOUND" : "OUTSIDE_MAX_AGE";
  const char *ts3 = expires ? z : told;
  char feat[4][512];
  const char *vals[4] = {"5.5,1.5", "11,3", "\"n11\",null", "[\"n11\"],[\"n3\"]"};
  for (int i = 0; i < 4; i++)
    snprintf(feat[i], sizeof feat[i],
             "{\"values\":[%s,null,null],\"statuses\":[\"PRESENT\",\"%s\",\"%s\",\"NOT_FOUND\"],"
             "\"event_timestamps\":[\"%s\",\"%s\",\"%s\",\"%s\"]}",
             vals[i], i == 2 ? "NULL_VALUE" : "PRESENT", st3, t5, t2, ts3, z);
  snprintf(want, sizeof want,
           "{\"metadata\":{\"feature_names\":[\"driver_id\",\"driver_trips__rating\",\"driver_trips__trips\","
           "\"driver_trips__name\",\"driver_trips__tags\"]},\"results\":["
           "{\"values\":[1001,1002,1003,9999],\"statuses\":[\"PRESENT\",\"PRESENT\",\"PRESENT\",\"PRESENT\"],"
           "\"event_timestamps\":[\"%s\",\"%s\",\"%s\",\"%s\"]},%s,%s,%s,%s]}",
           z, z, z, z, feat[0], feat[1], feat[2], feat[3]);
  const char *q[] = {"driver_id=1001", "driver_id=1002", "driver_id=1003", "driver_id=9999"};
  char *json = ots_read_json(s, project, &t, &e, q, 4, T + 10 * SEC);
  CHECK_STR(json, want);
  free(json);

  /* a newer row replaces the stored one whole: its null name is stored as null */
  ots_row newer[] = {{1001, T + 6 * SEC, T, 17}};
  b = ots_batch(newer, 1);
  memset(&sum, 0, sizeof sum);
  CHECK_OK(feast_ingest_batch(s, &t, &e, 1, b, &o, &sum, &err), &err);
  CHECK_INT(sum.written, 1);
  feast_batch_free(b);
  const char *q1[] = {"driver_id=1001"};
  json = ots_read_json(s, project, &t, &e, q1, 1, T + 10 * SEC);
  CHECK_CONTAINS(json, "{\"values\":[null],\"statuses\":[\"NULL_VALUE\"]");
  CHECK_CONTAINS(json, "{\"values\":[17],");
  free(json);
  /* other projects do not see these keys */
  json = ots_read_json(s, "elsewhere", &t, &e, q1, 1, T + 10 * SEC);
  CHECK_CONTAINS(json, "\"statuses\":[\"NOT_FOUND\"]");
  free(json);
  ots_specs_clear(&t, &e);
}

void ots_property(feast_online_store *s, const char *project, unsigned seed, int rounds) {
  feast_feature_table_spec t;
  feast_entity_spec e;
  feast_error err;
  ots_driver_table(&t, &e, "prop_table", 0);
  srand(seed);
  for (int round = 0; round < rounds; round++) {
    char proj[64];
    snprintf(proj, sizeof proj, "%s_%u_%d", project, seed, round);
    enum { K = 25, N = 400 };
    ots_row rows[N];
    int64_t best[K], best_ev[K];
    for (int k = 0; k < K; k++) best[k] = -1;
    for (int i = 0; i < N; i++) {
      /* few distinct event times force created-timestamp tie breaks; created
       * = a unique millisecond count so (event, created) pairs never tie */
      rows[i] = (ots_row){1000 + rand() % K, T0 + (rand() % 6) * SEC, T0 + (int64_t)i * 1000, i};
      int k = (int)(rows[i].driver - 1000);
      if (best[k] < 0 || rows[i].ev > rows[best[k]].ev || (rows[i].ev == rows[best[k]].ev && rows[i].cr > rows[best[k]].cr))
        best[k] = i;
    }
    for (int k = 0; k < K; k++) best_ev[k] = best[k] < 0 ? 0 : rows[best[k]].ev;
    for (int i = N - 1; i > 0; i--) { /* shuffle */
      int j = rand() % (i + 1);
      ots_row tmp = rows[i];
      rows[i] = rows[j];
      rows[j] = tmp;
    }
    feast_ingest_options o = {proj};
    o.write_chunk = (size_t)(1 + rand() % 50);
    feast_ingest_summary sum;
    memset(&sum, 0, sizeof sum);
    for (int off = 0; off < N;) {
      int m = 1 + rand() % 80;
      if (m > N - off) m = N - off;
      feast_batch *b = ots_batch(rows + off, (size_t)m);
      CHECK_OK(feast_ingest_batch(s, &t, &e, 1, b, &o, &sum, &err), &err);
      feast_batch_free(b);
      off += m;
    }
    CHECK_INT(sum.read, N);
    CHECK_INT(sum.written + sum.skipped_older, N);
    /* read every key back and compare with the direct computation */
    feast_batch *eb = feast_batch_new(1);
    feast_array *ids = feast_array_new(feast_dtype_make(FEAST_DT_INT64), feast_dtype_make(0));
    for (int k = 0; k < K; k++) feast_array_append_int(ids, 1000 + k, &err);
    feast_batch_set_column(eb, 0, "driver_id", ids, &err);
    eb->num_rows = K;
    feast_online_table_request tq = {&t, 0, NULL};
    feast_online_request q = {proj, 1, &tq, 1, &e, eb, T0};
    feast_online_result *r = NULL;
    CHECK_OK(feast_online_read(s, &q, &r, &err), &err);
    for (int k = 0; r && k < K; k++) {
      /* rows was shuffled; find the expected winner's trips by its index */
      int64_t want_trips = best[k];
      if (want_trips < 0) {
        CHECK_INT(feast_online_result_status(r, 2, (size_t)k), FEAST_STATUS_NOT_FOUND);
        continue;
      }
      size_t vl;
      const uint8_t *v = feast_online_result_value(r, 2, (size_t)k, &vl);
      feast_buf jb;
      feast_buf_init(&jb, 1 << 20);
      feast_pb_value_to_json(v, vl, &jb, &err);
      char want[32];
      snprintf(want, sizeof want, "%lld", (long long)want_trips);
      CHECK_STR(feast_buf_cstr(&jb, &err), want);
      feast_buf_free(&jb);
      CHECK_INT(feast_online_result_event_ts(r, 2, (size_t)k), best_ev[k]);
      CHECK_INT(feast_online_result_status(r, 3, (size_t)k),
                want_trips % 7 == 3 ? FEAST_STATUS_NULL_VALUE : FEAST_STATUS_PRESENT);
    }
    feast_online_result_free(r);
    feast_batch_free(eb);
  }
  ots_specs_clear(&t, &e);
}

/* Hundreds of keys in one write (so several 64-key script calls on Redis),
 * each call mixing keys whose new row is older, newer, tied on the event
 * with a later or an earlier created time, and keys not stored yet. Only
 * the newer rows and the new keys are written; reads show exactly them. */
void ots_mixed_calls(feast_online_store *s, const char *project, feast_ts base) {
  enum { OLD = 300, ALL = 400 };
  feast_feature_table_spec t;
  feast_entity_spec e;
  feast_error err;
  ots_driver_table(&t, &e, "mixed", 3600 * SEC);
  static ots_row first[OLD], second[ALL];
  int64_t want[ALL];
  int64_t n_written = 0;
  for (int k = 0; k < OLD; k++) first[k] = (ots_row){k + 1, base - 100 * SEC + k, base, k};
  for (int k = 0; k < ALL; k++) {
    feast_ts ev = k < OLD ? first[k].ev : base;
    int mode = k < OLD ? k % 4 : 4;
    switch (mode) {
    case 0: second[k] = (ots_row){k + 1, ev - SEC, base + SEC, 1000 + k}; break; /* older event: loses */
    case 1: second[k] = (ots_row){k + 1, ev + SEC, base - SEC, 1000 + k}; break; /* newer event: wins */
    case 2: second[k] = (ots_row){k + 1, ev, base + 1000, 1000 + k}; break;      /* tie, later created (ms column): wins */
    case 3: second[k] = (ots_row){k + 1, ev, base - 1000, 1000 + k}; break;      /* tie, earlier created: loses */
    default: second[k] = (ots_row){k + 1, ev, base, 1000 + k}; break;            /* a new key */
    }
    bool wins = mode == 1 || mode == 2 || mode == 4;
    want[k] = wins ? 1000 + k : k;
    n_written += wins;
  }
  feast_ingest_options o = {project};
  feast_ingest_summary sum;
  memset(&sum, 0, sizeof sum);
  feast_batch *b = ots_batch(first, OLD);
  CHECK_OK(feast_ingest_batch(s, &t, &e, 1, b, &o, &sum, &err), &err);
  CHECK_INT(sum.written, OLD);
  feast_batch_free(b);
  memset(&sum, 0, sizeof sum);
  b = ots_batch(second, ALL);
  CHECK_OK(feast_ingest_batch(s, &t, &e, 1, b, &o, &sum, &err), &err);
  CHECK_INT(sum.written, n_written);
  CHECK_INT(sum.skipped_older, ALL - n_written);
  feast_batch_free(b);
  static char qbuf[ALL][32];
  const char *q[ALL];
  char *trips = malloc(ALL * 8 + 64);
  size_t at = (size_t)sprintf(trips, "{\"values\":[");
  for (int k = 0; k < ALL; k++) {
    snprintf(qbuf[k], sizeof qbuf[k], "driver_id=%d", k + 1);
    q[k] = qbuf[k];
    at += (size_t)sprintf(trips + at, k ? ",%lld" : "%lld", (long long)want[k]);
  }
  sprintf(trips + at, "],\"statuses\":[");
  char *json = ots_read_json(s, project, &t, &e, q, ALL, base + 10 * SEC);
  CHECK(json != NULL);
  if (json) CHECK_CONTAINS(json, trips);
  free(json);
  free(trips);
  ots_specs_clear(&t, &e);
}

/* ---- positions ---- */

typedef struct seen_pos {
  int n;
  char names[8][32], values[8][64];
} seen_pos;

static feast_code collect_pos(void *ctx, const char *name, const char *value, feast_error *err) {
  (void)err;
  seen_pos *p = ctx;
  if (p->n < 8) {
    snprintf(p->names[p->n], sizeof p->names[0], "%s", name);
    snprintf(p->values[p->n], sizeof p->values[0], "%s", value);
  }
  p->n++;
  return FEAST_OK;
}

static const char *pos_of(const seen_pos *p, const char *name) {
  for (int i = 0; i < p->n && i < 8; i++)
    if (strcmp(p->names[i], name) == 0) return p->values[i];
  return NULL;
}

void ots_positions(feast_online_store *s, const char *scope_prefix) {
  feast_error err;
  char a[128], b[128];
  snprintf(a, sizeof a, "%s/a", scope_prefix);
  snprintf(b, sizeof b, "%s/b", scope_prefix);
  feast_online_position pa[] = {{"shard-0", "100"}, {"shard-1", "49590338271490256608559692538361571095921575989136588898"}};
  feast_online_positions ps = {a, 2, pa};
  CHECK_OK(s->ops->put_positions(s, &ps, &err), &err);
  feast_online_position pb[] = {{"shard-0", "7"}};
  feast_online_positions psb = {b, 1, pb};
  CHECK_OK(s->ops->put_positions(s, &psb, &err), &err);
  seen_pos got = {0};
  CHECK_OK(s->ops->get_positions(s, a, collect_pos, &got, &err), &err);
  CHECK_INT(got.n, 2);
  CHECK_STR(pos_of(&got, "shard-0"), "100");
  CHECK_STR(pos_of(&got, "shard-1"), pa[1].value);
  feast_online_position again[] = {{"shard-0", "101"}};
  ps = (feast_online_positions){a, 1, again};
  CHECK_OK(s->ops->put_positions(s, &ps, &err), &err);
  memset(&got, 0, sizeof got);
  CHECK_OK(s->ops->get_positions(s, a, collect_pos, &got, &err), &err);
  CHECK_INT(got.n, 2);
  CHECK_STR(pos_of(&got, "shard-0"), "101");
  memset(&got, 0, sizeof got);
  CHECK_OK(s->ops->get_positions(s, b, collect_pos, &got, &err), &err);
  CHECK_INT(got.n, 1);
  CHECK_STR(pos_of(&got, "shard-0"), "7");
  char none[128];
  snprintf(none, sizeof none, "%s/none", scope_prefix);
  memset(&got, 0, sizeof got);
  CHECK_OK(s->ops->get_positions(s, none, collect_pos, &got, &err), &err);
  CHECK_INT(got.n, 0);
}

/* ---- the step-wise engine ---- */

void ots_stepwise(feast_online_store *s, const char *project, feast_ts base) {
  feast_feature_table_spec t;
  feast_entity_spec e;
  feast_error err;
  ots_driver_table(&t, &e, "stepwise", 0);
  feast_ingest_options o = {0};
  o.project = project;
  feast_ingestion *in;
  CHECK_OK(feast_ingestion_begin(s, &t, &e, 1, &o, &in, &err), &err);
  ots_row r1[] = {{1, base, base, 10}, {2, base, base, 20}, {1, base + OTS_SEC, base, 11}};
  ots_row r2[] = {{1, base - OTS_SEC, base, 9}, {3, base, base, 30}};
  feast_batch *b = ots_batch(r1, 3);
  CHECK_OK(feast_ingestion_feed(in, b, &err), &err);
  feast_batch_free(b);
  CHECK_INT(feast_ingestion_pending(in), 2);
  const char *rows[] = {"driver_id=1", "driver_id=2", "driver_id=3"};
  char *json = ots_read_json(s, project, &t, &e, rows, 3, base + 10 * OTS_SEC);
  CHECK_CONTAINS(json, "\"NOT_FOUND\",\"NOT_FOUND\",\"NOT_FOUND\""); /* nothing durable before the flush */
  free(json);
  CHECK_OK(feast_ingestion_flush(in, &err), &err);
  CHECK_INT(feast_ingestion_pending(in), 0);
  CHECK_INT(feast_ingestion_summary(in)->written, 2);
  b = ots_batch(r2, 2);
  CHECK_OK(feast_ingestion_feed(in, b, &err), &err);
  feast_batch_free(b);
  CHECK_OK(feast_ingestion_flush(in, &err), &err);
  const feast_ingest_summary *sum = feast_ingestion_summary(in);
  CHECK_INT(sum->read, 5);
  CHECK_INT(sum->written, 3);
  CHECK_INT(sum->skipped_older, 2); /* one in the first batch, one against the store */
  json = ots_read_json(s, project, &t, &e, rows, 3, base + 10 * OTS_SEC);
  CHECK_CONTAINS(json, "\"values\":[11,20,30]");
  free(json);
  feast_ingestion_free(in);
  ots_specs_clear(&t, &e);
}
