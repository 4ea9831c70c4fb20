build-tsan/obj/src/format/parquet/schema.o: src/format/parquet/schema.c \
 src/base/alloc.h src/format/parquet/parquet_format.h \
 src/format/parquet/reader.h include/feast/array.h include/feast/error.h \
 include/feast/export.h include/feast/types.h include/feast/parquet.h \
 include/feast/arrow.h src/format/parquet/metadata.h src/base/arena.h
src/base/alloc.h:
src/format/parquet/parquet_format.h:
src/format/parquet/reader.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/parquet.h:
include/feast/arrow.h:
src/format/parquet/metadata.h:
src/base/arena.h:
