build-tsan/obj/src/format/parquet/encode.o: src/format/parquet/encode.c \
 src/format/parquet/encode.h src/base/buf.h include/feast/error.h \
 include/feast/export.h src/base/alloc.h src/base/hash.h \
 src/base/varint.h
src/format/parquet/encode.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/base/alloc.h:
src/base/hash.h:
src/base/varint.h:
