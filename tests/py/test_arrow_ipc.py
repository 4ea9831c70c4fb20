"""Our Arrow IPC reader (src/format/arrow/arrow_ipc.c, the Storage Read API's ARROW
rows) against pyarrow, an independent writer: streams of every type we read, with
nulls, several batches, empty batches and sliced arrays, read into Parquet by
tests/tools/bq_tool and compared with pyarrow's own reading; what we refuse is
refused with a message naming the field."""
import os
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))
BIN = Path(os.environ["FEAST_BIN"]).parent if os.environ.get("FEAST_BIN") else ROOT / "build"
TOOL = BIN / "tools" / "bq_tool"


def write_stream(path, batches, schema):
    with pa.OSFile(str(path), "wb") as f, pa.ipc.new_stream(f, schema) as w:
        for b in batches:
            w.write_batch(b)


def run(path, out, check=True):
    if not TOOL.exists():
        pytest.fail(f"{TOOL} is missing: build it with `make tests`")
    p = subprocess.run([str(TOOL), "ipc", str(path), str(out)], capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(p.stderr)
    return p


def table(rng, n):
    def nulls(a):
        mask = rng.random(n) < 0.2
        return [None if m else v for v, m in zip(a, mask)]
    return pa.table({
        "i64": pa.array(nulls(rng.integers(-2**62, 2**62, n).tolist()), pa.int64()),
        "i32": pa.array(nulls(rng.integers(-2**31, 2**31, n).tolist()), pa.int32()),
        "f64": pa.array(nulls(rng.random(n).tolist()), pa.float64()),
        "f32": pa.array(nulls(rng.random(n).tolist()), pa.float32()),
        "b": pa.array(nulls((rng.random(n) < 0.5).tolist()), pa.bool_()),
        "s": pa.array(nulls([f"s{v}é" * (v % 4) for v in rng.integers(0, 100, n)]), pa.string()),
        "bin": pa.array(nulls([bytes([v % 256]) * (v % 5) for v in rng.integers(0, 1000, n)]), pa.binary()),
        "ts_us": pa.array(nulls(rng.integers(0, 2**50, n).tolist()), pa.timestamp("us", tz="UTC")),
        "ts_ns": pa.array(nulls(rng.integers(0, 2**60, n).tolist()), pa.timestamp("ns")),
        "ts_ms": pa.array(nulls(rng.integers(0, 2**40, n).tolist()), pa.timestamp("ms", tz="+00:00")),
        "d": pa.array(nulls(rng.integers(0, 30000, n).tolist()), pa.int32()).cast(pa.date32()),
        "l_i": pa.array(nulls([list(range(v % 4)) for v in rng.integers(0, 100, n)]), pa.list_(pa.int64())),
        "l_s": pa.array(nulls([[f"x{k}" for k in range(v % 3)] for v in rng.integers(0, 100, n)]), pa.list_(pa.string())),
    })


@pytest.mark.parametrize("n,chunks", [(1, 1), (1000, 1), (3000, 7), (0, 1)])
def test_streams_read_like_pyarrow(tmp_path, n, chunks):
    rng = np.random.default_rng(n + chunks)
    t = table(rng, n)
    batches = t.to_batches(max_chunksize=max(1, n // chunks)) if n else [pa.RecordBatch.from_pylist([], schema=t.schema)]
    write_stream(tmp_path / "s.arrows", batches, t.schema)
    out = run(tmp_path / "s.arrows", tmp_path / "o.parquet").stdout
    assert f"rows {n} batches {len(batches)}" in out
    got = pq.read_table(tmp_path / "o.parquet")
    want = pa.ipc.open_stream(str(tmp_path / "s.arrows")).read_all()
    for name in want.schema.names:
        assert got.column(name).to_pylist() == want.column(name).to_pylist(), name
    assert got.schema.field("ts_us").type == pa.timestamp("us", tz="UTC")
    assert got.schema.field("ts_ns").type == pa.timestamp("ns")


def test_sliced_batches_rebase_offsets(tmp_path):
    t = table(np.random.default_rng(5), 500)
    b = t.to_batches()[0]
    pieces = [b.slice(10, 100), b.slice(300, 50)]
    write_stream(tmp_path / "s.arrows", pieces, t.schema)
    run(tmp_path / "s.arrows", tmp_path / "o.parquet")
    got = pq.read_table(tmp_path / "o.parquet")
    want = pa.Table.from_batches(pieces)
    for name in want.schema.names:
        assert got.column(name).to_pylist() == want.column(name).to_pylist(), name


def test_refusals_name_the_field(tmp_path):
    t = pa.table({"ok": [1, 2], "st": pa.array([{"a": 1}, {"a": 2}])})
    write_stream(tmp_path / "s.arrows", t.to_batches(), t.schema)
    p = run(tmp_path / "s.arrows", tmp_path / "o.parquet", check=False)
    assert p.returncode == 1 and "field st" in p.stderr
    d = pa.table({"dict": pa.array(["a", "b", "a"]).dictionary_encode()})
    write_stream(tmp_path / "d.arrows", d.to_batches(), d.schema)
    p = run(tmp_path / "d.arrows", tmp_path / "o.parquet", check=False)
    assert p.returncode == 1 and "dictionary" in p.stderr
    # a stream cut in the middle of a message
    t = table(np.random.default_rng(1), 100)
    write_stream(tmp_path / "c.arrows", t.to_batches(), t.schema)
    data = (tmp_path / "c.arrows").read_bytes()
    (tmp_path / "cut.arrows").write_bytes(data[: len(data) - 100])
    p = run(tmp_path / "cut.arrows", tmp_path / "o.parquet", check=False)
    assert p.returncode == 1 and "runs past the end" in p.stderr
