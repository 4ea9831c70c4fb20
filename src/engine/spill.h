/*
 * spill.h - temporary files of column batches for out-of-core joins.
 *
 * A spill file is anonymous (created with mkstemp in the spill directory and
 * unlinked at once), so it disappears when closed or when the process dies.
 * It is written batch after batch, rewound once, then read back in the same
 * order. The format is our own and only ever read by the process that wrote
 * it: per batch a header, then per column its name, type and raw Arrow
 * buffers (validity, values, offsets, data, list child).
 */
#ifndef FEAST_ENGINE_SPILL_H
#define FEAST_ENGINE_SPILL_H

#include <stdint.h>

#include "feast/array.h"
#include "feast/error.h"

typedef struct spill_file spill_file;

/* dir: NULL = $TMPDIR, else /tmp. */
feast_code spill_open(const char *dir, spill_file **out, feast_error *err);
feast_code spill_write(spill_file *f, const feast_batch *b, feast_error *err);
/* Switch from writing to reading, from the first batch. */
feast_code spill_rewind(spill_file *f, feast_error *err);
/* The next batch (the caller owns it), or NULL at the end. */
feast_code spill_read(spill_file *f, feast_batch **out, feast_error *err);
int64_t spill_bytes(const spill_file *f);
int64_t spill_batches(const spill_file *f);
void spill_close(spill_file *f); /* accepts NULL */

#endif
