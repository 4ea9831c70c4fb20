/*
 * writer_column.c - builds one column chunk: definition/repetition levels
 * and values go into the current page's buffers straight from the
 * feast_array buffers; a page is cut at a row boundary once it passes the
 * data page size, encoded (RLE hybrid levels, PLAIN or RLE_DICTIONARY
 * values), compressed and kept in memory until the row group is written,
 * because the dictionary page has to precede the data pages in the file.
 *
 * Dictionary encoding starts on for every non-boolean column. It is
 * dropped after the first page when most values were distinct (the page is
 * re-encoded as PLAIN, so no dictionary is written), and dropped for the
 * rest of the chunk once the dictionary passes its size limit (earlier
 * pages keep their indices; later pages are PLAIN), as parquet-cpp does.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "format/parquet/codec.h"
#include "format/parquet/parquet_format.h"
#include "format/parquet/writer_internal.h"

#define SCALAR_STEP 4096 /* rows between page-size checks */
#define LIST_STEP 256

feast_code pq_write_all(int fd, const void *p, size_t n, const char *path, feast_error *err) {
  const uint8_t *b = p;
  while (n > 0) {
    ssize_t k = write(fd, b, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return feast_fail(err, FEAST_E_IO, "writing '%s': %s", path, strerror(errno));
    }
    b += k;
    n -= (size_t)k;
  }
  return FEAST_OK;
}

static bool dict_allowed(const pq_colw *c) { return !c->opts->no_dictionary && c->leaf.phys != PQ_BOOLEAN; }

feast_code pq_colw_init(pq_colw *c, const char *name, const feast_array *schema_col,
                        const feast_parquet_write_options *opts, feast_error *err) {
  memset(c, 0, sizeof *c);
  c->name = name;
  c->type = schema_col->type;
  c->is_list = schema_col->type.id == FEAST_DT_LIST;
  c->opts = opts;
  feast_buf *bufs[] = {&c->def, &c->rep, &c->values, &c->idx, &c->chunk, &c->page, &c->comp, &c->hdr};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) feast_buf_init(bufs[i], FEAST_BUF_UNLIMITED);
  pq_stats_init(&c->page_stats, PQ_ST_SIGNED);
  pq_stats_init(&c->chunk_stats, PQ_ST_SIGNED);
  pq_dict_init(&c->dict, 0);
  if (c->is_list && !schema_col->child)
    return feast_fail(err, FEAST_E_INVALID, "column '%s': list column without an element array", name);
  feast_dtype leaf = c->is_list ? schema_col->child->type : schema_col->type;
  feast_code rc = pq_leaf_for(name, leaf, &c->leaf, err);
  if (rc) return rc;
  c->page_stats.kind = c->chunk_stats.kind = c->leaf.stat;
  c->dict.byte_array = c->leaf.phys == PQ_BYTE_ARRAY;
  c->dict_on = dict_allowed(c);
  return FEAST_OK;
}

void pq_colw_free(pq_colw *c) {
  feast_buf *bufs[] = {&c->def, &c->rep, &c->values, &c->idx, &c->chunk, &c->page, &c->comp, &c->hdr};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) feast_buf_free(bufs[i]);
  pq_stats_free(&c->page_stats);
  pq_stats_free(&c->chunk_stats);
  pq_dict_free(&c->dict);
}

/* One value's plain bytes, to the dictionary or to the plain buffer. */
static inline feast_code emit(pq_colw *c, const void *p, size_t n, feast_error *err) {
  if (c->dict_on) {
    uint32_t ix;
    feast_code rc = pq_dict_insert(&c->dict, p, n, &ix, err);
    if (rc) return rc;
    return feast_buf_append(&c->idx, &ix, 4, err);
  }
  if (c->leaf.phys == PQ_BYTE_ARRAY) {
    uint8_t len4[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
    feast_code rc = feast_buf_append(&c->values, len4, 4, err);
    if (rc) return rc;
  }
  return feast_buf_append(&c->values, p, n, err);
}

/* Append the non-null values of a[start, start + n) to the page. */
static feast_code put_values(pq_colw *c, const feast_array *a, int64_t start, int64_t n, feast_error *err) {
  feast_code rc = FEAST_OK;
  pq_stats *st = &c->page_stats;
  const pq_leaf *l = &c->leaf;
  int64_t end = start + n, count = 0;
  switch (l->phys) {
  case PQ_BOOLEAN:
    for (int64_t i = start; i < end; i++) {
      if (!feast_array_is_valid(a, i)) continue;
      bool v = feast_bit_get(a->values, i);
      pq_stats_int(st, v);
      if ((c->bool_bits & 7) == 0 && (rc = feast_buf_append_byte(&c->values, 0, err))) return rc;
      if (v) c->values.data[c->values.len - 1] |= (uint8_t)(1u << (c->bool_bits & 7));
      c->bool_bits++;
      count++;
    }
    break;
  case PQ_INT32:
    if (!c->dict_on && (rc = feast_buf_reserve(&c->values, (size_t)n * 4, err))) return rc;
    for (int64_t i = start; i < end; i++) {
      if (!feast_array_is_valid(a, i)) continue;
      int64_t v = (int64_t)((uint64_t)feast_array_get_int(a, i) * (uint64_t)l->scale);
      int32_t x = (int32_t)v;
      if (l->stat == PQ_ST_UNSIGNED)
        pq_stats_uint(st, (uint32_t)x);
      else
        pq_stats_int(st, x);
      if ((rc = emit(c, &x, 4, err))) return rc;
      count++;
    }
    break;
  case PQ_INT64:
    if (!c->dict_on && (rc = feast_buf_reserve(&c->values, (size_t)n * 8, err))) return rc;
    for (int64_t i = start; i < end; i++) {
      if (!feast_array_is_valid(a, i)) continue;
      int64_t x = (int64_t)((uint64_t)((const int64_t *)a->values)[i] * (uint64_t)l->scale);
      if (l->stat == PQ_ST_UNSIGNED)
        pq_stats_uint(st, (uint64_t)x);
      else
        pq_stats_int(st, x);
      if ((rc = emit(c, &x, 8, err))) return rc;
      count++;
    }
    break;
  case PQ_FLOAT:
    for (int64_t i = start; i < end; i++) {
      if (!feast_array_is_valid(a, i)) continue;
      float x = ((const float *)a->values)[i];
      pq_stats_double(st, x);
      if ((rc = emit(c, &x, 4, err))) return rc;
      count++;
    }
    break;
  case PQ_DOUBLE:
    for (int64_t i = start; i < end; i++) {
      if (!feast_array_is_valid(a, i)) continue;
      double x = ((const double *)a->values)[i];
      pq_stats_double(st, x);
      if ((rc = emit(c, &x, 8, err))) return rc;
      count++;
    }
    break;
  case PQ_BYTE_ARRAY:
    for (int64_t i = start; i < end; i++) {
      if (!feast_array_is_valid(a, i)) continue;
      size_t len = (size_t)(a->offsets[i + 1] - a->offsets[i]);
      const uint8_t *p = a->data + a->offsets[i];
      if ((rc = pq_stats_bytes(st, p, len, err)) || (rc = emit(c, p, len, err))) return rc;
      count++;
    }
    break;
  case PQ_FIXED_LEN_BYTE_ARRAY:
    for (int64_t i = start; i < end; i++) {
      if (!feast_array_is_valid(a, i)) continue;
      if (l->stat == PQ_ST_DECIMAL) {
        /* 16 bytes little-endian -> the low type_length bytes, big-endian. */
        const uint8_t *src = (const uint8_t *)a->values + i * 16;
        uint8_t be[16];
        for (int k = 0; k < l->type_length; k++) be[k] = src[l->type_length - 1 - k];
        if ((rc = pq_stats_bytes(st, be, (size_t)l->type_length, err)) ||
            (rc = emit(c, be, (size_t)l->type_length, err)))
          return rc;
      } else if (l->stat == PQ_ST_FLOAT16) {
        uint16_t h = ((const uint16_t *)a->values)[i];
        pq_stats_half(st, h);
        if ((rc = emit(c, &h, 2, err))) return rc;
      } else {
        const uint8_t *p = (const uint8_t *)a->values + i * l->type_length;
        if ((rc = pq_stats_bytes(st, p, (size_t)l->type_length, err)) ||
            (rc = emit(c, p, (size_t)l->type_length, err)))
          return rc;
      }
      count++;
    }
    break;
  }
  c->page_values += count;
  return FEAST_OK;
}

static feast_code check_dictionary(pq_colw *c, feast_error *err);

static size_t page_estimate(const pq_colw *c) { return c->values.len + c->idx.len / 2 + c->def.len / 4; }

static feast_code append_scalar(pq_colw *c, const feast_array *a, int64_t start, int64_t n, feast_error *err) {
  feast_code rc;
  for (int64_t r0 = start; r0 < start + n; r0 += SCALAR_STEP) {
    int64_t m = start + n - r0 < SCALAR_STEP ? start + n - r0 : SCALAR_STEP;
    if ((rc = feast_buf_reserve(&c->def, (size_t)m, err))) return rc;
    uint8_t *d = c->def.data + c->def.len;
    int64_t nulls = 0;
    if (!a->validity) {
      memset(d, 1, (size_t)m);
    } else {
      for (int64_t k = 0; k < m; k++) {
        d[k] = (uint8_t)feast_bit_get(a->validity, r0 + k);
        nulls += !d[k];
      }
    }
    c->def.len += (size_t)m;
    if ((rc = put_values(c, a, r0, m, err))) return rc;
    c->page_entries += m;
    c->page_rows += m;
    c->page_nulls += nulls;
    c->page_stats.null_count += nulls;
    if (c->page_values >= SCALAR_STEP && (rc = check_dictionary(c, err))) return rc;
    if ((int64_t)page_estimate(c) >= c->opts->data_page_size && (rc = pq_colw_flush_page(c, err))) return rc;
  }
  return FEAST_OK;
}

static feast_code level(pq_colw *c, uint8_t def, uint8_t rep, feast_error *err) {
  feast_code rc = feast_buf_append_byte(&c->def, def, err);
  if (!rc) rc = feast_buf_append_byte(&c->rep, rep, err);
  c->page_entries++;
  if (def < 3) {
    c->page_nulls++;
    c->page_stats.null_count++;
  }
  return rc;
}

static feast_code append_list(pq_colw *c, const feast_array *a, int64_t start, int64_t n, feast_error *err) {
  feast_code rc;
  const feast_array *ch = a->child;
  for (int64_t r0 = start; r0 < start + n; r0 += LIST_STEP) {
    int64_t r1 = start + n - r0 < LIST_STEP ? start + n : r0 + LIST_STEP;
    for (int64_t r = r0; r < r1; r++) {
      if (!feast_array_is_valid(a, r)) {
        if ((rc = level(c, 0, 0, err))) return rc;
        continue;
      }
      int32_t b = a->offsets[r], e = a->offsets[r + 1];
      if (b < 0 || e < b || e > ch->length)
        return feast_fail(err, FEAST_E_INVALID, "column '%s': row %lld has bad list offsets", c->name, (long long)r + 1);
      if (e == b) {
        if ((rc = level(c, 1, 0, err))) return rc;
        continue;
      }
      for (int32_t k = b; k < e; k++)
        if ((rc = level(c, feast_array_is_valid(ch, k) ? 3 : 2, k == b ? 0 : 1, err))) return rc;
      if ((rc = put_values(c, ch, b, e - b, err))) return rc;
    }
    c->page_rows += r1 - r0;
    if (c->page_values >= SCALAR_STEP && (rc = check_dictionary(c, err))) return rc;
    if ((int64_t)page_estimate(c) >= c->opts->data_page_size && (rc = pq_colw_flush_page(c, err))) return rc;
  }
  return FEAST_OK;
}

feast_code pq_colw_append(pq_colw *c, const feast_array *a, int64_t start, int64_t n, feast_error *err) {
  return c->is_list ? append_list(c, a, start, n, err) : append_scalar(c, a, start, n, err);
}

/* Replace the page's dictionary indices by the plain values they stand for. */
static feast_code undo_dictionary(pq_colw *c, feast_error *err) {
  const uint32_t *ix = (const uint32_t *)c->idx.data;
  size_t n = c->idx.len / 4;
  c->dict_on = false;
  feast_code rc = FEAST_OK;
  for (size_t i = 0; i < n && !rc; i++)
    rc = emit(c, c->dict.plain.data + c->dict.starts[ix[i]], c->dict.lens[ix[i]], err);
  feast_buf_reset(&c->idx);
  pq_dict_reset(&c->dict);
  return rc;
}

/* A dictionary pays when values repeat; mostly-distinct values cost the
 * dictionary plus the indices, so the chunk goes PLAIN. Decided once per
 * chunk, on the first few thousand values (or the first page). */
static feast_code check_dictionary(pq_colw *c, feast_error *err) {
  if (!c->dict_on || c->dict_checked) return FEAST_OK;
  c->dict_checked = true;
  if (c->page_values >= 16 && (int64_t)c->dict.count * 10 > c->page_values * 7) return undo_dictionary(c, err);
  return FEAST_OK;
}

/* RLE-hybrid levels; v1 pages prefix them with a 4-byte length. */
static feast_code put_levels(feast_buf *out, const feast_buf *lv, int max_level, bool prefix, size_t *len,
                             feast_error *err) {
  size_t at = out->len;
  feast_code rc;
  if (prefix && (rc = feast_buf_append(out, "\0\0\0\0", 4, err))) return rc;
  if ((rc = pq_rle_encode_u8(lv->data, lv->len, pq_bit_width((uint64_t)max_level), out, err))) return rc;
  size_t n = out->len - at - (prefix ? 4 : 0);
  if (prefix)
    for (int k = 0; k < 4; k++) out->data[at + (size_t)k] = (uint8_t)(n >> (8 * k));
  *len = n;
  return FEAST_OK;
}

feast_code pq_colw_flush_page(pq_colw *c, feast_error *err) {
  if (c->page_entries == 0) return FEAST_OK;
  feast_code rc;
  if ((rc = check_dictionary(c, err))) return rc;
  bool dict_page = c->dict_on && c->dict.count > 0;
  if (c->dict_on && !dict_page) {
    feast_buf_reset(&c->idx); /* every value was null: nothing to index */
  }
  bool v2 = c->opts->data_page_version == 2;
  int max_def = c->is_list ? 3 : 1;
  feast_buf *pg = &c->page;
  feast_buf_reset(pg);
  size_t rep_len = 0, def_len = 0;
  if (c->is_list && (rc = put_levels(pg, &c->rep, 1, !v2, &rep_len, err))) return rc;
  if ((rc = put_levels(pg, &c->def, max_def, !v2, &def_len, err))) return rc;
  size_t levels_end = pg->len;
  if (dict_page) {
    int bw = pq_bit_width(c->dict.count - 1);
    if (bw == 0) bw = 1;
    if ((rc = feast_buf_append_byte(pg, (uint8_t)bw, err))) return rc;
    if ((rc = pq_rle_encode_u32((const uint32_t *)c->idx.data, c->idx.len / 4, bw, pg, err))) return rc;
  } else if ((rc = feast_buf_append(pg, c->values.data, c->values.len, err))) {
    return rc;
  }
  feast_buf_reset(&c->comp);
  int codec = (int)c->opts->codec;
  if (v2) {
    if ((rc = feast_buf_append(&c->comp, pg->data, levels_end, err))) return rc;
    if ((rc = pq_compress(codec, c->opts->compression_level, pg->data + levels_end, pg->len - levels_end, &c->comp,
                          err)))
      return rc;
  } else if ((rc = pq_compress(codec, c->opts->compression_level, pg->data, pg->len, &c->comp, err))) {
    return rc;
  }
  if (pg->len > INT32_MAX || c->comp.len > INT32_MAX)
    return feast_fail(err, FEAST_E_TOO_BIG, "column '%s': a data page exceeds 2 GiB", c->name);
  /* PageHeader */
  feast_buf_reset(&c->hdr);
  tw w;
  tw_init(&w, &c->hdr, err);
  tw_struct_begin(&w);
  tw_field_i32(&w, 1, v2 ? PQ_DATA_PAGE_V2 : PQ_DATA_PAGE);
  tw_field_i32(&w, 2, (int32_t)pg->len);
  tw_field_i32(&w, 3, (int32_t)c->comp.len);
  int enc = dict_page ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN;
  if (!v2) {
    tw_field_struct_begin(&w, 5);
    tw_field_i32(&w, 1, (int32_t)c->page_entries);
    tw_field_i32(&w, 2, enc);
    tw_field_i32(&w, 3, PQ_ENC_RLE);
    tw_field_i32(&w, 4, PQ_ENC_RLE);
    if (!c->opts->no_statistics) pq_stats_write(&w, 5, &c->page_stats, &c->leaf);
    tw_struct_end(&w);
  } else {
    tw_field_struct_begin(&w, 8);
    tw_field_i32(&w, 1, (int32_t)c->page_entries);
    tw_field_i32(&w, 2, (int32_t)c->page_nulls);
    tw_field_i32(&w, 3, (int32_t)c->page_rows);
    tw_field_i32(&w, 4, enc);
    tw_field_i32(&w, 5, (int32_t)def_len);
    tw_field_i32(&w, 6, (int32_t)rep_len);
    tw_field_bool(&w, 7, codec != PQ_CODEC_UNCOMPRESSED);
    if (!c->opts->no_statistics) pq_stats_write(&w, 8, &c->page_stats, &c->leaf);
    tw_struct_end(&w);
  }
  tw_struct_end(&w);
  if ((rc = tw_finish(&w))) return rc;
  if ((rc = feast_buf_append(&c->chunk, c->hdr.data, c->hdr.len, err)) ||
      (rc = feast_buf_append(&c->chunk, c->comp.data, c->comp.len, err)))
    return rc;
  c->chunk_uncompressed += (int64_t)(c->hdr.len + pg->len);
  c->chunk_entries += c->page_entries;
  if (dict_page)
    c->used_dict = c->dict_used = true;
  else
    c->used_plain = true;
  if ((rc = pq_stats_merge(&c->chunk_stats, &c->page_stats, err))) return rc;
  pq_stats_reset(&c->page_stats);
  feast_buf_reset(&c->def);
  feast_buf_reset(&c->rep);
  feast_buf_reset(&c->values);
  feast_buf_reset(&c->idx);
  c->page_entries = c->page_rows = c->page_nulls = c->page_values = c->bool_bits = 0;
  int64_t limit = c->opts->dictionary_page_limit;
  if (c->dict_on && (int64_t)c->dict.plain.len > limit) c->dict_on = false; /* PLAIN from here on */
  return FEAST_OK;
}

feast_code pq_colw_finish_chunk(pq_colw *c, int fd, const char *path, int64_t *pos, feast_buf *meta,
                                int64_t *chunk_bytes, int64_t *chunk_uncompressed, feast_error *err) {
  feast_code rc = pq_colw_flush_page(c, err);
  if (rc) return rc;
  int64_t start = *pos, total_comp = 0, total_unc = 0, dict_off = -1;
  int codec = (int)c->opts->codec;
  tw w;
  if (c->dict_used) {
    feast_buf_reset(&c->comp);
    if ((rc = pq_compress(codec, c->opts->compression_level, c->dict.plain.data, c->dict.plain.len, &c->comp, err)))
      return rc;
    if (c->dict.plain.len > INT32_MAX || c->comp.len > INT32_MAX)
      return feast_fail(err, FEAST_E_TOO_BIG, "column '%s': dictionary page exceeds 2 GiB", c->name);
    feast_buf_reset(&c->hdr);
    tw_init(&w, &c->hdr, err);
    tw_struct_begin(&w);
    tw_field_i32(&w, 1, PQ_DICTIONARY_PAGE);
    tw_field_i32(&w, 2, (int32_t)c->dict.plain.len);
    tw_field_i32(&w, 3, (int32_t)c->comp.len);
    tw_field_struct_begin(&w, 7);
    tw_field_i32(&w, 1, (int32_t)c->dict.count);
    tw_field_i32(&w, 2, PQ_ENC_PLAIN);
    tw_struct_end(&w);
    tw_struct_end(&w);
    if ((rc = tw_finish(&w))) return rc;
    if ((rc = pq_write_all(fd, c->hdr.data, c->hdr.len, path, err)) ||
        (rc = pq_write_all(fd, c->comp.data, c->comp.len, path, err)))
      return rc;
    dict_off = start;
    total_comp += (int64_t)(c->hdr.len + c->comp.len);
    total_unc += (int64_t)(c->hdr.len + c->dict.plain.len);
  }
  int64_t data_off = start + total_comp;
  if ((rc = pq_write_all(fd, c->chunk.data, c->chunk.len, path, err))) return rc;
  total_comp += (int64_t)c->chunk.len;
  total_unc += c->chunk_uncompressed;
  *pos = start + total_comp;
  *chunk_bytes = total_comp;
  *chunk_uncompressed = total_unc;

  /* ColumnChunk { 2: file_offset, 3: ColumnMetaData } */
  tw_init(&w, meta, err);
  tw_struct_begin(&w);
  tw_field_i64(&w, 2, start);
  tw_field_struct_begin(&w, 3);
  tw_field_i32(&w, 1, c->leaf.phys);
  int encs[3], ne = 0;
  if (c->used_plain || c->dict_used) encs[ne++] = PQ_ENC_PLAIN;
  encs[ne++] = PQ_ENC_RLE;
  if (c->used_dict) encs[ne++] = PQ_ENC_RLE_DICTIONARY;
  tw_field_list_begin(&w, 2, TW_I32, ne);
  for (int i = 0; i < ne; i++) tw_elem_i32(&w, encs[i]);
  tw_field_list_begin(&w, 3, TW_BINARY, c->is_list ? 3 : 1);
  tw_elem_string(&w, c->name);
  if (c->is_list) {
    tw_elem_string(&w, "list");
    tw_elem_string(&w, "element");
  }
  tw_field_i32(&w, 4, codec);
  tw_field_i64(&w, 5, c->chunk_entries);
  tw_field_i64(&w, 6, total_unc);
  tw_field_i64(&w, 7, total_comp);
  tw_field_i64(&w, 9, data_off);
  if (dict_off >= 0) tw_field_i64(&w, 11, dict_off);
  if (!c->opts->no_statistics) pq_stats_write(&w, 12, &c->chunk_stats, &c->leaf);
  tw_struct_end(&w);
  tw_struct_end(&w);
  if ((rc = tw_finish(&w))) return rc;

  /* Ready for the next row group. */
  feast_buf_reset(&c->chunk);
  pq_stats_reset(&c->chunk_stats);
  pq_dict_reset(&c->dict);
  c->chunk_uncompressed = c->chunk_entries = 0;
  c->used_plain = c->used_dict = c->dict_used = c->dict_checked = false;
  c->dict_on = dict_allowed(c);
  return FEAST_OK;
}
