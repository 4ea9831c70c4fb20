"""Generate the ingestion/online-read benchmark data set: ROWS rows over KEYS
driver ids, ten features (doubles, floats, int64s), event and created times,
snappy Parquet in OUT_DIR/driver_hourly/part-*.parquet.

  python3 bench/online/gen.py OUT_DIR [--rows 10000000] [--keys 1000000]"""
import argparse
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

START_US = 1_600_000_000_000_000
SPAN_US = 30 * 86400 * 1_000_000
FEATURES = [(f"f{i}", ["f64", "f32", "i64"][i % 3]) for i in range(10)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--parts", type=int, default=4)
    a = ap.parse_args()
    rng = np.random.default_rng(11)
    folder = os.path.join(a.out, "driver_hourly")
    os.makedirs(folder, exist_ok=True)
    per = a.rows // a.parts
    for p in range(a.parts):
        n = per if p < a.parts - 1 else a.rows - per * (a.parts - 1)
        ts = START_US + rng.integers(0, SPAN_US, n, dtype=np.int64)
        cols = {"driver_id": rng.integers(0, a.keys, n, dtype=np.int64),
                "event_timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")),
                "created": pa.array(ts + rng.integers(0, 10**9, n, dtype=np.int64), pa.timestamp("us", tz="UTC"))}
        for name, kind in FEATURES:
            if kind == "f64":
                cols[name] = rng.random(n)
            elif kind == "f32":
                cols[name] = rng.random(n).astype(np.float32)
            else:
                cols[name] = rng.integers(0, 10**6, n, dtype=np.int64)
        pq.write_table(pa.table(cols), os.path.join(folder, f"part-{p}.parquet"), compression="snappy")


if __name__ == "__main__":
    main()
