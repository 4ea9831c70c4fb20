"""The Feast (PyPI) peer for historical retrieval: the same two tables as
FeatureViews over FileSources, get_historical_features on the file offline
store, result written to Parquet. Runs in the venv made by bench/setup.sh.

  bench/.venv/bin/python bench/retrieval/feast_peer.py DATA_DIR OUT.parquet [--max-age-s S]"""
import argparse
import os
import tempfile
from datetime import timedelta

import pandas as pd
from feast import Entity, FeatureStore, FeatureView, Field, FileSource
from feast.repo_config import RepoConfig
from feast.types import Float32, Float64, Int64
from feast.value_type import ValueType


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--max-age-s", type=int, default=7 * 86400)
    a = ap.parse_args()
    repo = tempfile.mkdtemp(prefix="feast-peer-")
    config = RepoConfig(project="bench", registry=os.path.join(repo, "registry.db"), provider="local",
                        offline_store={"type": "file"}, online_store={"type": "sqlite", "path": os.path.join(repo, "online.db")},
                        entity_key_serialization_version=3, repo_path=repo)
    store = FeatureStore(config=config)
    driver = Entity(name="driver_id", join_keys=["driver_id"], value_type=ValueType.INT64)
    views = []
    schemas = {"driver_stats": [("conv_rate", Float64), ("acc_rate", Float32), ("avg_daily_trips", Int64)],
               "driver_rides": [("rides", Int64), ("rating", Float64)]}
    for name, fields in schemas.items():
        src = FileSource(name=f"{name}_src", path=os.path.join(a.data, name), timestamp_field="event_timestamp",
                         created_timestamp_column="created")
        views.append(FeatureView(name=name, entities=[driver], ttl=timedelta(seconds=a.max_age_s),
                                 schema=[Field(name=f, dtype=t) for f, t in fields], source=src))
    store.apply([driver, *views])
    entity_df = pd.read_parquet(os.path.join(a.data, "entities.parquet"))
    features = [f"{v}:{f}" for v, fields in schemas.items() for f, _ in fields]
    df = store.get_historical_features(entity_df=entity_df, features=features, full_feature_names=True).to_df()
    df.to_parquet(a.out)


if __name__ == "__main__":
    main()
