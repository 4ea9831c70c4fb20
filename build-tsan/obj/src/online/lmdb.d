build-tsan/obj/src/online/lmdb.o: src/online/lmdb.c src/online/lmdb.h \
 src/online/backend.h src/base/arena.h include/feast/online.h \
 include/feast/array.h include/feast/error.h include/feast/export.h \
 include/feast/types.h include/feast/spec.h include/feast/time.h \
 src/base/alloc.h src/base/buf.h src/base/hash.h
src/online/lmdb.h:
src/online/backend.h:
src/base/arena.h:
include/feast/online.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/spec.h:
include/feast/time.h:
src/base/alloc.h:
src/base/buf.h:
src/base/hash.h:
