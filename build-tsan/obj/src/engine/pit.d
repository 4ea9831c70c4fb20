build-tsan/obj/src/engine/pit.o: src/engine/pit.c src/base/alloc.h \
 src/engine/pit.h include/feast/array.h include/feast/error.h \
 include/feast/export.h include/feast/types.h
src/base/alloc.h:
src/engine/pit.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
