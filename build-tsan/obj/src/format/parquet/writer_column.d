build-tsan/obj/src/format/parquet/writer_column.o: \
 src/format/parquet/writer_column.c src/format/parquet/codec.h \
 src/base/buf.h include/feast/error.h include/feast/export.h \
 src/format/parquet/parquet_format.h src/format/parquet/writer_internal.h \
 include/feast/array.h include/feast/types.h \
 include/feast/parquet_writer.h src/format/parquet/encode.h \
 src/format/parquet/thrift_write.h
src/format/parquet/codec.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/format/parquet/parquet_format.h:
src/format/parquet/writer_internal.h:
include/feast/array.h:
include/feast/types.h:
include/feast/parquet_writer.h:
src/format/parquet/encode.h:
src/format/parquet/thrift_write.h:
