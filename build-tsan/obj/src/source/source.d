build-tsan/obj/src/source/source.o: src/source/source.c \
 include/feast/source.h include/feast/arrow.h include/feast/array.h \
 include/feast/error.h include/feast/export.h include/feast/types.h \
 include/feast/csv.h include/feast/spec.h include/feast/time.h \
 include/feast/stream.h src/source/connector.h
include/feast/source.h:
include/feast/arrow.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/csv.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/stream.h:
src/source/connector.h:
