build-tsan/obj/tests/unit/online_test.o: tests/unit/online_test.c \
 src/base/alloc.h src/base/buf.h include/feast/error.h \
 include/feast/export.h src/base/hash.h src/format/proto/feastproto.h \
 src/base/varint.h include/feast/array.h include/feast/types.h \
 include/feast/time.h src/format/proto/wire.h src/online/lmdb.h \
 src/online/backend.h src/base/arena.h include/feast/online.h \
 include/feast/spec.h tests/unit/online_support.h include/feast/ingest.h \
 include/feast/arrow.h tests/unit/test.h
src/base/alloc.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/base/hash.h:
src/format/proto/feastproto.h:
src/base/varint.h:
include/feast/array.h:
include/feast/types.h:
include/feast/time.h:
src/format/proto/wire.h:
src/online/lmdb.h:
src/online/backend.h:
src/base/arena.h:
include/feast/online.h:
include/feast/spec.h:
tests/unit/online_support.h:
include/feast/ingest.h:
include/feast/arrow.h:
tests/unit/test.h:
