build-tsan/obj/src/config/config.o: src/config/config.c \
 include/feast/config.h include/feast/error.h include/feast/export.h \
 include/feast/spec.h include/feast/time.h include/feast/types.h \
 src/base/alloc.h src/base/buf.h src/base/file.h \
 src/format/yaml/yaml_tree.h src/base/arena.h
include/feast/config.h:
include/feast/error.h:
include/feast/export.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
src/base/alloc.h:
src/base/buf.h:
src/base/file.h:
src/format/yaml/yaml_tree.h:
src/base/arena.h:
