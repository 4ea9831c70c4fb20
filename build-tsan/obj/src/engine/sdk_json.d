build-tsan/obj/src/engine/sdk_json.o: src/engine/sdk_json.c \
 include/feast/sdk.h include/feast/arrow.h include/feast/array.h \
 include/feast/error.h include/feast/export.h include/feast/types.h \
 include/feast/specfile.h include/feast/spec.h include/feast/time.h \
 include/feast/store.h include/feast/config.h include/feast/csv.h \
 include/feast/ingest.h include/feast/online.h include/feast/registry.h \
 include/feast/retrieval.h src/base/alloc.h src/base/buf.h \
 include/feast/source.h include/feast/stream.h \
 src/format/proto/feastproto.h src/base/varint.h src/format/proto/wire.h \
 src/format/json/json_writer.h
include/feast/sdk.h:
include/feast/arrow.h:
include/feast/array.h:
include/feast/error.h:
include/feast/export.h:
include/feast/types.h:
include/feast/specfile.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/store.h:
include/feast/config.h:
include/feast/csv.h:
include/feast/ingest.h:
include/feast/online.h:
include/feast/registry.h:
include/feast/retrieval.h:
src/base/alloc.h:
src/base/buf.h:
include/feast/source.h:
include/feast/stream.h:
src/format/proto/feastproto.h:
src/base/varint.h:
src/format/proto/wire.h:
src/format/json/json_writer.h:
