build-tsan/obj/tests/unit/parquet_read_test.o: \
 tests/unit/parquet_read_test.c src/base/alloc.h src/base/buf.h \
 include/feast/error.h include/feast/export.h include/feast/parquet.h \
 include/feast/array.h include/feast/types.h include/feast/arrow.h \
 include/feast/parquet_writer.h src/format/parquet/encodings.h \
 src/format/parquet/scan.h tests/unit/test.h
src/base/alloc.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
include/feast/parquet.h:
include/feast/array.h:
include/feast/types.h:
include/feast/arrow.h:
include/feast/parquet_writer.h:
src/format/parquet/encodings.h:
src/format/parquet/scan.h:
tests/unit/test.h:
