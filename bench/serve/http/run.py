"""bench/serve/http/run.py - `feast serve`'s HTTP feature server under wrk
(issue 13's benchmark, HTTP half): POST /get-online-features of 1 entity x 50
features and 100 entities x 50 features over ROWS entities of a 50-feature
table, on LMDB and on Redis, beside

  - nginx returning a static document of the same size as our 1x50 answer
    (the machine's HTTP floor), under the same wrk settings;
  - the newest Feast's Python feature server (`feast serve`, the venv of
    scripts/peers/install-feast-new.sh) on the same features in its SQLite
    online store (PY_ROWS entities: its write path is Python).

Server pinned to CPU 0, wrk to CPU 1, one server thread / nginx worker / one
uvicorn worker. Peak RSS is the server's VmHWM, reset before each run through
/proc/PID/clear_refs. wrk picks a random key per request (lua), so reads are
spread over the whole table. Ports 46900-46949.

  python3 bench/serve/http/run.py            # ROWS=1000000 PY_ROWS=100000 SECONDS=5
Results: bench/serve/http/last-run/results.json and table.md.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FEAST = os.environ.get("FEAST_BIN", os.path.join(ROOT, "build", "feast"))
ROWS = int(os.environ.get("ROWS", "1000000"))
PY_ROWS = int(os.environ.get("PY_ROWS", "100000"))
SECONDS = int(os.environ.get("SECONDS", "5"))
CONNS = [int(c) for c in os.environ.get("CONNS", "1,8,32").split(",")]
ONLY = set(filter(None, os.environ.get("ONLY", "").split(",")))
NEW_VENV = os.path.expanduser(os.environ.get("FEAST_NEW_VENV", "~/.cache/feast-c/feast-0.67.0"))
OUT = os.environ.get("OUT", os.path.join(HERE, "last-run"))
NF = 50
PORTS = iter(range(46900, 46950))

LUA = """-- random keys in 1..%(rows)d, %(n)d per request
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local feats = '%(feats)s'
math.randomseed(os.time())
request = function()
  local keys = {}
  for i = 1, %(n)d do keys[i] = tostring(math.random(1, %(rows)d)) end
  local body = '{"features":' .. feats .. ',"entities":{"driver_id":[' .. table.concat(keys, ",") .. ']}}'
  return wrk.format(nil, nil, nil, body)
end
"""

SPEC = """spec: {name: driver_id, valueType: INT64}
---
spec:
  name: t50
  entities: [driver_id]
  features:
%(features)s
  maxAge: 864000000s
  batchSource:
    eventTimestampColumn: event_timestamp
    fileOptions: {fileFormat: {parquetFormat: {}}, fileUrl: "file://%(dir)s/t50.parquet"}
"""


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def make_parquet(path, rows):
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    rng = np.random.default_rng(13)
    cols = {"driver_id": pa.array(np.arange(1, rows + 1, dtype=np.int64))}
    for i in range(NF):
        cols[f"f{i}"] = pa.array(rng.random(rows))
    cols["event_timestamp"] = pa.array(np.full(rows, int(time.time() * 1e6) - 60_000_000, dtype=np.int64),
                                       pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table(cols), path, row_group_size=100_000)


def make_repo(d, online):
    os.makedirs(os.path.join(d, "data"), exist_ok=True)
    feats = "\n".join(f"    - {{name: f{i}, valueType: DOUBLE}}" for i in range(NF))
    with open(os.path.join(d, "specs.yaml"), "w") as f:
        f.write(SPEC % {"features": feats, "dir": d})
    with open(os.path.join(d, "feature_store.yaml"), "w") as f:
        f.write(f"project: default\nregistry: data/registry.db\n{online}\n"
                "serve:\n  access_log: false\n  log_level: warn\n"
                "  limits: {max_connections: 4096}\n")
    if not os.path.exists(os.path.join(d, "t50.parquet")):
        make_parquet(os.path.join(d, "t50.parquet"), ROWS)
    sh(FEAST, "apply", cwd=d)
    t0 = time.time()
    out = sh(FEAST, "ingest", "t50", cwd=d).stdout.strip()
    print(f"  ingest: {out} ({time.time() - t0:.0f}s)", flush=True)


def vm(pid, field):
    try:
        for l in open(f"/proc/{pid}/status"):
            if l.startswith(field):
                return int(l.split()[1])
    except OSError:
        return 0
    return 0


def wait_port(port, path="/health", timeout=120):
    import urllib.request
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1).read()
            return True
        except Exception as e:  # noqa: BLE001 - waiting
            if "405" in str(e) or "404" in str(e):
                return True
            time.sleep(0.1)
    return False


def parse_wrk(text):
    def dur(s):
        m = re.match(r"([\d.]+)(us|ms|s)", s)
        v = float(m.group(1))
        return v * {"us": 1, "ms": 1000, "s": 1e6}[m.group(2)]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errs = re.search(r"Socket errors: (.*)", text)
    return {"rps": rps, "p50_us": dur(lat["50"]), "p99_us": dur(lat["99"]),
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errs.group(1) if errs else ""}


def run_wrk(port, lua, conns, pid):
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    p = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{SECONDS}s", "--latency", "-s", lua,
                        f"http://127.0.0.1:{port}/get-online-features"], capture_output=True, text=True,
                       timeout=SECONDS + 60)
    r = parse_wrk(p.stdout)
    r["peak_rss_mb"] = round(vm(pid, "VmHWM:") / 1024, 1)
    r["rss_anon_mb"] = round(vm(pid, "RssAnon:") / 1024, 1)  # without LMDB's mapped file pages
    return r


def lua_file(tmp, n, rows, prefix):
    feats = json.dumps([f"{prefix}:f{i}" for i in range(NF)])
    path = os.path.join(tmp, f"req_{prefix}_{n}.lua")
    with open(path, "w") as f:
        f.write(LUA % {"rows": rows, "n": n, "feats": feats})
    return path


def check_answer(port, prefix, n, rows):
    import urllib.request
    body = json.dumps({"features": [f"{prefix}:f{i}" for i in range(NF)],
                       "entities": {"driver_id": list(range(1, n + 1)) if n < rows else [1]}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/get-online-features", data=body,
                                 headers={"Content-Type": "application/json"})
    doc = urllib.request.urlopen(req, timeout=30).read()
    parsed = json.loads(doc)
    assert all(s == "PRESENT" for r in parsed["results"][1:] for s in r["statuses"]), doc[:300]
    return doc


def bench_server(name, cmd, port, prefix, rows, tmp, results, cwd=None, env=None):
    if ONLY and name not in ONLY:
        return None
    print(f"{name}:", flush=True)
    proc = subprocess.Popen(["taskset", "-c", "0", *cmd], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, f"{name}.log"), "w"))
    try:
        if not wait_port(port, "/health"):
            raise RuntimeError(f"{name} did not start: " + open(os.path.join(tmp, f"{name}.log")).read()[-2000:])
        doc = check_answer(port, prefix, 1, rows)
        if not name.startswith("nginx"):
            check_answer(port, prefix, 100, rows)
        pid = proc.pid
        kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        if name.startswith("python") and kids:
            pid = int(kids[0])  # uvicorn's worker
        for n in (1, 100):
            lua = lua_file(tmp, n, rows, prefix)
            if name.startswith("nginx") and n == 100:
                continue  # one static document: the 1x50 floor
            for c in CONNS:
                r = run_wrk(port, lua, c, pid)
                r.update(server=name, entities=n, conns=c)
                results.append(r)
                print(f"  {n}x50 c={c}: {r['rps']:.0f} req/s p50 {r['p50_us']:.0f} us p99 {r['p99_us']:.0f} us "
                      f"rss {r['peak_rss_mb']} MB non2xx {r['non2xx']} {r['socket_errors']}", flush=True)
        return doc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def python_repo(d, rows):
    """The same 50 DOUBLE features for the newest Feast, SQLite online store."""
    script = f'''
import os, sys, textwrap, time
os.environ["FEAST_USAGE"] = "False"
import numpy as np, pandas as pd
from datetime import datetime, timezone, timedelta
repo, rows = {d!r}, {rows}
os.makedirs(os.path.join(repo, "data"), exist_ok=True)
rng = np.random.default_rng(13)
df = pd.DataFrame({{"driver_id": np.arange(1, rows + 1, dtype=np.int64)}})
for i in range({NF}):
    df[f"f{{i}}"] = rng.random(rows)
df["event_timestamp"] = datetime.now(timezone.utc) - timedelta(minutes=1)
df.to_parquet(os.path.join(repo, "data", "t50.parquet"))
open(os.path.join(repo, "feature_store.yaml"), "w").write(textwrap.dedent("""\\
    project: bench
    registry: data/registry.db
    provider: local
    online_store: {{type: sqlite, path: data/online.db}}
    entity_key_serialization_version: 3
    """))
open(os.path.join(repo, "features.py"), "w").write(textwrap.dedent("""\\
    from datetime import timedelta
    from feast import Entity, FeatureView, Field, FileSource, ValueType
    from feast.types import Float64
    driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64)
    source = FileSource(path="data/t50.parquet", timestamp_field="event_timestamp")
    t50 = FeatureView(name="t50", entities=[driver], ttl=timedelta(days=3650),
        schema=[Field(name=f"f{{i}}", dtype=Float64) for i in range({NF})], source=source, online=True)
    """))
from feast import FeatureStore
store = FeatureStore(repo_path=repo)
sys.path.insert(0, repo)
import features
store.apply([features.driver, features.t50])
t0 = time.time()
store.write_to_online_store("t50", df)
print("wrote", rows, "rows in", round(time.time() - t0), "s")
'''
    env = dict(os.environ, FEAST_USAGE="False")
    p = subprocess.run([os.path.join(NEW_VENV, "bin", "python"), "-c", script], capture_output=True, text=True,
                       env=env, timeout=3600)
    if p.returncode:
        raise RuntimeError(p.stderr[-3000:])
    print("  " + p.stdout.strip(), flush=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="bench-serve-http.")
    os.chmod(tmp, 0o755)  # nginx's worker runs as nobody
    results, meta = [], {"rows": ROWS, "py_rows": PY_ROWS, "seconds": SECONDS, "conns": CONNS,
                         "load_before": open("/proc/loadavg").read().split()[:3]}
    redis_port, redis_dir = None, None
    try:
        data = os.path.join(os.environ.get("BENCH_DATA", tmp), "lmdb")
        print(f"repository ({ROWS} entities x {NF} features):", flush=True)
        make_repo(data, "online_store: {type: lmdb, path: data/online_store, map_size: 8589934592}")
        port = next(PORTS)
        doc = bench_server("feast_serve_lmdb", [FEAST, "serve", "--grpc-port", "0", "--http-port", str(port),
                                               "--threads", "1"], port, "t50", ROWS, tmp, results, cwd=data)
        # nginx: a static document of the size of our 1x50 answer
        if doc is not None and (not ONLY or "nginx" in ONLY):
            ng = os.path.join(tmp, "nginx")
            os.makedirs(os.path.join(ng, "www"), exist_ok=True)
            with open(os.path.join(ng, "www", "get-online-features"), "wb") as f:
                f.write(doc)
            meta["doc_bytes_1x50"] = len(doc)
            port = next(PORTS)
            conf = open(os.path.join(ROOT, "bench", "serve", "transport", "nginx.conf.in")).read()
            conf = conf.replace("@DIR@", ng).replace("@PORT@", str(port)).replace(
                "location = /get-online-features {", "location = /health { return 200; }\n"
                "    location = /get-online-features {")
            with open(os.path.join(ng, "nginx.conf"), "w") as f:
                f.write(conf)
            # nginx has no 100x50 document of its own here: it answers the 1x50 one to both
            bench_server("nginx_static", ["nginx", "-c", os.path.join(ng, "nginx.conf"), "-p", ng], port, "t50",
                         ROWS, tmp, results)
        if not ONLY or "feast_serve_redis" in ONLY:
            redis_port = next(PORTS)
            redis_dir = os.path.join(tmp, "redis")
            sh("bash", "-c", f'. "{ROOT}/scripts/redis-common.sh" && start_node {redis_port} "{redis_dir}"')
            rdata = os.path.join(tmp, "redis-repo")
            os.makedirs(rdata, exist_ok=True)
            shutil.copy(os.path.join(data, "t50.parquet"), rdata)
            print("redis repository:", flush=True)
            make_repo(rdata, f'online_store: {{type: redis, connection_string: "127.0.0.1:{redis_port}"}}')
            port = next(PORTS)
            bench_server("feast_serve_redis", [FEAST, "serve", "--grpc-port", "0", "--http-port", str(port),
                                                "--threads", "1"], port,
                         "t50", ROWS, tmp, results, cwd=rdata)
        if (not ONLY or "python_feast_sqlite" in ONLY) and os.path.exists(os.path.join(NEW_VENV, "bin", "feast")):
            py = os.path.join(tmp, "py-repo")
            print(f"newest Feast's repository ({PY_ROWS} entities, SQLite):", flush=True)
            python_repo(py, PY_ROWS)
            port = next(PORTS)
            env = dict(os.environ, FEAST_USAGE="False")
            bench_server("python_feast_sqlite", [os.path.join(NEW_VENV, "bin", "feast"), "-c", py, "serve", "-h",
                                                 "127.0.0.1", "-p", str(port), "--no-access-log", "--workers", "1",
                                                 "--max-requests", "100000000"],
                         port, "t50", PY_ROWS, tmp, results, env=env)
    finally:
        if redis_port:
            subprocess.run(["redis-cli", "-p", str(redis_port), "shutdown", "nosave"], capture_output=True)
        meta["load_after"] = open("/proc/loadavg").read().split()[:3]
        with open(os.path.join(OUT, "results.json"), "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
        write_table(meta, results)
        if not os.environ.get("KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


def write_table(meta, results):
    lines = [f"ROWS={meta['rows']} PY_ROWS={meta['py_rows']} {meta['seconds']} s per run, load "
             f"{' '.join(meta['load_before'])} -> {' '.join(meta.get('load_after', []))}", "",
             "| server | entities | conns | req/s | p50 us | p99 us | peak RSS MB | non-2xx |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['server']} | {r['entities']}x50 | {r['conns']} | {r['rps']:.0f} | {r['p50_us']:.0f} | "
                     f"{r['p99_us']:.0f} | {r['peak_rss_mb']} | {r['non2xx']} |")
    with open(os.path.join(OUT, "table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
