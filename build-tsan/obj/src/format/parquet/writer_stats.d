build-tsan/obj/src/format/parquet/writer_stats.o: \
 src/format/parquet/writer_stats.c src/format/parquet/parquet_format.h \
 src/format/parquet/writer_internal.h src/base/buf.h \
 include/feast/error.h include/feast/export.h include/feast/array.h \
 include/feast/types.h include/feast/parquet_writer.h \
 src/format/parquet/encode.h src/format/parquet/thrift_write.h
src/format/parquet/parquet_format.h:
src/format/parquet/writer_internal.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
include/feast/array.h:
include/feast/types.h:
include/feast/parquet_writer.h:
src/format/parquet/encode.h:
src/format/parquet/thrift_write.h:
