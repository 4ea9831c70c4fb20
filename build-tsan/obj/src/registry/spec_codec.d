build-tsan/obj/src/registry/spec_codec.o: src/registry/spec_codec.c \
 src/registry/spec_codec.h src/base/buf.h include/feast/error.h \
 include/feast/export.h include/feast/spec.h include/feast/time.h \
 include/feast/types.h src/base/alloc.h
src/registry/spec_codec.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
src/base/alloc.h:
