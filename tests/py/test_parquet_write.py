"""Files written by libfeast's Parquet writer, read back by pyarrow and by
DuckDB (two independent readers) and compared value by value and type by
type, over every type, codec, page version, with and without dictionaries,
nulls at every level, many row groups, and empty input."""
import decimal
import math
import os
import sys
import datetime as dt

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import feast_pqw  # noqa: E402

N = 1000
rng = np.random.default_rng(7)


def _nulls(values, every=7):
    return [None if i % every == 3 else v for i, v in enumerate(values)]


def all_types_table(n=N):
    ints = rng.integers(-(2**62), 2**62, n)
    small = rng.integers(0, 20, n)  # repeats: dictionary pays
    ts = rng.integers(0, 2**50, n)
    cols = {
        "b": pa.array(_nulls([bool(x % 2) for x in small]), pa.bool_()),
        "i8": pa.array(_nulls([int(x) - 10 for x in small]), pa.int8()),
        "i16": pa.array(_nulls([int(x) * -1000 for x in small]), pa.int16()),
        "i32": pa.array(_nulls([int(x) % (2**31) - 2**30 for x in ints]), pa.int32()),
        "i64": pa.array(_nulls([int(x) for x in ints]), pa.int64()),
        "u8": pa.array(_nulls([int(x) * 12 for x in small]), pa.uint8()),
        "u16": pa.array(_nulls([int(x) * 3000 for x in small]), pa.uint16()),
        "u32": pa.array(_nulls([(int(x) % 2**32) for x in ints]), pa.uint32()),
        "u64": pa.array(_nulls([(int(x) % 2**64) | (1 << 63) if i % 2 else int(x) % 2**63 for i, x in enumerate(ints)]),
                        pa.uint64()),
        "f16": pa.array(_nulls([np.float16(x / 4) for x in small]), pa.float16()),
        "f32": pa.array(_nulls([float(np.float32(x / 3)) for x in ints[:n] % 1000]), pa.float32()),
        "f64": pa.array(_nulls([float(x) / 7 for x in ints]), pa.float64()),
        "s": pa.array(_nulls([f"str-{x}" for x in small]), pa.string()),
        "s_unique": pa.array(_nulls([f"u{x}é" for x in ints]), pa.string()),
        "bin": pa.array(_nulls([bytes([x % 256]) * (x % 5) for x in small]), pa.binary()),
        "fixed": pa.array(_nulls([int(x).to_bytes(8, "little", signed=True)[:4] for x in ints]), pa.binary(4)),
        "date": pa.array(_nulls([int(x) % 40000 - 20000 for x in ints]), pa.date32()),
        "t32s": pa.array(_nulls([int(x) % 86400 for x in ints]), pa.time32("s")),
        "t32ms": pa.array(_nulls([int(x) % 86400000 for x in ints]), pa.time32("ms")),
        "t64us": pa.array(_nulls([int(x) % 86400000000 for x in ints]), pa.time64("us")),
        "t64ns": pa.array(_nulls([int(x) % 86400000000000 for x in ints]), pa.time64("ns")),
        "ts_us_utc": pa.array(_nulls([int(x) for x in ts]), pa.timestamp("us", tz="UTC")),
        "ts_ns_utc": pa.array(_nulls([int(x) * 1000 + 7 for x in ts]), pa.timestamp("ns", tz="UTC")),
        "ts_us": pa.array(_nulls([int(x) for x in ts]), pa.timestamp("us")),
        "ts_ms_utc": pa.array(_nulls([int(x) // 1000 for x in ts]), pa.timestamp("ms", tz="UTC")),
        "ts_s_utc": pa.array(_nulls([int(x) // 10**6 for x in ts]), pa.timestamp("s", tz="UTC")),
        "dec": pa.array(_nulls([decimal.Decimal(int(x) % 10**12 - 5 * 10**11).scaleb(-3) for x in ints]),
                        pa.decimal128(12, 3)),
        "dec38": pa.array(_nulls([decimal.Decimal(int(x) * 10**15 + 1).scaleb(-10) for x in ints]),
                          pa.decimal128(38, 10)),
        "dec2": pa.array(_nulls([decimal.Decimal(int(x) % 199 - 99).scaleb(-1) for x in ints]), pa.decimal128(2, 1)),
        "l_i64": pa.array([None if i % 11 == 5 else [] if i % 11 == 6 else
                           [None if (i + k) % 5 == 0 else int(ints[(i + k) % n]) for k in range(i % 4)]
                           for i in range(n)], pa.list_(pa.int64())),
        "l_s": pa.array([None if i % 9 == 2 else [] if i % 9 == 4 else
                         [None if k == 1 else f"e{(i * k) % 13}" for k in range(i % 3 + 1)] for i in range(n)],
                        pa.list_(pa.string())),
        "l_f64": pa.array([None if i % 13 == 1 else [float(k) / 3 for k in range(i % 5)] for i in range(n)],
                          pa.list_(pa.float64())),
        "l_b": pa.array([None if i % 6 == 1 else [None if k == 2 else bool((i + k) % 2) for k in range(i % 4)]
                         for i in range(n)], pa.list_(pa.bool_())),
        "l_ts": pa.array([None if i % 8 == 1 else [int(ts[(i + k) % n]) for k in range(i % 3)] for i in range(n)],
                         pa.list_(pa.timestamp("us", tz="UTC"))),
    }
    return pa.table(cols)


# Types that Parquet stores in a coarser or different unit come back changed.
def expected_arrow_type(t):
    if pa.types.is_time32(t) and t.unit == "s":
        return pa.time32("ms")
    if pa.types.is_timestamp(t) and t.unit == "s":
        return pa.timestamp("ms", tz=t.tz)
    if pa.types.is_list(t):
        return pa.list_(pa.field("element", expected_arrow_type(t.value_type)))
    return t


def expected_table(t):
    cols = []
    for f in t.schema:
        cols.append(t.column(f.name).cast(expected_arrow_type(f.type)))
    return pa.table(cols, names=t.column_names)


def assert_same_as_pyarrow(path, t):
    got = pq.read_table(path)
    exp = expected_table(t)
    for f in exp.schema:
        assert got.schema.field(f.name).type == f.type, f"{f.name}: {got.schema.field(f.name).type} != {f.type}"
        g, e = got.column(f.name).to_pylist(), exp.column(f.name).to_pylist()
        assert len(g) == len(e)
        for i, (a, b) in enumerate(zip(g, e)):
            assert a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b)), f"{f.name}[{i}]: {a!r} != {b!r}"
    assert got.num_rows == t.num_rows


def assert_same_as_duckdb(path, t):
    """DuckDB reads our file exactly as it reads the same table written by
    pyarrow (the reference): same SQL types, and the same value in every
    cell, compared through VARCHAR so every type (TIMESTAMPTZ_NS, TIME_NS,
    lists, decimals) compares without Python conversions."""
    ref = os.path.join(os.path.dirname(path), "reference-by-pyarrow.parquet")
    pq.write_table(t, ref)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    ours = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()}
    theirs = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{ref}')").fetchall()}
    assert ours == theirs
    for name in t.column_names:
        q = "SELECT {c}::VARCHAR FROM read_parquet('{f}')"
        got = con.execute(q.format(c=name, f=path)).fetchall()
        exp = con.execute(q.format(c=name, f=ref)).fetchall()
        assert len(got) == t.num_rows
        for i, (a, b) in enumerate(zip(got, exp)):
            assert a == b, f"{name}[{i}]: duckdb read {a!r} from ours, {b!r} from pyarrow's"
    # Aggregates DuckDB computes itself over the numbers, against pyarrow's.
    sums = con.execute(f"SELECT sum(i64::HUGEINT), sum(u64::HUGEINT), count(s), sum(dec) "
                       f"FROM read_parquet('{path}')").fetchone() if "u64" in t.column_names else None
    if sums is not None and t.num_rows:
        assert sums[0] == sum(v for v in t.column("i64").to_pylist() if v is not None)
        assert sums[1] == sum(v for v in t.column("u64").to_pylist() if v is not None)
        assert sums[2] == t.num_rows - t.column("s").null_count
    os.remove(ref)


def dq(sql):
    """One row of a DuckDB query."""
    return duckdb.connect().execute(sql).fetchone()


def _written(tmp_path, t, **kw):
    path = str(tmp_path / "out.parquet")
    feast_pqw.write(path, t, **kw)
    return path


@pytest.mark.parametrize("codec", ["snappy", "zstd", "gzip", "lz4", "none"])
def test_every_type_every_codec(tmp_path, codec):
    t = all_types_table()
    path = _written(tmp_path, t, codec=codec)
    assert_same_as_pyarrow(path, t)
    assert_same_as_duckdb(path, t)
    md = pq.ParquetFile(path).metadata
    # pyarrow calls LZ4_RAW "LZ4"
    expected_codec = {"none": "UNCOMPRESSED", "lz4": "LZ4"}.get(codec, codec.upper())
    for i in range(md.num_columns):
        assert md.row_group(0).column(i).compression == expected_codec


@pytest.mark.parametrize("dictionary", [True, False])
@pytest.mark.parametrize("page_version", [1, 2])
def test_dictionary_and_page_versions(tmp_path, dictionary, page_version):
    t = all_types_table()
    path = _written(tmp_path, t, dictionary=dictionary, page_version=page_version, page_size=4096,
                    row_group_size=300)
    assert_same_as_pyarrow(path, t)
    assert_same_as_duckdb(path, t)
    md = pq.ParquetFile(path).metadata
    assert md.num_row_groups == 4
    cols = {md.row_group(0).column(i).path_in_schema: md.row_group(0).column(i) for i in range(md.num_columns)}
    # A low-cardinality column is dictionary-encoded exactly when asked for.
    assert cols["s"].has_dictionary_page == dictionary
    assert ("RLE_DICTIONARY" in cols["s"].encodings) == dictionary
    # Mostly-distinct values do not pay for a dictionary.
    assert not cols["s_unique"].has_dictionary_page


def test_dictionary_fallback_past_limit(tmp_path):
    n = 50000
    t = pa.table({"x": pa.array([i % 2000 for i in range(n)], pa.int64()),
                  "s": pa.array([f"value-{i % 1500}" for i in range(n)])})
    path = _written(tmp_path, t, dict_limit=8192, page_size=8192)
    assert_same_as_pyarrow(path, t)
    md = pq.ParquetFile(path).metadata.row_group(0)
    for i in range(2):
        c = md.column(i)
        assert c.has_dictionary_page
        assert "PLAIN" in c.encodings and "RLE_DICTIONARY" in c.encodings
    assert dq(f"SELECT sum(x), count(DISTINCT s) FROM read_parquet('{path}')") == (
        sum(i % 2000 for i in range(n)), 1500)


def test_statistics_match_computed(tmp_path):
    t = all_types_table()
    path = _written(tmp_path, t, row_group_size=400)
    f = pq.ParquetFile(path)
    exp = expected_table(t)
    offset = 0
    for rg in range(f.metadata.num_row_groups):
        r = f.metadata.row_group(rg)
        part = exp.slice(offset, r.num_rows)
        offset += r.num_rows
        for i in range(r.num_columns):
            c = r.column(i)
            name = c.path_in_schema.split(".")[0]
            col = part.column(name)
            if pa.types.is_list(col.type):
                col = pc.list_flatten(col)
                continue_nulls = False
            else:
                continue_nulls = True
            s = c.statistics
            assert s is not None and s.has_null_count
            if continue_nulls:
                assert s.null_count == col.null_count, name
            if name in ("f16",):
                continue
            mm = pc.min_max(col).as_py()
            if mm["min"] is None:
                assert not s.has_min_max
                continue
            assert s.has_min_max, name
            lo, hi = s.min, s.max
            if isinstance(mm["min"], dt.datetime) and mm["min"].tzinfo is not None:
                lo, hi = lo.astimezone(dt.timezone.utc), hi.astimezone(dt.timezone.utc)
            if name == "ts_ns_utc" or name == "t64ns":
                continue  # pyarrow's Statistics truncates ns to Python objects
            assert lo == mm["min"] and hi == mm["max"], f"{name}: ({lo}, {hi}) != {mm}"


def test_stats_prune_in_duckdb(tmp_path):
    # Sorted data split in row groups: min/max let a filter return exactly the right rows.
    t = pa.table({"k": pa.array(range(10000), pa.int64()), "s": pa.array([f"{i:06d}" for i in range(10000)])})
    path = _written(tmp_path, t, row_group_size=1000)
    assert dq(f"SELECT count(*) FROM read_parquet('{path}') WHERE k BETWEEN 2500 AND 4499")[0] == 2000
    assert dq(f"SELECT count(*) FROM read_parquet('{path}') WHERE s >= '009000'")[0] == 1000
    assert pq.read_table(path, filters=[("k", ">=", 9990)]).num_rows == 10


def test_many_batches_and_row_groups(tmp_path):
    t = all_types_table(700)
    batches = [t.slice(o, 100).combine_chunks().to_batches()[0] for o in range(0, 700, 100)]
    path = str(tmp_path / "multi.parquet")
    feast_pqw.write(path, batches, row_group_size=250, codec="zstd")
    md = pq.ParquetFile(path).metadata
    assert md.num_rows == 700
    assert [md.row_group(i).num_rows for i in range(md.num_row_groups)] == [250, 250, 200]
    assert_same_as_pyarrow(path, t)
    assert_same_as_duckdb(path, t)


def test_empty_batch(tmp_path):
    t = all_types_table(0)
    path = _written(tmp_path, t)
    got = pq.read_table(path)
    assert got.num_rows == 0
    for f in expected_table(t).schema:
        assert got.schema.field(f.name).type == f.type
    assert dq(f"SELECT count(*) FROM read_parquet('{path}')")[0] == 0


def test_all_nulls_and_special_floats(tmp_path):
    t = pa.table({
        "n": pa.array([None] * 50, pa.int64()),
        "ns": pa.array([None] * 50, pa.string()),
        "f": pa.array([float("nan"), -0.0, 0.0, float("inf"), float("-inf"), None] * 5, pa.float64()),
        "e": pa.array([""] * 30, pa.string()),
    }.items() and {
        "n": pa.array([None] * 30, pa.int64()),
        "ns": pa.array([None] * 30, pa.string()),
        "f": pa.array([float("nan"), -0.0, 0.0, float("inf"), float("-inf"), None] * 5, pa.float64()),
        "e": pa.array([""] * 30, pa.string()),
    })
    path = _written(tmp_path, t)
    got = pq.read_table(path)
    assert got.column("n").null_count == 30 and got.column("ns").null_count == 30
    gf, ef = got.column("f").to_pylist(), t.column("f").to_pylist()
    assert all((a is None and b is None) or (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) ==
               math.copysign(1, b)) for a, b in zip(gf, ef))
    assert got.column("e").to_pylist() == [""] * 30
    s = pq.ParquetFile(path).metadata.row_group(0).column(2).statistics
    assert s.min == float("-inf") and s.max == float("inf")
    assert not pq.ParquetFile(path).metadata.row_group(0).column(0).statistics.has_min_max


def test_key_value_metadata_and_created_by(tmp_path):
    t = pa.table({"x": [1, 2, 3]})
    path = _written(tmp_path, t, metadata={"feast.table": "driver_stats", "empty": ""})
    md = pq.ParquetFile(path).metadata
    assert md.metadata[b"feast.table"] == b"driver_stats"
    assert md.metadata[b"empty"] == b""
    assert md.created_by.startswith("feast-c version")


def test_schema_mismatch_is_rejected_and_leaves_no_file(tmp_path):
    a = pa.table({"x": pa.array([1], pa.int64())}).to_batches()[0]
    b = pa.table({"x": pa.array(["s"])}).to_batches()[0]
    path = tmp_path / "bad.parquet"
    with pytest.raises(feast_pqw.FeastError) as e:
        feast_pqw.write(str(path), [a, b])
    assert "'x'" in e.value.message
    assert not path.exists()
    assert os.listdir(tmp_path) == []  # no temp file left either


def test_unwritable_directory(tmp_path):
    t = pa.table({"x": [1]})
    with pytest.raises(feast_pqw.FeastError) as e:
        feast_pqw.write(str(tmp_path / "missing" / "x.parquet"), t)
    assert "missing" in e.value.message


def test_pandas_reads_back(tmp_path):
    import pandas as pd
    t = pa.table({"driver_id": pa.array([1001, 1002, None], pa.int64()),
                  "event_timestamp": pa.array([1_600_000_000_000_000, 1_600_000_001_000_000, None],
                                              pa.timestamp("us", tz="UTC")),
                  "rating": pa.array([4.5, None, 3.25])})
    path = _written(tmp_path, t)
    df = pd.read_parquet(path)
    assert str(df["event_timestamp"].dtype).startswith("datetime64[us, UTC]")
    assert df["event_timestamp"][0] == pd.Timestamp("2020-09-13 12:26:40", tz="UTC")
    assert df["rating"].tolist()[0] == 4.5 and math.isnan(df["rating"].tolist()[1])


def test_large_strings_span_pages(tmp_path):
    t = pa.table({"s": pa.array([("x" * (i % 5000)) + str(i) for i in range(3000)])})
    path = _written(tmp_path, t, page_size=65536, codec="zstd")
    assert pq.read_table(path).column("s").to_pylist() == t.column("s").to_pylist()
    assert dq(f"SELECT sum(length(s)) FROM read_parquet('{path}')")[0] == sum(
        len(x) for x in t.column("s").to_pylist())


def test_cli_converts_csv(tmp_path):
    import subprocess
    feast = os.environ.get("FEAST_BIN") or os.path.join(os.environ.get("FEAST_REPO_ROOT", "."), "build", "feast")
    csv = tmp_path / "in.csv"
    rows = [(i, f"2021-04-12T10:{i % 60:02d}:00.{i:06d}Z", i / 4 if i % 5 else "", f'name "{i}", x') for i in range(500)]
    with open(csv, "w", newline="") as f:
        f.write("driver_id,event_timestamp,rating,name\r\n")
        for r in rows:
            f.write(f'{r[0]},{r[1]},{r[2]},"{r[3].replace(chr(34), chr(34) * 2)}"\r\n')
    out = tmp_path / "out.parquet"
    p = subprocess.run([feast, "parquet-write", "--from-csv", str(csv), "--schema", "driver_id:int32", str(out),
                        "--codec", "zstd", "--row-group-size", "200"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    t = pq.read_table(out)
    assert t.schema.field("driver_id").type == pa.int32()
    assert t.schema.field("event_timestamp").type == pa.timestamp("us", tz="UTC")
    assert t.schema.field("rating").type == pa.float64()
    assert pq.ParquetFile(out).metadata.num_row_groups == 3
    assert t.column("driver_id").to_pylist() == [r[0] for r in rows]
    assert [v.isoformat() for v in t.column("event_timestamp").to_pylist()] == [
        dt.datetime.strptime(r[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc).isoformat() for r in rows]
    assert t.column("rating").to_pylist() == [r[2] if r[2] != "" else None for r in rows]
    assert t.column("name").to_pylist() == [r[3] for r in rows]
    # A bad value names the file, the line and the column.
    with open(csv, "a") as f:
        f.write("oops,2021-01-01,1,x\n")
    p = subprocess.run([feast, "parquet-write", "--from-csv", str(csv), "--schema", "driver_id:int32",
                        str(tmp_path / "bad.parquet")], capture_output=True, text=True)
    assert p.returncode == 1
    assert "line 502, column 'driver_id'" in p.stderr and "in.csv" in p.stderr
    assert not (tmp_path / "bad.parquet").exists()
