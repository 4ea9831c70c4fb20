build-tsan/obj/tests/unit/specfile_test.o: tests/unit/specfile_test.c \
 include/feast/specfile.h include/feast/error.h include/feast/export.h \
 include/feast/spec.h include/feast/time.h include/feast/types.h \
 tests/unit/test.h
include/feast/specfile.h:
include/feast/error.h:
include/feast/export.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
tests/unit/test.h:
