"""The Python SDK (sdk/python/feast_c) against independent references: the
point-in-time join recomputed in DuckDB on random data full of ties, null
created timestamps and max_age edges; the CLI's training-set file; online
values recomputed in Python after ingestion; errors carrying the C message;
and a loop that must not grow the process's memory."""
import ctypes
import datetime as dt
import os
import random
import subprocess
import sys

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = os.environ.get("FEAST_REPO_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "sdk", "python"))

from feast_c import FeastError, FeatureStore  # noqa: E402

T0 = dt.datetime(2021, 4, 12, tzinfo=dt.timezone.utc)
MAX_AGE = 3600  # seconds
N_KEYS = 12


def _ts(sec):
    return T0 + dt.timedelta(seconds=sec)


def make_source(rng, n=400):
    """Rows on a coarse time grid (many exact ties), some null created times and values."""
    rows = []
    for pos in range(n):
        key = rng.randrange(N_KEYS)
        sec = rng.randrange(0, 8) * 900  # 0 .. 7*900 s, tie-heavy
        created = None if rng.random() < 0.2 else _ts(sec + rng.randrange(0, 3) * 60)
        val = None if rng.random() < 0.1 else round(rng.uniform(-5, 5), 3)
        rows.append(dict(driver=key, event_timestamp=_ts(sec), created=created, rate=val,
                         trips=rng.randrange(0, 1000), name=f"n{pos}", pos=pos))
    return rows


def write_repo(root, rows):
    data = os.path.join(root, "data")
    os.makedirs(data, exist_ok=True)
    tsu = pa.timestamp("us", tz="UTC")
    table = pa.table({
        "driver": pa.array([r["driver"] for r in rows], pa.int64()),
        "event_timestamp": pa.array([r["event_timestamp"] for r in rows], tsu),
        "created": pa.array([r["created"] for r in rows], tsu),
        "rate": pa.array([r["rate"] for r in rows], pa.float64()),
        "trips": pa.array([r["trips"] for r in rows], pa.int64()),
        "name": pa.array([r["name"] for r in rows], pa.string()),
    })
    src = os.path.join(data, "trips.parquet")
    pq.write_table(table, src, row_group_size=100)
    with open(os.path.join(root, "feature_store.yaml"), "w") as f:
        f.write("project: sdk_test\nregistry: data/registry.db\nonline_store:\n  type: lmdb\n  path: data/online\n")
    with open(os.path.join(root, "specs.yaml"), "w") as f:
        f.write(f"""spec:
  name: driver_id
  valueType: INT64
  description: a driver
  labels: {{team: rides}}
---
spec:
  name: trips
  entities: [driver_id]
  features:
    - {{name: rate, valueType: DOUBLE}}
    - {{name: trips, valueType: INT64}}
    - {{name: name, valueType: STRING}}
  labels: {{team: rides, tier: gold}}
  maxAge: {MAX_AGE}s
  batchSource:
    type: BATCH_FILE
    eventTimestampColumn: event_timestamp
    createdTimestampColumn: created
    fieldMapping: {{driver_id: driver}}
    fileOptions:
      fileFormat: {{parquetFormat: {{}}}}
      fileUrl: {src}
""")
    return table


@pytest.fixture
def repo(tmp_path):
    rng = random.Random(7)
    rows = make_source(rng)
    write_repo(str(tmp_path), rows)
    fs = FeatureStore(repo_path=str(tmp_path))
    fs.apply([str(tmp_path / "specs.yaml")])
    yield fs, rows, tmp_path, rng
    fs.close()


def random_entities(rng, rows, n=300):
    """Entity rows at source times, at exactly +max_age (inclusive edge), just past it, and random."""
    out = []
    for _ in range(n):
        r = rng.choice(rows)
        off = rng.choice([0, 0, MAX_AGE, MAX_AGE + 1, -1, rng.randrange(-1000, 9000)])
        key = r["driver"] if rng.random() < 0.9 else N_KEYS + 5  # some unknown keys
        out.append(dict(driver_id=key, event_timestamp=r["event_timestamp"] + dt.timedelta(seconds=off),
                        label=rng.randrange(2)))
    return out


def duckdb_reference(rows, entities):
    src = pd.DataFrame(rows)
    ent = pd.DataFrame(entities)
    ent["rid"] = range(len(ent))
    con = duckdb.connect()
    con.register("s", src)
    con.register("e", ent)
    q = f"""
      WITH c AS (
        SELECT e.rid, s.rate, s.trips, s.name,
               row_number() OVER (PARTITION BY e.rid
                                  ORDER BY s.event_timestamp DESC, s.created DESC NULLS LAST, s.pos DESC) AS rn
        FROM e JOIN s ON s.driver = e.driver_id
         AND s.event_timestamp <= e.event_timestamp
         AND s.event_timestamp >= e.event_timestamp - INTERVAL {MAX_AGE} SECOND)
      SELECT e.rid, c.rate, c.trips, c.name FROM e LEFT JOIN c ON c.rid = e.rid AND c.rn = 1 ORDER BY e.rid"""
    res = con.execute(q).fetchall()
    return [(r[1], r[2], r[3]) for r in res]


def _none(v):
    return None if v is None or (isinstance(v, float) and v != v) else v


REFS = ["trips:rate", "trips:trips", "trips:name"]


def check_against(table, ref, entities):
    d = table.to_pydict()
    assert table.column_names == ["driver_id", "event_timestamp", "label", "trips__rate", "trips__trips",
                                  "trips__name"]
    assert d["driver_id"] == [e["driver_id"] for e in entities]
    got = list(zip(d["trips__rate"], d["trips__trips"], d["trips__name"]))
    bad = [(i, g, r) for i, (g, r) in enumerate(zip(got, ref)) if tuple(map(_none, g)) != tuple(map(_none, r))]
    assert not bad, bad[:5]


def test_apply_list_get(repo):
    fs, _, tmp, _ = repo
    again = fs.apply([str(tmp / "specs.yaml")])
    assert [(a["kind"], a["name"], a["action"], a["revision"]) for a in again] == [
        ("entity", "driver_id", "unchanged", 1), ("feature_table", "trips", "unchanged", 1)]
    # spec text: change a label -> updated, new revision
    text = open(tmp / "specs.yaml").read().split("---\n")[1].replace("tier: gold", "tier: silver")
    res = fs.apply(text)
    assert res == [{"kind": "feature_table", "name": "trips", "action": "updated", "revision": 2}]
    assert fs.project == "sdk_test"
    ents = fs.list_entities()
    assert [(e.name, e.value_type, e.description, e.labels) for e in ents] == [
        ("driver_id", "INT64", "a driver", {"team": "rides"})]
    assert fs.list_entities(labels={"team": "other"}) == []
    t = fs.get_feature_table("trips")
    assert t.revision == 2 and t.labels == {"team": "rides", "tier": "silver"}
    assert t.max_age == dt.timedelta(seconds=MAX_AGE)
    assert [(f.name, f.value_type) for f in t.features] == [("rate", "DOUBLE"), ("trips", "INT64"),
                                                             ("name", "STRING")]
    assert t.entities == ["driver_id"] and t.batch_source["fieldMapping"] == {"driver_id": "driver"}
    assert t.last_updated >= t.created
    assert [x.name for x in fs.list_feature_tables(labels={"tier": "silver"})] == ["trips"]
    assert fs.list_feature_tables(labels={"tier": "gold"}) == []
    assert fs.get_entity("driver_id").revision == 1


def test_historical_from_dataframe_matches_duckdb(repo):
    fs, rows, _, rng = repo
    entities = random_entities(rng, rows)
    df = pd.DataFrame(entities)
    table = fs.get_historical_features(df, REFS)
    check_against(table, duckdb_reference(rows, entities), entities)
    assert fs.last_summary["entity_rows"] == len(entities)
    # the same from a pyarrow Table and a RecordBatchReader in small batches; memory limit forcing spills
    pt = pa.Table.from_pandas(df, preserve_index=False)
    reader = pa.RecordBatchReader.from_batches(pt.schema, pt.to_batches(max_chunksize=17))
    spilled = fs.get_historical_features(reader, REFS, memory_limit="64K")
    assert spilled.equals(table)
    assert fs.get_historical_features(pt, REFS).equals(table)
    # pandas round trip
    pdf = table.to_pandas()
    assert list(pdf["label"]) == [e["label"] for e in entities]


def test_historical_from_files_matches_cli(repo):
    fs, rows, tmp, rng = repo
    entities = random_entities(rng, rows, 120)
    csv = tmp / "entities.csv"
    with open(csv, "w") as f:
        f.write("driver_id,event_timestamp,label\n")
        for e in entities:
            f.write(f"{e['driver_id']},{e['event_timestamp'].strftime('%Y-%m-%dT%H:%M:%SZ')},{e['label']}\n")
    from_csv = fs.get_historical_features(str(csv), REFS)
    check_against(from_csv, duckdb_reference(rows, entities), entities)
    feast_bin = os.environ.get("FEAST_BIN", os.path.join(ROOT, "build", "feast"))
    out = tmp / "cli.parquet"
    subprocess.run([feast_bin, "get-historical-features", "--config", str(tmp / "feature_store.yaml"),
                    "-f", ",".join(REFS), "-e", str(csv), "-o", str(out)], check=True, capture_output=True)
    cli = pq.read_table(out)
    assert cli.to_pydict() == from_csv.to_pydict()
    # a Parquet entity file gives the same
    ent_pq = tmp / "entities.parquet"
    pq.write_table(from_csv.select(["driver_id", "event_timestamp", "label"]), ent_pq)
    assert fs.get_historical_features(str(ent_pq), REFS).to_pydict() == from_csv.to_pydict()


def latest_per_key(rows):
    """key -> (winning row, tied?) by (event_ts, created) as ingestion orders them."""
    best = {}
    for r in rows:
        k = (r["event_timestamp"], r["created"] or dt.datetime.min.replace(tzinfo=dt.timezone.utc))
        cur = best.get(r["driver"])
        if cur is None or k > cur[0]:
            best[r["driver"]] = (k, [r])
        elif k == cur[0]:
            cur[1].append(r)
    return best


def test_online_after_ingest(repo):
    fs, rows, _, _ = repo
    s = fs.ingest("trips")
    assert s["read"] == len(rows) and s["written"] > 0 and s["rejected"] == 0
    assert s["written"] + s["skipped_older"] + s["out_of_window"] == len(rows)
    best = latest_per_key(rows)
    keys = sorted(best) + [999]
    last = max(r["event_timestamp"] for r in rows)
    resp = fs.get_online_features(REFS, [{"driver_id": k} for k in keys], at=last)
    assert resp.field_names == ["driver_id", "trips__rate", "trips__trips", "trips__name"]
    assert resp["driver_id"] == keys
    assert resp.statuses["driver_id"] == ["PRESENT"] * len(keys)
    for i, k in enumerate(keys):
        if k == 999:
            assert [resp.statuses[c][i] for c in resp.field_names[1:]] == ["NOT_FOUND"] * 3
            assert resp["trips__rate"][i] is None and resp.event_timestamps["trips__rate"][i] is None
            continue
        (ets, _), cands = best[k]
        age_ok = (last - ets).total_seconds() <= MAX_AGE
        names = [c["name"] for c in cands]
        if not age_ok:
            assert resp.statuses["trips__name"][i] == "OUTSIDE_MAX_AGE"
            assert resp["trips__name"][i] is None
            continue
        assert resp["trips__name"][i] in names
        win = cands[names.index(resp["trips__name"][i])]
        assert resp["trips__trips"][i] == win["trips"]
        assert resp["trips__rate"][i] == win["rate"]
        assert resp.statuses["trips__rate"][i] == ("NULL_VALUE" if win["rate"] is None else "PRESENT")
        assert resp.event_timestamps["trips__trips"][i] == ets
    # far in the future everything found is too old
    late = fs.get_online_features(["trips:trips"], {"driver_id": keys[:3]}, at=last + dt.timedelta(days=1))
    assert late.statuses["trips__trips"] == ["OUTSIDE_MAX_AGE"] * 3
    d = late.to_dict(include_statuses=True)
    assert d["trips__trips__status"] == ["OUTSIDE_MAX_AGE"] * 3 and d["trips__trips"] == [None] * 3


def test_ingest_window_and_dataframe(repo):
    fs, rows, _, _ = repo
    s = fs.ingest("trips", start=_ts(900), end=_ts(1800))
    expect_in = sum(1 for r in rows if _ts(900) <= r["event_timestamp"] < _ts(1800))
    assert s["read"] - s["out_of_window"] == expect_in
    df = pd.DataFrame([dict(driver=500, event_timestamp=_ts(10000), created=None, rate=1.5, trips=3,
                            name="fresh")])
    df["event_timestamp"] = pd.to_datetime(df["event_timestamp"], utc=True)
    df["created"] = pd.to_datetime(df["created"], utc=True)
    s = fs.ingest("trips", source=df)
    assert s["read"] == 1 and s["written"] == 1
    r = fs.get_online_features(["trips:name", "trips:rate"], [{"driver_id": "500"}], at=_ts(10001))
    assert r["trips__name"] == ["fresh"] and r["trips__rate"] == [1.5]


def test_errors_carry_the_c_message(repo, tmp_path):
    fs, rows, _, rng = repo
    ents = pd.DataFrame(random_entities(rng, rows, 5))
    with pytest.raises(FeastError) as e:
        fs.get_historical_features(ents, ["trips:nope", "missing_table:x"])
    assert e.value.code_name == "NOT_FOUND" and "nope" in e.value.message and "missing_table" in e.value.message
    with pytest.raises(FeastError) as e:
        fs.get_historical_features(ents.drop(columns=["event_timestamp"]), REFS)
    assert e.value.code_name == "SCHEMA" and "event_timestamp" in e.value.message
    with pytest.raises(FeastError) as e:
        fs.get_entity("ghost")
    assert "ghost" in e.value.message and "sdk_test" in e.value.message
    with pytest.raises(FeastError) as e:
        fs.apply("spec:\n  name: bad name!\n  valueType: INT64\n")
    assert e.value.code_name == "VALIDATION" and "bad name!" in e.value.message
    with pytest.raises(FeastError) as e:
        fs.get_online_features(["trips:rate"], [{"driver_id": "not-a-number"}])
    assert "not-a-number" in e.value.message
    with pytest.raises(FeastError) as e:
        fs.ingest("ghost_table")
    assert "ghost_table" in e.value.message
    with pytest.raises(FeastError) as e:
        FeatureStore(config=str(tmp_path / "nope" / "feature_store.yaml"))
    assert "feature_store.yaml" in e.value.message
    fs.close()
    with pytest.raises(FeastError):
        fs.list_entities()


class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]


def _heap_in_use_kb():
    """Bytes malloc has handed out and not had back (glibc's mallinfo2):
    unlike RSS, not moved by pages the allocator keeps or pyarrow's pools."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    m = libc.mallinfo2()
    return (m.uordblks + m.hblkhd) // 1024


def test_repeated_calls_do_not_grow_memory(repo):
    fs, rows, _, rng = repo
    fs.ingest("trips")
    ents = pd.DataFrame(random_entities(rng, rows, 200))
    online_rows = [{"driver_id": k} for k in range(N_KEYS)]

    def once():
        fs.get_historical_features(ents, REFS)
        fs.get_online_features(REFS, online_rows, at=_ts(7000))
        fs.list_feature_tables()
        fs.get_entity("driver_id")
        try:
            fs.get_feature_table("ghost")
        except FeastError:
            pass

    for _ in range(30):  # warm up allocator pools and pyarrow caches
        once()
    before = _heap_in_use_kb()
    for _ in range(300):
        once()
    grown = _heap_in_use_kb() - before
    assert grown < 1024, f"the heap grew by {grown} KiB over 300 rounds"


def test_apply_folder_and_missing_file(repo):
    fs, _, tmp, _ = repo
    assert [a["action"] for a in fs.apply(str(tmp))] == ["unchanged", "unchanged"]
    with pytest.raises(FeastError) as e:
        fs.apply(str(tmp / "no_such_specs.yaml"))
    assert "no_such_specs.yaml" in e.value.message


def test_naive_timestamps_are_utc_and_progress_is_reported(repo):
    fs, rows, _, rng = repo
    entities = random_entities(rng, rows, 50)
    aware = pd.DataFrame(entities)
    naive = aware.copy()
    naive["event_timestamp"] = pd.to_datetime(naive["event_timestamp"], utc=True).dt.tz_localize(None)
    phases = []
    a = fs.get_historical_features(aware, REFS)
    n = fs.get_historical_features(naive, REFS, progress=lambda p, done, total: phases.append(p))
    for c in REFS:
        col = c.replace(":", "__")
        assert a.column(col).equals(n.column(col))
    assert any(p.startswith("join trips") or p.startswith("read trips") for p in phases), phases
    reader, summary = fs.get_historical_features_reader(naive, REFS)
    assert summary["entity_rows"] == 50
    assert sum(b.num_rows for b in reader) == 50
