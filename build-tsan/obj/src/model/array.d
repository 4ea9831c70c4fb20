build-tsan/obj/src/model/array.o: src/model/array.c include/feast/array.h \
 include/feast/error.h include/feast/export.h include/feast/types.h \
 src/base/alloc.h src/model/array_internal.h
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
src/base/alloc.h:
src/model/array_internal.h:
