build-tsan/obj/src/format/spec/spec_equal.o: src/format/spec/spec_equal.c \
 src/base/alloc.h include/feast/specfile.h include/feast/error.h \
 include/feast/export.h include/feast/spec.h include/feast/time.h \
 include/feast/types.h
src/base/alloc.h:
include/feast/specfile.h:
include/feast/error.h:
include/feast/export.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
