build-tsan/obj/src/model/arrow.o: src/model/arrow.c include/feast/arrow.h \
 include/feast/array.h include/feast/error.h include/feast/export.h \
 include/feast/types.h src/base/alloc.h
include/feast/arrow.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
src/base/alloc.h:
