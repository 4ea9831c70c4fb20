build-tsan/obj/src/model/spec.o: src/model/spec.c include/feast/spec.h \
 include/feast/error.h include/feast/export.h include/feast/time.h \
 include/feast/types.h src/base/alloc.h
include/feast/spec.h:
include/feast/error.h:
include/feast/export.h:
include/feast/time.h:
include/feast/types.h:
src/base/alloc.h:
