"""The read floor of the retrieval benchmark, DuckDB's side: scan every column
the join needs from both feature tables (max() per column, so every value is
decoded and nothing is materialised) and print the best in-process time in
seconds. Import and connection time are excluded, which makes this the
smallest figure DuckDB can give for merely reading the inputs.

  python3 bench/retrieval/duckdb_scan.py DATA_DIR [--threads N] [--repeat N]"""
import argparse
import time

import duckdb

TABLES = {
    "driver_stats": ["driver_id", "event_timestamp", "created", "conv_rate", "acc_rate", "avg_daily_trips"],
    "driver_rides": ["driver_id", "event_timestamp", "created", "rides", "rating"],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    queries = []
    for t, cols in TABLES.items():
        # epoch_us keeps timestamps as integers, so no time-zone module is needed
        exprs = [f"max(epoch_us({c}))" if c in ("event_timestamp", "created") else f"max({c})" for c in cols]
        queries.append(f"SELECT {', '.join(exprs)} FROM read_parquet('{a.data}/{t}/*.parquet')")
    best = float("inf")
    for _ in range(a.repeat):
        start = time.perf_counter()
        for q in queries:
            con.execute(q).fetchall()
        best = min(best, time.perf_counter() - start)
    print(f"{best:.3f}")


if __name__ == "__main__":
    main()
