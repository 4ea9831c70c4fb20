build-tsan/obj/src/format/avro/avro_check.o: src/format/avro/avro_check.c \
 src/format/avro/avro_check.h include/feast/error.h \
 include/feast/export.h src/format/spec/source_columns.h \
 include/feast/spec.h include/feast/time.h include/feast/types.h
src/format/avro/avro_check.h:
include/feast/error.h:
include/feast/export.h:
src/format/spec/source_columns.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
