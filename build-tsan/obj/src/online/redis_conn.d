build-tsan/obj/src/online/redis_conn.o: src/online/redis_conn.c \
 src/online/redis_conn.h include/feast/online.h include/feast/array.h \
 include/feast/error.h include/feast/export.h include/feast/types.h \
 include/feast/spec.h include/feast/time.h src/base/alloc.h \
 src/online/backend.h src/base/arena.h
src/online/redis_conn.h:
include/feast/online.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/spec.h:
include/feast/time.h:
src/base/alloc.h:
src/online/backend.h:
src/base/arena.h:
