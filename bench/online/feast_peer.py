"""The Feast (PyPI) peer for ingestion and online reads: `materialize` of the
generated table into Redis, then get_online_features latency for 1 key x 10
features and 100 keys x 10 features. Prints one JSON object with the figures.

  bench/.venv/bin/python bench/online/feast_peer.py DATA_DIR REDIS_HOST:PORT [--reads 2000]"""
import argparse
import json
import os
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone

from feast import Entity, FeatureStore, FeatureView, Field, FileSource
from feast.repo_config import RepoConfig
from feast.types import Float32, Float64, Int64
from feast.value_type import ValueType

TYPES = {"f64": Float64, "f32": Float32, "i64": Int64}
FEATURES = [(f"f{i}", ["f64", "f32", "i64"][i % 3]) for i in range(10)]


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("redis")
    ap.add_argument("--reads", type=int, default=2000)
    ap.add_argument("--keys", type=int, default=1_000_000)
    a = ap.parse_args()
    repo = tempfile.mkdtemp(prefix="feast-peer-")
    config = RepoConfig(project="bench", registry=os.path.join(repo, "registry.db"), provider="local",
                        offline_store={"type": "file"},
                        online_store={"type": "redis", "connection_string": a.redis},
                        entity_key_serialization_version=3, repo_path=repo)
    store = FeatureStore(config=config)
    driver = Entity(name="driver_id", join_keys=["driver_id"], value_type=ValueType.INT64)
    src = FileSource(name="driver_hourly_src", path=os.path.join(a.data, "driver_hourly"),
                     timestamp_field="event_timestamp", created_timestamp_column="created")
    view = FeatureView(name="driver_hourly", entities=[driver], ttl=timedelta(days=3650),
                       schema=[Field(name=f, dtype=TYPES[k]) for f, k in FEATURES], source=src)
    store.apply([driver, view])
    t0 = time.perf_counter()
    store.materialize(start_date=datetime(2020, 1, 1, tzinfo=timezone.utc),
                      end_date=datetime(2021, 1, 1, tzinfo=timezone.utc))
    materialize_s = time.perf_counter() - t0
    refs = [f"driver_hourly:{f}" for f, _ in FEATURES]
    rng = random.Random(3)
    out = {"materialize_s": materialize_s}
    for batch in (1, 100):
        lat = []
        n = a.reads if batch == 1 else max(1, a.reads // 10)
        for _ in range(n):
            rows = [{"driver_id": rng.randrange(a.keys)} for _ in range(batch)]
            t = time.perf_counter()
            store.get_online_features(features=refs, entity_rows=rows).to_dict()
            lat.append(time.perf_counter() - t)
        out[f"read_{batch}_p50_us"] = percentile(lat, 50) * 1e6
        out[f"read_{batch}_p99_us"] = percentile(lat, 99) * 1e6
        out[f"read_{batch}_per_s"] = n / sum(lat)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
