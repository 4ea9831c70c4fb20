build-tsan/obj/src/format/parquet/codec_decompress.o: \
 src/format/parquet/codec_decompress.c src/format/parquet/codec.h \
 src/base/buf.h include/feast/error.h include/feast/export.h \
 src/format/parquet/parquet_format.h
src/format/parquet/codec.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/format/parquet/parquet_format.h:
