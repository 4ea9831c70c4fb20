build-tsan/obj/src/format/proto/wire.o: src/format/proto/wire.c \
 src/format/proto/wire.h src/base/buf.h include/feast/error.h \
 include/feast/export.h src/base/varint.h
src/format/proto/wire.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/base/varint.h:
