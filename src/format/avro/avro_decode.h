/*
 * avro_decode.h - Avro binary datums decoded straight into a column batch
 * by a compiled plan (avro_plan.h).
 *
 * A decoder holds the columns being filled (one per wanted column, named by
 * its path). Every call appends the rows of the datums that decode and
 * records each one that does not, with its index, the reason, the field
 * path and the byte offset; a bad datum leaves no partial row in any
 * column, so one bad message never poisons a batch. Reasons for a bad
 * datum (FEAST_E_CORRUPT unless said otherwise):
 *   truncated (a value runs past the end), varint overflow (more than 10
 *   bytes, or an int past 32 bits), negative length, bad union index, bad
 *   enum index, a boolean byte other than 0 or 1, invalid UTF-8 in a string
 *   the reader reads as a string (the datum is refused, not repaired),
 *   bytes left over after the datum, too many array items;
 *   FEAST_E_INVALID: timestamp overflow (the value does not fit the
 *   column's unit in int64), a union branch or enum symbol the reader
 *   schema has no place for.
 * Only failures of the batch itself (out of memory, a column past 2 GiB)
 * stop a call: then the datums before *done are handled and nothing of the
 * rest is in the batch.
 *
 * Not thread-safe; one decoder per thread. Several plans (one per writer
 * schema) may fill one decoder if they were compiled for the same columns.
 */
#ifndef FEAST_FORMAT_AVRO_AVRO_DECODE_H
#define FEAST_FORMAT_AVRO_AVRO_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "feast/array.h"
#include "feast/error.h"
#include "format/avro/avro_plan.h"

typedef struct feast_avro_msg {
  const void *data;
  size_t len;
} feast_avro_msg;

typedef struct feast_avro_bad {
  size_t index;        /* the message's index in the call, or the datum's in the block */
  feast_code code;     /* FEAST_E_CORRUPT or FEAST_E_INVALID, as above; others from a framing layer */
  size_t offset;       /* byte offset in the message where it went wrong */
  const char *path;    /* writer field path ("loc.city", "tags[]"), "" when none */
  const char *message; /* "field loc.city at byte 17: invalid UTF-8 in a string" */
} feast_avro_bad;

typedef struct feast_avro_decoder feast_avro_decoder;

/* A decoder for these columns (copied). The caller owns *out and frees it
 * with feast_avro_decoder_free. */
feast_code feast_avro_decoder_new(const feast_avro_column *cols, size_t n_cols, feast_avro_decoder **out,
                                  feast_error *err);
void feast_avro_decoder_free(feast_avro_decoder *d); /* accepts NULL */

/* n messages, each one raw Avro binary datum of the plan's writer schema
 * (Feast 0.9's framing). *done (may be NULL) is n unless a batch failure
 * stopped the call early. */
feast_code feast_avro_decode_datums(feast_avro_decoder *d, const feast_avro_plan *plan, const feast_avro_msg *msgs,
                                    size_t n, size_t *done, feast_error *err);

/* One datum, recorded under `index` when bad. */
feast_code feast_avro_decode_one(feast_avro_decoder *d, const feast_avro_plan *plan, const void *data, size_t len,
                                 size_t index, feast_error *err);

/* A message of `header` framing bytes and then one datum: offsets in
 * reports count from the start of the message. */
feast_code feast_avro_decode_framed(feast_avro_decoder *d, const feast_avro_plan *plan, const void *data, size_t len,
                                    size_t header, size_t index, feast_error *err);

/* `count` datums concatenated in one buffer: an object container file's
 * block, after decompression, or a BigQuery Storage Read API AvroRows
 * block. The datums before a bad one are kept as rows; the bad one cannot
 * be framed past, so the call fails with its FEAST_E_CORRUPT or
 * FEAST_E_INVALID message ("datum 7 of 100, field x at byte 1234 of the
 * block: ..."), nothing of it or after it in the batch. Bytes left after
 * `count` datums are FEAST_E_CORRUPT. *rows (may be NULL) counts the rows
 * added. */
feast_code feast_avro_decode_block(feast_avro_decoder *d, const feast_avro_plan *plan, const void *data, size_t len,
                                   int64_t count, int64_t *rows, feast_error *err);

/* Record a message as bad from outside the decoder (a framing layer that
 * refused it): message is copied. */
feast_code feast_avro_decoder_add_bad(feast_avro_decoder *d, size_t index, feast_code code, size_t offset,
                                      const char *message, feast_error *err);

/* Rows in the batch being built. */
int64_t feast_avro_decoder_rows(const feast_avro_decoder *d);

/* The bad datums recorded since the last feast_avro_decoder_clear_bad.
 * Pointers are valid until then. */
size_t feast_avro_decoder_bad_count(const feast_avro_decoder *d);
const feast_avro_bad *feast_avro_decoder_bad(const feast_avro_decoder *d, size_t i);
void feast_avro_decoder_clear_bad(feast_avro_decoder *d);

/* Room for `rows` rows (and `bytes_per_row` bytes in each string or
 * binary column per row) before anything grows: a consumer that knows its
 * batch size saves the doubling copies. */
feast_code feast_avro_decoder_reserve(feast_avro_decoder *d, int64_t rows, int64_t bytes_per_row, feast_error *err);

/* The rows so far as a batch that the decoder keeps: borrowed, valid until
 * the next call on the decoder. With feast_avro_decoder_reset, the hot
 * path of a stream: decode, write the rows out, reset; no memory is
 * allocated or touched for the first time once the buffers have grown. */
const feast_batch *feast_avro_decoder_peek(feast_avro_decoder *d);
/* Drop the rows, keep the buffers. */
void feast_avro_decoder_reset(feast_avro_decoder *d);

/* Hand out the rows so far as a batch whose columns are named by their
 * paths; the caller owns *out (feast_batch_free). The decoder starts an
 * empty batch. */
feast_code feast_avro_decoder_finish(feast_avro_decoder *d, feast_batch **out, feast_error *err);

#endif
