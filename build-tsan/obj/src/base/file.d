build-tsan/obj/src/base/file.o: src/base/file.c src/base/file.h \
 src/base/buf.h include/feast/error.h include/feast/export.h
src/base/file.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
