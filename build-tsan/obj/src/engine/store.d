build-tsan/obj/src/engine/store.o: src/engine/store.c \
 include/feast/store.h include/feast/arrow.h include/feast/array.h \
 include/feast/error.h include/feast/export.h include/feast/types.h \
 include/feast/config.h include/feast/spec.h include/feast/time.h \
 include/feast/csv.h include/feast/ingest.h include/feast/online.h \
 include/feast/registry.h include/feast/specfile.h \
 include/feast/retrieval.h src/base/alloc.h src/engine/snapshot.h \
 src/registry/registry_internal.h src/registry_backend/backend.h \
 include/feast/source.h include/feast/stream.h src/source/connector.h
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
src/base/alloc.h:
src/engine/snapshot.h:
src/registry/registry_internal.h:
src/registry_backend/backend.h:
include/feast/source.h:
include/feast/stream.h:
src/source/connector.h:
