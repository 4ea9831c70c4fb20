/*
 * http_mhd_server.c - the libmicrohttpd candidate for feast serve's HTTP
 * layer: Debian's libmicrohttpd (0.9.75) with its own thread pool, each
 * pool thread running its own epoll over its share of the connections.
 *
 * POST /get-online-features answers the fixed JSON document (one response
 * object made at start and queued again for every request, from persistent
 * memory); GET /health answers "ok"; anything else 404. The body arrives in
 * pieces through the access handler and is counted, not kept; past
 * --max-request the answer is 413. SIGTERM: MHD_quiesce_daemon (stop
 * accepting), wait for the open connections up to DRAIN_SECONDS, stop.
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "bench_common.h"

#define DRAIN_SECONDS 5

static struct bench_options options;
static char *json_body;
static size_t json_len;
static struct MHD_Response *features_response, *health_response, *not_found_response, *too_big_response;

/* Per-request state lives in the con_cls pointer itself: 1 + body bytes
 * seen so far, so a request needs no allocation of ours. MHD refuses a
 * response queued in the middle of the body, so a declared Content-Length
 * past the limit is refused at the headers, and an undeclared (chunked)
 * body past it is drained and refused at its end. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  (void)cls;
  (void)version;
  (void)upload_data;
  uintptr_t seen = (uintptr_t)*con_cls;
  if (seen == 0) { /* headers only so far */
    const char *declared = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (declared && strtoull(declared, NULL, 10) > options.max_request)
      return MHD_queue_response(conn, MHD_HTTP_CONTENT_TOO_LARGE, too_big_response);
    *con_cls = (void *)(uintptr_t)1;
    return MHD_YES;
  }
  if (*upload_data_size) {
    seen += *upload_data_size;
    *upload_data_size = 0;
    *con_cls = (void *)seen;
    return MHD_YES;
  }
  if (seen - 1 > options.max_request) return MHD_queue_response(conn, MHD_HTTP_CONTENT_TOO_LARGE, too_big_response);
  if (strcmp(method, "POST") == 0 && strcmp(url, "/get-online-features") == 0)
    return MHD_queue_response(conn, MHD_HTTP_OK, features_response);
  if (strcmp(method, "GET") == 0 && strcmp(url, "/health") == 0)
    return MHD_queue_response(conn, MHD_HTTP_OK, health_response);
  return MHD_queue_response(conn, MHD_HTTP_NOT_FOUND, not_found_response);
}

static struct MHD_Response *static_response(const char *body, size_t len, const char *content_type) {
  struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
  if (r && content_type) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  return r;
}

int main(int argc, char **argv) {
  if (bench_parse_options(argc, argv, &options) != 0) return 2;
  if (options.echo) {
    fprintf(stderr, "http_mhd_server: --echo is for the gRPC servers\n");
    return 2;
  }
  if (bench_load_file(options.response, &json_body, &json_len) != 0) return 1;
  features_response = static_response(json_body, json_len, "application/json");
  health_response = static_response("ok", 2, "text/plain");
  not_found_response = static_response("", 0, NULL);
  too_big_response = static_response("", 0, NULL);
  if (!features_response || !health_response || !not_found_response || !too_big_response) return 1;
  bench_install_stop();
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)options.port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  /* ITC: MHD_quiesce_daemon needs it to wake the pool threads. */
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
  /* A pool of one is refused with a warning: one internal thread is the same. */
  struct MHD_OptionItem opts[] = {
      {MHD_OPTION_SOCK_ADDR, 0, &sa},
      {MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL},
      {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL},
      {options.threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, options.threads, NULL},
      {MHD_OPTION_END, 0, NULL},
  };
  struct MHD_Daemon *d = MHD_start_daemon(flags, (uint16_t)options.port, NULL, NULL, on_request, NULL,
                                          MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "http_mhd_server: cannot start on 127.0.0.1:%d\n", options.port);
    return 1;
  }
  fprintf(stderr, "http_mhd_server: 127.0.0.1:%d, %d thread(s), %s\n", options.port, options.threads,
          options.response);
  while (!bench_stop_requested) usleep(100 * 1000);
  MHD_socket lfd = MHD_quiesce_daemon(d);
  if (lfd != MHD_INVALID_SOCKET) close(lfd);
  time_t deadline = time(NULL) + DRAIN_SECONDS;
  while (time(NULL) <= deadline) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    if (!info || info->num_connections == 0) break;
    usleep(50 * 1000);
  }
  MHD_stop_daemon(d);
  MHD_destroy_response(features_response);
  MHD_destroy_response(health_response);
  MHD_destroy_response(not_found_response);
  MHD_destroy_response(too_big_response);
  feast_free(json_body);
  return 0;
}
