build-tsan/obj/src/format/parquet/codec_compress.o: \
 src/format/parquet/codec_compress.c src/format/parquet/codec.h \
 src/base/buf.h include/feast/error.h include/feast/export.h \
 src/format/parquet/parquet_format.h
src/format/parquet/codec.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/format/parquet/parquet_format.h:
