build-tsan/obj/src/base/error.o: src/base/error.c include/feast/error.h \
 include/feast/export.h
include/feast/error.h:
include/feast/export.h:
