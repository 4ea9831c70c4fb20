/*
 * crc16.h - Redis Cluster key slots: CRC16-CCITT (XMODEM: poly 0x1021,
 * init 0) of the key, or of its {hash tag}, modulo 16384.
 */
#ifndef FEAST_ONLINE_CRC16_H
#define FEAST_ONLINE_CRC16_H

#include <stddef.h>
#include <stdint.h>

uint16_t feast_crc16(const void *data, size_t len);
/* The cluster slot of a key, honouring the first non-empty {...} tag. */
uint16_t feast_redis_key_slot(const void *key, size_t len);

#endif
