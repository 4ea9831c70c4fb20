build-tsan/obj/tests/unit/parquet_write_test.o: \
 tests/unit/parquet_write_test.c src/base/alloc.h src/base/buf.h \
 include/feast/error.h include/feast/export.h \
 include/feast/parquet_writer.h include/feast/array.h \
 include/feast/types.h src/format/parquet/encode.h \
 src/format/parquet/thrift_write.h tests/unit/test.h
src/base/alloc.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
include/feast/parquet_writer.h:
include/feast/array.h:
include/feast/types.h:
src/format/parquet/encode.h:
src/format/parquet/thrift_write.h:
tests/unit/test.h:
