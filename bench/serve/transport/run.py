"""run.py - the transport benchmark driver (run.sh calls it): starts each
server pinned to core 0, checks it answers right with a real client, loads
it from core 1 at fixed concurrency, records req/s, p50, p99 and the
server's peak RSS, and stops it by PID (SIGTERM: the exit code says whether
it drained and exited cleanly).

  run.py DATA_DIR OUT_DIR [--duration S] [--reps N] [--only NAME,...] [--no-ghz]

Writes OUT_DIR/results.jsonl (one line per run) and OUT_DIR/table.md.
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")
METHOD = "/feast.serving.ServingService/GetOnlineFeaturesV2"
SERVER_CPU, LOAD_CPU = "0", "1"
HTTP_LEVELS = [(1, 1), (8, 1), (32, 1)]           # (connections, streams per connection)
GRPC_LEVELS = [(1, 1), (8, 1), (32, 1), (1, 8), (1, 32)]
GHZ = os.environ.get("GHZ", "ghz")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("server exited early with %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d never opened" % port)


class Server:
    """One server process pinned to SERVER_CPU; nginx's peak is its worker's."""

    def __init__(self, argv, port, tmpdir=None):
        self.port = port
        self.tmpdir = tmpdir
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU] + argv, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_port(port, self.proc)

    def rss_pid(self):
        kids = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
        return int(kids[0]) if kids and self.tmpdir else self.proc.pid  # nginx: the worker

    def reset_peak(self):
        with open("/proc/%d/clear_refs" % self.rss_pid(), "w") as f:
            f.write("5")  # resets VmHWM to the current RSS

    def peak_kb(self):
        with open("/proc/%d/status" % self.rss_pid()) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return -1

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.seek(0)
        return rc, self.log.read().decode(errors="replace")[-2000:]


# ---- servers ---------------------------------------------------------------

def http_server(name, data, rows, port):
    resp = os.path.join(data, "json_resp_%d.json" % rows)
    if name == "nginx":
        tmp = tempfile.mkdtemp(prefix="transport-nginx.")
        os.chmod(tmp, 0o755)
        os.makedirs(os.path.join(tmp, "www"))
        os.makedirs(os.path.join(tmp, "body"))
        with open(resp, "rb") as src, open(os.path.join(tmp, "www", "get-online-features"), "wb") as dst:
            dst.write(src.read())
        os.chmod(os.path.join(tmp, "www"), 0o755)
        os.chmod(os.path.join(tmp, "www", "get-online-features"), 0o644)
        conf = open(os.path.join(HERE, "nginx.conf.in")).read().replace("@DIR@", tmp).replace("@PORT@", str(port))
        with open(os.path.join(tmp, "nginx.conf"), "w") as f:
            f.write(conf)
        return Server(["nginx", "-c", os.path.join(tmp, "nginx.conf"), "-p", tmp], port, tmpdir=tmp)
    return Server([os.path.join(BUILD, name), "--port", str(port), "--threads", "1", "--response", resp], port)


def grpc_server(name, data, rows, port, echo):
    argv = [os.path.join(BUILD, name), "--port", str(port), "--threads", "1"]
    argv += ["--echo"] if echo else ["--response", os.path.join(data, "grpc_resp_%d.bin" % rows)]
    return Server(argv, port)


def check_http(port, data, rows):
    body = open(os.path.join(data, "json_req_%d.json" % rows), "rb").read()
    want = open(os.path.join(data, "json_resp_%d.json" % rows), "rb").read()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(2):  # twice on one connection: keep-alive works
        c.request("POST", "/get-online-features", body, {"Content-Type": "application/json"})
        r = c.getresponse()
        got = r.read()
        if r.status != 200 or got != want:
            raise RuntimeError("HTTP check failed: status %d, %d bytes (want %d)" % (r.status, len(got), len(want)))
    c.close()


def check_grpc(py, port, data, rows, echo):
    req = os.path.join(data, "grpc_req_%d.bin" % rows)
    args = ["echo", str(port), req] if echo else \
        ["ok", str(port), req, os.path.join(data, "grpc_resp_%d.bin" % rows), os.path.join(data, "py")]
    out = subprocess.run([py, os.path.join(HERE, "check_grpc.py")] + args, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("gRPC check failed: " + out.stdout + out.stderr)
    return out.stdout.strip()


def verify_grpc_errors(py, data):
    """Both gRPC servers: a configured error status and its percent-encoded
    message reach grpcio through the trailers; an unknown method gets
    UNIMPLEMENTED."""
    message = "Unable to find FeatureTable default/driver_hourly_stats: 100% \u00e9"
    req = os.path.join(data, "grpc_req_1.bin")
    for name in ["grpc_nghttp2_server", "grpc_core_server"]:
        port = free_port()
        srv = Server([os.path.join(BUILD, name), "--port", str(port), "--response",
                      os.path.join(data, "grpc_resp_1.bin"), "--error-status", "5", "--error-message", message], port)
        try:
            for args in (["error", str(port), req, "5", message], ["abuse", str(port), req]):
                out = subprocess.run([py, os.path.join(HERE, "check_grpc.py")] + args, capture_output=True, text=True)
                if out.returncode != 0:
                    raise RuntimeError("%s: %s%s" % (name, out.stdout, out.stderr))
                print("  check %s: %s" % (name, out.stdout.strip()), flush=True)
        finally:
            srv.stop()


# ---- load generators -------------------------------------------------------

def to_us(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    v = float(m.group(1))
    return v * {"us": 1, "ms": 1000, "s": 1e6}[m.group(2)]


def run_wrk(port, conns, duration, body_file):
    env = dict(os.environ, BODY_FILE=body_file)
    out = subprocess.run(["taskset", "-c", LOAD_CPU, "wrk", "-t1", "-c%d" % conns, "-d%ds" % duration, "--latency",
                          "-s", os.path.join(HERE, "post.lua"), "http://127.0.0.1:%d/get-online-features" % port],
                         capture_output=True, text=True, env=env).stdout
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
           "p50_us": to_us(re.search(r"\s50%\s+(\S+)", out).group(1)),
           "p99_us": to_us(re.search(r"\s99%\s+(\S+)", out).group(1))}
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    res["errors"] = (int(bad.group(1)) if bad else 0)
    if sock:
        res["socket_errors"] = sock.group(1)
    return res


def percentile(sorted_vals, q):
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, int(q * len(sorted_vals)))]


def run_h2load(port, conns, streams, duration, framed, answer_len):
    with tempfile.NamedTemporaryFile(suffix=".log") as log:
        out = subprocess.run(["taskset", "-c", LOAD_CPU, "h2load", "-t1", "-c%d" % conns, "-m%d" % streams,
                              "-D%d" % duration, "--warm-up-time=1", "-H", "content-type: application/grpc",
                              "-H", "te: trailers", "-d", framed, "--log-file=" + log.name,
                              "http://127.0.0.1:%d%s" % (port, METHOD)], capture_output=True, text=True).stdout
        durations = []
        non200 = 0
        straddling = 0
        with open(log.name) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    # Status 0: a request whose response headers arrived during the
                    # warm-up and whose end came after it (h2load resets its
                    # statistics in between); h2load still counts it succeeded.
                    if parts[1] == "0":
                        straddling += 1
                    elif parts[1] != "200":
                        non200 += 1
                    durations.append(int(parts[2]))
    durations.sort()
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", out)
    # h2load -D stops with requests in flight: they count as failed/errored
    # without being a server error. Kept apart (cut_at_end), bounded by the
    # concurrency; a non-200 in the log is an error.
    cut = int(m.group(5)) + int(m.group(6)) if m else 0
    # h2load judges by HTTP status only; a gRPC error is HTTP 200 too, with
    # no DATA. So the DATA bytes (warm-up included) must hold at least one
    # framed answer per request counted; per-call grpc-status is checked by
    # grpcio before the load and by ghz during it.
    data = re.search(r"traffic: .*?(\d+)\) data", out)
    done = int(m.group(3)) if m else -1
    short = 0 if data and int(data.group(1)) >= done * answer_len else 1
    return {"rps": float(re.search(r"finished in [^,]+, ([\d.]+) req/s", out).group(1)),
            "p50_us": percentile(durations, 0.50), "p99_us": percentile(durations, 0.99),
            "errors": non200 + (cut if cut > conns * streams else 0) + short * max(done, 1), "cut_at_end": cut,
            "data_bytes": int(data.group(1)) if data else -1,
            "straddling_warmup": straddling,
            "requests_line": m.group(0) if m else out[-500:]}


def run_ghz(port, conns, streams, duration, req_bin):
    out = subprocess.run(["taskset", "-c", LOAD_CPU, GHZ, "--insecure", "--proto",
                          os.path.join(HERE, "proto", "serving_bench.proto"), "--import-paths", os.path.join(HERE, "proto"),
                          "--call", "feast.serving.ServingService.GetOnlineFeaturesV2", "--binary-file", req_bin,
                          "-c", str(conns * streams), "--connections", str(conns), "-z", "%ds" % duration,
                          "--format", "json",
                          "127.0.0.1:%d" % port], capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.strip():
        raise RuntimeError("ghz failed: " + out.stderr[-1000:])
    doc = json.loads(out.stdout)
    lat = {d["percentage"]: d["latency"] / 1000.0 for d in doc.get("latencyDistribution") or []}
    # ghz closes its connections when -z runs out: the calls still in flight
    # then fail "transport is closing" or "context canceled". Up to the
    # concurrency, those are counted apart, not as errors.
    errs = doc.get("errorDistribution") or {}
    closing = sum(v for k, v in errs.items() if "transport is closing" in k or "context canceled" in k)
    if closing > conns * streams:  # more than what was in flight: not the cut
        closing = 0
    return {"rps": doc["rps"], "p50_us": lat.get(50, float("nan")), "p99_us": lat.get(99, float("nan")),
            "errors": sum(errs.values()) - closing, "cut_at_end": closing,
            "status_codes": doc.get("statusCodeDistribution")}


# ---- the run ---------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-ghz", action="store_true")
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    only = set(a.only.split(",")) if a.only else None
    os.makedirs(a.out, exist_ok=True)
    results = open(os.path.join(a.out, "results.jsonl"), "a")

    def record(row):
        row["time"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        results.write(json.dumps(row) + "\n")
        results.flush()
        print("%-22s %-6s %3dx%-2d %-6s rps %9.0f  p50 %8.0f us  p99 %8.0f us  peak %6d KB  err %s" % (
            row["server"], row["size"], row["conns"], row["streams"], row["load"], row["rps"], row["p50_us"],
            row["p99_us"], row["peak_kb"], row["errors"]), flush=True)

    def run_levels(server, name, size, levels, loads):
        for conns, streams in levels:
            for load, reps, fn in loads:
                for rep in range(reps):
                    server.reset_peak()
                    res = fn(conns, streams)
                    res.update(server=name, size=size, conns=conns, streams=streams, load=load, rep=rep,
                               peak_kb=server.peak_kb())
                    record(res)

    def finish(server, name, size):
        rc, log = server.stop()
        record({"server": name, "size": size, "conns": 0, "streams": 0, "load": "stop", "rps": 0, "p50_us": 0,
                "p99_us": 0, "peak_kb": 0, "errors": rc, "log": log})
        if rc != 0:
            print("  %s did not exit cleanly (rc %d):\n%s" % (name, rc, log), flush=True)

    verify_grpc_errors(a.python, a.data)
    sizes = [("1x50", 1), ("100x50", 100)]
    for name in ["http_llhttp_server", "http_h2o_server", "http_mhd_server", "http_evhttp_server", "nginx"]:
        if only and name not in only:
            continue
        for size, rows in sizes:
            port = free_port()
            srv = http_server(name, a.data, rows, port)
            try:
                check_http(port, a.data, rows)
                body = os.path.join(a.data, "json_req_%d.json" % rows)
                run_levels(srv, name, size, HTTP_LEVELS,
                           [("wrk", a.reps, lambda c, s, p=port, b=body: run_wrk(p, c, a.duration, b))])
            finally:
                finish(srv, name, size)
    for name in ["grpc_nghttp2_server", "grpc_core_server"]:
        for echo in (False, True):
            label = name + (" echo" if echo else "")
            if only and name not in only and label not in only:
                continue
            for size, rows in (sizes[:1] if echo else sizes):
                port = free_port()
                srv = grpc_server(name, a.data, rows, port, echo)
                try:
                    print("  check: " + check_grpc(a.python, port, a.data, rows, echo), flush=True)
                    framed = os.path.join(a.data, "grpc_req_%d.framed" % rows)
                    req_bin = os.path.join(a.data, "grpc_req_%d.bin" % rows)
                    answer = os.path.getsize(framed) if echo else \
                        os.path.getsize(os.path.join(a.data, "grpc_resp_%d.bin" % rows)) + 5
                    loads = [("h2load", a.reps,
                              lambda c, s, p=port, f=framed, n=answer: run_h2load(p, c, s, a.duration, f, n))]
                    run_levels(srv, label, size, GRPC_LEVELS, loads)
                    # ghz (Go, dynamic messages) is the bottleneck itself on one core: it
                    # decodes every response through protoreflect (27 req/s on 100x50).
                    # One repetition per level on 1x50 as a cross-check, 1x1 on 100x50.
                    if not a.no_ghz:
                        run_levels(srv, label, size, GRPC_LEVELS if rows == 1 else GRPC_LEVELS[:1],
                                   [("ghz", 1, lambda c, s, p=port, b=req_bin: run_ghz(p, c, s, a.duration, b))])
                finally:
                    finish(srv, label, size)
    results.close()
    subprocess.run([sys.executable, os.path.join(HERE, "report.py"), os.path.join(a.out, "results.jsonl")],
                   stdout=open(os.path.join(a.out, "table.md"), "w"), check=True)


if __name__ == "__main__":
    main()
