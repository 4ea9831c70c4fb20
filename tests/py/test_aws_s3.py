"""The S3 client (src/cloud/aws/s3*.c) against moto's server, through tests/tools/aws_tool: put, multipart
put, ranged and batched reads with a request counter, paged listing, head, and the errors for a missing
bucket and a missing key. boto3 is the independent client that creates buckets and reads back what we
wrote. Also moto's authenticating mode: our signatures are verified by a server."""
import hashlib
import json
import os
import random
import subprocess
import time

import pytest

import awspeers  # noqa: I001 (installs the Python clients when missing)
import boto3
import requests
from awspeers import base_env, kv, run_tool



@pytest.fixture(scope="module")
def moto():
    proc, url = awspeers.start_moto()
    yield url
    awspeers.stop(proc)


def s3_env(url, key="testing", secret="testing"):
    return base_env(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_REGION="us-east-1",
                    AWS_ENDPOINT_URL_S3=url)


def boto(url, key="testing", secret="testing", service="s3"):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret)


@pytest.fixture(scope="module")
def bucket(moto):
    boto(moto).create_bucket(Bucket="feast-test")
    return "feast-test"


def test_put_get_head_round_trip(moto, bucket, tmp_path):
    data = os.urandom(100_000)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    key = "dir/a b+c=é&(1).parquet"
    env = s3_env(moto)
    run_tool(["s3", "put", f"s3://{bucket}/{key}", str(src)], env)
    # read back by an independent client
    assert boto(moto).get_object(Bucket=bucket, Key=key)["Body"].read() == data
    head = kv(run_tool(["s3", "head", f"s3://{bucket}/{key}"], env).stdout)
    assert int(head["size"]) == len(data)
    assert head["etag"].strip('"') == hashlib.md5(data).hexdigest()
    out = tmp_path / "out.bin"
    got = kv(run_tool(["s3", "get", f"s3://{bucket}/{key}", str(out)], env).stdout)
    assert int(got["bytes"]) == len(data) and out.read_bytes() == data
    run_tool(["s3", "get", f"s3://{bucket}/{key}", str(out), "1000", "5000"], env)
    assert out.read_bytes() == data[1000:6000]
    # an object boto3 wrote, read by us
    boto(moto).put_object(Bucket=bucket, Key="from-boto/x.bin", Body=data[:777])
    run_tool(["s3", "get", f"s3://{bucket}/from-boto/x.bin", str(out)], env)
    assert out.read_bytes() == data[:777]


def test_multipart_put(moto, bucket, tmp_path):
    data = os.urandom(12 * 1024 * 1024 + 12345)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    env = s3_env(moto)
    out = kv(run_tool(["s3", "put-multipart", f"s3://{bucket}/big/file.bin", str(src), str(5 << 20), "3"], env).stdout)
    assert out["parts"] == "3"
    obj = boto(moto).get_object(Bucket=bucket, Key="big/file.bin")
    assert obj["Body"].read() == data
    assert obj["ETag"].strip('"').endswith("-3")
    # no upload left open (it was completed, and nothing else was started)
    assert boto(moto).list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_multipart_failure_aborts(moto, tmp_path):
    # a bucket that does not exist fails at create: nothing to abort, a clear error
    src = tmp_path / "x.bin"
    src.write_bytes(b"x" * (6 << 20))
    p = run_tool(["s3", "put-multipart", "s3://no-such-bucket-mp/k", str(src)], s3_env(moto), check=False)
    assert p.returncode == 1
    assert "AWS s3 CreateMultipartUpload s3://no-such-bucket-mp/k: NoSuchBucket" in p.stderr


def test_ranged_reads_fetch_only_what_is_asked(moto, bucket, tmp_path):
    data = os.urandom(3 * 1024 * 1024)
    boto(moto).put_object(Bucket=bucket, Key="ranges.bin", Body=data)
    rng = random.Random(7)
    ranges = []
    for _ in range(12):
        off = rng.randrange(len(data) - 70000)
        ranges.append((off, rng.randint(1, 65536)))
    ranges.append((len(data) - 8, 8))  # a footer
    spec = ",".join(f"{o}:{n}" for o, n in ranges)
    out = tmp_path / "r.bin"
    res = kv(run_tool(["s3", "read-many", f"s3://{bucket}/ranges.bin", str(out), spec, "4"], s3_env(moto)).stdout)
    assert out.read_bytes() == b"".join(data[o:o + n] for o, n in ranges)
    assert int(res["size"]) == len(data)
    # one GET per range and nothing else: the bytes not asked for were never fetched
    assert int(res["gets"]) == len(ranges)
    assert int(res["http_requests"]) == len(ranges)
    assert int(res["bytes"]) == sum(n for _, n in ranges)
    # past the end is refused before any request
    p = run_tool(["s3", "read-many", f"s3://{bucket}/ranges.bin", str(out), f"{len(data) - 4}:8"], s3_env(moto),
                 check=False)
    assert p.returncode == 1 and "outside the object" in p.stderr


def test_list_with_paging_and_delimiter(moto, bucket):
    c = boto(moto)
    c.create_bucket(Bucket="feast-list")
    keys = sorted([f"table/date=2021-01-{d:02d}/part-{i}.parquet" for d in range(1, 6) for i in range(5)] +
                  ["table/_SUCCESS", "other/x"])
    for k in keys:
        c.put_object(Bucket="feast-list", Key=k, Body=k.encode())
    env = s3_env(moto)
    out = run_tool(["s3", "list", "s3://feast-list/table/", "", "10"], env).stdout
    res = kv(out)
    listed = [line.split("=", 1)[1].rsplit(" size=", 1)[0] for line in out.splitlines() if line.startswith("key=")]
    assert listed == [k for k in keys if k.startswith("table/")]
    assert res["entries"] == "26" and res["pages"] == "3"
    out = run_tool(["s3", "list", "s3://feast-list/table/", "/"], env).stdout
    prefixes = [line.split("=", 1)[1] for line in out.splitlines() if line.startswith("prefix=")]
    assert prefixes == [f"table/date=2021-01-{d:02d}/" for d in range(1, 6)]
    assert [line for line in out.splitlines() if line.startswith("key=")] == ["key=table/_SUCCESS size=14"]


def test_missing_bucket_and_key(moto, bucket, tmp_path):
    env = s3_env(moto)
    p = run_tool(["s3", "get", "s3://no-such-bucket/k", str(tmp_path / "o")], env, check=False)
    assert p.returncode == 1
    assert "error not found" in p.stderr
    assert "AWS s3 GetObject s3://no-such-bucket/k: NoSuchBucket" in p.stderr
    p = run_tool(["s3", "get", f"s3://{bucket}/missing/key", str(tmp_path / "o")], env, check=False)
    assert p.returncode == 1
    assert ("error not found retriable=0: AWS s3 GetObject s3://feast-test/missing/key: NoSuchKey: "
            "The specified key does not exist.") in p.stderr
    p = run_tool(["s3", "head", f"s3://{bucket}/missing/key"], env, check=False)
    assert p.returncode == 1 and "error not found" in p.stderr and "HeadObject s3://feast-test/missing/key" in p.stderr
    p = run_tool(["s3", "list", "s3://no-such-bucket/"], env, check=False)
    assert p.returncode == 1 and "ListObjectsV2 s3://no-such-bucket/: NoSuchBucket" in p.stderr


# ---- moto verifying signatures ----

@pytest.fixture(scope="module")
def moto_auth():
    proc, url = awspeers.start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "3"})
    iam = boto(url, service="iam")
    iam.create_user(UserName="feast")
    iam.put_user_policy(UserName="feast", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="feast")["AccessKey"]
    yield url, key["AccessKeyId"], key["SecretAccessKey"]
    awspeers.stop(proc)


def signed_put(url, key, secret, path, body, service="s3", method="PUT", headers=()):
    """Sign a request with our signer (aws_tool sign) and return the headers to send."""
    host = url.split("://", 1)[1]
    doc = dict(method=method, host=host, path=path, query=[], headers=[list(h) for h in headers], body=body,
               region="us-east-1", service=service, s3=service == "s3", access_key=key, secret_key=secret,
               now=int(time.time()))
    p = subprocess.run([awspeers.tool(), "sign"], input=json.dumps(doc), capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    out = {"Authorization": s["authorization"], "X-Amz-Date": s["amz_date"]}
    if service == "s3":
        out["x-amz-content-sha256"] = s["payload_hash"]
    out.update(dict(headers))
    return out


def test_authenticating_moto_checks_our_signatures(moto_auth, tmp_path):
    url, key, secret = moto_auth
    boto(url, key, secret).create_bucket(Bucket="auth-bucket")
    src = tmp_path / "in.bin"
    src.write_bytes(b"hello signed world")
    # our client, correct credentials: accepted
    env = s3_env(url, key, secret)
    run_tool(["s3", "put", "s3://auth-bucket/ok.txt", str(src)], env)
    assert boto(url, key, secret).get_object(Bucket="auth-bucket", Key="ok.txt")["Body"].read() == src.read_bytes()
    out = tmp_path / "o"
    run_tool(["s3", "get", "s3://auth-bucket/ok.txt", str(out)], env)
    assert out.read_bytes() == src.read_bytes()

    # the same signature sent by hand: correct -> 200
    body = "payload as signed"
    h = signed_put(url, key, secret, "/auth-bucket/raw.txt", body)
    assert requests.put(url + "/auth-bucket/raw.txt", data=body, headers=h).status_code == 200
    # a tampered signature -> 403 SignatureDoesNotMatch
    bad = dict(h)
    sig = bad["Authorization"][-64:]
    bad["Authorization"] = bad["Authorization"][:-64] + ("0" if sig[0] != "0" else "1") + sig[1:]
    r = requests.put(url + "/auth-bucket/raw.txt", data=body, headers=bad)
    assert r.status_code == 403 and "SignatureDoesNotMatch" in r.text
    # (moto does not compare an S3 body with its x-amz-content-sha256, so the changed-body case is
    # proven on Kinesis below, where the server hashes the body itself)

    # our client with a wrong secret: a clear auth error, not retried
    p = run_tool(["s3", "put", "s3://auth-bucket/x.txt", str(src)], s3_env(url, key, secret + "x"), check=False)
    assert p.returncode == 1
    assert "error invalid input retriable=0: AWS s3 PutObject s3://auth-bucket/x.txt: SignatureDoesNotMatch" in p.stderr
    assert "check the access key" in p.stderr
    # an unknown key
    p = run_tool(["s3", "put", "s3://auth-bucket/x.txt", str(src)], s3_env(url, "AKIAUNKNOWN0000000000", secret),
                 check=False)
    assert p.returncode == 1 and "error invalid input" in p.stderr
    assert "InvalidAccessKeyId" in p.stderr or "InvalidClientTokenId" in p.stderr


def test_authenticating_moto_kinesis(moto_auth):
    url, key, secret = moto_auth
    env = base_env(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_REGION="us-east-1",
                   AWS_ENDPOINT_URL_KINESIS=url)
    run_tool(["kinesis", "CreateStream", json.dumps({"StreamName": "auth", "ShardCount": 1})], env)
    out = run_tool(["kinesis", "ListStreams", "{}"], env).stdout
    assert "auth" in json.loads(out)["StreamNames"]
    # signed by hand with our signer: as signed -> 200; signature or body changed -> 403
    hdrs = (("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "Kinesis_20131202.DescribeStreamSummary"))
    body = json.dumps({"StreamName": "auth"})
    h = signed_put(url, key, secret, "/", body, service="kinesis", method="POST", headers=hdrs)
    r = requests.post(url + "/", data=body, headers=h)
    assert r.status_code == 200 and json.loads(r.text)["StreamDescriptionSummary"]["StreamName"] == "auth", r.text
    r = requests.post(url + "/", data=body.replace("auth", "auti"), headers=h)
    assert r.status_code == 403 and "SignatureDoesNotMatch" in r.text, r.text
    tampered = dict(h, Authorization=h["Authorization"][:-1] + ("0" if h["Authorization"][-1] != "0" else "1"))
    r = requests.post(url + "/", data=body, headers=tampered)
    assert r.status_code == 403 and "SignatureDoesNotMatch" in r.text, r.text

    bad = dict(env, AWS_ACCESS_KEY_ID="AKIAUNKNOWN0000000000")
    p = run_tool(["kinesis", "ListStreams", "{}", "streams"], bad, check=False)
    assert p.returncode == 1
    assert "AWS kinesis ListStreams streams: InvalidClientTokenId" in p.stderr
    bad = dict(env, AWS_SECRET_ACCESS_KEY=secret + "x")
    p = run_tool(["kinesis", "ListStreams", "{}"], bad, check=False)
    assert p.returncode == 1 and "SignatureDoesNotMatch" in p.stderr and "error invalid input" in p.stderr
