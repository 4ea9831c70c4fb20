"""The real Feast 0.9.5 Python SDK (its own venv: tests/py/feast09_venv.py)
against `build/feast serve`: Client(core_url=..., serving_url=...,
job_service_url=...) applies entities and feature tables, lists and gets
them, starts a batch ingestion job, reads online features and runs a
historical retrieval, and gets what Feast 0.9 would have returned (values
from pandas' latest row per key of the Parquet the table reads).

The server runs unauthenticated on loopback: Feast 0.9.5's client sends no
metadata on StartOfflineToOnlineIngestionJob, ListJobs and GetJob, so a
token could not reach those calls. Port: 46031."""
import datetime as dt
import json
import os
import signal
import subprocess

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from feast09_venv import feast09  # noqa: F401  (pytest fixture)
from test_serve_grpc import FEAST, T0, make_data, wait_port

PORT = 46031

CODE = r'''
import datetime as dt, json, sys, time
import grpc
from google.protobuf.duration_pb2 import Duration
from feast import Client, Entity, Feature, FeatureTable, FileSource, ValueType
from feast.data_format import ParquetFormat
from feast.pyspark.abc import SparkJobStatus
root, url = sys.argv[1], sys.argv[2]
c = Client(core_url=url, serving_url=url, job_service_url=url)
out = {}
out["version"] = c.version()
driver = Entity(name="driver_id", value_type=ValueType.INT64, description="a driver", labels={"team": "a"})
customer = Entity(name="customer_id", description="", value_type=ValueType.STRING)
drv = FeatureTable(name="drv", entities=["driver_id"],
                   features=[Feature("conv", ValueType.DOUBLE), Feature("trips", ValueType.INT64)],
                   batch_source=FileSource(event_timestamp_column="event_ts", created_timestamp_column="created_ts",
                                           file_format=ParquetFormat(), file_url="file://" + root + "/drv/"))
c.apply([driver, customer])
c.apply(drv)
out["entities"] = sorted(e.name for e in c.list_entities())
e = c.get_entity("driver_id")
out["entity"] = [e.name, str(e.value_type), e.description, dict(e.labels)]
out["tables"] = [t.name for t in c.list_feature_tables()]
t = c.get_feature_table("drv")
out["table"] = [t.name, list(t.entities), [(f.name, f.dtype.name) for f in t.features],
                t.batch_source.file_options.file_url, t.batch_source.created_timestamp_column]
out["features"] = sorted(str(k) for k in c.list_features_by_ref().keys())
out["projects"] = c.list_projects()
job = c.start_offline_to_online_ingestion(drv, dt.datetime(2021, 1, 1), dt.datetime(2022, 1, 1))
for _ in range(600):
    st = job.get_status()
    if st in (SparkJobStatus.COMPLETED, SparkJobStatus.FAILED):
        break
    time.sleep(0.1)
out["ingest_status"] = st.name
resp = c.get_online_features(["drv:conv", "drv:trips"], [{"driver_id": k} for k in (1, 2, 3, 999999)])
out["online"] = resp.to_dict()
out["online_statuses"] = [dict((k, v) for k, v in fv.statuses.items()) for fv in resp.field_values]
try:
    c.get_online_features(["nope:x"], [{"driver_id": 1}])
    out["unknown_table"] = None
except grpc.RpcError as e:
    out["unknown_table"] = str(e)
ents = FileSource(event_timestamp_column="event_timestamp", file_format=ParquetFormat(),
                  file_url="file://" + root + "/entities.parquet")
hj = c.get_historical_features(["drv:conv", "drv:trips"], ents, output_location="file://" + root + "/training")
out["hist_uri"] = hj.get_output_file_uri(timeout_sec=60)
out["jobs"] = sorted((j.get_status().name) for j in c.list_jobs(include_terminated=True))
print(json.dumps(out, default=str))
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("sdk")
    drv, _ = make_data(root, np.random.default_rng(21))
    (root / "feature_store.yaml").write_text("project: default\nregistry: registry.db\n"
                                             "online_store: {type: lmdb, path: online}\n")
    ent = pd.DataFrame({"driver_id": [1, 2, 3], "event_timestamp": pd.to_datetime([T0 + dt.timedelta(hours=7)] * 3,
                                                                                   utc=True)})
    pq.write_table(pa.Table.from_pandas(ent, preserve_index=False), root / "entities.parquet")
    env = dict(os.environ, FEAST_SERVE_JOBS_DIR=str(root / "jobs"))
    proc = subprocess.Popen([FEAST, "serve", "--grpc-port", str(PORT), "--http-port", "0", "--config",
                             str(root / "feature_store.yaml")], stdout=subprocess.DEVNULL,
                            stderr=open(root / "serve.err", "a"), env=env)
    try:
        wait_port(PORT, proc)
        yield root, drv
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0, (root / "serve.err").read_text()[-5000:]


def test_feast_095_sdk_against_feast_serve(feast09, server):
    root, drv = server
    out = json.loads(feast09.run(CODE.replace("sys.argv[1], sys.argv[2]", f"{str(root)!r}, '127.0.0.1:{PORT}'")))
    assert out["entities"] == ["customer_id", "driver_id"]
    assert out["entity"] == ["driver_id", "INT64", "a driver", {"team": "a"}]
    assert out["tables"] == ["drv"]
    assert out["table"] == ["drv", ["driver_id"], [["conv", "DOUBLE"], ["trips", "INT64"]],
                            f"file://{root}/drv/", "created_ts"]
    assert "default" in out["projects"]
    assert out["features"] == ["FeatureRef<drv:conv>", "FeatureRef<drv:trips>"]
    assert out["version"]["core"]["version"] == "0.9.5" and out["version"]["serving"]["version"]
    assert out["ingest_status"] == "COMPLETED"
    exp = drv.sort_values(["event_ts", "created_ts"]).groupby("driver_id").tail(1).set_index("driver_id")
    on = out["online"]
    assert on["driver_id"] == [1, 2, 3, 999999]
    for i, k in enumerate([1, 2, 3]):
        assert on["drv:conv"][i] == exp.loc[k].conv and on["drv:trips"][i] == exp.loc[k].trips
        assert out["online_statuses"][i]["drv:conv"] == 1  # PRESENT
    assert on["drv:conv"][3] is None and out["online_statuses"][3]["drv:conv"] == 3  # NOT_FOUND
    assert "Unable to find FeatureTable default/nope" in out["unknown_table"]
    assert out["hist_uri"] == f"file://{root}/training"
    got = pq.read_table(root / "training").to_pandas().sort_values("driver_id")
    asof = drv[drv.event_ts <= T0 + dt.timedelta(hours=7)].sort_values(["event_ts", "created_ts"])
    asof = asof.groupby("driver_id").tail(1).set_index("driver_id")
    col = [c for c in got.columns if c.endswith("conv")][0]
    assert list(got[col]) == [asof.loc[k].conv for k in (1, 2, 3)]
    assert out["jobs"] == ["COMPLETED", "COMPLETED"]
