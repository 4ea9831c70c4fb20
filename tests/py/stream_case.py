"""A stream test case for the Kafka tests: Protobuf messages written by
Python protobuf from protoc-generated code (an encoder independent of
ours), a feature repository whose table reads them, the good rows as
Parquet, and the expected online state computed from that Parquet by DuckDB
(latest (event, created) row per key), never by our code.

Rows: keys 1..n_keys (never 0: proto3 drops a 0 from the wire), event times
on a coarse grid so that many tie, broken by distinct created times; rows
arrive out of order and late; ratings sometimes null; and a share of bad
messages: bytes that are not a Trip (truncated, wrong wire type, bad
length), and Trips without an entity key or without an event time (the row
rules reject those)."""
import datetime as dt
import importlib
import os
import random
import subprocess
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

PROTO = """syntax = "proto3";
package feast.streamtest;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
message Trip {
  int64 driver_id = 1;
  google.protobuf.Timestamp event_ts = 2;
  google.protobuf.Timestamp created_ts = 3;
  google.protobuf.DoubleValue rating = 4;
  int64 trips = 5;
  string name = 6;
  repeated int64 tags = 7;
  string note = 8;
}
"""

T0 = dt.datetime(2021, 4, 12, tzinfo=dt.timezone.utc)
FEATURES = ["rating", "trips", "name", "tags"]
UNDECODABLE = [b"\x08", b"\x0a\x05abc", b"\x08\x01\x32\x09\x08", b"\x0f\x01", b"\x32\xff\xff\xff\xff\x0f"]


def compile_proto(work):
    """protoc: Python classes and the descriptor set. Returns (module, descriptor set path)."""
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "trip.proto"), "w") as f:
        f.write(PROTO)
    desc = os.path.join(work, "trip.pb")
    subprocess.run(["protoc", f"-I{work}", "-I/usr/include", f"--python_out={work}",
                    f"--descriptor_set_out={desc}", "--include_imports", os.path.join(work, "trip.proto")],
                   check=True)
    sys.path.insert(0, work)
    try:
        mod = importlib.import_module("trip_pb2")
        mod = importlib.reload(mod)
    finally:
        sys.path.remove(work)
    return mod, desc


def make_rows(rng, n, n_keys, bad_share=0.01):
    """n messages: dicts for good rows, ("bad", bytes, cause) for bad ones."""
    out = []
    created_seq = 0
    for i in range(n):
        r = rng.random()
        if r < bad_share:
            out.append(("undecodable", rng.choice(UNDECODABLE)))
            continue
        created_seq += 1
        key = rng.randrange(1, n_keys + 1)
        ev = T0 + dt.timedelta(seconds=rng.randrange(0, 200) * 60)  # coarse: ties
        created = ev + dt.timedelta(microseconds=created_seq)  # ties broken, never equal
        row = dict(driver_id=key, event_ts=ev, created_ts=created,
                   rating=None if rng.random() < 0.1 else round(rng.uniform(0, 5), 3),
                   trips=rng.randrange(0, 10 ** 9), name=f"n{i}-{rng.randrange(10 ** 6)}",
                   tags=[rng.randrange(-100, 100) for _ in range(rng.randrange(0, 4))])
        if r < bad_share * 1.5:
            row["no_key"] = True  # decodes; the row rule rejects it
        elif r < bad_share * 2:
            row["no_event"] = True
        out.append(row)
    return out


def encode(mod, row):
    if isinstance(row, tuple):
        return row[1]
    m = mod.Trip()
    if not row.get("no_key"):
        m.driver_id = row["driver_id"]
    if not row.get("no_event"):
        m.event_ts.FromDatetime(row["event_ts"])
    m.created_ts.FromDatetime(row["created_ts"])
    if row["rating"] is not None:
        m.rating.value = row["rating"]
    m.trips = row["trips"]
    m.name = row["name"]
    m.tags.extend(row["tags"])
    m.note = "ignored"
    return m.SerializeToString()


def is_good(row):
    return isinstance(row, dict) and not row.get("no_key") and not row.get("no_event")


def good_table(rows):
    good = [r for r in rows if is_good(r)]
    tsu = pa.timestamp("us", tz="UTC")
    return pa.table({
        "driver_id": pa.array([r["driver_id"] for r in good], pa.int64()),
        "event_ts": pa.array([r["event_ts"] for r in good], tsu),
        "created_ts": pa.array([r["created_ts"] for r in good], tsu),
        "rating": pa.array([r["rating"] for r in good], pa.float64()),
        "trips": pa.array([r["trips"] for r in good], pa.int64()),
        "name": pa.array([r["name"] for r in good], pa.string()),
        "tags": pa.array([r["tags"] for r in good], pa.list_(pa.int64())),
    })


def reference(parquet_path):
    """key -> {feature: value} of the latest (event, created) row, by DuckDB."""
    con = duckdb.connect()
    res = con.execute(f"""
        SELECT driver_id, rating, trips, name, tags FROM (
          SELECT *, row_number() OVER (PARTITION BY driver_id ORDER BY event_ts DESC, created_ts DESC) AS rn
          FROM read_parquet('{parquet_path}')) WHERE rn = 1""").fetchall()
    return {r[0]: dict(rating=r[1], trips=r[2], name=r[3], tags=list(r[4])) for r in res}


def write_repo(root, topic, bootstrap, desc, online, batch_parquet, streams="", message_format=None):
    """A repository: feature_store.yaml (online store `online`, a YAML
    mapping body) and the specs, applied by the caller."""
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "feature_store.yaml"), "w") as f:
        f.write(f"project: streams\nregistry: data/registry.db\nonline_store:\n{online}\n{streams}")
    with open(os.path.join(root, "specs.yaml"), "w") as f:
        f.write(f"""spec:
  name: driver_id
  valueType: INT64
---
spec:
  name: trips
  entities: [driver_id]
  features:
    - {{name: rating, valueType: DOUBLE}}
    - {{name: trips, valueType: INT64}}
    - {{name: name, valueType: STRING}}
    - {{name: tags, valueType: INT64_LIST}}
  batchSource:
    eventTimestampColumn: event_ts
    createdTimestampColumn: created_ts
    fileOptions: {{fileFormat: {{parquetFormat: {{}}}}, fileUrl: "{batch_parquet}"}}
  streamSource:
    eventTimestampColumn: event_ts
    createdTimestampColumn: created_ts
    kafkaOptions:
      bootstrapServers: "{bootstrap}"
      topic: {topic}
      messageFormat: {message_format or "{protoFormat: {classPath: feast.streamtest.Trip}}"}
""" + (f'    descriptorSet: "{desc}"\n' if desc else ""))


def produce(bootstrap, topic, payloads, partitions, rng):
    """Send payloads to random partitions; returns [(partition, offset)] per payload."""
    from confluent_kafka import Producer
    where = [None] * len(payloads)

    def done(err, msg, i):
        assert err is None, err
        where[i] = (msg.partition(), msg.offset())

    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "compression.type": "lz4",
                  "queue.buffering.max.messages": 1000000})
    for i, v in enumerate(payloads):
        while True:
            try:
                p.produce(topic, v, partition=rng.randrange(partitions), on_delivery=lambda e, m, i=i: done(e, m, i))
                break
            except BufferError:
                p.poll(0.1)
        if i % 10000 == 0:
            p.poll(0)
    assert p.flush(60) == 0
    return where


def online_state(repo, keys):
    """key -> {feature: value or None, feature__status: status} read back through the SDK."""
    root = os.environ.get("FEAST_REPO_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
    sys.path.insert(0, os.path.join(root, "sdk", "python"))
    from feast_c import FeatureStore
    out = {}
    with FeatureStore(repo_path=repo) as fs:
        for s in range(0, len(keys), 20000):
            chunk = keys[s:s + 20000]
            res = fs.get_online_features([f"trips:{f}" for f in FEATURES], {"driver_id": chunk})
            d = res.to_dict(include_statuses=True)
            for j, k in enumerate(chunk):
                out[k] = {name: d[name][j] for name in d}
    return out


def expected_state(ref, keys):
    """The same shape as online_state, from the reference."""
    out = {}
    for k in keys:
        r = ref.get(k)
        row = {"driver_id": k, "driver_id__status": "PRESENT"}
        for f in FEATURES:
            col = f"trips__{f}"
            if r is None:
                row[col], row[col + "__status"] = None, "NOT_FOUND"
            elif r[f] is None:
                row[col], row[col + "__status"] = None, "NULL_VALUE"
            else:
                row[col], row[col + "__status"] = r[f], "PRESENT"
        out[k] = row
    return out


def write_good_parquet(rows, path):
    pq.write_table(good_table(rows), path)
    return path


def seeded(seed):
    return random.Random(seed)
