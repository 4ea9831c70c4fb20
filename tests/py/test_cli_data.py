"""The data commands run as a binary against references computed another way:
`feast ingest` + `feast get-online-features` against a pandas "latest by
(event, created)" computation; `feast get-historical-features` against a DuckDB
ASOF JOIN with the same tie-breaks (and a brute-force scan for the edge cases);
`feast push` into a date-partitioned source. Data is random but seeded."""
import datetime as dt
import json
import os
import subprocess

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

FEAST = os.environ.get("FEAST_BIN", os.path.join(os.getcwd(), "build", "feast"))
US = 1_000_000
T0 = 1_618_000_000 * US  # 2021-04-09
MAX_AGE_S = 3600


def feast(*args, cwd, check=True):
    p = subprocess.run([FEAST, *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    if check and p.returncode != 0:
        raise AssertionError(f"feast {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def ts(values):
    return pa.array(values, pa.timestamp("us", tz="UTC"))


SPECS = """spec: {{name: driver_id, valueType: INT64}}
---
spec: {{name: customer_id, valueType: STRING}}
---
spec:
  name: drv
  entities: [driver_id]
  features:
    - {{name: conv, valueType: DOUBLE}}
    - {{name: trips, valueType: INT64}}
    - {{name: rating, valueType: FLOAT}}
  maxAge: {max_age}s
  batchSource:
    eventTimestampColumn: event_ts
    createdTimestampColumn: created_ts
    fieldMapping: {{rating: driver_rating}}
    fileOptions: {{fileFormat: {{parquetFormat: {{}}}}, fileUrl: "{base}/drv/"}}
---
spec:
  name: pair
  entities: [driver_id, customer_id]
  features:
    - {{name: amount, valueType: DOUBLE}}
  batchSource:
    eventTimestampColumn: event_ts
    datePartitionColumn: date
    fileOptions: {{fileFormat: {{parquetFormat: {{}}}}, fileUrl: "{base}/pair/"}}
"""


def make_drv(rng, n, keys):
    key = rng.integers(0, keys, n).astype(object)
    ev = T0 + rng.integers(0, 6 * 3600, n) * US + rng.integers(0, US, n)
    tie = np.arange(0, n - 1, 7)  # ties on (key, event time): created decides
    key[tie], ev[tie] = key[tie + 1], ev[tie + 1]
    cr = ev + rng.permutation(n) * US  # distinct: a full (event, created) tie has no SQL-reference answer
    key[rng.random(n) < 0.01] = None
    conv = pa.array(rng.random(n), mask=rng.random(n) < 0.05)
    return pd.DataFrame({"driver_id": pd.array(key, dtype="Int64"), "event_ts": pd.to_datetime(ev, unit="us", utc=True),
                         "created_ts": pd.to_datetime(cr, unit="us", utc=True),
                         "conv": conv.to_pandas(), "trips": rng.integers(0, 1000, n),
                         "driver_rating": rng.random(n).astype(np.float32)})


def write_drv(df, root, parts=3):
    os.makedirs(root / "drv", exist_ok=True)
    t = pa.Table.from_pandas(df, preserve_index=False)
    t = t.cast(pa.schema([("driver_id", pa.int64()), ("event_ts", pa.timestamp("us", tz="UTC")),
                          ("created_ts", pa.timestamp("us", tz="UTC")), ("conv", pa.float64()),
                          ("trips", pa.int64()), ("driver_rating", pa.float32())]))
    n = t.num_rows
    for i in range(parts):
        pq.write_table(t.slice(i * n // parts, (i + 1) * n // parts - i * n // parts), root / "drv" / f"part-{i}.parquet",
                       compression=["snappy", "zstd", "gzip"][i % 3], row_group_size=500)


def make_pair(rng, n, keys, root):
    # distinct (driver, customer, event) so the missing created column never needs a tie-break
    ev = T0 + rng.permutation(6 * 3600)[:n] * US
    df = pd.DataFrame({"driver_id": rng.integers(0, keys, n), "customer_id": [f"c{v}" for v in rng.integers(0, 5, n)],
                       "event_ts": pd.to_datetime(ev, unit="us", utc=True), "amount": rng.random(n)})
    for day, g in df.groupby(df.event_ts.dt.strftime("%Y-%m-%d")):
        d = root / "pair" / f"date={day}"
        os.makedirs(d, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(g.reset_index(drop=True), preserve_index=False), d / "part-0.parquet")
    return df


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(5)
    drv = make_drv(rng, 3000, 200)
    write_drv(drv, root)
    pair = make_pair(rng, 2000, 50, root)
    (root / "feature_store.yaml").write_text("project: default\nregistry: registry.db\n"
                                             "online_store: {type: lmdb, path: online}\n")
    (root / "specs.yaml").write_text(SPECS.format(base=f"file://{root}", max_age=MAX_AGE_S))
    feast("apply", cwd=root)
    return root, drv, pair


def latest(df, keys):
    d = df.dropna(subset=keys + ["event_ts"]).sort_values(["event_ts", "created_ts"], kind="stable")
    return d.groupby(keys).tail(1)  # not .last(): that skips nulls, and a winning row's null stays null


def online_json(root, refs, rows, at):
    args = ["get-online-features", "-f", refs, "-o", "json", "--at", at]
    for r in rows:
        args += ["-e", r]
    return json.loads(feast(*args, cwd=root).stdout)


def test_ingest_then_online_read_matches_latest_rows(repo):
    root, drv, _ = repo
    out = feast("ingest", "drv", "--dead-letter", str(root / "rejected.parquet"), cwd=root).stdout
    nulls = int(drv.driver_id.isna().sum())
    assert f"{nulls} rejected" in out
    dead = pq.read_table(root / "rejected.parquet").to_pandas()
    assert len(dead) == nulls and dead.driver_id.isna().all()
    assert dead.reason.str.contains("driver_id").all()
    ref = latest(drv, ["driver_id"]).set_index("driver_id")
    at_us = T0 + 5 * 3600 * US
    at = dt.datetime.fromtimestamp(at_us / US, dt.timezone.utc).isoformat()
    keys = list(range(0, 205))  # includes keys with no rows at all
    doc = online_json(root, "drv:conv,drv:trips,drv:rating", [f"driver_id={k}" for k in keys], at)
    assert doc["metadata"]["feature_names"] == ["driver_id", "drv__conv", "drv__trips", "drv__rating"]
    conv, trips, rating = doc["results"][1], doc["results"][2], doc["results"][3]
    for i, k in enumerate(keys):
        if k not in ref.index:
            assert conv["statuses"][i] == "NOT_FOUND"
            continue
        row = ref.loc[k]
        ev_us = int(row.event_ts.value // 1000)
        if at_us - ev_us > MAX_AGE_S * US:
            assert trips["statuses"][i] == "OUTSIDE_MAX_AGE", k
            continue
        assert trips["statuses"][i] == "PRESENT" and trips["values"][i] == int(row.trips)
        assert rating["values"][i] == pytest.approx(float(row.driver_rating), rel=1e-6)
        if pd.isna(row.conv):
            assert conv["statuses"][i] == "NULL_VALUE"
        else:
            assert conv["values"][i] == row.conv
        assert trips["event_timestamps"][i].startswith(row.event_ts.strftime("%Y-%m-%dT%H:%M:%S"))


def test_ingest_is_idempotent_and_never_goes_back_in_time(repo):
    root, drv, _ = repo
    out = feast("ingest", "drv", cwd=root).stdout
    assert " 0 written" in out  # everything stored is already as new
    # An older window re-ingested later never overwrites newer values.
    out = feast("jobs", "sync-offline-to-online", "-t", "drv", "-s", "2021-04-09T20:00:00Z",
                "-e", "2021-04-09T21:00:00Z", cwd=root).stdout
    assert " 0 written" in out and "outside the window" in out


def test_window_ingest_matches_windowed_reference(tmp_path, repo):
    root, drv, _ = repo
    # A fresh online store for the same registry.
    (root / "feature_store2.yaml").write_text("project: default\nregistry: registry.db\n"
                                              "online_store: {type: lmdb, path: online2}\n")
    start, end = T0 + 3600 * US, T0 + 2 * 3600 * US
    iso = lambda us: dt.datetime.fromtimestamp(us / US, dt.timezone.utc).isoformat()
    feast("--config", str(root / "feature_store2.yaml"), "ingest", "drv", "--start", iso(start), "--end", iso(end), cwd=root)
    ev_us = (drv.event_ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1)
    ref = latest(drv[(ev_us >= start) & (ev_us < end)], ["driver_id"]).set_index("driver_id")
    keys = list(range(200))
    args = ["--config", str(root / "feature_store2.yaml"), "get-online-features", "-f", "drv:trips", "-o", "json",
            "--at", iso(end)]
    for k in keys:
        args += ["-e", f"driver_id={k}"]
    doc = json.loads(feast(*args, cwd=root).stdout)
    for i, k in enumerate(keys):
        st = doc["results"][1]["statuses"][i]
        if k in ref.index:
            assert st in ("PRESENT", "OUTSIDE_MAX_AGE") and (st != "PRESENT" or doc["results"][1]["values"][i] == ref.loc[k].trips)
        else:
            assert st == "NOT_FOUND"


def duckdb_reference(entities, root, drv_max_age_s):
    con = duckdb.connect()
    con.register("ent", entities)
    return con.execute(f"""
      WITH e AS (SELECT *, row_number() OVER () AS _row FROM ent),
      drv AS (SELECT driver_id, event_ts, conv, trips, driver_rating FROM read_parquet('{root}/drv/*.parquet')
              QUALIFY row_number() OVER (PARTITION BY driver_id, event_ts ORDER BY created_ts DESC) = 1),
      pair AS (SELECT driver_id, customer_id, event_ts, amount FROM read_parquet('{root}/pair/*/*.parquet'))
      SELECT e._row,
        CASE WHEN drv.event_ts >= e.event_timestamp - INTERVAL {drv_max_age_s} SECOND THEN drv.conv END AS drv__conv,
        CASE WHEN drv.event_ts >= e.event_timestamp - INTERVAL {drv_max_age_s} SECOND THEN drv.trips END AS drv__trips,
        CASE WHEN drv.event_ts >= e.event_timestamp - INTERVAL {drv_max_age_s} SECOND THEN drv.driver_rating END AS drv__rating,
        pair.amount AS pair__amount
      FROM e
      ASOF LEFT JOIN drv ON e.driver_id = drv.driver_id AND e.event_timestamp >= drv.event_ts
      ASOF LEFT JOIN pair ON e.driver_id = pair.driver_id AND e.customer_id = pair.customer_id
                         AND e.event_timestamp >= pair.event_ts
      ORDER BY e._row""").df()


def entity_rows(rng, drv, n):
    base = drv.dropna(subset=["driver_id"]).sample(n // 2, random_state=1, replace=True)
    # exactly at the max_age edge, and one microsecond past it
    edge = base.event_ts.iloc[: n // 10] + pd.Timedelta(seconds=MAX_AGE_S)
    past = base.event_ts.iloc[n // 10: n // 5] + pd.Timedelta(seconds=MAX_AGE_S, microseconds=1)
    rand = pd.to_datetime(T0 + rng.integers(0, 8 * 3600 * US, n - 2 * (n // 10)), unit="us", utc=True)
    times = pd.concat([edge, past, pd.Series(rand)], ignore_index=True)
    keys = pd.concat([base.driver_id.iloc[: 2 * (n // 10)], pd.Series(rng.integers(0, 210, len(rand)))],
                     ignore_index=True).astype("Int64")
    keys[rng.random(len(keys)) < 0.02] = pd.NA  # null keys match nothing
    df = pd.DataFrame({"driver_id": keys, "customer_id": [f"c{v}" for v in rng.integers(0, 6, len(keys))],
                       "event_timestamp": times, "label": rng.integers(0, 2, len(keys))})
    return pd.concat([df, df.iloc[:25]], ignore_index=True)  # duplicate entity rows stay


@pytest.mark.parametrize("memory_limit", [None, "1K"])
def test_historical_matches_duckdb(repo, memory_limit):
    root, drv, _ = repo
    rng = np.random.default_rng(9)
    ents = entity_rows(rng, drv, 2000)
    ent_table = pa.Table.from_pandas(ents, preserve_index=False)
    pq.write_table(ent_table, root / "entities.parquet")
    args = ["get-historical-features", "-f", "drv:conv,drv:trips,drv:rating", "-f", "pair:amount",
            "-e", str(root / "entities.parquet"), "-o", str(root / "train.parquet")]
    if memory_limit:
        args += ["--memory-limit", memory_limit]
    out = feast(*args, cwd=root).stdout
    if memory_limit:
        assert "spilled" in out
    got = pq.read_table(root / "train.parquet")
    assert got.schema.names == ["driver_id", "customer_id", "event_timestamp", "label", "drv__conv", "drv__trips",
                                "drv__rating", "pair__amount"]
    assert got.schema.field("drv__trips").type == pa.int64()
    assert got.schema.field("drv__rating").type == pa.float32()
    # Parquet has one string type: pandas' large_string comes back as string
    assert got.select(["driver_id", "customer_id", "event_timestamp", "label"]).equals(
        ent_table.cast(got.select(["driver_id", "customer_id", "event_timestamp", "label"]).schema))
    ref = duckdb_reference(ent_table, root, MAX_AGE_S)
    g = got.to_pandas()
    for col in ["drv__conv", "drv__trips", "drv__rating", "pair__amount"]:
        a, b = g[col], ref[col]
        same = (a.isna() & b.isna()) | (a == b)
        assert same.all(), f"{col}: {(~same).sum()} rows differ, first at {np.flatnonzero(~same)[:5]}"
    # the edge rows: exactly max_age old is in, one microsecond more is out
    edge, past = g.iloc[:200], g.iloc[200:400]
    assert edge.drv__trips[edge.driver_id.notna()].notna().all()
    assert past.drv__trips[past.driver_id.notna()].isna().sum() > 0


def test_historical_reports_every_problem_at_once(repo):
    root, _, _ = repo
    pq.write_table(pa.table({"driver": [1], "event_timestamp": ts([T0])}), root / "bad_entities.parquet")
    p = feast("get-historical-features", "-f", "drv:conv,drv:nope", "-f", "ghost:x", "-e",
              str(root / "bad_entities.parquet"), "-o", str(root / "x.parquet"), cwd=root, check=False)
    assert p.returncode != 0
    for needle in ["nope", "ghost", "driver_id"]:
        assert needle in p.stderr
    assert not (root / "x.parquet").exists()


def test_push_offline_lands_in_the_date_partition_and_online(repo):
    root, _, _ = repo
    (root / "push.csv").write_text("driver_id,customer_id,event_ts,amount\n"
                                   "7,c1,2021-04-20T10:00:00Z,42.5\n7,c1,2021-04-21T11:00:00Z,43.5\n")
    out = feast("push", "pair", str(root / "push.csv"), cwd=root).stdout
    assert "date=2021-04-20" in out and "date=2021-04-21" in out
    files = sorted(p for p in (root / "pair").rglob("*.parquet") if "2021-04-2" in str(p))
    assert len(files) == 2
    assert pq.read_table(files[0]).column("amount").to_pylist() == [42.5]
    doc = online_json(root, "pair:amount", ["driver_id=7,customer_id=c1"], "2021-04-21T12:00:00Z")
    assert doc["results"][2]["values"] == [43.5] and doc["results"][2]["statuses"] == ["PRESENT"]
    # the pushed rows are part of the offline source now
    pq.write_table(pa.table({"driver_id": [7], "customer_id": ["c1"], "event_timestamp": ts([T0 + 12 * 86400 * US])}),
                   root / "e2.parquet")
    feast("get-historical-features", "-f", "pair:amount", "-e", str(root / "e2.parquet"), "-o", str(root / "t2.parquet"),
          cwd=root)
    assert pq.read_table(root / "t2.parquet").column("pair__amount").to_pylist() == [43.5]


def test_push_refuses_rows_that_do_not_match_the_source(repo):
    root, _, _ = repo
    before = sorted(str(p) for p in (root / "drv").rglob("*.parquet"))
    (root / "bad.csv").write_text("driver_id,event_ts,created_ts,conv,trips\n1,2021-04-20T10:00:00Z,"
                                  "2021-04-20T10:00:00Z,0.5,3\n")
    p = feast("push", "drv", str(root / "bad.csv"), "--to", "offline", cwd=root, check=False)
    assert p.returncode != 0 and "driver_rating" in p.stderr
    pq.write_table(pa.table({"driver_id": pa.array([1], pa.int32()), "event_ts": ts([T0]), "created_ts": ts([T0]),
                             "conv": [0.5], "trips": [3], "driver_rating": pa.array([1.0], pa.float32())}),
                   root / "bad.parquet")
    p = feast("push", "drv", str(root / "bad.parquet"), "--to", "offline", cwd=root, check=False)
    assert p.returncode != 0 and "driver_id' is int32" in p.stderr
    assert sorted(str(p) for p in (root / "drv").rglob("*.parquet")) == before
