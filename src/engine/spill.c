/*
 * spill.c - writing and reading batches in temporary files (see spill.h).
 *
 * Layout, all integers little-endian as the machine stores them (the file
 * never leaves the process): batch = "FSB1", int64 rows, int32 columns, then
 * per column uint16 name length, name, array. array = dtype (id, unit, utc,
 * width, scale), int64 length, int64 null_count, uint8 has_validity,
 * [validity], then values | bitmap | offsets + data | offsets + child array.
 * Sliced inputs (offsets not starting at 0, list children longer than
 * needed) are written compacted, so what is read back is always plain.
 */
#include "engine/spill.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/hash.h"

struct spill_file {
  FILE *fp;
  int64_t bytes, batches, read; /* batches written; batches read back */
  uint32_t crc; /* CRC-32C of the batch being written or read: a damaged file is an error, not wrong rows */
  char path[512];
};

feast_code spill_open(const char *dir, spill_file **out, feast_error *err) {
  spill_file *f = feast_calloc(1, sizeof *f);
  if (!f) return feast_fail(err, FEAST_E_NOMEM, "out of memory opening a spill file");
  if (!dir) dir = getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  snprintf(f->path, sizeof f->path, "%s/feast-spill-XXXXXX", dir);
  int fd = mkstemp(f->path);
  if (fd < 0) {
    int e = errno;
    feast_free(f);
    return feast_fail(err, FEAST_E_IO, "cannot create a spill file in %s: %s", dir, strerror(e));
  }
  unlink(f->path);
  f->fp = fdopen(fd, "w+b");
  if (!f->fp) {
    close(fd);
    feast_free(f);
    return feast_fail(err, FEAST_E_IO, "cannot open a spill file in %s", dir);
  }
  *out = f;
  return FEAST_OK;
}

void spill_close(spill_file *f) {
  if (!f) return;
  if (f->fp) fclose(f->fp);
  feast_free(f);
}

int64_t spill_bytes(const spill_file *f) { return f->bytes; }
int64_t spill_batches(const spill_file *f) { return f->batches; }

static feast_code put(spill_file *f, const void *p, size_t n, feast_error *err) {
  if (n && fwrite(p, 1, n, f->fp) != n)
    return feast_fail(err, FEAST_E_IO, "cannot write a spill file in %s: %s", f->path, strerror(errno));
  f->crc = feast_crc32c(f->crc, p, n);
  f->bytes += (int64_t)n;
  return FEAST_OK;
}

static feast_code get(spill_file *f, void *p, size_t n, feast_error *err) {
  if (n && fread(p, 1, n, f->fp) != n)
    return feast_fail(err, FEAST_E_CORRUPT, "spill file %s ends early", f->path);
  f->crc = feast_crc32c(f->crc, p, n);
  return FEAST_OK;
}

/* Rows [start, start + n) of a; validity and BOOL bits are re-packed when
 * start is not 0 (only list children get there). */
static feast_code put_bits(spill_file *f, const uint8_t *bits, int64_t start, int64_t n, feast_error *err) {
  size_t nb = (size_t)(n + 7) / 8;
  if (start == 0) return put(f, bits, nb, err);
  uint8_t tmp[512];
  feast_code rc = FEAST_OK;
  for (int64_t done = 0; !rc && done < n; done += 8 * (int64_t)sizeof tmp) {
    int64_t m = n - done < 8 * (int64_t)sizeof tmp ? n - done : 8 * (int64_t)sizeof tmp;
    memset(tmp, 0, sizeof tmp);
    for (int64_t i = 0; i < m; i++)
      if (feast_bit_get(bits, start + done + i)) tmp[i >> 3] |= (uint8_t)(1u << (i & 7));
    rc = put(f, tmp, (size_t)(m + 7) / 8, err);
  }
  return rc;
}

static feast_code put_array(spill_file *f, const feast_array *a, int64_t start, int64_t n, feast_error *err) {
  uint8_t dt[3] = {a->type.id, a->type.unit, a->type.utc};
  int32_t ws[2] = {a->type.width, a->type.scale};
  int64_t nulls = 0;
  if (a->validity)
    for (int64_t i = 0; i < n; i++) nulls += !feast_bit_get(a->validity, start + i);
  int64_t hdr[2] = {n, nulls};
  uint8_t has_validity = nulls > 0;
  feast_code rc;
  if ((rc = put(f, dt, 3, err)) || (rc = put(f, ws, 8, err)) || (rc = put(f, hdr, 16, err)) ||
      (rc = put(f, &has_validity, 1, err)))
    return rc;
  if (has_validity && (rc = put_bits(f, a->validity, start, n, err))) return rc;
  int w = feast_dtype_byte_width(a->type);
  if (a->type.id == FEAST_DT_BOOL) return put_bits(f, a->values, start, n, err);
  if (w > 0) return put(f, (const char *)a->values + start * w, (size_t)(n * w), err);
  if (a->type.id == FEAST_DT_STRING || a->type.id == FEAST_DT_BINARY || a->type.id == FEAST_DT_LIST) {
    int32_t base = n ? a->offsets[start] : 0;
    for (int64_t i = 0; i <= n; i++) {
      int32_t o = n ? a->offsets[start + i] - base : 0;
      if ((rc = put(f, &o, 4, err))) return rc;
    }
    int64_t len = n ? a->offsets[start + n] - base : 0;
    if (a->type.id == FEAST_DT_LIST) {
      uint8_t cdt[3] = {a->child->type.id, a->child->type.unit, a->child->type.utc};
      if ((rc = put(f, cdt, 3, err))) return rc;
      return put_array(f, a->child, base, len, err);
    }
    if ((rc = put(f, &len, 8, err))) return rc;
    return put(f, a->data + base, (size_t)len, err);
  }
  return FEAST_OK; /* NULL type: nothing but the header */
}

feast_code spill_write(spill_file *f, const feast_batch *b, feast_error *err) {
  int64_t rows = b->num_rows;
  int32_t cols = b->num_columns;
  feast_code rc;
  f->crc = 0;
  if ((rc = put(f, "FSB1", 4, err)) || (rc = put(f, &rows, 8, err)) || (rc = put(f, &cols, 4, err))) return rc;
  for (int c = 0; c < cols; c++) {
    uint16_t nl = (uint16_t)strlen(b->names[c]);
    if ((rc = put(f, &nl, 2, err)) || (rc = put(f, b->names[c], nl, err))) return rc;
    if ((rc = put_array(f, b->columns[c], 0, b->num_rows, err))) return rc;
  }
  uint32_t crc = f->crc;
  if ((rc = put(f, &crc, 4, err))) return rc;
  f->batches++;
  return FEAST_OK;
}

feast_code spill_rewind(spill_file *f, feast_error *err) {
  if (fflush(f->fp) != 0 || fseek(f->fp, 0, SEEK_SET) != 0)
    return feast_fail(err, FEAST_E_IO, "cannot rewind spill file %s: %s", f->path, strerror(errno));
  return FEAST_OK;
}

static feast_code get_array(spill_file *f, feast_array **out, feast_dtype child_hint, feast_error *err) {
  uint8_t dt[3];
  int32_t ws[2];
  int64_t hdr[2];
  uint8_t has_validity;
  feast_code rc;
  if ((rc = get(f, dt, 3, err)) || (rc = get(f, ws, 8, err)) || (rc = get(f, hdr, 16, err)) ||
      (rc = get(f, &has_validity, 1, err)))
    return rc;
  feast_dtype t = {dt[0], dt[1], dt[2], ws[0], ws[1]};
  int64_t n = hdr[0];
  if (n < 0 || n > INT32_MAX) return feast_fail(err, FEAST_E_CORRUPT, "spill file %s: bad row count", f->path);
  /* the list child is read on its own below, so create the array without one */
  feast_array *a = feast_array_new(t.id == FEAST_DT_LIST ? feast_dtype_make(FEAST_DT_INT32) : t, child_hint);
  if (!a) return feast_fail(err, FEAST_E_NOMEM, "out of memory reading a spill file");
  a->type = t;
  int w = feast_dtype_byte_width(t);
  size_t nb = (size_t)(n + 7) / 8;
  rc = feast_array_reserve(a, n, 0, err);
  if (!rc && has_validity) {
    a->validity = feast_calloc(((size_t)a->capacity + 7) / 8 + 1, 1);
    if (!a->validity) rc = feast_fail(err, FEAST_E_NOMEM, "out of memory reading a spill file");
    if (!rc) rc = get(f, a->validity, nb, err);
  }
  if (!rc) {
    if (t.id == FEAST_DT_BOOL) {
      rc = get(f, a->values, nb, err);
    } else if (w > 0) {
      rc = get(f, a->values, (size_t)(n * w), err);
    } else if (t.id == FEAST_DT_STRING || t.id == FEAST_DT_BINARY || t.id == FEAST_DT_LIST) {
      if (!a->offsets && !(a->offsets = feast_calloc((size_t)n + 1, 4)))
        rc = feast_fail(err, FEAST_E_NOMEM, "out of memory reading a spill file");
      if (!rc) rc = get(f, a->offsets, (size_t)(n + 1) * 4, err);
      if (!rc && t.id == FEAST_DT_LIST) {
        uint8_t cdt[3];
        feast_array *child = NULL;
        if (!(rc = get(f, cdt, 3, err))) rc = get_array(f, &child, feast_dtype_make(FEAST_DT_NULL), err);
        if (!rc) {
          feast_array_free(a->child);
          a->child = child;
        }
      } else if (!rc) {
        int64_t len;
        if (!(rc = get(f, &len, 8, err)) && (len < 0 || len > INT32_MAX))
          rc = feast_fail(err, FEAST_E_CORRUPT, "spill file %s: bad data length", f->path);
        if (!rc && !(rc = feast_array_reserve(a, 0, len, err))) rc = get(f, a->data, (size_t)len, err);
        if (!rc) a->data_len = len;
      }
    }
  }
  if (rc) {
    feast_array_free(a);
    return rc;
  }
  a->length = n;
  a->null_count = hdr[1];
  *out = a;
  return FEAST_OK;
}

feast_code spill_read(spill_file *f, feast_batch **out, feast_error *err) {
  char magic[4];
  *out = NULL;
  size_t got = fread(magic, 1, 4, f->fp);
  if (got == 0 && feof(f->fp)) return FEAST_OK;
  if (got != 4 || memcmp(magic, "FSB1", 4) != 0)
    return feast_fail(err, FEAST_E_CORRUPT, "spill file %s: bad batch header", f->path);
  f->crc = feast_crc32c(0, magic, 4);
  int64_t rows;
  int32_t cols;
  feast_code rc;
  if ((rc = get(f, &rows, 8, err)) || (rc = get(f, &cols, 4, err))) return rc;
  if (cols < 0 || cols > 100000) return feast_fail(err, FEAST_E_CORRUPT, "spill file %s: bad column count", f->path);
  feast_batch *b = feast_batch_new(cols);
  if (!b) return feast_fail(err, FEAST_E_NOMEM, "out of memory reading a spill file");
  b->num_rows = rows;
  for (int c = 0; c < cols && !rc; c++) {
    uint16_t nl;
    char name[65536];
    feast_array *a = NULL;
    if ((rc = get(f, &nl, 2, err)) || (rc = get(f, name, nl, err))) break;
    name[nl] = 0;
    if ((rc = get_array(f, &a, feast_dtype_make(FEAST_DT_NULL), err))) break;
    rc = feast_batch_set_column(b, c, name, a, err);
  }
  uint32_t want = f->crc, stored;
  if (!rc && (rc = get(f, &stored, 4, err)) == FEAST_OK && stored != want)
    rc = feast_fail(err, FEAST_E_CORRUPT, "spill file %s: batch %lld is damaged (checksum mismatch)", f->path,
                    (long long)f->read + 1);
  if (!rc) f->read++;
  if (rc) {
    feast_batch_free(b);
    return rc;
  }
  *out = b;
  return FEAST_OK;
}
