"""Time `feast ingest driver_hourly` (the CLI path: Parquet source -> dedup ->
online store) on one online store, and `feast parquet cat --count` (the
reader alone) on the same files. Writes a feature repo in REPO (specs for
driver_id and driver_hourly, the 10 features of gen.py), runs `feast
apply`, then times the command with its peak RSS. Prints JSON lines.

  python3 bench/online/cli_ingest.py FEAST_BIN DATA_DIR REPO STORE_YAML NAME"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from common import measure  # noqa: E402

FEATURES = [(f"f{i}", ["DOUBLE", "FLOAT", "INT64"][i % 3]) for i in range(10)]


def specs(data):
    feats = "\n".join(f"    - {{name: {n}, valueType: {t}}}" for n, t in FEATURES)
    return (f"spec: {{name: driver_id, valueType: INT64}}\n---\nspec:\n  name: driver_hourly\n"
            f"  entities: [driver_id]\n  features:\n{feats}\n  maxAge: 315360000s\n  batchSource:\n"
            f"    eventTimestampColumn: event_timestamp\n    createdTimestampColumn: created\n"
            f"    fileOptions: {{fileFormat: {{parquetFormat: {{}}}}, fileUrl: \"file://{data}/driver_hourly/\"}}\n")


def main():
    feast, data, repo, store_yaml, name = sys.argv[1:6]
    data = os.path.abspath(data)
    os.makedirs(repo, exist_ok=True)
    with open(os.path.join(repo, "specs.yaml"), "w") as f:
        f.write(specs(data))
    with open(os.path.join(repo, "feature_store.yaml"), "w") as f:
        f.write(f"project: bench\nregistry: registry.db\nonline_store: {store_yaml}\n")
    subprocess.run([feast, "apply"], cwd=repo, check=True, capture_output=True)
    out = os.path.join(repo, "ingest.out")
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        secs, rss = measure(["sh", "-c", f"exec '{feast}' ingest driver_hourly > '{out}'"])
    finally:
        os.chdir(cwd)
    text = open(out).read()
    m = re.search(r"(\d+) rows read, (\d+) written", text)
    rows, written = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    print(json.dumps({"phase": "cli_ingest", "store": name, "rows": rows, "written": written, "seconds": secs,
                      "rows_per_s": rows / secs, "peak_rss_mib": rss,
                      "command": f"feast ingest driver_hourly  # online_store: {store_yaml}"}), flush=True)
    if name == "lmdb":
        secs, rss = measure(["sh", "-c", f"exec '{feast}' parquet cat --count '{data}/driver_hourly' > /dev/null"])
        print(json.dumps({"phase": "parquet_read", "rows": rows, "seconds": secs, "rows_per_s": rows / secs,
                          "peak_rss_mib": rss, "command": "feast parquet cat --count DATA/driver_hourly"}), flush=True)


if __name__ == "__main__":
    main()
