"""Our SigV4 signer (through tests/tools/aws_tool sign) against botocore's, an independent
implementation, on random requests: methods, paths with reserved and non-ASCII characters and dot
segments, query strings with repeated and empty keys, headers with untrimmed values, bodies,
session tokens; generic services (path normalized and encoded twice) and S3 (neither)."""
import calendar
import datetime
import json
import os
import random
import subprocess
import urllib.parse

import pytest

from awspeers import tool  # installs botocore when missing
from botocore.auth import S3SigV4Auth, SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

PATH_CHARS = "abcXYZ019-_.~ !$&'()*+,;=:@%é\u1234"
QUERY_CHARS = "abcXYZ019-_.~ !$'()*+,;:@/?%é\u1234"  # no '&' or '=': they would split the pair
VALUE_CHARS = "abc XYZ 019-_.~!$&'()*+,;=:@/\t"
SKIP_HEADERS = {"expect", "transfer-encoding", "user-agent", "x-amzn-trace-id", "authorization", "host",
                "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "content-length"}


def rand_str(rng, chars, lo, hi):
    return "".join(rng.choice(chars) for _ in range(rng.randint(lo, hi)))


def random_request(rng, s3):
    method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"])
    segments = []
    for _ in range(rng.randint(0, 4)):
        r = rng.random()
        segments.append("." if r < 0.08 else ".." if r < 0.14 else "" if r < 0.2 else rand_str(rng, PATH_CHARS, 1, 8))
    raw_path = "/" + "/".join(segments)
    if rng.random() < 0.3:
        raw_path += "/"
    wire_path = urllib.parse.quote(raw_path, safe="/")
    query = []
    for _ in range(rng.randint(0, 5)):
        k = rand_str(rng, QUERY_CHARS, 1, 6)
        v = "" if rng.random() < 0.2 else rand_str(rng, QUERY_CHARS, 1, 10)
        query.append([k, v])
        if rng.random() < 0.2:
            query.append([k, rand_str(rng, QUERY_CHARS, 0, 4)])  # a repeated key
    headers = []
    names = set()
    for _ in range(rng.randint(0, 4)):
        name = rand_str(rng, "abcdefXYZ019-", 1, 10)
        if name.lower() in SKIP_HEADERS or name.lower() in names:
            continue
        names.add(name.lower())
        value = rand_str(rng, VALUE_CHARS, 0, 20)
        if rng.random() < 0.5:
            value = "  " + value + "   "
        headers.append([name, value])
    body = rand_str(rng, "abcdefgh {}\":,0123456789\n", 1, 200) if method in ("PUT", "POST") else ""
    token = rand_str(rng, "ABCdef0123456789/+=", 20, 120) if rng.random() < 0.4 else None
    port = rng.choice(["", ":8443", ":9000"])
    host = rng.choice(["example.amazonaws.com", "bucket.s3.eu-west-1.amazonaws.com", "127.0.0.1"]) + port
    return dict(method=method, wire_path=wire_path, query=query, headers=headers, body=body, token=token, host=host,
                s3=s3)


def botocore_sign(req, region, service):
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", req["token"])
    qs = "&".join(urllib.parse.quote(k, safe="-_.~") + "=" + urllib.parse.quote(v, safe="-_.~")
                  for k, v in req["query"])
    url = f"http://{req['host']}{req['wire_path']}" + (f"?{qs}" if qs else "")
    r = AWSRequest(method=req["method"], url=url, data=req["body"].encode(), headers=dict(req["headers"]))
    auth = (S3SigV4Auth if req["s3"] else SigV4Auth)(creds, service, region)
    auth.add_auth(r)
    canonical = auth.canonical_request(r)
    return r.headers["Authorization"], r.headers["X-Amz-Date"], canonical, qs


def ours(req, region, service, amz_date):
    t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    doc = dict(method=req["method"], host=req["host"], path=req["wire_path"], query=req["query"],
               headers=req["headers"], body=req["body"], region=region, service=service, s3=req["s3"],
               access_key="AKIDEXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
               token=req["token"], now=calendar.timegm(t.timetuple()))
    p = subprocess.run([tool(), "sign"], input=json.dumps(doc), capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.parametrize("s3", [False, True], ids=["generic", "s3"])
def test_random_requests_match_botocore(s3):
    seed = int(os.environ.get("FEAST_SIGV4_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    mismatches = []
    n = 150
    for i in range(n):
        req = random_request(rng, s3)
        region = rng.choice(["us-east-1", "eu-west-1", "ap-southeast-2"])
        service = "s3" if s3 else rng.choice(["kinesis", "service", "sts"])
        auth, amz_date, canonical, qs = botocore_sign(req, region, service)
        got = ours(req, region, service, amz_date)
        if got["authorization"] != auth:
            mismatches.append(f"case {i} (seed {seed}): {req}\n--- botocore\n{canonical}\n--- ours\n"
                              f"{got['canonical_request']}")
        # The query string we would send is the one botocore signed from the URL, sorted.
        want_q = "&".join(sorted(qs.split("&"), key=lambda p: tuple(p.split("=", 1)))) if qs else ""
        assert got["query"] == want_q, (seed, i, got["query"], want_q)
    assert not mismatches, f"{len(mismatches)} of {n} differ:\n" + "\n\n".join(mismatches[:3])


@pytest.mark.parametrize("s3", [False, True], ids=["generic", "s3"])
def test_presigned_requests_match_botocore(s3):
    from botocore.auth import S3SigV4QueryAuth, SigV4QueryAuth
    seed = int(os.environ.get("FEAST_SIGV4_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    for i in range(60):
        req = random_request(rng, s3)
        req["method"], req["body"], req["headers"] = "GET", "", []
        # botocore's presigner keeps one value per key (it reads the URL's query with parse_qs)
        seen = set()
        req["query"] = [kv for kv in req["query"] if not (kv[0] in seen or seen.add(kv[0]))]
        region, service = "eu-west-1", "s3" if s3 else "service"
        expires = rng.randint(1, 604800)
        creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", req["token"])
        qs = "&".join(urllib.parse.quote(k, safe="-_.~") + "=" + urllib.parse.quote(v, safe="-_.~")
                      for k, v in req["query"])
        url = f"http://{req['host']}{req['wire_path']}" + (f"?{qs}" if qs else "")
        r = AWSRequest(method="GET", url=url)
        (S3SigV4QueryAuth if s3 else SigV4QueryAuth)(creds, service, region, expires=expires).add_auth(r)
        signed = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.url).query, keep_blank_values=True))
        t = datetime.datetime.strptime(signed["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
        doc = dict(method="GET", host=req["host"], path=req["wire_path"], query=req["query"], headers=[], body="",
                   region=region, service=service, s3=s3, presign=True, expires=expires,
                   payload_hash="UNSIGNED-PAYLOAD" if s3 else None, access_key="AKIDEXAMPLE",
                   secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token=req["token"],
                   now=calendar.timegm(t.timetuple()))
        p = subprocess.run([tool(), "sign"], input=json.dumps(doc), capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        ours_q = dict(urllib.parse.parse_qsl(json.loads(p.stdout)["query"], keep_blank_values=True))
        assert ours_q["X-Amz-Signature"] == signed["X-Amz-Signature"], (seed, i, req, r.url, ours_q)
        assert ours_q.get("X-Amz-Security-Token") == signed.get("X-Amz-Security-Token")
