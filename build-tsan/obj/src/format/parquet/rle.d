build-tsan/obj/src/format/parquet/rle.o: src/format/parquet/rle.c \
 src/base/varint.h src/format/parquet/encodings.h src/base/buf.h \
 include/feast/error.h include/feast/export.h
src/base/varint.h:
src/format/parquet/encodings.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
