build-tsan/obj/src/format/parquet/dataset.o: src/format/parquet/dataset.c \
 src/base/alloc.h src/base/arena.h include/feast/time.h \
 include/feast/error.h include/feast/export.h src/format/parquet/reader.h \
 include/feast/array.h include/feast/types.h include/feast/parquet.h \
 include/feast/arrow.h src/format/parquet/metadata.h \
 src/format/parquet/scan.h
src/base/alloc.h:
src/base/arena.h:
include/feast/time.h:
include/feast/error.h:
include/feast/export.h:
src/format/parquet/reader.h:
include/feast/array.h:
include/feast/types.h:
include/feast/parquet.h:
include/feast/arrow.h:
src/format/parquet/metadata.h:
src/format/parquet/scan.h:
