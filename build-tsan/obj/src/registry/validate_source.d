build-tsan/obj/src/registry/validate_source.o: \
 src/registry/validate_source.c src/format/avro/avro_check.h \
 include/feast/error.h include/feast/export.h \
 src/format/spec/source_columns.h include/feast/spec.h \
 include/feast/time.h include/feast/types.h src/format/proto/descriptor.h \
 src/format/proto/proto_check.h src/registry/validate.h \
 include/feast/specfile.h
src/format/avro/avro_check.h:
include/feast/error.h:
include/feast/export.h:
src/format/spec/source_columns.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
src/format/proto/descriptor.h:
src/format/proto/proto_check.h:
src/registry/validate.h:
include/feast/specfile.h:
