/*
 * arrow.h - the Apache Arrow C Data Interface (ABI-stable structs defined by
 * the Arrow specification) and the functions that move feast batches across
 * it. Exporting moves ownership: the consumer calls `release` when done.
 */
#ifndef FEAST_ARROW_H
#define FEAST_ARROW_H

#include <stdint.h>

#include "feast/array.h"

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char *format;
  const char *name;
  const char *metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema **children;
  struct ArrowSchema *dictionary;
  void (*release)(struct ArrowSchema *);
  void *private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void **buffers;
  struct ArrowArray **children;
  struct ArrowArray *dictionary;
  void (*release)(struct ArrowArray *);
  void *private_data;
};
#endif

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
  int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
  const char *(*get_last_error)(struct ArrowArrayStream *);
  void (*release)(struct ArrowArrayStream *);
  void *private_data;
};
#endif

/* Export a batch as a struct array ("+s") whose children are its columns.
 * On success takes ownership of the batch (it is freed) and the caller owns
 * *schema and *array: release them with their release callbacks. On failure
 * the batch is untouched and still the caller's. */
FEAST_API feast_code feast_batch_export(feast_batch *batch, struct ArrowSchema *schema, struct ArrowArray *array,
                                        feast_error *err);

/* Export only the schema of a batch (for ArrowArrayStream.get_schema). */
FEAST_API feast_code feast_batch_export_schema(const feast_batch *batch, struct ArrowSchema *schema,
                                               feast_error *err);

/* Import a struct array with its schema into a new batch (copies the data;
 * releases neither input). Supports every type feast_dtype has. */
FEAST_API feast_code feast_batch_import(const struct ArrowSchema *schema, const struct ArrowArray *array,
                                        feast_batch **out, feast_error *err);

/* A pull source of batches, the shape every reader and engine exposes;
 * used by one thread at a time.
 * next() sets *out to a new batch, or to NULL at the end; the caller owns
 * *out: release it with feast_batch_free. close() releases the source. */
typedef struct feast_batch_source {
  feast_code (*next)(struct feast_batch_source *self, feast_batch **out, feast_error *err);
  void (*close)(struct feast_batch_source *self); /* frees self too */
} feast_batch_source;

/* Wrap a batch source as an ArrowArrayStream. Takes ownership of `src`;
 * the caller owns *out: release it with its release callback. `schema_batch`
 * gives the schema (it is copied, not kept). */
FEAST_API feast_code feast_arrow_stream_export(feast_batch_source *src, const feast_batch *schema_batch,
                                         struct ArrowArrayStream *out, feast_error *err);

/* Read an ArrowArrayStream of struct arrays as a batch source (each array
 * is copied into a feast_batch). Takes ownership of `stream` (released when
 * the source closes); the caller owns *out: release it with (*out)->close. */
FEAST_API feast_code feast_arrow_stream_import(struct ArrowArrayStream *stream, feast_batch_source **out, feast_error *err);

#endif
