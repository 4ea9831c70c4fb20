build-tsan/obj/src/format/parquet/column.o: src/format/parquet/column.c \
 src/base/alloc.h src/base/buf.h include/feast/error.h \
 include/feast/export.h src/format/parquet/codec.h \
 src/format/parquet/encodings.h src/format/parquet/parquet_format.h \
 src/format/parquet/reader.h include/feast/array.h include/feast/types.h \
 include/feast/parquet.h include/feast/arrow.h \
 src/format/parquet/metadata.h src/base/arena.h \
 src/model/array_internal.h
src/base/alloc.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/format/parquet/codec.h:
src/format/parquet/encodings.h:
src/format/parquet/parquet_format.h:
src/format/parquet/reader.h:
include/feast/array.h:
include/feast/types.h:
include/feast/parquet.h:
include/feast/arrow.h:
src/format/parquet/metadata.h:
src/base/arena.h:
src/model/array_internal.h:
