build-tsan/obj/src/registry_backend/sqlite.o: \
 src/registry_backend/sqlite.c src/base/alloc.h \
 src/registry_backend/backend.h include/feast/error.h \
 include/feast/export.h include/feast/time.h
src/base/alloc.h:
src/registry_backend/backend.h:
include/feast/error.h:
include/feast/export.h:
include/feast/time.h:
