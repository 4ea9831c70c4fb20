build-tsan/obj/src/format/spec/spec_parse.o: src/format/spec/spec_parse.c \
 src/base/alloc.h src/base/buf.h include/feast/error.h \
 include/feast/export.h src/base/file.h include/feast/specfile.h \
 include/feast/spec.h include/feast/time.h include/feast/types.h \
 src/format/yaml/yaml_tree.h src/base/arena.h
src/base/alloc.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
src/base/file.h:
include/feast/specfile.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
src/format/yaml/yaml_tree.h:
src/base/arena.h:
