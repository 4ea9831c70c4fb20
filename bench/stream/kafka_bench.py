"""Kafka stream ingestion benchmark (bench/stream/run.sh drives it).

One real broker (tests/py/kafka_broker.py), one topic of N Protobuf messages
(tests/py/stream_case.py's Trip, written by Python protobuf) over K keys in
8 partitions; then, in one run, on the same topic:

  ceiling   a bare librdkafka consumer that only receives (kafka_consume_bench)
  lmdb      feast stream-ingest --until-caught-up into LMDB (peak RSS by /usr/bin/time)
  redis     the same into Redis
  python    what a user would write instead: confluent-kafka + protobuf +
            redis-py pipelines (one pipeline of HSETs per consumed batch, a
            commit after it) into the same Redis, on the first PY_N messages

Prints one JSON document with every figure."""
import json
import os
import random

import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "py"))
sys.path.insert(0, HERE)

import stream_case as sc  # noqa: E402
from kafka_broker import Broker  # noqa: E402

N = int(os.environ.get("N", "10000000"))
KEYS = int(os.environ.get("KEYS", "1000000"))
PY_N = int(os.environ.get("PY_N", "1000000"))
PARTS = 8
FEAST = os.environ.get("FEAST_BIN", os.path.join(ROOT, "build", "feast"))
CEILING = os.path.join(ROOT, "build", "bench", "kafka_consume_bench")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def produce_all(bootstrap, mod, n, keys):
    """n messages made and sent in chunks (the list of 10M payloads would not fit comfortably)."""
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "batch.size": 1000000,
                  "compression.type": "lz4", "queue.buffering.max.messages": 2000000,
                  "queue.buffering.max.kbytes": 1048576})
    rng = random.Random(7)
    t0 = time.time()
    total = 0
    for start in range(0, n, 200000):
        rows = sc.make_rows(rng, min(200000, n - start), keys, bad_share=0.0)
        for i, r in enumerate(rows):
            v = sc.encode(mod, r)
            total += len(v)
            while True:
                try:
                    p.produce("trips", v, partition=(start + i) % PARTS)
                    break
                except BufferError:
                    p.poll(0.05)
        p.poll(0)
        log(f"produced {start + len(rows)}")
    assert p.flush(300) == 0
    return dict(seconds=round(time.time() - t0, 1), bytes=total)


def timed(cmd, env=None):
    """Run cmd under /usr/bin/time -v; returns (stdout, wall seconds, peak RSS MB)."""
    t0 = time.time()
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env)
    wall = time.time() - t0
    if p.returncode:
        raise RuntimeError(f"{cmd} exited {p.returncode}: {p.stderr[-2000:]}")
    lines = p.stderr.splitlines()
    rss = next(int(line.split()[-1]) for line in lines if "Maximum resident" in line)
    cpu = sum(float(line.split()[-1]) for line in lines if "User time" in line or "System time" in line)
    timed.cpu = cpu
    return p.stdout, wall, rss / 1024


def ours(repo, group):
    out, wall, rss = timed([FEAST, "--config", os.path.join(repo, "feature_store.yaml"), "stream-ingest", "trips",
                            "--until-caught-up", "--from", "earliest", "--group-id", group,
                            "--max-batch-rows", "100000", "-o", "json"])
    s = json.loads(out)["tables"][0]
    assert s["status"] == "ok" and s["messages"] == N, s
    secs = s["elapsed_ms"] / 1000
    return dict(messages=s["messages"], written=s["written"], seconds=round(secs, 2), wall=round(wall, 2),
                msgs_per_s=round(N / secs), cpu_s=round(timed.cpu, 2), msgs_per_cpu_s=round(N / timed.cpu),
                peak_rss_mb=round(rss))


def python_consumer(bootstrap, redis_port, work, n):
    """The user's consumer, in a subprocess so its peak RSS is its own."""
    code = f"""
import sys, time, json
sys.path.insert(0, {os.path.join(work, 'proto')!r})
import trip_pb2, redis
from confluent_kafka import Consumer
r = redis.Redis(host="127.0.0.1", port={redis_port})
c = Consumer({{"bootstrap.servers": {bootstrap!r}, "group.id": "python-peer", "auto.offset.reset": "earliest",
              "enable.auto.commit": False}})
c.subscribe(["trips"])
got, t0 = 0, None
while got < {n}:
    msgs = c.consume(num_messages=10000, timeout=1.0)
    if not msgs:
        continue
    if t0 is None:
        t0 = time.time()
    pipe = r.pipeline(transaction=False)
    for m in msgs:
        if m.error():
            continue
        t = trip_pb2.Trip.FromString(m.value())
        pipe.hset(f"trips:{{t.driver_id}}", mapping={{"rating": t.rating.value, "trips": t.trips, "name": t.name,
                                                   "event_ts": t.event_ts.seconds}})
        got += 1
    pipe.execute()
    c.commit(asynchronous=False)
secs = time.time() - t0
c.close()
print(json.dumps({{"messages": got, "seconds": round(secs, 2), "msgs_per_s": round(got / secs)}}))
"""
    out, wall, rss = timed([sys.executable, "-c", code])
    d = json.loads(out)
    d["peak_rss_mb"] = round(rss)
    d["cpu_s"] = round(timed.cpu, 2)
    d["msgs_per_cpu_s"] = round(d["messages"] / timed.cpu)
    return d


def main():
    work = tempfile.mkdtemp(prefix="feast-stream-bench.")
    broker = Broker()
    redis_port = None
    try:
        mod, desc = sc.compile_proto(os.path.join(work, "proto"))
        broker.create_topic("trips", PARTS)
        res = dict(messages=N, keys=KEYS, partitions=PARTS, format="protobuf")
        res["produce"] = produce_all(broker.bootstrap, mod, N, KEYS)
        log("produced", res["produce"])
        out, wall, rss = timed([CEILING, broker.bootstrap, "trips", str(N)])
        c = json.loads(out)
        res["ceiling"] = dict(c, wall=round(wall, 2), msgs_per_s=round(N / c["seconds"]), cpu_s=round(timed.cpu, 2),
                              msgs_per_cpu_s=round(N / timed.cpu), peak_rss_mb=round(rss))
        log("ceiling", res["ceiling"])
        batch = os.path.join(work, "batch.parquet")
        sc.write_good_parquet([], batch)
        lmdb_repo = os.path.join(work, "lmdb")
        sc.write_repo(lmdb_repo, "trips", broker.bootstrap, desc, "  type: lmdb\n  path: data/online\n"
                      "  map_size: 8589934592", batch)
        subprocess.run([FEAST, "--config", os.path.join(lmdb_repo, "feature_store.yaml"), "apply", "-f",
                        os.path.join(lmdb_repo, "specs.yaml")], check=True, capture_output=True)
        res["lmdb"] = ours(lmdb_repo, "bench-lmdb")
        log("lmdb", res["lmdb"])
        redis_port = subprocess.run(["bash", os.path.join(ROOT, "scripts", "start-redis.sh")], check=True,
                                    capture_output=True, text=True).stdout.strip()
        redis_repo = os.path.join(work, "redis")
        sc.write_repo(redis_repo, "trips", broker.bootstrap, desc,
                      f"  type: redis\n  connection_string: \"127.0.0.1:{redis_port}\"", batch)
        subprocess.run([FEAST, "--config", os.path.join(redis_repo, "feature_store.yaml"), "apply", "-f",
                        os.path.join(redis_repo, "specs.yaml")], check=True, capture_output=True)
        res["redis"] = ours(redis_repo, "bench-redis")
        log("redis", res["redis"])
        res["python"] = python_consumer(broker.bootstrap, redis_port, work, min(PY_N, N))
        log("python", res["python"])
        res["lmdb_vs_ceiling"] = round(res["lmdb"]["msgs_per_s"] / res["ceiling"]["msgs_per_s"], 3)
        res["redis_vs_python"] = round(res["redis"]["msgs_per_s"] / res["python"]["msgs_per_s"], 1)
        res["redis_vs_python_cpu"] = round(res["redis"]["msgs_per_cpu_s"] / res["python"]["msgs_per_cpu_s"], 1)
        print(json.dumps(res, indent=1))
    finally:
        if redis_port:
            subprocess.run(["bash", os.path.join(ROOT, "scripts", "stop-redis.sh"), redis_port])
        broker.close()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":

    main()
