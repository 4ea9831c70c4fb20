"""Kinesis stream ingestion benchmark (bench/aws/run.sh drives it; method in README.md).

kinesalite on loopback (tests/py/kinesis_peer.py, ports 45000-45999 unless
FEAST_KINESIS_TEST_PORTS says otherwise), one stream of N Avro records
(tests/py/stream_case.py's rows, written by fastavro) over K keys in S
shards; then, in one run, on the same stream:

  ceiling   the bare GetRecords rate: build/bench/kinesis_getrecords_bench,
            one thread per shard through the same AWS client, records only counted
  lmdb      feast stream-ingest --until-caught-up --from earliest into LMDB,
            with the service's pacing off (min_interval_ms 0, as the ceiling)
  lmdb-paced  the same with the default pacing (one GetRecords per shard per 200 ms)
  python    what a user would write: boto3 get_records, one thread per shard,
            fastavro.schemaless_reader, redis-py pipelines of HSETs into Redis

Prints one JSON document with every figure."""
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "py"))

import kinesis_peer  # noqa: E402
import stream_case as sc  # noqa: E402
import stream_case_avro as sca  # noqa: E402

N = int(os.environ.get("N", "200000"))
KEYS = int(os.environ.get("KEYS", "20000"))
SHARDS = int(os.environ.get("SHARDS", "4"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
FEAST = os.environ.get("FEAST_BIN", os.path.join(ROOT, "build", "feast"))
CEILING = os.path.join(ROOT, "build", "bench", "kinesis_getrecords_bench")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def timed(cmd, env):
    """Wall seconds, CPU seconds (user+sys) and peak RSS (MiB) of one command, by /usr/bin/time (a
    child forked from this big Python process would count its RSS too)."""
    fd, path = tempfile.mkstemp()
    os.close(fd)
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-o", path, "-f", "%U %S %M", *cmd], env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {p.returncode}: {p.stderr[-2000:]}")
    with open(path) as f:
        u, s_, m = f.read().split()[-3:]
    os.unlink(path)
    return p.stdout, wall, float(u) + float(s_), int(m) / 1024


def repo_for(work, name, stream, streams_extra, online):
    import test_stream_kinesis as t
    root = os.path.join(work, name)
    fmt = "{avroFormat: {schemaJson: '" + sca.schema_json() + "'}}"
    streams = "streams:\n" + streams_extra
    t.write_repo(root, stream, None, os.path.join(work, "good.parquet"), record_format=fmt, streams=streams,
                 online=online)
    subprocess.run([FEAST, "--config", os.path.join(root, "feature_store.yaml"), "apply", "-f",
                    os.path.join(root, "specs.yaml")], check=True, capture_output=True)
    return root


def python_consumer(endpoint, stream, redis_port):
    """boto3 + fastavro + redis-py: one thread per shard, TRIM_HORIZON to the first empty answer."""
    import boto3
    import fastavro
    import redis
    schema = fastavro.parse_schema(sca.READER)
    counts = {}

    def shard(sid):
        c = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
                         aws_access_key_id="feast-test", aws_secret_access_key="feast-test")
        r = redis.Redis(port=redis_port)
        it = c.get_shard_iterator(StreamName=stream, ShardId=sid, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        n = 0
        while it:
            out = c.get_records(ShardIterator=it, Limit=10000)
            recs = out["Records"]
            if not recs:
                break
            pipe = r.pipeline(transaction=False)
            for rec in recs:
                try:
                    d = fastavro.schemaless_reader(io.BytesIO(rec["Data"]), schema)
                except Exception:  # noqa: BLE001  (a bad record: skipped, as a user would)
                    continue
                if d["driver_id"] is None or d["event_ts"] is None:
                    continue
                pipe.hset(f"trips:{d['driver_id']}", mapping={
                    "rating": "" if d["rating"] is None else d["rating"], "trips": d["trips"], "name": d["name"],
                    "tags": json.dumps(d["tags"]), "event_ts": d["event_ts"].timestamp()})
            pipe.execute()
            n += len(recs)
            it = out.get("NextShardIterator")
        counts[sid] = n

    c = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="feast-test", aws_secret_access_key="feast-test")
    sids = [s["ShardId"] for s in c.list_shards(StreamName=stream)["Shards"]]
    t0 = time.monotonic()
    cpu0 = time.process_time()
    threads = [threading.Thread(target=shard, args=(s,)) for s in sids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts.values()), time.monotonic() - t0, time.process_time() - cpu0


def main():
    work = tempfile.mkdtemp(prefix="feast-kinesis-bench-")
    kin = kinesis_peer.Kinesalite()
    import test_stream_kinesis as t
    redis_srv = t.Redis()
    try:
        client = kin.client()
        rng = sc.seeded(77)
        rows = sca.fix_rows(sc.make_rows(rng, N, KEYS), False, rng)
        sc.write_good_parquet(rows, os.path.join(work, "good.parquet"))
        payloads = [sca.encode(r, False) for r in rows]
        kinesis_peer.create_stream(client, "bench", SHARDS)
        t0 = time.monotonic()
        kinesis_peer.put(client, "bench", payloads, rng)
        log(f"put {N} records in {time.monotonic() - t0:.1f} s, {sum(map(len, payloads)) / N:.1f} bytes each")
        env = kin.env()
        res = {"records": N, "keys": KEYS, "shards": SHARDS,
               "bytes_per_record": round(sum(map(len, payloads)) / N, 1)}
        # kinesalite (one Node.js thread over leveldb) bounds every reader here
        # and the machine is shared: a warm-up pass, then ROUNDS rounds of
        # ceiling, ours unpaced, ours paced, interleaved; the best of each counts
        runs = {"ceiling": [], "lmdb": [], "lmdb-paced": []}

        def ceiling():
            out, wall, cpu, rss = timed([CEILING, "bench"], env)
            got = int(out.split()[0].split("=")[1])
            assert got == N, out
            return dict(wall=round(wall, 2), rate=round(N / wall), cpu=round(cpu, 2), rss_mib=round(rss))

        log("warm-up", ceiling())
        for r in range(ROUNDS):
            runs["ceiling"].append(ceiling())
            log("ceiling", runs["ceiling"][-1])
            for name, extra in (("lmdb", "  kinesis: {min_interval_ms: '0', idle_interval_ms: '50'}\n"),
                                ("lmdb-paced", "  kinesis: {idle_interval_ms: '50'}\n")):
                repo = repo_for(work, f"{name}-{r}", "bench", extra, "  type: lmdb\n  path: data/online")
                out, wall, cpu, rss = timed([FEAST, "--config", os.path.join(repo, "feature_store.yaml"),
                                             "stream-ingest", "trips", "--until-caught-up", "--from", "earliest",
                                             "-o", "json", "--max-batch-rows", "50000"], env)
                st = json.loads(out)["tables"][0]
                assert st["messages"] == N, st
                runs[name].append(dict(wall=round(wall, 2), rate=round(N / wall), cpu=round(cpu, 2),
                                       rss_mib=round(rss), written=st["written"]))
                log(name, runs[name][-1])
        for name, rs in runs.items():
            res[name] = dict(min(rs, key=lambda x: x["wall"]), walls=[x["wall"] for x in rs])
        for name in ("lmdb", "lmdb-paced"):
            res[name]["of_ceiling"] = round(res["ceiling"]["wall"] / res[name]["wall"], 3)
        n, wall, cpu = python_consumer(kin.endpoint, "bench", redis_srv.port)
        assert n == N, n
        res["python"] = dict(wall=round(wall, 2), rate=round(N / wall), cpu=round(cpu, 2))
        log("python", res["python"])
        print(json.dumps(res, indent=1))
    finally:
        redis_srv.stop()
        kin.stop()


if __name__ == "__main__":
    main()
