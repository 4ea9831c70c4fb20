build-tsan/obj/src/registry/registry.o: src/registry/registry.c \
 src/base/alloc.h src/registry/registry_internal.h \
 include/feast/registry.h include/feast/error.h include/feast/export.h \
 include/feast/spec.h include/feast/time.h include/feast/types.h \
 include/feast/specfile.h src/registry_backend/backend.h \
 src/registry/spec_codec.h src/base/buf.h
src/base/alloc.h:
src/registry/registry_internal.h:
include/feast/registry.h:
include/feast/error.h:
include/feast/export.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
include/feast/specfile.h:
src/registry_backend/backend.h:
src/registry/spec_codec.h:
src/base/buf.h:
