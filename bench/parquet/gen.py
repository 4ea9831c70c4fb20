"""Generate the Parquet decode benchmark file: a 10M-row feature table
written by pyarrow, once with snappy and once with zstd.

  python3 bench/parquet/gen.py OUT_DIR [--rows N]

Columns: driver_id int64 (1M random keys), event_timestamp timestamp[us, UTC]
(increasing, jittered), created timestamp[us, UTC], conv_rate / acc_rate /
avg_fare / distance doubles, trips_ratio / rating floats, city string (500
distinct names, so pyarrow dictionary-encodes it) and recent_fares
list<double> (0-4 elements). pyarrow defaults otherwise (row groups of 1Mi
rows, dictionary encoding where it pays, data page v1, statistics).
Writes OUT_DIR/snappy.parquet, OUT_DIR/zstd.parquet and OUT_DIR/meta.json
(rows, Arrow in-memory bytes, footer uncompressed/compressed bytes)."""
import argparse
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def table(rows, seed=7):
    rng = np.random.default_rng(seed)
    ts = 1_600_000_000_000_000 + np.arange(rows, dtype=np.int64) * 250_000 + rng.integers(0, 250_000, rows)
    cities = np.array([f"city_{i:03d}_{'x' * (i % 11)}" for i in range(500)], dtype=object)
    lens = rng.integers(0, 5, rows, dtype=np.int32)
    offsets = np.zeros(rows + 1, dtype=np.int32)
    np.cumsum(lens, out=offsets[1:])
    fares = np.round(rng.uniform(3, 80, int(offsets[-1])), 2)
    cols = {
        "driver_id": pa.array(rng.integers(0, 1_000_000, rows, dtype=np.int64)),
        "event_timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "created": pa.array(ts + rng.integers(0, 3_600_000_000, rows), pa.timestamp("us", tz="UTC")),
        "conv_rate": pa.array(rng.random(rows)),
        "acc_rate": pa.array(rng.random(rows)),
        "avg_fare": pa.array(np.round(rng.uniform(3, 80, rows), 2)),
        "distance": pa.array(rng.exponential(5.0, rows)),
        "trips_ratio": pa.array(rng.random(rows, dtype=np.float32)),
        "rating": pa.array(np.round(rng.uniform(1, 5, rows), 1).astype(np.float32)),
        "city": pa.array(cities[rng.integers(0, 500, rows)], pa.string()),
        "recent_fares": pa.ListArray.from_arrays(pa.array(offsets), pa.array(fares)),
    }
    return pa.table(cols)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=10_000_000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    t = table(a.rows)
    meta = {"rows": a.rows, "arrow_bytes": t.nbytes}
    for codec in ("snappy", "zstd"):
        path = os.path.join(a.out, f"{codec}.parquet")
        pq.write_table(t, path, compression=codec)
        md = pq.ParquetFile(path).metadata
        unc = comp = 0
        for g in range(md.num_row_groups):
            for c in range(md.num_columns):
                cc = md.row_group(g).column(c)
                unc += cc.total_uncompressed_size
                comp += cc.total_compressed_size
        meta[codec] = {"file_bytes": os.path.getsize(path), "footer_uncompressed": unc, "footer_compressed": comp,
                       "row_groups": md.num_row_groups}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
