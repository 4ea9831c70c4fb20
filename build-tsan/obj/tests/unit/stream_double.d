build-tsan/obj/tests/unit/stream_double.o: tests/unit/stream_double.c \
 tests/unit/stream_double.h include/feast/stream.h include/feast/array.h \
 include/feast/error.h include/feast/export.h include/feast/types.h \
 include/feast/time.h tests/unit/online_support.h include/feast/ingest.h \
 include/feast/arrow.h include/feast/online.h include/feast/spec.h
tests/unit/stream_double.h:
include/feast/stream.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/time.h:
tests/unit/online_support.h:
include/feast/ingest.h:
include/feast/arrow.h:
include/feast/online.h:
include/feast/spec.h:
