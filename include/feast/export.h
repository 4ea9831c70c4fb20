/*
 * export.h - symbol visibility. The library is built with
 * -fvisibility=hidden; only functions marked FEAST_API are exported from the
 * shared object. Internal cross-module functions keep the feast_ prefix but
 * are invisible to users (libuv reaches the same end with a uv__ prefix).
 */
#ifndef FEAST_EXPORT_H
#define FEAST_EXPORT_H
#if defined(__GNUC__)
#define FEAST_API __attribute__((visibility("default")))
#else
#define FEAST_API
#endif
#endif
