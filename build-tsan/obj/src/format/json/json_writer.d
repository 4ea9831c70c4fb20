build-tsan/obj/src/format/json/json_writer.o: \
 src/format/json/json_writer.c src/format/json/json_writer.h \
 src/base/buf.h include/feast/error.h include/feast/export.h \
 include/feast/json.h
src/format/json/json_writer.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
include/feast/json.h:
