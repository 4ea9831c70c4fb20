build-tsan/obj/src/format/proto/proto_check.o: \
 src/format/proto/proto_check.c src/format/proto/proto_check.h \
 src/format/proto/descriptor.h include/feast/error.h \
 include/feast/export.h src/format/spec/source_columns.h \
 include/feast/spec.h include/feast/time.h include/feast/types.h
src/format/proto/proto_check.h:
src/format/proto/descriptor.h:
include/feast/error.h:
include/feast/export.h:
src/format/spec/source_columns.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
