/*
 * bench_common.h - the pieces every transport benchmark server shares: the
 * command line, loading the fixed payload file, a loopback listening socket,
 * and a stop flag set by SIGINT/SIGTERM so each server can show how it
 * drains on shutdown.
 */
#ifndef BENCH_SERVE_TRANSPORT_COMMON_H
#define BENCH_SERVE_TRANSPORT_COMMON_H

#include <signal.h>
#include <stddef.h>

struct bench_options {
  int port;              /* 127.0.0.1:port */
  int threads;           /* worker threads, each with its own loop / queue */
  const char *response;  /* file holding the fixed response body */
  int echo;              /* answer with the request body instead */
  int error_status;      /* gRPC servers: answer with this grpc-status (0 = OK) */
  const char *error_message;
  size_t max_request;    /* request bodies past this are refused */
};

/* Parses --port P [--threads N] [--response FILE | --echo]
 * [--error-status S --error-message M] [--max-request BYTES];
 * prints usage and returns -1 on anything else. */
int bench_parse_options(int argc, char **argv, struct bench_options *opt);

/* Reads a whole file into a feast_malloc'ed buffer; -1 with a message on
 * stderr naming the file. */
int bench_load_file(const char *path, char **data, size_t *len);

/* A non-blocking TCP socket listening on 127.0.0.1:port with SO_REUSEPORT
 * (so each worker thread can own one) and TCP_NODELAY, or -1 with a message. */
int bench_listen(int port);

/* Nonzero once SIGINT or SIGTERM arrived (installed by bench_install_stop). */
extern volatile sig_atomic_t bench_stop_requested;
void bench_install_stop(void);

#endif
