build-tsan/obj/tests/unit/online_support.o: tests/unit/online_support.c \
 tests/unit/online_support.h include/feast/ingest.h include/feast/array.h \
 include/feast/error.h include/feast/export.h include/feast/types.h \
 include/feast/arrow.h include/feast/online.h include/feast/spec.h \
 include/feast/time.h src/base/alloc.h src/base/buf.h \
 src/format/proto/feastproto.h src/base/varint.h src/format/proto/wire.h \
 src/online/backend.h src/base/arena.h tests/unit/test.h
tests/unit/online_support.h:
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
src/base/buf.h:
src/format/proto/feastproto.h:
src/base/varint.h:
src/format/proto/wire.h:
src/online/backend.h:
src/base/arena.h:
tests/unit/test.h:
