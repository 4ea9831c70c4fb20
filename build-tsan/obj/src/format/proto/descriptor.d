build-tsan/obj/src/format/proto/descriptor.o: \
 src/format/proto/descriptor.c src/format/proto/descriptor.h \
 include/feast/error.h include/feast/export.h src/base/alloc.h \
 src/base/arena.h src/base/buf.h src/base/file.h src/format/proto/wire.h \
 src/base/varint.h
src/format/proto/descriptor.h:
include/feast/error.h:
include/feast/export.h:
src/base/alloc.h:
src/base/arena.h:
src/base/buf.h:
src/base/file.h:
src/format/proto/wire.h:
src/base/varint.h:
