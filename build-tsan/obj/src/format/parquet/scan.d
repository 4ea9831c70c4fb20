build-tsan/obj/src/format/parquet/scan.o: src/format/parquet/scan.c \
 src/format/parquet/scan.h include/feast/parquet.h include/feast/array.h \
 include/feast/error.h include/feast/export.h include/feast/types.h \
 include/feast/arrow.h src/base/alloc.h src/base/arena.h \
 src/format/parquet/reader.h src/format/parquet/metadata.h
src/format/parquet/scan.h:
include/feast/parquet.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/arrow.h:
src/base/alloc.h:
src/base/arena.h:
src/format/parquet/reader.h:
src/format/parquet/metadata.h:
