"""kinesalite for the Kinesis stream tests, on a port of this suite's own
range (FEAST_KINESIS_TEST_PORTS, default 45000-45999), from the install
scripts/peers/install-kinesalite.sh made (KINESALITE_HOME in
scripts/peers/common.sh); stopped by its PID. Plus the boto3 producer the
tests write records with (an encoder independent of ours)."""
import os
import random
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
CACHE = Path(os.environ.get("FEAST_PEER_CACHE", Path.home() / ".cache" / "feast-c"))
PORTS = os.environ.get("FEAST_KINESIS_TEST_PORTS", "45000-45999")


def kinesalite_home():
    homes = sorted(CACHE.glob("kinesalite-*/.complete"))
    if not homes:
        msg = "kinesalite is not installed; run `scripts/peers/install-kinesalite.sh` (or `make deps`)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return homes[-1].parent


def free_port():
    lo, hi = (int(x) for x in PORTS.split("-"))
    for _ in range(500):
        p = random.randint(lo, hi)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
                return p
            except OSError:
                continue
    raise RuntimeError(f"no free port in {PORTS}")


class Kinesalite:
    def __init__(self):
        self.home = kinesalite_home()
        self.dir = tempfile.mkdtemp(prefix="feast-kinesalite-")
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        script = os.path.join(self.dir, "serve.js")
        with open(script, "w") as f:
            f.write(f"""require('{self.home}/node_modules/kinesalite')({{
  createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 200,
}}).listen({self.port}, '127.0.0.1', function (err) {{ if (err) {{ console.error(err); process.exit(1); }} }});
""")
        self.log = open(os.path.join(self.dir, "kinesalite.log"), "w")
        self.proc = subprocess.Popen(["node", script], stdout=self.log, stderr=self.log, start_new_session=True)
        end = time.time() + 30
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kinesalite exited: see {self.dir}/kinesalite.log")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("kinesalite did not listen")

    def client(self):
        import boto3
        from botocore.config import Config
        return boto3.client("kinesis", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="feast-test", aws_secret_access_key="feast-test",
                            config=Config(retries={"max_attempts": 10, "mode": "standard"}))

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"AWS_ENDPOINT_URL_KINESIS": self.endpoint, "AWS_REGION": "us-east-1",
                    "AWS_ACCESS_KEY_ID": "feast-test", "AWS_SECRET_ACCESS_KEY": "feast-test",
                    "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent/aws-config",
                    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials"})
        return env

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def create_stream(client, name, shards):
    client.create_stream(StreamName=name, ShardCount=shards)
    for _ in range(100):
        if client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
            return
        time.sleep(0.1)
    raise AssertionError(f"stream {name} did not become ACTIVE")


def wait_active(client, name):
    for _ in range(100):
        if client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
            return
        time.sleep(0.1)
    raise AssertionError(f"stream {name} did not become ACTIVE")


def put(client, name, payloads, rng):
    """PutRecords in batches of 500 with random partition keys; returns
    [(shard id, sequence number)] per payload."""
    where = []
    for s in range(0, len(payloads), 500):
        batch = payloads[s:s + 500]
        entries = [{"Data": p, "PartitionKey": f"pk{rng.randrange(10 ** 9)}"} for p in batch]
        todo = list(range(len(batch)))
        got = [None] * len(batch)
        while todo:
            r = client.put_records(StreamName=name, Records=[entries[i] for i in todo])
            again = []
            for i, res in zip(todo, r["Records"]):
                if "SequenceNumber" in res:
                    got[i] = (res["ShardId"], res["SequenceNumber"])
                else:
                    again.append(i)
            todo = again
        where += got
    return where
