build-tsan/obj/src/registry/apply.o: src/registry/apply.c \
 src/base/alloc.h src/base/buf.h include/feast/error.h \
 include/feast/export.h src/registry/registry_internal.h \
 include/feast/registry.h include/feast/spec.h include/feast/time.h \
 include/feast/types.h include/feast/specfile.h \
 src/registry_backend/backend.h src/registry/spec_codec.h
src/base/alloc.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/registry/registry_internal.h:
include/feast/registry.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
include/feast/specfile.h:
src/registry_backend/backend.h:
src/registry/spec_codec.h:
