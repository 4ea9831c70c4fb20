build-tsan/obj/src/format/parquet/writer.o: src/format/parquet/writer.c \
 src/base/alloc.h include/feast/parquet_writer.h include/feast/array.h \
 include/feast/error.h include/feast/export.h include/feast/types.h \
 include/feast/version.h src/format/parquet/parquet_format.h \
 src/format/parquet/writer_internal.h src/base/buf.h \
 src/format/parquet/encode.h src/format/parquet/thrift_write.h
src/base/alloc.h:
include/feast/parquet_writer.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/version.h:
src/format/parquet/parquet_format.h:
src/format/parquet/writer_internal.h:
src/base/buf.h:
src/format/parquet/encode.h:
src/format/parquet/thrift_write.h:
