"""The Python SDK's embedded client (feast.Client(repo_path=...), on
libfeast.so) against independent references: the point-in-time join
recomputed in DuckDB on random data full of ties, null created timestamps
and max_age edges; the CLI's training-set file; online values recomputed in
Python after ingestion; errors carrying the C message; and a loop that must
not grow the process's memory."""
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

from feast import (Client, Entity, FeastError, Feature, FeatureTable, FileSource, ParquetFormat,  # noqa: E402
                   ValueType)

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
    src = os.path.join(data, "trips")
    os.makedirs(src)
    pq.write_table(table, os.path.join(src, "part-0.parquet"), row_group_size=100)
    with open(os.path.join(root, "feature_store.yaml"), "w") as f:
        f.write("project: sdk_test\nregistry: data/registry.db\nonline_store:\n  type: lmdb\n  path: data/online\n")
    return table, src


def objects(src, tier="gold"):
    driver = Entity("driver_id", "a driver", ValueType.INT64, labels={"team": "rides"})
    trips = FeatureTable("trips", ["driver_id"],
                         [Feature("rate", ValueType.DOUBLE), Feature("trips", ValueType.INT64),
                          Feature("name", ValueType.STRING)],
                         batch_source=FileSource(event_timestamp_column="event_timestamp", created_timestamp_column="created",
                                                 field_mapping={"driver_id": "driver"}, file_format=ParquetFormat(),
                                                 file_url=src),
                         max_age=dt.timedelta(seconds=MAX_AGE), labels={"team": "rides", "tier": tier})
    return driver, trips


@pytest.fixture
def repo(tmp_path):
    rng = random.Random(7)
    rows = make_source(rng)
    _, src = write_repo(str(tmp_path), rows)
    client = Client(repo_path=str(tmp_path))
    client.apply(list(objects(src)), check_sources=True)
    yield client, rows, tmp_path, rng, src
    client.close()


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
    client, _, tmp, _, src = repo
    driver, trips = objects(src)
    client.apply([driver, trips])
    assert trips.revision == 1, "an unchanged apply is no new revision"
    _, silver = objects(src, tier="silver")
    client.apply(silver)
    assert silver.revision == 2 and client.get_feature_table("trips").labels == {"team": "rides", "tier": "silver"}
    assert client.project == "sdk_test"
    ents = client.list_entities()
    assert [(e.name, e.value_type, e.description, e.labels) for e in ents] == [
        ("driver_id", "INT64", "a driver", {"team": "rides"})]
    assert ents[0] == driver
    assert client.list_entities(labels={"team": "other"}) == []
    t = client.get_feature_table("trips")
    assert t == silver and t != trips
    assert t.max_age.seconds == MAX_AGE
    assert [(f.name, f.dtype) for f in t.features] == [("rate", ValueType.DOUBLE), ("trips", ValueType.INT64),
                                                        ("name", ValueType.STRING)]
    assert t.entities == ["driver_id"] and t.batch_source.field_mapping == {"driver_id": "driver"}
    assert t.last_updated_timestamp.ToDatetime() >= t.created_timestamp.ToDatetime()
    assert [x.name for x in client.list_feature_tables(labels={"tier": "silver"})] == ["trips"]
    assert client.list_feature_tables(labels={"tier": "gold"}) == []


REFS_OUT = ["trips__rate", "trips__trips", "trips__name"]


def test_historical_from_dataframe_matches_duckdb(repo):
    client, rows, _, rng, _ = repo
    entities = random_entities(rng, rows)
    df = pd.DataFrame(entities)
    job = client.get_historical_features(REFS, df)
    table = job.to_arrow()
    check_against(table, duckdb_reference(rows, entities), entities)
    assert job.summary["entity_rows"] == len(entities)
    # the same from a pyarrow Table and a RecordBatchReader in small batches; a memory limit forcing spills
    pt = pa.Table.from_pandas(df, preserve_index=False)
    reader = pa.RecordBatchReader.from_batches(pt.schema, pt.to_batches(max_chunksize=17))
    spilled = client.get_historical_features(REFS, reader, memory_limit=64 << 10)
    assert spilled.to_arrow().equals(table)
    assert client.get_historical_features(REFS, pt).to_arrow().equals(table)
    assert list(job.to_df()["label"]) == [e["label"] for e in entities]
    # Feast 0.9's way: the output location holds the training set as Parquet
    uri = job.get_output_file_uri()
    assert pq.read_table(uri).equals(table)


def test_historical_from_files_matches_cli(repo):
    client, rows, tmp, rng, _ = repo
    entities = random_entities(rng, rows, 120)
    csv = tmp / "entities.csv"
    with open(csv, "w") as f:
        f.write("driver_id,event_timestamp,label\n")
        for e in entities:
            f.write(f"{e['driver_id']},{e['event_timestamp'].strftime('%Y-%m-%dT%H:%M:%SZ')},{e['label']}\n")
    from_csv = client.get_historical_features(REFS, str(csv), output_location=str(tmp / "out")).to_arrow()
    check_against(from_csv, duckdb_reference(rows, entities), entities)
    assert pq.read_table(str(tmp / "out")).equals(from_csv)
    feast_bin = os.environ.get("FEAST_BIN", os.path.join(ROOT, "build", "feast"))
    out = tmp / "cli.parquet"
    subprocess.run([feast_bin, "get-historical-features", "--config", str(tmp / "feature_store.yaml"),
                    "-f", ",".join(REFS), "-e", str(csv), "-o", str(out)], check=True, capture_output=True)
    assert pq.read_table(out).to_pydict() == from_csv.to_pydict()
    # a Parquet entity file, given as a FileSource as Feast 0.9 takes it, gives the same
    ent_pq = tmp / "entities.parquet"
    pq.write_table(from_csv.select(["driver_id", "event_timestamp", "label"]), ent_pq)
    source = FileSource(event_timestamp_column="event_timestamp", file_format=ParquetFormat(),
                        file_url=f"file://{ent_pq}")
    assert client.get_historical_features(REFS, source).to_arrow().to_pydict() == from_csv.to_pydict()


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


WIDE = (dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1))


def test_online_after_offline_to_online_ingestion(repo):
    client, rows, _, _, _ = repo
    job = client.start_offline_to_online_ingestion(client.get_feature_table("trips"), *WIDE)
    s = job.summary
    assert job.get_status().name == "COMPLETED" and client.get_job(job.get_id()) is job
    assert s["read"] == len(rows) and s["written"] > 0 and s["rejected"] == 0
    assert s["written"] + s["skipped_older"] + s["out_of_window"] == len(rows)
    best = latest_per_key(rows)
    keys = sorted(best) + [999]
    last = max(r["event_timestamp"] for r in rows)
    resp = client.get_online_features(REFS, [{"driver_id": k} for k in keys], at=last)
    d = resp.to_dict()
    assert resp.field_names == ["driver_id"] + REFS and list(d) == ["driver_id"] + REFS
    assert d["driver_id"] == keys
    st = resp.statuses
    assert st["driver_id"] == ["PRESENT"] * len(keys)
    for i, k in enumerate(keys):
        if k == 999:
            assert [st[c][i] for c in REFS] == ["NOT_FOUND"] * 3
            assert d["trips:rate"][i] is None and resp.event_timestamps["trips:rate"][i] is None
            continue
        (ets, _), cands = best[k]
        names = [c["name"] for c in cands]
        if (last - ets).total_seconds() > MAX_AGE:
            assert st["trips:name"][i] == "OUTSIDE_MAX_AGE" and d["trips:name"][i] is None
            continue
        assert d["trips:name"][i] in names
        win = cands[names.index(d["trips:name"][i])]
        assert d["trips:trips"][i] == win["trips"]
        assert d["trips:rate"][i] == win["rate"]
        assert st["trips:rate"][i] == ("NULL_VALUE" if win["rate"] is None else "PRESENT")
        assert resp.event_timestamps["trips:trips"][i] == ets
    # far in the future everything found is too old
    late = client.get_online_features(["trips:trips"], [{"driver_id": k} for k in keys[:3]],
                                      at=last + dt.timedelta(days=1))
    assert late.statuses["trips:trips"] == ["OUTSIDE_MAX_AGE"] * 3
    d = late.to_dict(include_statuses=True)
    assert d["trips:trips__status"] == ["OUTSIDE_MAX_AGE"] * 3 and d["trips:trips"] == [None] * 3
    # the values as Arrow, and the protobuf Feast 0.9 returns
    assert late.to_arrow().column_names == ["driver_id", "trips:trips"]
    assert late.field_values[0].statuses["trips:trips"] == 4  # OUTSIDE_MAX_AGE


def test_ingest_writes_the_batch_source_then_serves(repo):
    client, rows, tmp, _, src = repo
    job = client.start_offline_to_online_ingestion("trips", _ts(900), _ts(1800))
    expect_in = sum(1 for r in rows if _ts(900) <= r["event_timestamp"] < _ts(1800))
    assert job.summary["read"] - job.summary["out_of_window"] == expect_in
    before = len(os.listdir(src))
    df = pd.DataFrame([dict(driver=500, event_timestamp=_ts(10000), created=_ts(10000), rate=1.5, trips=3,
                            name="fresh")])
    df["event_timestamp"] = pd.to_datetime(df["event_timestamp"], utc=True)  # nanoseconds: converted to the files'
    df["created"] = pd.to_datetime(df["created"], utc=True)
    client.ingest("trips", df)
    assert len(os.listdir(src)) == before + 1
    added = pq.read_table(client.last_ingest["files"][0])
    assert added.to_pydict()["name"] == ["fresh"] and added.schema.field("event_timestamp").type == \
        pa.timestamp("us", tz="UTC")
    # the new rows are part of the batch source: historical retrieval sees them, and ingestion serves them
    hist = client.get_historical_features(["trips:name"], pd.DataFrame(
        {"driver_id": [500], "event_timestamp": [_ts(10001)]})).to_arrow()
    assert hist.column("trips__name").to_pylist() == ["fresh"]
    client.start_offline_to_online_ingestion("trips", _ts(9000), _ts(11000))
    r = client.get_online_features(["trips:name", "trips:rate"], [{"driver_id": 500}], at=_ts(10001))
    assert r.to_dict()["trips:name"] == ["fresh"] and r.to_dict()["trips:rate"] == [1.5]


def test_errors_carry_the_c_message(repo, tmp_path):
    client, rows, _, rng, src = repo
    ents = pd.DataFrame(random_entities(rng, rows, 5))
    with pytest.raises(FeastError) as e:
        client.get_historical_features(["trips:nope", "missing_table:x"], ents)
    assert e.value.code_name == "NOT_FOUND" and "nope" in e.value.message and "missing_table" in e.value.message
    with pytest.raises(FeastError) as e:
        client.get_historical_features(REFS, ents.drop(columns=["event_timestamp"]))
    assert e.value.code_name == "SCHEMA" and "event_timestamp" in e.value.message
    with pytest.raises(FeastError) as e:
        client.get_entity("ghost")
    assert "ghost" in e.value.message and "sdk_test" in e.value.message
    with pytest.raises(FeastError) as e:
        client.apply(Entity("bad name!", "", ValueType.INT64))
    assert e.value.code_name == "VALIDATION" and "bad name!" in e.value.message
    with pytest.raises(FeastError) as e:
        client.get_online_features(["trips:rate"], [{"driver_id": "not-a-number"}])
    assert "not-a-number" in e.value.message
    with pytest.raises(FeastError) as e:
        client.start_offline_to_online_ingestion("ghost_table", *WIDE)
    assert "ghost_table" in e.value.message
    with pytest.raises(FeastError) as e:  # a pushed column of the wrong type, named with both types
        client.ingest("trips", pd.DataFrame({"driver": ["x"], "event_timestamp": [_ts(1)], "created": [_ts(1)],
                                             "rate": [1.0], "trips": [1], "name": ["n"]}))
    assert e.value.code_name == "SCHEMA" and "'driver'" in e.value.message and "int64" in e.value.message
    with pytest.raises(FeastError) as e:
        Client(repo_path=str(tmp_path / "nope" / "feature_store.yaml"))
    assert "feature_store.yaml" in e.value.message
    client.close()
    with pytest.raises(FeastError):
        client.list_entities()


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
    client, rows, _, rng, _ = repo
    client.start_offline_to_online_ingestion("trips", *WIDE)
    ents = pd.DataFrame(random_entities(rng, rows, 200))
    online_rows = [{"driver_id": k} for k in range(N_KEYS)]

    def once():
        client.get_historical_features(REFS, ents)
        client.get_online_features(REFS, online_rows, at=_ts(7000))
        client.list_feature_tables()
        client.get_entity("driver_id")
        try:
            client.get_feature_table("ghost")
        except FeastError:
            pass

    for _ in range(30):  # warm up allocator pools and pyarrow caches
        once()
    client._embedded._jobs.clear()
    before = _heap_in_use_kb()
    for _ in range(300):
        once()
    client._embedded._jobs.clear()
    grown = _heap_in_use_kb() - before
    assert grown < 1024, f"the heap grew by {grown} KiB over 300 rounds"


def test_naive_timestamps_are_utc_and_progress_is_reported(repo):
    client, rows, _, rng, _ = repo
    entities = random_entities(rng, rows, 50)
    aware = pd.DataFrame(entities)
    naive = aware.copy()
    naive["event_timestamp"] = pd.to_datetime(naive["event_timestamp"], utc=True).dt.tz_localize(None)
    phases = []
    a = client.get_historical_features(REFS, aware).to_arrow()
    n = client.get_historical_features(REFS, naive, progress=lambda p, done, total: phases.append(p)).to_arrow()
    for c in REFS_OUT:
        assert a.column(c).equals(n.column(c))
    assert any(p.startswith("join trips") or p.startswith("read trips") for p in phases), phases


def test_projects_and_delete(repo):
    client, _, _, _, src = repo
    assert client.list_projects() == ["default", "sdk_test"]
    client.create_project("other")
    driver, trips = objects(src)
    client.apply([driver, trips], project="other")
    assert [t.name for t in client.list_feature_tables(project="other")] == ["trips"]
    # projects are isolated online: ingest one, the other's keys stay empty
    client.start_offline_to_online_ingestion("trips", *WIDE, project="other")
    newest = max(repo[1], key=lambda r: r["event_timestamp"])
    row, at = [{"driver_id": newest["driver"]}], newest["event_timestamp"]
    assert client.get_online_features(["trips:trips"], row, project="other", at=at).statuses["trips:trips"] == [
        "PRESENT"]
    assert client.get_online_features(["trips:trips"], row, at=at).statuses["trips:trips"] == ["NOT_FOUND"]
    client.delete_feature_table("trips", project="other")
    assert client.list_feature_tables(project="other") == []
    with pytest.raises(FeastError) as e:
        client.get_feature_table("trips", project="other")
    assert e.value.code_name == "NOT_FOUND"
    client.archive_project("other")
    assert client.list_projects() == ["default", "sdk_test"]
    client.set_project("default")
    assert client.list_feature_tables() == []


def test_proto_stream_source_with_a_descriptor_set(repo):
    """ProtoFormat's descriptor_set travels to the engine: the class path is
    resolved in it at apply (a wrong class is refused, naming it) and kept."""
    from feast import KafkaSource, ProtoFormat
    client, _, tmp, _, src = repo
    desc = tmp / "driver_trip.pb"
    subprocess.run(["protoc", "-I", os.path.join(ROOT, "tests", "data"), "-I/usr/include", "--include_imports",
                    f"--descriptor_set_out={desc}", "driver_trip.proto"], check=True)
    _, trips = objects(src)

    def with_stream(class_path):
        trips.stream_source = KafkaSource(event_timestamp_column="event_ts", bootstrap_servers="127.0.0.1:1",
                                          topic="trips", message_format=ProtoFormat(class_path, descriptor_set=desc))
        return trips

    client.apply(with_stream("feast.test.DriverTrip"))
    fmt = client.get_feature_table("trips").stream_source.kafka_options.message_format
    assert fmt.class_path == "feast.test.DriverTrip" and fmt.descriptor_set == str(desc)
    assert "descriptor" not in str(trips.to_dict()), "the descriptor set is not part of Feast 0.9's messages"
    with pytest.raises(FeastError) as e:
        client.apply(with_stream("feast.test.NoSuchTrip"))
    assert "NoSuchTrip" in e.value.message


def test_stream_job_carries_the_engine_error(repo):
    """start_stream_to_online_ingestion runs the engine's consumer on a
    thread; a table without a stream source fails, and the job says why."""
    client, _, _, _, _ = repo
    job = client.start_stream_to_online_ingestion("trips", until_caught_up=True)
    job.join(timeout=30)
    assert job.get_status().name == "FAILED"
    assert isinstance(job.get_error(), FeastError) and "trips" in job.get_error().message
    assert job in client.list_jobs(include_terminated=True, table_name="trips")
    assert job not in client.list_jobs(include_terminated=False)


def test_online_refs_of_two_tables_interleaved(repo):
    """Fields come back keyed and ordered as requested, whatever order the
    engine reads the tables in."""
    client, rows, _, _, src = repo
    _, trips = objects(src)
    other = FeatureTable("other", ["driver_id"], [Feature("name", ValueType.STRING), Feature("rate", ValueType.DOUBLE)],
                         batch_source=trips.batch_source)
    client.apply(other)
    for t in ("trips", "other"):
        client.start_offline_to_online_ingestion(t, *WIDE)
    at = max(r["event_timestamp"] for r in rows)
    ents = [{"driver_id": k} for k in range(N_KEYS)]
    refs = ["trips:rate", "other:name", "trips:name", "other:rate"]
    mixed = client.get_online_features(refs, ents, at=at).to_dict()
    assert list(mixed) == ["driver_id"] + refs
    for ref in refs:
        alone = client.get_online_features([ref], ents, at=at).to_dict()
        assert mixed[ref] == alone[ref], ref
    # both tables read the same rows: with the same max_age rule applied (other has none), names agree where found
    trips_names = client.get_online_features(["trips:name"], ents, at=at)
    for i, st in enumerate(trips_names.statuses["trips:name"]):
        if st == "PRESENT":
            assert mixed["other:name"][i] == mixed["trips:name"][i]
