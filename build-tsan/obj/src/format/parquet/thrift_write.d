build-tsan/obj/src/format/parquet/thrift_write.o: \
 src/format/parquet/thrift_write.c src/format/parquet/thrift_write.h \
 src/base/buf.h include/feast/error.h include/feast/export.h \
 src/base/varint.h
src/format/parquet/thrift_write.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/base/varint.h:
