"""One scenario written the way Feast 0.9's documentation writes it (apply,
ingest, offline-to-online ingestion, online read, historical retrieval,
list, delete), run embedded (Client(repo_path=...)) and remote
(Client(core_url=..., serving_url=..., job_service_url=...) against the
`build/feast serve`, started by sdk_env.remote_server). Both must give the same results, and those results are checked
against values computed here from the rows the scenario wrote."""
import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sdk_env

from feast import Client, Entity, Feature, FeatureTable, FileSource, ValueType  # noqa: E402
from feast.data_format import ParquetFormat  # noqa: E402
from google.protobuf.duration_pb2 import Duration  # noqa: E402

# Event times relative to now: remote online reads measure ages from now.
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
T = [NOW - dt.timedelta(hours=h) for h in (5, 3, 2, 1)]


def driver_df():
    return pd.DataFrame({
        "driver_id": [1001, 1002, 1001, 1003, 1002],
        "datetime": pd.to_datetime([T[0], T[1], T[2], T[3], T[0]], utc=True),
        "created": pd.to_datetime([T[0], T[1], T[2], T[3], T[0]], utc=True),
        "average_daily_rides": [10.0, 20.0, 11.0, 30.0, 19.0],
        "rating": [4.5, 3.5, 4.6, 5.0, 3.4],
    }).astype({"average_daily_rides": "float32", "rating": "float32"})


def scenario(client, data_dir):
    """Feast 0.9's documented flow; returns what it read back."""
    out = {}
    driver_id = Entity(name="driver_id", description="Driver identifier", value_type=ValueType.INT64)
    average_daily_rides = Feature("average_daily_rides", ValueType.FLOAT)
    rating = Feature("rating", ValueType.FLOAT)
    driver_ft = FeatureTable(
        name="driver_trips",
        entities=["driver_id"],
        features=[average_daily_rides, rating],
        max_age=Duration(seconds=2 * 3600 + 1800),
        labels={"team": "driver_matching"},
        batch_source=FileSource(
            event_timestamp_column="datetime",
            created_timestamp_column="created",
            file_format=ParquetFormat(),
            file_url=f"file://{data_dir}/driver_trips",
        ),
    )
    client.apply(driver_id)
    client.apply(driver_ft)
    client.ingest(driver_ft, driver_df())
    job = client.start_offline_to_online_ingestion(driver_ft, dt.datetime(2020, 1, 1),
                                                   (NOW + dt.timedelta(days=1)).replace(tzinfo=None))
    out["ingestion_status"] = job.wait().name
    online = client.get_online_features(
        feature_refs=["driver_trips:average_daily_rides", "driver_trips:rating"],
        entity_rows=[{"driver_id": 1001}, {"driver_id": 1002}, {"driver_id": 1003}, {"driver_id": 4242}])
    out["online"] = online.to_dict()
    status_name = type(online.proto).FieldStatus.Name
    out["statuses"] = [{k: status_name(v) for k, v in fv.statuses.items()} for fv in online.field_values]
    entity_df = pd.DataFrame({"driver_id": [1001, 1002, 1003],
                              "event_timestamp": pd.to_datetime([T[1], T[1], T[1]], utc=True)})
    retrieval = client.get_historical_features(
        feature_refs=["driver_trips:average_daily_rides", "driver_trips:rating"], entity_source=entity_df,
        output_location=f"{data_dir}/training")
    out["training"] = pq.read_table(retrieval.get_output_file_uri()).sort_by("driver_id").to_pydict()
    out["jobs"] = sorted(type(j).__name__.replace("Remote", "").replace("Local", "")
                         for j in client.list_jobs(include_terminated=True))
    out["tables"] = [t.name for t in client.list_feature_tables()]
    out["table"] = client.get_feature_table("driver_trips").to_dict()["spec"]
    out["entities"] = [e.to_dict()["spec"] for e in client.list_entities()]
    out["projects"] = client.list_projects()
    client.delete_feature_table("driver_trips")
    out["after_delete"] = [t.name for t in client.list_feature_tables()]
    return out


def expected():
    """What the scenario must read, from the rows it wrote."""
    r = lambda x: float(pa.array([x], pa.float32())[0].as_py())  # noqa: E731  (FLOAT features)
    return {
        # the latest row per driver; 1002's latest is 3 h old, past max_age (2.5 h): OUTSIDE_MAX_AGE
        "online": {"driver_id": [1001, 1002, 1003, 4242],
                   "driver_trips:average_daily_rides": [11.0, None, 30.0, None],
                   "driver_trips:rating": [r(4.6), None, 5.0, None]},
        "statuses": ["PRESENT", "OUTSIDE_MAX_AGE", "PRESENT", "NOT_FOUND"],
        # as of T[1] (3 h ago): 1001's row of 5 h ago (2 h before, within max_age), 1002's of that
        # moment (its row of 5 h ago is older), 1003 has none yet (its row is of 1 h ago)
        "training": {"driver_id": [1001, 1002, 1003],
                     "driver_trips__average_daily_rides": [10.0, 20.0, None],
                     "driver_trips__rating": [r(4.5), r(3.5), None]},
    }


def check(out, data_dir):
    want = expected()
    assert out["ingestion_status"] == "COMPLETED"
    assert out["online"] == want["online"]
    assert [s["driver_trips:rating"] for s in out["statuses"]] == want["statuses"]
    assert [s["driver_id"] for s in out["statuses"]] == ["PRESENT"] * 4
    tr = out["training"]
    assert tr["driver_id"] == want["training"]["driver_id"]
    for col in ("driver_trips__average_daily_rides", "driver_trips__rating"):
        assert tr[col] == want["training"][col], col
    assert out["tables"] == ["driver_trips"] and out["after_delete"] == []
    assert out["table"]["maxAge"] == "9000s" and out["table"]["labels"] == {"team": "driver_matching"}
    assert out["entities"] == [{"name": "driver_id", "valueType": "INT64", "description": "Driver identifier"}]
    assert "RetrievalJob" in out["jobs"] and "BatchIngestionJob" in out["jobs"]


def normalize(out, data_dir):
    """Results with the run's folder replaced, so two runs compare."""
    import json
    return json.loads(json.dumps(out, default=str).replace(str(data_dir), "<DATA>"))


@pytest.fixture(scope="module")
def embedded_result(tmp_path_factory):
    repo = tmp_path_factory.mktemp("embedded")
    client = Client(repo_path=str(repo))
    try:
        out = scenario(client, repo)
    finally:
        client.close()
    return out, repo


def test_embedded(embedded_result):
    check(*embedded_result)


def test_remote_gives_the_same_results(embedded_result, tmp_path):
    server = sdk_env.remote_server(tmp_path)
    try:
        client = Client(core_url=server.url, serving_url=server.url, job_service_url=server.url)
        out = scenario(client, tmp_path)
        client.close()
    finally:
        server.stop()
    check(out, tmp_path)
    assert normalize(out, tmp_path) == normalize(*embedded_result)
