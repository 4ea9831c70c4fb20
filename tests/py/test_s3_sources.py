"""s3:// file sources on moto's real server: the same Parquet files on local disk and in a bucket
give exactly the same `feast ingest` online state and `feast get-historical-features` output; the
S3 request counters (FEAST_S3_STATS=1) prove that pruned partitions and row groups are never
fetched; `feast apply` checks s3:// sources; `feast push --to offline` writes to s3:// (multipart
for a large file); a missing bucket, a missing key and bad credentials each fail naming what.

moto is started here on 127.0.0.1 in 44000-44999 (this suite's ports), in its plain mode and, for
the credentials case, in its authenticating mode (INITIAL_NO_AUTH_ACTION_COUNT)."""
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from test_cli_data import SPECS as CLI_SPECS

boto3 = pytest.importorskip("boto3") if os.environ.get("CI") != "true" else __import__("boto3")

FEAST = os.environ.get("FEAST_BIN", os.path.join(os.getcwd(), "build", "feast"))
US = 1_000_000
T0 = 1_618_000_000 * US  # 2021-04-09T20:26:40Z
DAY = 86400 * US
MAX_AGE_S = 3600
PORTS = range(44000, 45000)


def port_free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()


def start_moto(tmp, env_extra=None):
    import random
    try:
        import moto.server  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("moto[server] is not installed (scripts/install-deps.sh)")
        pytest.skip("moto[server] is not installed")
    for _ in range(100):
        port = random.choice(PORTS)
        if port_free(port):
            break
    env = dict(os.environ)
    env.update(env_extra or {})
    log = open(os.path.join(tmp, f"moto-{port}.log"), "w")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log,
                            stderr=log, env=env, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"moto exited: see {log.name}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail(f"moto did not listen on {port}")


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def aws_env(url, key="test", secret="test"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/nonexistent/aws-config",
               AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws-credentials", AWS_ACCESS_KEY_ID=key,
               AWS_SECRET_ACCESS_KEY=secret, AWS_REGION="us-east-1", FEAST_S3_STATS="1")
    if url:
        env["AWS_ENDPOINT_URL_S3"] = url
    return env


def feast(*args, cwd, env, check=True):
    p = subprocess.run([FEAST, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check and p.returncode != 0:
        raise AssertionError(f"feast {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def stats(p):
    m = re.search(r"^s3: (.*)$", p.stderr, re.M)
    assert m, p.stderr
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


# The CLI suite's specs (drv, pair) on this suite's base URL, and the tables only S3 needs.
SPECS = CLI_SPECS + """---
spec:
  name: glob
  entities: [driver_id]
  features:
    - {{name: trips, valueType: INT64}}
  batchSource:
    eventTimestampColumn: event_ts
    createdTimestampColumn: created_ts
    fileOptions: {{fileFormat: {{parquetFormat: {{}}}}, fileUrl: "{base}/drv/part-[01].parquet"}}
---
spec:
  name: one
  entities: [driver_id]
  features:
    - {{name: trips, valueType: INT64}}
  batchSource:
    eventTimestampColumn: event_ts
    createdTimestampColumn: created_ts
    fileOptions: {{fileFormat: {{parquetFormat: {{}}}}, fileUrl: "{base}/drv/part-2.parquet"}}
"""

DRV_SCHEMA = pa.schema([("driver_id", pa.int64()), ("event_ts", pa.timestamp("us", tz="UTC")),
                        ("created_ts", pa.timestamp("us", tz="UTC")), ("conv", pa.float64()),
                        ("trips", pa.int64()), ("driver_rating", pa.float32())])
DRV_RG = 2000


def write_data(root, rng):
    """drv: 3 files sorted by event time, row groups of 500 rows (so a time window prunes row groups);
    pair: hive folders date=YYYY-MM-DD over 6 days; plus a _SUCCESS marker and a hidden file."""
    n, keys = 30000, 200
    key = rng.integers(0, keys, n).astype(object)
    ev = np.sort(T0 + rng.integers(0, 6 * DAY // US, n) * US + rng.integers(0, US, n))
    cr = ev + rng.permutation(n) * US
    key[rng.random(n) < 0.01] = None
    df = pd.DataFrame({"driver_id": pd.array(key, dtype="Int64"), "event_ts": pd.to_datetime(ev, unit="us", utc=True),
                       "created_ts": pd.to_datetime(cr, unit="us", utc=True),
                       "conv": pa.array(rng.random(n), mask=rng.random(n) < 0.05).to_pandas(),
                       "trips": rng.integers(0, 1000, n), "driver_rating": rng.random(n).astype(np.float32)})
    t = pa.Table.from_pandas(df, preserve_index=False).cast(DRV_SCHEMA)
    os.makedirs(root / "drv")
    for i in range(3):
        pq.write_table(t.slice(i * 10000, 10000), root / "drv" / f"part-{i}.parquet",
                       compression=["snappy", "zstd", "gzip"][i], row_group_size=DRV_RG)
    (root / "drv" / "_SUCCESS").write_text("")
    (root / "drv" / ".hidden.parquet").write_text("not parquet")
    pev = T0 + rng.permutation(6 * 86400)[:3000] * US
    pair = pd.DataFrame({"driver_id": rng.integers(0, 50, 3000),
                         "customer_id": [f"c{v}" for v in rng.integers(0, 5, 3000)],
                         "event_ts": pd.to_datetime(pev, unit="us", utc=True), "amount": rng.random(3000)})
    for day, g in pair.groupby(pair.event_ts.dt.strftime("%Y-%m-%d")):
        d = root / "pair" / f"date={day}"
        os.makedirs(d)
        pq.write_table(pa.Table.from_pandas(g.reset_index(drop=True), preserve_index=False), d / "part-0.parquet",
                       row_group_size=200)
    return df, pair


def upload(s3, bucket, root, sub):
    for p in sorted((root / sub).rglob("*")):
        if p.is_file():
            s3.upload_file(str(p), bucket, f"{sub}/{p.relative_to(root / sub)}".replace(os.sep, "/"))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("s3src")
    proc, url = start_moto(str(tmp))
    try:
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
        s3.create_bucket(Bucket="feast-data")
        data = tmp / "data"
        os.makedirs(data)
        drv, pair = write_data(data, np.random.default_rng(11))
        for sub in ["drv", "pair"]:
            upload(s3, "feast-data", data, sub)
        repos = {}
        for name, base in [("local", f"file://{data}"), ("s3", "s3://feast-data")]:
            r = tmp / name
            os.makedirs(r)
            yaml = "project: default\nregistry: registry.db\nonline_store: {type: lmdb, path: online}\n"
            if name == "s3":  # the endpoint from the aws: section here; the environment's is dropped below
                yaml += f"aws:\n  region: us-east-1\n  s3_endpoint_url: {url}\n"
            (r / "feature_store.yaml").write_text(yaml)
            (r / "specs.yaml").write_text(SPECS.format(base=base, max_age=MAX_AGE_S))
            repos[name] = r
        env = aws_env(url)
        env_cfg = aws_env(None)  # region and endpoint only from feature_store.yaml
        yield dict(url=url, s3=s3, data=data, repos=repos, env=env, env_cfg=env_cfg, drv=drv, pair=pair, tmp=tmp)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def applied(world):
    for name, r in world["repos"].items():
        p = feast("apply", cwd=r, env=world["env_cfg"] if name == "s3" else world["env"])
        if name == "s3":
            st = stats(p)
            assert st["lists"] >= 1 and st["gets"] >= 1, st  # the source check read footers from the bucket
    return world


def entity_rows(rng, drv, n, lo, hi):
    keys = drv.driver_id.dropna().astype("int64").unique()
    return pa.table({"driver_id": pa.array(rng.choice(keys, n), pa.int64()),
                     "customer_id": pa.array([f"c{v}" for v in rng.integers(0, 5, n)]),
                     "event_timestamp": pa.array(lo + rng.integers(0, (hi - lo) // US, n) * US,
                                                 pa.timestamp("us", tz="UTC"))})


def historical(world, name, ents_path, out, refs):
    r = world["repos"][name]
    args = ["get-historical-features", "-e", str(ents_path), "-o", str(out)]
    for f in refs:
        args += ["-f", f]
    return feast(*args, cwd=r, env=world["env_cfg"] if name == "s3" else world["env"])


def test_historical_from_s3_equals_local(applied):
    w = applied
    ents = entity_rows(np.random.default_rng(3), w["drv"], 3000, T0, T0 + 6 * DAY)
    pq.write_table(ents, w["tmp"] / "ents.parquet")
    refs = ["drv:conv,drv:trips,drv:rating", "pair:amount", "glob:trips", "one:trips"]
    historical(w, "local", w["tmp"] / "ents.parquet", w["tmp"] / "hist-local.parquet", refs)
    p = historical(w, "s3", w["tmp"] / "ents.parquet", w["tmp"] / "hist-s3.parquet", refs)
    a, b = pq.read_table(w["tmp"] / "hist-local.parquet"), pq.read_table(w["tmp"] / "hist-s3.parquet")
    assert a.num_rows == 3000 and a.equals(b)
    # the features really came from the files (drv's max age is one hour: many rows find nothing)
    for col in ["drv__trips", "pair__amount", "glob__trips", "one__trips"]:
        assert a.column(col).null_count < 2800, col
    st = stats(p)
    assert st["gets"] > 0 and st["files"] >= 9, st
    # the entity rows themselves from the bucket
    w["s3"].upload_file(str(w["tmp"] / "ents.parquet"), "feast-data", "entities/ents.parquet")
    historical(w, "s3", "s3://feast-data/entities/ents.parquet", w["tmp"] / "hist-s3e.parquet", refs)
    assert pq.read_table(w["tmp"] / "hist-s3e.parquet").equals(a)


def test_pruned_row_groups_and_partitions_are_not_fetched(applied):
    """Entity rows within one hour of day 0: drv keeps the row groups of that hour (max age 1 h) in
    part-0 only and pair keeps the first date folder; everything else is never fetched."""
    w = applied
    lo, hi = T0 + 2 * 3600 * US, T0 + 3 * 3600 * US
    ents = entity_rows(np.random.default_rng(4), w["drv"], 200, lo, hi)
    pq.write_table(ents, w["tmp"] / "ents-narrow.parquet")
    refs = ["drv:conv,drv:trips,drv:rating", "pair:amount"]
    historical(w, "local", w["tmp"] / "ents-narrow.parquet", w["tmp"] / "n-local.parquet", refs)
    p = historical(w, "s3", w["tmp"] / "ents-narrow.parquet", w["tmp"] / "n-s3.parquet", refs)
    assert pq.read_table(w["tmp"] / "n-local.parquet").equals(pq.read_table(w["tmp"] / "n-s3.parquet"))
    st = stats(p)

    # What a reader that prunes must fetch: each file opened needs its tail (one GET of 64 KiB, or
    # the whole file when smaller); then one GET per kept row group (its column chunks are adjacent:
    # one coalesced range from the first chunk to the end of the last).
    win_lo, win_hi = lo - MAX_AGE_S * US, hi

    def tail(f):
        return min(os.path.getsize(f), 65536)

    def rg_span(md, g):
        rg = md.row_group(g)
        starts = [min(x for x in (rg.column(c).dictionary_page_offset, rg.column(c).data_page_offset) if x)
                  for c in range(rg.num_columns)]
        ends = [st + rg.column(c).total_compressed_size for c, st in enumerate(starts)]
        return max(ends) - min(starts)

    drv_files = [w["data"] / "drv" / f"part-{i}.parquet" for i in range(3)]
    day0 = dt.datetime.fromtimestamp(T0 // US, dt.timezone.utc).strftime("%Y-%m-%d")
    pair_files = sorted((w["data"] / "pair").rglob("*.parquet"))
    pair_kept = [f for f in pair_files if f"date={day0}" in str(f)]
    assert len(pair_kept) == 1 and pair_kept[0] == pair_files[0]
    kept, want_bytes, all_rgs = 0, tail(drv_files[0]) + tail(pair_files[0]), 0  # the two schema footers
    for f in drv_files:
        md = pq.ParquetFile(f).metadata
        want_bytes += tail(f)
        all_rgs += md.num_row_groups
        for g in range(md.num_row_groups):
            s = md.row_group(g).column(1).statistics
            mn, mx = [int(pd.Timestamp(v).value // 1000) for v in (s.min, s.max)]
            if not (mx < win_lo or mn > win_hi):
                kept += 1
                want_bytes += rg_span(md, g)
    for f in pair_kept:  # no statistics window below hi on pair (no max age): its every row group
        md = pq.ParquetFile(f).metadata
        want_bytes += tail(f) + sum(rg_span(md, g) for g in range(md.num_row_groups))
        kept += md.num_row_groups
    opened = len(drv_files) + len(pair_kept)
    assert kept <= 3 and all_rgs == 15, (kept, all_rgs)  # the window is narrow: most row groups are out
    assert st["files"] == 2 + opened, st  # + the two schemas; no footer of a pruned date folder was fetched
    assert st["gets"] == 2 + opened + kept, (st, opened, kept)
    assert st["get_bytes"] == want_bytes, (st, want_bytes)
    drv_bytes = sum(os.path.getsize(f) for f in drv_files)
    assert st["get_bytes"] * 2 < drv_bytes, (st, drv_bytes)


def online_state(world, name, table, keys, refs, at):
    r = world["repos"][name]
    args = ["get-online-features", "-f", refs, "-o", "json", "--at", at]
    for k in keys:
        args += ["-e", k]
    return json.loads(feast(*args, cwd=r, env=world["env_cfg"] if name == "s3" else world["env"]).stdout)


def test_ingest_from_s3_equals_local(applied):
    w = applied
    start, end = "2021-04-10T00:00:00Z", "2021-04-12T00:00:00Z"
    for name in ["local", "s3"]:
        env = w["env_cfg"] if name == "s3" else w["env"]
        r = w["repos"][name]
        feast("ingest", "drv", "--start", start, "--end", end, cwd=r, env=env)
        p = feast("ingest", "pair", "--start", start, "--end", end, cwd=r, env=env)
        if name == "s3":
            st = stats(p)
            assert st["files"] == 3, st  # 2021-04-09 (the schema's file, skipped) + 04-10 and 04-11: 04-12.. pruned
    keys = [f"driver_id={k}" for k in w["drv"].driver_id.dropna().astype("int64").unique()[:150]]
    a = online_state(w, "local", "drv", keys, "drv:conv,drv:trips,drv:rating", "2021-04-11T23:59:59Z")
    b = online_state(w, "s3", "drv", keys, "drv:conv,drv:trips,drv:rating", "2021-04-11T23:59:59Z")
    assert a == b
    # ingested values (drv has a one-hour max age: asked at the end of the window)
    assert sum(v is not None for v in a["results"][2]["values"]) > 50, a["results"][2]
    pk = [f"driver_id={d},customer_id=c{c}" for d in range(50) for c in range(5)]
    a = online_state(w, "local", "pair", pk, "pair:amount", "2021-04-13T00:00:00Z")
    b = online_state(w, "s3", "pair", pk, "pair:amount", "2021-04-13T00:00:00Z")
    assert a == b and sum(v is not None for v in a["results"][2]["values"]) > 50, a["results"][2]


def test_push_offline_to_s3(applied):
    w = applied
    r = w["repos"]["s3"]
    (w["tmp"] / "push.csv").write_text("driver_id,customer_id,event_ts,amount\n"
                                       "7,c1,2021-04-20T10:00:00Z,42.5\n7,c1,2021-04-21T11:00:00Z,43.5\n")
    p = feast("push", "pair", str(w["tmp"] / "push.csv"), "--to", "offline", cwd=r, env=w["env_cfg"])
    assert "s3://feast-data/pair/date=2021-04-20/" in p.stdout and "date=2021-04-21" in p.stdout
    assert stats(p)["puts"] == 2
    keys = [o["Key"] for o in w["s3"].list_objects_v2(Bucket="feast-data", Prefix="pair/date=2021-04-2")["Contents"]]
    assert len(keys) == 2
    body = w["s3"].get_object(Bucket="feast-data", Key=sorted(keys)[1])["Body"].read()
    assert pq.read_table(pa.BufferReader(body)).column("amount").to_pylist() == [43.5]
    # the pushed rows are part of the offline source now
    pq.write_table(pa.table({"driver_id": [7], "customer_id": ["c1"],
                             "event_timestamp": pa.array([T0 + 12 * DAY], pa.timestamp("us", tz="UTC"))}),
                   w["tmp"] / "e2.parquet")
    historical(w, "s3", w["tmp"] / "e2.parquet", w["tmp"] / "t2.parquet", ["pair:amount"])
    assert pq.read_table(w["tmp"] / "t2.parquet").column("pair__amount").to_pylist() == [43.5]
    for k in keys:  # leave the dataset as the other tests expect
        w["s3"].delete_object(Bucket="feast-data", Key=k)


def test_push_large_file_uses_multipart(world, tmp_path):
    """A push of ~24 MiB of incompressible rows: more than the 16 MiB single-PUT threshold."""
    w = world
    r = tmp_path / "big"
    os.makedirs(r)
    (r / "feature_store.yaml").write_text("project: default\nregistry: registry.db\nonline_store: {type: lmdb, path: online}\n")
    (r / "specs.yaml").write_text("""spec: {name: k, valueType: INT64}
---
spec:
  name: big
  entities: [k]
  features: [{name: blob, valueType: STRING}]
  batchSource:
    eventTimestampColumn: ts
    fileOptions: {fileFormat: {parquetFormat: {}}, fileUrl: "s3://feast-data/big/"}
""")
    w["s3"].put_object(Bucket="feast-data", Key="big/.keep", Body=b"")
    rng = np.random.default_rng(1)
    n = 6000
    blobs = [rng.bytes(2000).hex() for _ in range(n)]  # 4000 hex chars a row
    pq.write_table(pa.table({"k": pa.array(range(n), pa.int64()), "blob": blobs,
                             "ts": pa.array([T0] * n, pa.timestamp("us", tz="UTC"))}), r / "rows.parquet",
                   compression="none")
    env = w["env"]
    p = feast("apply", cwd=r, env=env, check=False)  # a folder with no Parquet files yet, as on local disk
    assert p.returncode != 0 and "s3://feast-data/big/: no Parquet files found" in p.stderr, p.stderr
    feast("apply", "--skip-source-check", cwd=r, env=env)
    p = feast("push", "big", str(r / "rows.parquet"), "--to", "offline", cwd=r, env=env)
    st = stats(p)
    assert st["puts"] == 1 and st["put_bytes"] > 16 << 20, st
    objs = [o for o in w["s3"].list_objects_v2(Bucket="feast-data", Prefix="big/")["Contents"]
            if o["Key"].endswith(".parquet")]
    assert len(objs) == 1
    head = w["s3"].head_object(Bucket="feast-data", Key=objs[0]["Key"])
    assert "-" in head["ETag"], head["ETag"]  # a multipart object's ETag is "<md5>-<parts>"
    got = pq.read_table(pa.BufferReader(w["s3"].get_object(Bucket="feast-data", Key=objs[0]["Key"])["Body"].read()))
    assert got.num_rows == n and got.column("blob").to_pylist()[:3] == blobs[:3]


def bad_repo(tmp_path, url_in_spec):
    r = tmp_path / "bad"
    os.makedirs(r, exist_ok=True)
    shutil.rmtree(r / "registry.db", ignore_errors=True)
    (r / "feature_store.yaml").write_text("project: default\nregistry: registry.db\nonline_store: {type: lmdb, path: online}\n")
    (r / "specs.yaml").write_text(f"""spec: {{name: driver_id, valueType: INT64}}
---
spec:
  name: t
  entities: [driver_id]
  features: [{{name: trips, valueType: INT64}}]
  batchSource:
    eventTimestampColumn: event_ts
    fileOptions: {{fileFormat: {{parquetFormat: {{}}}}, fileUrl: "{url_in_spec}"}}
""")
    return r


def test_apply_missing_bucket_names_it(world, tmp_path):
    r = bad_repo(tmp_path, "s3://no-such-bucket/drv/")
    p = feast("apply", cwd=r, env=world["env"], check=False)
    assert p.returncode != 0
    assert "no-such-bucket" in p.stderr and "NoSuchBucket" in p.stderr, p.stderr


def test_apply_missing_key_names_it(world, tmp_path):
    r = bad_repo(tmp_path, "s3://feast-data/drv/part-9.parquet")
    p = feast("apply", cwd=r, env=world["env"], check=False)
    assert p.returncode != 0
    assert "s3://feast-data/drv/part-9.parquet" in p.stderr and "no such object" in p.stderr, p.stderr


def test_apply_checks_s3_columns(world, tmp_path):
    r = bad_repo(tmp_path, "s3://feast-data/pair/")  # pair has no 'trips'
    p = feast("apply", cwd=r, env=world["env"], check=False)
    assert p.returncode != 0 and "trips" in p.stderr, p.stderr


def test_bad_credentials_name_the_resource(tmp_path):
    proc, url = start_moto(str(tmp_path), {"INITIAL_NO_AUTH_ACTION_COUNT": "3"})
    try:
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bootstrap",
                           aws_secret_access_key="bootstrap")
        iam.create_user(UserName="feast-test")
        iam.put_user_policy(UserName="feast-test", PolicyName="allow-all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        k = iam.create_access_key(UserName="feast-test")["AccessKey"]
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=k["AccessKeyId"],
                          aws_secret_access_key=k["SecretAccessKey"])
        s3.create_bucket(Bucket="locked")
        buf = pa.BufferOutputStream()
        pq.write_table(pa.table({"driver_id": pa.array([1], pa.int64()), "trips": pa.array([2], pa.int64()),
                                 "event_ts": pa.array([T0], pa.timestamp("us", tz="UTC"))}), buf)
        s3.put_object(Bucket="locked", Key="t/part-0.parquet", Body=buf.getvalue().to_pybytes())
        # moto's authenticating mode refuses any ListObjectsV2 whose prefix holds a "/", boto3's
        # own requests included (its canonical query differs from AWS's): the passing case reads
        # one object (HeadObject, ranged GETs), the refused ones both a folder and an object.
        good = bad_repo(tmp_path / "good", "s3://locked/t/part-0.parquet")
        feast("apply", cwd=good, env=aws_env(url, k["AccessKeyId"], k["SecretAccessKey"]))
        for src in ["s3://locked/t/", "s3://locked/t/part-0.parquet"]:
            r = bad_repo(tmp_path / src.replace("/", "_").replace(":", ""), src)
            for key, secret, codes in [(k["AccessKeyId"], "wrong-secret", ["SignatureDoesNotMatch", "403"]),
                                       ("AKIAUNKNOWN000000000", "unknown-key-secret-zz9", ["InvalidAccessKeyId", "403"])]:
                p = feast("apply", cwd=r, env=aws_env(url, key, secret), check=False)
                assert p.returncode != 0
                assert src in p.stderr and any(c in p.stderr for c in codes), p.stderr
                assert "check the access key" in p.stderr, p.stderr
                assert secret not in p.stderr
    finally:
        stop(proc)


def test_escaped_patterns_and_globs_in_keys(world):
    """Keys holding glob characters: escaped with a backslash they are literal, as in local paths;
    unescaped they are patterns (fnmatch per path segment, hidden and _ names skipped)."""
    w = world
    t = pa.table({"driver_id": pa.array([1, 2, 3], pa.int64())})
    for key in ["weird/[1]/a.parquet", "weird/1/b.parquet", "weird/[1]/_c.parquet", "weird/x/.d.parquet"]:
        buf = pa.BufferOutputStream()
        pq.write_table(t, buf)
        w["s3"].put_object(Bucket="feast-data", Key=key, Body=buf.getvalue().to_pybytes())

    def count(url):
        p = feast("parquet", "cat", url, "--count", cwd=w["tmp"], env=w["env"], check=False)
        assert p.returncode == 0, p.stderr
        return int(p.stdout.split()[0])

    assert count(r"s3://feast-data/weird/\[1\]/") == 3        # the folder named [1] only
    assert count(r"s3://feast-data/weird/\[1\]/*.parquet") == 3
    assert count("s3://feast-data/weird/[1]/*.parquet") == 3    # the pattern [1] matches the folder 1
    assert count("s3://feast-data/weird/*/*.parquet") == 6      # [1]/a and 1/b; _c and .d skipped
    assert count("s3://feast-data/weird/") == 6
    p = feast("parquet", "cat", "s3://feast-data/weird/nothing-*.parquet", "--count", cwd=w["tmp"], env=w["env"],
              check=False)
    assert p.returncode != 0 and "no Parquet files found" in p.stderr, p.stderr


def test_batched_range_cut_off_half_way_is_sent_again(tmp_path):
    """read_many streams each range into place; a GET whose connection drops after part of its
    bytes is sent again from its start (a raw server on 127.0.0.1 cuts the first answer short)."""
    import threading
    sys.path.insert(0, os.path.dirname(__file__))
    import awspeers
    data = bytes(range(256)) * 80  # 20480 bytes
    seen = []
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for _ in range(100):
        try:
            srv.bind(("127.0.0.1", random_port()))
            break
        except OSError:
            continue
    srv.listen(16)
    port = srv.getsockname()[1]

    def serve(conn):
        with conn:
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head = buf.split(b"\r\n\r\n", 1)[0].decode()
            method = head.split(" ", 1)[0]
            rng = [l.split(":", 1)[1].strip() for l in head.split("\r\n") if l.lower().startswith("range:")]
            if method == "HEAD":
                conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode())
                return
            first, last = (int(x) for x in rng[0].split("=", 1)[1].split("-"))
            seen.append(first)
            body = data[first:last + 1]
            hdr = (f"HTTP/1.1 206 Partial Content\r\nContent-Length: {len(body)}\r\n"
                   f"Content-Range: bytes {first}-{last}/{len(data)}\r\nConnection: close\r\n\r\n").encode()
            if first == 8000 and seen.count(8000) == 1:
                conn.sendall(hdr + body[:3000])  # then the connection drops
                return
            conn.sendall(hdr + body)

    def loop():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(c,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    try:
        env = aws_env(f"http://127.0.0.1:{port}")
        out = tmp_path / "out.bin"
        p = subprocess.run([awspeers.tool(), "s3", "read-many", "s3://bkt/f.parquet", str(out), "0:8000,8000:8000", "4"],
                           env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert out.read_bytes() == data[:16000]
        assert sorted(seen) == [0, 8000, 8000], seen  # the cut range twice, the other once
    finally:
        srv.close()


def random_port():
    import random
    return random.choice(PORTS)
