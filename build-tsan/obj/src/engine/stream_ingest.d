build-tsan/obj/src/engine/stream_ingest.o: src/engine/stream_ingest.c \
 include/feast/stream_ingest.h include/feast/error.h \
 include/feast/export.h include/feast/online.h include/feast/array.h \
 include/feast/types.h include/feast/spec.h include/feast/time.h \
 include/feast/stream.h src/base/alloc.h src/engine/ingest_internal.h \
 include/feast/ingest.h include/feast/arrow.h src/online/backend.h \
 src/base/arena.h
include/feast/stream_ingest.h:
include/feast/error.h:
include/feast/export.h:
include/feast/online.h:
include/feast/array.h:
include/feast/types.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/stream.h:
src/base/alloc.h:
src/engine/ingest_internal.h:
include/feast/ingest.h:
include/feast/arrow.h:
src/online/backend.h:
src/base/arena.h:
