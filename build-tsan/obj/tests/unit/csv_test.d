build-tsan/obj/tests/unit/csv_test.o: tests/unit/csv_test.c \
 src/base/alloc.h src/base/buf.h include/feast/error.h \
 include/feast/export.h include/feast/csv.h include/feast/array.h \
 include/feast/types.h include/feast/arrow.h tests/unit/test.h
src/base/alloc.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
include/feast/csv.h:
include/feast/array.h:
include/feast/types.h:
include/feast/arrow.h:
tests/unit/test.h:
