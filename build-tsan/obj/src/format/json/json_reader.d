build-tsan/obj/src/format/json/json_reader.o: \
 src/format/json/json_reader.c src/format/json/json_reader.h \
 src/base/arena.h src/base/buf.h include/feast/error.h \
 include/feast/export.h src/base/alloc.h
src/format/json/json_reader.h:
src/base/arena.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/base/alloc.h:
