/*
 * bench_common.c - command line, payload loading, listening socket and the
 * stop flag shared by the transport benchmark servers.
 */
#include "bench_common.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"

volatile sig_atomic_t bench_stop_requested;

static void usage(const char *prog) {
  fprintf(stderr,
          "usage: %s --port P [--threads N] (--response FILE | --echo)\n"
          "          [--error-status S --error-message M] [--max-request BYTES]\n",
          prog);
}

int bench_parse_options(int argc, char **argv, struct bench_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->threads = 1;
  opt->max_request = 4u << 20;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--echo") == 0) {
      opt->echo = 1;
      continue;
    }
    if (!v) {
      usage(argv[0]);
      return -1;
    }
    if (strcmp(a, "--port") == 0) {
      opt->port = atoi(v);
    } else if (strcmp(a, "--threads") == 0) {
      opt->threads = atoi(v);
    } else if (strcmp(a, "--response") == 0) {
      opt->response = v;
    } else if (strcmp(a, "--error-status") == 0) {
      opt->error_status = atoi(v);
    } else if (strcmp(a, "--error-message") == 0) {
      opt->error_message = v;
    } else if (strcmp(a, "--max-request") == 0) {
      opt->max_request = (size_t)strtoull(v, NULL, 10);
    } else {
      usage(argv[0]);
      return -1;
    }
    i++;
  }
  if (opt->port <= 0 || opt->port > 65535 || opt->threads < 1 || opt->threads > 64 ||
      (!opt->echo && !opt->response)) {
    usage(argv[0]);
    return -1;
  }
  return 0;
}

int bench_load_file(const char *path, char **data, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || st.st_size <= 0) {
    fprintf(stderr, "%s: empty or unreadable\n", path);
    fclose(f);
    return -1;
  }
  *len = (size_t)st.st_size;
  *data = feast_malloc(*len);
  if (!*data || fread(*data, 1, *len, f) != *len) {
    fprintf(stderr, "%s: short read\n", path);
    feast_free(*data);
    fclose(f);
    return -1;
  }
  fclose(f);
  return 0;
}

int bench_listen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("socket");
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  /* Inherited by accepted sockets on Linux: a library that writes headers
   * and body separately (evhttp) must not wait on Nagle + delayed ACK. */
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0) {
    fprintf(stderr, "127.0.0.1:%d: %s\n", port, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

static void on_stop_signal(int sig) {
  (void)sig;
  bench_stop_requested = 1;
}

void bench_install_stop(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}
