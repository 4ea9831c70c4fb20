/*
 * metadata.c - decodes FileMetaData (schema, row groups, column chunks,
 * statistics, key-value metadata, logical types) and page headers from the
 * Thrift compact protocol. Unknown fields are skipped so newer writers'
 * additions do not break reading; counts are capped before allocation.
 */
#include "format/parquet/metadata.h"

#include <string.h>

#include "base/alloc.h"
#include "format/parquet/parquet_format.h"
#include "format/parquet/thrift_read.h"

#define MAX_SCHEMA 100000
#define MAX_ROW_GROUPS 1000000
#define MAX_COLUMNS 100000

typedef struct ctx {
  tc_reader r;
  feast_arena *arena;
  feast_code code;
  const char *what;
} ctx;

static void oom(ctx *c) {
  if (!c->code) c->code = FEAST_E_NOMEM;
  tc_fail(&c->r, "out of memory");
}

static const char *str(ctx *c) {
  uint32_t n;
  const uint8_t *s = tc_binary(&c->r, &n);
  if (c->r.bad) return NULL;
  char *d = feast_arena_strndup(c->arena, (const char *)s, n);
  if (!d) oom(c);
  return d;
}

static pq_bytes bytes(ctx *c) {
  pq_bytes b = {0};
  const uint8_t *src = tc_binary(&c->r, &b.len);
  if (c->r.bad) return b;
  /* the footer buffer is freed after parsing: keep a copy */
  uint8_t *d = feast_arena_alloc(c->arena, b.len ? b.len : 1);
  if (!d) {
    oom(c);
    return b;
  }
  if (b.len) memcpy(d, src, b.len);
  b.p = d;
  b.set = 1;
  return b;
}

static int64_t ival(ctx *c, tc_field *f) { return tc_int_field(&c->r, f); }

/* Skips every field of a struct (used for empty union members). */
static void skip_struct(ctx *c) { tc_skip(&c->r, TC_STRUCT); }

static void parse_time_unit(ctx *c, int *unit) {
  int16_t last;
  tc_field f;
  tc_struct_begin(&c->r, &last);
  while (tc_next_field(&c->r, &last, &f)) {
    if (f.type == TC_STRUCT && f.id >= 1 && f.id <= 3) {
      *unit = f.id - 1;
      skip_struct(c);
    } else {
      tc_skip(&c->r, f.type);
    }
  }
  tc_struct_end(&c->r);
}

static void parse_logical(ctx *c, pq_schema_elem *e) {
  int16_t last;
  tc_field f;
  tc_struct_begin(&c->r, &last);
  while (tc_next_field(&c->r, &last, &f)) {
    if (f.type != TC_STRUCT) {
      tc_skip(&c->r, f.type);
      continue;
    }
    e->logical = f.id;
    int16_t l2;
    tc_field g;
    switch (f.id) {
    case PQ_LT_DECIMAL:
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
    case PQ_LT_INTEGER:
      tc_struct_begin(&c->r, &l2);
      while (tc_next_field(&c->r, &l2, &g)) {
        if (f.id == PQ_LT_DECIMAL && g.id == 1) e->lt_scale = (int)ival(c, &g);
        else if (f.id == PQ_LT_DECIMAL && g.id == 2) e->lt_precision = (int)ival(c, &g);
        else if ((f.id == PQ_LT_TIME || f.id == PQ_LT_TIMESTAMP) && g.id == 1) e->lt_utc = g.bool_val;
        else if ((f.id == PQ_LT_TIME || f.id == PQ_LT_TIMESTAMP) && g.id == 2 && g.type == TC_STRUCT)
          parse_time_unit(c, &e->lt_unit);
        else if (f.id == PQ_LT_INTEGER && g.id == 1) e->lt_bit_width = (int)ival(c, &g);
        else if (f.id == PQ_LT_INTEGER && g.id == 2) e->lt_signed = g.bool_val;
        else tc_skip(&c->r, g.type);
      }
      tc_struct_end(&c->r);
      break;
    default:
      if (f.id > PQ_LT_FLOAT16 || f.id == 9) e->logical = -f.id; /* unknown member: remember, not fatal */
      skip_struct(c);
      break;
    }
  }
  tc_struct_end(&c->r);
}

static void parse_schema_elem(ctx *c, pq_schema_elem *e) {
  int16_t last;
  tc_field f;
  memset(e, 0, sizeof *e);
  e->type = -1;
  e->repetition = -1;
  e->converted = PQ_CT_NONE;
  e->name = "";
  tc_struct_begin(&c->r, &last);
  while (tc_next_field(&c->r, &last, &f)) {
    switch (f.id) {
    case 1: e->type = (int)ival(c, &f); break;
    case 2: e->type_length = (int)ival(c, &f); break;
    case 3: e->repetition = (int)ival(c, &f); break;
    case 4:
      if (f.type == TC_BINARY) e->name = str(c);
      else tc_skip(&c->r, f.type);
      break;
    case 5: e->num_children = (int)ival(c, &f); break;
    case 6: e->converted = (int)ival(c, &f); break;
    case 7: e->scale = (int)ival(c, &f); break;
    case 8: e->precision = (int)ival(c, &f); break;
    case 10:
      if (f.type == TC_STRUCT) parse_logical(c, e);
      else tc_skip(&c->r, f.type);
      break;
    default: tc_skip(&c->r, f.type); break;
    }
  }
  tc_struct_end(&c->r);
  if (!e->name) e->name = "";
}

static void parse_stats(ctx *c, pq_chunk_meta *m) {
  int16_t last;
  tc_field f;
  pq_bytes legacy_min = {0}, legacy_max = {0};
  tc_struct_begin(&c->r, &last);
  while (tc_next_field(&c->r, &last, &f)) {
    if (f.type == TC_BINARY && f.id == 1) legacy_max = bytes(c);
    else if (f.type == TC_BINARY && f.id == 2) legacy_min = bytes(c);
    else if (f.type == TC_BINARY && f.id == 5) m->max = bytes(c);
    else if (f.type == TC_BINARY && f.id == 6) m->min = bytes(c);
    else if (f.id == 3 && f.type == TC_I64) m->null_count = tc_i64(&c->r);
    else tc_skip(&c->r, f.type);
  }
  tc_struct_end(&c->r);
  if (!m->min.set && !m->max.set) {
    m->min = legacy_min;
    m->max = legacy_max;
  }
}

static void parse_column_meta(ctx *c, pq_chunk_meta *m) {
  int16_t last;
  tc_field f;
  tc_struct_begin(&c->r, &last);
  while (tc_next_field(&c->r, &last, &f)) {
    switch (f.id) {
    case 1: m->type = (int)ival(c, &f); break;
    case 3:
      if (f.type == TC_LIST) {
        int et;
        int32_t n = tc_list_begin(&c->r, &et);
        m->path_len = n;
        for (int32_t i = 0; i < n && !c->r.bad; i++) {
          if (et != TC_BINARY) {
            tc_fail(&c->r, "path_in_schema is not a list of strings");
            break;
          }
          const char *s = str(c);
          if (i == 0) m->path0 = s;
        }
      } else {
        tc_skip(&c->r, f.type);
      }
      break;
    case 4: m->codec = (int)ival(c, &f); break;
    case 5: m->num_values = ival(c, &f); break;
    case 6: m->total_uncompressed = ival(c, &f); break;
    case 7: m->total_compressed = ival(c, &f); break;
    case 9: m->data_page_offset = ival(c, &f); break;
    case 11: m->dict_page_offset = ival(c, &f); break;
    case 12:
      if (f.type == TC_STRUCT) parse_stats(c, m);
      else tc_skip(&c->r, f.type);
      break;
    default: tc_skip(&c->r, f.type); break;
    }
  }
  tc_struct_end(&c->r);
}

static void parse_column_chunk(ctx *c, pq_chunk_meta *m) {
  int16_t last;
  tc_field f;
  int have_meta = 0;
  memset(m, 0, sizeof *m);
  m->dict_page_offset = -1;
  m->null_count = -1;
  m->type = -1;
  tc_struct_begin(&c->r, &last);
  while (tc_next_field(&c->r, &last, &f)) {
    if (f.id == 3 && f.type == TC_STRUCT) {
      parse_column_meta(c, m);
      have_meta = 1;
    } else if (f.id == 2) {
      m->file_offset = ival(c, &f);
    } else if (f.id == 8 || f.id == 9) {
      c->what = "encrypted column";
      tc_skip(&c->r, f.type);
    } else {
      tc_skip(&c->r, f.type);
    }
  }
  tc_struct_end(&c->r);
  if (!have_meta && !c->r.bad && !c->what) c->what = "column chunk without metadata";
}

/* The header of a list field that must hold structs (at most `max`, 0 =
 * no limit) and room for its elements in the arena: returns the array
 * (NULL after a failure recorded in c) and sets *n. */
static void *struct_list(ctx *c, const char *what, int32_t max, size_t elem, int32_t *n) {
  int et;
  *n = tc_list_begin(&c->r, &et);
  if (max && *n > max) {
    c->code = FEAST_E_TOO_BIG;
    tc_fail(&c->r, what);
    return NULL;
  }
  if (et != TC_STRUCT && *n > 0) {
    tc_fail(&c->r, what);
    return NULL;
  }
  void *a = feast_arena_calloc(c->arena, elem * (size_t)(*n ? *n : 1));
  if (!a) oom(c);
  return a;
}

static void parse_row_group(ctx *c, pq_row_group *g) {
  int16_t last;
  tc_field f;
  memset(g, 0, sizeof *g);
  tc_struct_begin(&c->r, &last);
  while (tc_next_field(&c->r, &last, &f)) {
    if (f.id == 1 && f.type == TC_LIST) {
      int32_t n;
      g->columns = struct_list(c, "row group columns: too many, or not structs", MAX_COLUMNS, sizeof *g->columns, &n);
      if (!g->columns) break;
      g->ncolumns = n;
      for (int32_t i = 0; i < n && !c->r.bad; i++) parse_column_chunk(c, &g->columns[i]);
    } else if (f.id == 2) {
      g->total_byte_size = ival(c, &f);
    } else if (f.id == 3) {
      g->num_rows = ival(c, &f);
    } else {
      tc_skip(&c->r, f.type);
    }
  }
  tc_struct_end(&c->r);
}

static void parse_kv(ctx *c, pq_kv *kv) {
  int16_t last;
  tc_field f;
  kv->key = "";
  kv->value = NULL;
  tc_struct_begin(&c->r, &last);
  while (tc_next_field(&c->r, &last, &f)) {
    if (f.id == 1 && f.type == TC_BINARY) kv->key = str(c);
    else if (f.id == 2 && f.type == TC_BINARY) kv->value = str(c);
    else tc_skip(&c->r, f.type);
  }
  tc_struct_end(&c->r);
  if (!kv->key) kv->key = "";
}

feast_code pq_meta_parse(const uint8_t *p, size_t len, pq_meta **out, feast_error *err) {
  *out = NULL;
  pq_meta *m = feast_calloc(1, sizeof *m);
  if (!m) return feast_fail(err, FEAST_E_NOMEM, "out of memory reading the footer");
  m->arena = feast_arena_new(0);
  if (!m->arena) {
    feast_free(m);
    return feast_fail(err, FEAST_E_NOMEM, "out of memory reading the footer");
  }
  ctx c;
  memset(&c, 0, sizeof c);
  tc_init(&c.r, p, len);
  c.arena = m->arena;
  int16_t last;
  tc_field f;
  int have_schema = 0;
  tc_struct_begin(&c.r, &last);
  while (tc_next_field(&c.r, &last, &f)) {
    int32_t n;
    switch (f.id) {
    case 1: m->version = (int)ival(&c, &f); break;
    case 2:
      if (f.type != TC_LIST) {
        tc_skip(&c.r, f.type);
        break;
      }
      m->schema = struct_list(&c, "schema: too many elements, or not a list of structs", MAX_SCHEMA, sizeof *m->schema, &n);
      if (!m->schema) break;
      m->nschema = n;
      for (int32_t i = 0; i < n && !c.r.bad; i++) parse_schema_elem(&c, &m->schema[i]);
      have_schema = 1;
      break;
    case 3: m->num_rows = ival(&c, &f); break;
    case 4:
      if (f.type != TC_LIST) {
        tc_skip(&c.r, f.type);
        break;
      }
      m->row_groups = struct_list(&c, "row_groups: too many, or not a list of structs", MAX_ROW_GROUPS,
                                  sizeof *m->row_groups, &n);
      if (!m->row_groups) break;
      m->nrow_groups = n;
      for (int32_t i = 0; i < n && !c.r.bad; i++) parse_row_group(&c, &m->row_groups[i]);
      break;
    case 5:
      if (f.type != TC_LIST) {
        tc_skip(&c.r, f.type);
        break;
      }
      m->kv = struct_list(&c, "key_value_metadata is not a list of structs", 0, sizeof *m->kv, &n);
      if (!m->kv) break;
      m->nkv = n;
      for (int32_t i = 0; i < n && !c.r.bad; i++) parse_kv(&c, &m->kv[i]);
      break;
    case 6:
      if (f.type == TC_BINARY) m->created_by = str(&c);
      else tc_skip(&c.r, f.type);
      break;
    case 8:
      m->encrypted_footer_hint = 1;
      tc_skip(&c.r, f.type);
      break;
    default: tc_skip(&c.r, f.type); break;
    }
  }
  tc_struct_end(&c.r);
  if (c.r.bad || !have_schema || m->nschema < 1) {
    feast_code code = c.code ? c.code : FEAST_E_CORRUPT;
    const char *why = c.r.bad ? c.r.why : "no schema";
    pq_meta_free(m);
    return feast_fail(err, code, "footer metadata does not parse: %s", why ? why : "malformed");
  }
  if (c.what) {
    int enc = strstr(c.what, "encrypt") != NULL;
    pq_meta_free(m);
    return feast_fail(err, enc ? FEAST_E_UNSUPPORTED : FEAST_E_CORRUPT, "footer metadata: %s%s", c.what,
                      enc ? " (encrypted Parquet is not supported)" : "");
  }
  *out = m;
  return FEAST_OK;
}

void pq_meta_free(pq_meta *m) {
  if (!m) return;
  feast_arena_free(m->arena);
  feast_free(m);
}

static void parse_dph(tc_reader *r, pq_page_header *h, int v2) {
  int16_t last;
  tc_field f;
  h->has_data_header = 1;
  tc_struct_begin(r, &last);
  while (tc_next_field(r, &last, &f)) {
    if (f.type == TC_STRUCT || f.type == TC_LIST || f.type == TC_BINARY || f.type == TC_MAP) {
      tc_skip(r, f.type);
      continue;
    }
    if (f.type == TC_TRUE || f.type == TC_FALSE) {
      if (v2 && f.id == 7) h->is_compressed = f.bool_val;
      continue;
    }
    int64_t v = tc_int_field(r, &f);
    if (v < INT32_MIN || v > INT32_MAX) tc_fail(r, "page header value out of range");
    int32_t x = (int32_t)v;
    if (!v2) {
      switch (f.id) {
      case 1: h->num_values = x; break;
      case 2: h->encoding = x; break;
      case 3: h->def_encoding = x; break;
      case 4: h->rep_encoding = x; break;
      default: break;
      }
    } else {
      switch (f.id) {
      case 1: h->num_values = x; break;
      case 2: h->num_nulls = x; break;
      case 3: h->num_rows = x; break;
      case 4: h->encoding = x; break;
      case 5: h->def_len = x; break;
      case 6: h->rep_len = x; break;
      default: break;
      }
    }
  }
  tc_struct_end(r);
}

feast_code pq_page_header_parse(const uint8_t *p, size_t len, pq_page_header *h, size_t *hdr_len, feast_error *err) {
  tc_reader r;
  tc_init(&r, p, len);
  memset(h, 0, sizeof *h);
  h->type = -1;
  h->is_compressed = 1;
  int16_t last;
  tc_field f;
  tc_struct_begin(&r, &last);
  while (tc_next_field(&r, &last, &f)) {
    if (f.id >= 1 && f.id <= 3 && f.type != TC_STRUCT) {
      int64_t v = tc_int_field(&r, &f);
      if (v < INT32_MIN || v > INT32_MAX) tc_fail(&r, "page size out of range");
      if (f.id == 1) h->type = (int)v;
      else if (f.id == 2) h->uncompressed_size = (int32_t)v;
      else h->compressed_size = (int32_t)v;
    } else if (f.type == TC_STRUCT && (f.id == 5 || f.id == 7 || f.id == 8)) {
      parse_dph(&r, h, f.id == 8);
    } else {
      tc_skip(&r, f.type);
    }
  }
  tc_struct_end(&r);
  if (r.bad) return feast_fail(err, FEAST_E_CORRUPT, "page header does not parse: %s", r.why ? r.why : "malformed");
  if (h->uncompressed_size < 0 || h->compressed_size < 0 || h->num_values < 0 || h->def_len < 0 || h->rep_len < 0)
    return feast_fail(err, FEAST_E_CORRUPT, "page header has a negative size or count");
  *hdr_len = (size_t)(r.p - p);
  return FEAST_OK;
}
