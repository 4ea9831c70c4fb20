build-tsan/obj/src/format/parquet/delta.o: src/format/parquet/delta.c \
 src/base/varint.h src/format/parquet/encodings.h src/base/buf.h \
 include/feast/error.h include/feast/export.h
src/base/varint.h:
src/format/parquet/encodings.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
