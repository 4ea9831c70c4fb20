"""The historical-retrieval benchmark driver (called by run.sh): generate the
data, write and apply a feature repo, time our CLI, DuckDB's ASOF JOIN and the
Feast PyPI package on the same data in one run (fork + wait4 peak RSS), check
the outputs against each other and print a Markdown section for bench/RESULTS.md.

  python3 bench/retrieval/run.py --feast BIN --data DIR [--entity-rows N] [--feature-rows N]
         [--keys N] [--feast-python PY] [--feast-timeout S] [--repeat N] [--markdown FILE]"""
import argparse
import json
import os
import subprocess
import sys

import duckdb
import numpy as np
import pyarrow.parquet as pq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from common import machine, measure  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = {
    "driver_stats": [("conv_rate", "DOUBLE"), ("acc_rate", "FLOAT"), ("avg_daily_trips", "INT64")],
    "driver_rides": [("rides", "INT64"), ("rating", "DOUBLE")],
}
MAX_AGE_S = 7 * 86400


def generate(a):
    stamp = os.path.join(a.data, ".gen-params")
    want = {"entity_rows": a.entity_rows, "feature_rows": a.feature_rows, "keys": a.keys, "gen": os.path.getmtime(os.path.join(HERE, "gen.py"))}
    if os.path.exists(stamp) and json.load(open(stamp)) == want:
        return
    t, _ = measure([sys.executable, os.path.join(HERE, "gen.py"), a.data, "--entity-rows", str(a.entity_rows),
                    "--feature-rows", str(a.feature_rows), "--keys", str(a.keys)])
    print(f"generated {a.data} in {t:.1f}s", flush=True)
    json.dump(want, open(stamp, "w"))


def write_repo(a):
    d = a.data
    with open(os.path.join(d, "feature_store.yaml"), "w") as f:
        f.write("project: bench\nregistry: registry.db\nonline_store:\n  type: lmdb\n  path: online_store\n")
    with open(os.path.join(d, "driver_id.yaml"), "w") as f:
        f.write("spec:\n  name: driver_id\n  valueType: INT64\n")
    for t, feats in TABLES.items():
        with open(os.path.join(d, f"{t}.yaml"), "w") as f:
            f.write(f"spec:\n  name: {t}\n  entities: [driver_id]\n  features:\n")
            for n, vt in feats:
                f.write(f"    - name: {n}\n      valueType: {vt}\n")
            f.write(f"  maxAge: {MAX_AGE_S}s\n  batchSource:\n    type: BATCH_FILE\n"
                    "    eventTimestampColumn: event_timestamp\n    createdTimestampColumn: created\n"
                    "    fileOptions:\n      fileFormat:\n        parquetFormat: {}\n"
                    f"      fileUrl: \"file://{os.path.abspath(os.path.join(d, t))}\"\n")
    if os.path.exists(os.path.join(d, "registry.db")):
        os.remove(os.path.join(d, "registry.db"))
    measure_in(d, [a.feast, "apply"])


def measure_in(cwd, cmd, timeout=None):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return measure(cmd, timeout=timeout)
    finally:
        os.chdir(old)


def refs():
    return ",".join(f"{t}:{n}" for t, feats in TABLES.items() for n, _ in feats)


def feature_columns():
    return [f"{t}__{n}" for t, feats in TABLES.items() for n, _ in feats]


def best(cmd, repeat, cwd=None, timeout=None):
    """Best wall time of `repeat` runs, with that run's peak RSS."""
    runs = [measure_in(cwd or os.getcwd(), cmd, timeout) for _ in range(repeat)]
    return min(runs)


def check_ties(a):
    """The reference is unambiguous only without full (key, event, created) ties."""
    con = duckdb.connect()
    out = {}
    for t in TABLES:
        q = f"""SELECT count(*) FROM (SELECT driver_id, event_timestamp, created, count(*) c
                FROM read_parquet('{a.data}/{t}/*.parquet') GROUP BY ALL HAVING c > 1)"""
        ev = f"""SELECT count(*) FROM (SELECT driver_id, event_timestamp, count(*) c
                 FROM read_parquet('{a.data}/{t}/*.parquet') GROUP BY ALL HAVING c > 1)"""
        out[t] = (con.execute(ev).fetchone()[0], con.execute(q).fetchone()[0])
    return out


def compare_exact(ours, ref):
    """Value-by-value comparison in row order; returns {column: mismatches}."""
    a, b = pq.read_table(ours), pq.read_table(ref)
    if a.num_rows != b.num_rows:
        return {"<rows>": f"{a.num_rows} vs {b.num_rows}"}
    bad = {}
    for c in ["driver_id", "event_timestamp", "label"] + feature_columns():
        x, y = a.column(c).combine_chunks(), b.column(c).combine_chunks()
        if x.type != y.type:
            y = y.cast(x.type)
        xn, yn = x.is_null().to_numpy(zero_copy_only=False), y.is_null().to_numpy(zero_copy_only=False)
        xv = x.fill_null(0).to_numpy(zero_copy_only=False) if x.null_count else x.to_numpy(zero_copy_only=False)
        yv = y.fill_null(0).to_numpy(zero_copy_only=False) if y.null_count else y.to_numpy(zero_copy_only=False)
        diff = int(np.count_nonzero((xn != yn) | (~xn & (xv != yv))))
        if diff:
            bad[c] = diff
    return bad


def compare_feast(ours, feast_out):
    """Feast reorders rows: match them on (driver_id, event_timestamp, label)."""
    con = duckdb.connect()
    feats = feature_columns()
    keys = "driver_id, epoch_us(event_timestamp::TIMESTAMPTZ) AS ts, label"
    con.execute(f"CREATE TABLE o AS SELECT {keys}, {', '.join(feats)} FROM read_parquet('{ours}')")
    con.execute(f"CREATE TABLE f AS SELECT {keys}, {', '.join(feats)} FROM read_parquet('{feast_out}')")
    n_o = con.execute("SELECT count(*) FROM o").fetchone()[0]
    n_f = con.execute("SELECT count(*) FROM f").fetchone()[0]
    dup = con.execute("SELECT count(*) FROM (SELECT driver_id, ts, label FROM o GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
    missing = con.execute("SELECT count(*) FROM o ANTI JOIN f USING (driver_id, ts, label)").fetchone()[0]
    cond = " OR ".join(f"o.{c} IS DISTINCT FROM f.{c}" for c in feats)
    differ = con.execute(f"SELECT count(*) FROM o JOIN f USING (driver_id, ts, label) WHERE {cond}").fetchone()[0]
    per = {}
    for t in TABLES:
        c = " OR ".join(f"o.{t}__{n} IS DISTINCT FROM f.{t}__{n}" for n, _ in TABLES[t])
        per[t] = con.execute(f"SELECT count(*) FROM o JOIN f USING (driver_id, ts, label) WHERE {c}").fetchone()[0]
    # Of the differing rows: how many have a value in ours and null in Feast's, and vice versa.
    f0 = feats[0]
    ours_only = con.execute(f"SELECT count(*) FROM o JOIN f USING (driver_id, ts, label) WHERE o.{f0} IS NOT NULL AND f.{f0} IS NULL").fetchone()[0]
    feast_only = con.execute(f"SELECT count(*) FROM o JOIN f USING (driver_id, ts, label) WHERE o.{f0} IS NULL AND f.{f0} IS NOT NULL").fetchone()[0]
    return {"ours_rows": n_o, "feast_rows": n_f, "dup_entity_keys": dup, "missing_in_feast": missing,
            "rows_differing": differ, "per_table": per, f"{f0}: ours value, Feast null": ours_only,
            f"{f0}: ours null, Feast value": feast_only}


def run_scale(a, label, repeat):
    """Ours at 2 and 1 threads, DuckDB at 2 and 1 threads; returns rows for the table."""
    d = a.data
    rows = []
    ours = os.path.join(d, "ours.parquet")
    duck = os.path.join(d, "duck.parquet")
    for th in (2, 1):
        t, m = best([a.feast, "get-historical-features", "-f", refs(), "-e", os.path.join(d, "entities.parquet"),
                     "-o", ours, "--codec", "zstd", "--threads", str(th)], repeat, cwd=d)
        rows.append((label, f"feast get-historical-features, {th} thread{'s' if th > 1 else ''}", t, m))
        print(rows[-1], flush=True)
    for th in (2, 1):
        t, m = best([sys.executable, os.path.join(HERE, "duckdb_asof.py"), d, duck, "--threads", str(th)], repeat)
        rows.append((label, f"DuckDB {duckdb.__version__} ASOF JOIN, {th} thread{'s' if th > 1 else ''}", t, m))
        print(rows[-1], flush=True)
    bad = compare_exact(ours, duck)
    print(f"{label}: ours vs DuckDB mismatches: {bad or 'none'}", flush=True)
    # A run forced out of core: a memory limit of 64 bytes per entity row
    # keeps the entity rows in memory but spills both tables to partitions.
    limit = f"{max(4, a.entity_rows * 64 >> 20)}M"
    spill_out = os.path.join(d, "ours_spilled.parquet")
    cmd = [a.feast, "get-historical-features", "-f", refs(), "-e", os.path.join(d, "entities.parquet"), "-o", spill_out,
           "--codec", "zstd", "--threads", "2", "--memory-limit", limit]
    said = subprocess.run(cmd, cwd=d, capture_output=True, text=True, check=True).stdout
    if "spilled to disk" not in said:
        raise RuntimeError(f"--memory-limit {limit} did not spill: {said}")
    t, m = best(cmd, repeat, cwd=d)
    rows.append((label, f"feast get-historical-features, 2 threads, --memory-limit {limit} (spills)", t, m))
    print(rows[-1], flush=True)
    spill_bad = compare_exact(spill_out, duck)
    print(f"{label}: spilled run vs DuckDB mismatches: {spill_bad or 'none'}", flush=True)
    for c, n in spill_bad.items():
        bad[f"spilled {c}"] = n
    return rows, bad


def scan_floor(a, repeat):
    """The time to merely read the columns the join needs from both tables,
    2 threads: our reader (one `feast parquet cat --count` per table, whole
    processes) and DuckDB (in-process, import excluded). No join can finish
    faster than its inputs are read, so this bounds every engine from below."""
    ours = 0.0
    for t, feats in TABLES.items():
        cols = ",".join(["driver_id", "event_timestamp", "created"] + [n for n, _ in feats])
        ours += best([a.feast, "parquet", "cat", os.path.join(a.data, t), "--columns", cols, "--count",
                      "--threads", "2"], repeat)[0]
    out = os.popen(f"{sys.executable} {os.path.join(HERE, 'duckdb_scan.py')} {a.data} --threads 2 --repeat {repeat}").read()
    return ours, float(out.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--feast", required=True, help="our CLI binary")
    ap.add_argument("--data", required=True)
    ap.add_argument("--entity-rows", type=int, default=1_000_000)
    ap.add_argument("--feature-rows", type=int, default=10_000_000)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--feast-python", default=None, help="python of a venv with the Feast PyPI package")
    ap.add_argument("--feast-timeout", type=float, default=1800)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--skip-ours-duckdb", action="store_true", help="only run Feast (and ours for its check)")
    ap.add_argument("--markdown", default=None, help="append the result rows (Markdown) to this file")
    a = ap.parse_args()
    a.feast = os.path.abspath(a.feast)
    a.data = os.path.abspath(a.data)
    os.makedirs(a.data, exist_ok=True)
    label = f"{a.entity_rows:,} x {a.feature_rows:,} ({a.keys:,} keys)"
    generate(a)
    write_repo(a)
    ties = check_ties(a)
    print(f"ties (key, event) / full (key, event, created) per table: {ties}", flush=True)
    rows, bad = ([], {}) if a.skip_ours_duckdb else run_scale(a, label, a.repeat)
    feast_res = None
    if a.feast_python:
        fo = os.path.join(a.data, "feast_peer.parquet")
        if a.skip_ours_duckdb:
            measure_in(a.data, [a.feast, "get-historical-features", "-f", refs(), "-e", os.path.join(a.data, "entities.parquet"),
                                "-o", os.path.join(a.data, "ours.parquet"), "--codec", "zstd"])
        try:
            t, m = measure([a.feast_python, os.path.join(HERE, "feast_peer.py"), a.data, fo], timeout=a.feast_timeout)
            ver = os.popen(f"{a.feast_python} -c 'import feast; print(feast.__version__)'").read().strip()
            rows.append((label, f"Feast {ver} get_historical_features (file offline store)", t, m))
            print(rows[-1], flush=True)
            feast_res = compare_feast(os.path.join(a.data, "ours.parquet"), fo)
        except (TimeoutError, RuntimeError) as e:
            rows.append((label, f"Feast get_historical_features: did not finish ({e})", float("nan"), float("nan")))
            print(rows[-1], flush=True)
        print(f"{label}: ours vs Feast: {feast_res}", flush=True)
    floor = None if a.skip_ours_duckdb else scan_floor(a, a.repeat)
    if floor:
        print(f"{label}: read floor, ours {floor[0]:.2f} s, DuckDB {floor[1]:.2f} s", flush=True)
    md = [f"Machine: {machine()}", "", "| data | engine | seconds | peak RSS MiB |", "|---|---|---|---|"]
    md += [f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:.0f} |" for r in rows]
    md += ["", f"Ties on (key, event_timestamp) / on (key, event_timestamp, created), per table: {ties}",
           f"Ours vs DuckDB, value by value in row order: {bad or 'identical'}" if not a.skip_ours_duckdb else ""]
    if feast_res is not None:
        md.append(f"Ours vs Feast (rows matched on driver_id, event_timestamp, label): {feast_res}")
    if floor:
        md.append(f"Read floor (the join's columns of both tables, 2 threads, no join): our reader {floor[0]:.2f} s, "
                  f"DuckDB {floor[1]:.2f} s (in-process)")
        feast_t = [r[2] for r in rows if r[1].startswith("Feast ") and r[2] == r[2]]
        ours_t = [r[2] for r in rows if r[1].startswith("feast get-historical-features") and "spill" not in r[1]]
        if feast_t and ours_t:
            md.append(f"Ours is {feast_t[0] / min(ours_t):.1f}x Feast; 50x Feast would be {feast_t[0] / 50:.2f} s")
    text = "\n".join(md) + "\n"
    print(text)
    if a.markdown:
        with open(a.markdown, "a") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
