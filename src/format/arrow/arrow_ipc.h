/*
 * arrow_ipc.h - a reader of the Apache Arrow IPC format (encapsulated
 * messages: Schema and RecordBatch, metadata version 4 or 5, little
 * endian), the bytes the BigQuery Storage Read API sends in ARROW mode.
 * Record batches become feast batches; every buffer is copied once into
 * arrays of our own, so nothing borrows from the input.
 *
 * The flatbuffer metadata is read by hand with bounds checks on every
 * offset (no generated code, no trust in outside bytes): a message that
 * points outside its bytes, nests deeper than 32 levels or has buffers
 * that do not fit the field's type and length is FEAST_E_CORRUPT naming
 * the message, field and buffer. Types read: null, bool, int 8-64 (signed
 * and unsigned), float 16/32/64, utf8, binary, fixed-size binary, date32,
 * date64 (as timestamp[ms]), time32/64, timestamp (any unit; a time zone
 * means UTC), decimal128, list of any of these. Not read
 * (FEAST_E_UNSUPPORTED): dictionaries, compressed bodies, large and view
 * types, structs, maps, unions, intervals, durations.
 */
#ifndef FEAST_FORMAT_ARROW_IPC_H
#define FEAST_FORMAT_ARROW_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "feast/array.h"

typedef struct feast_ipc_reader feast_ipc_reader;

/* `name` names the stream in messages (borrowed for the reader's life).
 * The caller owns *out: release it with feast_ipc_reader_free. */
feast_code feast_ipc_reader_new(const char *name, feast_ipc_reader **out, feast_error *err);
void feast_ipc_reader_free(feast_ipc_reader *r); /* accepts NULL */

/* Read the messages in p[0..n) (one or more, each with or without the
 * 0xFFFFFFFF continuation marker; an end-of-stream marker ends the
 * buffer). A Schema message sets the schema (a later one must be equal);
 * each RecordBatch is decoded with it and handed to `emit`, which takes
 * ownership of the batch. */
feast_code feast_ipc_read(feast_ipc_reader *r, const uint8_t *p, size_t n,
                          feast_code (*emit)(void *ctx, feast_batch *b, feast_error *err), void *ctx,
                          feast_error *err);

/* The schema read so far as a batch with no rows, or NULL. Borrowed:
 * valid until the next call on the reader. */
const feast_batch *feast_ipc_schema(const feast_ipc_reader *r);

#endif
