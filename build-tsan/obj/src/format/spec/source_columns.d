build-tsan/obj/src/format/spec/source_columns.o: \
 src/format/spec/source_columns.c src/format/spec/source_columns.h \
 include/feast/spec.h include/feast/error.h include/feast/export.h \
 include/feast/time.h include/feast/types.h src/base/alloc.h
src/format/spec/source_columns.h:
include/feast/spec.h:
include/feast/error.h:
include/feast/export.h:
include/feast/time.h:
include/feast/types.h:
src/base/alloc.h:
