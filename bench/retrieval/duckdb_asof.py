"""The DuckDB peer for historical retrieval: ASOF JOIN per feature table with
Feast's tie-breaks (latest event_timestamp, then latest created), max_age applied
after the join, entity row order kept, result written to Parquet.

  python3 bench/retrieval/duckdb_asof.py DATA_DIR OUT.parquet [--threads N] [--max-age-s S]"""
import argparse
import os

import duckdb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-age-s", type=int, default=7 * 86400)
    ap.add_argument("--memory-limit", default=None)
    a = ap.parse_args()
    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    if a.memory_limit:
        con.execute(f"SET memory_limit = '{a.memory_limit}'")
    d = a.data
    max_age = f"INTERVAL {a.max_age_s} SECOND"
    tables = {
        "driver_stats": ["conv_rate", "acc_rate", "avg_daily_trips"],
        "driver_rides": ["rides", "rating"],
    }
    ctes, joins, selects = [], [], []
    for t, feats in tables.items():
        # Among rows with equal (key, event_timestamp) keep the latest created: ASOF then needs no tie-break.
        ctes.append(f"""{t} AS (
            SELECT driver_id, event_timestamp, {', '.join(feats)}
            FROM read_parquet('{os.path.join(d, t)}/*.parquet')
            QUALIFY row_number() OVER (PARTITION BY driver_id, event_timestamp ORDER BY created DESC) = 1)""")
        joins.append(f"""ASOF LEFT JOIN {t} ON e.driver_id = {t}.driver_id AND e.event_timestamp >= {t}.event_timestamp""")
        for f in feats:
            selects.append(f"CASE WHEN {t}.event_timestamp >= e.event_timestamp - {max_age} THEN {t}.{f} END AS {t}__{f}")
    sql = f"""COPY (
        WITH e AS (SELECT *, row_number() OVER () AS _row FROM read_parquet('{os.path.join(d, 'entities.parquet')}')),
        {', '.join(ctes)}
        SELECT e.driver_id, e.event_timestamp, e.label, {', '.join(selects)}
        FROM e {' '.join(joins)}
        ORDER BY e._row
    ) TO '{a.out}' (FORMAT PARQUET, COMPRESSION zstd)"""
    con.execute(sql)


if __name__ == "__main__":
    main()
