/*
 * column.c - the column-chunk reader: walks the pages of one column chunk
 * (dictionary, data v1, data v2), decodes levels and values, and fills
 * feast_arrays a bounded number of rows at a time. Values are decoded
 * densely straight into the array's buffers and then spread backwards over
 * null slots, so the common no-null case is a memcpy or a dictionary gather.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "format/parquet/codec.h"
#include "format/parquet/encodings.h"
#include "format/parquet/parquet_format.h"
#include "format/parquet/reader.h"
#include "model/array_internal.h"

struct pq_colreader {
  const feast_parquet_file *f;
  const pq_column *c;
  const pq_chunk_meta *m;
  int pw; /* physical value width in bytes (BOOLEAN decoded as 1 byte) */
  /* Buffers below (chunk, dctx and every feast_buf) survive
   * pq_colreader_open on the next row group, so a worker reading row group
   * after row group reuses warm memory instead of faulting in fresh pages. */
  uint8_t *chunk;
  size_t chunk_cap;
  pq_dctx dctx;
  size_t chunk_len, pos;
  int64_t values_seen; /* level count of pages loaded so far */
  /* dictionary */
  int have_dict;
  int64_t dict_n;
  feast_buf dict_vals;  /* fixed: dict_n * pw bytes; bytes: copy of the page */
  feast_buf dict_offs;  /* bytes: uint32 offsets */
  /* current page */
  feast_buf page;       /* decompressed page */
  feast_buf defs, reps; /* uint32 levels */
  int64_t nlevels, lpos;
  int defs_full;        /* flat column, page without nulls: defs not decoded */
  int64_t nvalues, vpos; /* non-null values in the page, consumed */
  int enc;
  const uint8_t *vp, *vend; /* value bytes (PLAIN, BSS) */
  int bitpos;               /* PLAIN booleans */
  pq_rle rle;               /* dictionary indices or RLE booleans */
  int64_t *ints;            /* DELTA_BINARY_PACKED page values */
  pq_byte_arrays ba;        /* DELTA_* byte arrays */
  feast_buf ints_buf, offs_buf, data_buf;
  feast_buf scratch, idx;   /* conversion and index scratch */
  feast_buf pres, lev2;     /* presence flags, list element levels */
  int64_t rows_done;
  int64_t elems_done;       /* lists: elements handed out so far */
  int pending_row;          /* lists: a row is open (its end not yet seen) */
};

#define PQ_MAX_LEVELS_PER_PAGE (1 << 28)

static int phys_width(int phys, int type_length) {
  switch (phys) {
  case PQ_BOOLEAN: return 1;
  case PQ_INT32:
  case PQ_FLOAT: return 4;
  case PQ_INT64:
  case PQ_DOUBLE: return 8;
  case PQ_INT96: return 12;
  case PQ_FIXED_LEN_BYTE_ARRAY: return type_length;
  default: return 0;
  }
}

void pq_colreader_free(pq_colreader *cr) {
  if (!cr) return;
  feast_free(cr->chunk);
  feast_buf_free(&cr->dict_vals);
  feast_buf_free(&cr->dict_offs);
  feast_buf_free(&cr->page);
  feast_buf_free(&cr->defs);
  feast_buf_free(&cr->reps);
  feast_buf_free(&cr->ints_buf);
  feast_buf_free(&cr->offs_buf);
  feast_buf_free(&cr->data_buf);
  feast_buf_free(&cr->scratch);
  feast_buf_free(&cr->idx);
  feast_buf_free(&cr->pres);
  feast_buf_free(&cr->lev2);
  pq_dctx_free(&cr->dctx);
  feast_free(cr);
}

feast_code pq_colreader_open(const feast_parquet_file *f, int rg, int col, pq_colreader **inout, feast_error *err) {
  uint64_t off;
  size_t len;
  uint8_t *buf;
  feast_code rc = pq_colreader_prepare(f, rg, col, inout, &off, &len, &buf, err);
  return rc ? rc : pq_read_at(f, off, len, buf, err);
}

feast_code pq_colreader_prepare(const feast_parquet_file *f, int rg, int col, pq_colreader **inout, uint64_t *off,
                                size_t *lenp, uint8_t **bufp, feast_error *err) {
  const pq_column *c = &f->cols[col];
  if (c->unsupported) return feast_fail(err, FEAST_E_UNSUPPORTED, "%s", c->why);
  const pq_row_group *g = &f->meta->row_groups[rg];
  if (c->leaf >= g->ncolumns)
    return feast_fail(err, FEAST_E_CORRUPT, "row group has %d column chunks, the schema needs %d", g->ncolumns,
                      f->nleaves);
  const pq_chunk_meta *m = &g->columns[c->leaf];
  if (m->type != c->phys)
    return feast_fail(err, FEAST_E_CORRUPT, "column chunk type %d differs from the schema's %d", m->type, c->phys);
  int64_t start = m->data_page_offset;
  if (m->dict_page_offset > 0 && m->dict_page_offset < start) start = m->dict_page_offset;
  int64_t len = m->total_compressed;
  if (start < 4 || len <= 0 || (uint64_t)start > f->size || (uint64_t)len > f->size - (uint64_t)start)
    return feast_fail(err, FEAST_E_CORRUPT, "column chunk at offset %lld with %lld bytes lies outside the file",
                      (long long)start, (long long)len);
  /* PARQUET-816: parquet-mr before 1.2.9 left the dictionary page header out
   * of total_compressed_size; read up to 100 bytes more, as Arrow does. */
  const char *cb = f->meta->created_by;
  if (cb && strncmp(cb, "parquet-mr", 10) == 0) {
    int a = 0, b = 0, c3 = 0;
    const char *v = strstr(cb, "version ");
    if (v) sscanf(v + 8, "%d.%d.%d", &a, &b, &c3);
    if (a < 1 || (a == 1 && (b < 2 || (b == 2 && c3 < 9)))) {
      uint64_t room = f->size - (uint64_t)start - (uint64_t)len;
      len += (int64_t)(room < 100 ? room : 100);
    }
  }
  if (len > f->opts.max_chunk_bytes)
    return feast_fail(err, FEAST_E_TOO_BIG, "column chunk of %lld bytes exceeds the limit of %lld", (long long)len,
                      (long long)f->opts.max_chunk_bytes);
  pq_colreader *cr = *inout;
  if (!cr) {
    cr = feast_calloc(1, sizeof *cr);
    if (!cr) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
    size_t cap = (size_t)f->opts.max_page_bytes;
    feast_buf *bufs[] = {&cr->dict_vals, &cr->dict_offs, &cr->page,    &cr->defs,    &cr->reps, &cr->ints_buf,
                         &cr->offs_buf,  &cr->data_buf,  &cr->scratch, &cr->idx,     &cr->pres, &cr->lev2};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) feast_buf_init(bufs[i], cap * 8);
    *inout = cr;
  } else {
    /* keep the buffers, reset the decoding state */
    pq_colreader keep = *cr;
    memset(cr, 0, sizeof *cr);
    cr->chunk = keep.chunk;
    cr->chunk_cap = keep.chunk_cap;
    cr->dctx = keep.dctx;
    cr->dict_vals = keep.dict_vals, cr->dict_offs = keep.dict_offs, cr->page = keep.page;
    cr->defs = keep.defs, cr->reps = keep.reps, cr->ints_buf = keep.ints_buf, cr->offs_buf = keep.offs_buf;
    cr->data_buf = keep.data_buf, cr->scratch = keep.scratch, cr->idx = keep.idx, cr->pres = keep.pres;
    cr->lev2 = keep.lev2;
    size_t cap = (size_t)f->opts.max_page_bytes;
    feast_buf *bufs[] = {&cr->dict_vals, &cr->dict_offs, &cr->page,    &cr->defs,    &cr->reps, &cr->ints_buf,
                         &cr->offs_buf,  &cr->data_buf,  &cr->scratch, &cr->idx,     &cr->pres, &cr->lev2};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) bufs[i]->max = cap * 8;
  }
  cr->f = f;
  cr->c = c;
  cr->m = m;
  cr->pw = phys_width(c->phys, c->type_length);
  if ((size_t)len > cr->chunk_cap) {
    /* grow without realloc's copy: the old contents are not needed */
    feast_free(cr->chunk);
    cr->chunk_cap = 0;
    cr->chunk = feast_malloc((size_t)len);
    if (!cr->chunk)
      return feast_fail(err, FEAST_E_NOMEM, "out of memory for a column chunk of %lld bytes", (long long)len);
    cr->chunk_cap = (size_t)len;
  }
  cr->chunk_len = (size_t)len;
  *off = (uint64_t)start;
  *lenp = (size_t)len;
  *bufp = cr->chunk;
  return FEAST_OK;
}

/* ---- UTF-8 ---- */

static int utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t v;
      memcpy(&v, s + i, 8);
      if (!(v & 0x8080808080808080ull)) {
        i += 8;
        continue;
      }
    }
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    int len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef) len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, cp = c & 0x07;
    else return 0;
    if (n - i < (size_t)len) return 0;
    for (int k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
      return 0;
    i += (size_t)len;
  }
  return 1;
}

static int check_utf8(const pq_colreader *cr) { return cr->c->elem.id == FEAST_DT_STRING; }

/* ---- pages ---- */

static feast_code load_dictionary(pq_colreader *cr, const uint8_t *p, size_t n, int32_t count, feast_error *err) {
  if (cr->have_dict) return feast_fail(err, FEAST_E_CORRUPT, "a second dictionary page");
  if (count < 0) return feast_fail(err, FEAST_E_CORRUPT, "dictionary page with %d values", count);
  cr->dict_n = count;
  feast_code rc;
  if (cr->c->phys == PQ_BYTE_ARRAY) {
    feast_buf_reset(&cr->dict_vals);
    feast_buf_reset(&cr->dict_offs);
    if ((rc = feast_buf_append(&cr->dict_vals, p, n, err))) return rc;
    if ((rc = feast_buf_reserve(&cr->dict_offs, ((size_t)count + 1) * 8, err))) return rc;
    uint32_t *o = (uint32_t *)cr->dict_offs.data; /* pairs: start, length */
    size_t q = 0;
    for (int32_t i = 0; i < count; i++) {
      uint32_t l;
      if (n - q < 4) return feast_fail(err, FEAST_E_CORRUPT, "dictionary page is truncated at entry %d", i);
      memcpy(&l, p + q, 4);
      q += 4;
      if (l > n - q) return feast_fail(err, FEAST_E_CORRUPT, "dictionary entry %d runs past the page", i);
      if (check_utf8(cr) && !utf8_valid(p + q, l))
        return feast_fail(err, FEAST_E_CORRUPT, "invalid UTF-8 in dictionary entry %d", i);
      o[2 * i] = (uint32_t)q;
      o[2 * i + 1] = l;
      q += l;
    }
  } else {
    int pw = cr->pw;
    if (cr->c->phys == PQ_BOOLEAN) return feast_fail(err, FEAST_E_CORRUPT, "dictionary page for a BOOLEAN column");
    if ((uint64_t)count * (uint64_t)pw > n)
      return feast_fail(err, FEAST_E_CORRUPT, "dictionary page holds %zu bytes, %d values need %llu", n, count,
                        (unsigned long long)count * (unsigned long long)pw);
    feast_buf_reset(&cr->dict_vals);
    if ((rc = feast_buf_append(&cr->dict_vals, p, (size_t)count * (size_t)pw, err))) return rc;
  }
  cr->have_dict = 1;
  return FEAST_OK;
}

static int bit_width_of(int v) {
  int w = 0;
  while (v) {
    w++;
    v >>= 1;
  }
  return w;
}

/* Decode `n` levels into buf; v1 pages carry a 4-byte length before RLE levels. */
static feast_code decode_levels(const uint8_t **pp, const uint8_t *end, int enc, int max,
                                int v2_len, int64_t n, feast_buf *buf, const char *what, feast_error *err) {
  feast_buf_reset(buf);
  feast_code rc = feast_buf_reserve(buf, (size_t)n * 4, err);
  if (rc) return rc;
  uint32_t *out = (uint32_t *)buf->data;
  int w = bit_width_of(max);
  const uint8_t *p = *pp;
  size_t len;
  if (v2_len >= 0) {
    len = (size_t)v2_len;
    if (len > (size_t)(end - p)) return feast_fail(err, FEAST_E_CORRUPT, "%s levels run past the page", what);
    enc = PQ_ENC_RLE;
  } else if (enc == PQ_ENC_BIT_PACKED) {
    len = (size_t)(((uint64_t)n * (uint64_t)w + 7) / 8);
    if (len > (size_t)(end - p)) return feast_fail(err, FEAST_E_CORRUPT, "%s levels run past the page", what);
    if (!pq_bitpacked_msb(p, len, w, out, n))
      return feast_fail(err, FEAST_E_CORRUPT, "%s levels are truncated", what);
    *pp = p + len;
    goto check;
  } else {
    if (end - p < 4) return feast_fail(err, FEAST_E_CORRUPT, "%s levels length is truncated", what);
    uint32_t l;
    memcpy(&l, p, 4);
    p += 4;
    if (l > (size_t)(end - p)) return feast_fail(err, FEAST_E_CORRUPT, "%s levels run past the page", what);
    len = l;
    if (enc != PQ_ENC_RLE)
      return feast_fail(err, FEAST_E_UNSUPPORTED, "%s level encoding %d is not supported", what, enc);
  }
  pq_rle r;
  pq_rle_init(&r, p, len, w);
  if (pq_rle_get(&r, out, n) != n)
    return feast_fail(err, FEAST_E_CORRUPT, "%s levels hold fewer than the page's %lld values", what, (long long)n);
  *pp = p + len;
check:
  if (((uint64_t)1 << w) - 1 <= (uint64_t)max) return FEAST_OK; /* no w-bit value can exceed max */
  for (int64_t i = 0; i < n; i++)
    if (out[i] > (uint32_t)max)
      return feast_fail(err, FEAST_E_CORRUPT, "%s level %u exceeds the maximum %d", what, out[i], max);
  return FEAST_OK;
}

/* 1 when a flat column's definition levels for n values are one RLE run of
 * `max` (no nulls on the page, the common case), in which case *pp moves past
 * them and nothing is decoded; 0 to take the general path. */
static int levels_all_max(const uint8_t **pp, const uint8_t *end, int enc, int max, int v2_len, int64_t n) {
  const uint8_t *p = *pp;
  size_t len;
  if (v2_len >= 0) {
    len = (size_t)v2_len;
  } else {
    if (enc != PQ_ENC_RLE || end - p < 4) return 0;
    uint32_t l;
    memcpy(&l, p, 4);
    p += 4;
    len = l;
  }
  if (len > (size_t)(end - p)) return 0;
  const uint8_t *q = p, *qe = p + len;
  uint64_t h = 0;
  int shift = 0;
  for (;;) {
    if (q >= qe || shift > 56) return 0;
    uint8_t b = *q++;
    h |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  if ((h & 1) || (h >> 1) < (uint64_t)n) return 0;
  int nbytes = (bit_width_of(max) + 7) / 8;
  if (qe - q < nbytes) return 0;
  uint32_t v = 0;
  for (int i = 0; i < nbytes; i++) v |= (uint32_t)q[i] << (8 * i);
  if (v != (uint32_t)max) return 0;
  *pp = p + len;
  return 1;
}

static feast_code init_values(pq_colreader *cr, const uint8_t *p, const uint8_t *end, int enc, feast_error *err) {
  cr->enc = enc;
  cr->vp = p;
  cr->vend = end;
  cr->bitpos = 0;
  int phys = cr->c->phys;
  size_t n = (size_t)(end - p);
  feast_code rc;
  size_t used;
  int64_t cnt;
  switch (enc) {
  case PQ_ENC_PLAIN: return FEAST_OK;
  case PQ_ENC_PLAIN_DICTIONARY:
  case PQ_ENC_RLE_DICTIONARY:
    if (!cr->have_dict) return feast_fail(err, FEAST_E_CORRUPT, "dictionary-encoded page without a dictionary page");
    if (cr->nvalues == 0) return FEAST_OK;
    if (n < 1 || p[0] > 32) return feast_fail(err, FEAST_E_CORRUPT, "dictionary index bit width is missing or > 32");
    pq_rle_init(&cr->rle, p + 1, n - 1, p[0]);
    cr->enc = PQ_ENC_RLE_DICTIONARY;
    return FEAST_OK;
  case PQ_ENC_RLE:
    if (phys != PQ_BOOLEAN) return feast_fail(err, FEAST_E_UNSUPPORTED, "RLE encoding for a non-BOOLEAN column");
    if (n < 4) return feast_fail(err, FEAST_E_CORRUPT, "RLE boolean length is truncated");
    {
      uint32_t l;
      memcpy(&l, p, 4);
      if (l > n - 4) return feast_fail(err, FEAST_E_CORRUPT, "RLE boolean data runs past the page");
      pq_rle_init(&cr->rle, p + 4, l, 1);
    }
    return FEAST_OK;
  case PQ_ENC_DELTA_BINARY_PACKED:
    if (phys != PQ_INT32 && phys != PQ_INT64)
      return feast_fail(err, FEAST_E_CORRUPT, "DELTA_BINARY_PACKED for a non-integer column");
    if ((rc = pq_delta_decode(p, n, cr->nvalues, &cr->ints_buf, &cr->ints, &cnt, &used, err))) return rc;
    if (cnt != cr->nvalues)
      return feast_fail(err, FEAST_E_CORRUPT, "DELTA_BINARY_PACKED holds %lld values, the page %lld", (long long)cnt,
                        (long long)cr->nvalues);
    return FEAST_OK;
  case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
  case PQ_ENC_DELTA_BYTE_ARRAY:
    if (phys != PQ_BYTE_ARRAY && !(enc == PQ_ENC_DELTA_BYTE_ARRAY && phys == PQ_FIXED_LEN_BYTE_ARRAY))
      return feast_fail(err, FEAST_E_CORRUPT, "delta byte-array encoding for a column of physical type %d", phys);
    feast_buf_reset(&cr->data_buf);
    rc = enc == PQ_ENC_DELTA_LENGTH_BYTE_ARRAY
             ? pq_delta_length_decode(p, n, cr->nvalues, &cr->ints_buf, &cr->offs_buf, &cr->ba, err)
             : pq_delta_byte_array_decode(p, n, cr->nvalues, &cr->ints_buf, &cr->offs_buf, &cr->data_buf, &cr->ba,
                                          err);
    if (rc) return rc;
    if (cr->ba.n != cr->nvalues)
      return feast_fail(err, FEAST_E_CORRUPT, "delta byte-array page holds %lld values, the page %lld",
                        (long long)cr->ba.n, (long long)cr->nvalues);
    if (phys == PQ_FIXED_LEN_BYTE_ARRAY)
      for (int64_t i = 0; i < cr->ba.n; i++)
        if (cr->ba.offsets[i + 1] - cr->ba.offsets[i] != (uint32_t)cr->pw)
          return feast_fail(err, FEAST_E_CORRUPT, "fixed-length value %lld has the wrong length", (long long)i);
    return FEAST_OK;
  case PQ_ENC_BYTE_STREAM_SPLIT:
    if (phys == PQ_BOOLEAN || phys == PQ_BYTE_ARRAY || phys == PQ_INT96)
      return feast_fail(err, FEAST_E_CORRUPT, "BYTE_STREAM_SPLIT for physical type %d", phys);
    if ((uint64_t)cr->nvalues * (uint64_t)cr->pw != n)
      return feast_fail(err, FEAST_E_CORRUPT, "BYTE_STREAM_SPLIT page holds %zu bytes for %lld values", n,
                        (long long)cr->nvalues);
    return FEAST_OK;
  default: return feast_fail(err, FEAST_E_UNSUPPORTED, "value encoding %d is not supported", enc);
  }
}

/* Loads the next data page (handling dictionary and index pages on the
 * way). *got = 0 at the end of the chunk. */
static feast_code next_page(pq_colreader *cr, int *got, feast_error *err) {
  *got = 0;
  const pq_column *c = cr->c;
  while (cr->values_seen < cr->m->num_values && cr->pos < cr->chunk_len) {
    pq_page_header h;
    size_t hl;
    feast_code rc = pq_page_header_parse(cr->chunk + cr->pos, cr->chunk_len - cr->pos, &h, &hl, err);
    if (rc) return feast_error_prefix(err, "page at chunk offset %zu: ", cr->pos);
    cr->pos += hl;
    if ((size_t)h.compressed_size > cr->chunk_len - cr->pos)
      return feast_fail(err, FEAST_E_CORRUPT, "page of %d bytes runs past the column chunk", h.compressed_size);
    const uint8_t *raw = cr->chunk + cr->pos;
    cr->pos += (size_t)h.compressed_size;
    if (h.type != PQ_DATA_PAGE && h.type != PQ_DATA_PAGE_V2 && h.type != PQ_DICTIONARY_PAGE) continue;
    if (h.uncompressed_size > cr->f->opts.max_page_bytes)
      return feast_fail(err, FEAST_E_TOO_BIG, "page of %d bytes exceeds the limit of %lld", h.uncompressed_size,
                        (long long)cr->f->opts.max_page_bytes);
    if (!h.has_data_header) return feast_fail(err, FEAST_E_CORRUPT, "page of type %d lacks its header", h.type);
    /* v2: levels are stored uncompressed ahead of the (maybe compressed) values. */
    size_t lev = 0;
    if (h.type == PQ_DATA_PAGE_V2) {
      lev = (size_t)h.def_len + (size_t)h.rep_len;
      if (lev > (size_t)h.compressed_size || lev > (size_t)h.uncompressed_size)
        return feast_fail(err, FEAST_E_CORRUPT, "v2 page levels (%zu bytes) exceed the page", lev);
    }
    feast_buf_reset(&cr->page);
    if ((rc = feast_buf_reserve(&cr->page, (size_t)h.uncompressed_size + 8, err))) return rc;
    uint8_t *pg = cr->page.data;
    if (lev) memcpy(pg, raw, lev);
    int compressed = cr->m->codec != PQ_CODEC_UNCOMPRESSED && (h.type != PQ_DATA_PAGE_V2 || h.is_compressed);
    size_t in_len = (size_t)h.compressed_size - lev, out_len = (size_t)h.uncompressed_size - lev;
    if (compressed && out_len == 0 && in_len <= 1) {
      /* empty pages from some writers hold a bare codec terminator */
    } else if (compressed) {
      if ((rc = pq_decompress(cr->m->codec, &cr->dctx, raw + lev, in_len, pg + lev, out_len, err))) return rc;
    } else {
      if (in_len != out_len)
        return feast_fail(err, FEAST_E_CORRUPT, "uncompressed page sizes differ (%zu vs %zu)", in_len, out_len);
      if (out_len) memcpy(pg + lev, raw + lev, out_len);
    }
    const uint8_t *p = pg, *end = pg + h.uncompressed_size;
    if (h.type == PQ_DICTIONARY_PAGE) {
      if (h.encoding != PQ_ENC_PLAIN && h.encoding != PQ_ENC_PLAIN_DICTIONARY)
        return feast_fail(err, FEAST_E_UNSUPPORTED, "dictionary page encoding %d", h.encoding);
      if ((rc = load_dictionary(cr, p, (size_t)h.uncompressed_size, h.num_values, err))) return rc;
      /* the page buffer is reused; the dictionary copied what it needs */
      continue;
    }
    int64_t n = h.num_values;
    if (n > PQ_MAX_LEVELS_PER_PAGE) return feast_fail(err, FEAST_E_TOO_BIG, "page with %lld values", (long long)n);
    if (n > cr->m->num_values - cr->values_seen)
      return feast_fail(err, FEAST_E_CORRUPT, "pages hold more values than the column chunk's %lld",
                        (long long)cr->m->num_values);
    int v2 = h.type == PQ_DATA_PAGE_V2;
    if (c->max_rep > 0 &&
        (rc = decode_levels(&p, end, h.rep_encoding, c->max_rep, v2 ? h.rep_len : -1, n, &cr->reps, "repetition",
                            err)))
      return rc;
    if (v2) p = pg + h.rep_len;
    cr->defs_full = c->max_def > 0 && c->max_rep == 0 &&
                    levels_all_max(&p, end, h.def_encoding, c->max_def, v2 ? h.def_len : -1, n);
    if (c->max_def > 0 && !cr->defs_full &&
        (rc = decode_levels(&p, end, h.def_encoding, c->max_def, v2 ? h.def_len : -1, n, &cr->defs, "definition",
                            err)))
      return rc;
    if (v2) p = pg + lev;
    int64_t nv = n;
    if (c->max_def > 0 && !cr->defs_full) {
      const uint32_t *d = (const uint32_t *)cr->defs.data;
      uint32_t md = (uint32_t)c->max_def;
      nv = 0;
      for (int64_t i = 0; i < n; i++) nv += d[i] == md;
    }
    if (c->max_rep > 0 && n > 0 && ((const uint32_t *)cr->reps.data)[0] != 0 && cr->values_seen == 0)
      return feast_fail(err, FEAST_E_CORRUPT, "the first value of a column chunk continues a row");
    cr->nlevels = n;
    cr->lpos = 0;
    cr->nvalues = nv;
    cr->vpos = 0;
    cr->values_seen += n;
    if ((rc = init_values(cr, p, end, h.encoding, err))) return rc;
    if (n == 0) continue;
    *got = 1;
    return FEAST_OK;
  }
  return FEAST_OK;
}

/* ---- dense value decoding ---- */

static feast_code short_page(const pq_colreader *cr, feast_error *err) {
  return feast_fail(err, FEAST_E_CORRUPT, "page values end early (%lld of %lld decoded)", (long long)cr->vpos,
                    (long long)cr->nvalues);
}

static feast_code get_indices(pq_colreader *cr, int64_t n, uint32_t **out, feast_error *err) {
  feast_buf_reset(&cr->idx);
  feast_code rc = feast_buf_reserve(&cr->idx, (size_t)n * 4, err);
  if (rc) return rc;
  uint32_t *ix = (uint32_t *)cr->idx.data;
  if (pq_rle_get(&cr->rle, ix, n) != n) return short_page(cr, err);
  uint32_t nd = (uint32_t)cr->dict_n;
  if (cr->rle.bit_width < 32 && ((uint64_t)1 << cr->rle.bit_width) <= (uint64_t)nd) {
    *out = ix; /* every index of this width is inside the dictionary */
    return FEAST_OK;
  }
  /* the largest index, with independent lanes so the loop pipelines */
  uint32_t m[8] = {0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) m[k] = ix[i + k] > m[k] ? ix[i + k] : m[k];
  for (; i < n; i++) m[0] = ix[i] > m[0] ? ix[i] : m[0];
  for (int k = 1; k < 8; k++) m[0] = m[k] > m[0] ? m[k] : m[0];
  if (n > 0 && m[0] >= nd) return feast_fail(err, FEAST_E_CORRUPT, "dictionary index out of range (dictionary has %u entries)", nd);
  *out = ix;
  return FEAST_OK;
}

/* n fixed-width physical values (BOOLEAN as bytes 0/1) into dst. */
static feast_code decode_fixed(pq_colreader *cr, int64_t n, uint8_t *dst, feast_error *err) {
  const int pw = cr->pw;
  if (n > cr->nvalues - cr->vpos) return short_page(cr, err);
  feast_code rc;
  switch (cr->enc) {
  case PQ_ENC_PLAIN:
    if (cr->c->phys == PQ_BOOLEAN) {
      int64_t bits = (int64_t)(cr->vend - cr->vp) * 8 - cr->bitpos;
      if (n > bits) return short_page(cr, err);
      for (int64_t i = 0; i < n; i++) {
        dst[i] = (cr->vp[cr->bitpos >> 3] >> (cr->bitpos & 7)) & 1;
        cr->bitpos++;
      }
      cr->vp += cr->bitpos >> 3;
      cr->bitpos &= 7;
      break;
    }
    if ((uint64_t)n * (uint64_t)pw > (uint64_t)(cr->vend - cr->vp)) return short_page(cr, err);
    memcpy(dst, cr->vp, (size_t)n * (size_t)pw);
    cr->vp += (size_t)n * (size_t)pw;
    break;
  case PQ_ENC_RLE: {
    uint32_t *tmp;
    feast_buf_reset(&cr->idx);
    if ((rc = feast_buf_reserve(&cr->idx, (size_t)n * 4, err))) return rc;
    tmp = (uint32_t *)cr->idx.data;
    if (pq_rle_get(&cr->rle, tmp, n) != n) return short_page(cr, err);
    for (int64_t i = 0; i < n; i++) dst[i] = (uint8_t)tmp[i];
    break;
  }
  case PQ_ENC_RLE_DICTIONARY: {
    uint32_t *ix;
    if ((rc = get_indices(cr, n, &ix, err))) return rc;
    const uint8_t *d = cr->dict_vals.data;
    if (pw == 4) {
      const uint32_t *d4 = (const uint32_t *)(const void *)d;
      uint32_t *o = (uint32_t *)(void *)dst;
      for (int64_t i = 0; i < n; i++) memcpy(o + i, d4 + ix[i], 4);
    } else if (pw == 8) {
      for (int64_t i = 0; i < n; i++) memcpy(dst + i * 8, d + (size_t)ix[i] * 8, 8);
    } else {
      for (int64_t i = 0; i < n; i++) memcpy(dst + i * pw, d + (size_t)ix[i] * (size_t)pw, (size_t)pw);
    }
    break;
  }
  case PQ_ENC_DELTA_BINARY_PACKED: {
    const int64_t *v = cr->ints + cr->vpos;
    if (pw == 4)
      for (int64_t i = 0; i < n; i++) {
        int32_t x = (int32_t)(uint32_t)(uint64_t)v[i];
        memcpy(dst + i * 4, &x, 4);
      }
    else
      memcpy(dst, v, (size_t)n * 8);
    break;
  }
  case PQ_ENC_DELTA_BYTE_ARRAY: /* FIXED_LEN_BYTE_ARRAY */
    for (int64_t i = 0; i < n; i++)
      memcpy(dst + i * pw, cr->ba.data + cr->ba.offsets[cr->vpos + i], (size_t)pw);
    break;
  case PQ_ENC_BYTE_STREAM_SPLIT: {
    const uint8_t *base = cr->vp;
    int64_t N = cr->nvalues;
    for (int k = 0; k < pw; k++) {
      const uint8_t *s = base + (size_t)k * (size_t)N + (size_t)cr->vpos;
      for (int64_t i = 0; i < n; i++) dst[i * pw + k] = s[i];
    }
    break;
  }
  default: return feast_fail(err, FEAST_E_CORRUPT, "encoding %d for a fixed-width column", cr->enc);
  }
  cr->vpos += n;
  return FEAST_OK;
}

/* n byte-array values appended densely to a (STRING/BINARY) at slots
 * [at, at + n): offsets[at] must already be set. */
static feast_code decode_bytes(pq_colreader *cr, int64_t n, feast_array *a, int64_t at, feast_error *err) {
  if (n > cr->nvalues - cr->vpos) return short_page(cr, err);
  feast_code rc;
  int32_t *off = a->offsets;
  int64_t start_len = a->data_len;
  uint64_t total = 0;
  switch (cr->enc) {
  case PQ_ENC_PLAIN: {
    const uint8_t *p = cr->vp, *end = cr->vend;
    for (int64_t i = 0; i < n; i++) {
      uint32_t l;
      if (end - p < 4) return short_page(cr, err);
      memcpy(&l, p, 4);
      if (l > (size_t)(end - p - 4)) return short_page(cr, err);
      p += 4 + l;
      total += l;
    }
    if ((rc = feast_array_reserve_uninit(a, 0, (int64_t)total, err))) return rc;
    off = a->offsets;
    p = cr->vp;
    uint8_t *d = a->data;
    int64_t pos = a->data_len;
    for (int64_t i = 0; i < n; i++) {
      uint32_t l;
      memcpy(&l, p, 4);
      memcpy(d + pos, p + 4, l);
      p += 4 + l;
      pos += l;
      off[at + i + 1] = (int32_t)pos;
    }
    cr->vp = p;
    a->data_len = pos;
    break;
  }
  case PQ_ENC_RLE_DICTIONARY: {
    uint32_t *ix;
    if ((rc = get_indices(cr, n, &ix, err))) return rc;
    const uint32_t *dofs = (const uint32_t *)cr->dict_offs.data;
    for (int64_t i = 0; i < n; i++) total += dofs[2 * ix[i] + 1];
    if ((rc = feast_array_reserve_uninit(a, 0, (int64_t)total, err))) return rc;
    off = a->offsets;
    uint8_t *d = a->data;
    const uint8_t *dv = cr->dict_vals.data;
    int64_t pos = a->data_len;
    for (int64_t i = 0; i < n; i++) {
      uint32_t s = dofs[2 * ix[i]], l = dofs[2 * ix[i] + 1];
      memcpy(d + pos, dv + s, l);
      pos += l;
      off[at + i + 1] = (int32_t)pos;
    }
    a->data_len = pos;
    cr->vpos += n;
    return FEAST_OK; /* dictionary entries were validated once */
  }
  case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
  case PQ_ENC_DELTA_BYTE_ARRAY: {
    const uint32_t *o = cr->ba.offsets + cr->vpos;
    total = o[n] - o[0];
    if ((rc = feast_array_reserve_uninit(a, 0, (int64_t)total, err))) return rc;
    off = a->offsets;
    memcpy(a->data + a->data_len, cr->ba.data + o[0], total);
    int64_t base = a->data_len - o[0];
    for (int64_t i = 0; i < n; i++) off[at + i + 1] = (int32_t)(base + o[i + 1]);
    a->data_len += (int64_t)total;
    break;
  }
  default: return feast_fail(err, FEAST_E_CORRUPT, "encoding %d for a BYTE_ARRAY column", cr->enc);
  }
  if (check_utf8(cr)) {
    for (int64_t i = 0; i < n; i++) {
      int32_t s = i == 0 ? (int32_t)start_len : off[at + i];
      if (!utf8_valid(a->data + s, (size_t)(off[at + i + 1] - s)))
        return feast_fail(err, FEAST_E_CORRUPT, "invalid UTF-8 in value %lld of a STRING column",
                          (long long)(cr->vpos + i));
    }
  }
  cr->vpos += n;
  return FEAST_OK;
}

static void be_to_dec128(const uint8_t *p, int len, uint8_t *out16) {
  uint8_t fill = len > 0 && (p[0] & 0x80) ? 0xff : 0;
  memset(out16, fill, 16);
  for (int i = 0; i < len && i < 16; i++) out16[i] = p[len - 1 - i];
}

/* n values of the column's element type, densely, into a's slots [at, at+n). */
static feast_code decode_dense(pq_colreader *cr, int64_t n, feast_array *a, int64_t at, feast_error *err) {
  if (n == 0) return FEAST_OK;
  const pq_column *c = cr->c;
  feast_code rc;
  int ow = feast_dtype_byte_width(a->type);
  switch (c->conv) {
  case PQ_CV_DIRECT: return decode_fixed(cr, n, (uint8_t *)a->values + at * ow, err);
  case PQ_CV_BYTES: return decode_bytes(cr, n, a, at, err);
  default: break;
  }
  if (c->conv == PQ_CV_DEC_BE && c->phys == PQ_BYTE_ARRAY) {
    feast_array tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.type = feast_dtype_make(FEAST_DT_BINARY);
    if ((rc = feast_array_reserve(&tmp, n, 0, err))) goto out_tmp;
    tmp.offsets[0] = 0;
    if ((rc = decode_bytes(cr, n, &tmp, 0, err))) goto out_tmp;
    for (int64_t i = 0; i < n; i++) {
      int l = tmp.offsets[i + 1] - tmp.offsets[i];
      if (l > 16) {
        rc = feast_fail(err, FEAST_E_UNSUPPORTED, "decimal value of %d bytes does not fit in 128 bits", l);
        goto out_tmp;
      }
      be_to_dec128(tmp.data + tmp.offsets[i], l, (uint8_t *)a->values + (at + i) * 16);
    }
  out_tmp:
    feast_free(tmp.offsets);
    feast_free(tmp.data);
    feast_free(tmp.values);
    feast_free(tmp.validity);
    return rc;
  }
  feast_buf_reset(&cr->scratch);
  if ((rc = feast_buf_reserve(&cr->scratch, (size_t)n * (size_t)cr->pw, err))) return rc;
  uint8_t *s = cr->scratch.data;
  if ((rc = decode_fixed(cr, n, s, err))) return rc;
  uint8_t *v = (uint8_t *)a->values;
  switch (c->conv) {
  case PQ_CV_BOOL:
    for (int64_t i = 0; i < n; i++) feast_bit_set(v, at + i, s[i]);
    break;
  case PQ_CV_I32_TO_I8:
    for (int64_t i = 0; i < n; i++) {
      int32_t x;
      memcpy(&x, s + i * 4, 4);
      ((int8_t *)v)[at + i] = (int8_t)x;
    }
    break;
  case PQ_CV_I32_TO_I16:
    for (int64_t i = 0; i < n; i++) {
      int32_t x;
      memcpy(&x, s + i * 4, 4);
      ((int16_t *)(void *)v)[at + i] = (int16_t)x;
    }
    break;
  case PQ_CV_INT96:
    for (int64_t i = 0; i < n; i++) {
      uint64_t nanos;
      uint32_t jd;
      memcpy(&nanos, s + i * 12, 8);
      memcpy(&jd, s + i * 12 + 8, 4);
      uint64_t t = ((uint64_t)(int64_t)((int64_t)jd - 2440588)) * UINT64_C(86400000000000) + nanos;
      int64_t ts = (int64_t)t;
      memcpy(v + (at + i) * 8, &ts, 8);
    }
    break;
  case PQ_CV_DEC_I32:
  case PQ_CV_DEC_I64:
    for (int64_t i = 0; i < n; i++) {
      int64_t x;
      if (c->conv == PQ_CV_DEC_I32) {
        int32_t y;
        memcpy(&y, s + i * 4, 4);
        x = y;
      } else {
        memcpy(&x, s + i * 8, 8);
      }
      uint8_t *o = v + (at + i) * 16;
      memcpy(o, &x, 8);
      memset(o + 8, x < 0 ? 0xff : 0, 8);
    }
    break;
  case PQ_CV_DEC_BE:
    if (cr->pw > 16) return feast_fail(err, FEAST_E_UNSUPPORTED, "decimal of %d bytes exceeds 128 bits", cr->pw);
    for (int64_t i = 0; i < n; i++) be_to_dec128(s + i * cr->pw, cr->pw, v + (at + i) * 16);
    break;
  default: return feast_fail(err, FEAST_E_INTERNAL, "unknown conversion %d", c->conv);
  }
  return FEAST_OK;
}

/* ---- spreading dense values over null slots ---- */

static feast_code ensure_validity(feast_array *a, int64_t valid_upto, feast_error *err) {
  if (a->validity) return FEAST_OK;
  size_t bytes = (size_t)(a->capacity + 7) / 8 + 1;
  a->validity = feast_malloc(bytes);
  if (!a->validity) return feast_fail(err, FEAST_E_NOMEM, "out of memory for a validity bitmap");
  memset(a->validity, 0, bytes);
  for (int64_t i = 0; i < valid_upto; i++) feast_bit_set(a->validity, i, 1);
  return FEAST_OK;
}

/* Slots [at, at+k) of `a` hold nv dense values at their start; present[i]
 * says whether slot at+i has a value. Moves values into place, backwards. */
static void spread(feast_array *a, int64_t at, int64_t k, int64_t nv, const uint8_t *present) {
  int id = a->type.id;
  if (id == FEAST_DT_STRING || id == FEAST_DT_BINARY) {
    int32_t *o = a->offsets + at; /* o[0] is fixed; dense ends are o[1..nv] */
    int64_t j = nv;
    for (int64_t i = k; i >= 1; i--) {
      /* slot i-1 ends at the end of the j-th dense value */
      o[i] = o[j];
      if (present[i - 1]) j--;
    }
    return;
  }
  if (id == FEAST_DT_BOOL) {
    uint8_t *v = a->values;
    int64_t j = nv;
    for (int64_t i = k - 1; i >= 0; i--) {
      if (present[i]) feast_bit_set(v, at + i, feast_bit_get(v, at + --j));
      else feast_bit_set(v, at + i, 0);
    }
    return;
  }
  int w = feast_dtype_byte_width(a->type);
  uint8_t *v = (uint8_t *)a->values + at * w;
  int64_t j = nv;
  for (int64_t i = k - 1; i >= 0 && j < i + 1; i--) {
    if (present[i]) {
      j--;
      if (j != i) memcpy(v + i * w, v + j * w, (size_t)w);
    } else {
      memset(v + i * w, 0, (size_t)w);
    }
  }
}

static void set_valid_range(feast_array *a, int64_t at, int64_t k, const uint8_t *present) {
  for (int64_t i = 0; i < k; i++) feast_bit_set(a->validity, at + i, present ? present[i] : 1);
}

/* Decode k slots of `a` starting at a->length whose definition levels are
 * defs[0..k): present when def == want; null otherwise. */
static feast_code fill_slots(pq_colreader *cr, feast_array *a, const uint32_t *defs, int64_t k, uint32_t want,
                             feast_error *err) {
  int64_t at = a->length;
  feast_code rc;
  if (!defs) {
    if ((rc = decode_dense(cr, k, a, at, err))) return rc;
    if (a->validity) set_valid_range(a, at, k, NULL);
    return FEAST_OK;
  }
  feast_buf_reset(&cr->scratch);
  int64_t nv = 0;
  for (int64_t i = 0; i < k; i++) nv += defs[i] == want;
  if (nv == k) return fill_slots(cr, a, NULL, k, want, err);
  /* decode_dense uses cr->scratch and cr->idx: presence flags get their own buffer */
  feast_buf_reset(&cr->pres);
  if ((rc = feast_buf_reserve(&cr->pres, (size_t)k + 1, err))) return rc;
  uint8_t *present = cr->pres.data;
  for (int64_t i = 0; i < k; i++) present[i] = defs[i] == want;
  rc = decode_dense(cr, nv, a, at, err);
  if (!rc) rc = ensure_validity(a, at, err);
  if (!rc) {
    spread(a, at, k, nv, present);
    set_valid_range(a, at, k, present);
    a->null_count += k - nv;
  }
  return rc;
}

static int is_var(const feast_array *a) { return a->type.id == FEAST_DT_STRING || a->type.id == FEAST_DT_BINARY; }

/* ---- reading rows ---- */

static feast_code read_flat(pq_colreader *cr, int64_t max_rows, feast_array *a, feast_error *err) {
  feast_code rc;
  if ((rc = feast_array_reserve_uninit(a, max_rows, 0, err))) return rc;
  if (is_var(a)) a->offsets[0] = 0;
  while (a->length < max_rows) {
    if (cr->lpos >= cr->nlevels) {
      int got;
      if ((rc = next_page(cr, &got, err))) return rc;
      if (!got) break;
    }
    int64_t k = cr->nlevels - cr->lpos;
    if (k > max_rows - a->length) k = max_rows - a->length;
    const uint32_t *defs = cr->c->max_def && !cr->defs_full ? (const uint32_t *)cr->defs.data + cr->lpos : NULL;
    if ((rc = fill_slots(cr, a, defs, k, (uint32_t)cr->c->max_def, err))) return rc;
    a->length += k;
    cr->lpos += k;
  }
  return FEAST_OK;
}

static feast_code read_list(pq_colreader *cr, int64_t max_rows, feast_array *a, feast_error *err) {
  feast_code rc;
  const pq_column *c = cr->c;
  feast_array *ch = a->child;
  if ((rc = feast_array_reserve_uninit(a, max_rows, 0, err))) return rc;
  a->offsets[0] = 0;
  if (is_var(ch) && (rc = feast_array_reserve_uninit(ch, 0, 0, err))) return rc;
  if (is_var(ch) && ch->offsets) ch->offsets[0] = 0;
  if (cr->rows_done > 0 && ch->capacity == 0) {
    /* size the elements once from the elements per row seen so far, rather
     * than doubling (and copying) page by page */
    double per_row = (double)cr->elems_done / (double)cr->rows_done;
    double want = per_row * (double)max_rows * 1.05 + 64;
    if (want < (double)INT32_MAX && (rc = feast_array_reserve_uninit(ch, (int64_t)want, 0, err))) return rc;
  }
  const uint32_t ldef = (uint32_t)c->list_def, mdef = (uint32_t)c->max_def;
  int64_t rows = 0; /* rows started in this batch */
  for (;;) {
    if (cr->lpos >= cr->nlevels) {
      int got;
      if ((rc = next_page(cr, &got, err))) return rc;
      if (!got) break;
    }
    const uint32_t *reps = (const uint32_t *)cr->reps.data + cr->lpos;
    const uint32_t *defs = c->max_def ? (const uint32_t *)cr->defs.data + cr->lpos : NULL;
    int64_t avail = cr->nlevels - cr->lpos, e = 0, nelem = 0, nfull = 0;
    int stop = 0;
    /* Branch-free per level (list lengths are data-dependent, so a branch
     * on "row starts here" mispredicts): offsets[rows] is written at every
     * level and only the value written at a row's first level survives. A
     * batch always starts at a row start, so offsets[0] gets 0. */
    int32_t *offs = a->offsets;
    const int64_t base = ch->length;
    for (; e < avail; e++) {
      uint32_t d = defs ? defs[e] : mdef;
      int start = reps[e] == 0;
      if (start & (rows == max_rows)) {
        stop = 1;
        break;
      }
      if (start & (d < ldef)) { /* a null list */
        if ((rc = ensure_validity(a, rows, err))) return rc;
        a->null_count++;
      }
      if (a->validity) /* bits past `rows` are zero: only set the valid ones */
        a->validity[rows >> 3] |= (uint8_t)((unsigned)(start & (d >= ldef)) << (rows & 7));
      offs[rows] = (int32_t)(base + nelem);
      rows += start;
      nelem += d > ldef;
      nfull += d == mdef;
    }
    /* elements in levels [0, e) with def > ldef */
    if (nelem) {
      if (ch->length + nelem > INT32_MAX) return feast_fail(err, FEAST_E_TOO_BIG, "list batch too large");
      if ((rc = feast_array_reserve_uninit(ch, nelem, 0, err))) return rc;
      if (is_var(ch)) ch->offsets[ch->length] = (int32_t)ch->data_len;
      const uint32_t *ed = NULL;
      if (c->elem_optional && nfull != nelem) { /* some null elements */
        /* the element def levels (skipping empty/null lists), in their own
         * buffer: fill_slots uses idx for dictionary indices */
        feast_buf_reset(&cr->lev2);
        if ((rc = feast_buf_reserve(&cr->lev2, (size_t)nelem * 4, err))) return rc;
        uint32_t *w = (uint32_t *)cr->lev2.data;
        int64_t j = 0;
        for (int64_t i = 0; i < e; i++) {
          uint32_t d = defs ? defs[i] : mdef;
          if (d > ldef) w[j++] = d;
        }
        ed = w;
      }
      if ((rc = fill_slots(cr, ch, ed, nelem, mdef, err))) return rc;
      ch->length += nelem;
    }
    cr->lpos += e;
    if (stop) break;
  }
  if (rows > 0) a->offsets[rows] = (int32_t)ch->length;
  a->length = rows;
  cr->elems_done += ch->length;
  return FEAST_OK;
}

feast_code pq_colreader_read(pq_colreader *cr, int64_t max_rows, feast_array **out, feast_error *err) {
  *out = NULL;
  const pq_column *c = cr->c;
  feast_array *a = feast_array_new(c->type, c->elem);
  if (!a) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  feast_code rc = c->is_list ? read_list(cr, max_rows, a, err) : read_flat(cr, max_rows, a, err);
  if (rc) {
    int64_t row = cr->rows_done + a->length;
    feast_array_free(a);
    return feast_error_prefix(err, "near row %lld: ", (long long)row);
  }
  if (a->validity && a->null_count == 0) {
    feast_free(a->validity);
    a->validity = NULL;
  }
  if (a->child && a->child->validity && a->child->null_count == 0) {
    feast_free(a->child->validity);
    a->child->validity = NULL;
  }
  cr->rows_done += a->length;
  *out = a;
  return FEAST_OK;
}
