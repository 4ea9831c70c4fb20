build-tsan/obj/src/base/time.o: src/base/time.c include/feast/time.h \
 include/feast/error.h include/feast/export.h
include/feast/time.h:
include/feast/error.h:
include/feast/export.h:
