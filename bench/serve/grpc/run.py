"""gRPC GetOnlineFeaturesV2 through `build/feast serve` (LMDB, 1M entities, a
table of 50 DOUBLE features) with h2load, beside the bare nghttp2 echo
server of bench/serve/transport (the floor of the same library), server on
core 0 and h2load on core 1. Requests of 1 entity x 50 features and of 100
entities x 50 features; every answer checked by grpcio before the load
(status OK, every value PRESENT), and h2load's DATA bytes must hold one
whole answer per request during it (run_h2load of transport/run.py).

  python3 bench/serve/grpc/run.py [--duration 10] [--entities 1000000] [--out DIR]

Ports 46201 (feast serve) and 46202 (echo). Prints a Markdown table."""
import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "serve", "transport"))
sys.path.insert(0, os.path.join(ROOT, "tests", "py"))
import run as transport  # noqa: E402  (run_h2load)
from grpc_stubs import compile_stubs  # noqa: E402

FEAST = os.environ.get("FEAST_BIN", os.path.join(ROOT, "build", "feast"))
ECHO = os.path.join(ROOT, "bench", "serve", "transport", "build", "grpc_nghttp2_server")
SERVE_PORT, ECHO_PORT = 46201, 46202
NF = 50


def make_repo(d, n):
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    os.makedirs(os.path.join(d, "drv"), exist_ok=True)
    if not os.path.exists(os.path.join(d, "drv", "part-0.parquet")):
        rng = np.random.default_rng(1)
        cols = {"driver_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
                "event_ts": pa.array(np.full(n, 1_700_000_000_000_000, dtype=np.int64)).cast(pa.timestamp("us", tz="UTC"))}
        for k in range(NF):
            cols[f"f{k:02d}"] = pa.array(rng.random(n))
        pq.write_table(pa.table(cols), os.path.join(d, "drv", "part-0.parquet"), row_group_size=100_000)
    with open(os.path.join(d, "feature_store.yaml"), "w") as f:
        f.write("project: default\nregistry: registry.db\nonline_store: {type: lmdb, path: online, map_size: 8589934592}\n"
                "serve:\n  access_log: false\n  log_level: warn\n  limits: {max_request_bytes: 4194304}\n")
    feats = "".join(f"    - {{name: f{k:02d}, valueType: DOUBLE}}\n" for k in range(NF))
    with open(os.path.join(d, "specs.yaml"), "w") as f:
        f.write("spec: {name: driver_id, valueType: INT64}\n---\nspec:\n  name: drv\n  entities: [driver_id]\n"
                f"  features:\n{feats}  batchSource:\n    eventTimestampColumn: event_ts\n"
                f"    fileOptions: {{fileFormat: {{parquetFormat: {{}}}}, fileUrl: 'file://{d}/drv/'}}\n")
    subprocess.run([FEAST, "apply"], cwd=d, check=True, capture_output=True)
    if not os.path.exists(os.path.join(d, ".ingested")):
        t0 = time.time()
        subprocess.run([FEAST, "ingest", "drv"], cwd=d, check=True, capture_output=True)
        print(f"ingested {n} rows in {time.time() - t0:.1f}s", file=sys.stderr)
        open(os.path.join(d, ".ingested"), "w").close()


def request(pb, n, n_entities, rng):
    r = pb.S.GetOnlineFeaturesRequestV2()
    for k in range(NF):
        r.features.add(feature_table="drv", name=f"f{k:02d}")
    for key in rng.sample(range(1, n_entities + 1), n):
        r.entity_rows.add().fields["driver_id"].int64_val = key
    return r.SerializeToString()


def framed_file(d, name, body):
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(b"\x00" + len(body).to_bytes(4, "big") + body)
    return p


def wait_port(port, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def reset_peak(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--entities", type=int, default=1_000_000)
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "feast-grpc-bench"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    repo = os.path.join(a.out, f"repo-{a.entities}")
    make_repo(repo, a.entities)
    pb = compile_stubs(os.path.join(a.out, "stubs"))
    subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "bench", "serve", "transport"), "build/grpc_nghttp2_server"],
                   check=True)
    rng = random.Random(7)
    import grpc
    serve = subprocess.Popen(["taskset", "-c", transport.SERVER_CPU, FEAST, "serve", "--threads", "1", "--grpc-port",
                              str(SERVE_PORT), "--http-port", "0", "--config", os.path.join(repo, "feature_store.yaml")],
                             stderr=subprocess.PIPE)
    echo = subprocess.Popen(["taskset", "-c", transport.SERVER_CPU, ECHO, "--echo", "--port", str(ECHO_PORT)],
                            stderr=subprocess.DEVNULL)
    rows = []
    try:
        wait_port(SERVE_PORT)
        wait_port(ECHO_PORT)
        ch = grpc.insecure_channel(f"127.0.0.1:{SERVE_PORT}")
        for n in (1, 100):
            body = request(pb, n, a.entities, rng)
            resp = ch.unary_unary(transport.METHOD, request_serializer=None, response_deserializer=None)(body, timeout=10)
            parsed = pb.S.GetOnlineFeaturesResponse.FromString(resp)
            assert len(parsed.field_values) == n
            assert all(s == pb.S.GetOnlineFeaturesResponse.PRESENT for fv in parsed.field_values
                       for s in fv.statuses.values())
            req_file = framed_file(a.out, f"req_{n}.framed", body)
            for conns, streams in ((1, 1), (8, 1), (32, 1), (1, 8), (1, 32)):
                for name, port, pid, answer in (("feast serve", SERVE_PORT, serve.pid, len(resp) + 5),
                                                ("nghttp2 echo (floor)", ECHO_PORT, echo.pid, len(body) + 5)):
                    reset_peak(pid)
                    r = transport.run_h2load(port, conns, streams, a.duration, req_file, answer)
                    rows.append((f"{n}x{NF}", name, f"{conns}x{streams}", r["rps"], r["p50_us"], r["p99_us"],
                                 r["errors"], peak_rss_kb(pid) / 1024, len(resp)))
                    print(rows[-1], file=sys.stderr)
        ch.close()
    finally:
        for p in (serve, echo):
            p.send_signal(signal.SIGTERM)
            p.wait(20)
    print("| request | server | conns x streams | req/s | p50 us | p99 us | errors | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:,.0f} | {r[4]:.0f} | {r[5]:.0f} | {r[6]} | {r[7]:.1f} |")
    print(f"\nresponse sizes: 1x50 {rows[0][8]} bytes, 100x50 {rows[-1][8]} bytes")


if __name__ == "__main__":
    main()
