/*
 * grpc_core_server.c - the "gRPC core" candidate for feast serve's gRPC
 * layer: Debian's libgrpc (gRPC core 1.51) through its C API. N worker
 * threads, each driving its own completion queue registered with the one
 * server; each queue keeps SLOTS_PER_QUEUE calls requested so that many
 * streams can be in flight at once.
 *
 * It answers /feast.serving.ServingService/GetOnlineFeaturesV2 (registered
 * with the payload read into a byte buffer up front) with a fixed serialized
 * response, or the request itself with --echo (the library's floor). Calls
 * to any other method are taken as generic calls and get UNIMPLEMENTED
 * (core queues unmatched calls forever if nobody asks for them).
 * SIGTERM: shutdown_and_notify, calls still running after DRAIN_SECONDS are
 * cancelled, then the queues are shut down and drained.
 */
#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h> /* grpc_insecure_server_credentials_create */
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "bench_common.h"

#define METHOD_PATH "/feast.serving.ServingService/GetOnlineFeaturesV2"
#define SLOTS_PER_QUEUE 64
#define GENERIC_SLOTS_PER_QUEUE 2
#define DRAIN_SECONDS 5

static struct bench_options options;
static char *response_bytes;
static size_t response_len;
static grpc_server *server;
static void *registered_method;

enum slot_state { SLOT_REQUESTED, SLOT_ANSWERING };

struct call_slot {
  enum slot_state state;
  int generic; /* asked for with grpc_server_request_call (unknown methods) */
  grpc_completion_queue *cq;
  grpc_call *call;
  gpr_timespec deadline;
  grpc_metadata_array request_metadata;
  grpc_call_details details; /* generic calls only */
  grpc_byte_buffer *request;
  grpc_byte_buffer *response;
  int cancelled;
};

struct worker {
  grpc_completion_queue *cq;
  struct call_slot slots[SLOTS_PER_QUEUE + GENERIC_SLOTS_PER_QUEUE];
  pthread_t thread;
};

static int request_call(struct call_slot *s) {
  s->state = SLOT_REQUESTED;
  s->call = NULL;
  s->request = NULL;
  s->response = NULL;
  grpc_metadata_array_init(&s->request_metadata);
  grpc_call_error err;
  if (s->generic) {
    grpc_call_details_init(&s->details);
    err = grpc_server_request_call(server, &s->call, &s->details, &s->request_metadata, s->cq, s->cq, s);
  } else {
    err = grpc_server_request_registered_call(server, registered_method, &s->call, &s->deadline,
                                              &s->request_metadata, &s->request, s->cq, s->cq, s);
  }
  return err == GRPC_CALL_OK ? 0 : -1;
}

static void release_call(struct call_slot *s) {
  if (s->request) grpc_byte_buffer_destroy(s->request);
  if (s->response) grpc_byte_buffer_destroy(s->response);
  grpc_metadata_array_destroy(&s->request_metadata);
  if (s->generic) grpc_call_details_destroy(&s->details);
  if (s->call) grpc_call_unref(s->call);
  s->call = NULL;
}

/* One batch answers the whole unary call: initial metadata, the message (or
 * none on error), the status trailers, and waiting for the client's close. */
static int answer_call(struct call_slot *s) {
  grpc_op ops[4];
  memset(ops, 0, sizeof ops);
  size_t n = 0;
  grpc_status_code status = GRPC_STATUS_OK;
  grpc_slice details = grpc_empty_slice();
  if (s->generic) {
    status = GRPC_STATUS_UNIMPLEMENTED;
    details = grpc_slice_from_static_string("unknown method");
  } else if (!s->request) {
    status = GRPC_STATUS_INTERNAL;
    details = grpc_slice_from_static_string("no request message");
  } else if (options.error_status) {
    status = (grpc_status_code)options.error_status;
    details = grpc_slice_from_copied_string(options.error_message ? options.error_message : "");
  } else if (options.echo) {
    s->response = grpc_byte_buffer_copy(s->request);
  } else {
    grpc_slice body = grpc_slice_from_static_buffer(response_bytes, response_len);
    s->response = grpc_raw_byte_buffer_create(&body, 1);
  }
  ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
  n++;
  if (s->response) {
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n].data.send_message.send_message = s->response;
    n++;
  }
  ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[n].data.send_status_from_server.status = status;
  ops[n].data.send_status_from_server.status_details = &details;
  n++;
  ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  ops[n].data.recv_close_on_server.cancelled = &s->cancelled;
  n++;
  s->state = SLOT_ANSWERING;
  grpc_call_error err = grpc_call_start_batch(s->call, ops, n, s, NULL);
  grpc_slice_unref(details); /* the batch took its own reference */
  return err == GRPC_CALL_OK ? 0 : -1;
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
    if (ev.type != GRPC_OP_COMPLETE) continue;
    struct call_slot *s = ev.tag;
    if (s->state == SLOT_REQUESTED) {
      if (!ev.success) { /* the server is shutting down: this slot is done */
        release_call(s);
        continue;
      }
      if (answer_call(s) != 0) {
        release_call(s);
        if (request_call(s) != 0) release_call(s);
      }
    } else {
      release_call(s);
      if (request_call(s) != 0) release_call(s); /* refused once shutdown began */
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (bench_parse_options(argc, argv, &options) != 0) return 2;
  if (!options.echo && bench_load_file(options.response, &response_bytes, &response_len) != 0) return 1;
  bench_install_stop();
  grpc_init();

  grpc_arg args[2];
  args[0].type = GRPC_ARG_INTEGER;
  args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
  args[0].value.integer = (int)options.max_request;
  args[1].type = GRPC_ARG_INTEGER;
  args[1].key = (char *)GRPC_ARG_MAX_CONCURRENT_STREAMS;
  args[1].value.integer = 100;
  grpc_channel_args channel_args = {2, args};
  server = grpc_server_create(&channel_args, NULL);
  registered_method = grpc_server_register_method(server, METHOD_PATH, NULL,
                                                  GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
  struct worker *workers = feast_calloc((size_t)options.threads, sizeof *workers);
  if (!workers) return 1;
  for (int i = 0; i < options.threads; i++) {
    workers[i].cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(server, workers[i].cq, NULL);
  }
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", options.port);
  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  int bound = grpc_server_add_http2_port(server, addr, creds);
  grpc_server_credentials_release(creds);
  if (bound != options.port) {
    fprintf(stderr, "grpc_core_server: cannot bind %s\n", addr);
    return 1;
  }
  grpc_server_start(server);
  for (int i = 0; i < options.threads; i++) {
    for (int k = 0; k < SLOTS_PER_QUEUE + GENERIC_SLOTS_PER_QUEUE; k++) {
      struct call_slot *s = &workers[i].slots[k];
      s->cq = workers[i].cq;
      s->generic = k >= SLOTS_PER_QUEUE;
      if (request_call(s) != 0) {
        fprintf(stderr, "grpc_core_server: request_call refused\n");
        return 1;
      }
    }
    pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
  }
  fprintf(stderr, "grpc_core_server: %s, %d thread(s), %s\n", addr, options.threads,
          options.echo ? "echo" : options.response);

  while (!bench_stop_requested) usleep(100 * 1000);
  /* Graceful: stop accepting, let running calls finish, cancel stragglers. */
  grpc_completion_queue *shutdown_cq = grpc_completion_queue_create_for_pluck(NULL);
  static int shutdown_tag;
  grpc_server_shutdown_and_notify(server, shutdown_cq, &shutdown_tag);
  grpc_event ev = grpc_completion_queue_pluck(shutdown_cq, &shutdown_tag,
                                              gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
                                                           gpr_time_from_seconds(DRAIN_SECONDS, GPR_TIMESPAN)),
                                              NULL);
  if (ev.type == GRPC_QUEUE_TIMEOUT) {
    grpc_server_cancel_all_calls(server);
    grpc_completion_queue_pluck(shutdown_cq, &shutdown_tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  }
  grpc_server_destroy(server);
  for (int i = 0; i < options.threads; i++) grpc_completion_queue_shutdown(workers[i].cq);
  for (int i = 0; i < options.threads; i++) {
    pthread_join(workers[i].thread, NULL);
    grpc_completion_queue_destroy(workers[i].cq);
  }
  grpc_completion_queue_shutdown(shutdown_cq); /* its one event was plucked: nothing left to drain */
  grpc_completion_queue_destroy(shutdown_cq);
  grpc_shutdown();
  feast_free(workers);
  feast_free(response_bytes);
  return 0;
}
