"""BigQuery sources against goccy's bigquery-emulator (tests/py/bqemu.py): the
same randomized point-in-time case loaded into the emulator (by
google-cloud-bigquery, an independent client) and into Parquet gives identical
rows pushed down into BigQuery, pulled and joined here, joined from the
Parquet copy, and computed by DuckDB; ingestion from BigQuery equals ingestion
from the Parquet copy key by key on LMDB and Redis; entity rows and results in
BigQuery (bq://); push to offline; and the failures (schema mismatch at apply,
a missing table, a failing job) are clear errors."""
import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bqemu import Emulator

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))
FEAST = os.environ.get("FEAST_BIN", str(ROOT / "build" / "feast"))
US = 1_000_000
T0 = 1_618_000_000 * US
MAX_AGE_S = 3600
N_DRV, N_PAIR, N_ENT = 2000, 800, 600

SCHEMA_DRV = [("driver_id", "INTEGER", "NULLABLE"), ("event_ts", "TIMESTAMP", "NULLABLE"),
              ("created_ts", "TIMESTAMP", "NULLABLE"), ("conv", "FLOAT", "NULLABLE"), ("trips", "INTEGER", "NULLABLE"),
              ("label", "STRING", "NULLABLE"), ("ok", "BOOLEAN", "NULLABLE")]
SCHEMA_PAIR = [("driver_id", "INTEGER", "NULLABLE"), ("customer_id", "STRING", "NULLABLE"),
               ("event_ts", "TIMESTAMP", "NULLABLE"), ("amount", "FLOAT", "NULLABLE")]


def feast(*args, cwd, check=True, env=None):
    p = subprocess.run([FEAST, *args], cwd=cwd, capture_output=True, text=True, timeout=900,
                       env={**os.environ, **(env or {})})
    if check and p.returncode != 0:
        raise AssertionError(f"feast {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def ts(values):
    return pa.array(values, pa.timestamp("us", tz="UTC"))


def feature_rows(rng):
    """Rows with ties on event time broken by created time (a null created time loses), null keys,
    null event times and null features. No two rows of a key share both times: a BigQuery table has
    no order, so the local engine's last tie-break (source order) has no SQL equivalent."""
    keys = rng.integers(0, 200, N_DRV).astype(object)
    ev = T0 + rng.integers(0, 8 * 3600, N_DRV) * US
    cr = ev + rng.integers(0, 600, N_DRV) * US
    # ties: the next row copies this one's key and event time, with a later (or null) created time
    for i in range(0, N_DRV - 1, 17):
        keys[i + 1], ev[i + 1], cr[i + 1] = keys[i], ev[i], cr[i] + 5 * US
    created = pd.array(cr, dtype="Int64")
    for i in range(3, N_DRV - 1, 53):  # a null created time against a real one at the same event time
        keys[i + 1], ev[i + 1] = keys[i], ev[i]
        created[i + 1] = pd.NA
    keys[rng.random(N_DRV) < 0.01] = None
    event = pd.array(ev, dtype="Int64")
    event[rng.random(N_DRV) < 0.005] = pd.NA
    df = pd.DataFrame({"driver_id": pd.array(keys, dtype="Int64"), "event_us": event, "created_us": created,
                       "conv": np.where(rng.random(N_DRV) < 0.05, np.nan, rng.random(N_DRV)),
                       "trips": pd.array(rng.integers(0, 1000, N_DRV), dtype="Int64"),
                       "label": [f"l{v}" for v in rng.integers(0, 50, N_DRV)], "ok": rng.random(N_DRV) < 0.5})
    df = df.drop_duplicates(subset=["driver_id", "event_us", "created_us"], keep="first")
    return df


def drv_table(df):
    return pa.table({"driver_id": pa.array(df.driver_id, pa.int64()), "event_ts": ts(df.event_us),
                     "created_ts": ts(df.created_us), "conv": pa.array(df.conv, pa.float64()),
                     "trips": pa.array(df.trips, pa.int64()), "label": pa.array(df.label, pa.string()),
                     "ok": pa.array(df.ok, pa.bool_())})


def pair_table(rng):
    ev = T0 + rng.integers(0, 8 * 3600, N_PAIR) * US
    return pa.table({"driver_id": pa.array(rng.integers(0, 200, N_PAIR), pa.int64()),
                     "customer_id": pa.array([f"c{v}" for v in rng.integers(0, 6, N_PAIR)], pa.string()),
                     "event_ts": ts(ev + np.arange(N_PAIR)),  # unique per row
                     "amount": pa.array(rng.random(N_PAIR), pa.float64())})


def entity_rows(rng, drv):
    have = drv.dropna(subset=["driver_id", "event_us"])
    base = have.sample(N_ENT // 2, random_state=3, replace=True)
    n10 = N_ENT // 10
    edge = base.event_us.iloc[:n10].to_numpy(dtype=np.int64) + MAX_AGE_S * US  # exactly max_age old: in
    past = base.event_us.iloc[n10: 2 * n10].to_numpy(dtype=np.int64) + MAX_AGE_S * US + 1  # one us more: out
    rand = T0 + rng.integers(0, 9 * 3600 * US, N_ENT - 2 * n10)
    times = pd.array(np.concatenate([edge, past, rand]), dtype="Int64")
    times[rng.random(len(times)) < 0.01] = pd.NA  # a null entity time matches nothing
    keys = pd.array(np.concatenate([base.driver_id.iloc[:2 * n10].to_numpy(dtype=np.int64),
                                    rng.integers(0, 210, len(rand))]), dtype="Int64")
    keys[rng.random(len(keys)) < 0.02] = pd.NA  # a null key matches nothing
    df = pd.DataFrame({"driver_id": keys, "customer_id": [f"c{v}" for v in rng.integers(0, 6, len(keys))],
                       "event_us": times, "y": rng.integers(0, 2, len(keys))})
    df = pd.concat([df, df.iloc[:40]], ignore_index=True)  # duplicate entity rows stay
    return pa.table({"driver_id": pa.array(df.driver_id, pa.int64()), "customer_id": pa.array(df.customer_id),
                     "event_timestamp": ts(df.event_us), "y": pa.array(df.y, pa.int64())})


def spec(name, features, source, max_age=True, entities="[driver_id]"):
    feats = "\n".join(f"    - {{name: {f}, valueType: {t}}}" for f, t in features)
    return (f"spec:\n  name: {name}\n  entities: {entities}\n  features:\n{feats}\n"
            + (f"  maxAge: {MAX_AGE_S}s\n" if max_age else "") + f"  batchSource:\n{source}")


DRV_FEATURES = [("conv", "DOUBLE"), ("trips", "INT64"), ("label", "STRING"), ("ok", "BOOL")]


def write_repo(root, emu, online="online_store: {type: lmdb, path: online}\n"):
    (root / "feature_store.yaml").write_text(
        f"project: bqtest\nregistry: registry.db\n{online}"
        f"bigquery:\n  project: {emu.project}\n  endpoint: http://{emu.rest}\n  storage_endpoint: {emu.grpc}\n")
    ts_cols = "    eventTimestampColumn: event_ts\n"
    created = "    createdTimestampColumn: created_ts\n"
    docs = ["spec: {name: driver_id, valueType: INT64}", "spec: {name: customer_id, valueType: STRING}",
            spec("drv", DRV_FEATURES, ts_cols + created + f"    bigqueryOptions: {{tableRef: \"{emu.project}:feast.drv\"}}\n"),
            spec("drv_pq", DRV_FEATURES, ts_cols + created +
                 f"    fileOptions: {{fileFormat: {{parquetFormat: {{}}}}, fileUrl: \"file://{root}/drv/\"}}\n"),
            # the same rows with no max_age: Redis keys expire max_age after their event time, and these are from 2021
            spec("drv_na", DRV_FEATURES, ts_cols + created + f"    bigqueryOptions: {{tableRef: \"{emu.project}:feast.drv\"}}\n",
                 max_age=False),
            spec("drv_na_pq", DRV_FEATURES, ts_cols + created +
                 f"    fileOptions: {{fileFormat: {{parquetFormat: {{}}}}, fileUrl: \"file://{root}/drv/\"}}\n", max_age=False),
            spec("pair", [("amount", "DOUBLE")], ts_cols + f"    bigqueryOptions: {{tableRef: \"{emu.project}.feast.pair\"}}\n",
                 max_age=False, entities="[driver_id, customer_id]"),
            spec("pair_pq", [("amount", "DOUBLE")], ts_cols +
                 f"    fileOptions: {{fileFormat: {{parquetFormat: {{}}}}, fileUrl: \"file://{root}/pair/\"}}\n",
                 max_age=False, entities="[driver_id, customer_id]")]
    (root / "specs.yaml").write_text("\n---\n".join(docs) + "\n")


@pytest.fixture(scope="module")
def emu():
    e = Emulator()
    yield e
    e.stop()


@pytest.fixture(scope="module")
def repo(tmp_path_factory, emu):
    root = tmp_path_factory.mktemp("bqrepo")
    rng = np.random.default_rng(12)
    drv = feature_rows(rng)
    (root / "drv").mkdir()
    (root / "pair").mkdir()
    pq.write_table(drv_table(drv), root / "drv" / "part-0.parquet")
    pair = pair_table(rng)
    pq.write_table(pair, root / "pair" / "part-0.parquet")
    emu.load_parquet("drv", root / "drv" / "part-0.parquet", SCHEMA_DRV)
    emu.load_parquet("pair", root / "pair" / "part-0.parquet", SCHEMA_PAIR)
    ents = entity_rows(rng, drv)
    pq.write_table(ents, root / "entities.parquet")
    write_repo(root, emu)
    feast("apply", cwd=root)
    return root, drv, ents


def duckdb_reference(root, ents):
    """ASOF JOIN after keeping the latest created time per (key, event time), max_age applied after."""
    con = duckdb.connect()
    con.register("ent", ents)
    return con.execute(f"""
      WITH e AS (SELECT *, row_number() OVER () AS _row FROM ent),
      drv AS (SELECT * FROM read_parquet('{root}/drv/*.parquet') WHERE event_ts IS NOT NULL
              QUALIFY row_number() OVER (PARTITION BY driver_id, event_ts ORDER BY created_ts DESC NULLS LAST) = 1),
      pair AS (SELECT * FROM read_parquet('{root}/pair/*.parquet'))
      SELECT e._row,
        CASE WHEN drv.event_ts >= e.event_timestamp - INTERVAL {MAX_AGE_S} SECOND THEN drv.conv END AS conv,
        CASE WHEN drv.event_ts >= e.event_timestamp - INTERVAL {MAX_AGE_S} SECOND THEN drv.trips END AS trips,
        CASE WHEN drv.event_ts >= e.event_timestamp - INTERVAL {MAX_AGE_S} SECOND THEN drv.label END AS label,
        CASE WHEN drv.event_ts >= e.event_timestamp - INTERVAL {MAX_AGE_S} SECOND THEN drv.ok END AS ok,
        pair.amount AS amount
      FROM e
      ASOF LEFT JOIN drv ON e.driver_id = drv.driver_id AND e.event_timestamp >= drv.event_ts
      ASOF LEFT JOIN pair ON e.driver_id = pair.driver_id AND e.customer_id = pair.customer_id
                         AND e.event_timestamp >= pair.event_ts
      ORDER BY e._row""").df()


def historical(root, tables, out, *extra):
    refs = ",".join(f"{tables[0]}:{f}" for f, _ in DRV_FEATURES) + f",{tables[1]}:amount"
    p = feast("get-historical-features", "-f", refs, "-e", str(root / "entities.parquet"), "-o", str(out), *extra,
              cwd=root)
    return pq.read_table(out), p


def plain(t, prefix_from):
    """Feature columns renamed from drv_pq__x / drv__x to x, so tables of both runs compare."""
    names = [n.split("__", 1)[1] if "__" in n else n for n in t.schema.names]
    return t.rename_columns(names)


def test_pushdown_pull_parquet_and_duckdb_agree(repo):
    root, _, ents = repo
    push, p1 = historical(root, ["drv", "pair"], root / "push.parquet", "--pushdown", "always")
    assert "plan pushdown" in p1.stderr
    pull, p2 = historical(root, ["drv", "pair"], root / "pull.parquet", "--pushdown", "never")
    assert "plan pull" in p2.stderr
    local, _ = historical(root, ["drv_pq", "pair_pq"], root / "local.parquet")
    assert push.schema.names == ["driver_id", "customer_id", "event_timestamp", "y", "drv__conv", "drv__trips",
                                 "drv__label", "drv__ok", "pair__amount"]
    assert push.schema.field("drv__trips").type == pa.int64() and push.schema.field("drv__ok").type == pa.bool_()
    # entity rows never dropped, duplicated or reordered
    assert push.select(ents.schema.names).equals(ents.cast(push.select(ents.schema.names).schema))
    assert plain(push, "drv").equals(plain(pull, "drv"))
    assert plain(push, "drv").equals(plain(local, "drv_pq"))
    ref = duckdb_reference(root, ents)
    g = plain(push, "drv").to_pandas()
    for col in ["conv", "trips", "label", "ok", "amount"]:
        a, b = g[col], ref[col]
        same = (a.isna() & b.isna()) | (a == b)
        assert same.all(), f"{col}: {(~same).sum()} rows differ, first at {np.flatnonzero(~same)[:5]}"
    n10 = N_ENT // 10
    edge, past = g.iloc[:n10], g.iloc[n10: 2 * n10]
    has = edge.driver_id.notna() & ents.column("event_timestamp").to_pandas().iloc[:n10].notna()
    assert edge.trips[has].notna().all()  # exactly max_age old: in
    assert past.trips[past.driver_id.notna()].isna().sum() > 0  # one microsecond more: out
    assert g.trips.notna().sum() > N_ENT // 5  # the case is not trivially empty


def test_auto_planner_reports_its_choice(repo):
    root, _, _ = repo
    _, p = historical(root, ["drv", "pair"], root / "auto.parquet")
    assert "bigquery: plan pull" in p.stderr and "source rows in BigQuery" in p.stderr, p.stderr


def test_mixed_request_splits_and_agrees(repo):
    root, _, _ = repo
    mixed, p = historical(root, ["drv", "pair_pq"], root / "mixed.parquet", "--pushdown", "always")
    assert "plan mixed" in p.stderr
    local, _ = historical(root, ["drv_pq", "pair_pq"], root / "local2.parquet")
    assert plain(mixed, "drv").equals(plain(local, "drv_pq"))


def test_entities_and_result_in_bigquery(repo, emu):
    root, _, ents = repo
    refs = ",".join(f"drv:{f}" for f, _ in DRV_FEATURES) + ",pair:amount"
    feast("get-historical-features", "-f", refs, "-e", str(root / "entities.parquet"), "-o",
          f"bq://{emu.project}.feast.training", "--pushdown", "always", cwd=root)
    n = emu.query("SELECT COUNT(*), COUNT(DISTINCT feast_row__), MIN(feast_row__), MAX(feast_row__) FROM feast.training")
    assert n == [[str(len(ents)), str(len(ents)), "0", str(len(ents) - 1)]]
    # those rows as entity rows in BigQuery: joined in place, or pulled and joined here
    emu.query("CREATE OR REPLACE TABLE feast.ents AS SELECT feast_row__, driver_id, customer_id, event_timestamp, y "
              "FROM feast.training")
    out = {}
    for mode in ["always", "never"]:
        p = feast("get-historical-features", "-f", refs, "-e", f"bq://{emu.project}.feast.ents", "-o",
                  str(root / f"bqents_{mode}.parquet"), "--pushdown", mode, cwd=root)
        out[mode] = pq.read_table(root / f"bqents_{mode}.parquet").to_pandas().sort_values("feast_row__")
    local, _ = historical(root, ["drv_pq", "pair_pq"], root / "local3.parquet")
    want = plain(local, "").to_pandas()
    for mode, got in out.items():
        got = got.reset_index(drop=True)
        got.columns = [c.split("__", 1)[1] if c.count("__") == 1 and not c.startswith("feast_row") else c
                       for c in got.columns]
        for col in ["conv", "trips", "label", "ok", "amount"]:
            a, b = got[col], want[col]
            same = (a.isna() & b.isna()) | (a == b)
            assert same.all(), f"{mode} {col}: {(~same).sum()} rows differ"


@pytest.mark.parametrize("store", ["lmdb", "redis"])
def test_ingestion_from_bigquery_equals_parquet(tmp_path, repo, emu, store):
    root, _, _ = repo
    port = None
    online = "online_store: {type: lmdb, path: online_ingest}\n"
    if store == "redis":
        port = subprocess.run(["bash", str(ROOT / "scripts" / "start-redis.sh")], capture_output=True, text=True,
                              timeout=60, check=True).stdout.strip()
        online = f"online_store: {{type: redis, connection_string: \"127.0.0.1:{port}\"}}\n"
    try:
        cfg = root / f"feature_store_{store}.yaml"
        text = (root / "feature_store.yaml").read_text().replace("online_store: {type: lmdb, path: online}\n", online)
        cfg.write_text(text)
        a = feast("--config", str(cfg), "ingest", "drv_na", cwd=root).stdout
        b = feast("--config", str(cfg), "ingest", "drv_na_pq", cwd=root).stdout
        num = lambda s, w: int(s.split(f" {w}")[0].split()[-1])
        assert num(a, "written") == num(b, "written") > 100 and num(a, "rows read") == num(b, "rows read")
        keys = list(range(0, 205))  # with keys that have no rows
        rows = sum((["-e", f"driver_id={k}"] for k in keys), [])
        da, db = (json.loads(feast("--config", str(cfg), "get-online-features", "-f",
                                   ",".join(f"{t}:{f}" for f, _ in DRV_FEATURES), "-o", "json", "--at",
                                   "2021-04-10T00:00:00Z", *rows, cwd=root).stdout) for t in ["drv_na", "drv_na_pq"])
        assert da["results"][0] == db["results"][0]
        for ra, rb in zip(da["results"][1:], db["results"][1:]):
            assert ra["values"] == rb["values"] and ra["statuses"] == rb["statuses"]
            assert ra.get("event_timestamps") == rb.get("event_timestamps")
        present = sum(s == "PRESENT" for r in da["results"][1:] for s in r["statuses"])
        assert present > 100, (present, da["results"][1]["statuses"][:20])
        # a window pushed into the read: the same rows either way
        w = ["--start", "2021-04-09T22:00:00Z", "--end", "2021-04-10T01:00:00Z"]
        a = feast("--config", str(cfg), "ingest", "drv_na", *w, cwd=root).stdout
        b = feast("--config", str(cfg), "ingest", "drv_na_pq", *w, cwd=root).stdout
        assert num(a, "written") == num(b, "written")
        assert num(a, "rows read") < N_DRV  # the row restriction kept the rest in BigQuery
    finally:
        if port:
            subprocess.run(["bash", str(ROOT / "scripts" / "stop-redis.sh"), port], timeout=60)


def test_push_to_offline_appends_to_the_table(tmp_path, repo, emu):
    root, _, _ = repo
    emu.query("CREATE OR REPLACE TABLE feast.drv_push AS SELECT * FROM feast.drv LIMIT 0")
    (root / "push_specs.yaml").write_text(spec("drv_push", DRV_FEATURES,
        "    eventTimestampColumn: event_ts\n    createdTimestampColumn: created_ts\n"
        f"    bigqueryOptions: {{tableRef: \"{emu.project}:feast.drv_push\"}}\n"))
    feast("apply", "-f", str(root / "push_specs.yaml"), cwd=root)
    rows = pa.table({"driver_id": pa.array([9001, 9002], pa.int64()), "event_ts": ts([T0, T0 + US]),
                     "created_ts": ts([T0, T0]), "conv": [0.5, None], "trips": pa.array([1, 2], pa.int64()),
                     "label": ["a", "b"], "ok": [True, False]})
    pq.write_table(rows, tmp_path / "push.parquet")
    out = feast("push", "drv_push", str(tmp_path / "push.parquet"), "--to", "offline", cwd=root).stdout
    assert f"offline: {emu.project}:feast.drv_push (2 rows)" in out
    assert emu.query("SELECT driver_id, conv, label FROM feast.drv_push ORDER BY driver_id") == [
        ["9001", "0.5", "a"], ["9002", None, "b"]]
    bad = pa.table({"driver_id": ["x"], "event_ts": ts([T0])})
    pq.write_table(bad, tmp_path / "bad.parquet")
    p = feast("push", "drv_push", str(tmp_path / "bad.parquet"), "--to", "offline", cwd=root, check=False)
    assert p.returncode != 0 and "driver_id" in p.stderr and "nothing was loaded" in p.stderr
    assert len(emu.query("SELECT * FROM feast.drv_push")) == 2


def test_apply_refuses_mismatches_and_missing_tables(tmp_path, repo, emu):
    root, _, _ = repo
    (tmp_path / "bad.yaml").write_text("\n---\n".join([
        spec("bad_types", [("conv", "STRING"), ("nope", "INT64")],
             "    eventTimestampColumn: label\n" f"    bigqueryOptions: {{tableRef: \"{emu.project}:feast.drv\"}}\n"),
        spec("bad_missing", [("conv", "DOUBLE")],
             "    eventTimestampColumn: event_ts\n" f"    bigqueryOptions: {{tableRef: \"{emu.project}:feast.nosuch\"}}\n"),
    ]) + "\n")
    p = feast("apply", "-f", str(tmp_path / "bad.yaml"), cwd=root, check=False)
    assert p.returncode != 0
    err = p.stderr
    assert "column 'conv' (feature conv): expected string for STRING, found double" in err
    assert "column 'nope' (feature nope): not in the columns of" in err
    assert "column 'label' (event timestamp" in err and "found string" in err
    assert "BigQuery table feasttest.feast.nosuch does not exist" in err and "--skip-source-check" in err
    # nothing of a refused apply is registered
    q = feast("feature-tables", "list", cwd=root).stdout
    assert "bad_types" not in q and "bad_missing" not in q


def test_failing_job_and_query_sources(tmp_path, repo, emu):
    root, _, _ = repo
    good = "SELECT driver_id, event_ts, conv * 2 AS conv2 FROM feast.drv"
    bad = "SELECT driver_id, event_ts, conv AS conv2 FROM feast.drv WHERE ERROR('boom from the source query') IS NULL"
    docs = [spec("q_good", [("conv2", "DOUBLE")], f"    eventTimestampColumn: event_ts\n    bigqueryOptions: {{query: \"{good}\"}}\n"),
            spec("q_bad", [("conv2", "DOUBLE")], f"    eventTimestampColumn: event_ts\n    bigqueryOptions: {{query: \"{bad}\"}}\n")]
    (tmp_path / "q.yaml").write_text(docs[0] + "\n")
    feast("apply", "-f", str(tmp_path / "q.yaml"), cwd=root)
    out = feast("ingest", "q_good", cwd=root).stdout
    assert f"{N_DRV} rows read" in out
    assert int(out.split(" written")[0].split()[-1]) > 100
    (tmp_path / "qb.yaml").write_text(docs[1] + "\n")
    feast("apply", "--skip-source-check", "-f", str(tmp_path / "qb.yaml"), cwd=root)
    p = feast("ingest", "q_bad", cwd=root, check=False)
    assert p.returncode != 0 and "boom from the source query" in p.stderr and "query job" in p.stderr, p.stderr
    assert emu.alive()


def test_sdk_client_on_bigquery_sources(tmp_path, repo, emu):
    """Feast 0.9's Client (embedded, sdk/python) on BigQuery sources: entity rows as a pyarrow table, a pandas
    DataFrame or a BigQuerySource give the Parquet copy's training set; client.ingest loads into the table."""
    import sys
    sys.path.insert(0, str(ROOT / "sdk" / "python"))
    import pyarrow.compute as pc
    from feast import BigQuerySource, Client
    root, _, ents = repo
    client = Client(repo_path=str(root))
    refs = [f"drv:{f}" for f, _ in DRV_FEATURES] + ["pair:amount"]
    local, _ = historical(root, ["drv_pq", "pair_pq"], root / "local_sdk.parquet")
    want = plain(local, "")

    def rows(t):
        cols = ["driver_id", "customer_id", "event_timestamp", "y", "conv", "trips", "label", "ok", "amount"]
        return plain(t, "").select(cols).to_pandas().sort_values(cols, na_position="last").reset_index(drop=True)

    got = client.get_historical_features(refs, ents).to_arrow()
    assert plain(got, "").select(want.schema.names).equals(want)
    # a DataFrame (no null keys or times: pandas would make them floats)
    whole = pc.and_(pc.is_valid(ents["driver_id"]), pc.is_valid(ents["event_timestamp"]))
    df = ents.filter(whole).to_pandas()
    got = client.get_historical_features(refs, df).to_arrow()
    assert len(got) == len(df)
    pd.testing.assert_frame_equal(rows(got), rows(local.filter(whole)), check_dtype=False)
    # entity rows in BigQuery, through a BigQuerySource
    emu.load_parquet("ents_sdk", root / "entities.parquet",
                     [("driver_id", "INTEGER", "NULLABLE"), ("customer_id", "STRING", "NULLABLE"),
                      ("event_timestamp", "TIMESTAMP", "NULLABLE"), ("y", "INTEGER", "NULLABLE")])
    src = BigQuerySource(event_timestamp_column="event_timestamp", table_ref=f"{emu.project}:feast.ents_sdk")
    got = client.get_historical_features(refs, src).to_arrow()
    assert len(got) == len(ents)
    pd.testing.assert_frame_equal(rows(got), rows(local), check_dtype=False)
    # client.ingest: one load job into the source's table
    emu.query("CREATE OR REPLACE TABLE feast.drv_sdk AS SELECT * FROM feast.drv LIMIT 0")
    (tmp_path / "sdk_specs.yaml").write_text(spec("drv_sdk", DRV_FEATURES,
        "    eventTimestampColumn: event_ts\n    createdTimestampColumn: created_ts\n"
        f"    bigqueryOptions: {{tableRef: \"{emu.project}:feast.drv_sdk\"}}\n"))
    feast("apply", "-f", str(tmp_path / "sdk_specs.yaml"), cwd=root)
    client = Client(repo_path=str(root))
    pushed = pa.table({"driver_id": pa.array([7001, 7002, 7003], pa.int64()), "event_ts": ts([T0, T0, T0 + US]),
                       "created_ts": ts([T0, T0, T0]), "conv": [0.25, None, 1.0], "trips": pa.array([1, 2, 3], pa.int64()),
                       "label": ["x", "y", "z"], "ok": [True, False, None]})
    client.ingest("drv_sdk", pushed)
    assert emu.query("SELECT driver_id, conv, label FROM feast.drv_sdk ORDER BY driver_id") == [
        ["7001", "0.25", "x"], ["7002", None, "y"], ["7003", "1", "z"]] or \
        emu.query("SELECT driver_id, conv, label FROM feast.drv_sdk ORDER BY driver_id") == [
        ["7001", "0.25", "x"], ["7002", None, "y"], ["7003", "1.0", "z"]]
    with pytest.raises(Exception, match="driver_id"):
        client.ingest("drv_sdk", pa.table({"driver_id": ["bad"], "event_ts": ts([T0])}))
    assert len(emu.query("SELECT * FROM feast.drv_sdk")) == 3


def test_emulator_endpoints_from_the_environment(tmp_path, repo, emu):
    """BIGQUERY_EMULATOR_HOST / BIGQUERY_STORAGE_EMULATOR_HOST stand for the yaml's endpoints, as Google's
    clients read them; without them and with a credentials file that is not there, a clear error."""
    root, _, _ = repo
    cfg = root / "feature_store_env.yaml"
    cfg.write_text(f"project: bqtest\nregistry: registry.db\nonline_store: {{type: lmdb, path: online_env}}\n"
                   f"bigquery:\n  project: {emu.project}\n")
    bare = {k: v for k, v in os.environ.items() if not k.startswith(("BIGQUERY_", "GOOGLE_", "CLOUDSDK_", "GCE_"))}

    def run(env):
        return subprocess.run([FEAST, "--config", str(cfg), "ingest", "drv_na"], cwd=root, capture_output=True,
                              text=True, timeout=600, env=env)
    p = run({**bare, **emu.env()})
    assert p.returncode == 0, p.stderr
    assert f"{N_DRV} rows read" in p.stdout
    p = run({**bare, "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "nosuch-key.json"), "HOME": str(tmp_path)})
    assert p.returncode != 0 and "nosuch-key.json" in p.stderr, p.stderr
