build-tsan/obj/src/registry/validate.o: src/registry/validate.c \
 src/base/alloc.h src/registry/validate.h include/feast/specfile.h \
 include/feast/error.h include/feast/export.h include/feast/spec.h \
 include/feast/time.h include/feast/types.h \
 src/format/spec/source_columns.h
src/base/alloc.h:
src/registry/validate.h:
include/feast/specfile.h:
include/feast/error.h:
include/feast/export.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
src/format/spec/source_columns.h:
