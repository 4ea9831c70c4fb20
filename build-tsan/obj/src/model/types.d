build-tsan/obj/src/model/types.o: src/model/types.c include/feast/types.h \
 include/feast/export.h
include/feast/types.h:
include/feast/export.h:
