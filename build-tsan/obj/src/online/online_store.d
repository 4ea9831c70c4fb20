build-tsan/obj/src/online/online_store.o: src/online/online_store.c \
 src/online/backend.h src/base/arena.h include/feast/online.h \
 include/feast/array.h include/feast/error.h include/feast/export.h \
 include/feast/types.h include/feast/spec.h include/feast/time.h
src/online/backend.h:
src/base/arena.h:
include/feast/online.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/spec.h:
include/feast/time.h:
