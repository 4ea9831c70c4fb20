build-tsan/obj/src/source/file.o: src/source/file.c \
 include/feast/parquet.h include/feast/array.h include/feast/error.h \
 include/feast/export.h include/feast/types.h include/feast/arrow.h \
 src/source/connector.h include/feast/source.h include/feast/csv.h \
 include/feast/spec.h include/feast/time.h include/feast/stream.h
include/feast/parquet.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/arrow.h:
src/source/connector.h:
include/feast/source.h:
include/feast/csv.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/stream.h:
