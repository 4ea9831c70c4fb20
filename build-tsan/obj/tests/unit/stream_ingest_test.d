build-tsan/obj/tests/unit/stream_ingest_test.o: \
 tests/unit/stream_ingest_test.c include/feast/stream_ingest.h \
 include/feast/error.h include/feast/export.h include/feast/online.h \
 include/feast/array.h include/feast/types.h include/feast/spec.h \
 include/feast/time.h include/feast/stream.h src/online/backend.h \
 src/base/arena.h src/online/lmdb.h tests/unit/online_support.h \
 include/feast/ingest.h include/feast/arrow.h tests/unit/stream_double.h \
 tests/unit/test.h
include/feast/stream_ingest.h:
include/feast/error.h:
include/feast/export.h:
include/feast/online.h:
include/feast/array.h:
include/feast/types.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/stream.h:
src/online/backend.h:
src/base/arena.h:
src/online/lmdb.h:
tests/unit/online_support.h:
include/feast/ingest.h:
include/feast/arrow.h:
tests/unit/stream_double.h:
tests/unit/test.h:
