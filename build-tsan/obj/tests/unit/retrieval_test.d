build-tsan/obj/tests/unit/retrieval_test.o: tests/unit/retrieval_test.c \
 include/feast/retrieval.h include/feast/array.h include/feast/error.h \
 include/feast/export.h include/feast/types.h include/feast/arrow.h \
 include/feast/spec.h include/feast/time.h src/base/alloc.h \
 src/engine/pit.h tests/unit/test.h
include/feast/retrieval.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/arrow.h:
include/feast/spec.h:
include/feast/time.h:
src/base/alloc.h:
src/engine/pit.h:
tests/unit/test.h:
