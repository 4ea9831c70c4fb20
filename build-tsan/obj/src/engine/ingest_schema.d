build-tsan/obj/src/engine/ingest_schema.o: src/engine/ingest_schema.c \
 src/engine/ingest_schema.h include/feast/array.h include/feast/error.h \
 include/feast/export.h include/feast/types.h include/feast/spec.h \
 include/feast/time.h src/base/alloc.h src/format/proto/feastproto.h \
 src/base/buf.h src/base/varint.h src/format/proto/wire.h
src/engine/ingest_schema.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/spec.h:
include/feast/time.h:
src/base/alloc.h:
src/format/proto/feastproto.h:
src/base/buf.h:
src/base/varint.h:
src/format/proto/wire.h:
