"""bench/bigquery: BigQuery reads and historical retrieval against goccy's bigquery-emulator,
ours beside Python's google-cloud-bigquery in the same run, on the same tables.

  python3 bench/bigquery/bench.py [--rows 1000000] [--entities 100000,1000000] [--push-entities 2000,5000]
                                  [--push-timeout 900] [--repeat 3]

1. Read a feature table of --rows rows (6 columns, no nulls, so both formats can carry it) through the
   Storage Read API: ours in Arrow and in Avro (tests/tools/bq_tool read), google-cloud-bigquery's
   list_rows(...).to_arrow(bqstorage_client=...) (Arrow), and fastavro over the same Avro stream
   (google-cloud-bigquery-storage's to_arrow with AVRO). Best of --repeat; figures include the session.
2. Historical retrieval over that table: pulled and joined here (--pushdown never) at each --entities size,
   pushed down (--pushdown always) at each --push-entities size and at --entities sizes until one exceeds
   --push-timeout, and what the planner picks (auto).
Prints a markdown report on stdout."""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "py"))
sys.path.insert(0, str(ROOT / "bench"))
from bqemu import Emulator  # noqa: E402
from common import machine, measure  # noqa: E402

FEAST = os.environ.get("FEAST_BIN", str(ROOT / "build" / "feast"))
TOOL = str(ROOT / "build" / "tools" / "bq_tool")
US = 1_000_000
T0 = 1_618_000_000 * US
SCHEMA = [("driver_id", "INTEGER", "NULLABLE"), ("event_ts", "TIMESTAMP", "NULLABLE"),
          ("created_ts", "TIMESTAMP", "NULLABLE"), ("conv", "FLOAT", "NULLABLE"), ("trips", "INTEGER", "NULLABLE"),
          ("label", "STRING", "NULLABLE")]
KEYS = 100_000


def feature_table(n, rng):
    ev = T0 + rng.integers(0, 30 * 86400, n) * US + np.arange(n) % US
    return pa.table({"driver_id": pa.array(rng.integers(0, KEYS, n), pa.int64()),
                     "event_ts": pa.array(ev, pa.timestamp("us", tz="UTC")),
                     "created_ts": pa.array(ev + rng.integers(0, 60, n) * US, pa.timestamp("us", tz="UTC")),
                     "conv": pa.array(rng.random(n), pa.float64()),
                     "trips": pa.array(rng.integers(0, 1000, n), pa.int64()),
                     "label": pa.array([f"l{v}" for v in rng.integers(0, 100, n)], pa.string())})


def entity_table(n, rng):
    return pa.table({"driver_id": pa.array(rng.integers(0, KEYS, n), pa.int64()),
                     "event_timestamp": pa.array(T0 + rng.integers(0, 31 * 86400, n) * US,
                                                 pa.timestamp("us", tz="UTC"))})


def cpu_seconds(cmd, env):
    """The client's own CPU time (user + system, from wait4): the emulator's share of a read is
    the same for every client, so this is where they differ."""
    pid = os.fork()
    if pid == 0:
        try:
            os.execvpe(cmd[0], cmd, env)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with {os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime


def best(cmd, repeat, env=None, timeout=None):
    runs = [measure(cmd, env=env, timeout=timeout) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def python_reader(emu, table, fmt):
    """The peer: google-cloud-bigquery + google-cloud-bigquery-storage over an insecure channel."""
    return [sys.executable, "-c", f"""
import grpc, sys, time
from google.cloud import bigquery_storage_v1 as bqs
from google.cloud.bigquery_storage_v1 import types
from google.cloud.bigquery_storage_v1.services.big_query_read.transports import BigQueryReadGrpcTransport
sys.path.insert(0, {str(ROOT / 'tests' / 'py')!r})
ch = grpc.insecure_channel({emu.grpc!r}, options=[("grpc.max_receive_message_length", -1)])
st = bqs.BigQueryReadClient(transport=BigQueryReadGrpcTransport(channel=ch))
if {fmt!r} == "arrow":
    # list_rows(...).to_arrow(bqstorage_client=st) refuses the emulator's answers: each
    # serialized_record_batch there starts with a schema message (pyarrow.read_record_batch wants a
    # batch alone), so the same client's read_rows, each response through pyarrow's stream reader
    import pyarrow as pa
    s = st.create_read_session(parent="projects/{emu.project}", read_session=types.ReadSession(
        table="projects/{emu.project}/datasets/feast/tables/{table}", data_format=types.DataFormat.ARROW), max_stream_count=1)
    t = pa.concat_tables([pa.ipc.open_stream(r.arrow_record_batch.serialized_record_batch).read_all()
                          for r in st.read_rows(s.streams[0].name)])
else:
    s = st.create_read_session(parent="projects/{emu.project}", read_session=types.ReadSession(
        table="projects/{emu.project}/datasets/feast/tables/{table}", data_format=types.DataFormat.AVRO), max_stream_count=1)
    # to_arrow is not implemented for Avro streams: rows through fastavro into a DataFrame, then Arrow
    import pyarrow as pa
    t = pa.Table.from_pandas(st.read_rows(s.streams[0].name).to_dataframe(s))
assert t.num_rows > 0, t.num_rows
print(t.num_rows)
"""]


def write_repo(root, emu):
    (root / "feature_store.yaml").write_text(
        f"project: bench\nregistry: registry.db\nonline_store: {{type: lmdb, path: online}}\n"
        f"bigquery:\n  project: {emu.project}\n  endpoint: http://{emu.rest}\n  storage_endpoint: {emu.grpc}\n")
    (root / "specs.yaml").write_text(
        "spec: {name: driver_id, valueType: INT64}\n---\nspec:\n  name: drv\n  entities: [driver_id]\n  features:\n"
        "    - {name: conv, valueType: DOUBLE}\n    - {name: trips, valueType: INT64}\n    - {name: label, valueType: STRING}\n"
        "  maxAge: 604800s\n  batchSource:\n    eventTimestampColumn: event_ts\n    createdTimestampColumn: created_ts\n"
        f"    bigqueryOptions: {{tableRef: \"{emu.project}:feast.drv\"}}\n")
    subprocess.run([FEAST, "apply"], cwd=root, check=True, capture_output=True)


def historical(root, ents, mode, timeout):
    cmd = [FEAST, "get-historical-features", "-f", "drv:conv,drv:trips,drv:label", "-e", str(ents), "-o",
           str(root / f"out-{mode}.parquet"), "--pushdown", mode]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(p.stderr)
    plan = [l for l in p.stderr.splitlines() if l.startswith("bigquery: plan")]
    return time.perf_counter() - t0, plan[0] if plan else ""


class Report(list):
    """The report's lines, each also on stderr as it comes (a long run shows its progress)."""

    def append(self, line):
        super().append(line)
        print(line, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--entities", default="100000,1000000")
    ap.add_argument("--push-entities", default="1000,3000")
    ap.add_argument("--push-timeout", type=float, default=900)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    rng = np.random.default_rng(7)
    emu = Emulator(own=True)
    out = Report()
    try:
        with tempfile.TemporaryDirectory(prefix="feast-bqbench-") as tmp:
            root = Path(tmp)
            t = feature_table(a.rows, rng)
            pq.write_table(t, root / "drv.parquet")
            t0 = time.perf_counter()
            emu.load_parquet("drv", root / "drv.parquet", SCHEMA)
            load_s = time.perf_counter() - t0
            env = {**os.environ, **emu.env(), "FEAST_BQ_PROJECT": emu.project}
            out.append(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} at start\n")
            out.append(f"feature table: {a.rows} rows x 6 columns, loaded into the emulator in {load_s:.1f}s\n")
            out.append("| read of the whole table (Storage Read API) | best s | rows/s | peak MiB | client CPU s |\n"
                       "|---|---|---|---|---|")
            cols = "driver_id,event_ts,created_ts,conv,trips,label"
            for name, cmd, e in [
                ("ours, Arrow (bq_tool read)", [TOOL, "read", f"{emu.project}.feast.drv", "-", "--columns", cols], env),
                ("ours, Avro", [TOOL, "read", f"{emu.project}.feast.drv", "-", "--columns", cols],
                 {**env, "FEAST_BQ_READ_FORMAT": "avro"}),
                ("google-cloud-bigquery-storage read_rows + pyarrow (Arrow)", python_reader(emu, "drv", "arrow"), env),
                ("google-cloud-bigquery-storage to_dataframe + pyarrow (Avro, fastavro)", python_reader(emu, "drv", "avro"), env)]:
                s, rss = best(cmd, a.repeat, env=e)
                cpu = min(cpu_seconds(cmd, e) for _ in range(a.repeat))
                out.append(f"| {name} | {s:.2f} | {a.rows / s / 1e6:.2f}M | {rss:.0f} | {cpu:.2f} |")
            write_repo(root, emu)
            out.append("\n| historical retrieval | entity rows | seconds | plan |\n|---|---|---|---|")
            sizes = [int(x) for x in a.entities.split(",") if x]
            push_sizes = [int(x) for x in a.push_entities.split(",") if x]
            def auto(n, ents):
                s, plan = historical(root, ents, "auto", None)
                why = plan.split("(", 1)[1].split(")")[0] if "(" in plan else ""
                out.append(f"| auto: the planner picks {plan.split()[2] if plan else '?'} ({why}) | {n} | {s:.2f} | |")

            def push(n, ents, timeout):
                try:
                    s, plan = historical(root, ents, "always", timeout)
                    out.append(f"| pushed down into the emulator | {n} | {s:.2f} | {plan.split(';')[1].strip()} |")
                    return True
                except subprocess.TimeoutExpired:
                    out.append(f"| pushed down into the emulator | {n} | > {timeout:.0f} (stopped) | |")
                    return False

            files = {}
            for n in sorted(set(sizes + push_sizes)):
                files[n] = root / f"ents-{n}.parquet"
                pq.write_table(entity_table(n, rng), files[n])
            for n in push_sizes:  # the emulator's SQL engine is slow: small sizes first
                auto(n, files[n])
                s, _ = historical(root, files[n], "never", None)
                out.append(f"| pulled and joined here | {n} | {s:.2f} | |")
                push(n, files[n], a.push_timeout)
            for n in sizes:
                auto(n, files[n])
                s, _ = historical(root, files[n], "never", None)
                out.append(f"| pulled and joined here | {n} | {s:.2f} | |")
            for n in sizes:  # last: a run that is stopped leaves the emulator busy
                if not push(n, files[n], a.push_timeout) or not emu.alive():
                    break
            out.append(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    finally:
        emu.stop()
    print("\n".join(out))


if __name__ == "__main__":
    main()
