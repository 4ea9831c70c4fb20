/*
 * array_internal.h - builder helpers for decoders inside libfeast (not part
 * of the public API).
 */
#ifndef FEAST_MODEL_ARRAY_INTERNAL_H
#define FEAST_MODEL_ARRAY_INTERNAL_H

#include "feast/array.h"

/* feast_array_reserve without zero-filling the new capacity of values,
 * offsets and data: for decoders that write every slot up to `length`
 * themselves. Validity bitmaps and BOOL value bitmaps are still zeroed.
 * Skipping the fill saves a pass over memory the decoder writes anyway. */
feast_code feast_array_reserve_uninit(feast_array *a, int64_t rows, int64_t data_bytes, feast_error *err);

#endif
