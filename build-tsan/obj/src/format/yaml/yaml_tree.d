build-tsan/obj/src/format/yaml/yaml_tree.o: src/format/yaml/yaml_tree.c \
 src/format/yaml/yaml_tree.h src/base/arena.h include/feast/error.h \
 include/feast/export.h src/base/alloc.h
src/format/yaml/yaml_tree.h:
src/base/arena.h:
include/feast/error.h:
include/feast/export.h:
src/base/alloc.h:
