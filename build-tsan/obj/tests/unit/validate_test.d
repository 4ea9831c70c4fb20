build-tsan/obj/tests/unit/validate_test.o: tests/unit/validate_test.c \
 include/feast/parquet.h include/feast/array.h include/feast/error.h \
 include/feast/export.h include/feast/types.h include/feast/arrow.h \
 include/feast/parquet_writer.h include/feast/specfile.h \
 include/feast/spec.h include/feast/time.h src/format/proto/descriptor.h \
 src/registry/validate.h src/format/spec/source_columns.h \
 tests/unit/test.h
include/feast/parquet.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/arrow.h:
include/feast/parquet_writer.h:
include/feast/specfile.h:
include/feast/spec.h:
include/feast/time.h:
src/format/proto/descriptor.h:
src/registry/validate.h:
src/format/spec/source_columns.h:
tests/unit/test.h:
