"""Kafka stream ingestion end to end on a real broker (tests/py/kafka_broker.py):
`feast stream-ingest` consumes Protobuf messages written by Python protobuf
into LMDB, Redis and Redis Cluster, and every key's online values and
statuses must equal DuckDB's latest row per key over the same good rows;
the dead letters must be exactly the bad messages (by partition and
offset). Then the at-least-once claims: kill -9 at random moments and
restart, a broker restart mid-stream, two consumers of one group with a
rebalance mid-run; and the start-up checks (bad librdkafka properties,
broker down, start positions)."""
import glob
import json
import os
import signal
import subprocess
import time

import pyarrow.parquet as pq
import pytest

import stream_case as sc
from peers import kafka  # noqa: F401  (pytest fixture: scripts/peers/start-kafka.sh, once per session)

ROOT = os.environ.get("FEAST_REPO_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
FEAST = os.environ.get("FEAST_BIN", os.path.join(ROOT, "build", "feast"))
SCRIPTS = os.path.join(ROOT, "scripts")
N = int(os.environ.get("FEAST_STREAM_TEST_MESSAGES", "200000"))
N_KEYS = 20000
PARTS = 4


def feast(repo, *args, check=True, timeout=600, **kw):
    p = subprocess.run([FEAST, "--config", os.path.join(repo, "feature_store.yaml"), *args],
                       capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"feast {' '.join(args)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def start_script(name):
    return subprocess.run(["bash", os.path.join(SCRIPTS, name)], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="module")
def case(kafka, tmp_path_factory):  # noqa: F811
    work = tmp_path_factory.mktemp("stream")
    mod, desc = sc.compile_proto(str(work / "proto"))
    rng = sc.seeded(10)
    rows = sc.make_rows(rng, N, N_KEYS)
    payloads = [sc.encode(mod, r) for r in rows]
    kafka.create_topic("trips", PARTS)
    where = sc.produce(kafka.bootstrap, "trips", payloads, PARTS, rng)
    good = sc.write_good_parquet(rows, str(work / "good.parquet"))
    ref = sc.reference(good)
    bad = {where[i]: r for i, r in enumerate(rows) if not sc.is_good(r)}
    keys = list(range(1, N_KEYS + 1)) + [N_KEYS + 1, N_KEYS + 7]  # two never written
    return dict(work=work, mod=mod, desc=desc, rows=rows, where=where, good=good, ref=ref, bad=bad, keys=keys,
                bootstrap=kafka.bootstrap)


def make_repo(case, name, online, topic="trips", streams=None):
    repo = str(case["work"] / name)
    if streams is None:
        streams = f"streams:\n  dead_letter: {{type: parquet, path: {repo}/dead}}\n"
    sc.write_repo(repo, topic, case["bootstrap"], case["desc"], online, case["good"], streams)
    feast(repo, "apply", "-f", os.path.join(repo, "specs.yaml"))
    return repo


def dead_letters(repo):
    files = glob.glob(os.path.join(repo, "dead", "trips", "*.parquet"))
    got = {}
    for f in files:
        t = pq.read_table(f).to_pydict()
        for p, o, cause, v in zip(t["partition"], t["offset"], t["cause"], t["value"]):
            got[(int(p), int(o))] = (cause, v)
    return got


def check_state(case, repo, ref=None, where=None, bad=None):
    got = sc.online_state(repo, case["keys"])
    want = sc.expected_state(ref or case["ref"], case["keys"])
    diffs = [(k, got[k], want[k]) for k in case["keys"] if got[k] != want[k]]
    assert not diffs, f"{len(diffs)} keys differ, e.g. {diffs[:3]}"
    dl = dead_letters(repo)
    bad = case["bad"] if bad is None else bad
    assert set(dl) == set(bad), f"dead letters: {len(set(dl) - set(bad))} extra, {len(set(bad) - set(dl))} missing"
    payloads = {k: sc.encode(case["mod"], r) for k, r in bad.items()}
    assert all(dl[k][1] == payloads[k] for k in bad), "a dead letter's value is not the message's bytes"
    causes = {dl[k][0] for k in bad}
    assert "null entity key" in causes and "null event timestamp" in causes, causes


def run_until_caught_up(repo, group, *extra):
    p = feast(repo, "stream-ingest", "trips", "--until-caught-up", "--from", "earliest", "--group-id", group,
              "-o", "json", *extra)
    return json.loads(p.stdout)["tables"][0]


def test_lmdb_end_to_end(case):
    repo = make_repo(case, "lmdb", "  type: lmdb\n  path: data/online")
    s = run_until_caught_up(repo, "e2e-lmdb")
    assert s["status"] == "ok", s
    n_undecodable = sum(1 for r in case["rows"] if isinstance(r, tuple))
    assert s["messages"] == N
    assert s["undecodable"] == n_undecodable
    assert s["rejected"] == len(case["bad"]) - n_undecodable
    assert s["rows"] == N - n_undecodable
    assert sum(s["dead_letters"].values()) == len(case["bad"])
    check_state(case, repo)
    # a second run of the same group finds everything committed: nothing more
    again = run_until_caught_up(repo, "e2e-lmdb")
    assert again["messages"] == 0, again


def test_redis_and_cluster(case):
    port = start_script("start-redis.sh")
    try:
        repo = make_repo(case, "redis", f"  type: redis\n  connection_string: \"127.0.0.1:{port}\"")
        assert run_until_caught_up(repo, "e2e-redis")["status"] == "ok"
        check_state(case, repo)
    finally:
        subprocess.run(["bash", os.path.join(SCRIPTS, "stop-redis.sh"), port])
    ports = start_script("start-redis-cluster.sh")
    try:
        nodes = ",".join(f"127.0.0.1:{p}" for p in ports.split(","))
        repo = make_repo(case, "cluster", f"  type: redis_cluster\n  connection_string: \"{nodes}\"")
        assert run_until_caught_up(repo, "e2e-cluster")["status"] == "ok"
        check_state(case, repo)
    finally:
        subprocess.run(["bash", os.path.join(SCRIPTS, "stop-redis-cluster.sh"), ports])


def test_jobs_spelling_and_start_positions(case):
    repo = make_repo(case, "starts", "  type: lmdb\n  path: data/online")
    # latest (the default, as Feast 0.9): a new group reads nothing already there
    p = feast(repo, "jobs", "start-stream-to-online", "-t", "trips", "--until-caught-up", "--group-id", "late",
              "-o", "json")
    assert json.loads(p.stdout)["tables"][0]["messages"] == 0
    # a timestamp after every message: nothing either; before every message: all
    p = feast(repo, "stream-ingest", "trips", "--until-caught-up", "--group-id", "ts-future", "--from",
              "2100-01-01T00:00:00Z", "-o", "json")
    assert json.loads(p.stdout)["tables"][0]["messages"] == 0
    p = feast(repo, "stream-ingest", "trips", "--until-caught-up", "--group-id", "ts-past", "--from",
              "2000-01-01T00:00:00Z", "-o", "json")
    assert json.loads(p.stdout)["tables"][0]["messages"] == N


def test_bad_properties_and_broker_down(case, tmp_path):
    repo = make_repo(case, "props", "  type: lmdb\n  path: data/online",
                     streams="streams:\n  kafka: {no.such.property: 1}\n")
    p = feast(repo, "stream-ingest", "trips", "--until-caught-up", check=False)
    assert p.returncode == 1 and "unknown librdkafka property 'no.such.property'" in p.stderr, p.stderr
    repo = make_repo(case, "props2", "  type: lmdb\n  path: data/online",
                     streams="streams:\n  kafka: {session.timeout.ms: soon}\n")
    p = feast(repo, "stream-ingest", "trips", "--until-caught-up", check=False)
    assert p.returncode == 1 and "invalid librdkafka property 'session.timeout.ms'" in p.stderr, p.stderr
    repo = make_repo(case, "props3", "  type: lmdb\n  path: data/online",
                     streams="streams:\n  kafka: {enable.auto.commit: 'true'}\n")
    p = feast(repo, "stream-ingest", "trips", "--until-caught-up", check=False)
    assert p.returncode == 1 and "may not set 'enable.auto.commit'" in p.stderr, p.stderr
    # a broker nobody listens on: a clear error after a bounded wait
    dead_port = sc_free_port()
    down = dict(case, bootstrap=f"127.0.0.1:{dead_port}")
    repo = make_repo(down, "down", "  type: lmdb\n  path: data/online")
    t0 = time.time()
    p = feast(repo, "stream-ingest", "trips", "--until-caught-up", check=False, timeout=120)
    assert p.returncode == 1 and "no broker answered within 10 s" in p.stderr, p.stderr
    assert time.time() - t0 < 60


def sc_free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_tables_one_fails(case):
    """A table whose source cannot be read fails alone; the exit code says which."""
    repo = make_repo(case, "two", "  type: lmdb\n  path: data/online")
    p = feast(repo, "stream-ingest", "trips", "no_such_table", "--until-caught-up", "--from", "earliest",
              "--group-id", "two", "-o", "json", check=False)
    assert p.returncode == 64 + 2, (p.returncode, p.stderr)
    out = json.loads(p.stdout)["tables"]
    assert out[0]["status"] == "ok" and out[0]["messages"] == N
    assert out[1]["status"] == "failed"


# ---- at least once, under failures ----

def fresh_topic(kafka, case, name, n, seed):  # noqa: F811
    rng = sc.seeded(seed)
    rows = sc.make_rows(rng, n, 5000)
    kafka.create_topic(name, PARTS)
    payloads = [sc.encode(case["mod"], r) for r in rows]
    good = sc.write_good_parquet(rows, str(case["work"] / f"{name}.parquet"))
    return rows, payloads, sc.reference(good), rng


def committed_all(bootstrap, group, topic):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group + "-probe", "enable.auto.commit": False})
    try:
        md = c.list_topics(topic, timeout=10).topics[topic]
        tps = [TopicPartition(topic, p) for p in md.partitions]
        ends = [c.get_watermark_offsets(tp, timeout=10)[1] for tp in tps]
        probe = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
        try:
            got = probe.committed(tps, timeout=10)
        finally:
            probe.close()
        return all(g.offset >= e for g, e in zip(got, ends))
    finally:
        c.close()


def wait_committed(bootstrap, group, topic, procs, secs=180):
    end = time.time() + secs
    while time.time() < end:
        for p in procs:
            assert p.poll() is None, f"a consumer exited early ({p.returncode}): {p.stderr.read()}"
        try:
            if committed_all(bootstrap, group, topic):
                return
        except Exception:  # noqa: BLE001  (the broker restarting)
            pass
        time.sleep(0.5)
    raise AssertionError("the consumers did not commit everything")


def spawn(repo, group, rows="2000", delay="100ms"):
    return subprocess.Popen([FEAST, "--config", os.path.join(repo, "feature_store.yaml"), "stream-ingest", "trips",
                             "--from", "earliest", "--group-id", group, "--max-batch-rows", rows,
                             "--max-batch-delay", delay],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(p, expect=0):
    p.send_signal(signal.SIGTERM)
    out, errs = p.communicate(timeout=60)
    assert p.returncode == expect, (p.returncode, errs)
    return out


def bad_where(rows, where):
    return {where[i]: r for i, r in enumerate(rows) if not sc.is_good(r)}


def test_kill9_at_random_moments(kafka, case):  # noqa: F811
    rows, payloads, ref, rng = fresh_topic(kafka, case, "kills", 60000, 11)
    # a static member: a restarted consumer takes its place at once instead
    # of waiting out the killed one's session
    repo = make_repo(case, "kills", "  type: lmdb\n  path: data/online", topic="kills",
                     streams=f"streams:\n  dead_letter: {{type: parquet, path: {case['work']}/kills/dead}}\n"
                             "  kafka: {group.instance.id: kills-1, session.timeout.ms: '6000'}\n")
    # the producer runs alongside; the consumer is killed 20 times
    where = [None] * len(rows)
    chunks = 20
    size = len(rows) // chunks + 1
    for k in range(chunks):
        part = sc.produce(kafka.bootstrap, "kills", payloads[k * size:(k + 1) * size], PARTS, rng)
        where[k * size:k * size + len(part)] = part
        # long batches: rows wait in memory up to 2 s, so a kill often lands
        # between a poll and the write-out (where an early commit would lose them)
        p = spawn(repo, "kills", rows="50000", delay="2s")
        time.sleep(rng.uniform(0.3, 2.5))
        p.kill()
        p.wait()
    s = run_until_caught_up(repo, "kills")
    assert s["status"] == "ok"
    check_state(dict(case, keys=list(range(1, 5002))), repo, ref=ref, bad=bad_where(rows, where))


def test_broker_restart_mid_stream(kafka, case):  # noqa: F811
    rows, payloads, ref, rng = fresh_topic(kafka, case, "restarts", 60000, 12)
    repo = make_repo(case, "restarts", "  type: lmdb\n  path: data/online", topic="restarts")
    half = len(payloads) // 2
    where = sc.produce(kafka.bootstrap, "restarts", payloads[:half], PARTS, rng)
    p = spawn(repo, "restarts")
    time.sleep(2)
    kafka.restart(kill=True)
    where += sc.produce(kafka.bootstrap, "restarts", payloads[half:], PARTS, rng)
    wait_committed(kafka.bootstrap, "restarts", "restarts", [p])
    stop(p)
    check_state(dict(case, keys=list(range(1, 5002))), repo, ref=ref, bad=bad_where(rows, where))


def test_rebalance_two_consumers(kafka, case):  # noqa: F811
    rows, payloads, ref, rng = fresh_topic(kafka, case, "rebalance", 60000, 13)
    port = start_script("start-redis.sh")
    try:
        repo = make_repo(case, "rebalance", f"  type: redis\n  connection_string: \"127.0.0.1:{port}\"",
                         topic="rebalance")
        third = len(payloads) // 3
        where = sc.produce(kafka.bootstrap, "rebalance", payloads[:third], PARTS, rng)
        a = spawn(repo, "rebalance")
        time.sleep(1.5)
        b = spawn(repo, "rebalance")  # joins: the group rebalances mid-run
        where += sc.produce(kafka.bootstrap, "rebalance", payloads[third:2 * third], PARTS, rng)
        time.sleep(1.5)
        stop(a)  # leaves: rebalances again, b takes every partition
        where += sc.produce(kafka.bootstrap, "rebalance", payloads[2 * third:], PARTS, rng)
        wait_committed(kafka.bootstrap, "rebalance", "rebalance", [b])
        stop(b)
        check_state(dict(case, keys=list(range(1, 5002))), repo, ref=ref, bad=bad_where(rows, where))
    finally:
        subprocess.run(["bash", os.path.join(SCRIPTS, "stop-redis.sh"), port])


def test_kafka_dead_letter_topic(kafka, case):  # noqa: F811
    """streams.dead_letter of type kafka: every bad message on the topic, once
    delivered before the commit, with its origin and cause in headers."""
    kafka.create_topic("dlq", 1)
    repo = make_repo(case, "dlq", "  type: lmdb\n  path: data/online",
                     streams="streams:\n  dead_letter: {type: kafka, topic: dlq}\n")
    s = run_until_caught_up(repo, "e2e-dlq")
    assert s["status"] == "ok" and sum(s["dead_letters"].values()) == len(case["bad"]), s
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": "dlq-reader", "auto.offset.reset": "earliest"})
    c.subscribe(["dlq"])
    got = {}
    end = time.time() + 60
    while len(got) < len(case["bad"]) and time.time() < end:
        for m in c.consume(1000, timeout=1.0):
            assert not m.error(), m.error()
            h = {k: v.decode() for k, v in m.headers()}
            assert h["feast.table"] == "trips" and h["feast.topic"] == "trips"
            assert m.key().decode() == f"{h['feast.partition']}:{h['feast.offset']}"
            got[(int(h["feast.partition"]), int(h["feast.offset"]))] = (h["feast.cause"], m.value())
    c.close()
    assert set(got) == set(case["bad"])
    assert all(got[k][1] == sc.encode(case["mod"], r) for k, r in case["bad"].items())
    causes = {v[0] for v in got.values()}
    assert {"null entity key", "null event timestamp"} <= causes and len(causes) >= 3, causes
