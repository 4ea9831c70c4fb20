"""A stream ingestion job inside `feast serve` on a real Kafka broker
(scripts/peers/start-kafka.sh through the `kafka` fixture; the broker picks
its own free ports): StartStreamToOnlineIngestionJob runs the Kafka
consumer (feast_store_stream_ingest) on a thread of the daemon; the online
state it reaches equals DuckDB's latest row per key of the good messages
(tests/py/stream_case.py), read back through the daemon's
GetOnlineFeaturesV2; /metrics shows the job's counters; a second start for
the same table is refused; CancelJob ends it with its batch committed; and
SIGTERM with a stream job running exits cleanly.

Ports: 46041 (gRPC), 46042 (HTTP)."""
import os
import signal
import subprocess
import time
import urllib.request

import grpc
import pytest

import stream_case as sc
from grpc_stubs import compile_stubs
from peers import kafka  # noqa: F401  (pytest fixture)
from test_serve_grpc import FEAST, wait_port

GRPC_PORT, HTTP_PORT = 46041, 46042
N, N_KEYS, PARTS = 20000, 2000, 3
TOPIC = "serve-grpc-trips"


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    return compile_stubs(tmp_path_factory.mktemp("stubs"))


@pytest.fixture(scope="module")
def case(kafka, tmp_path_factory):  # noqa: F811
    work = tmp_path_factory.mktemp("serve-stream")
    mod, desc = sc.compile_proto(str(work / "proto"))
    rng = sc.seeded(31)
    rows = sc.make_rows(rng, N, N_KEYS)
    kafka.create_topic(TOPIC, PARTS)
    sc.produce(kafka.bootstrap, TOPIC, [sc.encode(mod, r) for r in rows], PARTS, rng)
    good = sc.write_good_parquet(rows, str(work / "good.parquet"))
    repo = str(work / "repo")
    sc.write_repo(repo, TOPIC, kafka.bootstrap, desc, "  type: lmdb\n  path: data/online", good,
                  f"streams:\n  start_from: earliest\n  dead_letter: {{type: parquet, path: {repo}/dead}}\n")
    subprocess.run([FEAST, "--config", os.path.join(repo, "feature_store.yaml"), "apply", "-f",
                    os.path.join(repo, "specs.yaml")], check=True, capture_output=True)
    keys = list(range(1, N_KEYS + 1)) + [N_KEYS + 5]
    return dict(repo=repo, ref=sc.reference(good), keys=keys)


def start_server(repo):
    env = dict(os.environ, FEAST_SERVE_JOBS_DIR=os.path.join(repo, "jobs"))
    # stderr to a file: an unread pipe would stall the daemon once full
    p = subprocess.Popen([FEAST, "serve", "--grpc-port", str(GRPC_PORT), "--http-port", str(HTTP_PORT), "--config",
                          os.path.join(repo, "feature_store.yaml")], stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(repo, "serve.err"), "a"), env=env)
    wait_port(GRPC_PORT, p)
    return p


def value_of(v):
    which = v.WhichOneof("val")
    if which is None:
        return None
    x = getattr(v, which)
    return list(x.val) if which.endswith("_list_val") else x


def grpc_state(pb, ch, keys):
    out = {}
    for s in range(0, len(keys), 400):
        req = pb.S.GetOnlineFeaturesRequestV2(project="streams")
        for f in sc.FEATURES:
            req.features.add(feature_table="trips", name=f)
        for k in keys[s:s + 400]:
            req.entity_rows.add().fields["driver_id"].int64_val = k
        resp = pb.SG.ServingServiceStub(ch).GetOnlineFeaturesV2(req, timeout=10)
        names = {v: k for k, v in pb.S.GetOnlineFeaturesResponse.FieldStatus.items()}
        for k, fv in zip(keys[s:s + 400], resp.field_values):
            row = {"driver_id": k, "driver_id__status": "PRESENT"}
            for f in sc.FEATURES:
                row[f"trips__{f}"] = value_of(fv.fields[f"trips:{f}"])
                row[f"trips__{f}__status"] = names[fv.statuses[f"trips:{f}"]]
            out[k] = row
    return out


def test_stream_job_in_the_daemon(pb, case):
    proc = start_server(case["repo"])
    try:
        ch = grpc.insecure_channel(f"127.0.0.1:{GRPC_PORT}")
        js = pb.JG.JobServiceStub(ch)
        r = js.StartStreamToOnlineIngestionJob(pb.J.StartStreamToOnlineIngestionJobRequest(
            project="streams", table_name="trips"), timeout=10)
        assert r.table_name == "trips" and r.id
        with pytest.raises(grpc.RpcError) as e:
            js.StartStreamToOnlineIngestionJob(pb.J.StartStreamToOnlineIngestionJobRequest(
                project="streams", table_name="trips"), timeout=10)
        assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS and r.id in e.value.details()
        want = sc.expected_state(case["ref"], case["keys"])
        end, got = time.time() + 180, None
        while time.time() < end:
            got = grpc_state(pb, ch, case["keys"])
            if got == want:
                break
            j = js.GetJob(pb.J.GetJobRequest(job_id=r.id), timeout=5).job
            assert j.status == pb.J.JOB_STATUS_RUNNING, open(j.log_uri[7:]).read()
            time.sleep(0.5)
        diffs = [(k, got[k], want[k]) for k in case["keys"] if got[k] != want[k]]
        assert not diffs, f"{len(diffs)} keys differ, e.g. {diffs[:2]}"
        j = js.GetJob(pb.J.GetJobRequest(job_id=r.id), timeout=5).job
        assert j.type == pb.J.STREAM_INGESTION_JOB and j.stream_ingestion.table_name == "trips"
        running = js.ListJobs(pb.J.ListJobsRequest(include_terminated=False), timeout=5).jobs
        assert [x.id for x in running] == [r.id]
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/metrics", timeout=5).read().decode()
        rows = [l for l in metrics.splitlines() if l.startswith("feast_serve_stream_rows_total{")]
        assert rows and 'table="trips"' in rows[0] and float(rows[0].split()[-1]) > 0, rows
        assert 'feast_serve_jobs{state="running"} 1' in metrics
        js.CancelJob(pb.J.CancelJobRequest(job_id=r.id), timeout=30)
        j = js.GetJob(pb.J.GetJobRequest(job_id=r.id), timeout=5).job
        assert j.status == pb.J.JOB_STATUS_DONE, open(j.log_uri[7:]).read()
        assert "commits" in open(j.log_uri[7:]).read()
        assert not js.ListJobs(pb.J.ListJobsRequest(include_terminated=False), timeout=5).jobs
        # the consumer group's position was committed: a new job reads nothing twice, and a
        # daemon stopped with a stream job running exits 0 (the job stops with its batch committed)
        r2 = js.StartStreamToOnlineIngestionJob(pb.J.StartStreamToOnlineIngestionJobRequest(
            project="streams", table_name="trips"), timeout=10)
        time.sleep(1)
        assert js.GetJob(pb.J.GetJobRequest(job_id=r2.id), timeout=5).job.status == pb.J.JOB_STATUS_RUNNING
        ch.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = "killed"
    assert rc == 0, open(os.path.join(case["repo"], "serve.err")).read()[-5000:]
    assert grpc_state_after_restart(pb, case) == sc.expected_state(case["ref"], case["keys"])


def grpc_state_after_restart(pb, case):
    """A restart forgets the jobs; the online state stays."""
    proc = start_server(case["repo"])
    try:
        ch = grpc.insecure_channel(f"127.0.0.1:{GRPC_PORT}")
        js = pb.JG.JobServiceStub(ch)
        assert not js.ListJobs(pb.J.ListJobsRequest(include_terminated=True), timeout=5).jobs
        state = grpc_state(pb, ch, case["keys"])
        ch.close()
        return state
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
