/*
 * grpc.h - what the gRPC transport (grpc_h2.c: HTTP/2 from nghttp2, our
 * 5-byte message framing, trailers) hands the service handlers
 * (grpc_serving.c, grpc_core.c, grpc_jobs.c) and what they give back.
 *
 * A unary call is answered synchronously: the transport has the whole
 * request message when it calls the handler on the connection's loop
 * thread; the handler sets a status (and a message for errors) or appends
 * the serialized response to call->out, whose first 5 bytes are reserved
 * for the gRPC frame prefix so the answer leaves without a copy.
 */
#ifndef FEAST_SERVE_GRPC_H
#define FEAST_SERVE_GRPC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "base/arena.h"
#include "base/buf.h"
#include "serve/serve.h"

/* gRPC status codes (grpc/doc/statuscodes.md). */
enum {
  GRPC_OK = 0,
  GRPC_CANCELLED = 1,
  GRPC_UNKNOWN = 2,
  GRPC_INVALID_ARGUMENT = 3,
  GRPC_DEADLINE_EXCEEDED = 4,
  GRPC_NOT_FOUND = 5,
  GRPC_ALREADY_EXISTS = 6,
  GRPC_PERMISSION_DENIED = 7,
  GRPC_RESOURCE_EXHAUSTED = 8,
  GRPC_FAILED_PRECONDITION = 9,
  GRPC_ABORTED = 10,
  GRPC_OUT_OF_RANGE = 11,
  GRPC_UNIMPLEMENTED = 12,
  GRPC_INTERNAL = 13,
  GRPC_UNAVAILABLE = 14,
  GRPC_DATA_LOSS = 15,
  GRPC_UNAUTHENTICATED = 16
};

/* Which listeners carry a method (serve_port_kind bits). */
#define GRPC_ON_GRPC (1u << SERVE_PORT_GRPC)
#define GRPC_ON_CORE (1u << SERVE_PORT_CORE)
#define GRPC_ON_JOBS (1u << SERVE_PORT_JOBS)

typedef struct grpc_call {
  const serve_ctx *ctx;
  feast_arena *arena;    /* reset after the call */
  const uint8_t *req;    /* the request message, unframed */
  size_t req_len;
  const char *bearer;    /* the token of "authorization: Bearer X", or NULL */
  uint64_t deadline_ns;  /* 0 = none; serve_worker_now_ns clock */
  /* out */
  int status;            /* GRPC_OK unless grpc_fail was called */
  char *message;         /* the error's text (arena), not yet percent-encoded */
  feast_buf *out;        /* 5 reserved bytes, then the serialized response */
  uint64_t rows;         /* entity rows served, for metrics */
} grpc_call;

typedef void (*grpc_handler)(grpc_call *call);

typedef struct grpc_method {
  const char *path; /* "/feast.serving.ServingService/GetOnlineFeaturesV2" */
  grpc_handler handler;
  unsigned ports;   /* GRPC_ON_* */
} grpc_method;

/* Every method of the three services; NULL when unknown. */
const grpc_method *grpc_find_method(const char *path, size_t len);
size_t grpc_num_methods(void);
const grpc_method *grpc_method_at(size_t i);

/* Metrics: the endpoint id of a method, registered on first use. */
int grpc_endpoint_of(serve_metrics *m, const grpc_method *mth);

/* The service tables (grpc_serving.c, grpc_core.c, grpc_jobs.c). */
extern const grpc_method grpc_serving_methods[];
extern const size_t grpc_serving_num_methods;
extern const grpc_method grpc_core_methods[];
extern const size_t grpc_core_num_methods;
extern const grpc_method grpc_jobs_methods[];
extern const size_t grpc_jobs_num_methods;

/* Set an error status; the message is formatted into the call's arena. */
void grpc_fail(grpc_call *call, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The gRPC status a feast_code maps to (Feast 0.9's CoreServiceImpl choices). */
int grpc_status_of(feast_code code);
/* Check a token for `project` (NULL = any) and access; on refusal sets the
 * status (UNAUTHENTICATED / PERMISSION_DENIED) and returns false. */
bool grpc_authorize(grpc_call *call, const char *project, serve_access need);

/* Percent-encode a grpc-message value (gRPC over HTTP/2, "Responses"):
 * bytes outside 0x20-0x7e and '%' become %XX. Returns the length written
 * (out gets a NUL; at most cap-1 bytes). */
size_t grpc_percent_encode(const char *in, char *out, size_t cap);
/* Parse a grpc-timeout value ("100m", "5S"...) into ns; false if malformed. */
bool grpc_parse_timeout(const char *v, size_t len, uint64_t *ns);

/* protobuf-c allocations from the call's arena (free is a no-op). */
ProtobufCAllocator grpc_allocator(feast_arena *a);
/* Unpack the request as `desc`; on failure sets INVALID_ARGUMENT ("invalid
 * protobuf for NAME") and returns NULL. */
void *grpc_unpack(grpc_call *call, const ProtobufCMessageDescriptor *desc);
/* Pack `msg` into call->out. */
void grpc_pack(grpc_call *call, const ProtobufCMessage *msg);

/* The store for `project` (NULL or "" = "default"): the daemon's own when
 * it is that project, else one opened once per project and kept (sharing
 * the daemon's online store). Only projects the registry has are opened
 * (FEAST_E_NOT_FOUND otherwise), at most 1024: a request cannot make the
 * daemon hold a store per made-up name. Thread-safe; NULL with err set. */
feast_store *grpc_project_store(const serve_ctx *ctx, const char *project, feast_error *err);
/* Free the per-project stores (at shutdown). */
void grpc_project_stores_free(void);
/* Is `project` a live (not archived) project of the registry? (grpc_core.c) */
bool grpc_project_exists(const serve_ctx *ctx, const char *project);
/* Core's registry handle (grpc_core.c), closed at shutdown. */
void grpc_core_free(void);
/* FEAST_E_NOT_FOUND unless `table` is in the store's current specs; with
 * want_stream, FEAST_E_INVALID unless it has a stream_source. */
feast_code grpc_table_check(feast_store *s, const char *table, bool want_stream, feast_error *err);
#endif
