"""goccy's bigquery-emulator v0.8.1 for the BigQuery tests: started on two free
loopback ports (REST, Storage Read gRPC) with its database in a temp dir, and
stopped by its PID. The binary is the one scripts/peers/build-bigquery-emulator.sh
caches (FEAST_PEER_CACHE, default ~/.cache/feast-c); when it is missing and the
build script is in the tree it is built (about 7 minutes). With CI=true a missing
emulator is a failure, never a skip.

Switch to tests/py/peers.py's `bigquery_emulator` fixture once that is on main:
the attributes (.rest, .grpc, .project, .dataset, .env()) are the same."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))
VERSION = "0.8.1"
PROJECT = "feasttest"  # no hyphen: the emulator's Avro namespace refuses one
DATASET = "feast"


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def emulator_binary():
    cache = Path(os.environ.get("FEAST_PEER_CACHE", Path.home() / ".cache" / "feast-c"))
    exe = cache / f"bigquery-emulator-{VERSION}" / "bigquery-emulator"
    if exe.exists():
        return exe
    build = ROOT / "scripts" / "peers" / "build-bigquery-emulator.sh"
    if build.exists():
        subprocess.run(["bash", str(build)], check=True, timeout=3600)
        if exe.exists():
            return exe
    msg = f"the BigQuery emulator is not at {exe}: run scripts/peers/build-bigquery-emulator.sh"
    if os.environ.get("CI") == "true":
        pytest.fail(msg)
    pytest.skip(msg)


class Emulator:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="feast-bqemu-")
        self.port, self.gport = _free_port(), _free_port()
        while self.gport == self.port:
            self.gport = _free_port()
        self.log = open(os.path.join(self.dir, "emulator.log"), "w")
        self.proc = subprocess.Popen(
            [str(emulator_binary()), "--host=127.0.0.1", f"--port={self.port}", f"--grpc-port={self.gport}",
             f"--project={PROJECT}", f"--dataset={DATASET}", f"--database={self.dir}/bq.db", "--log-level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.rest = f"127.0.0.1:{self.port}"
        self.grpc = f"127.0.0.1:{self.gport}"
        self.project, self.dataset = PROJECT, DATASET
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://{self.rest}/projects/{PROJECT}/datasets/{DATASET}", timeout=2)
                socket.create_connection(("127.0.0.1", self.gport), timeout=2).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    pytest.fail(f"the BigQuery emulator did not start: {self.log_tail()}")
                time.sleep(0.1)

    def log_tail(self):
        try:
            return Path(self.dir, "emulator.log").read_text()[-3000:]
        except OSError:
            return ""

    def env(self):
        return {"BIGQUERY_EMULATOR_HOST": self.rest, "BIGQUERY_STORAGE_EMULATOR_HOST": self.grpc}

    def alive(self):
        return self.proc.poll() is None

    def query(self, sql):
        """Run SQL through the REST API (DDL, DML, small SELECTs); returns the rows as lists of strings."""
        body = json.dumps({"query": sql, "useLegacySql": False}).encode()
        req = urllib.request.Request(f"http://{self.rest}/projects/{PROJECT}/queries", data=body,
                                     headers={"Content-Type": "application/json"})
        doc = json.load(urllib.request.urlopen(req, timeout=600))
        if doc.get("errors") or doc.get("error"):
            raise AssertionError(f"query failed: {doc}")
        return [[c["v"] for c in r["f"]] for r in doc.get("rows", [])]

    def client(self):
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery
        return bigquery.Client(project=PROJECT, credentials=AnonymousCredentials(),
                               client_options=ClientOptions(api_endpoint=f"http://{self.rest}"))

    def load_parquet(self, table, path, schema):
        """Load a Parquet file into feast.<table> (replaced) with google-cloud-bigquery, an independent client.
        schema: [(name, type, mode)] with INTEGER/FLOAT/... (the emulator's Storage Read API needs those)."""
        from google.cloud import bigquery
        c = self.client()
        cfg = bigquery.LoadJobConfig(source_format="PARQUET", write_disposition="WRITE_TRUNCATE",
                                     schema=[bigquery.SchemaField(n, t, mode=m) for n, t, m in schema])
        with open(path, "rb") as f:
            c.load_table_from_file(f, f"{PROJECT}.{DATASET}.{table}", job_config=cfg).result()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
