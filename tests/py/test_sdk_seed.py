"""The seed document's Python (shared/seed/sources.md) runs as written.

Every ```python block is extracted and run verbatim, in order, in one
namespace (the last block uses BigQuerySource and KinesisSource without
importing them: they are imported first). The seed's
KinesisSource(bootstrap_servers=...) is a TypeError on Feast 0.9.5 itself;
ours warns that it means nothing for Kinesis and builds the source. The
objects are then put into feature tables and applied through the client,
embedded and remote, where they register and validate; with the source
check on, the engine's message names what it cannot read."""
import os
import re
import warnings
from pathlib import Path

import pytest

import sdk_env  # noqa: F401  (puts sdk/python first)
import feast
from feast import Client, Entity, Feature, FeatureTable, ValueType
from feast.errors import FeastError

SEED = Path(os.environ.get("FEAST_SEED", sdk_env.ROOT.parent / "shared" / "seed" / "sources.md"))


def seed_blocks():
    if not SEED.exists():
        pytest.fail(f"the seed document is not at {SEED} (set FEAST_SEED)")
    blocks = re.findall(r"```python\n(.*?)```", SEED.read_text(), re.S)
    assert len(blocks) == 3, "the seed has three Python blocks"
    return blocks


def run_seed():
    ns = {}
    exec("from feast import BigQuerySource, KinesisSource", ns)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for block in seed_blocks():
            exec(compile(block, str(SEED), "exec"), ns)
    return ns, caught


def test_seed_blocks_run_verbatim():
    ns, caught = run_seed()
    f = ns["batch_file_source"]
    assert isinstance(f, feast.FileSource) and f.file_options.file_url == "file:///feast/customer.parquet"
    assert isinstance(f.file_options.file_format, feast.ParquetFormat)
    assert (f.event_timestamp_column, f.created_timestamp_column) == ("event_timestamp", "created_timestamp")
    k = ns["stream_kafka_source"]
    assert isinstance(k, feast.KafkaSource) and k.kafka_options.topic == "driver_trips"
    assert k.kafka_options.bootstrap_servers == "localhost:9094"
    assert k.kafka_options.message_format == feast.ProtoFormat(class_path="class.path")
    bq = ns["batch_bigquery_source"]
    assert isinstance(bq, feast.BigQuerySource) and bq.bigquery_options.table_ref == "gcp_project:bq_dataset.bq_table"
    kn = ns["stream_kinesis_source"]
    assert isinstance(kn, feast.KinesisSource)
    assert (kn.kinesis_options.region, kn.kinesis_options.stream_name) == ("us-east-1", "driver_trips")
    assert kn.kinesis_options.record_format.class_path == "class.path"
    warned = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(warned) == 1 and "bootstrap_servers" in warned[0] and "Kinesis" in warned[0]
    # The Kinesis source carries no trace of the argument.
    assert "9094" not in str(kn.to_dict())


def seed_tables(ns):
    features = [Feature("trips_today", ValueType.INT64), Feature("rating", ValueType.FLOAT)]
    return [
        Entity("customer_id", "a customer", ValueType.INT64),
        Entity("driver_id", "a driver", ValueType.INT64),
        FeatureTable("customer_trips", ["customer_id"], features, batch_source=ns["batch_file_source"],
                     stream_source=ns["stream_kafka_source"], labels={"from": "seed"}),
        FeatureTable("driver_trips", ["driver_id"], features, batch_source=ns["batch_bigquery_source"],
                     stream_source=ns["stream_kinesis_source"]),
    ]


def check_registered(client, objects):
    assert sorted(e.name for e in client.list_entities()) == ["customer_id", "driver_id"]
    for t in objects[2:]:
        got = client.get_feature_table(t.name)
        assert got == t and got.revision == 1
        assert got.to_dict()["spec"] == t.to_dict()["spec"]
        assert type(got.batch_source) is type(t.batch_source)
        assert type(got.stream_source) is type(t.stream_source)


def test_seed_objects_apply_embedded(tmp_path):
    ns, _ = run_seed()
    objects = seed_tables(ns)
    client = Client(repo_path=str(tmp_path))
    client.apply(objects)
    check_registered(client, objects)
    # Applying them again changes nothing.
    client.apply(objects)
    assert client.get_feature_table("customer_trips").revision == 1
    # With the source check, the engine says what it cannot read: every problem, each named.
    t = FeatureTable("checked", ["customer_id"], [Feature("rating", ValueType.FLOAT)],
                     batch_source=ns["batch_file_source"], stream_source=ns["stream_kafka_source"])
    with pytest.raises(FeastError) as e:
        client.apply(t, check_sources=True)
    msg = e.value.message
    assert e.value.code_name == "VALIDATION"
    assert "/feast/customer.parquet" in msg and "descriptor" in msg.lower(), msg
    # A Core rule the seed's objects keep, broken on purpose: reserved feature names.
    bad = FeatureTable("bad", ["customer_id"], [Feature("event_timestamp", ValueType.INT64)],
                       batch_source=ns["batch_file_source"])
    with pytest.raises(FeastError) as e:
        client.apply(bad)
    assert "event_timestamp" in e.value.message
    client.close()


def test_seed_objects_apply_remote(tmp_path):
    ns, _ = run_seed()
    objects = seed_tables(ns)
    server = sdk_env.remote_server(tmp_path)
    try:
        client = Client(core_url=server.url, serving_url=server.url, job_service_url=server.url)
        client.apply(objects)
        check_registered(client, objects)
        with pytest.raises(FeastError) as e:
            client.get_feature_table("nope")
        assert e.value.code_name == "NOT_FOUND" and "nope" in e.value.message
        import grpc
        assert isinstance(e.value, grpc.RpcError)  # as Feast 0.9 raised
        client.close()
    finally:
        server.stop()
