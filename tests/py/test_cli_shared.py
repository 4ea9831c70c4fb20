"""The CLI uses only libfeast's exported interface: build/feast-shared is the
same CLI linked against libfeast.so (it would not link otherwise), and it
must behave exactly as the statically linked binary on the quickstart flow."""
import os
import subprocess

import pyarrow.parquet as pq

ROOT = os.environ.get("FEAST_REPO_ROOT", os.getcwd())
BUILD = os.path.dirname(os.environ.get("FEAST_BIN", os.path.join(ROOT, "build", "feast")))


def run(binary, args, cwd):
    p = subprocess.run([os.path.join(BUILD, binary), *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"{binary} {' '.join(args)}: {p.stderr}"
    return p.stdout


def flow(binary, tmp):
    repo = os.path.join(tmp, binary)
    run(binary, ["init", repo], tmp)
    out = [run(binary, ["apply"], repo), run(binary, ["ingest", "driver_trips"], repo).split(" (")[0]]
    out.append(run(binary, ["get-online-features", "-f", "driver_trips:conv_rate,driver_trips:avg_daily_trips",
                            "-e", "driver_id=1001", "-e", "driver_id=1002", "--at", "2021-04-13T00:00:00Z",
                            "-o", "json"], repo))
    with open(os.path.join(repo, "entities.csv"), "w") as f:
        f.write("driver_id,event_timestamp\n1001,2021-04-12T05:30:00Z\n1002,2021-04-12T10:00:00Z\n")
    run(binary, ["get-historical-features", "-f", "driver_trips:conv_rate", "-e", "entities.csv",
                 "-o", "training.parquet"], repo)
    out.append(pq.read_table(os.path.join(repo, "training.parquet")).to_pylist())
    return out


def test_shared_binary_matches_static(tmp_path):
    assert os.path.exists(os.path.join(BUILD, "feast-shared")), "make builds feast-shared beside feast"
    static, shared = flow("feast", str(tmp_path)), flow("feast-shared", str(tmp_path))
    assert static == shared
    assert "PRESENT" in static[2]
