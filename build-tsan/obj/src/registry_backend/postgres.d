build-tsan/obj/src/registry_backend/postgres.o: \
 src/registry_backend/postgres.c /usr/include/postgresql/libpq-fe.h \
 /usr/include/postgresql/postgres_ext.h \
 /usr/include/postgresql/pg_config_ext.h src/base/alloc.h \
 src/registry_backend/backend.h include/feast/error.h \
 include/feast/export.h include/feast/time.h
/usr/include/postgresql/libpq-fe.h:
/usr/include/postgresql/postgres_ext.h:
/usr/include/postgresql/pg_config_ext.h:
src/base/alloc.h:
src/registry_backend/backend.h:
include/feast/error.h:
include/feast/export.h:
include/feast/time.h:
