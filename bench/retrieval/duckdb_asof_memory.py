"""duckdb_asof_memory.py - the DuckDB reference timing for bench/retrieval: the same
shape as pit_bench.c (E entity rows, F feature rows, K int64 keys, one day of
microsecond timestamps, a created column, max_age 1 h), joined with ASOF LEFT
JOIN after keeping the latest created row per (key, event ts), max_age applied
afterwards. In-memory Arrow tables, data generation excluded from the time.
Usage: python3 duckdb_asof.py [E F K threads]"""
import resource
import sys
import time

import duckdb
import numpy as np
import pyarrow as pa

E, F, K = (int(a) for a in (sys.argv[1:4] + ["1000000", "10000000", "1000000"][len(sys.argv[1:4]):]))
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
rng = np.random.default_rng(1)
base, day = 1600000000 * 10**6, 86400 * 10**6
ets = base + rng.integers(0, day, E)
ent = pa.table({"driver_id": rng.integers(0, K, E), "event_timestamp": pa.array(ets, pa.timestamp("us"))})
fts = base + rng.integers(0, day, F)
feat = pa.table({
    "driver_id": rng.integers(0, K, F),
    "event_timestamp": pa.array(fts, pa.timestamp("us")),
    "created": pa.array(fts + rng.integers(0, 1000, F), pa.timestamp("us")),
    "conv_rate": rng.integers(0, 100000, F) / 7.0,
    "trips": rng.integers(0, 1000000, F),
})
con = duckdb.connect()
con.execute(f"PRAGMA threads={threads}")
con.register("ent", ent)
con.register("feat", feat)
t0 = time.time()
res = con.execute("""
WITH e AS (SELECT *, row_number() OVER () AS rn FROM ent),
f AS (SELECT * FROM feat QUALIFY row_number() OVER (PARTITION BY driver_id, event_timestamp ORDER BY created DESC) = 1)
SELECT e.driver_id, e.event_timestamp,
       CASE WHEN f.event_timestamp >= e.event_timestamp - INTERVAL 1 HOUR THEN f.conv_rate END AS conv_rate,
       CASE WHEN f.event_timestamp >= e.event_timestamp - INTERVAL 1 HOUR THEN f.trips END AS trips
FROM e ASOF LEFT JOIN f ON e.driver_id = f.driver_id AND e.event_timestamp >= f.event_timestamp
ORDER BY e.rn""").to_arrow_table()
t1 = time.time()
matched = res.num_rows - res.column("trips").null_count
print(f"duckdb entity_rows={res.num_rows} feature_rows={F} keys={K} matched={matched} seconds={t1 - t0:.3f} "
      f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
