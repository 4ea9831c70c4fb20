/*
 * lmdb.h - internals of the LMDB online store that tests reach into.
 */
#ifndef FEAST_ONLINE_LMDB_H
#define FEAST_ONLINE_LMDB_H

#include "online/backend.h"

/* Walk every record and check it decodes whole (magic, lengths, CRC).
 * *n_records is how many there are. FEAST_E_CORRUPT names the first bad one. */
feast_code feast_lmdb_verify(feast_online_store *s, size_t *n_records, feast_error *err);

#endif
