"""Our objects against Feast 0.9.5's own SDK (its own virtualenv, run as a
subprocess): the same construction code runs on both sides; the objects
serialize to the same protobuf bytes, give the same to_dict() and to_yaml()
documents, and each side reads the other's to_proto() bytes back as it
reads its own (ours exactly; 0.9.5's from_proto/to_proto pair adds empty
meta timestamps, to our bytes and its own alike). Feast 0.9.5's KinesisSource
refuses the seed's bootstrap_servers with TypeError; ours takes it."""
import json
import os
import subprocess
import sys

import pytest
import yaml

import sdk_env
from feast09_venv import feast09  # noqa: F401  (pytest fixture)

# Construction code valid for both SDKs; each case names the object it builds.
PRELUDE = """
from feast import Entity, Feature, FeatureTable, ValueType, FileSource, BigQuerySource, KafkaSource, KinesisSource
from feast.data_format import ParquetFormat, AvroFormat, ProtoFormat
from google.protobuf.duration_pb2 import Duration
AVRO = '{"type":"record","name":"Trip","fields":[{"name":"driver_id","type":"long"}]}'
file_src = FileSource(event_timestamp_column="datetime", created_timestamp_column="created",
                      file_format=ParquetFormat(), file_url="file:///data/driver_trips",
                      field_mapping={"rating": "driver_rating", "a": "b"}, date_partition_column="date")
bq_src = BigQuerySource(event_timestamp_column="event_timestamp", table_ref="gcp_project:bq_dataset.bq_table",
                        created_timestamp_column="created_timestamp")
kafka_src = KafkaSource(bootstrap_servers="localhost:9094", message_format=ProtoFormat(class_path="class.path"),
                        topic="driver_trips", event_timestamp_column="event_timestamp",
                        created_timestamp_column="created_timestamp")
kafka_avro = KafkaSource(event_timestamp_column="ts", bootstrap_servers="k:1", message_format=AvroFormat(AVRO),
                         topic="t", field_mapping={"x": "y"})
kinesis_src = KinesisSource(event_timestamp_column="event_timestamp", created_timestamp_column="",
                            record_format=ProtoFormat(class_path="com.example.Trip"), region="us-east-1",
                            stream_name="driver_trips")
kinesis_avro = KinesisSource("ts", "created", AvroFormat(AVRO), "eu-west-1", "s")
features = [Feature("average_daily_rides", ValueType.FLOAT), Feature("rating", ValueType.DOUBLE, labels={"pii": "no"}),
            Feature("tags", ValueType.STRING_LIST), Feature("raw", ValueType.BYTES), Feature("ok", ValueType.BOOL),
            Feature("n32", ValueType.INT32_LIST)]
CASES = {
    "entity": Entity(name="driver_id", description="Driver identifier", value_type=ValueType.INT64,
                     labels={"team": "matchmaking", "z": "1"}),
    "entity_plain": Entity("customer_id", "", ValueType.STRING),
    "entity_bytes": Entity("key", "k", ValueType.BYTES),
    "table": FeatureTable(name="driver_trips", entities=["driver_id"], features=features, batch_source=file_src,
                          stream_source=kafka_src, max_age=Duration(seconds=3600), labels={"team": "driver_matching"}),
    "table_bq_kinesis": FeatureTable("t2", ["driver_id", "customer_id"], features[:2], batch_source=bq_src,
                                     stream_source=kinesis_src, max_age=Duration(seconds=86400, nanos=500000000)),
    "table_avro": FeatureTable("t3", ["e"], [Feature("f", ValueType.INT64)], batch_source=file_src,
                               stream_source=kafka_avro),
    "table_kinesis_avro": FeatureTable("t4", ["e"], [Feature("f", ValueType.FLOAT_LIST)], batch_source=file_src,
                                       stream_source=kinesis_avro),
    "table_minimal": FeatureTable("t5", ["e"], [Feature("f", ValueType.BOOL_LIST)], batch_source=bq_src),
    "source_file": file_src, "source_bq": bq_src, "source_kafka": kafka_src, "source_kafka_avro": kafka_avro,
    "source_kinesis": kinesis_src, "source_kinesis_avro": kinesis_avro,
    "feature": features[1],
    "format_parquet": ParquetFormat(), "format_proto": ProtoFormat("a.b.C"), "format_avro": AvroFormat(AVRO),
}
"""

# Writes each case's bytes, dict and YAML; then, for the peer's bytes, reads
# them with from_proto and writes the bytes of the object that gives.
SIDE = PRELUDE + r"""
import json, sys
from feast.core.Entity_pb2 import Entity as EntityProto
from feast.core.FeatureTable_pb2 import FeatureTable as TableProto
from feast.core.DataSource_pb2 import DataSource as SourceProto
from feast.core.Feature_pb2 import FeatureSpecV2 as FeatureProto
from feast.core.DataFormat_pb2 import FileFormat as FileFormatProto, StreamFormat as StreamFormatProto
from feast.data_source import DataSource
from feast.data_format import FileFormat, StreamFormat

def kind(name):
    if name.startswith("entity"): return Entity, EntityProto
    if name.startswith("table"): return FeatureTable, TableProto
    if name.startswith("source"): return DataSource, SourceProto
    if name == "feature": return Feature, FeatureProto
    if name == "format_parquet": return FileFormat, FileFormatProto
    return StreamFormat, StreamFormatProto

peer = json.load(sys.stdin)
out = {}
for name, obj in CASES.items():
    d = {"bytes": obj.to_proto().SerializeToString(deterministic=True).hex()}
    if hasattr(obj, "to_dict") and not name.startswith("source"):
        d["dict"] = obj.to_dict()
    if hasattr(obj, "to_yaml"):
        d["yaml"] = obj.to_yaml()
    cls, proto_cls = kind(name)
    own = cls.from_proto(proto_cls.FromString(bytes.fromhex(d["bytes"])))
    d["self_read_back"] = own.to_proto().SerializeToString(deterministic=True).hex()
    if name in peer:
        back = cls.from_proto(proto_cls.FromString(bytes.fromhex(peer[name])))
        d["read_back"] = back.to_proto().SerializeToString(deterministic=True).hex()
        if name.startswith("table") or name.startswith("entity"):
            d["equal_after_read"] = (back == obj)
    out[name] = d
print(json.dumps(out))
"""


def run_ours(peer):
    env = dict(os.environ, PYTHONPATH=str(sdk_env.ROOT / "sdk" / "python"))
    p = subprocess.run([sys.executable, "-c", SIDE], input=json.dumps(peer), capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_same_bytes_dicts_and_yaml(feast09):
    theirs = json.loads(feast09.run(SIDE, stdin="{}"))
    ours = run_ours({})
    assert sorted(ours) == sorted(theirs)
    for name in ours:
        assert ours[name]["bytes"] == theirs[name]["bytes"], f"{name}: to_proto() bytes differ"
        if "dict" in theirs[name]:
            assert ours[name]["dict"] == theirs[name]["dict"], f"{name}: to_dict() differs"
        if "yaml" in theirs[name]:
            assert yaml.safe_load(ours[name]["yaml"]) == yaml.safe_load(theirs[name]["yaml"]), f"{name}: to_yaml()"


def test_each_reads_the_others_bytes(feast09):
    theirs = json.loads(feast09.run(SIDE, stdin="{}"))
    ours = run_ours({})
    ours_read = run_ours({n: v["bytes"] for n, v in theirs.items()})
    theirs_read = json.loads(feast09.run(SIDE, stdin=json.dumps({n: v["bytes"] for n, v in ours.items()})))
    for name in ours:
        # ours: reading and writing back is exact, for 0.9.5's bytes as for our own
        assert ours[name]["self_read_back"] == ours[name]["bytes"], f"{name}: our round trip changed the bytes"
        assert ours_read[name]["read_back"] == theirs[name]["bytes"], f"{name}: ours read 0.9.5's bytes differently"
        # 0.9.5 reads our bytes as it reads its own (its from_proto/to_proto pair is not exact: it
        # turns an absent meta timestamp into an empty one)
        assert theirs_read[name]["read_back"] == theirs[name]["self_read_back"], f"{name}: 0.9.5 read ours differently"
        if "equal_after_read" in ours_read[name]:
            assert ours_read[name]["equal_after_read"], f"{name}: ours, read from 0.9.5's bytes, is not equal"


SEED_KINESIS = """
from feast import KinesisSource
from feast.data_format import ProtoFormat
try:
    KinesisSource(bootstrap_servers="localhost:9094", record_format=ProtoFormat(class_path="class.path"),
                  region="us-east-1", stream_name="driver_trips", event_timestamp_column="event_timestamp",
                  created_timestamp_column="created_timestamp")
    print("built")
except TypeError as e:
    print("TypeError", e)
"""


def test_the_seeds_kinesis_source(feast09):
    assert feast09.run(SEED_KINESIS).startswith("TypeError")
    env = dict(os.environ, PYTHONPATH=str(sdk_env.ROOT / "sdk" / "python"))
    p = subprocess.run([sys.executable, "-W", "always", "-c", SEED_KINESIS], capture_output=True, text=True, env=env)
    assert p.stdout.strip() == "built" and "bootstrap_servers means nothing" in p.stderr


FEAST09_CLIENT = """
import datetime as dt, json, sys
from feast import Client, Entity, Feature, FeatureTable, FileSource, ValueType
from feast.data_format import ParquetFormat
from google.protobuf.duration_pb2 import Duration
url, data = sys.argv[1], sys.argv[2]
client = Client(core_url=url, serving_url=url, telemetry=False)
client.apply(Entity(name="driver_id", description="Driver identifier", value_type=ValueType.INT64))
client.apply(FeatureTable(name="driver_trips", entities=["driver_id"], features=[Feature("rating", ValueType.DOUBLE)],
                          max_age=Duration(seconds=86400 * 365 * 100),
                          batch_source=FileSource(event_timestamp_column="datetime", created_timestamp_column="created",
                                                  file_format=ParquetFormat(), file_url="file://" + data)))
out = {"tables": [t.name for t in client.list_feature_tables()],
       "entity": client.get_entity("driver_id").to_dict()["spec"],
       "projects": client.list_projects()}
print(json.dumps(out))
"""

FEAST09_ONLINE = """
import json, sys
from feast import Client
client = Client(core_url=sys.argv[1], serving_url=sys.argv[1], telemetry=False)
r = client.get_online_features(["driver_trips:rating"], [{"driver_id": 1001}, {"driver_id": 7}])
print(json.dumps({"dict": r.to_dict(), "statuses": [dict(fv.statuses) for fv in r.field_values]}))
"""


def test_feast09s_own_client_talks_to_our_protocol(feast09, tmp_path):
    """Feast 0.9.5's Client (its generated stubs) against a server built on
    our protos (the test server now, `feast serve` when it lands): apply,
    list, get, and an online read with its statuses."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from feast import Client

    data = tmp_path / "driver_trips"
    data.mkdir()
    t0 = dt.datetime(2021, 4, 12, tzinfo=dt.timezone.utc)
    pq.write_table(pa.table({"driver_id": pa.array([1001], pa.int64()),
                             "datetime": pa.array([t0], pa.timestamp("us", tz="UTC")),
                             "created": pa.array([t0], pa.timestamp("us", tz="UTC")),
                             "rating": [4.5]}), data / "part-0.parquet")
    server = sdk_env.remote_server(tmp_path)
    try:
        env = dict(os.environ, FEAST_TELEMETRY="False")
        env.pop("PYTHONPATH", None)

        def run(code, *args):
            p = subprocess.run([feast09.python, "-c", code, *args], capture_output=True, text=True, env=env,
                               timeout=120)
            assert p.returncode == 0, p.stderr
            return json.loads(p.stdout)

        got = run(FEAST09_CLIENT, server.url, str(data))
        assert got["tables"] == ["driver_trips"] and got["projects"] == ["default"]
        assert got["entity"] == {"name": "driver_id", "valueType": "INT64", "description": "Driver identifier"}
        ours = Client(core_url=server.url, serving_url=server.url, job_service_url=server.url)
        ours.start_offline_to_online_ingestion("driver_trips", dt.datetime(2021, 1, 1), dt.datetime(2022, 1, 1))
        ours.close()
        online = run(FEAST09_ONLINE, server.url)
        assert online["dict"] == {"driver_id": [1001, 7], "driver_trips:rating": [4.5, None]}
        assert [s["driver_trips:rating"] for s in online["statuses"]] == [1, 3]  # PRESENT, NOT_FOUND
    finally:
        server.stop()
