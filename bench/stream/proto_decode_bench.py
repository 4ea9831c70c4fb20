"""Python protobuf (upb) parsing the benchmark's messages: proto_decode_bench.py PY_OUT MESSAGES [reps].

PY_OUT holds feature_row_pb2.py (protoc --python_out); MESSAGES is the file
proto_decode_bench.c wrote (4-byte little-endian length before each). The
parse loop is what a Python consumer pays per message: FeatureRow.FromString
and a read of one field. Prints one JSON line like the C driver.
"""
import json
import struct
import sys
import time

sys.path.insert(0, sys.argv[1])
import feature_row_pb2  # noqa: E402
from google.protobuf.internal import api_implementation  # noqa: E402

data = open(sys.argv[2], "rb").read()
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
msgs, off = [], 0
while off < len(data):
    (n,) = struct.unpack_from("<I", data, off)
    msgs.append(data[off + 4:off + 4 + n])
    off += 4 + n
parse = feature_row_pb2.FeatureRow.FromString
times = []
for _ in range(reps):
    t0 = time.perf_counter_ns()
    s = 0
    for b in msgs:
        s += parse(b).driver_id
    times.append(time.perf_counter_ns() - t0)
times.sort()
print(json.dumps({"engine": "python protobuf (%s) FromString" % api_implementation.Type(), "messages": len(msgs),
                  "best_ns_per_msg": round(times[0] / len(msgs), 1),
                  "median_ns_per_msg": round(times[len(times) // 2] / len(msgs), 1)}))
