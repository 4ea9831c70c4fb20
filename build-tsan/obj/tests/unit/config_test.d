build-tsan/obj/tests/unit/config_test.o: tests/unit/config_test.c \
 include/feast/config.h include/feast/error.h include/feast/export.h \
 include/feast/spec.h include/feast/time.h include/feast/types.h \
 tests/unit/test.h
include/feast/config.h:
include/feast/error.h:
include/feast/export.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
tests/unit/test.h:
