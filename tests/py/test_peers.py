"""Smoke tests of the real peers (scripts/peers/, tests/py/peers.py): each
is started by the project's scripts and does one real operation with an
independent client - confluent-kafka, boto3, google-cloud-bigquery-storage,
Feast 0.9.5's own SDK, HTTP against the newest Feast's feature server - so a
broken install, start, stop or restart script fails here before the suites
of issues 10-14 depend on it."""
import json
import os
import random
import subprocess
import time
import urllib.request

import pytest

from peers import (PEERS, bigquery_emulator, feast09, feast_serve, kafka, kinesalite,  # noqa: F401
                   moto, moto_auth, read_state, require_installed)


# --- Kafka -----------------------------------------------------------------

def _consume_all(bootstrap, topic, group, expect, timeout=30):
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    c.subscribe([topic])
    got = {}
    deadline = time.time() + timeout
    try:
        while len(got) < expect and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            assert m.error() is None, m.error()
            got[m.key().decode()] = (m.partition(), m.value().decode())
        if got:
            c.commit(asynchronous=False)
        return got
    finally:
        c.close()


def _committed(bootstrap, topic, group, partitions):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        tps = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=20)
        return {tp.partition: tp.offset for tp in tps}
    finally:
        c.close()


def test_kafka_four_partitions_produce_consume_and_survive_kill(kafka):
    from confluent_kafka import Producer
    topic = f"smoke-{random.randrange(1 << 30)}"
    kafka.create_topic(topic, 4)
    sent = {f"k{i}": f"v{i}-{random.random()}" for i in range(200)}
    delivered = {}

    def on_delivery(err, msg):
        assert err is None, err
        delivered[msg.key().decode()] = msg.partition()

    p = Producer({"bootstrap.servers": kafka.bootstrap, "acks": "all", "enable.idempotence": True,
                  "compression.type": "lz4", "linger.ms": 5})
    for k, v in sent.items():
        p.produce(topic, key=k, value=v, on_delivery=on_delivery)
    assert p.flush(30) == 0
    assert len(delivered) == len(sent)
    assert set(delivered.values()) == {0, 1, 2, 3}, "keys should spread over all 4 partitions"

    got = _consume_all(kafka.bootstrap, topic, "smoke-group", len(sent))
    assert {k: v for k, (_, v) in got.items()} == sent
    assert {k: part for k, (part, _) in got.items()} == delivered
    per_partition = {q: sum(1 for part in delivered.values() if part == q) for q in range(4)}
    assert _committed(kafka.bootstrap, topic, "smoke-group", 4) == per_partition

    p = None  # its connections would only log the broker's death
    old_pid = kafka.pid
    kafka.restart(kill=True)
    assert kafka.pid != old_pid
    with pytest.raises(ProcessLookupError):
        os.kill(old_pid, 0)

    # The data and the group's committed offsets survived the crash.
    again = _consume_all(kafka.bootstrap, topic, "smoke-after-kill", len(sent))
    assert {k: v for k, (_, v) in again.items()} == sent
    assert _committed(kafka.bootstrap, topic, "smoke-group", 4) == per_partition
    # And the restarted broker takes new writes.
    p = Producer({"bootstrap.servers": kafka.bootstrap, "acks": "all"})
    p.produce(topic, key="after", value="restart", partition=2)
    assert p.flush(30) == 0


def test_kafka_topics_are_not_auto_created(kafka):
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap})
    name = f"never-created-{random.randrange(1 << 30)}"
    md = admin.list_topics(topic=name, timeout=10)
    assert md.topics[name].error is not None  # UNKNOWN_TOPIC_OR_PART, not a new topic
    assert name not in admin.list_topics(timeout=10).topics


# --- Kinesis and S3 ---------------------------------------------------------

def _kinesis_roundtrip(k, stream, shards=2):
    k.create_stream(StreamName=stream, ShardCount=shards)
    k.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    records = [{"Data": f"payload-{i}".encode(), "PartitionKey": f"pk{i}"} for i in range(20)]
    out = k.put_records(StreamName=stream, Records=records)
    assert out["FailedRecordCount"] == 0
    got = []
    for shard in k.list_shards(StreamName=stream)["Shards"]:
        it = k.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        got += [(r["PartitionKey"], r["Data"]) for r in k.get_records(ShardIterator=it, Limit=1000)["Records"]]
    assert sorted(got) == sorted((r["PartitionKey"], r["Data"]) for r in records)
    return out


def test_kinesalite_stream_put_and_get(kinesalite):
    out = _kinesis_roundtrip(kinesalite.client(), "smoke", shards=4)
    # kinesalite hands out AWS-shaped sequence numbers (56 digits).
    assert all(len(r["SequenceNumber"]) == 56 for r in out["Records"])


def _s3_roundtrip(s3, bucket):
    body = os.urandom(4096)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="dir/part-0.parquet", Body=body)
    assert s3.get_object(Bucket=bucket, Key="dir/part-0.parquet")["Body"].read() == body
    ranged = s3.get_object(Bucket=bucket, Key="dir/part-0.parquet", Range="bytes=100-199")["Body"].read()
    assert ranged == body[100:200]


def test_moto_kinesis_and_s3(moto):
    _kinesis_roundtrip(moto.client("kinesis"), "smoke")
    _s3_roundtrip(moto.client("s3"), "feast-smoke")


def test_moto_auth_verifies_signatures(moto_auth):
    import botocore.exceptions
    _s3_roundtrip(moto_auth.client("s3"), "feast-auth-smoke")
    assert moto_auth.client("kinesis").list_streams()["StreamNames"] == []
    for service, call in (("s3", lambda c: c.list_buckets()), ("kinesis", lambda c: c.list_streams())):
        # a secret that differs: replacing the last character by a fixed one was the same secret 1 time in 64
        good = moto_auth.secret_access_key
        bad = moto_auth.client(service, secret=good[:-1] + ("y" if good[-1] == "x" else "x"))
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call(bad)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        # S3 answers with the code; for Kinesis moto puts an XML ErrorResponse
        # into the message (real Kinesis would send JSON __type).
        assert "SignatureDoesNotMatch" in str(e.value.response["Error"]), e.value.response


# --- BigQuery ----------------------------------------------------------------

def _bq(emu, method, path, body=None):
    req = urllib.request.Request(f"http://{emu.rest}/bigquery/v2{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def test_bigquery_emulator_rest_and_storage_read(bigquery_emulator):
    emu = bigquery_emulator
    P, D, T = emu.project, emu.dataset, f"smoke_{random.randrange(1 << 30)}"
    # INTEGER / FLOAT, not INT64 / FLOAT64: the Storage Read API of the
    # emulator cannot read tables created over REST with the latter.
    _bq(emu, "POST", f"/projects/{P}/datasets/{D}/tables", {
        "tableReference": {"projectId": P, "datasetId": D, "tableId": T},
        "schema": {"fields": [{"name": "driver_id", "type": "INTEGER"}, {"name": "conv_rate", "type": "FLOAT"},
                              {"name": "name", "type": "STRING"}, {"name": "ts", "type": "TIMESTAMP"}]}})
    rows = [{"driver_id": i, "conv_rate": random.random(), "name": f"d{i}", "ts": 1618225182 + i * 0.5}
            for i in range(1, 51)]
    _bq(emu, "POST", f"/projects/{P}/datasets/{D}/tables/{T}/insertAll",
        {"rows": [{"json": r} for r in rows]})
    q = _bq(emu, "POST", f"/projects/{P}/queries", {
        "query": f"SELECT COUNT(*) AS n, SUM(driver_id) AS s FROM `{P}.{D}.{T}` WHERE driver_id > 10",
        "useLegacySql": False})
    assert [c["v"] for c in q["rows"][0]["f"]] == ["40", str(sum(range(11, 51)))]

    import grpc
    from google.cloud.bigquery_storage_v1 import BigQueryReadClient, types
    from google.cloud.bigquery_storage_v1.services.big_query_read.transports import BigQueryReadGrpcTransport
    channel = grpc.insecure_channel(emu.grpc)
    try:
        client = BigQueryReadClient(transport=BigQueryReadGrpcTransport(channel=channel))
        session = client.create_read_session(
            parent=f"projects/{P}", max_stream_count=1,
            read_session=types.ReadSession(table=f"projects/{P}/datasets/{D}/tables/{T}",
                                           data_format=types.DataFormat.AVRO,
                                           read_options={"selected_fields": ["driver_id", "conv_rate", "ts"]}))
        got = []
        for stream in session.streams:
            got += list(client.read_rows(stream.name).rows(session))
    finally:
        channel.close()
    got.sort(key=lambda r: r["driver_id"])
    assert [r["driver_id"] for r in got] == [r["driver_id"] for r in rows]
    assert [r["conv_rate"] for r in got] == pytest.approx([r["conv_rate"] for r in rows])
    assert [r["ts"].timestamp() for r in got] == pytest.approx([r["ts"] for r in rows])
    assert "name" not in got[0]


# --- Feast 0.9.5's SDK ---------------------------------------------------------

def _fields(buf):
    """Protobuf wire decoding without a schema: {field number: [values]},
    varints as ints, length-delimited fields as bytes."""
    out, i = {}, 0

    def varint():
        nonlocal i
        shift = v = 0
        while True:
            b = buf[i]
            i += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v
    while i < len(buf):
        key = varint()
        num, wt = key >> 3, key & 7
        if wt == 0:
            val = varint()
        elif wt == 2:
            n = varint()
            val, i = buf[i:i + n], i + n
        else:
            raise AssertionError(f"unexpected wire type {wt} for field {num}")
        out.setdefault(num, []).append(val)
    return out


FEAST09_CODE = r"""
from feast import Entity, Feature, FeatureTable, FileSource, KafkaSource, ValueType
from feast.data_format import AvroFormat, ParquetFormat
entity = Entity(name="driver_id", description="a driver", value_type=ValueType.INT64)
table = FeatureTable(
    name="driver_stats", entities=["driver_id"],
    features=[Feature("conv_rate", ValueType.FLOAT), Feature("trips", ValueType.INT64)],
    batch_source=FileSource(event_timestamp_column="event_ts", file_format=ParquetFormat(),
                            file_url="file:///data/driver_stats.parquet"),
    stream_source=KafkaSource(event_timestamp_column="event_ts", bootstrap_servers="127.0.0.1:9092",
                              message_format=AvroFormat('{"type":"record","name":"r","fields":[]}'),
                              topic="driver_stats"))
assert FeatureTable.from_proto(table.to_proto()) == table
print(entity.to_proto().SerializeToString().hex())
print(table.to_proto().SerializeToString().hex())
"""


def test_feast095_sdk_builds_and_serializes(feast09):
    entity_hex, table_hex = feast09.run(FEAST09_CODE).split()
    entity = _fields(_fields(bytes.fromhex(entity_hex))[1][0])  # Entity.spec
    assert entity[1] == [b"driver_id"] and entity[2] == [4] and entity[3] == [b"a driver"]  # INT64 = 4

    spec = _fields(_fields(bytes.fromhex(table_hex))[1][0])  # FeatureTable.spec
    assert spec[1] == [b"driver_stats"] and spec[3] == [b"driver_id"]
    assert [(_fields(f)[1][0], _fields(f)[2][0]) for f in spec[4]] == [(b"conv_rate", 6), (b"trips", 4)]
    batch, stream = _fields(spec[7][0]), _fields(spec[8][0])
    assert batch[1] == [1] and batch[3] == [b"event_ts"]  # BATCH_FILE
    assert _fields(batch[11][0])[2] == [b"file:///data/driver_stats.parquet"]
    assert stream[1] == [3]  # STREAM_KAFKA
    kafka_opts = _fields(stream[13][0])
    assert kafka_opts[1] == [b"127.0.0.1:9092"] and kafka_opts[2] == [b"driver_stats"]
    assert b'"name":"r"' in _fields(_fields(kafka_opts[3][0])[1][0])[1][0]  # AvroFormat.schema_json


# --- the newest Feast's Python feature server ----------------------------------

def test_newest_feast_serve_answers_get_online_features(feast_serve):
    ids = [1, 7, feast_serve.rows, feast_serve.rows + 1000]
    req = urllib.request.Request(
        f"{feast_serve.url}/get-online-features", method="POST",
        data=json.dumps({"features": ["driver_stats:conv_rate", "driver_stats:trips"],
                         "entities": {"driver_id": ids}}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        doc = json.loads(r.read())
    names = doc["metadata"]["feature_names"]
    cols = {n: res for n, res in zip(names, doc["results"])}
    assert cols["driver_id"]["values"] == ids
    assert cols["trips"]["values"] == [10 * i for i in ids[:3]] + [None]
    assert cols["conv_rate"]["values"][:3] == pytest.approx([i / 1000 for i in ids[:3]], rel=1e-6)
    assert cols["trips"]["statuses"] == ["PRESENT"] * 3 + ["NOT_FOUND"]


# --- the scripts' own lifecycle -------------------------------------------------

@pytest.mark.parametrize("peer", ["kinesalite", "moto"])
def test_start_is_idempotent_and_stop_frees_everything(peer, tmp_path):
    require_installed(peer)
    state = str(tmp_path / f"{peer}.state")
    start = lambda: subprocess.run(["bash", str(PEERS / f"start-{peer}.sh"), "--state", state],  # noqa: E731
                                   capture_output=True, text=True, timeout=120, check=True).stdout.strip()
    url = start()
    st = read_state(state)
    pid, port, data_dir = int(st["PID"]), int(st["PORT"]), st["DIR"]
    assert url == f"http://127.0.0.1:{port}"
    assert start() == url  # a second start reports the running server
    subprocess.run(["bash", str(PEERS / f"stop-{peer}.sh"), "--state", state], timeout=60, check=True)
    assert not os.path.exists(state) and not os.path.exists(data_dir)
    zombie_or_gone = True
    try:
        with open(f"/proc/{pid}/stat") as f:
            zombie_or_gone = f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        pass
    assert zombie_or_gone, f"pid {pid} still runs after stop"
    import socket
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still accepts connections"
