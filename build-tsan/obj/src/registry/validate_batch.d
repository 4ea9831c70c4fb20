build-tsan/obj/src/registry/validate_batch.o: \
 src/registry/validate_batch.c src/format/proto/feastproto.h \
 src/base/buf.h include/feast/error.h include/feast/export.h \
 src/base/varint.h include/feast/array.h include/feast/types.h \
 include/feast/time.h src/format/proto/wire.h src/registry/validate.h \
 include/feast/specfile.h include/feast/spec.h \
 src/format/spec/source_columns.h src/source/connector.h \
 include/feast/arrow.h include/feast/source.h include/feast/csv.h \
 include/feast/stream.h
src/format/proto/feastproto.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/base/varint.h:
include/feast/array.h:
include/feast/types.h:
include/feast/time.h:
src/format/proto/wire.h:
src/registry/validate.h:
include/feast/specfile.h:
include/feast/spec.h:
src/format/spec/source_columns.h:
src/source/connector.h:
include/feast/arrow.h:
include/feast/source.h:
include/feast/csv.h:
include/feast/stream.h:
