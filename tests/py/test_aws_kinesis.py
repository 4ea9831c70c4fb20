"""The Kinesis JSON 1.1 call helper (src/cloud/aws/kinesis_api.c) against kinesalite and moto: CreateStream,
DescribeStreamSummary, ListShards, PutRecord, GetShardIterator, GetRecords; and the errors for an unknown
stream in both servers' dialects (kinesalite's JSON __type, moto's XML)."""
import base64
import json
import time

import pytest

import awspeers
from awspeers import base_env, run_tool


@pytest.fixture(scope="module", params=["kinesalite", "moto"])
def server(request):
    proc, url = awspeers.start_kinesalite() if request.param == "kinesalite" else awspeers.start_moto()
    yield request.param, url
    awspeers.stop(proc)


def call(url, op, doc, resource=None, check=True):
    env = base_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
                   AWS_ENDPOINT_URL_KINESIS=url)
    args = ["kinesis", op, json.dumps(doc)] + ([resource] if resource else [])
    p = run_tool(args, env, check=check)
    return json.loads(p.stdout) if check and p.stdout.strip() else p


def test_put_and_read_back(server):
    name, url = server
    call(url, "CreateStream", {"StreamName": "clicks", "ShardCount": 2})
    for _ in range(50):
        s = call(url, "DescribeStreamSummary", {"StreamName": "clicks"})["StreamDescriptionSummary"]
        if s["StreamStatus"] == "ACTIVE":
            break
        time.sleep(0.1)
    assert s["StreamStatus"] == "ACTIVE" and s["OpenShardCount"] == 2
    shards = call(url, "ListShards", {"StreamName": "clicks"})["Shards"]
    assert len(shards) == 2
    sent = {}
    for i in range(20):
        data = f"record-{i}".encode()
        r = call(url, "PutRecord", {"StreamName": "clicks", "PartitionKey": f"k{i}",
                                    "Data": base64.b64encode(data).decode()})
        sent.setdefault(r["ShardId"], []).append((r["SequenceNumber"], data))
    got = {}
    for sh in shards:
        it = call(url, "GetShardIterator", {"StreamName": "clicks", "ShardId": sh["ShardId"],
                                            "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
        recs = call(url, "GetRecords", {"ShardIterator": it, "Limit": 1000})["Records"]
        got[sh["ShardId"]] = [(r["SequenceNumber"], base64.b64decode(r["Data"])) for r in recs]
    # every record, in order per shard, on the shard PutRecord said
    assert {k: v for k, v in got.items() if v} == sent


def test_unknown_stream(server):
    name, url = server
    p = call(url, "DescribeStreamSummary", {"StreamName": "nope"}, resource="stream nope", check=False)
    assert p.returncode == 1
    assert "error not found retriable=0: AWS kinesis DescribeStreamSummary stream nope: ResourceNotFoundException" \
        in p.stderr
