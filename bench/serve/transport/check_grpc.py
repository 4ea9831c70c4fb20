"""check_grpc.py - a real gRPC client (grpcio) against a benchmark server:
calls /feast.serving.ServingService/GetOnlineFeaturesV2 and checks what
comes back. Exits non-zero with a message on any mismatch.

  check_grpc.py ok PORT REQUEST.bin RESPONSE.bin PYDIR   bytes equal, status OK, parses as
                                                         GetOnlineFeaturesResponse
  check_grpc.py echo PORT REQUEST.bin                    the request comes back
  check_grpc.py error PORT REQUEST.bin CODE MESSAGE      grpc-status/grpc-message reach the client
  check_grpc.py abuse PORT REQUEST.bin                   unknown method -> UNIMPLEMENTED
"""
import sys

import grpc

METHOD = "/feast.serving.ServingService/GetOnlineFeaturesV2"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def call(port, method, request):
    with grpc.insecure_channel("127.0.0.1:%d" % port) as ch:
        rpc = ch.unary_unary(method)  # no serializers: bytes in, bytes out
        return rpc.with_call(request, timeout=10)


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    request = open(sys.argv[3], "rb").read()
    if mode == "ok":
        expected = open(sys.argv[4], "rb").read()
        sys.path.insert(0, sys.argv[5])
        import serving_bench_pb2
        got, c = call(port, METHOD, request)
        if c.code() != grpc.StatusCode.OK:
            fail("status %s" % c.code())
        if got != expected:
            fail("response differs: %d bytes, expected %d" % (len(got), len(expected)))
        resp = serving_bench_pb2.GetOnlineFeaturesResponse.FromString(got)
        print("OK: %d bytes, %d entity rows, %d fields in row 0" %
              (len(got), len(resp.field_values), len(resp.field_values[0].fields)))
    elif mode == "echo":
        got, c = call(port, METHOD, request)
        if c.code() != grpc.StatusCode.OK or got != request:
            fail("echo mismatch or status %s" % c.code())
        print("OK: echo %d bytes" % len(got))
    elif mode == "error":
        code, message = int(sys.argv[4]), sys.argv[5]
        try:
            call(port, METHOD, request)
        except grpc.RpcError as e:
            if e.code().value[0] != code or e.details() != message:
                fail("got %s %r, expected %d %r" % (e.code(), e.details(), code, message))
            print("OK: error trailers %s %r" % (e.code(), e.details()))
            return
        fail("call succeeded, expected status %d" % code)
    elif mode == "abuse":
        try:
            call(port, "/feast.serving.ServingService/NoSuchMethod", request)
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.UNIMPLEMENTED:
                fail("unknown method gave %s" % e.code())
            print("OK: unknown method -> %s" % e.code())
            return
        fail("unknown method succeeded")
    else:
        fail("unknown mode " + mode)


if __name__ == "__main__":
    main()
