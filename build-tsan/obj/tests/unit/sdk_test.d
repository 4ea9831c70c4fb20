build-tsan/obj/tests/unit/sdk_test.o: tests/unit/sdk_test.c \
 include/feast/sdk.h include/feast/arrow.h include/feast/array.h \
 include/feast/error.h include/feast/export.h include/feast/types.h \
 include/feast/specfile.h include/feast/spec.h include/feast/time.h \
 include/feast/store.h include/feast/config.h include/feast/csv.h \
 include/feast/ingest.h include/feast/online.h include/feast/registry.h \
 include/feast/retrieval.h include/feast/parquet_writer.h \
 include/feast/source.h include/feast/stream.h tests/unit/test.h
include/feast/sdk.h:
include/feast/arrow.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/specfile.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/store.h:
include/feast/config.h:
include/feast/csv.h:
include/feast/ingest.h:
include/feast/online.h:
include/feast/registry.h:
include/feast/retrieval.h:
include/feast/parquet_writer.h:
include/feast/source.h:
include/feast/stream.h:
tests/unit/test.h:
