/*
 * crc16.c - CRC16-CCITT (XMODEM) bitwise; key slots are computed once per
 * key written or read, so a table-free loop is fast enough.
 */
#include "online/crc16.h"

#include <string.h>

uint16_t feast_crc16(const void *data, size_t len) {
  const uint8_t *p = data;
  uint16_t crc = 0;
  for (size_t i = 0; i < len; i++) {
    crc ^= (uint16_t)(p[i] << 8);
    for (int b = 0; b < 8; b++) crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
  }
  return crc;
}

uint16_t feast_redis_key_slot(const void *key, size_t len) {
  const uint8_t *k = key;
  const uint8_t *open = memchr(k, '{', len);
  if (open) {
    size_t s = (size_t)(open - k) + 1;
    const uint8_t *close = memchr(k + s, '}', len - s);
    if (close && close != k + s) return feast_crc16(k + s, (size_t)(close - (k + s))) & 16383;
  }
  return feast_crc16(k, len) & 16383;
}
