"""Generate the historical-retrieval benchmark data set (issue: 1M entity rows x
10M feature rows over 1M keys, zstd Parquet, two feature tables).

  python3 bench/retrieval/gen.py OUT_DIR [--entity-rows N] [--feature-rows N] [--keys N]

Writes OUT_DIR/entities.parquet (driver_id, event_timestamp, label),
OUT_DIR/driver_stats/part-*.parquet (driver_id, event_timestamp, created, conv_rate,
acc_rate, avg_daily_trips) and OUT_DIR/driver_rides/part-*.parquet (driver_id, event_timestamp,
created, rides, rating). Event times span 30 days at microsecond resolution, with
deliberate ties on event_timestamp so the created tie-break matters."""
import argparse
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

START_US = 1_600_000_000_000_000
SPAN_US = 30 * 86400 * 1_000_000


def feature_table(rng, rows, keys, cols):
    key = rng.integers(0, keys, rows, dtype=np.int64)
    ts = START_US + rng.integers(0, SPAN_US, rows, dtype=np.int64)
    tie = np.arange(0, rows - 1, 50)  # every 50th row ties its neighbour on (key, event time)
    key[tie], ts[tie] = key[tie + 1], ts[tie + 1]
    created = ts + rng.integers(0, 3600 * 1_000_000, rows, dtype=np.int64)
    # A tied pair must differ on created, or the reference answer would depend on
    # source order (our third tie-break), which DuckDB's QUALIFY does not see.
    same = created[tie] == created[tie + 1]
    created[tie[same]] += 1
    arrays = {"driver_id": key, "event_timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")),
              "created": pa.array(created, pa.timestamp("us", tz="UTC"))}
    for name, kind in cols:
        if kind == "f64":
            v = rng.random(rows)
        elif kind == "f32":
            v = rng.random(rows).astype(np.float32)
        else:
            v = rng.integers(0, 1000, rows, dtype=np.int64)
        mask = rng.random(rows) < 0.01
        arrays[name] = pa.array(v, mask=mask)
    return pa.table(arrays)


def write_parts(table, folder, parts=4):
    os.makedirs(folder, exist_ok=True)
    n = table.num_rows
    for i in range(parts):
        part = table.slice(i * n // parts, (i + 1) * n // parts - i * n // parts)
        pq.write_table(part, os.path.join(folder, f"part-{i}.parquet"), compression="zstd", row_group_size=1 << 20)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--entity-rows", type=int, default=1_000_000)
    ap.add_argument("--feature-rows", type=int, default=10_000_000)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    write_parts(feature_table(rng, a.feature_rows, a.keys,
                              [("conv_rate", "f64"), ("acc_rate", "f32"), ("avg_daily_trips", "i64")]),
                os.path.join(a.out, "driver_stats"))
    write_parts(feature_table(rng, a.feature_rows, a.keys, [("rides", "i64"), ("rating", "f64")]),
                os.path.join(a.out, "driver_rides"))
    ek = rng.integers(0, a.keys, a.entity_rows, dtype=np.int64)
    ets = START_US + rng.integers(0, SPAN_US + 86400 * 1_000_000, a.entity_rows, dtype=np.int64)
    ent = pa.table({"driver_id": ek, "event_timestamp": pa.array(ets, pa.timestamp("us", tz="UTC")),
                    "label": rng.integers(0, 2, a.entity_rows, dtype=np.int64)})
    pq.write_table(ent, os.path.join(a.out, "entities.parquet"), compression="zstd")


if __name__ == "__main__":
    main()
