"""S3 benchmark (issue 11): the retrieval benchmark's data (bench/retrieval/gen.py) served from moto's
server on 127.0.0.1.

  python3 bench/aws/s3/run.py [--entity-rows N] [--feature-rows N] [--keys N] [--repeat N] [--markdown FILE]

1. Reading the join's columns (driver_id, event_timestamp, created and the features) of both
   tables: ours in-process (s3_read_bench.c: our dataset reader, 2 threads) beside pyarrow's
   dataset reader over pyarrow.fs.S3FileSystem(endpoint_override=...) (in-process, import and
   filesystem set-up excluded, 2 CPU threads), and ours as whole processes (`feast parquet cat
   URL --columns ... --count --threads 2`, one per table); the same from local disk for scale.
2. The whole historical retrieval (`feast get-historical-features`, 2 threads) with the two
   tables' fileUrl in the bucket, beside the same from local disk; the outputs must be equal.
moto keeps objects in memory and answers from one Python process: it is the bottleneck, so the
figures are a lower bound of what a real S3 endpoint gives. Ports: 44000-44999."""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time

import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../../.."))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from common import machine, measure  # noqa: E402

TABLES = {
    "driver_stats": [("conv_rate", "DOUBLE"), ("acc_rate", "FLOAT"), ("avg_daily_trips", "INT64")],
    "driver_rides": [("rides", "INT64"), ("rating", "DOUBLE")],
}
MAX_AGE_S = 7 * 86400
BUCKET = "bench"


def start_moto(logdir):
    for _ in range(100):
        port = random.randint(44000, 44999)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            break
        except OSError:
            continue
        finally:
            s.close()
    log = open(os.path.join(logdir, "moto.log"), "w")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log,
                            stderr=log, start_new_session=True)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto did not start")


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def env_for(port):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1",
               AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{port}", AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    return env


def best(cmd, repeat, env=None, cwd=None):
    runs = []
    for _ in range(repeat):
        old = os.getcwd()
        if cwd:
            os.chdir(cwd)
        try:
            runs.append(measure(cmd, env=env))
        finally:
            os.chdir(old)
    return min(runs)


PYARROW_READ = r"""
import sys, time, json
import pyarrow as pa, pyarrow.dataset as ds, pyarrow.fs as pafs
where, port, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tables = json.loads(sys.argv[4])
pa.set_cpu_count(2)
if where == "s3":
    fs = pafs.S3FileSystem(access_key="test", secret_key="test", region="us-east-1", scheme="http",
                           endpoint_override=f"127.0.0.1:{port}")
    base = "bench"
else:
    fs, base = pafs.LocalFileSystem(), sys.argv[5]
best, rows = None, 0
for _ in range(repeat):
    t0 = time.perf_counter()
    rows = 0
    for t, cols in tables.items():
        rows += ds.dataset(f"{base}/{t}", filesystem=fs, format="parquet").to_table(columns=cols).num_rows
    el = time.perf_counter() - t0
    best = el if best is None else min(best, el)
print(best, rows)
"""


PKGS = ("libzstd liblz4 zlib libbrotlidec libbrotlienc yaml-0.1 sqlite3 libpq lmdb hiredis avro-c libprotobuf-c "
        "rdkafka libcurl openssl grpc gpr")


def build_reader_bench():
    out = os.path.join(ROOT, "build", "s3_read_bench")
    libs = subprocess.run(["pkg-config", "--libs", *PKGS.split()], capture_output=True, text=True, check=True).stdout.split()
    subprocess.run(["cc", "-std=c11", "-D_DEFAULT_SOURCE", "-D_POSIX_C_SOURCE=200809L", "-O2", "-I", os.path.join(ROOT, "include"),
                    "-I", os.path.join(ROOT, "src"), os.path.join(HERE, "s3_read_bench.c"),
                    os.path.join(ROOT, "build", "libfeast.a"), *libs, "-lsnappy", "-lpthread", "-lm", "-o", out], check=True)
    return out


def write_repo(d, base, feast, env):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "feature_store.yaml"), "w") as f:
        f.write("project: bench\nregistry: registry.db\nonline_store:\n  type: lmdb\n  path: online_store\n")
    with open(os.path.join(d, "specs.yaml"), "w") as f:
        f.write("spec:\n  name: driver_id\n  valueType: INT64\n")
        for t, feats in TABLES.items():
            f.write(f"---\nspec:\n  name: {t}\n  entities: [driver_id]\n  features:\n")
            for n, vt in feats:
                f.write(f"    - name: {n}\n      valueType: {vt}\n")
            f.write(f"  maxAge: {MAX_AGE_S}s\n  batchSource:\n    type: BATCH_FILE\n"
                    "    eventTimestampColumn: event_timestamp\n    createdTimestampColumn: created\n"
                    "    fileOptions:\n      fileFormat:\n        parquetFormat: {}\n"
                    f"      fileUrl: \"{base}/{t}/\"\n")
    if os.path.exists(os.path.join(d, "registry.db")):
        os.remove(os.path.join(d, "registry.db"))
    subprocess.run([feast, "apply"], cwd=d, env=env, check=True, capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--feast", default=os.path.join(ROOT, "build", "feast"))
    ap.add_argument("--data", default=os.path.join(ROOT, "build", "bench", "aws-s3"))
    ap.add_argument("--entity-rows", type=int, default=1_000_000)
    ap.add_argument("--feature-rows", type=int, default=10_000_000)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--markdown", default=None)
    a = ap.parse_args()
    feast = os.path.abspath(a.feast)
    data = os.path.join(a.data, f"{a.entity_rows}x{a.feature_rows}")
    if not os.path.exists(os.path.join(data, "entities.parquet")):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "retrieval", "gen.py"), data, "--entity-rows",
                        str(a.entity_rows), "--feature-rows", str(a.feature_rows), "--keys", str(a.keys)], check=True)
    proc, port = start_moto(a.data)
    rows = []
    try:
        import boto3
        env = env_for(port)
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
        s3.create_bucket(Bucket=BUCKET)
        t0 = time.perf_counter()
        size = 0
        for t in TABLES:
            for name in sorted(os.listdir(os.path.join(data, t))):
                p = os.path.join(data, t, name)
                s3.upload_file(p, BUCKET, f"{t}/{name}")
                size += os.path.getsize(p)
        print(f"uploaded {size / 2**20:.0f} MiB in {time.perf_counter() - t0:.1f}s", flush=True)

        # 1. the join's columns
        reader = build_reader_bench()
        cols = {t: ["driver_id", "event_timestamp", "created"] + [n for n, _ in feats] for t, feats in TABLES.items()}
        for where in ["local", "s3"]:
            urls = {t: (f"s3://{BUCKET}/{t}/" if where == "s3" else os.path.join(data, t)) for t in TABLES}
            inproc = subprocess.run([reader, str(a.repeat), "2"] + [f"{urls[t]}:{','.join(cols[t])}" for t in TABLES],
                                    env=env, capture_output=True, text=True, check=True).stdout.split()
            procs, rss = 0.0, 0.0
            for t in TABLES:
                el, m = best([feast, "parquet", "cat", urls[t], "--columns", ",".join(cols[t]), "--count", "--threads", "2"],
                             a.repeat, env=env)
                procs += el
                rss = max(rss, m)
            out = subprocess.run([sys.executable, "-c", PYARROW_READ, where, str(port), str(a.repeat), json.dumps(cols),
                                  data], env=env, capture_output=True, text=True, check=True).stdout.split()
            rows.append((f"read the join's columns, {where}", float(inproc[0]), float(out[0]), procs, rss))
            print(rows[-1], flush=True)

        # 2. the whole retrieval
        outs = {}
        for where in ["local", "s3"]:
            d = os.path.join(a.data, f"repo-{where}")
            base = f"s3://{BUCKET}" if where == "s3" else f"file://{data}"
            write_repo(d, base, feast, env)
            outs[where] = os.path.join(d, "out.parquet")
            refs = ",".join(f"{t}:{n}" for t, feats in TABLES.items() for n, _ in feats)
            el, m = best([feast, "get-historical-features", "-f", refs, "-e", os.path.join(data, "entities.parquet"),
                          "-o", outs[where], "--threads", "2"], a.repeat, env=env, cwd=d)
            rows.append((f"historical retrieval, {where}", None, None, el, m))
            print(rows[-1], flush=True)
        same = pq.read_table(outs["local"]).equals(pq.read_table(outs["s3"]))
        assert same, "the retrieval from S3 differs from the one from local disk"
        stat = subprocess.run([feast, "parquet", "cat", f"s3://{BUCKET}/driver_stats", "--columns",
                               ",".join(cols["driver_stats"]), "--count"], env=dict(env, FEAST_S3_STATS="1"),
                              capture_output=True, text=True, check=True).stderr.strip()
    finally:
        stop(proc)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    md = [f"\n### S3 from moto: {a.entity_rows:,} entity rows x {a.feature_rows:,} feature rows per table "
          f"({size / 2**20:.0f} MiB of zstd Parquet), commit {commit}\n",
          f"Machine: {machine()}; moto {__import__('moto').__version__}, pyarrow {__import__('pyarrow').__version__}; "
          f"best of {a.repeat}.\n",
          f"Command: `python3 bench/aws/s3/run.py --entity-rows {a.entity_rows} --feature-rows {a.feature_rows} "
          f"--keys {a.keys} --repeat {a.repeat}`\n",
          "| what | ours in-process (s) | pyarrow in-process (s) | ours, whole `feast` processes (s) | their peak RSS (MiB) |",
          "|---|---|---|---|---|"]
    for what, o, p, w, m in rows:
        f2 = lambda v: "" if v is None else f"{v:.2f}"  # noqa: E731
        md.append(f"| {what} | {f2(o)} | {f2(p)} | {f2(w)} | {m:.0f} |")
    md.append(f"\nOutputs of the two retrievals equal: {same}. Requests of one read of driver_stats: `{stat}`.\n")
    text = "\n".join(md)
    print(text)
    if a.markdown:
        with open(a.markdown, "a") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
