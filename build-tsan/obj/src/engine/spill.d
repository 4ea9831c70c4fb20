build-tsan/obj/src/engine/spill.o: src/engine/spill.c src/engine/spill.h \
 include/feast/array.h include/feast/error.h include/feast/export.h \
 include/feast/types.h src/base/alloc.h
src/engine/spill.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
src/base/alloc.h:
