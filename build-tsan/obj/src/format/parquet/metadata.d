build-tsan/obj/src/format/parquet/metadata.o: \
 src/format/parquet/metadata.c src/format/parquet/metadata.h \
 src/base/arena.h include/feast/error.h include/feast/export.h \
 src/base/alloc.h src/format/parquet/parquet_format.h \
 src/format/parquet/thrift_read.h
src/format/parquet/metadata.h:
src/base/arena.h:
include/feast/error.h:
include/feast/export.h:
src/base/alloc.h:
src/format/parquet/parquet_format.h:
src/format/parquet/thrift_read.h:
