/* version.h - the libfeast version. */
#ifndef FEAST_VERSION_H
#define FEAST_VERSION_H
#define FEAST_VERSION "0.1.0"
#endif
