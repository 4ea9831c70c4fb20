/*
 * ingest_internal.h - what stream ingestion needs of the ingestion engine
 * beyond the public API: a flush that also stores source positions, in the
 * same transaction as the rows where the online backend can
 * (FEAST_ONLINE_CAP_ATOMIC_POSITIONS), else right after them.
 */
#ifndef FEAST_ENGINE_INGEST_INTERNAL_H
#define FEAST_ENGINE_INGEST_INTERNAL_H

#include "feast/ingest.h"
#include "online/backend.h"

feast_code feast_ingestion_flush_positions(feast_ingestion *in, const feast_online_positions *pos, feast_error *err);

#endif
