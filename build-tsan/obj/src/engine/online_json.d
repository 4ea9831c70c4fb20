build-tsan/obj/src/engine/online_json.o: src/engine/online_json.c \
 src/base/alloc.h src/base/buf.h include/feast/error.h \
 include/feast/export.h src/format/proto/feastproto.h src/base/varint.h \
 include/feast/array.h include/feast/types.h include/feast/time.h \
 src/format/proto/wire.h src/format/json/json_writer.h \
 include/feast/online.h include/feast/spec.h
src/base/alloc.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/format/proto/feastproto.h:
src/base/varint.h:
include/feast/array.h:
include/feast/types.h:
include/feast/time.h:
src/format/proto/wire.h:
src/format/json/json_writer.h:
include/feast/online.h:
include/feast/spec.h:
