build-tsan/obj/tests/unit/test.o: tests/unit/test.c tests/unit/test.h
tests/unit/test.h:
