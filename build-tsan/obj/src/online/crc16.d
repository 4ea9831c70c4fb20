build-tsan/obj/src/online/crc16.o: src/online/crc16.c src/online/crc16.h
src/online/crc16.h:
