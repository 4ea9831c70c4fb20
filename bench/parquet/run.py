"""Parquet decode benchmark driver: every engine on the same files in the
same run, best wall time of REPEATS runs (the machine is shared, so CPU
seconds are reported too), peak RSS from wait4.

  python3 bench/parquet/run.py DATA_DIR PQ_BENCH [--repeats N] [--threads 1,2]

Prints a Markdown table. Rows/s = rows / wall seconds; GB/s = the Arrow
in-memory size of the decoded table (pyarrow's Table.nbytes, from
meta.json: what every engine must produce) / wall seconds, in 1e9 bytes."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from common import machine  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(cmd, env):
    # stdout through a pipe; rusage of exactly this child via wait4
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.dup2(w, 1)
        try:
            os.execvpe(cmd[0], cmd, env)
        finally:
            os._exit(127)
    os.close(w)
    out = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        out += chunk
    os.close(r)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed")
    res = json.loads(out.decode().strip().splitlines()[-1])
    return res["rows"], res["seconds"], usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("pq_bench")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    a = ap.parse_args()
    meta = json.load(open(os.path.join(a.data, "meta.json")))
    py = sys.executable
    engines = [
        ("feast", lambda p, t: [a.pq_bench, p, str(t)], {}),
        ("feast, glibc keeps freed memory", lambda p, t: [a.pq_bench, p, str(t)], {"PQ_BENCH_RETAIN": "1"}),
        ("duckdb sum(hash(col))", lambda p, t: [py, os.path.join(HERE, "peer.py"), "duckdb-hash", p, str(t)], {}),
        ("duckdb max(col)", lambda p, t: [py, os.path.join(HERE, "peer.py"), "duckdb-max", p, str(t)], {}),
        ("pyarrow read_table", lambda p, t: [py, os.path.join(HERE, "peer.py"), "pyarrow", p, str(t)], {}),
    ]
    print(f"Machine: {machine()}")
    print(f"Data: {meta['rows']} rows, Arrow size {meta['arrow_bytes'] / 1e9:.3f} GB; "
          + ", ".join(f"{c} file {meta[c]['file_bytes'] / 1e6:.0f} MB ({meta[c]['row_groups']} row groups, "
                      f"{meta[c]['footer_uncompressed'] / 1e6:.0f} MB uncompressed pages)" for c in ("snappy", "zstd")))
    print()
    print("| codec | threads | engine | wall s (best) | CPU s | rows/s | GB/s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for codec in ("snappy", "zstd"):
        path = os.path.join(a.data, f"{codec}.parquet")
        for t in [int(x) for x in a.threads.split(",")]:
            for name, cmd, extra in engines:
                best = None
                for _ in range(a.repeats):
                    rows, secs, cpu, rss = measure(cmd(path, t), dict(os.environ, **extra))
                    assert rows == meta["rows"], (name, rows)
                    if best is None or secs < best[0]:
                        best = (secs, cpu, rss)
                secs, cpu, rss = best
                print(f"| {codec} | {t} | {name} | {secs:.2f} | {cpu:.2f} | {meta['rows'] / secs / 1e6:.2f} M | "
                      f"{meta['arrow_bytes'] / secs / 1e9:.2f} | {rss:.0f} |", flush=True)


if __name__ == "__main__":
    main()
