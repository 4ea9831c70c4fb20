build-tsan/obj/tests/unit/array_test.o: tests/unit/array_test.c \
 src/base/alloc.h include/feast/arrow.h include/feast/array.h \
 include/feast/error.h include/feast/export.h include/feast/types.h \
 tests/unit/test.h
src/base/alloc.h:
include/feast/arrow.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
tests/unit/test.h:
