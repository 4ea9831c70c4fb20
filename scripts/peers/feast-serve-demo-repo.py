"""feast-serve-demo-repo.py DIR [ROWS] - writes a small feature repository
for the newest Feast (run with that venv's python): a driver entity, one
feature view of two features over a Parquet file, a SQLite online store; then
applies it and writes ROWS rows (driver_id 1..ROWS) straight into the online
store, so `feast serve` has something to answer. Used by start-feast-serve.sh
when no --repo is given. Feature values are a function of the key
(conv_rate = id / 1000, trips = 10 * id) so a test can check them."""
import os
import sys
import textwrap
from datetime import datetime, timedelta, timezone

os.environ.setdefault("FEAST_USAGE", "False")
repo, rows = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100
os.makedirs(os.path.join(repo, "data"), exist_ok=True)

import pandas as pd  # noqa: E402  (after the environment is set)

now = datetime.now(timezone.utc).replace(microsecond=0)
df = pd.DataFrame({
    "driver_id": list(range(1, rows + 1)),
    "conv_rate": [i / 1000.0 for i in range(1, rows + 1)],
    "trips": [10 * i for i in range(1, rows + 1)],
    "event_timestamp": [now - timedelta(minutes=1)] * rows,
})
df["conv_rate"] = df["conv_rate"].astype("float32")
df.to_parquet(os.path.join(repo, "data", "driver_stats.parquet"))

with open(os.path.join(repo, "feature_store.yaml"), "w") as f:
    f.write(textwrap.dedent("""\
        project: feastpeer
        registry: data/registry.db
        provider: local
        online_store:
          type: sqlite
          path: data/online.db
        entity_key_serialization_version: 3
        """))
with open(os.path.join(repo, "features.py"), "w") as f:
    f.write(textwrap.dedent("""\
        from datetime import timedelta
        from feast import Entity, FeatureView, Field, FileSource, ValueType
        from feast.types import Float32, Int64

        driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64)
        source = FileSource(path="data/driver_stats.parquet", timestamp_field="event_timestamp")
        driver_stats = FeatureView(
            name="driver_stats", entities=[driver], ttl=timedelta(days=3650),
            schema=[Field(name="conv_rate", dtype=Float32), Field(name="trips", dtype=Int64)],
            source=source, online=True)
        """))

from feast import FeatureStore  # noqa: E402

store = FeatureStore(repo_path=repo)
sys.path.insert(0, repo)
import features  # noqa: E402

store.apply([features.driver, features.driver_stats])
store.write_to_online_store("driver_stats", df)
