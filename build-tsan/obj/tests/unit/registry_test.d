build-tsan/obj/tests/unit/registry_test.o: tests/unit/registry_test.c \
 /usr/include/postgresql/libpq-fe.h \
 /usr/include/postgresql/postgres_ext.h \
 /usr/include/postgresql/pg_config_ext.h src/base/alloc.h src/base/buf.h \
 include/feast/error.h include/feast/export.h include/feast/registry.h \
 include/feast/spec.h include/feast/time.h include/feast/types.h \
 include/feast/specfile.h src/registry/spec_codec.h tests/unit/test.h
/usr/include/postgresql/libpq-fe.h:
/usr/include/postgresql/postgres_ext.h:
/usr/include/postgresql/pg_config_ext.h:
src/base/alloc.h:
src/base/buf.h:
include/feast/error.h:
include/feast/export.h:
include/feast/registry.h:
include/feast/spec.h:
include/feast/time.h:
include/feast/types.h:
include/feast/specfile.h:
src/registry/spec_codec.h:
tests/unit/test.h:
