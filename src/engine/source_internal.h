/*
 * source_internal.h - what the engine needs of source.c beyond the public API:
 * opening a batch source with a given number of decoding threads and a cap
 * on what they decode ahead (the public feast_source_open uses the
 * reader's defaults).
 */
#ifndef FEAST_ENGINE_SOURCE_INTERNAL_H
#define FEAST_ENGINE_SOURCE_INTERNAL_H

#include "feast/source.h"

/* feast_source_open with `threads` decoding threads (0 = the reader's
 * default: online cores, at most 2; 1 = none) holding at most `ahead_bytes`
 * decoded ahead of the consumer (0 = no cap; see feast_parquet_options). */
feast_code feast_source_open_bounded(const feast_data_source *s, const char *const *columns, int ncols, bool prune,
                                     feast_ts lo, feast_ts hi, int threads, int64_t ahead_bytes,
                                     feast_batch_source **out, feast_error *err);

#endif
