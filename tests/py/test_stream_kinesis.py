"""Kinesis stream ingestion end to end on kinesalite (tests/py/kinesis_peer.py):
`feast stream-ingest` reads 100k Protobuf records (Python protobuf from
protoc-generated code) and 100k Avro records (fastavro) that boto3 put on
4 shards (one split in the middle of the Protobuf stream), with ties, out-of-order rows and bad records; every key's
online values and statuses must equal DuckDB's latest row per key, and the
dead letters must be exactly the bad records (by shard and sequence
number). Then the checkpoints: a restart resumes where the last run ended;
kill -9 at random moments: after each kill the LMDB state is exactly the
reference over the records the stored checkpoints cover (rows and
checkpoints in one transaction: nothing applied that the checkpoint does
not cover, nothing covered that is not applied), and a last run completes
it; resharding (split and merge, while the consumer runs): a child's
checkpoint never appears before its parents' ends; throttling, expired
iterators and paged ListShards through a proxy; unknown stream and missing
credentials."""
import glob
import http.server
import json
import os
import random
import re
import tempfile  # noqa: F401
import signal
import subprocess
import threading
import time
import urllib.request

import pyarrow.parquet as pq
import pytest

import kinesis_peer
import stream_case as sc
import stream_case_avro as sca

ROOT = os.environ.get("FEAST_REPO_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
FEAST = os.environ.get("FEAST_BIN", os.path.join(ROOT, "build", "feast"))
N = int(os.environ.get("FEAST_KINESIS_TEST_RECORDS", "100000"))  # each end-to-end format
SMALL = 10000  # the restart, kill, resharding and Redis streams
N_KEYS = 5000
SHARDS = 4
FAST = "  kinesis: {idle_interval_ms: '100', min_interval_ms: '50'}\n"


@pytest.fixture(scope="module")
def kin():
    k = kinesis_peer.Kinesalite()
    yield k
    k.stop()


def feast(kin, repo, *args, check=True, timeout=600, env=None):
    p = subprocess.run([FEAST, "--config", os.path.join(repo, "feature_store.yaml"), *args],
                       capture_output=True, text=True, timeout=timeout, env=env or kin.env())
    if check and p.returncode != 0:
        raise AssertionError(f"feast {' '.join(args)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def write_repo(root, stream, desc, batch_parquet, record_format=None, streams=None, online=None):
    os.makedirs(root, exist_ok=True)
    if streams is None:
        streams = f"streams:\n  dead_letter: {{type: parquet, path: {root}/dead}}\n" + FAST
    online = online or "  type: lmdb\n  path: data/online"
    with open(os.path.join(root, "feature_store.yaml"), "w") as f:
        f.write(f"project: streams\nregistry: data/registry.db\nonline_store:\n{online}\n{streams}")
    fmt = record_format or "{protoFormat: {classPath: feast.streamtest.Trip}}"
    with open(os.path.join(root, "specs.yaml"), "w") as f:
        f.write(f"""spec:
  name: driver_id
  valueType: INT64
---
spec:
  name: trips
  entities: [driver_id]
  features:
    - {{name: rating, valueType: DOUBLE}}
    - {{name: trips, valueType: INT64}}
    - {{name: name, valueType: STRING}}
    - {{name: tags, valueType: INT64_LIST}}
  batchSource:
    eventTimestampColumn: event_ts
    createdTimestampColumn: created_ts
    fileOptions: {{fileFormat: {{parquetFormat: {{}}}}, fileUrl: "{batch_parquet}"}}
  streamSource:
    eventTimestampColumn: event_ts
    createdTimestampColumn: created_ts
    kinesisOptions:
      region: us-east-1
      streamName: {stream}
      recordFormat: {fmt}
""" + (f'    descriptorSet: "{desc}"\n' if desc else ""))
    return root


@pytest.fixture(scope="module")
def case(kin, tmp_path_factory):
    work = tmp_path_factory.mktemp("kinesis")
    mod, desc = sc.compile_proto(str(work / "proto"))
    return dict(work=work, mod=mod, desc=desc, client=kin.client())


def fresh_stream(case, name, n, seed, shards=SHARDS, avro=False):
    rng = sc.seeded(seed)
    rows = sc.make_rows(rng, n, N_KEYS)
    if avro:
        rows = sca.fix_rows(rows, False, rng)
        payloads = [sca.encode(r, False) for r in rows]
    else:
        payloads = [sc.encode(case["mod"], r) for r in rows]
    kinesis_peer.create_stream(case["client"], name, shards)
    good = sc.write_good_parquet(rows, str(case["work"] / f"{name}.parquet"))
    return dict(rows=rows, payloads=payloads, rng=rng, good=good, ref=sc.reference(good), where=[])


def make_repo(case, name, stream, s, **kw):
    repo = write_repo(str(case["work"] / name), stream, case["desc"], s["good"], **kw)
    subprocess.run([FEAST, "--config", os.path.join(repo, "feature_store.yaml"), "apply", "-f",
                    os.path.join(repo, "specs.yaml")], check=True, capture_output=True)
    return repo


def dead_letters(repo):
    got = {}
    for f in glob.glob(os.path.join(repo, "dead", "trips", "*.parquet")):
        t = pq.read_table(f).to_pydict()
        for p, o, cause, v in zip(t["partition"], t["offset"], t["cause"], t["value"]):
            got[(p, o)] = (cause, v)
    return got


def bad_of(s):
    return {s["where"][i]: (r, s["payloads"][i]) for i, r in enumerate(s["rows"]) if not sc.is_good(r)}


def check_state(repo, ref, keys=None, bad=None):
    keys = keys or list(range(1, N_KEYS + 3))
    got = sc.online_state(repo, keys)
    want = sc.expected_state(ref, keys)
    diffs = [(k, got[k], want[k]) for k in keys if got[k] != want[k]]
    assert not diffs, f"{len(diffs)} keys differ, e.g. {diffs[:3]}"
    if bad is not None:
        dl = dead_letters(repo)
        assert set(dl) == set(bad), f"dead letters: {len(set(dl) - set(bad))} extra, {len(set(bad) - set(dl))} missing"
        assert all(dl[k][1] == bad[k][1] for k in bad), "a dead letter's value is not the record's bytes"


def run_until_caught_up(kin, repo, group, *extra, env=None):
    p = feast(kin, repo, "stream-ingest", "trips", "--until-caught-up", "--from", "earliest", "--group-id", group,
              "-o", "json", *extra, env=env)
    return json.loads(p.stdout)["tables"][0]


def checkpoints(repo, group, stream):
    """shard id -> checkpoint, read from the LMDB file with mdb_dump (not our code)."""
    path = os.path.join(repo, "data", "online")
    p = subprocess.run(["mdb_dump", "-p", path], capture_output=True, text=True, check=True)
    lines = p.stdout.splitlines()
    prefix = f"\\00kinesis/{group}/{stream}\\00"
    out = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(" " + prefix):
            out[line[1 + len(prefix):]] = lines[i + 1].strip()
            i += 2
        else:
            i += 1
    return out


def covered(s, cps):
    """The indexes of the records the checkpoints cover."""
    out = []
    for i, (shard, seq) in enumerate(s["where"]):
        cp = cps.get(shard)
        if cp == "SHARD_END" or (cp and int(seq) <= int(cp)):
            out.append(i)
    return out


def reference_of(s, idx, path):
    rows = [s["rows"][i] for i in idx]
    sc.write_good_parquet(rows, path)
    return sc.reference(path)


# ---- end to end ----

def split_first_shard(client, stream):
    s0 = client.list_shards(StreamName=stream)["Shards"][0]
    lo, hi = int(s0["HashKeyRange"]["StartingHashKey"]), int(s0["HashKeyRange"]["EndingHashKey"])
    client.split_shard(StreamName=stream, ShardToSplit=s0["ShardId"], NewStartingHashKey=str((lo + hi) // 2))
    kinesis_peer.wait_active(client, stream)


def test_protobuf_end_to_end(kin, case):
    s = fresh_stream(case, "trips", N, 1)
    half = N // 2
    s["where"] = kinesis_peer.put(case["client"], "trips", s["payloads"][:half], s["rng"])
    split_first_shard(case["client"], "trips")  # a split in the middle: 4 shards, then 5 open of 6
    s["where"] += kinesis_peer.put(case["client"], "trips", s["payloads"][half:], s["rng"])
    assert len({w[0] for w in s["where"]}) == SHARDS + 2
    repo = make_repo(case, "proto", "trips", s)
    out = run_until_caught_up(kin, repo, "e2e")
    n_undecodable = sum(1 for r in s["rows"] if isinstance(r, tuple))
    assert out["status"] == "ok", out
    assert out["messages"] == N and out["undecodable"] == n_undecodable
    assert out["rows"] == N - n_undecodable
    assert sum(out["dead_letters"].values()) == len(bad_of(s))
    assert set(out["lag"]) == {w[0] for w in s["where"]}
    check_state(repo, s["ref"], bad=bad_of(s))
    dl = dead_letters(repo)
    causes = {v[0] for v in dl.values()}
    assert {"null entity key", "null event timestamp"} <= causes, causes
    # the checkpoints cover every record: a second run reads nothing
    cps = checkpoints(repo, "e2e", "trips")
    assert set(cps) == {w[0] for w in s["where"]}
    assert cps["shardId-000000000000"] == "SHARD_END", cps
    assert len(covered(s, cps)) == N
    again = run_until_caught_up(kin, repo, "e2e")
    assert again["status"] == "ok" and again["messages"] == 0, again
    # a new group with --from latest (the default) reads nothing already there
    p = feast(kin, repo, "stream-ingest", "trips", "--until-caught-up", "--group-id", "late", "-o", "json")
    assert json.loads(p.stdout)["tables"][0]["messages"] == 0
    p = feast(kin, repo, "stream-ingest", "trips", "--until-caught-up", "--group-id", "ts-future", "--from",
              "2100-01-01T00:00:00Z", "-o", "json")
    assert json.loads(p.stdout)["tables"][0]["messages"] == 0
    p = feast(kin, repo, "stream-ingest", "trips", "--until-caught-up", "--group-id", "ts-past", "--from",
              "2000-01-01T00:00:00Z", "-o", "json")
    assert json.loads(p.stdout)["tables"][0]["messages"] == N


def test_avro_end_to_end(kin, case):
    s = fresh_stream(case, "avro", N, 2, avro=True)
    s["where"] = kinesis_peer.put(case["client"], "avro", s["payloads"], s["rng"])
    fmt = "{avroFormat: {schemaJson: '" + sca.schema_json() + "'}}"
    repo = make_repo(case, "avro", "avro", s, record_format=fmt)
    out = run_until_caught_up(kin, repo, "avro")
    assert out["status"] == "ok" and out["messages"] == N, out
    check_state(repo, s["ref"], bad=bad_of(s))


def test_restart_resumes_from_checkpoints(kin, case):
    s = fresh_stream(case, "resume", SMALL, 3)
    half = len(s["payloads"]) // 2
    s["where"] = kinesis_peer.put(case["client"], "resume", s["payloads"][:half], s["rng"])
    repo = make_repo(case, "resume", "resume", s)
    first = run_until_caught_up(kin, repo, "g")
    assert first["messages"] == half
    s["where"] += kinesis_peer.put(case["client"], "resume", s["payloads"][half:], s["rng"])
    second = run_until_caught_up(kin, repo, "g")
    assert second["messages"] == len(s["payloads"]) - half, second
    check_state(repo, s["ref"], bad=bad_of(s))


def spawn(kin, repo, group, rows="500", delay="200ms"):
    return subprocess.Popen([FEAST, "--config", os.path.join(repo, "feature_store.yaml"), "stream-ingest", "trips",
                             "--from", "earliest", "--group-id", group, "--max-batch-rows", rows,
                             "--max-batch-delay", delay],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=kin.env())


def test_kill9_exactly_once_with_lmdb(kin, case):
    s = fresh_stream(case, "kills", SMALL, 4)
    # slow reads (100 records a call, 5 calls a second per shard) and batches
    # that end inside a GetRecords answer, so kills land mid-stream
    repo = str(case["work"] / "kills")
    streams = (f"streams:\n  dead_letter: {{type: parquet, path: {repo}/dead}}\n"
               "  kinesis: {get_records_limit: '100', min_interval_ms: '200', idle_interval_ms: '100'}\n")
    make_repo(case, "kills", "kills", s, streams=streams)
    rng = random.Random(44)
    kills = 10
    first = len(s["payloads"]) * 6 // 10
    checked = mid = 0
    for k in range(kills):
        # most records at once, the rest while the kills go on
        if k in (0, kills // 2):
            part = s["payloads"][:first] if k == 0 else s["payloads"][first:]
            s["where"] += kinesis_peer.put(case["client"], "kills", part, s["rng"])
        p = spawn(kin, repo, "kills", rows=str(rng.choice([150, 250, 730])), delay="100ms")
        time.sleep(rng.uniform(0.3, 1.2))
        p.kill()
        p.wait()
        # what is in LMDB is exactly what the checkpoints stored with it cover
        cps = checkpoints(repo, "kills", "kills")
        idx = covered(dict(s, where=s["where"]), cps)
        ref = reference_of(s, idx, str(case["work"] / f"kills-{k}.parquet"))
        check_state(repo, ref)
        checked += bool(idx)
        mid += 0 < len(idx) < len(s["where"])
    assert checked >= 3, "the kills should land after some checkpoints"
    assert mid >= 3, "the kills should land mid-stream"
    out = run_until_caught_up(kin, repo, "kills")
    assert out["status"] == "ok"
    check_state(repo, s["ref"], bad=bad_of(s))


# ---- resharding ----

def test_resharding_parents_before_children(kin, case):
    s = fresh_stream(case, "reshard", SMALL, 5, shards=2)
    client = case["client"]
    third = len(s["payloads"]) // 3
    s["where"] = kinesis_peer.put(client, "reshard", s["payloads"][:third], s["rng"])
    repo = make_repo(case, "reshard", "reshard", s)
    p = spawn(kin, repo, "reshard", rows="200", delay="50ms")
    samples = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                samples.append(checkpoints(repo, "reshard", "reshard"))
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.05)

    t = threading.Thread(target=sample)
    t.start()
    try:
        shards = client.list_shards(StreamName="reshard")["Shards"]
        s0 = shards[0]
        lo, hi = int(s0["HashKeyRange"]["StartingHashKey"]), int(s0["HashKeyRange"]["EndingHashKey"])
        client.split_shard(StreamName="reshard", ShardToSplit=s0["ShardId"], NewStartingHashKey=str((lo + hi) // 2))
        kinesis_peer.wait_active(client, "reshard")
        s["where"] += kinesis_peer.put(client, "reshard", s["payloads"][third:2 * third], s["rng"])
        shards = {x["ShardId"]: x for x in client.list_shards(StreamName="reshard")["Shards"]}
        upper_child = max((x for x in shards.values() if x.get("ParentShardId") == s0["ShardId"]),
                          key=lambda x: int(x["HashKeyRange"]["StartingHashKey"]))
        client.merge_shards(StreamName="reshard", ShardToMerge=upper_child["ShardId"],
                            AdjacentShardToMerge=shards_sorted(shards)[1])
        kinesis_peer.wait_active(client, "reshard")
        s["where"] += kinesis_peer.put(client, "reshard", s["payloads"][2 * third:], s["rng"])
        shards = {x["ShardId"]: x for x in client.list_shards(StreamName="reshard")["Shards"]}
        assert len(shards) == 5
        end = time.time() + 120
        while time.time() < end:
            assert p.poll() is None, p.stderr.read()
            if samples and len(covered(s, samples[-1])) == len(s["payloads"]):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"not everything was checkpointed: {samples[-1] if samples else None}")
    finally:
        stop.set()
        t.join()
        p.send_signal(signal.SIGTERM)
        _, errs = p.communicate(timeout=60)
    assert p.returncode == 0, errs[-5000:]
    parents = {sid: [x for x in (sh.get("ParentShardId"), sh.get("AdjacentParentShardId")) if x]
               for sid, sh in shards.items()}
    for cps in samples:
        for sid, cp in cps.items():
            for parent in parents[sid]:
                assert cps.get(parent) == "SHARD_END", f"{sid} checkpointed at {cp} before its parent {parent} ended: {cps}"
    final = samples[-1]
    closed = [sid for sid, sh in shards.items() if "EndingSequenceNumber" in sh["SequenceNumberRange"]]
    assert len(closed) == 3 and all(final[c] == "SHARD_END" for c in closed), final
    check_state(repo, s["ref"], bad=bad_of(s))


def shards_sorted(shards):
    """The open shards' ids by hash range: [lower child, the other original shard]."""
    open_ = [x for x in shards.values() if "EndingSequenceNumber" not in x["SequenceNumberRange"]]
    open_.sort(key=lambda x: int(x["HashKeyRange"]["StartingHashKey"]))
    return [x["ShardId"] for x in open_][1:] if len(open_) == 3 else [x["ShardId"] for x in open_]


# ---- the service's limits, through a misbehaving proxy ----

class Proxy:
    """Forwards to kinesalite; answers ProvisionedThroughputExceededException
    to a share of GetRecords, ExpiredIteratorException to some, and splits
    ListShards into pages of one shard with NextToken."""

    def __init__(self, upstream, rng):
        self.counts = {"throttled": 0, "expired": 0, "pages": 0}
        self.calls = 0
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, status, doc):
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def forward(self, body, target):
                req = urllib.request.Request(upstream + "/", data=body, method="POST", headers={
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")})
                try:
                    with urllib.request.urlopen(req, timeout=30) as r:
                        return r.status, json.loads(r.read() or b"{}")
                except urllib.error.HTTPError as e:
                    return e.code, json.loads(e.read() or b"{}")

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target", "")
                doc = json.loads(body or b"{}")
                if target.endswith("GetRecords"):
                    # a fixed pattern over the calls: 3 in 10 throttled, 1 in 10 expired
                    outer.calls += 1
                    x = (outer.calls % 10) / 10 + 0.001
                    if x < 0.3:
                        outer.counts["throttled"] += 1
                        return self.reply(400, {"__type": "ProvisionedThroughputExceededException",
                                                "message": "Rate exceeded for shard"})
                    if x < 0.4:
                        outer.counts["expired"] += 1
                        return self.reply(400, {"__type": "ExpiredIteratorException", "message": "Iterator expired"})
                if target.endswith("ListShards"):
                    name = doc.get("StreamName") or doc.get("NextToken", "").split("|")[0]
                    start = int(doc["NextToken"].split("|")[1]) if "NextToken" in doc else 0
                    status, full = self.forward(json.dumps({"StreamName": name}).encode(), target)
                    if status != 200:
                        return self.reply(status, full)
                    outer.counts["pages"] += 1
                    page = {"Shards": full["Shards"][start:start + 1]}
                    if start + 1 < len(full["Shards"]):
                        page["NextToken"] = f"{name}|{start + 1}"
                    return self.reply(200, page)
                status, out = self.forward(body, target)
                return self.reply(status, out)

        port = kinesis_peer.free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_throttling_expired_iterators_and_pages(kin, case):
    s = fresh_stream(case, "throttled", 6000, 6)
    s["where"] = kinesis_peer.put(case["client"], "throttled", s["payloads"], s["rng"])
    proxy = Proxy(kin.endpoint, random.Random(6))
    try:
        repo = str(case["work"] / "throttled")
        streams = (f"streams:\n  dead_letter: {{type: parquet, path: {repo}/dead}}\n"
                   f"  kinesis: {{endpoint_url: '{proxy.url}', idle_interval_ms: '50', min_interval_ms: '0',"
                   f" get_records_limit: '500'}}\n")
        make_repo(case, "throttled", "throttled", s, streams=streams)
        env = dict(kin.env())
        env.pop("AWS_ENDPOINT_URL_KINESIS")
        out = run_until_caught_up(kin, repo, "t", env=env)
        assert out["status"] == "ok" and out["messages"] == len(s["payloads"]), out
        assert proxy.counts["throttled"] >= 6 and proxy.counts["expired"] >= 2, proxy.counts
        assert proxy.counts["pages"] >= SHARDS, proxy.counts
        check_state(repo, s["ref"], bad=bad_of(s))
    finally:
        proxy.close()


# ---- clear errors ----

def test_unknown_stream_and_missing_credentials(kin, case):
    s = fresh_stream(case, "exists", 10, 7)
    repo = make_repo(case, "nostream", "no-such-stream", s)
    p = feast(kin, repo, "stream-ingest", "trips", "--until-caught-up", check=False)
    assert p.returncode == 1, p.stderr
    assert "Kinesis source stream no-such-stream in us-east-1" in p.stderr, p.stderr
    assert "ResourceNotFoundException" in p.stderr, p.stderr
    env = {k: v for k, v in kin.env().items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    repo = make_repo(case, "nocreds", "exists", s)
    p = feast(kin, repo, "stream-ingest", "trips", "--until-caught-up", check=False, env=env)
    assert p.returncode == 1, p.stderr
    assert "Kinesis source stream exists in us-east-1" in p.stderr and "credentials" in p.stderr.lower(), p.stderr
    repo = make_repo(case, "badsetting", "exists", s,
                     streams="streams:\n  kinesis: {no_such_setting: '1'}\n")
    p = feast(kin, repo, "stream-ingest", "trips", "--until-caught-up", check=False)
    assert p.returncode == 1 and "unknown setting streams.kinesis.no_such_setting" in p.stderr, p.stderr
    assert re  # (imported for ad-hoc debugging of checkpoints)


# ---- KPL aggregated records ----

KPL_PROTO = """syntax = "proto2";
package kpl;
message AggregatedRecord {
  repeated string partition_key_table = 1;
  repeated string explicit_hash_key_table = 2;
  repeated Record records = 3;
}
message Tag { required string key = 1; optional string value = 2; }
message Record {
  required uint64 partition_key_index = 1;
  optional uint64 explicit_hash_key_index = 2;
  required bytes data = 3;
  repeated Tag tags = 4;
}
"""


def kpl_module(work):
    """The KPL's aggregation messages (its documented messages.proto), by protoc for Python."""
    import importlib
    import sys
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "kpl_agg.proto"), "w") as f:
        f.write(KPL_PROTO)
    subprocess.run(["protoc", f"-I{work}", f"--python_out={work}", os.path.join(work, "kpl_agg.proto")], check=True)
    sys.path.insert(0, work)
    try:
        return importlib.import_module("kpl_agg_pb2")
    finally:
        sys.path.remove(work)


def aggregate(kpl, users, rng):
    import hashlib
    a = kpl.AggregatedRecord()
    keys = [f"pk{rng.randrange(100)}" for _ in range(rng.randrange(1, 4))]
    a.partition_key_table.extend(keys)
    for u in users:
        r = a.records.add()
        r.partition_key_index = rng.randrange(len(keys))
        r.data = u
    body = a.SerializeToString()
    return b"\xf3\x89\x9a\xc2" + body + hashlib.md5(body).digest()


def test_kpl_aggregated_records(kin, case):
    kpl = kpl_module(str(case["work"] / "kpl"))
    s = fresh_stream(case, "kpl", SMALL // 2, 8)
    rng = random.Random(8)
    # group the user records: plain ones, aggregates of 1-20, and one that
    # only looks aggregated (a broken MD5): a plain (undecodable) record
    groups, i = [], 0
    while i < len(s["payloads"]):
        n = rng.choice([1, 1, 5, 20])
        groups.append(list(range(i, min(i + n, len(s["payloads"])))))
        i += n
    records, origin_of = [], {}
    for g in groups:
        if len(g) == 1 and rng.random() < 0.5:
            records.append(s["payloads"][g[0]])
        else:
            records.append(aggregate(kpl, [s["payloads"][j] for j in g], rng))
    agg = aggregate(kpl, [b"x"], rng)
    fake = agg[:-1] + bytes([agg[-1] ^ 0xFF])  # a broken MD5 trailer (a fixed byte matched 1 time in 256)
    records.append(fake)
    where = kinesis_peer.put(case["client"], "kpl", records, s["rng"])
    s["where"] = [None] * len(s["payloads"])
    for g, rec, w in zip(groups, records, where):
        if rec.startswith(b"\xf3\x89\x9a\xc2"):
            for sub, j in enumerate(g):
                s["where"][j] = (w[0], f"{w[1]}:{sub}")
        else:
            s["where"][g[0]] = w
    repo = make_repo(case, "kpl", "kpl", s)
    out = run_until_caught_up(kin, repo, "kpl")
    assert out["status"] == "ok" and out["messages"] == len(s["payloads"]) + 1, out
    bad = bad_of(s)
    bad[where[-1]] = (None, fake)
    check_state(repo, s["ref"], bad=bad)
    assert any(":" in o for (_, o) in bad), "some bad user records come from aggregates"


# ---- Redis: checkpoints written right after the rows (at least once) ----

class Redis:
    def __init__(self):
        self.port = kinesis_peer.free_port()
        self.dir = str(kinesis_peer.tempfile.mkdtemp(prefix="feast-redis-"))
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
                                      self.dir, "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(100):
            r = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
            if r.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("redis did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def test_redis_at_least_once_with_kills(kin, case):
    r = Redis()
    try:
        s = fresh_stream(case, "redis", SMALL, 9)
        repo = str(case["work"] / "redis")
        streams = (f"streams:\n  dead_letter: {{type: parquet, path: {repo}/dead}}\n"
                   "  kinesis: {get_records_limit: '100', min_interval_ms: '200', idle_interval_ms: '100'}\n")
        make_repo(case, "redis", "redis", s, streams=streams,
                  online=f"  type: redis\n  connection_string: \"127.0.0.1:{r.port}\"")
        s["where"] = kinesis_peer.put(case["client"], "redis", s["payloads"], s["rng"])
        rng = random.Random(99)
        for _ in range(5):
            p = spawn(kin, repo, "redis", rows=str(rng.choice([150, 430])), delay="100ms")
            time.sleep(rng.uniform(0.3, 1.0))
            p.kill()
            p.wait()
        cps = subprocess.run(["redis-cli", "-p", str(r.port), "hgetall", "feast:positions:kinesis/redis/redis"],
                             capture_output=True, text=True).stdout.split()
        assert len(cps) == 2 * SHARDS, cps
        out = run_until_caught_up(kin, repo, "redis")
        assert out["status"] == "ok"
        check_state(repo, s["ref"], bad=bad_of(s))
    finally:
        r.stop()


# ---- a server that verifies signatures (moto, authenticating) ----

def test_signed_calls_on_moto_and_bad_credentials(kin, case):
    """moto with INITIAL_NO_AUTH_ACTION_COUNT=3 verifies SigV4: with the right key every call of the
    connector (ListShards, GetShardIterator, GetRecords) passes and the records arrive; with a wrong
    secret or an unknown key the error names the stream and AWS's code."""
    import boto3
    import sys
    port = kinesis_peer.free_port()
    log = open(str(case["work"] / "moto.log"), "w")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            env=dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3"), stdout=log, stderr=log,
                            start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                import socket
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bootstrap",
                           aws_secret_access_key="bootstrap")
        iam.create_user(UserName="feast-test")
        iam.put_user_policy(UserName="feast-test", PolicyName="allow-all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="feast-test")["AccessKey"]
        client = boto3.client("kinesis", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        s = fresh_stream(dict(case, client=client), "signed", 300, 10, shards=2)
        s["where"] = kinesis_peer.put(client, "signed", s["payloads"], s["rng"])
        repo = make_repo(case, "signed", "signed", s)

        def env(akid, secret):
            e = dict(kin.env(), AWS_ENDPOINT_URL_KINESIS=url, AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret)
            return e
        out = run_until_caught_up(kin, repo, "signed", env=env(key["AccessKeyId"], key["SecretAccessKey"]))
        assert out["status"] == "ok" and out["messages"] == 300, out
        check_state(repo, s["ref"], bad=bad_of(s))
        # the same from feature_store.yaml's aws: section alone (credentials and endpoint; none in the
        # environment): a second group reads it all again
        with open(os.path.join(repo, "feature_store.yaml"), "a") as f:
            f.write(f"aws:\n  access_key_id: {key['AccessKeyId']}\n  secret_access_key: {key['SecretAccessKey']}\n"
                    f"  kinesis_endpoint_url: {url}\n")
        bare = {k: v for k, v in kin.env().items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                                 "AWS_ENDPOINT_URL_KINESIS")}
        out = run_until_caught_up(kin, repo, "signed-yaml", env=bare)
        assert out["status"] == "ok" and out["messages"] == 300, out
        with open(os.path.join(repo, "feature_store.yaml")) as f:
            text = f.read()
        with open(os.path.join(repo, "feature_store.yaml"), "w") as f:
            f.write(text[:text.index("aws:\n")])
        for akid, secret, code in ((key["AccessKeyId"], "wrong-secret", "SignatureDoesNotMatch"),
                                   ("AKIANOSUCHKEY0000000", "x", "InvalidClientTokenId")):
            p = feast(kin, repo, "stream-ingest", "trips", "--until-caught-up", "--group-id", "bad", check=False,
                      env=env(akid, secret))
            assert p.returncode == 1, p.stderr
            assert "Kinesis source stream signed in us-east-1" in p.stderr and code in p.stderr, p.stderr
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
