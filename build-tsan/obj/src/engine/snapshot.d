build-tsan/obj/src/engine/snapshot.o: src/engine/snapshot.c \
 src/engine/snapshot.h include/feast/registry.h include/feast/error.h \
 include/feast/export.h include/feast/spec.h include/feast/time.h \
 include/feast/types.h include/feast/specfile.h src/base/alloc.h
src/engine/snapshot.h:
include/feast/registry.h:
include/feast/error.h:
include/feast/export.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
include/feast/specfile.h:
src/base/alloc.h:
