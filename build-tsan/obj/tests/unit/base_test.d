build-tsan/obj/tests/unit/base_test.o: tests/unit/base_test.c \
 src/base/alloc.h src/base/arena.h src/base/buf.h include/feast/error.h \
 include/feast/export.h src/base/hash.h include/feast/time.h \
 tests/unit/test.h
src/base/alloc.h:
src/base/arena.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/base/hash.h:
include/feast/time.h:
tests/unit/test.h:
