build-tsan/obj/src/base/buf.o: src/base/buf.c src/base/buf.h \
 include/feast/error.h include/feast/export.h src/base/alloc.h
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/base/alloc.h:
