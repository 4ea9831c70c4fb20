"""Turn run.sh's JSON lines into the Markdown table of bench/RESULTS.md.

  python3 bench/online/report.py LOG"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from common import machine  # noqa: E402


def main():
    recs = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
    ing = {r["store"]: r for r in recs if r["phase"] == "ingest"}
    reads = {(r["store"], r["keys_per_read"]): r for r in recs if r["phase"] == "read"}
    rb = next((r for r in recs if r["phase"] == "redis-benchmark"), None)
    fe = next((r for r in recs if r["phase"] == "feast"), None)
    cli = {r["store"]: r for r in recs if r["phase"] == "cli_ingest"}
    pr = next((r for r in recs if r["phase"] == "parquet_read"), None)
    print(f"Machine: {machine()}\n")
    feast_rate = fe["rows"] / fe["materialize_s"] if fe else None
    if cli:
        print("| `feast ingest` (CLI, Parquet -> store) | rows/s | wall s | peak RSS MiB | vs Feast | vs redis-benchmark HSET |")
        print("|---|---|---|---|---|---|")
        for store, r in cli.items():
            vs_f = f"{r['rows_per_s'] / feast_rate:.0f}x" if feast_rate else "-"
            vs_rb = f"{100 * r['rows_per_s'] / rb['ops_per_s']:.0f}%" if rb and store != "lmdb" else "-"
            print(f"| -> {store} ({r['rows']} rows, {r['written']} written) | {r['rows_per_s']:,.0f} | "
                  f"{r['seconds']:.2f} | {r['peak_rss_mib']:,.0f} | {vs_f} | {vs_rb} |")
        if pr:
            print(f"| reader alone: `feast parquet cat --count` | {pr['rows_per_s']:,.0f} | {pr['seconds']:.2f} | "
                  f"{pr['peak_rss_mib']:,.0f} | - | - |")
        if fe:
            print(f"| Feast materialize -> redis | {feast_rate:,.0f} | {fe['materialize_s']:.1f} | - | 1x | - |")
        if rb:
            print(f"| redis-benchmark -P 64 HSET (ops/s) | {rb['ops_per_s']:,.0f} | - | - | - | 100% |")
        print()
    if ing:
        print("| writer | rows/s | vs Feast | vs redis-benchmark HSET |")
        print("|---|---|---|---|")
    for store, r in ing.items():
        vs_f = f"{r['rows_per_s'] / feast_rate:.0f}x" if feast_rate else "-"
        vs_rb = f"{100 * r['rows_per_s'] / rb['ops_per_s']:.0f}%" if rb and store != "lmdb" else "-"
        print(f"| in-memory feast_ingest -> {store} ({r['rows']} rows, {r['keys']} keys, {r['written']} written, "
              f"{r['seconds']:.1f} s) | {r['rows_per_s']:,.0f} | {vs_f} | {vs_rb} |")
    if fe and ing:
        print(f"| Feast materialize -> redis ({fe['materialize_s']:.1f} s) | {feast_rate:,.0f} | 1x | - |")
    if rb and ing:
        print(f"| redis-benchmark -P 64 HSET (ops/s) | {rb['ops_per_s']:,.0f} | - | 100% |")
    print("\n| reader | keys x features | p50 us | p99 us | reads/s |")
    print("|---|---|---|---|---|")
    for (store, k), r in reads.items():
        print(f"| feast_online_read, {store} | {k} x 10 | {r['p50_us']:.1f} | {r['p99_us']:.1f} | {r['reads_per_s']:,.0f} |")
    if fe:
        for k in (1, 100):
            print(f"| Feast get_online_features, redis | {k} x 10 | {fe[f'read_{k}_p50_us']:.0f} | "
                  f"{fe[f'read_{k}_p99_us']:.0f} | {fe[f'read_{k}_per_s']:,.0f} |")


if __name__ == "__main__":
    main()
