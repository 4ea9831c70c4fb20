"""Crash consistency (issue 15): apply, ingest and push are killed with SIGKILL at random moments, then the
registry, the online store and the batch source are checked: each is as before or as after the whole
command, every later command works, and no half-written file is ever read. 20 kills per command in CI;
FEAST_CRASH_RUNS=100 for the nightly size (docs/testing.md)."""
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))
FEAST = os.environ.get("FEAST_BIN", str(ROOT / "build" / "feast"))
RUNS = int(os.environ.get("FEAST_CRASH_RUNS", "20"))
T = dt.datetime(2021, 4, 12, 10, 0, 0)
N = 300_000


def feast(root, *args, check=True):
    p = subprocess.run([FEAST, *args], cwd=root, capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"feast {' '.join(args)}: {p.stderr}")
    return p


def specs(root, n_tables):
    docs = ["spec:\n  name: k\n  valueType: INT64\n"]
    for i in range(n_tables):
        docs.append(f"""spec:
  name: t{i}
  entities: [k]
  features: [{{name: v, valueType: INT64}}, {{name: s, valueType: STRING}}]
  batchSource:
    type: BATCH_FILE
    eventTimestampColumn: ts
    fileOptions: {{fileFormat: {{parquetFormat: {{}}}}, fileUrl: "{root}/data/t/"}}
""")
    return "---\n".join(docs)


def make_repo(root, version):
    (root / "data" / "t").mkdir(parents=True)
    pq.write_table(pa.table({"k": pa.array(range(N), pa.int64()), "ts": pa.array([T] * N, pa.timestamp("us")),
                             "v": pa.array([version] * N, pa.int64()), "s": pa.array(["x" * 20] * N)}),
                   root / "data" / "t" / "part-0.parquet")
    (root / "feature_store.yaml").write_text("project: default\nregistry: registry.db\n"
                                             "online_store: {type: lmdb, path: online}\n")


def kill_at_random(root, args, rng, max_delay):
    p = subprocess.Popen([FEAST, *args], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(rng.uniform(0, max_delay))
    p.kill()
    p.wait()
    return p.returncode


def online_versions(root, n_tables=1):
    """The set of values of feature v over a sample of keys, table t0."""
    keys = list(range(0, N, N // 50))
    p = feast(root, "get-online-features", "-f", "t0:v", *sum((["-e", f"k={k}"] for k in keys), []), "-o", "json")
    return set(json.dumps(v) for v in json.loads(p.stdout)["results"][1]["values"])


def test_apply_killed_is_all_or_nothing(tmp_path):
    rng = random.Random(1501)
    make_repo(tmp_path, 1)
    (tmp_path / "specs.yaml").write_text(specs(tmp_path, 300))
    for i in range(RUNS):
        shutil.rmtree(tmp_path / "registry.db", ignore_errors=True)
        for f in tmp_path.glob("registry.db*"):
            f.unlink()
        kill_at_random(tmp_path, ["apply", "--skip-source-check"], rng, 0.4)
        p = feast(tmp_path, "feature-tables", "list", "-o", "json")
        n = len(json.loads(p.stdout))
        assert n in (0, 300), f"run {i}: {n} of 300 tables after a kill: apply is not all or nothing"
        feast(tmp_path, "apply", "--skip-source-check")  # and the registry still takes the apply
        assert len(json.loads(feast(tmp_path, "feature-tables", "list", "-o", "json").stdout)) == 300


def test_ingest_killed_leaves_old_or_new_rows(tmp_path):
    rng = random.Random(1502)
    make_repo(tmp_path, 1)
    (tmp_path / "specs.yaml").write_text(specs(tmp_path, 1))
    feast(tmp_path, "apply")
    feast(tmp_path, "ingest", "t0")
    assert online_versions(tmp_path) == {"1"}
    t = time.monotonic()
    src = tmp_path / "data" / "t" / "part-0.parquet"
    for i in range(RUNS):
        version = i + 2
        tbl = pq.read_table(src)
        tbl = tbl.set_column(2, "v", pa.array([version] * N, pa.int64()))
        tbl = tbl.set_column(1, "ts", pa.array([T + dt.timedelta(seconds=version)] * N, pa.timestamp("us")))
        pq.write_table(tbl, src)
        if i == 0:
            t = time.monotonic()
            feast(tmp_path, "ingest", "t0")  # how long a whole run takes, to kill inside it
            took = time.monotonic() - t
            continue
        kill_at_random(tmp_path, ["ingest", "t0"], rng, took * 1.2)
        got = online_versions(tmp_path)
        assert got <= {str(version - 1), str(version), str(version - 2)} and len(got) == 1 or \
            got <= {str(v) for v in range(1, version + 1)}, f"run {i}: values {got}"
        # one write-out is one transaction: after the kill it is all there or not at all
        assert len(got) == 1, f"run {i}: torn write-out, values {got}"
        feast(tmp_path, "ingest", "t0")
        assert online_versions(tmp_path) == {str(version)}


def test_push_killed_never_leaves_a_half_file(tmp_path):
    rng = random.Random(1503)
    make_repo(tmp_path, 1)
    (tmp_path / "specs.yaml").write_text(specs(tmp_path, 1))
    feast(tmp_path, "apply")
    rows = pa.table({"k": pa.array(range(N), pa.int64()), "ts": pa.array([T] * N, pa.timestamp("us")),
                     "v": pa.array([7] * N, pa.int64()), "s": pa.array(["y" * 20] * N)})
    pq.write_table(rows, tmp_path / "push.parquet")
    t = time.monotonic()
    feast(tmp_path, "push", "t0", "push.parquet", "--to", "offline")
    took = time.monotonic() - t
    for i in range(RUNS):
        kill_at_random(tmp_path, ["push", "t0", "push.parquet", "--to", "offline"], rng, took * 1.2)
        # every file a reader sees is whole: the dataset reads, and holds whole pushes only
        p = feast(tmp_path, "ingest", "t0", check=False)
        assert p.returncode == 0, f"run {i}: the source does not read after a killed push: {p.stderr}"
        n = pq.ParquetDataset(tmp_path / "data" / "t").read().num_rows
        assert n % N == 0, f"run {i}: {n} rows: a partial push is visible"
