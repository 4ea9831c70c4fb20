build-tsan/obj/src/format/parquet/thrift_read.o: \
 src/format/parquet/thrift_read.c src/format/parquet/thrift_read.h
src/format/parquet/thrift_read.h:
