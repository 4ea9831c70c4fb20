/*
 * writer_schema.c - how feast column types become Parquet schema elements:
 * the physical type, LogicalType and the legacy ConvertedType, chosen so
 * that pyarrow, pandas and DuckDB read back the type that was written.
 * Lists use the standard 3-level form
 *   optional group NAME (LIST) { repeated group list { optional T element; } }
 */
#include "format/parquet/parquet_format.h"
#include "format/parquet/writer_internal.h"

static int decimal_bytes(int precision) {
  /* Smallest n with 2^(8n-1) > 10^precision - 1. */
  int n = 1;
  double lim = 1.0;
  for (int i = 0; i < precision; i++) lim *= 10.0;
  while ((double)((unsigned __int128)1 << (8 * n - 1)) < lim) n++;
  return n;
}

feast_code pq_leaf_for(const char *column, feast_dtype t, pq_leaf *out, feast_error *err) {
  pq_leaf l = {t, PQ_INT32, 0, PQ_ST_SIGNED, 1};
  char name[64];
  switch ((feast_dtype_id)t.id) {
  case FEAST_DT_BOOL: l.phys = PQ_BOOLEAN; l.stat = PQ_ST_BOOL; break;
  case FEAST_DT_INT8:
  case FEAST_DT_INT16:
  case FEAST_DT_INT32:
  case FEAST_DT_DATE32: break;
  case FEAST_DT_UINT8:
  case FEAST_DT_UINT16:
  case FEAST_DT_UINT32: l.stat = PQ_ST_UNSIGNED; break;
  case FEAST_DT_TIME32:
    if (t.unit != FEAST_UNIT_S && t.unit != FEAST_UNIT_MS) goto unsupported;
    if (t.unit == FEAST_UNIT_S) l.scale = 1000;
    break;
  case FEAST_DT_INT64: l.phys = PQ_INT64; break;
  case FEAST_DT_UINT64: l.phys = PQ_INT64; l.stat = PQ_ST_UNSIGNED; break;
  case FEAST_DT_TIME64:
    if (t.unit != FEAST_UNIT_US && t.unit != FEAST_UNIT_NS) goto unsupported;
    l.phys = PQ_INT64;
    break;
  case FEAST_DT_TIMESTAMP:
    l.phys = PQ_INT64;
    if (t.unit == FEAST_UNIT_S) l.scale = 1000;
    break;
  case FEAST_DT_FLOAT: l.phys = PQ_FLOAT; l.stat = PQ_ST_FLOAT; break;
  case FEAST_DT_DOUBLE: l.phys = PQ_DOUBLE; l.stat = PQ_ST_DOUBLE; break;
  case FEAST_DT_STRING:
  case FEAST_DT_BINARY: l.phys = PQ_BYTE_ARRAY; l.stat = PQ_ST_BYTES; break;
  case FEAST_DT_FIXED_BINARY:
    if (t.width <= 0) goto unsupported;
    l.phys = PQ_FIXED_LEN_BYTE_ARRAY;
    l.type_length = t.width;
    l.stat = PQ_ST_BYTES;
    break;
  case FEAST_DT_FLOAT16:
    l.phys = PQ_FIXED_LEN_BYTE_ARRAY;
    l.type_length = 2;
    l.stat = PQ_ST_FLOAT16;
    break;
  case FEAST_DT_DECIMAL128:
    if (t.width < 1 || t.width > 38 || t.scale < 0 || t.scale > t.width) goto unsupported;
    l.phys = PQ_FIXED_LEN_BYTE_ARRAY;
    l.type_length = decimal_bytes(t.width);
    l.stat = PQ_ST_DECIMAL;
    break;
  case FEAST_DT_NULL:
  case FEAST_DT_LIST:
  default: goto unsupported;
  }
  *out = l;
  return FEAST_OK;
unsupported:
  return feast_fail(err, FEAST_E_UNSUPPORTED, "column '%s': type %s cannot be written to Parquet", column,
                    feast_dtype_name(t, name, sizeof name));
}

int pq_schema_count(feast_dtype type) { return type.id == FEAST_DT_LIST ? 3 : 1; }

static void time_unit(tw *w, int unit) {
  /* TimeUnit union: 1 MILLIS, 2 MICROS, 3 NANOS; each an empty struct. */
  tw_field_struct_begin(w, 2);
  tw_field_struct_begin(w, (int16_t)(unit == FEAST_UNIT_NS ? 3 : unit == FEAST_UNIT_US ? 2 : 1));
  tw_struct_end(w);
  tw_struct_end(w);
}

static void logical_and_converted(tw *w, const pq_leaf *l) {
  feast_dtype t = l->dtype;
  int ct = PQ_CT_NONE;
  int bits = 0, is_signed = 1;
  switch ((feast_dtype_id)t.id) {
  case FEAST_DT_INT8: bits = 8; ct = PQ_CT_INT_8; break;
  case FEAST_DT_INT16: bits = 16; ct = PQ_CT_INT_16; break;
  case FEAST_DT_INT32: bits = 32; ct = PQ_CT_INT_32; break;
  case FEAST_DT_INT64: bits = 64; ct = PQ_CT_INT_64; break;
  case FEAST_DT_UINT8: bits = 8; is_signed = 0; ct = PQ_CT_UINT_8; break;
  case FEAST_DT_UINT16: bits = 16; is_signed = 0; ct = PQ_CT_UINT_16; break;
  case FEAST_DT_UINT32: bits = 32; is_signed = 0; ct = PQ_CT_UINT_32; break;
  case FEAST_DT_UINT64: bits = 64; is_signed = 0; ct = PQ_CT_UINT_64; break;
  case FEAST_DT_STRING: ct = PQ_CT_UTF8; break;
  case FEAST_DT_DATE32: ct = PQ_CT_DATE; break;
  case FEAST_DT_TIME32: ct = PQ_CT_TIME_MILLIS; break;
  case FEAST_DT_TIME64: ct = t.unit == FEAST_UNIT_US ? PQ_CT_TIME_MICROS : PQ_CT_NONE; break;
  case FEAST_DT_TIMESTAMP:
    /* The legacy annotation implies UTC-adjusted, so naive timestamps and
     * nanoseconds (which it cannot express) carry only the LogicalType. */
    if (t.utc && t.unit != FEAST_UNIT_NS) ct = t.unit == FEAST_UNIT_US ? PQ_CT_TIMESTAMP_MICROS : PQ_CT_TIMESTAMP_MILLIS;
    break;
  case FEAST_DT_DECIMAL128: ct = PQ_CT_DECIMAL; break;
  default: break;
  }
  if (ct != PQ_CT_NONE) tw_field_i32(w, 6, ct);
  if (t.id == FEAST_DT_DECIMAL128) {
    tw_field_i32(w, 7, t.scale);
    tw_field_i32(w, 8, t.width);
  }
  /* LogicalType (field 10), a union of structs. */
  switch ((feast_dtype_id)t.id) {
  case FEAST_DT_STRING:
    tw_field_struct_begin(w, 10);
    tw_field_struct_begin(w, PQ_LT_STRING);
    tw_struct_end(w);
    tw_struct_end(w);
    break;
  case FEAST_DT_DATE32:
    tw_field_struct_begin(w, 10);
    tw_field_struct_begin(w, PQ_LT_DATE);
    tw_struct_end(w);
    tw_struct_end(w);
    break;
  case FEAST_DT_FLOAT16:
    tw_field_struct_begin(w, 10);
    tw_field_struct_begin(w, PQ_LT_FLOAT16);
    tw_struct_end(w);
    tw_struct_end(w);
    break;
  case FEAST_DT_DECIMAL128:
    tw_field_struct_begin(w, 10);
    tw_field_struct_begin(w, PQ_LT_DECIMAL);
    tw_field_i32(w, 1, t.scale);
    tw_field_i32(w, 2, t.width);
    tw_struct_end(w);
    tw_struct_end(w);
    break;
  case FEAST_DT_TIME32:
  case FEAST_DT_TIME64:
  case FEAST_DT_TIMESTAMP:
    tw_field_struct_begin(w, 10);
    tw_field_struct_begin(w, t.id == FEAST_DT_TIMESTAMP ? PQ_LT_TIMESTAMP : PQ_LT_TIME);
    /* Times of day are local (isAdjustedToUTC=false), as Arrow writes them. */
    tw_field_bool(w, 1, t.id == FEAST_DT_TIMESTAMP ? t.utc != 0 : false);
    time_unit(w, t.id == FEAST_DT_TIME32 || t.unit == FEAST_UNIT_S ? FEAST_UNIT_MS : t.unit);
    tw_struct_end(w);
    tw_struct_end(w);
    break;
  default:
    if (bits) {
      tw_field_struct_begin(w, 10);
      tw_field_struct_begin(w, PQ_LT_INTEGER);
      tw_field_i8(w, 1, (int8_t)bits);
      tw_field_bool(w, 2, is_signed);
      tw_struct_end(w);
      tw_struct_end(w);
    }
  }
}

static void leaf_element(tw *w, const char *name, const pq_leaf *l) {
  tw_struct_begin(w);
  tw_field_i32(w, 1, l->phys);
  if (l->phys == PQ_FIXED_LEN_BYTE_ARRAY) tw_field_i32(w, 2, l->type_length);
  tw_field_i32(w, 3, PQ_OPTIONAL);
  tw_field_string(w, 4, name);
  logical_and_converted(w, l);
  tw_struct_end(w);
}

void pq_schema_write(tw *w, const char *name, feast_dtype type, const pq_leaf *leaf) {
  if (type.id != FEAST_DT_LIST) {
    leaf_element(w, name, leaf);
    return;
  }
  tw_struct_begin(w);
  tw_field_i32(w, 3, PQ_OPTIONAL);
  tw_field_string(w, 4, name);
  tw_field_i32(w, 5, 1);
  tw_field_i32(w, 6, PQ_CT_LIST);
  tw_field_struct_begin(w, 10);
  tw_field_struct_begin(w, PQ_LT_LIST);
  tw_struct_end(w);
  tw_struct_end(w);
  tw_struct_end(w);
  tw_struct_begin(w);
  tw_field_i32(w, 3, PQ_REPEATED);
  tw_field_string(w, 4, "list");
  tw_field_i32(w, 5, 1);
  tw_struct_end(w);
  leaf_element(w, "element", leaf);
}
