"""goccy's bigquery-emulator v0.8.1 for the BigQuery tests and benchmark, through the
project's peers (scripts/peers/start-bigquery-emulator.sh via tests/py/peers.py: two
free loopback ports, its database in a temp dir, stopped by its PID; in CI a missing
emulator fails, never skips), plus what the BigQuery tests do with it: SQL over REST,
Parquet loads by google-cloud-bigquery (an independent client), liveness.

Emulator() is the pytest session's shared emulator; Emulator(own=True) starts one of
its own (the benchmark), stopped by stop()."""
import json
import os
import tempfile
import urllib.request

import peers


class Emulator:
    def __init__(self, own=False):
        if own:
            p = peers.BigQueryEmulator()
            p.state_file = os.path.join(tempfile.mkdtemp(prefix="feast-bqemu-"), "bigquery-emulator.state")
            self._own = p.start()
        else:
            p = peers.peer("bigquery-emulator", peers.BigQueryEmulator)
            self._own = None
        self.peer = p
        self.rest, self.grpc = p.rest, p.grpc
        self.project, self.dataset = p.project, p.dataset

    def env(self):
        return self.peer.env()

    def alive(self):
        try:
            os.kill(self.peer.pid, 0)
        except OSError:
            return False
        with open(f"/proc/{self.peer.pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"

    def query(self, sql):
        """Run SQL through the REST API (DDL, DML, small SELECTs); returns the rows as lists of strings."""
        body = json.dumps({"query": sql, "useLegacySql": False}).encode()
        req = urllib.request.Request(f"http://{self.rest}/projects/{self.project}/queries", data=body,
                                     headers={"Content-Type": "application/json"})
        doc = json.load(urllib.request.urlopen(req, timeout=600))
        if doc.get("errors") or doc.get("error"):
            raise AssertionError(f"query failed: {doc}")
        return [[c["v"] for c in r["f"]] for r in doc.get("rows", [])]

    def client(self):
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery
        return bigquery.Client(project=self.project, credentials=AnonymousCredentials(),
                               client_options=ClientOptions(api_endpoint=f"http://{self.rest}"))

    def load_parquet(self, table, path, schema):
        """Load a Parquet file into feast.<table> (replaced) with google-cloud-bigquery.
        schema: [(name, type, mode)] with INTEGER/FLOAT/... (the emulator's Storage Read API needs those)."""
        from google.cloud import bigquery
        c = self.client()
        cfg = bigquery.LoadJobConfig(source_format="PARQUET", write_disposition="WRITE_TRUNCATE",
                                     schema=[bigquery.SchemaField(n, t, mode=m) for n, t, m in schema])
        with open(path, "rb") as f:
            c.load_table_from_file(f, f"{self.project}.{self.dataset}.{table}", job_config=cfg).result()

    def stop(self):
        """Stops an emulator of its own; the shared one stops with the session."""
        if self._own:
            self._own.stop()
            self._own = None
