build-tsan/obj/src/format/feastproto.o: src/format/feastproto.c \
 src/format/feastproto.h src/base/buf.h include/feast/error.h \
 include/feast/export.h src/base/varint.h include/feast/array.h \
 include/feast/types.h include/feast/time.h src/format/proto/wire.h \
 src/format/json/json_writer.h
src/format/feastproto.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/base/varint.h:
include/feast/array.h:
include/feast/types.h:
include/feast/time.h:
src/format/proto/wire.h:
src/format/json/json_writer.h:
