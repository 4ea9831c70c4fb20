"""A/B: two builds of the feast CLI on the same data, interleaved (A, B, A,
B, ...) so that a noisy machine slows both alike. Three hot paths: Parquet
decode (`feast parquet cat --count`), batch ingestion into LMDB (`feast
ingest`, a fresh store each run) and historical retrieval
(`feast get-historical-features`). Prints one JSON line per run and a
Markdown table of best and median wall times with the B/A ratio.

  python3 bench/ab/ab.py A_BIN B_BIN ONLINE_DATA RETRIEVAL_DATA [--rounds 5]
ONLINE_DATA is bench/online/gen.py's output, RETRIEVAL_DATA bench/retrieval/gen.py's."""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "online"))
sys.path.insert(0, os.path.join(HERE, "..", "retrieval"))
from common import machine, measure  # noqa: E402
import cli_ingest  # noqa: E402
import run as retrieval  # noqa: E402


def in_dir(cwd, cmd):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return measure(cmd)
    finally:
        os.chdir(old)


def ingest_repo(feast, data, root):
    repo = tempfile.mkdtemp(dir=root)
    with open(os.path.join(repo, "specs.yaml"), "w") as f:
        f.write(cli_ingest.specs(os.path.abspath(data)))
    with open(os.path.join(repo, "feature_store.yaml"), "w") as f:
        f.write("project: bench\nregistry: registry.db\nonline_store: {type: lmdb, path: online, map_size: 8589934592}\n")
    in_dir(repo, [feast, "apply"])
    return repo


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("online_data")
    ap.add_argument("retrieval_data")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    args.a, args.b = os.path.abspath(args.a), os.path.abspath(args.b)
    root = tempfile.mkdtemp(prefix="feast-ab-")
    times = {}
    # retrieval needs its repository (specs + registry) written once per binary
    rdirs = {}
    for name, feast in (("A", args.a), ("B", args.b)):
        d = os.path.join(root, f"retrieval-{name}")
        os.makedirs(d)
        for item in os.listdir(args.retrieval_data):
            src = os.path.join(os.path.abspath(args.retrieval_data), item)
            if item.endswith(".parquet") or os.path.isdir(src):
                os.symlink(src, os.path.join(d, item))
        ns = argparse.Namespace(data=d, feast=feast)
        retrieval.write_repo(ns)
        rdirs[name] = d
    for r in range(args.rounds):
        for name, feast in (("A", args.a), ("B", args.b)):
            runs = {
                "parquet decode": lambda: measure([feast, "parquet", "cat", "--count",
                                                   os.path.join(args.online_data, "driver_hourly")]),
            }
            repo = ingest_repo(feast, args.online_data, root)
            runs["ingest into LMDB"] = lambda: in_dir(repo, [feast, "ingest", "driver_hourly"])
            d = rdirs[name]
            runs["historical retrieval"] = lambda: in_dir(
                d, [feast, "get-historical-features", "-f", retrieval.refs(), "-e", os.path.join(d, "entities.parquet"),
                    "-o", os.path.join(d, "out.parquet"), "--codec", "zstd"])
            for what, fn in runs.items():
                secs, rss = fn()
                times.setdefault((what, name), []).append((secs, rss))
                print(json.dumps({"round": r, "build": name, "what": what, "seconds": round(secs, 3),
                                  "peak_rss_mib": round(rss)}), flush=True)
            shutil.rmtree(repo)
    print(f"\nMachine: {machine()}; load average {open('/proc/loadavg').read().split()[:3]}; {args.rounds} rounds\n")
    print("| path | A best s | B best s | A median s | B median s | B/A (median) | A peak MiB | B peak MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for what in ("parquet decode", "ingest into LMDB", "historical retrieval"):
        a, b = times[(what, "A")], times[(what, "B")]
        am, bm = statistics.median(s for s, _ in a), statistics.median(s for s, _ in b)
        print(f"| {what} | {min(a)[0]:.2f} | {min(b)[0]:.2f} | {am:.2f} | {bm:.2f} | {bm / am:.3f} | "
              f"{max(m for _, m in a):.0f} | {max(m for _, m in b):.0f} |")
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
