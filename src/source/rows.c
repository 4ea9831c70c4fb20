/*
 * rows.c - files of rows a user hands to a command (entity rows for
 * retrieval, rows to push): CSV through the CSV reader, anything else as a
 * Parquet file, folder or glob, on local disk or at an s3:// URL.
 */
#include <string.h>
#include <strings.h>

#include "feast/aws.h"
#include "feast/parquet.h"
#include "feast/source.h"

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static feast_code copy_schema(const feast_batch *from, feast_batch **out, feast_error *err) {
  feast_batch *b = feast_batch_new(from->num_columns);
  if (!b) return feast_fail(err, FEAST_E_NOMEM, "out of memory");
  for (int i = 0; i < from->num_columns; i++) {
    const feast_array *c = from->columns[i];
    feast_array *e = feast_array_new(c->type, c->child ? c->child->type : feast_dtype_make(FEAST_DT_NULL));
    feast_code rc =
        e ? feast_batch_set_column(b, i, from->names[i], e, err) : feast_fail(err, FEAST_E_NOMEM, "out of memory");
    if (rc) {
      feast_batch_free(b);
      return rc;
    }
  }
  *out = b;
  return FEAST_OK;
}

feast_code feast_rows_open(const char *path, const feast_csv_column_type *types, int ntypes, feast_batch_source **out,
                           feast_batch **schema, feast_error *err) {
  feast_code rc;
  if (ends_with(path, ".csv")) {
    feast_csv_options o;
    feast_csv_options_init(&o);
    o.types = types;
    o.num_types = ntypes;
    if ((rc = feast_csv_open(path, &o, out, err))) return rc;
    rc = copy_schema(feast_csv_schema(*out), schema, err);
  } else {
    feast_parquet_dataset_options o;
    memset(&o, 0, sizeof o);
    if (feast_s3_is_url(path)) o.fs = feast_s3_parquet_fs();
    if ((rc = feast_parquet_dataset_open(path, &o, out, err))) return rc;
    rc = feast_parquet_source_schema(*out, schema, err);
  }
  if (rc) {
    (*out)->close(*out);
    *out = NULL; /* the caller's cleanup must not close it again */
  }
  return rc;
}
