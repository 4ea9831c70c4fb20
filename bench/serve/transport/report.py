"""report.py - turns results.jsonl of run.py into Markdown tables: per
server, size, concurrency and load generator the median of the repetitions
for req/s, p50 and p99 (with the range of req/s), and the largest peak RSS.

  report.py results.jsonl > table.md
"""
import collections
import json
import statistics
import sys


def main():
    rows = [json.loads(line) for line in open(sys.argv[1])]
    groups = collections.OrderedDict()
    stops = {}
    for r in rows:
        if r["load"] == "stop":
            stops[(r["server"], r["size"])] = r["errors"]
            continue
        groups.setdefault((r["server"], r["size"], r["conns"], r["streams"], r["load"]), []).append(r)
    print("| server | size | conns x streams | load | req/s (median) | req/s range | p50 us | p99 us | peak RSS MB | errors | SIGTERM exit |")
    print("|---|---|---|---|---:|---|---:|---:|---:|---:|---:|")
    for (server, size, conns, streams, load), rs in groups.items():
        rps = [r["rps"] for r in rs]
        med = statistics.median(rps)
        print("| %s | %s | %dx%d | %s | %.0f | %.0f-%.0f | %.0f | %.0f | %.1f | %d | %s |" % (
            server, size, conns, streams, load, med, min(rps), max(rps),
            statistics.median(r["p50_us"] for r in rs), statistics.median(r["p99_us"] for r in rs),
            max(r["peak_kb"] for r in rs) / 1024.0, sum(r["errors"] for r in rs), stops.get((server, size), "?")))


if __name__ == "__main__":
    main()
