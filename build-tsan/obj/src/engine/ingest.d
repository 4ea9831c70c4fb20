build-tsan/obj/src/engine/ingest.o: src/engine/ingest.c \
 include/feast/ingest.h include/feast/array.h include/feast/error.h \
 include/feast/export.h include/feast/types.h include/feast/arrow.h \
 include/feast/online.h include/feast/spec.h include/feast/time.h \
 src/base/alloc.h src/base/arena.h src/base/buf.h src/base/hash.h \
 src/engine/ingest_internal.h src/online/backend.h \
 src/engine/ingest_schema.h src/format/proto/feastproto.h \
 src/base/varint.h src/format/proto/wire.h
include/feast/ingest.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/arrow.h:
include/feast/online.h:
include/feast/spec.h:
include/feast/time.h:
src/base/alloc.h:
src/base/arena.h:
src/base/buf.h:
src/base/hash.h:
src/engine/ingest_internal.h:
src/online/backend.h:
src/engine/ingest_schema.h:
src/format/proto/feastproto.h:
src/base/varint.h:
src/format/proto/wire.h:
