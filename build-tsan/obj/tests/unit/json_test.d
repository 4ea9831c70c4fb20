build-tsan/obj/tests/unit/json_test.o: tests/unit/json_test.c \
 src/format/json/json_reader.h src/base/arena.h src/base/buf.h \
 include/feast/error.h include/feast/export.h \
 src/format/json/json_writer.h tests/unit/test.h
src/format/json/json_reader.h:
src/base/arena.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/format/json/json_writer.h:
tests/unit/test.h:
