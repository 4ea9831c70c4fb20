build-tsan/obj/tests/unit/store_threads_test.o: \
 tests/unit/store_threads_test.c include/feast/store.h \
 include/feast/arrow.h include/feast/array.h include/feast/error.h \
 include/feast/export.h include/feast/types.h include/feast/config.h \
 include/feast/spec.h include/feast/time.h include/feast/csv.h \
 include/feast/ingest.h include/feast/online.h include/feast/registry.h \
 include/feast/specfile.h include/feast/retrieval.h tests/unit/test.h
include/feast/store.h:
include/feast/arrow.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/config.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/csv.h:
include/feast/ingest.h:
include/feast/online.h:
include/feast/registry.h:
include/feast/specfile.h:
include/feast/retrieval.h:
tests/unit/test.h:
