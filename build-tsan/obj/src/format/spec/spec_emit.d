build-tsan/obj/src/format/spec/spec_emit.o: src/format/spec/spec_emit.c \
 src/base/alloc.h src/base/arena.h src/base/buf.h include/feast/error.h \
 include/feast/export.h include/feast/specfile.h include/feast/spec.h \
 include/feast/time.h include/feast/types.h src/format/json/json_writer.h
src/base/alloc.h:
src/base/arena.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
include/feast/specfile.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
src/format/json/json_writer.h:
