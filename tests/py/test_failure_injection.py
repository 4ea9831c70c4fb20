"""Failure injection, SQLite-style (issue 15): apply, ingest, push and historical retrieval are run on small
inputs with the Nth allocation, write, fsync or read of the process failing, for N across the whole run.
Every run must end with exit status 0 or 1 (never a signal), a failure must say why on stderr in one short
report, and the registry, the online store and the files must be exactly as before the run or exactly as
after a clean one (all or nothing: the run is small enough to be one transaction per store).

Allocation failures come from libfeast's own hook (FEAST_FAIL_ALLOC=N); I/O failures from the LD_PRELOAD
library build/tools/libfailio.so (tests/failio/failio.c). CI tries every N up to 30 and 30 more spread over
the rest; FEAST_FAILURE_LONG=1 tries every N (docs/testing.md)."""
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))
FEAST = os.environ.get("FEAST_BIN", str(ROOT / "build" / "feast"))
FAILIO = str(Path(FEAST).parent / "tools" / "libfailio.so")
LONG = os.environ.get("FEAST_FAILURE_LONG") == "1"
T = dt.datetime(2021, 4, 12, 10, 0, 0)
KINDS = ["alloc", "write", "fsync", "read"]


def make_repo(root):
    (root / "data" / "t").mkdir(parents=True)
    n = 40
    pq.write_table(pa.table({"k": pa.array(range(n), pa.int64()), "ts": pa.array([T] * n, pa.timestamp("us")),
                             "v": pa.array([f"v{i}" for i in range(n)]), "w": pa.array(range(n), pa.int64())}),
                   root / "data" / "t" / "part-0.parquet")
    (root / "feature_store.yaml").write_text("project: default\nregistry: registry.db\n"
                                             "online_store: {type: lmdb, path: online}\n")
    (root / "specs.yaml").write_text(f"""spec:
  name: k
  valueType: INT64
  labels: {{team: a}}
---
spec:
  name: t
  entities: [k]
  features:
    - name: v
      valueType: STRING
    - name: w
      valueType: INT64
  batchSource:
    type: BATCH_FILE
    eventTimestampColumn: ts
    fileOptions:
      fileFormat: {{parquetFormat: {{}}}}
      fileUrl: "{root}/data/t/"
""")
    (root / "e.csv").write_text("k,event_timestamp\n" + "".join(f"{k},2021-04-13T00:00:00Z\n" for k in range(0, 40, 3)))
    (root / "push.csv").write_text("k,ts,v,w\n1,2021-04-14T00:00:00Z,pushed,100\n")


def feast(root, *args, env=None, check=True):
    p = subprocess.run([FEAST, *args], cwd=root, capture_output=True, text=True, timeout=120,
                       env={**os.environ, **(env or {})})
    if check and p.returncode != 0:
        raise AssertionError(f"feast {' '.join(args)}: {p.stderr}")
    return p


def state(root):
    """What a run may change: the registry's specs, the online values, the files of the batch source and
    the outputs. Timestamps of registry objects are left out (a clean re-run would differ there)."""
    out = {}
    for kind in ("entities", "feature-tables"):
        p = feast(root, kind, "list", "-o", "json", check=False)
        out[kind] = p.stdout if p.returncode == 0 else "unreadable: " + p.stderr
    p = feast(root, "get-online-features", "-f", "t:v,t:w", *sum((["-e", f"k={k}"] for k in range(40)), []),
              "-o", "json", "--at", "2021-04-15T00:00:00Z", check=False)
    out["online"] = p.stdout if p.returncode == 0 else ("absent" if "does not exist" in p.stderr else p.stderr)
    # pushed files are named by time and process: compare the source's contents, not its names
    out["source"] = sorted(hashlib.sha256(pq.read_table(f).to_pandas().to_csv().encode()).hexdigest() + f.suffix
                           for f in (root / "data" / "t").rglob("*") if f.is_file())
    h = root / "h.parquet"
    out["h.parquet"] = hashlib.sha256(h.read_bytes()).hexdigest() if h.exists() else None
    return out


def strip_times(s):
    """Registry listings carry created/updated times: compare them without."""
    try:
        doc = json.loads(s)
    except ValueError:
        return s

    def walk(x):
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items() if k not in ("createdTimestamp", "lastUpdatedTimestamp")}
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x
    return json.dumps(walk(doc), sort_keys=True)


def comparable(st):
    return {k: strip_times(v) if k in ("entities", "feature-tables") else v for k, v in st.items()}


def injected_env(kind, n, count_file=None):
    env = {}
    if kind == "alloc":
        if n:
            env["FEAST_FAIL_ALLOC"] = str(n)
        if count_file:
            env["FEAST_FAIL_ALLOC_COUNT"] = count_file
    else:
        env["LD_PRELOAD"] = FAILIO
        if n:
            env["FEAST_FAILIO"] = f"{kind}:{n}"
        if count_file:
            env["FEAST_FAILIO_COUNT"] = count_file
    return env


def trials(total):
    if LONG:
        return list(range(1, total + 1))
    first = list(range(1, min(total, 30) + 1))
    rest = sorted({30 + (total - 30) * i // 30 for i in range(1, 31)}) if total > 30 else []
    return first + [n for n in rest if n > 30]


# (name, setup steps before the command, the command)
CASES = [
    ("apply", [], ["apply"]),
    ("ingest", [["apply"]], ["ingest", "t"]),
    ("push", [["apply"], ["ingest", "t"]], ["push", "t", "push.csv", "--to", "both"]),
    ("historical", [["apply"], ["ingest", "t"]],
     ["get-historical-features", "-f", "t:v,t:w", "-e", "e.csv", "-o", "h.parquet"]),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name,setup,cmd", CASES, ids=[c[0] for c in CASES])
def test_every_failure_point_fails_cleanly(tmp_path, name, setup, cmd, kind):
    if kind != "alloc" and not os.path.exists(FAILIO):
        pytest.fail(f"{FAILIO} is missing: build it with `make tests`")
    # Registered paths are absolute: every run works in the same folder, restored from a copy each time.
    work, pristine = tmp_path / "work", tmp_path / "pristine"
    work.mkdir()
    make_repo(work)
    for s in setup:
        feast(work, *s)
    shutil.copytree(work, pristine, symlinks=True)

    def restore():
        shutil.rmtree(work)
        shutil.copytree(pristine, work, symlinks=True)

    # one clean run: the state it leaves, and how many operations of this kind it makes
    before = comparable(state(work))
    counted = tmp_path / "count"
    feast(work, *cmd, env=injected_env(kind, 0, str(counted)))
    after = comparable(state(work))
    assert after != before or name == "historical"
    parts = counted.read_text().split()
    total = int(dict(zip(parts[::2], parts[1::2]))[kind])
    assert total > 0, f"{name} made no {kind} calls: the injection would test nothing"
    failed = 0
    for n in trials(total):
        restore()
        p = feast(work, *cmd, env=injected_env(kind, n), check=False)
        assert p.returncode in (0, 1), f"{name}, {kind} #{n}: exit {p.returncode}\n{p.stderr[-2000:]}"
        if p.returncode == 1:
            failed += 1
            assert "feast:" in p.stderr and len(p.stderr) < 4000, f"{name}, {kind} #{n}: {p.stderr[-2000:]}"
        got = comparable(state(work))
        assert got in (before, after), f"{name}, {kind} #{n} (exit {p.returncode}, {p.stderr.strip()[-300:]}): " \
                                       f"the stores are neither as before nor as after a clean run:\n" \
                                       f"{ {k: (got[k], before[k], after[k]) for k in got if got[k] not in (before[k], after[k])} }"
    assert failed > 0, f"{name}: no {kind} failure made the command fail: is the injection reaching it?"
