build-tsan/obj/src/engine/retrieval.o: src/engine/retrieval.c \
 src/base/alloc.h src/engine/retrieval_internal.h src/engine/pit.h \
 include/feast/array.h include/feast/error.h include/feast/export.h \
 include/feast/types.h src/engine/spill.h include/feast/retrieval.h \
 include/feast/arrow.h include/feast/spec.h include/feast/time.h
src/base/alloc.h:
src/engine/retrieval_internal.h:
src/engine/pit.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
src/engine/spill.h:
include/feast/retrieval.h:
include/feast/arrow.h:
include/feast/spec.h:
include/feast/time.h:
