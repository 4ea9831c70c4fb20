build-tsan/obj/src/online/redis_store.o: src/online/redis_store.c \
 src/base/alloc.h src/base/arena.h src/base/buf.h include/feast/error.h \
 include/feast/export.h src/base/hash.h src/format/proto/feastproto.h \
 src/base/varint.h include/feast/array.h include/feast/types.h \
 include/feast/time.h src/format/proto/wire.h src/online/crc16.h \
 src/online/redis_conn.h include/feast/online.h include/feast/spec.h \
 src/online/backend.h
src/base/alloc.h:
src/base/arena.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/base/hash.h:
src/format/proto/feastproto.h:
src/base/varint.h:
include/feast/array.h:
include/feast/types.h:
include/feast/time.h:
src/format/proto/wire.h:
src/online/crc16.h:
src/online/redis_conn.h:
include/feast/online.h:
include/feast/spec.h:
src/online/backend.h:
