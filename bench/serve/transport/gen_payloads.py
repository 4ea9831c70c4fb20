"""gen_payloads.py - writes the fixed request and response documents the
transport benchmark serves: Feast 0.9 GetOnlineFeaturesV2 protobuf bytes
(raw, and gRPC-framed for h2load) and the feature server's JSON documents,
for 1 entity x 50 features and 100 entities x 50 features.

Usage: python gen_payloads.py OUTDIR   (needs grpcio-tools and protobuf)
"""
import json
import os
import random
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = "driver_hourly_stats"
N_FEATURES = 50
ROW_COUNTS = (1, 100)
EVENT_TS = 1618225182  # 2021-04-12T10:59:42Z


def compile_proto(out):
    py_dir = os.path.join(out, "py")
    os.makedirs(py_dir, exist_ok=True)
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", os.path.join(HERE, "proto"),
                    "--python_out=" + py_dir, "--grpc_python_out=" + py_dir,
                    "serving_bench.proto"], check=True)
    sys.path.insert(0, py_dir)
    import serving_bench_pb2  # noqa: E402
    return serving_bench_pb2


def feature_names():
    return ["feature_%02d" % i for i in range(N_FEATURES)]


def values(rows):
    rng = random.Random(42)
    return [[rng.uniform(-1000.0, 1000.0) for _ in range(N_FEATURES)] for _ in range(rows)]


def proto_request(pb, rows):
    req = pb.GetOnlineFeaturesRequestV2(project="default")
    for name in feature_names():
        req.features.add(feature_table=TABLE, name=name)
    for r in range(rows):
        row = req.entity_rows.add()
        row.fields["driver_id"].int64_val = 1001 + r
    return req.SerializeToString(deterministic=True)


def proto_response(pb, rows):
    resp = pb.GetOnlineFeaturesResponse()
    present = pb.GetOnlineFeaturesResponse.PRESENT
    for r, row_values in enumerate(values(rows)):
        fv = resp.field_values.add()
        fv.fields["driver_id"].int64_val = 1001 + r
        fv.statuses["driver_id"] = present
        for name, v in zip(feature_names(), row_values):
            key = TABLE + ":" + name
            fv.fields[key].double_val = v
            fv.statuses[key] = present
    return resp.SerializeToString(deterministic=True)


def json_request(rows):
    return json.dumps({"features": [TABLE + ":" + n for n in feature_names()],
                       "entities": {"driver_id": [1001 + r for r in range(rows)]}},
                      separators=(",", ":")).encode()


def json_response(rows):
    ts = "2021-04-12T10:59:42Z"
    results = [{"values": [1001 + r for r in range(rows)], "statuses": ["PRESENT"] * rows,
                "event_timestamps": ["1970-01-01T00:00:00Z"] * rows}]
    table = values(rows)
    for f in range(N_FEATURES):
        results.append({"values": [table[r][f] for r in range(rows)], "statuses": ["PRESENT"] * rows,
                        "event_timestamps": [ts] * rows})
    doc = {"metadata": {"feature_names": ["driver_id"] + feature_names()}, "results": results}
    return json.dumps(doc, separators=(",", ":")).encode()


def grpc_frame(message):
    return struct.pack(">BI", 0, len(message)) + message


def write(out, name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    print("%-22s %8d bytes" % (name, len(data)))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    pb = compile_proto(out)
    for rows in ROW_COUNTS:
        req = proto_request(pb, rows)
        write(out, "grpc_req_%d.bin" % rows, req)
        write(out, "grpc_req_%d.framed" % rows, grpc_frame(req))
        write(out, "grpc_resp_%d.bin" % rows, proto_response(pb, rows))
        write(out, "json_req_%d.json" % rows, json_request(rows))
        write(out, "json_resp_%d.json" % rows, json_response(rows))


if __name__ == "__main__":
    main()
