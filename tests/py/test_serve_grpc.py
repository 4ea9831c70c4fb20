"""`feast serve`'s gRPC port against grpcio clients whose stubs grpcio-tools
compiled from our protos/ (tests/py/grpc_stubs.py): every CoreService,
ServingService and JobService call, Feast 0.9's error codes, bearer-token
auth per project and access, and abuse (oversized and truncated frames,
invalid protobuf, a wrong content type, an unknown method) after which the
daemon keeps serving. Online values are checked against pandas' "latest row
per key" of the Parquet the table reads, never against our own reader.

Ports: 46010-46029 (the gRPC helper's range)."""
import datetime as dt
import os
import signal
import socket
import subprocess
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import grpc
from grpc_stubs import compile_stubs

FEAST = os.environ.get("FEAST_BIN", os.path.join(os.getcwd(), "build", "feast"))
PORT, CORE_PORT, JOBS_PORT = 46011, 46012, 46013
T0 = dt.datetime(2021, 4, 12, tzinfo=dt.timezone.utc)
ADMIN = [("authorization", "Bearer admin-token")]
WRITER = [("authorization", "Bearer writer-token")]
READER = [("authorization", "Bearer reader-token")]
OTHER = [("authorization", "Bearer other-token")]

YAML = """project: default
registry: registry.db
online_store: {{type: lmdb, path: online}}
serve:
  auth:
    tokens:
      - {{token: admin-token, name: admin, access: write}}
      - {{token: writer-token, name: writer, projects: [default], access: write}}
      - {{token: reader-token, name: reader, projects: [default], access: read}}
      - {{token: other-token, name: other, projects: [other], access: read}}
  limits: {{max_request_bytes: 65536, max_entity_rows: 500}}
  access_log: false
"""


def wait_port(port, proc, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise AssertionError(f"feast serve exited {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"feast serve did not listen on {port}")


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    return compile_stubs(tmp_path_factory.mktemp("stubs"))


def make_data(root, rng):
    n, keys = 2000, 100
    drv = pd.DataFrame({
        "driver_id": rng.integers(1, keys + 1, n),
        "event_ts": pd.to_datetime([T0 + dt.timedelta(seconds=int(s)) for s in rng.integers(0, 6 * 3600, n)]),
        "created_ts": pd.to_datetime([T0 + dt.timedelta(seconds=int(s)) for s in rng.permutation(n)]),
        "conv": rng.random(n), "trips": rng.integers(0, 1000, n)})
    os.makedirs(root / "drv", exist_ok=True)
    pq.write_table(pa.Table.from_pandas(drv, preserve_index=False).cast(pa.schema([
        ("driver_id", pa.int64()), ("event_ts", pa.timestamp("us", tz="UTC")),
        ("created_ts", pa.timestamp("us", tz="UTC")), ("conv", pa.float64()), ("trips", pa.int64())])),
        root / "drv" / "part-0.parquet")
    pair = pd.DataFrame({"driver_id": np.arange(1, 21), "customer_id": [f"c{i % 3}" for i in range(20)],
                         "event_ts": pd.to_datetime([T0] * 20, utc=True), "amount": np.arange(20) * 1.5})
    os.makedirs(root / "pair", exist_ok=True)
    pq.write_table(pa.Table.from_pandas(pair, preserve_index=False).cast(pa.schema([
        ("driver_id", pa.int64()), ("customer_id", pa.string()), ("event_ts", pa.timestamp("us", tz="UTC")),
        ("amount", pa.float64())])), root / "pair" / "part-0.parquet")
    return drv, pair


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    drv, pair = make_data(root, np.random.default_rng(13))
    (root / "feature_store.yaml").write_text(YAML.format())
    env = dict(os.environ, FEAST_SERVE_JOBS_DIR=str(root / "jobs"))
    # stderr to a file: an unread pipe would stall the daemon once full
    proc = subprocess.Popen([FEAST, "serve", "--grpc-port", str(PORT), "--http-port", "0", "--threads", "2",
                             "--core-port", str(CORE_PORT), "--job-service-port", str(JOBS_PORT),
                             "--config", str(root / "feature_store.yaml")],
                            stdout=subprocess.DEVNULL, stderr=open(root / "serve.err", "a"), env=env)
    try:
        wait_port(PORT, proc)
        yield {"root": root, "drv": drv, "pair": pair, "proc": proc}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = "killed"
    assert rc == 0, f"feast serve exited {rc} on SIGTERM: {(root / 'serve.err').read_text()[-5000:]}"


@pytest.fixture(scope="module")
def ch(server):
    c = grpc.insecure_channel(f"127.0.0.1:{PORT}")
    yield c
    c.close()


def code_of(fn, *a, **kw):
    with pytest.raises(grpc.RpcError) as e:
        fn(*a, **kw)
    return e.value.code(), e.value.details()


def file_source(pb, url, event="event_ts", created=""):
    DS = pb.DataSource.DataSource
    return DS(type=DS.BATCH_FILE, event_timestamp_column=event, created_timestamp_column=created,
              file_options=DS.FileOptions(file_format=pb.DataFormat.FileFormat(
                  parquet_format=pb.DataFormat.FileFormat.ParquetFormat()), file_url=url))


def apply_specs(pb, ch, root, md=ADMIN):
    core = pb.CG.CoreServiceStub(ch)
    V = pb.Value.ValueType
    E, FT, F = pb.Entity, pb.FeatureTable, pb.Feature
    out = []
    out.append(core.ApplyEntity(pb.C.ApplyEntityRequest(spec=E.EntitySpecV2(
        name="driver_id", value_type=V.INT64, description="a driver", labels={"team": "a"})), metadata=md, timeout=10))
    core.ApplyEntity(pb.C.ApplyEntityRequest(spec=E.EntitySpecV2(name="customer_id", value_type=V.STRING)),
                     metadata=md, timeout=10)
    spec = FT.FeatureTableSpec(name="drv", entities=["driver_id"], labels={"owner": "x"},
                               features=[F.FeatureSpecV2(name="conv", value_type=V.DOUBLE, labels={"k": "v"}),
                                         F.FeatureSpecV2(name="trips", value_type=V.INT64)],
                               batch_source=file_source(pb, f"file://{root}/drv/", created="created_ts"))
    spec.max_age.seconds = 3600
    out.append(core.ApplyFeatureTable(pb.C.ApplyFeatureTableRequest(project="", table_spec=spec), metadata=md,
                                      timeout=10))
    pair = FT.FeatureTableSpec(name="pair", entities=["driver_id", "customer_id"],
                               features=[F.FeatureSpecV2(name="amount", value_type=V.DOUBLE)],
                               batch_source=file_source(pb, f"file://{root}/pair/"))
    core.ApplyFeatureTable(pb.C.ApplyFeatureTableRequest(table_spec=pair), metadata=md, timeout=10)
    return out


def wait_job(pb, ch, job_id, timeout=60):
    js = pb.JG.JobServiceStub(ch)
    end = time.time() + timeout
    while time.time() < end:
        j = js.GetJob(pb.J.GetJobRequest(job_id=job_id), metadata=ADMIN, timeout=10).job
        if j.status in (pb.J.JOB_STATUS_DONE, pb.J.JOB_STATUS_ERROR):
            return j
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.fixture(scope="module")
def loaded(pb, ch, server):
    apply_specs(pb, ch, server["root"])
    js = pb.JG.JobServiceStub(ch)
    ids = []
    for t in ("drv", "pair"):
        r = js.StartOfflineToOnlineIngestionJob(pb.J.StartOfflineToOnlineIngestionJobRequest(table_name=t),
                                                metadata=ADMIN, timeout=10)
        assert r.table_name == t and r.id and r.log_uri.startswith("file://")
        ids.append(r.id)
    for i in ids:
        j = wait_job(pb, ch, i)
        assert j.status == pb.J.JOB_STATUS_DONE, open(j.log_uri[7:]).read()
        assert j.type == pb.J.BATCH_INGESTION_JOB
    return ids


# ---- Core ----

def test_versions(pb, ch):
    info = pb.SG.ServingServiceStub(ch).GetFeastServingInfo(pb.S.GetFeastServingInfoRequest(), metadata=READER,
                                                             timeout=5)
    assert info.type == pb.S.FEAST_SERVING_TYPE_ONLINE and info.version
    v = pb.CG.CoreServiceStub(ch).GetFeastCoreVersion(pb.C.GetFeastCoreVersionRequest(), metadata=READER, timeout=5)
    assert v.version == "0.9.5"


def test_core_registry_calls(pb, ch, server, loaded):
    core = pb.CG.CoreServiceStub(ch)
    e = core.GetEntity(pb.C.GetEntityRequest(name="driver_id"), metadata=READER, timeout=5).entity
    assert e.spec.name == "driver_id" and e.spec.value_type == pb.Value.ValueType.INT64
    assert e.spec.description == "a driver" and dict(e.spec.labels) == {"team": "a"}
    assert e.meta.created_timestamp.seconds > 0
    ents = core.ListEntities(pb.C.ListEntitiesRequest(filter=pb.C.ListEntitiesRequest.Filter(project="default")),
                             metadata=READER, timeout=5).entities
    assert sorted(x.spec.name for x in ents) == ["customer_id", "driver_id"]
    ents = core.ListEntities(pb.C.ListEntitiesRequest(filter=pb.C.ListEntitiesRequest.Filter(labels={"team": "a"})),
                             metadata=READER, timeout=5).entities
    assert [x.spec.name for x in ents] == ["driver_id"]
    t = core.GetFeatureTable(pb.C.GetFeatureTableRequest(name="drv"), metadata=READER, timeout=5).table
    assert t.spec.name == "drv" and list(t.spec.entities) == ["driver_id"]
    assert [f.name for f in t.spec.features] == ["conv", "trips"] and t.spec.max_age.seconds == 3600
    assert t.spec.batch_source.file_options.file_url == f"file://{server['root']}/drv/"
    assert t.spec.batch_source.created_timestamp_column == "created_ts"
    assert t.spec.batch_source.file_options.file_format.WhichOneof("format") == "parquet_format"
    assert t.meta.revision >= 1
    tabs = core.ListFeatureTables(pb.C.ListFeatureTablesRequest(filter=pb.C.ListFeatureTablesRequest.Filter()),
                                  metadata=READER, timeout=5).tables
    assert sorted(x.spec.name for x in tabs) == ["drv", "pair"]
    feats = core.ListFeatures(pb.C.ListFeaturesRequest(filter=pb.C.ListFeaturesRequest.Filter(
        entities=["driver_id"])), metadata=READER, timeout=5).features
    assert sorted(feats) == ["drv:conv", "drv:trips"]
    feats = core.ListFeatures(pb.C.ListFeaturesRequest(filter=pb.C.ListFeaturesRequest.Filter(labels={"k": "v"})),
                              metadata=READER, timeout=5).features
    assert sorted(feats) == ["drv:conv"]
    # idempotent apply: same revision
    again = apply_specs(pb, ch, server["root"])[1].table
    assert again.meta.revision == t.meta.revision


def test_projects_and_delete(pb, ch, server):
    core = pb.CG.CoreServiceStub(ch)
    core.CreateProject(pb.C.CreateProjectRequest(name="scratch"), metadata=ADMIN, timeout=5)
    assert "scratch" in core.ListProjects(pb.C.ListProjectsRequest(), metadata=ADMIN, timeout=5).projects
    code, _ = code_of(core.CreateProject, pb.C.CreateProjectRequest(name="scratch"), metadata=ADMIN, timeout=5)
    assert code == grpc.StatusCode.ALREADY_EXISTS
    V = pb.Value.ValueType
    core.ApplyEntity(pb.C.ApplyEntityRequest(project="scratch", spec=pb.Entity.EntitySpecV2(
        name="k", value_type=V.INT64)), metadata=ADMIN, timeout=5)
    spec = pb.FeatureTable.FeatureTableSpec(name="tmp", entities=["k"], features=[
        pb.Feature.FeatureSpecV2(name="f", value_type=V.INT64)],
        batch_source=file_source(pb, f"file://{server['root']}/nowhere/"))
    core.ApplyFeatureTable(pb.C.ApplyFeatureTableRequest(project="scratch", table_spec=spec), metadata=ADMIN, timeout=5)
    core.DeleteFeatureTable(pb.C.DeleteFeatureTableRequest(project="scratch", name="tmp"), metadata=ADMIN, timeout=5)
    code, _ = code_of(core.GetFeatureTable, pb.C.GetFeatureTableRequest(project="scratch", name="tmp"),
                      metadata=ADMIN, timeout=5)
    assert code == grpc.StatusCode.NOT_FOUND
    code, _ = code_of(core.DeleteFeatureTable, pb.C.DeleteFeatureTableRequest(project="scratch", name="tmp"),
                      metadata=ADMIN, timeout=5)
    assert code == grpc.StatusCode.NOT_FOUND
    core.ArchiveProject(pb.C.ArchiveProjectRequest(name="scratch"), metadata=ADMIN, timeout=5)
    assert "scratch" not in core.ListProjects(pb.C.ListProjectsRequest(), metadata=ADMIN, timeout=5).projects
    code, _ = code_of(core.ArchiveProject, pb.C.ArchiveProjectRequest(name="never"), metadata=ADMIN, timeout=5)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    code, _ = code_of(core.GetEntity, pb.C.GetEntityRequest(name="nope"), metadata=ADMIN, timeout=5)
    assert code == grpc.StatusCode.NOT_FOUND


def test_validation_matches_feast_apply(pb, ch, server, tmp_path):
    """The same bad spec through ApplyFeatureTable and through `feast apply`
    is refused with the same words."""
    core = pb.CG.CoreServiceStub(ch)
    V = pb.Value.ValueType
    spec = pb.FeatureTable.FeatureTableSpec(name="bad", entities=["driver_id"], features=[
        pb.Feature.FeatureSpecV2(name="event_timestamp", value_type=V.INT64),
        pb.Feature.FeatureSpecV2(name="driver_id", value_type=V.INT64)],
        batch_source=file_source(pb, "file:///tmp/x/"))
    code, msg = code_of(core.ApplyFeatureTable, pb.C.ApplyFeatureTableRequest(table_spec=spec), metadata=ADMIN,
                        timeout=5)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    (tmp_path / "feature_store.yaml").write_text("project: default\nregistry: registry.db\n")
    (tmp_path / "specs.yaml").write_text(
        "spec: {name: driver_id, valueType: INT64}\n---\n"
        "spec:\n  name: bad\n  entities: [driver_id]\n  features:\n"
        "    - {name: event_timestamp, valueType: INT64}\n    - {name: driver_id, valueType: INT64}\n"
        "  batchSource:\n    eventTimestampColumn: event_ts\n"
        "    fileOptions: {fileFormat: {parquetFormat: {}}, fileUrl: 'file:///tmp/x/'}\n")
    cli = subprocess.run([FEAST, "apply", "--skip-source-check"], cwd=tmp_path, capture_output=True, text=True)
    assert cli.returncode != 0
    lines = [l.strip() for l in msg.splitlines() if l.strip()]
    assert len(lines) == 2 and "document" not in msg, msg
    for line in lines:  # the CLI prefixes each with file and document
        assert line in cli.stderr, (line, cli.stderr)
    code, msg = code_of(core.ApplyEntity, pb.C.ApplyEntityRequest(spec=pb.Entity.EntitySpecV2(
        name="bad-name", value_type=V.INT64)), metadata=ADMIN, timeout=5)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "bad-name" in msg


# ---- Serving ----

def online(pb, ch, refs, rows, project="", md=READER, **kw):
    req = pb.S.GetOnlineFeaturesRequestV2(project=project)
    for r in refs:
        t, f = r.split(":")
        req.features.add(feature_table=t, name=f)
    for r in rows:
        er = req.entity_rows.add()
        ts = r.pop("_ts", None)
        if ts is not None:
            er.timestamp.seconds = ts
        for k, v in r.items():
            if isinstance(v, str):
                er.fields[k].string_val = v
            else:
                er.fields[k].int64_val = v
    return pb.SG.ServingServiceStub(ch).GetOnlineFeaturesV2(req, metadata=md, timeout=10, **kw)


def latest(df, keys):
    return df.sort_values(["event_ts", "created_ts"] if "created_ts" in df else ["event_ts"]).groupby(keys).tail(1)


def test_online_values_match_latest_rows(pb, ch, server, loaded):
    exp = latest(server["drv"], ["driver_id"]).set_index("driver_id")
    keys = sorted(exp.index)[:50] + [100000]
    now = int(exp.event_ts.max().timestamp()) + 10
    resp = online(pb, ch, ["drv:conv", "drv:trips", "drv:nope"], [{"driver_id": int(k), "_ts": now} for k in keys])
    assert len(resp.field_values) == len(keys)
    S = pb.S.GetOnlineFeaturesResponse
    for k, fv in zip(keys, resp.field_values):
        assert fv.fields["driver_id"].int64_val == k and fv.statuses["driver_id"] == S.PRESENT
        assert fv.statuses["drv:nope"] == S.NOT_FOUND and not fv.fields["drv:nope"].WhichOneof("val")
        if k not in exp.index:
            assert fv.statuses["drv:conv"] == S.NOT_FOUND and fv.statuses["drv:trips"] == S.NOT_FOUND
            continue
        row = exp.loc[k]
        if now - int(row.event_ts.timestamp()) > 3600:
            assert fv.statuses["drv:conv"] == S.OUTSIDE_MAX_AGE
            assert not fv.fields["drv:conv"].WhichOneof("val")
        else:
            assert fv.statuses["drv:conv"] == S.PRESENT
            assert fv.fields["drv:conv"].double_val == row.conv
            assert fv.fields["drv:trips"].int64_val == row.trips


def test_max_age_from_row_timestamp(pb, ch, server, loaded):
    S = pb.S.GetOnlineFeaturesResponse
    exp = latest(server["drv"], ["driver_id"]).set_index("driver_id")
    k = int(exp.index[0])
    ev = int(exp.loc[k].event_ts.timestamp())
    fresh = online(pb, ch, ["drv:conv"], [{"driver_id": k, "_ts": ev + 3600}]).field_values[0]
    stale = online(pb, ch, ["drv:conv"], [{"driver_id": k, "_ts": ev + 3601}]).field_values[0]
    assert fresh.statuses["drv:conv"] == S.PRESENT and fresh.fields["drv:conv"].double_val == exp.loc[k].conv
    assert stale.statuses["drv:conv"] == S.OUTSIDE_MAX_AGE
    # no row timestamp: now, years after the data
    assert online(pb, ch, ["drv:conv"], [{"driver_id": k}]).field_values[0].statuses["drv:conv"] == S.OUTSIDE_MAX_AGE


def test_several_entity_sets_in_one_request(pb, ch, server, loaded):
    """Feast 0.9 keys a row by all its fields: drv answers rows of
    {driver_id}, pair rows of {driver_id, customer_id}, each NOT_FOUND for the other."""
    S = pb.S.GetOnlineFeaturesResponse
    pair = server["pair"].set_index(["driver_id", "customer_id"])
    rows = [{"driver_id": 3, "customer_id": "c2"}, {"driver_id": 4, "_ts": 1618200000 + 100},
            {"driver_id": 5, "customer_id": "c1"}, {"driver_id": 5, "customer_id": "c0"}]
    resp = online(pb, ch, ["pair:amount", "drv:trips"], rows)
    a, b, c, d = resp.field_values
    assert a.statuses["pair:amount"] == S.PRESENT and a.fields["pair:amount"].double_val == pair.loc[(3, "c2")].amount
    assert a.statuses["drv:trips"] == S.NOT_FOUND and a.fields["customer_id"].string_val == "c2"
    assert b.statuses["pair:amount"] == S.NOT_FOUND
    assert c.statuses["pair:amount"] == S.PRESENT and c.fields["pair:amount"].double_val == pair.loc[(5, "c1")].amount
    assert d.statuses["pair:amount"] == S.NOT_FOUND  # no such pair
    # a value of the wrong type for the entity cannot match a key
    req = pb.S.GetOnlineFeaturesRequestV2()
    req.features.add(feature_table="drv", name="trips")
    req.entity_rows.add().fields["driver_id"].string_val = "3"
    r = pb.SG.ServingServiceStub(ch).GetOnlineFeaturesV2(req, metadata=READER, timeout=5)
    assert r.field_values[0].statuses["drv:trips"] == S.NOT_FOUND


def test_online_errors_have_feasts_codes(pb, ch, loaded):
    code, msg = code_of(online, pb, ch, ["nope:x"], [{"driver_id": 1}])
    assert code == grpc.StatusCode.NOT_FOUND and msg == "Unable to find FeatureTable default/nope"
    code, msg = code_of(online, pb, ch, ["drv:conv"], [])
    assert code == grpc.StatusCode.UNKNOWN and msg == "Entity value must be provided"
    code, msg = code_of(online, pb, ch, ["drv:conv"], [{"driver_id": 1}], project="other", md=OTHER)
    assert code == grpc.StatusCode.NOT_FOUND and msg == "Unable to find FeatureTable other/drv"
    code, _ = code_of(online, pb, ch, ["drv:conv"], [{"driver_id": i} for i in range(501)])
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    # made-up project names open nothing: still 0.9's answer, and the daemon holds no store for them
    for i in range(50):
        code, msg = code_of(online, pb, ch, ["drv:conv"], [{"driver_id": 1}], project=f"made_up_{i}", md=ADMIN)
        assert code == grpc.StatusCode.NOT_FOUND and msg == f"Unable to find FeatureTable made_up_{i}/drv"


def test_auth(pb, ch, loaded):
    core = pb.CG.CoreServiceStub(ch)
    code, _ = code_of(online, pb, ch, ["drv:conv"], [{"driver_id": 1}], md=[])
    assert code == grpc.StatusCode.UNAUTHENTICATED
    code, msg = code_of(online, pb, ch, ["drv:conv"], [{"driver_id": 1}], md=[("authorization", "Bearer wrong")])
    assert code == grpc.StatusCode.UNAUTHENTICATED and "wrong" not in msg
    code, _ = code_of(online, pb, ch, ["drv:conv"], [{"driver_id": 1}], md=OTHER)  # other project's token
    assert code == grpc.StatusCode.PERMISSION_DENIED
    code, _ = code_of(core.ApplyEntity, pb.C.ApplyEntityRequest(spec=pb.Entity.EntitySpecV2(
        name="z", value_type=pb.Value.ValueType.INT64)), metadata=READER, timeout=5)
    assert code == grpc.StatusCode.PERMISSION_DENIED
    code, _ = code_of(core.ApplyEntity, pb.C.ApplyEntityRequest(project="other", spec=pb.Entity.EntitySpecV2(
        name="z", value_type=pb.Value.ValueType.INT64)), metadata=WRITER, timeout=5)
    assert code == grpc.StatusCode.PERMISSION_DENIED
    js = pb.JG.JobServiceStub(ch)
    code, _ = code_of(js.StartOfflineToOnlineIngestionJob, pb.J.StartOfflineToOnlineIngestionJobRequest(
        table_name="drv"), metadata=READER, timeout=5)
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert online(pb, ch, ["drv:conv"], [{"driver_id": 1}], md=WRITER).field_values


# ---- abuse ----

def raw(ch, path, payload):
    return ch.unary_unary(path, request_serializer=None, response_deserializer=None)(payload, metadata=ADMIN, timeout=5)


def curl(path, body, ctype="application/grpc", extra=()):
    p = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", *extra, "-D", "-", "-o", "/dev/null", "-H",
                        f"content-type: {ctype}", "-H", "authorization: Bearer admin-token", "-H", "te: trailers",
                        "--data-binary", "@-", f"http://127.0.0.1:{PORT}{path}"],
                       input=body, capture_output=True, timeout=10)
    return p.stdout.decode(errors="replace")


def test_abuse_then_still_serving(pb, ch, loaded):
    S = "/feast.serving.ServingService/GetOnlineFeaturesV2"
    code, msg = code_of(raw, ch, S, b"\xff\xff\xff\xff")
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "invalid protobuf" in msg
    code, _ = code_of(raw, ch, S, b"\x0a" + b"\x01" * 70000)  # past max_request_bytes
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    code, _ = code_of(raw, ch, "/feast.serving.ServingService/Nope", b"")
    assert code == grpc.StatusCode.UNIMPLEMENTED
    code, _ = code_of(raw, ch, "/no.Such/Method", b"")
    assert code == grpc.StatusCode.UNIMPLEMENTED
    h = curl(S, b"{}", ctype="application/json")
    assert h.startswith("HTTP/2 415"), h
    h = curl(S, b"\x00\x00\x00\x00\x0a\x01\x02")  # declares 10 bytes, carries 2
    assert "grpc-status: 13" in h, h
    h = curl(S, b"\x00\x00")  # not even a prefix
    assert "grpc-status: 13" in h, h
    h = curl(S, b"\x01\x00\x00\x00\x00")  # compressed flag, no grpc-encoding
    assert "grpc-status: 12" in h, h
    with socket.create_connection(("127.0.0.1", PORT)) as s:  # not HTTP/2 at all
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 3)
        s.settimeout(5)
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass
    with socket.create_connection(("127.0.0.1", PORT)) as s:  # preface, then garbage frames
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x10\x09\xff\x00\x00\x00\x01" + b"\xee" * 64)
        s.settimeout(5)
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass
    assert online(pb, ch, ["drv:conv"], [{"driver_id": 1}]).field_values
    # a deadline too short to meet
    req = pb.S.GetOnlineFeaturesRequestV2()
    req.features.add(feature_table="drv", name="conv")
    req.entity_rows.add().fields["driver_id"].int64_val = 1
    body = req.SerializeToString()
    framed = b"\x00" + len(body).to_bytes(4, "big") + body
    assert "grpc-status: 4" in curl(S, framed, extra=["-H", "grpc-timeout: 1n"])  # a deadline no call can meet
    h = curl(S, framed, extra=["-H", "grpc-timeout: 10S"])
    assert "HTTP/2 200" in h and "grpc-status" not in h.split("\r\n\r\n")[0], h  # status in the trailers


def test_large_answer_many_streams(pb, ch, loaded):
    """100 rows x 2 features, 32 calls in flight on one connection."""
    import concurrent.futures as cf
    keys = [{"driver_id": k} for k in range(1, 101)]
    with cf.ThreadPoolExecutor(8) as ex:
        res = list(ex.map(lambda _: online(pb, ch, ["drv:conv", "drv:trips"], [dict(k) for k in keys]), range(32)))
    first = res[0].SerializeToString(deterministic=True)
    assert all(r.SerializeToString(deterministic=True) == first for r in res)
    assert len(res[0].field_values) == 100


# ---- jobs ----

def test_jobs(pb, ch, server, loaded, tmp_path):
    js = pb.JG.JobServiceStub(ch)
    listed = js.ListJobs(pb.J.ListJobsRequest(include_terminated=True), metadata=ADMIN, timeout=5).jobs
    assert set(loaded) <= {j.id for j in listed}
    assert not js.ListJobs(pb.J.ListJobsRequest(include_terminated=False, table_name="drv"), metadata=ADMIN,
                           timeout=5).jobs
    j = [j for j in listed if j.id == loaded[0]][0]
    assert j.WhichOneof("meta") == "batch_ingestion" and j.batch_ingestion.table_name == "drv"
    code, _ = code_of(js.GetJob, pb.J.GetJobRequest(job_id="nope"), metadata=ADMIN, timeout=5)
    assert code == grpc.StatusCode.NOT_FOUND
    code, _ = code_of(js.CancelJob, pb.J.CancelJobRequest(job_id=loaded[0]), metadata=ADMIN, timeout=5)
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    code, _ = code_of(js.StartOfflineToOnlineIngestionJob, pb.J.StartOfflineToOnlineIngestionJobRequest(
        table_name="nope"), metadata=ADMIN, timeout=5)
    assert code == grpc.StatusCode.NOT_FOUND
    code, _ = code_of(js.StartStreamToOnlineIngestionJob, pb.J.StartStreamToOnlineIngestionJobRequest(
        table_name="drv"), metadata=ADMIN, timeout=5)
    assert code == grpc.StatusCode.INVALID_ARGUMENT  # drv has no stream source
    # historical retrieval into a folder
    ent = pd.DataFrame({"driver_id": [1, 2, 3, 99999],
                        "event_timestamp": pd.to_datetime([T0 + dt.timedelta(hours=7)] * 4, utc=True)})
    pq.write_table(pa.Table.from_pandas(ent, preserve_index=False), tmp_path / "entities.parquet")
    out = tmp_path / "training"
    r = js.GetHistoricalFeatures(pb.J.GetHistoricalFeaturesRequest(
        feature_refs=["drv:conv", "drv:trips"], entity_source=file_source(pb, f"file://{tmp_path}/entities.parquet",
                                                                          event="event_timestamp"),
        output_location=f"file://{out}", output_format="parquet"), metadata=READER, timeout=10)
    assert r.output_file_uri == f"file://{out}"
    done = wait_job(pb, ch, r.id)
    assert done.status == pb.J.JOB_STATUS_DONE, open(done.log_uri[7:]).read()
    assert done.type == pb.J.RETRIEVAL_JOB and done.retrieval.output_location == f"file://{out}"
    got = pq.read_table(out).to_pandas().sort_values("driver_id")
    assert len(got) == 4
    exp = latest(server["drv"][server["drv"].event_ts <= T0 + dt.timedelta(hours=7)], ["driver_id"])
    exp = exp[exp.event_ts > T0 + dt.timedelta(hours=6)].set_index("driver_id")  # within max_age
    col = [c for c in got.columns if c.endswith("conv")][0]
    for _, row in got.iterrows():
        k = row.driver_id
        if k in exp.index:
            assert row[col] == exp.loc[k].conv
        else:
            assert pd.isna(row[col])
    # a failing retrieval: status ERROR, the reason in its log
    r = js.GetHistoricalFeatures(pb.J.GetHistoricalFeaturesRequest(
        feature_refs=["drv:conv"], entity_source=file_source(pb, f"file://{tmp_path}/missing.parquet"),
        output_location=str(tmp_path / "o2")), metadata=READER, timeout=10)
    bad = wait_job(pb, ch, r.id)
    assert bad.status == pb.J.JOB_STATUS_ERROR
    assert "missing.parquet" in open(bad.log_uri[7:]).read()


def test_feast_09_ports_carry_their_service_only(pb, loaded):
    core_ch, jobs_ch = grpc.insecure_channel(f"127.0.0.1:{CORE_PORT}"), grpc.insecure_channel(f"127.0.0.1:{JOBS_PORT}")
    try:
        assert pb.CG.CoreServiceStub(core_ch).GetFeastCoreVersion(pb.C.GetFeastCoreVersionRequest(), metadata=READER,
                                                                   timeout=5).version == "0.9.5"
        assert pb.JG.JobServiceStub(jobs_ch).ListJobs(pb.J.ListJobsRequest(include_terminated=True), metadata=READER,
                                                      timeout=5).jobs
        for ch, stub, call, req in ((core_ch, pb.SG.ServingServiceStub, "GetFeastServingInfo",
                                     pb.S.GetFeastServingInfoRequest()),
                                    (core_ch, pb.JG.JobServiceStub, "ListJobs", pb.J.ListJobsRequest()),
                                    (jobs_ch, pb.CG.CoreServiceStub, "ListProjects", pb.C.ListProjectsRequest())):
            code, _ = code_of(getattr(stub(ch), call), req, metadata=READER, timeout=5)
            assert code == grpc.StatusCode.UNIMPLEMENTED, (call, code)
    finally:
        core_ch.close()
        jobs_ch.close()


def test_a_table_applied_through_core_is_served_within_a_second(pb, ch, server, loaded):
    core = pb.CG.CoreServiceStub(ch)
    V = pb.Value.ValueType
    spec = pb.FeatureTable.FeatureTableSpec(name="late", entities=["driver_id"], features=[
        pb.Feature.FeatureSpecV2(name="x", value_type=V.INT64)],
        batch_source=file_source(pb, f"file://{server['root']}/drv/"))
    core.ApplyFeatureTable(pb.C.ApplyFeatureTableRequest(table_spec=spec), metadata=ADMIN, timeout=5)
    t0 = time.time()
    while True:
        try:
            r = online(pb, ch, ["late:x"], [{"driver_id": 1}])
            break
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.NOT_FOUND and time.time() - t0 < 1.0, (e.code(), time.time() - t0)
            time.sleep(0.02)
    assert r.field_values[0].statuses["late:x"] == pb.S.GetOnlineFeaturesResponse.NOT_FOUND
