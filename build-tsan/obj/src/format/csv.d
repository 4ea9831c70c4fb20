build-tsan/obj/src/format/csv.o: src/format/csv.c include/feast/csv.h \
 include/feast/array.h include/feast/error.h include/feast/export.h \
 include/feast/types.h include/feast/arrow.h src/base/alloc.h \
 src/base/buf.h include/feast/time.h
include/feast/csv.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/arrow.h:
src/base/alloc.h:
src/base/buf.h:
include/feast/time.h:
